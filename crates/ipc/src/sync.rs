//! Wizard steps 3–7: list the directory, preview, synchronize, results.
//!
//! Long operations are jobs the frontend polls: `start_listing` then `listing_page` (rows arrive
//! page by page while Graph is still being read), `start_sync` then `sync_status`.

use crate::Command;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    User,
    Group,
}

/// One row of the Select objects list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectoryEntry {
    pub id: String,
    pub kind: EntryKind,
    pub display_name: String,
    /// UPN for users, mail (or "Security group") for groups.
    pub principal: String,
    pub department: String,
    pub guest: bool,
    pub disabled: bool,
    /// Already imported into the server database.
    pub imported: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListingRequest {
    pub organization: i64,
    /// Empty: every user and group; else Graph `$search`.
    pub search: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobRef {
    pub job: u64,
}

/// Starts reading users and groups of a connected organization.
#[derive(Debug)]
pub enum StartListing {}

impl Command for StartListing {
    const NAME: &'static str = "start_listing";
    type Args = ListingRequest;
    type Output = JobRef;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageRequest {
    pub job: u64,
    /// Rows already received.
    pub offset: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListingPage {
    /// Rows from `offset` on (at most a few thousand per call).
    pub rows: Vec<DirectoryEntry>,
    /// All rows read so far.
    pub loaded: u32,
    pub done: bool,
    /// Why the read stopped early, when it did.
    pub error: Option<crate::IpcError>,
}

/// Rows of a listing job from `offset`.
#[derive(Debug)]
pub enum ListingPageCmd {}

impl Command for ListingPageCmd {
    const NAME: &'static str = "listing_page";
    type Args = PageRequest;
    type Output = ListingPage;
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncSelection {
    pub users: Vec<String>,
    pub groups: Vec<String>,
    pub members: bool,
    pub nested: bool,
    /// Saved scope roots (object IDs) to take out of the scope with this run.
    #[serde(default)]
    pub remove: Vec<String>,
    /// Saved group roots given other flags with this run.
    #[serde(default)]
    pub reflag: Vec<RootFlags>,
}

/// A saved group root's flags set anew by the admin (they may shrink).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RootFlags {
    pub id: String,
    pub members: bool,
    pub nested: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanRequest {
    pub organization: i64,
    pub selection: SyncSelection,
    /// "Check deleted objects": also sort what Entra ID no longer has.
    #[serde(default)]
    pub check_deleted: bool,
}

/// What to do on the server with an object Entra ID no longer has (or has disabled).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeletedAction {
    Keep,
    Disable,
    Delete,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeletedReason {
    SoftDeleted,
    HardDeleted,
    Disabled,
    OutOfScope,
}

/// One row of the Deleted objects step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeletedRow {
    pub id: String,
    pub kind: EntryKind,
    pub display_name: String,
    pub account: String,
    pub reason: DeletedReason,
    /// "deleted in Entra ID, restorable for 27 more days", …
    pub detail: String,
    /// The proposal.
    pub action: DeletedAction,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeletedDecision {
    pub id: String,
    pub action: DeletedAction,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Create,
    Update,
    Unchanged,
    Disable,
    Delete,
    Conflict,
}

/// One object in a preview or a result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutcomeRow {
    pub kind: EntryKind,
    pub id: String,
    pub display_name: String,
    pub outcome: Outcome,
    /// Changed fields (updates) or the reason (conflicts).
    pub detail: String,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub create: u64,
    pub update: u64,
    pub unchanged: u64,
    #[serde(default)]
    pub disable: u64,
    #[serde(default)]
    pub delete: u64,
    pub conflict: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncPreview {
    /// Synchronize applies exactly this plan's input.
    pub plan: u64,
    pub counts: Counts,
    pub rows: Vec<OutcomeRow>,
    /// With "Check deleted objects": what Entra ID no longer has, has disabled, or no longer
    /// puts in scope.
    #[serde(default)]
    pub deleted: Vec<DeletedRow>,
    /// Objects imported from this organization so far (for the deletion threshold).
    #[serde(default)]
    pub imported_total: u64,
    /// Disabling or deleting more than this many objects…
    #[serde(default)]
    pub threshold_count: u64,
    /// …and more than this percentage of `imported_total` needs a confirmation.
    #[serde(default)]
    pub threshold_percent: u64,
    /// Users deleted on this server that the selection would bring back; left out unless
    /// re-imported in the Deleted objects step.
    #[serde(default)]
    pub tombstoned: Vec<TombstoneRow>,
    /// How the objects imported earlier were read: "Incremental: …" or "Full comparison: …".
    #[serde(default)]
    pub read_mode: String,
    /// Imported users and groups Entra ID reported deleted, found without "Check deleted
    /// objects" (which is where they are decided about).
    #[serde(default)]
    pub deleted_unchecked: u64,
    /// Parts of "Check deleted objects" left unchecked, one sentence each saying why (deleted
    /// groups without `Group.Read.All`); nothing was decided about their objects.
    #[serde(default)]
    pub deleted_skipped: Vec<String>,
    /// Decisions this run lifts because their finding no longer holds ("Ann Lee: back in
    /// scope").
    #[serde(default)]
    pub lifted: Vec<String>,
    /// Roots of the organization's saved scope before this run (what a run with nothing newly
    /// selected synchronizes).
    #[serde(default)]
    pub saved_roots: u64,
    /// What this run does to the saved scope, one line per root taken out or given other
    /// flags ("Marketing (group with members) taken out").
    #[serde(default)]
    pub scope_changes: Vec<String>,
    /// Imported users who leave the scope with this run (display names).
    #[serde(default)]
    pub leaving_scope: Vec<String>,
    /// New users not imported because another server user holds their account name, for the
    /// administrator to resolve (link, import as another name) or skip.
    #[serde(default)]
    pub conflicts: Vec<ConflictRow>,
}

/// A new Entra ID user whose account name another server user holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConflictRow {
    pub id: String,
    pub display_name: String,
    /// The account name it would have had (its UPN), held by another user.
    pub account: String,
    /// The holder is a local user, whom the Entra ID user may be linked to.
    pub linkable: bool,
}

/// How the administrator resolves a conflict (a conflict not named is skipped).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConflictChoice {
    /// Link to the local user holding the account name: it becomes an Azure AD user.
    Link,
    /// Import under this account name instead.
    ImportAs { account_name: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConflictDecision {
    /// The conflict's object ID.
    pub id: String,
    pub choice: ConflictChoice,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TombstoneRow {
    pub id: String,
    pub display_name: String,
    pub account: String,
}

impl SyncPreview {
    /// Whether `decisions` (else the proposals) cross the mass-deletion threshold.
    pub fn threshold_exceeded(&self, decisions: &[DeletedDecision]) -> bool {
        let affected = self
            .deleted
            .iter()
            .filter(|row| {
                let action = decisions
                    .iter()
                    .find(|d| d.id == row.id)
                    .map_or(row.action, |d| d.action);
                action != DeletedAction::Keep
            })
            .count() as u64;
        self.safeguard().exceeded(affected, self.imported_total)
    }

    /// The organization's deletion safeguard this preview was made with.
    pub fn safeguard(&self) -> crate::Safeguard {
        crate::Safeguard {
            count: self.threshold_count,
            percent: self.threshold_percent,
        }
    }
}

/// Reads what the selection needs from Graph and previews the plan (nothing is written).
#[derive(Debug)]
pub enum PlanSync {}

impl Command for PlanSync {
    const NAME: &'static str = "plan_sync";
    type Args = PlanRequest;
    type Output = SyncPreview;
}

/// Where the running `plan_sync` is: what it reads, and how many objects so far.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanProgress {
    pub phase: String,
    pub done: u64,
}

/// Progress of the `plan_sync` call in flight (polled while it runs).
#[derive(Debug)]
pub enum PlanProgressCmd {}

impl Command for PlanProgressCmd {
    const NAME: &'static str = "plan_progress";
    type Args = crate::NoArgs;
    type Output = PlanProgress;
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanRef {
    pub plan: u64,
    /// The Deleted objects step's decisions (rows not listed keep their proposal).
    #[serde(default)]
    pub decisions: Vec<DeletedDecision>,
    /// The admin confirmed a mass disable/delete above the threshold.
    #[serde(default)]
    pub confirm_mass: bool,
    /// Users deleted on this server to import again (object IDs from `tombstoned`).
    #[serde(default)]
    pub reimport: Vec<String>,
    /// The preview's conflicts the administrator resolved.
    #[serde(default)]
    pub resolutions: Vec<ConflictDecision>,
}

/// Snapshots the database and applies a previewed plan.
#[derive(Debug)]
pub enum StartSync {}

impl Command for StartSync {
    const NAME: &'static str = "start_sync";
    type Args = PlanRef;
    type Output = JobRef;
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncResult {
    pub run_id: i64,
    pub counts: Counts,
    pub duration_ms: u64,
    pub rows: Vec<OutcomeRow>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncStatus {
    pub phase: String,
    /// 0–100.
    pub percent: u8,
    pub finished: Option<Result<SyncResult, crate::IpcError>>,
}

#[derive(Debug)]
pub enum SyncStatusCmd {}

impl Command for SyncStatusCmd {
    const NAME: &'static str = "sync_status";
    type Args = JobRef;
    type Output = SyncStatus;
}

/// Cancels a sync that has not started writing; once writing, it completes (one transaction).
#[derive(Debug)]
pub enum CancelSync {}

impl Command for CancelSync {
    const NAME: &'static str = "cancel_sync";
    type Args = JobRef;
    type Output = ();
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExportFormat {
    Csv,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportRequest {
    pub run_id: i64,
    pub format: ExportFormat,
}

/// Writes a run's results where the admin chooses in the OS save dialog; returns the file's
/// path, or `None` when the admin cancelled the dialog.
#[derive(Debug)]
pub enum ExportRun {}

impl Command for ExportRun {
    const NAME: &'static str = "export_run";
    type Args = ExportRequest;
    type Output = Option<String>;
}

/// A file this session exported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportedFile {
    pub path: String,
}

/// Shows an exported file selected in the desktop's file manager ("Show in folder"). Only
/// files exported in this session: a path the web view makes up is refused.
#[derive(Debug)]
pub enum RevealExport {}

impl Command for RevealExport {
    const NAME: &'static str = "reveal_export";
    type Args = ExportedFile;
    type Output = ();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::safeguard::BOUNDARIES;

    fn row(n: u64, action: DeletedAction) -> DeletedRow {
        DeletedRow {
            id: format!("o-{n}"),
            kind: EntryKind::User,
            display_name: format!("User {n}"),
            account: format!("u{n}@contoso.com"),
            reason: DeletedReason::HardDeleted,
            detail: String::new(),
            action,
        }
    }

    fn preview(rows: Vec<DeletedRow>, case: &crate::safeguard::SafeguardCase) -> SyncPreview {
        SyncPreview {
            plan: 1,
            counts: Counts::default(),
            rows: Vec::new(),
            deleted: rows,
            imported_total: case.imported_total,
            threshold_count: case.safeguard.count,
            threshold_percent: case.safeguard.percent,
            tombstoned: Vec::new(),
            read_mode: String::new(),
            deleted_unchecked: 0,
            deleted_skipped: Vec::new(),
            lifted: Vec::new(),
            conflicts: Vec::new(),
            saved_roots: 0,
            scope_changes: Vec::new(),
            leaving_scope: Vec::new(),
        }
    }

    /// The wizard counts what the Deleted objects step will do: the admin's decision where there
    /// is one, else the proposal; Keep does not count.
    #[test]
    fn the_wizard_follows_the_safeguard_boundaries_and_the_decisions() {
        for case in BOUNDARIES.iter().filter(|c| c.affected <= 10_000) {
            let n = case.affected;
            // As proposed: n rows to disable, 3 to keep.
            let mut rows: Vec<_> = (0..n).map(|i| row(i, DeletedAction::Disable)).collect();
            rows.extend((n..n + 3).map(|i| row(i, DeletedAction::Keep)));
            let as_proposed = preview(rows.clone(), case);
            assert_eq!(
                as_proposed.threshold_exceeded(&[]),
                case.exceeded,
                "proposals: {}",
                case.why
            );
            // Decided: 2 proposed removals kept instead, 2 proposed keeps deleted instead:
            // still n affected.
            if n >= 2 {
                let decisions: Vec<_> = [(0, DeletedAction::Keep), (1, DeletedAction::Keep)]
                    .into_iter()
                    .chain([(n, DeletedAction::Delete), (n + 1, DeletedAction::Delete)])
                    .map(|(i, action)| DeletedDecision {
                        id: format!("o-{i}"),
                        action,
                    })
                    .collect();
                assert_eq!(
                    as_proposed.threshold_exceeded(&decisions),
                    case.exceeded,
                    "decisions: {}",
                    case.why
                );
            }
        }
    }

    #[test]
    fn keeping_one_more_object_brings_a_preview_under_the_safeguard() {
        let case = BOUNDARIES
            .iter()
            .find(|c| (c.affected, c.imported_total) == (12, 110))
            .expect("the 12 of 110 case");
        let p = preview(
            (0..12).map(|i| row(i, DeletedAction::Delete)).collect(),
            case,
        );
        assert!(p.threshold_exceeded(&[]));
        let keep = [DeletedDecision {
            id: "o-5".into(),
            action: DeletedAction::Keep,
        }];
        assert!(!p.threshold_exceeded(&keep), "11 of 110 is exactly 10 %");
    }
}
