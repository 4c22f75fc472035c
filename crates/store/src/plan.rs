//! The pure sync decision: given what this tenant already imported and what Entra ID returned,
//! what happens to each object (created / updated with which fields / unchanged / failed).
//!
//! The preview shows this plan and `apply` executes it: apply loads [`Imported`] inside its
//! transaction and calls the same [`plan`], so what was previewed is what gets written unless the
//! database changed in between (and then the results say what really happened).

use crate::changes::{
    ApplyOutcome, ChangedField, ConflictResolution, Counts, DirectoryChanges, DirectoryGroup,
    DirectoryUser, ObjectKind, OutcomeItem, Removal, RemovalAction,
};
pub use crate::imported::{Imported, StoredGroup, StoredUser};
use crate::model::UserType;
use crate::users::account_name;
use std::collections::{HashMap, HashSet};

/// Every object's outcome, in three parts that match [`DirectoryChanges`] one to one: the
/// apply walks each part beside its input.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// One per `changes.users`, in input order.
    pub users: Vec<OutcomeItem>,
    /// One per `changes.removals`, in input order.
    pub removals: Vec<OutcomeItem>,
    /// One per `changes.groups`, in input order.
    pub groups: Vec<OutcomeItem>,
    pub counts: Counts,
    /// The new users not imported because another server user holds their account name, which
    /// the administrator may resolve (link, or import as another name).
    pub conflicts: Vec<Conflict>,
}

/// A new Entra ID user whose account name another server user holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    pub object_id: String,
    pub display_name: String,
    /// The account name the user would have had (from its UPN).
    pub account_name: String,
    /// The holder is a local user, so the Entra ID user may be linked to it; an Azure AD
    /// user, or another user of this run, can only be avoided by another name.
    pub linkable: bool,
}

impl Plan {
    /// Users, then removals, then groups: the order they are applied in.
    pub fn items(&self) -> impl Iterator<Item = &OutcomeItem> {
        self.users.iter().chain(&self.removals).chain(&self.groups)
    }
}

fn item(kind: ObjectKind, id: &str, name: &str, outcome: ApplyOutcome) -> OutcomeItem {
    OutcomeItem {
        kind,
        object_id: id.to_owned(),
        display_name: name.to_owned(),
        outcome,
    }
}

/// The server-side fields of an imported user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ServerFields {
    /// The UPN, trimmed: the copy of Entra ID's attributes keeps it.
    pub upn: String,
    /// The UPN, or the name the administrator chose instead.
    pub account_name: String,
    pub account_key: String,
    pub full_name: String,
    pub email: String,
    pub phone: String,
    pub department: String,
    pub enabled: bool,
}

/// The users a standing disable decision keeps disabled through this run (those it does not
/// lift).
pub(crate) fn held_disabled<'a>(
    imported: &'a Imported,
    changes: &DirectoryChanges,
) -> HashSet<&'a str> {
    // A user deleted on this server and imported again is a new account: nothing holds it.
    imported
        .held
        .iter()
        .filter(|(id, finding)| {
            imported.users.contains_key(*id)
                && !changes
                    .lifted
                    .iter()
                    .any(|l| l.object_id == **id && l.finding.same_as(**finding))
        })
        .map(|(id, _)| id.as_str())
        .collect()
}

/// The account name the administrator chose for `object_id` instead of its UPN: stored by an
/// earlier run, or chosen in this one for a user not imported yet.
pub(crate) fn chosen_name<'a>(
    imported: &'a Imported,
    changes: &'a DirectoryChanges,
    object_id: &str,
) -> Option<&'a str> {
    if let Some(name) = imported.chosen_names.get(object_id) {
        return Some(name);
    }
    if imported.users.contains_key(object_id) {
        return None;
    }
    match changes.resolutions.get(object_id) {
        Some(ConflictResolution::ImportAs { account_name }) => Some(account_name),
        _ => None,
    }
}

/// The server-side fields of `user`; `held`: a standing decision keeps the account disabled;
/// `chosen`: the account name to use instead of the UPN.
pub(crate) fn server_fields(
    user: &DirectoryUser,
    held: bool,
    chosen: Option<&str>,
) -> Result<ServerFields, String> {
    let upn = user
        .user_principal_name
        .as_deref()
        .filter(|u| !u.trim().is_empty())
        .ok_or("Entra ID returned no user principal name for this user")?;
    let (upn, upn_key) = account_name(upn).map_err(|e| e.to_string())?;
    let (account_name, account_key) = match chosen {
        Some(name) => account_name(name)
            .map_err(|e| format!("the account name chosen for this user is not valid: {e}"))?,
        None => (upn.clone(), upn_key),
    };
    Ok(ServerFields {
        upn,
        account_name,
        account_key,
        full_name: user.display_name.clone(),
        email: user.mail.clone().unwrap_or_default(),
        phone: user
            .mobile_phone
            .clone()
            .or_else(|| user.business_phones.first().cloned())
            .unwrap_or_default(),
        department: user.department.clone().unwrap_or_default(),
        enabled: user.account_enabled && !held,
    })
}

/// The incoming user as it will be stored (the form `StoredUser::directory` has).
pub(crate) fn normalized(user: &DirectoryUser, fields: &ServerFields) -> DirectoryUser {
    DirectoryUser {
        user_principal_name: Some(fields.upn.clone()),
        user_type: Some(user.user_type.unwrap_or(UserType::Member)),
        ..user.clone()
    }
}

/// Who holds an account key while the plan runs: a stored user, or one this plan creates.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Holder {
    Stored(i64),
    New(String),
}

/// Decides every object. Pure and deterministic: the same inputs give the same plan.
pub fn plan(imported: &Imported, changes: &DirectoryChanges) -> Plan {
    let mut owners: HashMap<String, Holder> = imported
        .account_owners
        .iter()
        .map(|(k, id)| (k.clone(), Holder::Stored(*id)))
        .collect();
    // Object IDs of users that exist after the user phase (for group memberships).
    let mut present: HashSet<&str> = imported.users.keys().map(String::as_str).collect();

    let held = held_disabled(imported, changes);
    let mut users = Vec::with_capacity(changes.users.len());
    let mut conflicts = Vec::new();
    for user in &changes.users {
        let outcome = decide_user(
            &Inputs {
                imported,
                changes,
                held: held.contains(user.object_id.as_str()),
            },
            &mut owners,
            user,
            &mut conflicts,
        );
        if outcome.adds_object() {
            present.insert(&user.object_id);
        }
        users.push(item(
            ObjectKind::User,
            &user.object_id,
            &user.display_name,
            outcome,
        ));
    }
    let removals: Vec<OutcomeItem> = changes
        .removals
        .iter()
        .map(|removal| decide_removal(imported, &mut present, removal))
        .collect();
    let groups: Vec<OutcomeItem> = changes
        .groups
        .iter()
        .map(|group| {
            let outcome = decide_group(imported.groups.get(&group.object_id), group, &present);
            item(
                ObjectKind::Group,
                &group.object_id,
                &group.display_name,
                outcome,
            )
        })
        .collect();
    let counts = Counts::of(users.iter().chain(&removals).chain(&groups));
    Plan {
        users,
        removals,
        groups,
        counts,
        conflicts,
    }
}

/// A removal of an object this tenant imported; a deleted user leaves `present`.
fn decide_removal<'a>(
    imported: &Imported,
    present: &mut HashSet<&'a str>,
    removal: &'a Removal,
) -> OutcomeItem {
    let stored_name = match removal.kind {
        ObjectKind::User => imported.users.get(&removal.object_id).map(|u| &u.full_name),
        ObjectKind::Group => imported
            .groups
            .get(&removal.object_id)
            .map(|g| &g.directory.display_name),
    };
    let Some(name) = stored_name else {
        return item(
            removal.kind,
            &removal.object_id,
            &removal.object_id,
            ApplyOutcome::Failed {
                reason: "not imported from this organization".into(),
            },
        );
    };
    let reason = removal.reason.clone();
    let outcome = match removal.action {
        RemovalAction::Delete => {
            // A deleted user is no member of anything afterwards.
            if removal.kind == ObjectKind::User {
                present.remove(removal.object_id.as_str());
            }
            ApplyOutcome::Deleted { reason }
        }
        RemovalAction::Disable => ApplyOutcome::Disabled { reason },
    };
    item(removal.kind, &removal.object_id, name, outcome)
}

/// What a user's decision reads besides the user.
struct Inputs<'a> {
    imported: &'a Imported,
    changes: &'a DirectoryChanges,
    /// A standing decision keeps the user disabled.
    held: bool,
}

fn decide_user(
    inputs: &Inputs<'_>,
    owners: &mut HashMap<String, Holder>,
    user: &DirectoryUser,
    conflicts: &mut Vec<Conflict>,
) -> ApplyOutcome {
    let imported = inputs.imported;
    let chosen = chosen_name(imported, inputs.changes, &user.object_id);
    let fields = match server_fields(user, inputs.held, chosen) {
        Ok(f) => f,
        Err(reason) => return ApplyOutcome::Failed { reason },
    };
    let existing = imported.users.get(&user.object_id);
    if existing.is_none()
        && let Some(ConflictResolution::Link { local_account }) =
            inputs.changes.resolutions.get(&user.object_id)
    {
        return link(imported, owners, user, &fields, local_account);
    }
    let me = match existing {
        Some(s) => Holder::Stored(s.user_id),
        None => Holder::New(user.object_id.clone()),
    };
    if let Some(holder) = owners.get(&fields.account_key)
        && *holder != me
    {
        if existing.is_none() && chosen.is_none() {
            conflicts.push(Conflict {
                object_id: user.object_id.clone(),
                display_name: user.display_name.clone(),
                account_name: fields.account_name.clone(),
                linkable: matches!(holder, Holder::Stored(id)
                    if imported.local_accounts.get(&fields.account_key) == Some(id)),
            });
        }
        return ApplyOutcome::Failed {
            reason: format!(
                "the account name {} is already used by another user",
                fields.account_name
            ),
        };
    }
    match existing {
        None => {
            owners.insert(fields.account_key, me);
            match chosen {
                Some(_) => ApplyOutcome::CreatedAs {
                    account_name: fields.account_name,
                },
                None => ApplyOutcome::Created,
            }
        }
        Some(s) => decide_stored(owners, user, s, fields),
    }
}

/// A user imported earlier: which of its fields change; its account name moves in `owners`.
fn decide_stored(
    owners: &mut HashMap<String, Holder>,
    user: &DirectoryUser,
    s: &StoredUser,
    fields: ServerFields,
) -> ApplyOutcome {
    let me = Holder::Stored(s.user_id);
    let incoming = normalized(user, &fields);
    let checks: [(ChangedField, bool); 7] = [
        (
            ChangedField::AccountName,
            s.account_name != fields.account_name,
        ),
        (ChangedField::Enabled, s.enabled != fields.enabled),
        (ChangedField::FullName, s.full_name != fields.full_name),
        (ChangedField::Email, s.email != fields.email),
        (ChangedField::Phone, s.phone != fields.phone),
        (ChangedField::Department, s.department != fields.department),
        (
            ChangedField::EntraAttributes,
            !same_user(&s.directory, &incoming),
        ),
    ];
    let changed: Vec<ChangedField> = checks.iter().filter(|(_, c)| *c).map(|(n, _)| *n).collect();
    if s.account_key != fields.account_key {
        if owners.get(&s.account_key) == Some(&me) {
            owners.remove(&s.account_key);
        }
        owners.insert(fields.account_key, me);
    }
    if changed.is_empty() {
        ApplyOutcome::Unchanged
    } else {
        ApplyOutcome::Updated { fields: changed }
    }
}

/// The local user a new Entra ID user is linked to, as the administrator asked: the one that
/// holds the user's account name, and only a local user (an Azure AD user of this or another
/// organization, or an Active Directory user, already signs in elsewhere).
fn link(
    imported: &Imported,
    owners: &mut HashMap<String, Holder>,
    user: &DirectoryUser,
    fields: &ServerFields,
    local_account: &str,
) -> ApplyOutcome {
    let failed = |reason: String| ApplyOutcome::Failed { reason };
    let key = match account_name(local_account) {
        Ok((_, key)) => key,
        Err(e) => return failed(format!("cannot link to {local_account:?}: {e}")),
    };
    if key != fields.account_key {
        return failed(format!(
            "cannot link to the local user {local_account}: only the user with the account name {} can be linked",
            fields.account_name
        ));
    }
    match owners.get(&key) {
        None => failed(format!(
            "cannot link: the local user {local_account} no longer exists"
        )),
        Some(Holder::Stored(id)) if imported.local_accounts.get(&key) == Some(id) => {
            owners.insert(key, Holder::New(user.object_id.clone()));
            ApplyOutcome::Linked {
                local_account: local_account.trim().to_owned(),
            }
        }
        Some(Holder::Stored(_)) => failed(format!(
            "cannot link to {local_account}: it is not a local user (only local users can be linked)"
        )),
        Some(Holder::New(_)) => failed(format!(
            "cannot link to {local_account}: another user of this synchronization takes that account"
        )),
    }
}

/// Equal in everything Entra owns (the object ID is the key, not an attribute).
fn same_user(stored: &DirectoryUser, incoming: &DirectoryUser) -> bool {
    DirectoryUser {
        object_id: String::new(),
        ..stored.clone()
    } == DirectoryUser {
        object_id: String::new(),
        ..incoming.clone()
    }
}

fn decide_group(
    stored: Option<&StoredGroup>,
    group: &DirectoryGroup,
    present: &HashSet<&str>,
) -> ApplyOutcome {
    if group.display_name.trim().is_empty() {
        return ApplyOutcome::Failed {
            reason: "Entra ID returned no display name for this group".into(),
        };
    }
    if let Some(reason) = &group.members_unreadable {
        return ApplyOutcome::Failed {
            reason: reason.clone(),
        };
    }
    let Some(stored) = stored else {
        return ApplyOutcome::Created;
    };
    let s = &stored.directory;
    let mut fields = Vec::new();
    if (
        &s.display_name,
        &s.description,
        &s.mail,
        s.mail_enabled,
        s.security_enabled,
        &s.group_types,
    ) != (
        &group.display_name,
        &group.description,
        &group.mail,
        group.mail_enabled,
        group.security_enabled,
        &group.group_types,
    ) {
        fields.push(ChangedField::EntraAttributes);
    }
    if let Some(members) = &group.members {
        let wanted: HashSet<&str> = members
            .iter()
            .map(String::as_str)
            .filter(|m| present.contains(m))
            .collect();
        let have: HashSet<&str> = s.members.iter().flatten().map(String::as_str).collect();
        if wanted != have {
            fields.push(ChangedField::Members);
        }
    }
    if fields.is_empty() {
        ApplyOutcome::Unchanged
    } else {
        ApplyOutcome::Updated { fields }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Ann as Entra ID returns her. Every field the server copies is set and differs from the
    /// others (mail is not the UPN, a business phone but no mobile phone), so a field taken from
    /// the wrong place changes an outcome below.
    fn ann() -> DirectoryUser {
        DirectoryUser {
            object_id: "o-ann".into(),
            user_principal_name: Some("ann@contoso.com".into()),
            display_name: "Ann Lee".into(),
            given_name: Some("Ann".into()),
            surname: Some("Lee".into()),
            mail: Some("Ann.Lee@Contoso.com".into()),
            job_title: Some("Engineer".into()),
            department: Some("R&D".into()),
            office_location: Some("Building 4".into()),
            mobile_phone: None,
            business_phones: vec!["+1 425 555 0109".into(), "+1 425 555 0110".into()],
            user_type: None,
            account_enabled: true,
            created_in_entra_at: Some("2024-03-01T09:00:00Z".into()),
            on_premises_sync_enabled: Some(false),
            imported_via: String::new(),
        }
    }

    /// Ann as an earlier sync stored her, written out by hand: the expected state never goes
    /// through `server_fields`/`normalized`, so a bug there cannot hide in both sides.
    fn ann_stored() -> StoredUser {
        StoredUser {
            user_id: 1,
            account_name: "ann@contoso.com".into(),
            account_key: "ann@contoso.com".into(),
            enabled: true,
            full_name: "Ann Lee".into(),
            email: "Ann.Lee@Contoso.com".into(),
            // The mobile phone, else the first business phone.
            phone: "+1 425 555 0109".into(),
            department: "R&D".into(),
            directory: DirectoryUser {
                object_id: "o-ann".into(),
                user_principal_name: Some("ann@contoso.com".into()),
                display_name: "Ann Lee".into(),
                given_name: Some("Ann".into()),
                surname: Some("Lee".into()),
                mail: Some("Ann.Lee@Contoso.com".into()),
                job_title: Some("Engineer".into()),
                department: Some("R&D".into()),
                office_location: Some("Building 4".into()),
                mobile_phone: None,
                business_phones: vec!["+1 425 555 0109".into(), "+1 425 555 0110".into()],
                // Stored as Member when Entra ID leaves it out.
                user_type: Some(UserType::Member),
                account_enabled: true,
                created_in_entra_at: Some("2024-03-01T09:00:00Z".into()),
                on_premises_sync_enabled: Some(false),
                imported_via: String::new(),
            },
        }
    }

    /// A minimal directory user (for the ones that are never stored).
    fn user(id: &str, upn: &str) -> DirectoryUser {
        DirectoryUser {
            object_id: id.into(),
            user_principal_name: Some(upn.into()),
            display_name: format!("User {id}"),
            mail: Some(upn.into()),
            account_enabled: true,
            ..DirectoryUser::default()
        }
    }

    fn imported(users: &[StoredUser], locals: &[(i64, &str)]) -> Imported {
        let mut state = Imported::default();
        for s in users {
            state
                .account_owners
                .insert(s.account_key.clone(), s.user_id);
            state.users.insert(s.directory.object_id.clone(), s.clone());
        }
        for (id, key) in locals {
            state.account_owners.insert((*key).to_owned(), *id);
            state.local_accounts.insert((*key).to_owned(), *id);
        }
        state
    }

    /// The items as text; also checks the counters (what the CLI prints and its exit code
    /// reads) against the items, in every case table.
    fn outcomes(plan: &Plan) -> Vec<String> {
        let mut tally = [0u64; 6];
        for item in plan.items() {
            let slot = match item.outcome {
                ApplyOutcome::Created | ApplyOutcome::CreatedAs { .. } => 0,
                ApplyOutcome::Updated { .. } | ApplyOutcome::Linked { .. } => 1,
                ApplyOutcome::Unchanged => 2,
                ApplyOutcome::Disabled { .. } => 3,
                ApplyOutcome::Deleted { .. } => 4,
                ApplyOutcome::Failed { .. } => 5,
            };
            tally[slot] += 1;
        }
        assert_eq!(
            [
                plan.counts.created,
                plan.counts.updated,
                plan.counts.unchanged,
                plan.counts.disabled,
                plan.counts.deleted,
                plan.counts.failed
            ],
            tally,
            "the plan's counters"
        );
        plan.items()
            .map(|i| match &i.outcome {
                ApplyOutcome::Created => format!("{} created", i.object_id),
                ApplyOutcome::CreatedAs { account_name } => {
                    format!("{} created as {account_name}", i.object_id)
                }
                ApplyOutcome::Linked { local_account } => {
                    format!("{} linked to {local_account}", i.object_id)
                }
                ApplyOutcome::Updated { fields } => {
                    let fields: Vec<&str> = fields.iter().map(|f| f.label()).collect();
                    format!("{} updated {}", i.object_id, fields.join("+"))
                }
                ApplyOutcome::Unchanged => format!("{} unchanged", i.object_id),
                ApplyOutcome::Disabled { reason } => format!("{} disabled: {reason}", i.object_id),
                ApplyOutcome::Deleted { reason } => format!("{} deleted: {reason}", i.object_id),
                ApplyOutcome::Failed { reason } => format!("{} failed: {reason}", i.object_id),
            })
            .collect()
    }

    /// What the server copies from a directory user, against values written out by hand.
    #[test]
    fn server_fields_cases() {
        let fields = |account: &str, key: &str, email: &str, phone: &str, department: &str| {
            Ok(ServerFields {
                upn: account.into(),
                account_name: account.into(),
                account_key: key.into(),
                full_name: "Ann Lee".into(),
                email: email.into(),
                phone: phone.into(),
                department: department.into(),
                enabled: true,
            })
        };
        let no_upn = "Entra ID returned no user principal name for this user".to_owned();
        let cases: Vec<(&str, DirectoryUser, Result<ServerFields, String>)> = vec![
            (
                "everything set",
                ann(),
                fields(
                    "ann@contoso.com",
                    "ann@contoso.com",
                    "Ann.Lee@Contoso.com",
                    "+1 425 555 0109",
                    "R&D",
                ),
            ),
            (
                "the mobile phone wins over the business phones",
                DirectoryUser {
                    mobile_phone: Some("+1 425 555 0199".into()),
                    ..ann()
                },
                fields(
                    "ann@contoso.com",
                    "ann@contoso.com",
                    "Ann.Lee@Contoso.com",
                    "+1 425 555 0199",
                    "R&D",
                ),
            ),
            (
                "the name is trimmed, the key lower-cased; missing text is empty",
                DirectoryUser {
                    user_principal_name: Some("  ÄNN@Contoso.com ".into()),
                    mail: None,
                    business_phones: vec![],
                    department: None,
                    ..ann()
                },
                fields("ÄNN@Contoso.com", "änn@contoso.com", "", "", ""),
            ),
            (
                "no UPN",
                DirectoryUser {
                    user_principal_name: None,
                    ..ann()
                },
                Err(no_upn.clone()),
            ),
            (
                "a blank UPN",
                DirectoryUser {
                    user_principal_name: Some("  ".into()),
                    ..ann()
                },
                Err(no_upn),
            ),
        ];
        for (name, user, expected) in cases {
            assert_eq!(server_fields(&user, false, None), expected, "{name}");
        }
    }

    #[test]
    fn user_cases() {
        let ann = ann();
        let stored = || imported(&[ann_stored()], &[]);
        let with = |change: fn(&mut DirectoryUser)| {
            let mut user = ann.clone();
            change(&mut user);
            vec![user]
        };
        let renamed = with(|u| u.user_principal_name = Some("ann.lee@contoso.com".into()));
        let cases: Vec<(&str, Imported, Vec<DirectoryUser>, Vec<&str>)> = vec![
            (
                "new",
                imported(&[], &[]),
                vec![ann.clone()],
                vec!["o-ann created"],
            ),
            ("same", stored(), vec![ann.clone()], vec!["o-ann unchanged"]),
            (
                "the same UPN with spaces around it",
                stored(),
                with(|u| u.user_principal_name = Some(" ann@contoso.com ".into())),
                vec!["o-ann unchanged"],
            ),
            (
                "user type Member said out loud",
                stored(),
                with(|u| u.user_type = Some(UserType::Member)),
                vec!["o-ann unchanged"],
            ),
            (
                "renamed UPN keeps the user",
                stored(),
                renamed.clone(),
                vec!["o-ann updated account name+Entra ID attributes"],
            ),
            (
                "disabled in Entra ID",
                stored(),
                with(|u| u.account_enabled = false),
                vec!["o-ann updated enabled+Entra ID attributes"],
            ),
            (
                "new display name",
                stored(),
                with(|u| u.display_name = "Ann Lee-Smith".into()),
                vec!["o-ann updated full name+Entra ID attributes"],
            ),
            (
                "mail removed",
                stored(),
                with(|u| u.mail = None),
                vec!["o-ann updated e-mail+Entra ID attributes"],
            ),
            (
                "a mobile phone added",
                stored(),
                with(|u| u.mobile_phone = Some("+1 425 555 0199".into())),
                vec!["o-ann updated phone+Entra ID attributes"],
            ),
            (
                "the second business phone changed",
                stored(),
                with(|u| u.business_phones[1] = "+1 425 555 0111".into()),
                vec!["o-ann updated Entra ID attributes"],
            ),
            (
                "moved department",
                stored(),
                with(|u| u.department = Some("Sales".into())),
                vec!["o-ann updated department+Entra ID attributes"],
            ),
            (
                "became a guest",
                stored(),
                with(|u| u.user_type = Some(UserType::Guest)),
                vec!["o-ann updated Entra ID attributes"],
            ),
            (
                "no UPN",
                imported(&[], &[]),
                with(|u| u.user_principal_name = None),
                vec!["o-ann failed: Entra ID returned no user principal name for this user"],
            ),
            (
                "a local user has the name (case-insensitively)",
                imported(&[], &[(7, "ann@contoso.com")]),
                vec![user("o-x", "ANN@Contoso.com")],
                vec![
                    "o-x failed: the account name ANN@Contoso.com is already used by another user",
                ],
            ),
            (
                "two directory users with one name: the first wins",
                imported(&[], &[]),
                vec![ann.clone(), user("o-2", "ANN@contoso.com")],
                vec![
                    "o-ann created",
                    "o-2 failed: the account name ANN@contoso.com is already used by another user",
                ],
            ),
            (
                "a rename frees the old name for a new user",
                stored(),
                vec![renamed[0].clone(), user("o-3", "ann@contoso.com")],
                vec![
                    "o-ann updated account name+Entra ID attributes",
                    "o-3 created",
                ],
            ),
        ];
        for (name, state, users, expected) in cases {
            let changes = DirectoryChanges {
                users,
                ..DirectoryChanges::default()
            };
            let first = plan(&state, &changes);
            assert_eq!(outcomes(&first), expected, "{name}");
            assert_eq!(plan(&state, &changes), first, "{name}: deterministic");
        }
    }

    #[test]
    fn group_cases() {
        let ann = ann();
        let bob = user("o-bob", "bob@contoso.com");
        let group = |members: &[&str]| DirectoryGroup {
            object_id: "g-1".into(),
            display_name: "Sales".into(),
            security_enabled: true,
            members: Some(members.iter().map(|m| (*m).to_owned()).collect()),
            ..DirectoryGroup::default()
        };
        let mut state = imported(&[ann_stored()], &[(9, "bob@contoso.com")]);
        let changes = |users: Vec<DirectoryUser>, groups: Vec<DirectoryGroup>| DirectoryChanges {
            users,
            groups,
            removals: vec![],
            delta: None,
            ..DirectoryChanges::default()
        };
        // New group; bob's clash means he is no member (he was not imported).
        let p = plan(
            &state,
            &changes(vec![bob.clone()], vec![group(&["o-ann", "o-bob"])]),
        );
        assert_eq!(outcomes(&p)[1..], ["g-1 created".to_owned()],);
        state.groups.insert(
            "g-1".into(),
            StoredGroup {
                group_id: 5,
                deleted_in_directory: false,
                directory: group(&["o-ann"]),
            },
        );
        let cases: Vec<(&str, DirectoryGroup, &str)> = vec![
            ("same members", group(&["o-ann"]), "g-1 unchanged"),
            ("a member left", group(&[]), "g-1 updated members"),
            (
                "members unknown to the server are ignored",
                group(&["o-ann", "o-zed"]),
                "g-1 unchanged",
            ),
            (
                "renamed",
                DirectoryGroup {
                    display_name: "Sales EMEA".into(),
                    ..group(&["o-ann"])
                },
                "g-1 updated Entra ID attributes",
            ),
            (
                "memberships untouched when not read",
                DirectoryGroup {
                    members: None,
                    ..group(&[])
                },
                "g-1 unchanged",
            ),
            (
                "no name",
                DirectoryGroup {
                    display_name: " ".into(),
                    ..group(&[])
                },
                "g-1 failed: Entra ID returned no display name for this group",
            ),
            (
                "members not listable",
                DirectoryGroup {
                    display_name: "Board".into(),
                    members: None,
                    members_unreadable: Some("needs Member.Read.Hidden".into()),
                    ..group(&[])
                },
                "g-1 failed: needs Member.Read.Hidden",
            ),
        ];
        for (name, g, expected) in cases {
            let p = plan(&state, &changes(vec![], vec![g]));
            assert_eq!(outcomes(&p), [expected], "{name}");
        }
        // A user created in the same run counts as a member: of a new group, and of a group
        // imported earlier (which then changes).
        let p = plan(
            &imported(&[], &[]),
            &changes(vec![ann], vec![group(&["o-ann"])]),
        );
        assert_eq!(outcomes(&p), ["o-ann created", "g-1 created"]);
        let carl = user("o-carl", "carl@contoso.com");
        let p = plan(
            &state,
            &changes(vec![carl], vec![group(&["o-ann", "o-carl"])]),
        );
        assert_eq!(outcomes(&p), ["o-carl created", "g-1 updated members"]);
        // A user deleted from the server in the same run is no member any more, even where
        // Entra ID still lists him; one only disabled stays a member.
        for (action, expected) in [
            (
                RemovalAction::Delete,
                ["o-ann deleted: gone", "g-1 updated members"],
            ),
            (
                RemovalAction::Disable,
                ["o-ann disabled: gone", "g-1 unchanged"],
            ),
        ] {
            let removal = crate::changes::Removal {
                kind: ObjectKind::User,
                object_id: "o-ann".into(),
                action,
                deletion: None,
                reason: "gone".into(),
            };
            let p = plan(
                &state,
                &DirectoryChanges {
                    removals: vec![removal],
                    ..changes(vec![], vec![group(&["o-ann"])])
                },
            );
            assert_eq!(outcomes(&p), expected);
        }
    }

    /// Conflicts of account names and the administrator's resolutions: each case gives the
    /// outcomes and the conflicts the preview offers to resolve (object ID, linkable).
    #[test]
    fn conflict_cases() {
        use ConflictResolution::{ImportAs, Link};
        let link = |name: &str| Link {
            local_account: name.into(),
        };
        let import_as = |name: &str| ImportAs {
            account_name: name.into(),
        };
        let local_ann = || imported(&[], &[(7, "ann@contoso.com"), (9, "bob@contoso.com")]);
        // Ann's name held by an Azure AD user of another organization.
        let azure_ann = || {
            let mut state = imported(&[], &[]);
            state.account_owners.insert("ann@contoso.com".into(), 8);
            state
        };
        // Ann imported earlier as ann2@contoso.com because a local user holds her UPN.
        let imported_as = || {
            let mut stored = ann_stored();
            stored.account_name = "ann2@contoso.com".into();
            stored.account_key = "ann2@contoso.com".into();
            let mut state = imported(&[stored], &[(7, "ann@contoso.com")]);
            state
                .chosen_names
                .insert("o-ann".into(), "ann2@contoso.com".into());
            state
        };
        type Case = (
            &'static str,
            Imported,
            Option<ConflictResolution>,
            Vec<&'static str>,
            Vec<(&'static str, bool)>,
        );
        let cases: Vec<Case> = vec![
            (
                "a local user holds the name: a conflict that can be linked",
                local_ann(),
                None,
                vec![
                    "o-ann failed: the account name ann@contoso.com is already used by another user",
                ],
                vec![("o-ann", true)],
            ),
            (
                "an Azure AD user holds the name: only another name resolves it",
                azure_ann(),
                None,
                vec![
                    "o-ann failed: the account name ann@contoso.com is already used by another user",
                ],
                vec![("o-ann", false)],
            ),
            (
                "link to the local user, whatever the case of its name",
                local_ann(),
                Some(link("ANN@Contoso.com")),
                vec!["o-ann linked to ANN@Contoso.com"],
                vec![],
            ),
            (
                "link to an Azure AD user is refused",
                azure_ann(),
                Some(link("ann@contoso.com")),
                vec![
                    "o-ann failed: cannot link to ann@contoso.com: it is not a local user (only local users can be linked)",
                ],
                vec![],
            ),
            (
                "link when the local user was deleted meanwhile",
                imported(&[], &[]),
                Some(link("ann@contoso.com")),
                vec!["o-ann failed: cannot link: the local user ann@contoso.com no longer exists"],
                vec![],
            ),
            (
                "link to a local user of another name is refused",
                local_ann(),
                Some(link("bob@contoso.com")),
                vec![
                    "o-ann failed: cannot link to the local user bob@contoso.com: only the user with the account name ann@contoso.com can be linked",
                ],
                vec![],
            ),
            (
                "import as another name",
                local_ann(),
                Some(import_as(" ann2@contoso.com ")),
                vec!["o-ann created as ann2@contoso.com"],
                vec![],
            ),
            (
                "import as a taken name (case-insensitively)",
                local_ann(),
                Some(import_as("BOB@contoso.com")),
                vec![
                    "o-ann failed: the account name BOB@contoso.com is already used by another user",
                ],
                vec![],
            ),
            (
                "import as an empty name",
                local_ann(),
                Some(import_as("  ")),
                vec![
                    "o-ann failed: the account name chosen for this user is not valid: the account name is empty",
                ],
                vec![],
            ),
            (
                "a later run keeps the chosen name",
                imported_as(),
                None,
                vec!["o-ann unchanged"],
                vec![],
            ),
            (
                "a resolution for a user imported earlier changes nothing",
                imported_as(),
                Some(link("ann@contoso.com")),
                vec!["o-ann unchanged"],
                vec![],
            ),
        ];
        for (name, state, resolution, expected, conflicts) in cases {
            let changes = DirectoryChanges {
                users: vec![ann()],
                resolutions: resolution
                    .into_iter()
                    .map(|r| ("o-ann".to_owned(), r))
                    .collect(),
                ..DirectoryChanges::default()
            };
            let p = plan(&state, &changes);
            assert_eq!(outcomes(&p), expected, "{name}");
            let listed: Vec<(&str, bool)> = p
                .conflicts
                .iter()
                .map(|c| (c.object_id.as_str(), c.linkable))
                .collect();
            assert_eq!(listed, conflicts, "{name}: conflicts");
        }
        // Two Entra ID users for one local user: the first link wins, the second is refused.
        let changes = DirectoryChanges {
            users: vec![ann(), user("o-2", "Ann@contoso.com")],
            resolutions: [
                ("o-ann", link("ann@contoso.com")),
                ("o-2", link("ann@contoso.com")),
            ]
            .into_iter()
            .map(|(id, r)| (id.to_owned(), r))
            .collect(),
            ..DirectoryChanges::default()
        };
        assert_eq!(
            outcomes(&plan(&local_ann(), &changes)),
            [
                "o-ann linked to ann@contoso.com",
                "o-2 failed: cannot link to ann@contoso.com: another user of this synchronization takes that account"
            ]
        );
    }
}
