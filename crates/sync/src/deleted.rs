//! "Check deleted objects": which users and groups imported earlier from a tenant Entra ID no
//! longer has, has disabled, or no longer puts in scope — decided purely from a *complete* read, with a
//! proposed action each, and the mass-deletion threshold.

use aadsync_ipc::Safeguard;
use aadsync_store::plan::Imported;
use aadsync_store::{DecisionAction, DecisionFinding, DirectoryChanges, ObjectKind, Reason};
use std::collections::{BTreeMap, HashMap, HashSet};

/// Days Entra ID keeps a deleted user or Microsoft 365 group in its recycle bin.
pub const RECYCLE_BIN_DAYS: i64 = 30;

/// Why an imported object is listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finding {
    /// In Entra ID's recycle bin: restorable for `days_left` more days.
    SoftDeleted { days_left: i64 },
    /// Gone from Entra ID and its recycle bin.
    HardDeleted,
    /// Still there, but its account is disabled in Entra ID.
    DisabledInEntra,
    /// No reason left to be in scope; `via` is the group it was imported through (it may still
    /// be a member: the root that reached it may have been taken out of the scope).
    OutOfScope { via: String },
}

impl Finding {
    /// The finding as decisions record it.
    pub fn decision_finding(&self) -> DecisionFinding {
        match self {
            Finding::SoftDeleted { .. } => DecisionFinding::SoftDeleted,
            Finding::HardDeleted => DecisionFinding::HardDeleted,
            Finding::DisabledInEntra => DecisionFinding::Disabled,
            Finding::OutOfScope { .. } => DecisionFinding::OutOfScope,
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Finding::SoftDeleted { days_left } => format!(
                "deleted in Entra ID, restorable for {days_left} more day{}",
                if *days_left == 1 { "" } else { "s" }
            ),
            Finding::HardDeleted => "permanently deleted in Entra ID".into(),
            Finding::DisabledInEntra => "disabled in Entra ID".into(),
            Finding::OutOfScope { via } if via.is_empty() => "no longer in scope".into(),
            Finding::OutOfScope { via } => format!("no longer in scope (imported through {via})"),
        }
    }
}

/// What to do on the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Keep,
    Disable,
    Delete,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeletedObject {
    pub kind: ObjectKind,
    pub object_id: String,
    pub display_name: String,
    /// The user's account name; empty for a group.
    pub account: String,
    pub finding: Finding,
    /// The proposal (Disable; the admin may change it per row).
    pub action: Action,
}

/// The state of everything the tenant imported, from a read that completed.
#[derive(Debug, Clone, Default)]
pub struct CompleteRead {
    /// The users read now (present in Entra ID), as `gather` returned them.
    pub changes: DirectoryChanges,
    /// Imported users Graph answered 404 for.
    pub missing_users: Vec<String>,
    /// Imported groups Graph no longer has.
    pub missing_groups: Vec<String>,
    /// Recycle bin (users and groups): object ID → deleted time (seconds since the epoch).
    pub recycle_bin: HashMap<String, i64>,
}

/// The imported users the admin should decide about, ordered by account.
pub fn triage(imported: &Imported, read: &CompleteRead, now: i64) -> Vec<DeletedObject> {
    let present: HashMap<&str, &aadsync_store::DirectoryUser> = read
        .changes
        .users
        .iter()
        .map(|u| (u.object_id.as_str(), u))
        .collect();
    let missing: HashSet<&str> = read.missing_users.iter().map(String::as_str).collect();
    let deletion = |object_id: &str| match read.recycle_bin.get(object_id) {
        Some(deleted_at) => Finding::SoftDeleted {
            days_left: (RECYCLE_BIN_DAYS - (now - deleted_at).div_euclid(86_400)).max(0),
        },
        None => Finding::HardDeleted,
    };
    let mut out = Vec::new();
    for (object_id, stored) in &imported.users {
        let finding = if missing.contains(object_id.as_str()) {
            deletion(object_id)
        } else if let Some(user) = present.get(object_id.as_str()) {
            match present_finding(user, read.changes.scope.as_ref()) {
                Some(finding) => finding,
                None => continue,
            }
        } else {
            // Not read at all: not enough to decide anything.
            continue;
        };
        out.push(DeletedObject {
            kind: ObjectKind::User,
            object_id: object_id.clone(),
            display_name: stored.full_name.clone(),
            account: stored.account_name.clone(),
            action: proposal(imported, object_id, &finding),
            finding,
        });
    }
    for object_id in &read.missing_groups {
        if let Some(stored) = imported.groups.get(object_id) {
            let finding = deletion(object_id);
            out.push(DeletedObject {
                kind: ObjectKind::Group,
                object_id: object_id.clone(),
                display_name: stored.directory.display_name.clone(),
                account: String::new(),
                action: proposal(imported, object_id, &finding),
                finding,
            });
        }
    }
    // Users by account, then groups by name.
    out.sort_by(|a, b| {
        (a.kind == ObjectKind::Group, &a.account, &a.display_name).cmp(&(
            b.kind == ObjectKind::Group,
            &b.account,
            &b.display_name,
        ))
    });
    out
}

/// Why a user Entra ID still has is listed: disabled there, or no reason left to be in scope
/// (no selected group reaches it, and it was not selected itself); `None` when it is fine.
fn present_finding(
    user: &aadsync_store::DirectoryUser,
    scope: Option<&BTreeMap<String, Vec<Reason>>>,
) -> Option<Finding> {
    // A read that did not compute the scope decides nothing about it.
    let in_scope = scope.is_none_or(|s| s.get(&user.object_id).is_some_and(|r| !r.is_empty()));
    if !user.account_enabled {
        Some(Finding::DisabledInEntra)
    } else if !in_scope {
        Some(Finding::OutOfScope {
            via: user.imported_via.clone(),
        })
    } else {
        None
    }
}

/// The action to propose: the administrator's decision in force for the same finding (Keep
/// stays Keep), else Disable.
fn proposal(imported: &Imported, object_id: &str, finding: &Finding) -> Action {
    match imported.decisions.get(object_id) {
        Some(d) if d.finding.same_as(finding.decision_finding()) => match d.action {
            DecisionAction::Keep => Action::Keep,
            DecisionAction::Disable => Action::Disable,
            DecisionAction::Delete => Action::Delete,
        },
        _ => Action::Disable,
    }
}

/// The organization's deletion safeguard, as the administrator set it (10 and 10 by default).
pub fn safeguard_of(org: &aadsync_store::Organization) -> Safeguard {
    Safeguard {
        count: org.threshold_count.into(),
        percent: org.threshold_percent.into(),
    }
}

/// Whether the admin's actions on `objects` need a confirmation ([`Safeguard::exceeded`]).
pub fn needs_confirmation(
    safeguard: &Safeguard,
    objects: &[DeletedObject],
    imported_total: usize,
) -> bool {
    safeguard.exceeded(affected(objects) as u64, imported_total as u64)
}

/// How many of `objects` would be disabled or deleted.
pub fn affected(objects: &[DeletedObject]) -> usize {
    objects.iter().filter(|o| o.action != Action::Keep).count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use aadsync_store::plan::StoredUser;
    use aadsync_store::{DirectoryGroup, DirectoryUser};

    const DAY: i64 = 86_400;

    fn user(id: &str, via: &str, enabled: bool) -> DirectoryUser {
        DirectoryUser {
            object_id: id.into(),
            user_principal_name: Some(format!("{id}@contoso.com")),
            display_name: id.to_uppercase(),
            account_enabled: enabled,
            imported_via: via.into(),
            ..DirectoryUser::default()
        }
    }

    fn imported(users: &[DirectoryUser]) -> Imported {
        let mut state = Imported::default();
        for (n, u) in users.iter().enumerate() {
            state.users.insert(
                u.object_id.clone(),
                StoredUser {
                    user_id: n as i64 + 1,
                    account_name: format!("{}@contoso.com", u.object_id),
                    account_key: format!("{}@contoso.com", u.object_id),
                    enabled: true,
                    full_name: u.display_name.clone(),
                    email: String::new(),
                    phone: String::new(),
                    department: String::new(),
                    directory: u.clone(),
                },
            );
        }
        state
    }

    fn group(name: &str, members: &[&str]) -> DirectoryGroup {
        DirectoryGroup {
            object_id: format!("g-{name}"),
            display_name: name.into(),
            members: Some(members.iter().map(|m| (*m).to_owned()).collect()),
            ..DirectoryGroup::default()
        }
    }

    fn reason(root: &str, path: &str) -> Reason {
        Reason {
            root_id: root.into(),
            path: path.into(),
        }
    }

    fn standing(
        action: DecisionAction,
        finding: DecisionFinding,
    ) -> aadsync_store::StandingDecision {
        aadsync_store::StandingDecision {
            action,
            finding,
            decided_by: "admin@contoso.com".into(),
            decided_at: "2026-11-30T10:00:00Z".into(),
        }
    }

    fn findings(objects: &[DeletedObject]) -> Vec<(String, Finding)> {
        objects
            .iter()
            .map(|o| (o.object_id.clone(), o.finding.clone()))
            .collect()
    }

    #[test]
    fn findings_table() {
        let now = 100 * DAY;
        let earlier = imported(&[
            user("ann", "", true),
            user("bob", "", true),
            user("cid", "", true),
            user("dee", "Sales", true),
            user("eve", "Sales / EMEA", true),
            user("fay", "", true),
            user("gus", "Sales", true),
        ]);
        let read = CompleteRead {
            changes: DirectoryChanges {
                users: vec![
                    user("cid", "", false),
                    user("dee", "Sales", true),
                    user("eve", "Sales / EMEA", true),
                    user("gus", "Sales", true),
                ],
                groups: vec![group("Sales", &["gus"]), group("EMEA", &["eve"])],
                // Dee's only path (Sales) no longer reaches her: no reason left.
                scope: Some(BTreeMap::from([
                    ("eve".to_owned(), vec![reason("g-Sales", "Sales / EMEA")]),
                    ("gus".to_owned(), vec![reason("g-Sales", "Sales")]),
                ])),
                ..DirectoryChanges::default()
            },
            missing_users: vec!["ann".into(), "bob".into()],
            missing_groups: vec![],
            recycle_bin: HashMap::from([("ann".to_owned(), now - 3 * DAY - 5)]),
        };
        let found = triage(&earlier, &read, now);
        assert_eq!(
            findings(&found),
            vec![
                ("ann".into(), Finding::SoftDeleted { days_left: 27 }),
                ("bob".into(), Finding::HardDeleted),
                ("cid".into(), Finding::DisabledInEntra),
                (
                    "dee".into(),
                    Finding::OutOfScope {
                        via: "Sales".into()
                    }
                ),
            ],
            "fay was not read (no decision); eve and gus are still members"
        );
        assert!(found.iter().all(|o| o.action == Action::Disable));
        assert_eq!(
            found[0].finding.describe(),
            "deleted in Entra ID, restorable for 27 more days"
        );
        // Selected directly this time: a reason of her own.
        let mut direct = read.clone();
        if let Some(scope) = direct.changes.scope.as_mut() {
            scope.insert("dee".into(), vec![reason("dee", "")]);
        }
        assert_eq!(triage(&earlier, &direct, now).len(), 3);
        // A read that computed no scope decides nothing about it.
        let mut unknown = read.clone();
        unknown.changes.scope = None;
        assert_eq!(triage(&earlier, &unknown, now).len(), 3);
        // The administrator kept Dee (out of scope) before: Keep is proposed again; a decision
        // about another finding proposes nothing special.
        let mut kept = earlier.clone();
        kept.decisions.insert(
            "dee".into(),
            standing(DecisionAction::Keep, DecisionFinding::OutOfScope),
        );
        kept.decisions.insert(
            "cid".into(),
            standing(DecisionAction::Keep, DecisionFinding::OutOfScope),
        );
        let actions: Vec<(String, Action)> = triage(&kept, &read, now)
            .into_iter()
            .map(|o| (o.object_id, o.action))
            .collect();
        assert_eq!(
            actions,
            [
                ("ann".to_owned(), Action::Disable),
                ("bob".to_owned(), Action::Disable),
                ("cid".to_owned(), Action::Disable),
                ("dee".to_owned(), Action::Keep),
            ]
        );
        // Long in the recycle bin: 0 days left, never negative.
        let mut old = read;
        old.recycle_bin.insert("ann".into(), now - 45 * DAY);
        assert_eq!(
            triage(&earlier, &old, now)[0].finding,
            Finding::SoftDeleted { days_left: 0 }
        );
    }

    #[test]
    fn groups_entra_id_deleted_are_listed_after_the_users() {
        let now = 100 * DAY;
        let mut earlier = imported(&[user("ann", "", true)]);
        for (n, name) in ["Sales", "Legal", "Ops"].iter().enumerate() {
            let g = group(name, &[]);
            earlier.groups.insert(
                g.object_id.clone(),
                aadsync_store::plan::StoredGroup {
                    group_id: n as i64 + 1,
                    deleted_in_directory: false,
                    directory: g,
                },
            );
        }
        let read = CompleteRead {
            missing_users: vec!["ann".into()],
            // "g-Nope" was never imported: nothing to decide.
            missing_groups: vec!["g-Sales".into(), "g-Legal".into(), "g-Nope".into()],
            recycle_bin: HashMap::from([("g-Sales".to_owned(), now - DAY)]),
            ..CompleteRead::default()
        };
        let found = triage(&earlier, &read, now);
        let listed: Vec<(ObjectKind, &str, &Finding)> = found
            .iter()
            .map(|o| (o.kind, o.display_name.as_str(), &o.finding))
            .collect();
        assert_eq!(
            listed,
            vec![
                (ObjectKind::User, "ANN", &Finding::HardDeleted),
                (ObjectKind::Group, "Legal", &Finding::HardDeleted),
                (
                    ObjectKind::Group,
                    "Sales",
                    &Finding::SoftDeleted { days_left: 29 }
                ),
            ]
        );
        let removals = crate::engine::removals(&found);
        assert_eq!(
            removals.iter().map(|r| r.kind).collect::<Vec<_>>(),
            vec![ObjectKind::User, ObjectKind::Group, ObjectKind::Group]
        );
    }

    /// The organization's own safeguard, as saved and read back from a real database, is the
    /// one the engine applies (not the default).
    #[test]
    fn the_threshold_is_the_organizations_as_saved() {
        let dir = tempfile::tempdir().expect("dir");
        let store = aadsync_store::Store::open(
            &dir.path().join("db.sqlite3"),
            &aadsync_store::OpenOptions::default(),
        )
        .expect("store");
        let id = store
            .writer()
            .save_organization(&aadsync_store::NewOrganization {
                tenant_id: "3f1c2e2a-5d0b-4a4f-9f3e-2b8c6a7d9e10".into(),
                display_name: "Contoso".into(),
                primary_domain: "contoso.com".into(),
                cloud: aadsync_store::CloudKind::Global,
                authority_url: "https://login.microsoftonline.com".into(),
                graph_url: "https://graph.microsoft.com".into(),
                client_id: "2f5e7c1a-9b3d-4e8f-a6c2-1d4b8e9f0a37".into(),
                admin_upn: "admin@contoso.com".into(),
                admin_object_id: "7f0e0f8e-0000-4000-8000-000000000001".into(),
                demo: false,
            })
            .expect("save");
        store
            .writer()
            .set_deletion_threshold(id, 25, 5)
            .expect("set");
        let org = store.reader().organization(id).expect("read");
        assert_eq!(
            safeguard_of(&org),
            Safeguard {
                count: 25,
                percent: 5
            }
        );
    }

    #[test]
    fn the_safeguard_boundaries_hold_for_the_engine() {
        let object = |n: u64, action| DeletedObject {
            kind: ObjectKind::User,
            object_id: format!("o-{n}"),
            display_name: String::new(),
            account: String::new(),
            finding: Finding::HardDeleted,
            action,
        };
        for case in aadsync_ipc::safeguard::BOUNDARIES
            .iter()
            .filter(|c| c.affected <= 10_000 && c.imported_total <= usize::MAX as u64)
        {
            // Kept objects never count; disabled and deleted ones do.
            let objects: Vec<_> = (0..case.affected)
                .map(|n| {
                    object(
                        n,
                        if n % 2 == 0 {
                            Action::Disable
                        } else {
                            Action::Delete
                        },
                    )
                })
                .chain((0..5).map(|n| object(100_000 + n, Action::Keep)))
                .collect();
            assert_eq!(
                needs_confirmation(&case.safeguard, &objects, case.imported_total as usize),
                case.exceeded,
                "{}",
                case.why
            );
        }
    }
}
