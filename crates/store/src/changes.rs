//! The vocabulary of a synchronization: what Entra ID returned (users, groups, removals,
//! change-tracking links) and what happens to each object (outcome, changed fields, counts).
//!
//! Both the pure plan and the apply speak it; neither owns it, so neither depends on the other
//! for its types.

use crate::model::{DirectoryDeletion, UserType};
pub use crate::scope::{DecisionAction, DecisionFinding, Reason, StandingDecision};

/// Who runs the sync against which tenant.
#[derive(Debug, Clone)]
pub struct RunInfo {
    /// Lower-case tenant GUID.
    pub tenant_id: String,
    /// UPN of the signed-in administrator.
    pub started_by: String,
}

/// A user as Entra ID returned it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct DirectoryUser {
    pub object_id: String,
    pub user_principal_name: Option<String>,
    pub display_name: String,
    pub given_name: Option<String>,
    pub surname: Option<String>,
    pub mail: Option<String>,
    pub job_title: Option<String>,
    pub department: Option<String>,
    pub office_location: Option<String>,
    pub mobile_phone: Option<String>,
    pub business_phones: Vec<String>,
    pub user_type: Option<UserType>,
    pub account_enabled: bool,
    pub created_in_entra_at: Option<String>,
    pub on_premises_sync_enabled: Option<bool>,
    /// '' when selected directly, else the group path ("Sales / EMEA").
    pub imported_via: String,
}

/// A group as Entra ID returned it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct DirectoryGroup {
    pub object_id: String,
    pub display_name: String,
    pub description: Option<String>,
    pub mail: Option<String>,
    pub mail_enabled: bool,
    pub security_enabled: bool,
    pub group_types: Vec<String>,
    /// Object IDs of the group's user members; `None` leaves the memberships as they are.
    /// Members that are not imported users are ignored.
    pub members: Option<Vec<String>>,
    /// Why Entra ID would not list the group's members (a hidden membership without
    /// `Member.Read.Hidden`): the group is a failed object of the run, nothing of it written.
    pub members_unreadable: Option<String>,
}

/// What to do with an imported user Entra ID no longer has (or has disabled, or put out of
/// scope), as the admin decided in "Check deleted objects".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RemovalAction {
    Disable,
    Delete,
}

/// Users or groups.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ObjectKind {
    #[default]
    User,
    Group,
}

impl ObjectKind {
    /// As the audit log stores it (`sync_run_items.object_type`).
    pub fn as_str(self) -> &'static str {
        match self {
            ObjectKind::User => "user",
            ObjectKind::Group => "group",
        }
    }

    pub fn from_sql(text: &str) -> Option<Self> {
        match text {
            "user" => Some(ObjectKind::User),
            "group" => Some(ObjectKind::Group),
            _ => None,
        }
    }
}

impl rusqlite::types::FromSql for ObjectKind {
    fn column_result(value: rusqlite::types::ValueRef<'_>) -> rusqlite::types::FromSqlResult<Self> {
        let text = value.as_str()?;
        ObjectKind::from_sql(text).ok_or_else(|| {
            rusqlite::types::FromSqlError::Other(format!("object type {text:?}").into())
        })
    }
}

impl rusqlite::types::ToSql for ObjectKind {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        Ok(self.as_str().into())
    }
}

/// For a user, Disable turns the account off; for a group it removes the group's Azure AD
/// memberships (the group grants nothing, its local members stay) and marks it. Delete removes
/// either (a deleted user leaves a tombstone; its memberships go with it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Removal {
    pub kind: ObjectKind,
    pub object_id: String,
    pub action: RemovalAction,
    /// Recorded on the user or group (Disable) when Entra ID deleted it.
    pub deletion: Option<DirectoryDeletion>,
    /// Why, for the audit log ("permanently deleted in Entra ID").
    pub reason: String,
}

/// Graph change-tracking links of one organization, relative to its Graph root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeltaLinks {
    pub users: String,
    pub groups: String,
    /// When the links were requested (seconds since the epoch): Graph honours them 7 days.
    pub taken_at: i64,
}

/// A selection a synchronization ran with, kept as part of the organization's scope.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ScopeRoot {
    pub kind: ObjectKind,
    pub object_id: String,
    /// A group's user members are in scope…
    pub members: bool,
    /// …and those of the groups nested in it, at any depth.
    pub nested: bool,
}

impl ScopeRoot {
    /// How the saved scope and the audit log word a root: "user", "group", "group with
    /// members", "group with members and nested groups".
    pub fn describe(&self) -> &'static str {
        match (self.kind, self.members, self.nested) {
            (ObjectKind::User, ..) => "user",
            (ObjectKind::Group, false, _) => "group",
            (ObjectKind::Group, true, false) => "group with members",
            (ObjectKind::Group, true, true) => "group with members and nested groups",
        }
    }
}

/// A saved scope root the administrator took out of the scope (or whose flags were set anew:
/// then [`DirectoryChanges::roots`] holds it again with the new ones), as stored before the run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DroppedRoot {
    pub root: ScopeRoot,
    /// For the audit log; the object ID when the run did not read the object.
    pub display_name: String,
}

/// An administrator's decision, to record with the run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub kind: ObjectKind,
    pub object_id: String,
    pub display_name: String,
    pub action: DecisionAction,
    pub finding: DecisionFinding,
}

/// A standing decision whose finding stopped holding: the run lifts it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lift {
    pub kind: ObjectKind,
    pub object_id: String,
    pub display_name: String,
    /// The finding that no longer holds.
    pub finding: DecisionFinding,
}

/// What the administrator chose for a new Entra ID user whose account name another server user
/// holds (by default the user is not imported: the run reports the conflict).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ConflictResolution {
    /// Link the Entra ID user to the local user with this account name (matched
    /// case-insensitively): that user becomes an Azure AD user and keeps its server ID, its
    /// memberships and its history.
    Link { local_account: String },
    /// Import the user under this account name instead of its UPN; later runs keep it.
    ImportAs { account_name: String },
}

/// What to write.
#[derive(Debug, Clone, Default)]
pub struct DirectoryChanges {
    pub users: Vec<DirectoryUser>,
    pub groups: Vec<DirectoryGroup>,
    /// Imported users to disable or delete; applied after the users, before the groups.
    pub removals: Vec<Removal>,
    /// This run's selection, added to the organization's scope roots.
    pub roots: Vec<ScopeRoot>,
    /// Saved roots the run takes out of the scope (before adding `roots`): deleted with the run,
    /// so its changeset holds them and an undo puts them back.
    pub dropped_roots: Vec<DroppedRoot>,
    /// Every in-scope object's reasons, replacing the stored ones (`None`: leave them).
    pub scope: Option<std::collections::BTreeMap<String, Vec<Reason>>>,
    /// The administrator's decisions in this run (Keep, Disable, Delete).
    pub decisions: Vec<Decision>,
    /// Standing decisions whose finding no longer holds.
    pub lifted: Vec<Lift>,
    /// The links for the next incremental read. Stored with the run, and only when no object
    /// failed: a failed object is in no later round of changes, so the next sync has to read
    /// from the old links (or compare everything) to try it again.
    pub delta: Option<DeltaLinks>,
    /// [`crate::plan::Imported::digest`] of what the run's read started from: the apply
    /// refuses with [`crate::StoreError::Stale`] when the database holds something else for the
    /// tenant by then (another sync or undo wrote in between).
    pub based_on: Option<u64>,
    /// The administrator's resolutions of account-name conflicts, by object ID.
    pub resolutions: std::collections::BTreeMap<String, ConflictResolution>,
}

/// A server-side field (or group of fields) a sync changed on an object, as the preview and the
/// audit log name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChangedField {
    AccountName,
    Enabled,
    FullName,
    Email,
    Phone,
    Department,
    /// Anything of the copy of Entra ID's attributes the server keeps.
    EntraAttributes,
    /// A group's Azure AD members.
    Members,
}

impl ChangedField {
    /// The name shown to the admin and stored in `sync_run_items.changed_fields`.
    pub fn label(self) -> &'static str {
        match self {
            ChangedField::AccountName => "account name",
            ChangedField::Enabled => "enabled",
            ChangedField::FullName => "full name",
            ChangedField::Email => "e-mail",
            ChangedField::Phone => "phone",
            ChangedField::Department => "department",
            ChangedField::EntraAttributes => "Entra ID attributes",
            ChangedField::Members => "members",
        }
    }

    /// The labels joined for one line of a preview or report ("full name, department").
    pub fn join(fields: &[ChangedField]) -> String {
        fields
            .iter()
            .map(|f| f.label())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// What a sync does (or did) to one object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApplyOutcome {
    Created,
    /// Created under the account name the administrator chose instead of its UPN.
    CreatedAs {
        account_name: String,
    },
    /// Linked to the local user that held its account name, which became an Azure AD user.
    Linked {
        local_account: String,
    },
    Updated {
        fields: Vec<ChangedField>,
    },
    Unchanged,
    Disabled {
        reason: String,
    },
    Deleted {
        reason: String,
    },
    Failed {
        reason: String,
    },
}

impl ApplyOutcome {
    /// As the audit log stores it (`sync_run_items.outcome`).
    pub fn as_sql(&self) -> &'static str {
        match self {
            ApplyOutcome::Created | ApplyOutcome::CreatedAs { .. } => "created",
            // The server user existed before: it changed, it was not created.
            ApplyOutcome::Linked { .. } => "updated",
            ApplyOutcome::Updated { .. } => "updated",
            ApplyOutcome::Unchanged => "unchanged",
            ApplyOutcome::Disabled { .. } => "disabled",
            ApplyOutcome::Deleted { .. } => "deleted",
            ApplyOutcome::Failed { .. } => "failed",
        }
    }
}

impl ApplyOutcome {
    /// Whether the Entra ID object has a server row after this outcome that it had not before.
    pub fn adds_object(&self) -> bool {
        matches!(
            self,
            ApplyOutcome::Created | ApplyOutcome::CreatedAs { .. } | ApplyOutcome::Linked { .. }
        )
    }

    /// How a resolved conflict is reported ("linked to local user ann", "imported as ann2").
    pub fn resolution_note(&self) -> Option<String> {
        match self {
            ApplyOutcome::CreatedAs { account_name } => Some(format!("imported as {account_name}")),
            ApplyOutcome::Linked { local_account } => {
                Some(format!("linked to local user {local_account}"))
            }
            _ => None,
        }
    }
}

/// One object's outcome, planned (the preview) or applied (the report).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutcomeItem {
    pub kind: ObjectKind,
    pub object_id: String,
    pub display_name: String,
    pub outcome: ApplyOutcome,
}

/// How many objects had each outcome.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub disabled: u64,
    pub deleted: u64,
    pub failed: u64,
}

impl Counts {
    pub fn count(&mut self, outcome: &ApplyOutcome) {
        let counter = match outcome {
            ApplyOutcome::Created | ApplyOutcome::CreatedAs { .. } => &mut self.created,
            ApplyOutcome::Linked { .. } => &mut self.updated,
            ApplyOutcome::Updated { .. } => &mut self.updated,
            ApplyOutcome::Unchanged => &mut self.unchanged,
            ApplyOutcome::Disabled { .. } => &mut self.disabled,
            ApplyOutcome::Deleted { .. } => &mut self.deleted,
            ApplyOutcome::Failed { .. } => &mut self.failed,
        };
        *counter += 1;
    }

    pub fn of<'a>(items: impl IntoIterator<Item = &'a OutcomeItem>) -> Self {
        let mut counts = Counts::default();
        for item in items {
            counts.count(&item.outcome);
        }
        counts
    }
}

/// What an apply did: the run in the audit log and each object's outcome.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApplyReport {
    pub run_id: i64,
    /// Users in input order, then removals, then groups (as the plan orders them).
    pub items: Vec<OutcomeItem>,
    pub counts: Counts,
}
