//! The sync apply path: create, update in place by object ID, conflicts, memberships, audit.

use crate::support::*;
use aadsync_store::{ApplyOutcome, AuthType, PasswordPolicy, UserType};

#[test]
fn creates_then_updates_the_same_user_after_a_rename() {
    let db = fresh();
    let mut ann = entra_user("o-1", "ann@contoso.com", "Ann Lee");
    let mut guest = entra_user(
        "o-2",
        "pat_fabrikam.com#EXT#@contoso.onmicrosoft.com",
        "Pat Guest",
    );
    guest.user_type = Some(UserType::Guest);
    guest.mail = None;
    let mut off = entra_user("o-3", "old@contoso.com", "Olga Off");
    off.account_enabled = false;
    let first = db
        .store
        .writer()
        .apply_directory_changes(&run(), &changes(vec![ann.clone(), guest, off], vec![]))
        .expect("apply");
    assert_eq!((first.created, first.updated, first.failed), (3, 0, 0));

    let rows = db.store.reader().user_rows().expect("rows");
    let ann_id = rows
        .iter()
        .find(|r| r.account_name == "ann@contoso.com")
        .map(|r| r.id)
        .expect("ann");
    assert!(rows.iter().all(|r| r.auth_type == AuthType::AzureAd));
    let olga = rows
        .iter()
        .find(|r| r.account_name == "old@contoso.com")
        .expect("olga");
    assert!(
        !olga.enabled,
        "disabled in Entra ID → disabled on the server"
    );
    let pat = rows
        .iter()
        .find(|r| r.full_name == "Pat Guest")
        .expect("pat");
    assert_eq!(pat.user_type, Some(UserType::Guest));

    // Rename in Entra ID: same object ID, new UPN and mail → the same server user, updated.
    ann.user_principal_name = Some("ann.lee@contoso.com".into());
    ann.mail = Some("ann.lee@contoso.com".into());
    ann.job_title = Some("Principal Engineer".into());
    let second = db
        .store
        .writer()
        .apply_directory_changes(&run(), &changes(vec![ann.clone()], vec![]))
        .expect("apply");
    assert_eq!((second.created, second.updated), (0, 1));
    match &second.items[0].outcome {
        ApplyOutcome::Updated { fields } => {
            assert!(
                fields.contains(&"account name") && fields.contains(&"e-mail"),
                "{fields:?}"
            )
        }
        other => panic!("expected an update, got {other:?}"),
    }
    let user = db.store.reader().user(ann_id).expect("same id");
    assert_eq!(user.account_name, "ann.lee@contoso.com");
    let azure = user.azure.expect("azure tab");
    assert_eq!(azure.job_title.as_deref(), Some("Principal Engineer"));
    assert_eq!(azure.tenant_id, TENANT);
    assert_eq!(azure.business_phones, vec!["+1 425 555 0109".to_owned()]);

    let third = db
        .store
        .writer()
        .apply_directory_changes(&run(), &changes(vec![ann], vec![]))
        .expect("apply");
    assert_eq!(
        (third.updated, third.unchanged),
        (0, 1),
        "no change → unchanged"
    );
}

#[test]
fn conflicts_are_per_object_and_the_rest_continues() {
    let db = fresh();
    db.store
        .writer()
        .create_local_user(&local("taken@contoso.com"), &PasswordPolicy::default())
        .expect("local");
    let mut no_upn = entra_user("o-5", "x", "No Upn");
    no_upn.user_principal_name = None;
    let report = db
        .store
        .writer()
        .apply_directory_changes(
            &run(),
            &changes(
                vec![
                    entra_user("o-4", "TAKEN@contoso.com", "Clash Case"),
                    no_upn,
                    entra_user("o-6", "fine@contoso.com", "Fine User"),
                ],
                vec![],
            ),
        )
        .expect("apply");
    assert_eq!((report.created, report.failed), (1, 2));
    let reasons: Vec<String> = report
        .items
        .iter()
        .filter_map(|i| match &i.outcome {
            ApplyOutcome::Failed { reason } => Some(reason.clone()),
            _ => None,
        })
        .collect();
    assert!(
        reasons[0].contains("already used by another user"),
        "{reasons:?}"
    );
    assert!(reasons[1].contains("no user principal name"), "{reasons:?}");
    // The local user is untouched.
    let rows = db.store.reader().user_rows().expect("rows");
    let local = rows
        .iter()
        .find(|r| r.account_name == "taken@contoso.com")
        .expect("local");
    assert_eq!(local.auth_type, AuthType::Local);
}

#[test]
fn groups_and_memberships_follow_the_directory() {
    let db = fresh();
    let users = vec![
        entra_user("u-1", "a@contoso.com", "A One"),
        entra_user("u-2", "b@contoso.com", "B Two"),
        entra_user("u-3", "c@contoso.com", "C Three"),
    ];
    let sales = entra_group("g-1", "Sales", &["u-1", "u-2", "not-imported"]);
    db.store
        .writer()
        .apply_directory_changes(&run(), &changes(users.clone(), vec![sales]))
        .expect("apply");
    let member_names = |upn: &str| -> Vec<String> {
        let rows = db.store.reader().user_rows().expect("rows");
        let id = rows
            .iter()
            .find(|r| r.account_name == upn)
            .map(|r| r.id)
            .expect("user");
        db.store
            .reader()
            .user(id)
            .expect("u")
            .member_of
            .into_iter()
            .map(|g| g.name)
            .collect()
    };
    assert_eq!(member_names("a@contoso.com"), vec!["Sales"]);
    assert!(member_names("c@contoso.com").is_empty());

    // B leaves, C joins, the group is renamed.
    let sales = entra_group("g-1", "Sales EMEA", &["u-1", "u-3"]);
    let report = db
        .store
        .writer()
        .apply_directory_changes(&run(), &changes(vec![], vec![sales]))
        .expect("apply");
    assert!(
        matches!(&report.items[0].outcome, ApplyOutcome::Updated { fields } if fields.contains(&"members"))
    );
    assert_eq!(member_names("a@contoso.com"), vec!["Sales EMEA"]);
    assert!(member_names("b@contoso.com").is_empty());
    assert_eq!(member_names("c@contoso.com"), vec!["Sales EMEA"]);
}

#[test]
fn every_run_is_in_the_audit_log() {
    let db = fresh();
    let report = db
        .store
        .writer()
        .apply_directory_changes(
            &run(),
            &changes(
                vec![entra_user("o-1", "ann@contoso.com", "Ann Lee")],
                vec![],
            ),
        )
        .expect("apply");
    let writer = db.store.writer();
    let (status, created, by): (String, i64, String) = writer
        .connection()
        .query_row(
            "SELECT status, created, started_by FROM sync_runs WHERE id = ?1",
            [report.run_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .expect("run");
    assert_eq!(
        (status.as_str(), created, by.as_str()),
        ("succeeded", 1, "admin@contoso.com")
    );
    let items: i64 = writer
        .connection()
        .query_row(
            "SELECT count(*) FROM sync_run_items WHERE run_id = ?1",
            [report.run_id],
            |r| r.get(0),
        )
        .expect("items");
    assert_eq!(items, 1);
    let marker: i64 = writer
        .connection()
        .query_row("SELECT count(*) FROM sync_apply_marker", [], |r| r.get(0))
        .expect("marker");
    assert_eq!(marker, 0, "the apply marker never outlives its transaction");
}

#[test]
fn an_identical_resync_changes_nothing() {
    let db = fresh();
    let users = vec![entra_user("u-1", "a@contoso.com", "A One")];
    let mut group = entra_group("g-1", "Sales", &["u-1"]);
    group.mail = Some("sales@contoso.com".into());
    group.mail_enabled = true;
    group.group_types = vec!["Unified".into()];
    let all = changes(users, vec![group]);
    let first = db
        .store
        .writer()
        .apply_directory_changes(&run(), &all)
        .expect("apply");
    assert_eq!(first.created, 2);
    let second = db
        .store
        .writer()
        .apply_directory_changes(&run(), &all)
        .expect("apply");
    assert_eq!(
        (second.unchanged, second.updated, second.created),
        (2, 0, 0),
        "{:?}",
        second.items
    );
}

#[test]
fn an_interrupted_apply_rolls_back_completely() {
    let db = fresh();
    let users: Vec<_> = (0..30_000)
        .map(|i| entra_user(&format!("o-{i}"), &format!("u{i}@contoso.com"), "User"))
        .collect();
    let handle = db.store.interrupt_handle();
    let stopper = std::thread::spawn(move || {
        for _ in 0..400 {
            std::thread::sleep(std::time::Duration::from_millis(2));
            handle.interrupt();
        }
    });
    let result = db
        .store
        .writer()
        .apply_directory_changes(&run(), &changes(users, vec![]));
    stopper.join().expect("stopper");
    assert!(
        matches!(result, Err(aadsync_store::StoreError::Interrupted)),
        "{result:?}"
    );
    assert_eq!(db.store.reader().count_users().expect("count"), 0);
    let runs: i64 = db
        .store
        .writer()
        .connection()
        .query_row("SELECT count(*) FROM sync_runs", [], |r| r.get(0))
        .expect("runs");
    assert_eq!(runs, 0, "not even the run record is left");
    // The database works normally afterwards.
    let report = db
        .store
        .writer()
        .apply_directory_changes(
            &run(),
            &changes(vec![entra_user("o-1", "ann@contoso.com", "Ann")], vec![]),
        )
        .expect("apply after");
    assert_eq!(report.created, 1);
}

#[test]
fn removals_disable_or_delete_with_a_tombstone_and_are_audited() {
    use aadsync_store::{ApplyOutcome, DirectoryDeletion, ObjectKind, Removal, RemovalAction};
    let db = fresh();
    let ann = entra_user("o-ann", "ann@contoso.com", "Ann Lee");
    let bob = entra_user("o-bob", "bob@contoso.com", "Bob Ray");
    let group = entra_group("g-1", "Sales", &["o-ann", "o-bob"]);
    db.store
        .writer()
        .apply_directory_changes(
            &run(),
            &changes(vec![ann.clone(), bob], vec![group.clone()]),
        )
        .expect("import");
    let mut next = changes(vec![], vec![entra_group("g-1", "Sales", &["o-ann"])]);
    next.removals = vec![
        Removal {
            kind: ObjectKind::User,
            object_id: "o-ann".into(),
            action: RemovalAction::Disable,
            deletion: Some(DirectoryDeletion::SoftDeleted),
            reason: "deleted in Entra ID, restorable for 29 more days".into(),
        },
        Removal {
            kind: ObjectKind::User,
            object_id: "o-bob".into(),
            action: RemovalAction::Delete,
            deletion: Some(DirectoryDeletion::HardDeleted),
            reason: "permanently deleted in Entra ID".into(),
        },
        Removal {
            kind: ObjectKind::User,
            object_id: "o-zed".into(),
            action: RemovalAction::Delete,
            deletion: None,
            reason: "x".into(),
        },
    ];
    let report = db
        .store
        .writer()
        .apply_directory_changes(&run(), &next)
        .expect("removals");
    assert_eq!((report.disabled, report.deleted, report.failed), (1, 1, 1));
    let outcomes: Vec<_> = report
        .items
        .iter()
        .map(|i| (i.object_id.as_str(), &i.outcome))
        .collect();
    assert!(matches!(
        outcomes[0],
        ("o-ann", ApplyOutcome::Disabled { .. })
    ));
    assert!(matches!(
        outcomes[1],
        ("o-bob", ApplyOutcome::Deleted { .. })
    ));
    let rows = db.store.reader().user_rows().expect("rows");
    assert_eq!(rows.len(), 1, "bob is gone");
    assert!(!rows[0].enabled, "ann is disabled");
    let conn = db.store.writer();
    let conn = conn.connection();
    let state: String = conn
        .query_row("SELECT deleted_in_directory FROM azure_users", [], |r| {
            r.get(0)
        })
        .expect("state");
    assert_eq!(state, "soft_deleted");
    let tomb: String = conn
        .query_row(
            "SELECT user_principal_name FROM azure_user_tombstones WHERE object_id = 'o-bob'",
            [],
            |r| r.get(0),
        )
        .expect("tombstone");
    assert_eq!(tomb, "bob@contoso.com");
    let audited: Vec<String> = conn
        .prepare("SELECT outcome FROM sync_run_items WHERE run_id = ?1 ORDER BY id")
        .expect("prepare")
        .query_map([report.run_id], |r| r.get(0))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("items");
    assert_eq!(audited, ["disabled", "deleted", "failed", "updated"]);
    let (disabled, deleted): (i64, i64) = conn
        .query_row(
            "SELECT disabled, deleted FROM sync_runs WHERE id = ?1",
            [report.run_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("run");
    assert_eq!((disabled, deleted), (1, 1));
}

#[test]
fn a_group_deleted_in_entra_id_is_emptied_or_deleted_and_its_users_stay() {
    use aadsync_store::{ApplyOutcome, DirectoryDeletion, ObjectKind, Removal, RemovalAction};
    let db = fresh();
    let users = vec![
        entra_user("u-1", "a@contoso.com", "A One"),
        entra_user("u-2", "b@contoso.com", "B Two"),
    ];
    let groups = vec![
        entra_group("g-1", "Sales", &["u-1", "u-2"]),
        entra_group("g-2", "Legal", &["u-1"]),
    ];
    db.store
        .writer()
        .apply_directory_changes(&run(), &changes(users, groups))
        .expect("import");
    let mut next = changes(vec![], vec![]);
    next.removals = vec![
        Removal {
            kind: ObjectKind::Group,
            object_id: "g-1".into(),
            action: RemovalAction::Disable,
            deletion: Some(DirectoryDeletion::SoftDeleted),
            reason: "deleted in Entra ID, restorable for 30 more days".into(),
        },
        Removal {
            kind: ObjectKind::Group,
            object_id: "g-2".into(),
            action: RemovalAction::Delete,
            deletion: Some(DirectoryDeletion::HardDeleted),
            reason: "permanently deleted in Entra ID".into(),
        },
    ];
    let report = db
        .store
        .writer()
        .apply_directory_changes(&run(), &next)
        .expect("removals");
    let outcomes: Vec<_> = report
        .items
        .iter()
        .map(|i| (i.object_type, i.object_id.as_str(), &i.outcome))
        .collect();
    assert!(
        matches!(outcomes[0], ("group", "g-1", ApplyOutcome::Disabled { .. })),
        "{outcomes:?}"
    );
    assert!(
        matches!(outcomes[1], ("group", "g-2", ApplyOutcome::Deleted { .. })),
        "{outcomes:?}"
    );
    let writer = db.store.writer();
    let conn = writer.connection();
    let count = |sql: &str| -> i64 { conn.query_row(sql, [], |r| r.get(0)).expect(sql) };
    assert_eq!(count("SELECT count(*) FROM users"), 2, "the users stay");
    assert_eq!(
        count("SELECT count(*) FROM memberships"),
        0,
        "no group grants anything"
    );
    assert_eq!(count("SELECT count(*) FROM groups WHERE name = 'Legal'"), 0);
    assert_eq!(
        count(
            "SELECT count(*) FROM azure_groups WHERE object_id = 'g-1' AND deleted_in_directory = 'soft_deleted'"
        ),
        1
    );
    drop(writer);
    // Restored in Entra ID: the next sync gives the same group its members and clears the mark.
    let report = db
        .store
        .writer()
        .apply_directory_changes(
            &run(),
            &changes(vec![], vec![entra_group("g-1", "Sales", &["u-1", "u-2"])]),
        )
        .expect("restore");
    assert!(
        matches!(&report.items[0].outcome, ApplyOutcome::Updated { fields } if fields.contains(&"members"))
    );
    let writer = db.store.writer();
    let conn = writer.connection();
    let count = |sql: &str| -> i64 { conn.query_row(sql, [], |r| r.get(0)).expect(sql) };
    assert_eq!(count("SELECT count(*) FROM memberships"), 2);
    assert_eq!(
        count("SELECT count(*) FROM azure_groups WHERE deleted_in_directory IS NOT NULL"),
        0
    );
}
