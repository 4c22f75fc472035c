//! The sync apply path: create, update in place by object ID, conflicts, memberships, audit.

use crate::pause::{self, Point};
use crate::support::*;
use aadsync_store::{ApplyOutcome, AuthType, ChangedField, PasswordPolicy, UserType};

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
    assert_eq!(
        (
            first.counts.created,
            first.counts.updated,
            first.counts.failed
        ),
        (3, 0, 0)
    );

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
    assert_eq!((second.counts.created, second.counts.updated), (0, 1));
    assert_eq!(
        second.items[0].outcome,
        ApplyOutcome::Updated {
            fields: vec![
                ChangedField::AccountName,
                ChangedField::Email,
                ChangedField::EntraAttributes
            ]
        }
    );
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
        (third.counts.updated, third.counts.unchanged),
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
    assert_eq!((report.counts.created, report.counts.failed), (1, 2));
    let reasons: Vec<String> = report
        .items
        .iter()
        .filter_map(|i| match &i.outcome {
            ApplyOutcome::Failed { reason } => Some(reason.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(
        reasons,
        [
            "the account name TAKEN@contoso.com is already used by another user",
            "Entra ID returned no user principal name for this user",
        ]
    );
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
    assert_eq!(
        report.items[0].outcome,
        ApplyOutcome::Updated {
            fields: vec![ChangedField::EntraAttributes, ChangedField::Members]
        }
    );
    assert_eq!(member_names("a@contoso.com"), vec!["Sales EMEA"]);
    assert!(member_names("b@contoso.com").is_empty());
    assert_eq!(member_names("c@contoso.com"), vec!["Sales EMEA"]);
    // The audit log says what changed, as the Audit log dialog shows it.
    let item: (String, String, Option<String>, String) = db
        .store
        .writer()
        .connection()
        .query_row(
            "SELECT object_id, outcome, reason, changed_fields FROM sync_run_items
             WHERE run_id = ?1",
            [report.run_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .expect("the run's one item");
    assert_eq!(
        item,
        (
            "g-1".to_owned(),
            "updated".to_owned(),
            None,
            r#"["Entra ID attributes","members"]"#.to_owned()
        )
    );
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
    assert_eq!(first.counts.created, 2);
    let second = db
        .store
        .writer()
        .apply_directory_changes(&run(), &all)
        .expect("apply");
    assert_eq!(
        (
            second.counts.unchanged,
            second.counts.updated,
            second.counts.created
        ),
        (2, 0, 0),
        "{:?}",
        second.items
    );
}

/// Where the interrupted apply is held: one row of each kind of write it makes, in order, up
/// to the last statement before COMMIT.
const INTERRUPT_POINTS: [Point; 6] = [
    Point {
        name: "a new user",
        trigger: "AFTER INSERT ON main.users WHEN NEW.account_name = 'u150@contoso.com'",
    },
    Point {
        name: "the tombstone of a deleted user",
        trigger: "AFTER INSERT ON main.azure_user_tombstones",
    },
    Point {
        name: "a membership",
        trigger: "AFTER INSERT ON main.memberships",
    },
    Point {
        name: "the last audit item",
        trigger: "AFTER INSERT ON main.sync_run_items WHEN NEW.object_id = 'g-3'",
    },
    Point {
        name: "the change-tracking links",
        trigger: "AFTER UPDATE OF users_delta_link ON main.organizations",
    },
    Point {
        name: "the apply marker released, the statement before COMMIT",
        trigger: "AFTER DELETE ON main.sync_apply_marker",
    },
];

/// Contoso saved, a local user, and a first sync of u0..u9 with two groups.
fn seeded_for_interrupt() -> Db {
    let db = contoso_with_carl();
    let users: Vec<_> = (0..10)
        .map(|i| entra_user(&format!("o-{i}"), &format!("u{i}@contoso.com"), "User"))
        .collect();
    let groups = vec![
        entra_group("g-1", "Sales", &["o-0", "o-1", "o-2", "o-3", "o-4"]),
        entra_group("g-2", "Legal", &["o-5"]),
    ];
    db.store
        .writer()
        .apply_directory_changes(&run(), &changes(users, groups))
        .expect("first sync");
    db
}

/// The second sync: every kind of write (update, disable, delete, 200 new users, a changed and
/// a new group, new links).
fn second_sync() -> aadsync_store::DirectoryChanges {
    use aadsync_store::{DeltaLinks, DirectoryDeletion, ObjectKind, Removal, RemovalAction};
    let mut users = vec![entra_user("o-0", "u0.renamed@contoso.com", "User")];
    users.extend(
        (100..300).map(|i| entra_user(&format!("o-{i}"), &format!("u{i}@contoso.com"), "User")),
    );
    let mut work = changes(
        users,
        vec![
            entra_group("g-1", "Sales", &["o-0", "o-3", "o-100", "o-299"]),
            entra_group("g-3", "Support", &["o-4", "o-200"]),
        ],
    );
    work.removals = vec![
        Removal {
            kind: ObjectKind::User,
            object_id: "o-1".into(),
            action: RemovalAction::Disable,
            deletion: Some(DirectoryDeletion::SoftDeleted),
            reason: "deleted in Entra ID".into(),
        },
        Removal {
            kind: ObjectKind::User,
            object_id: "o-2".into(),
            action: RemovalAction::Delete,
            deletion: Some(DirectoryDeletion::HardDeleted),
            reason: "permanently deleted in Entra ID".into(),
        },
    ];
    work.delta = Some(DeltaLinks {
        users: "/users/delta?$deltatoken=2".into(),
        groups: "/groups/delta?$deltatoken=2".into(),
        taken_at: 1_790_000_000,
    });
    work
}

/// What the apply thread tells the test.
enum Event {
    /// The apply wrote the row of the pause point and waits for the test.
    Paused,
    /// The apply returned (with or without pausing).
    Finished,
}

/// Tells the test that the apply returned, also when it panicked.
struct FinishedOnDrop(std::sync::mpsc::Sender<Event>);

impl Drop for FinishedOnDrop {
    fn drop(&mut self) {
        let _ = self.0.send(Event::Finished);
    }
}

#[test]
fn an_apply_interrupted_inside_its_transaction_leaves_every_table_as_before() {
    for point in INTERRUPT_POINTS {
        let db = seeded_for_interrupt();
        let before = dump(db.store.writer().connection());
        let (events, paused) = std::sync::mpsc::channel();
        let (go, wait_for_go) = std::sync::mpsc::channel::<()>();
        let at_pause = events.clone();
        pause::install(db.store.writer().connection(), &point, move || {
            let _ = at_pause.send(Event::Paused);
            let _ = wait_for_go.recv();
        });
        let work = second_sync();
        let result = std::thread::scope(|scope| {
            let apply = scope.spawn(|| {
                // Sent even when the apply panics, so the test fails instead of waiting forever.
                let _finished = FinishedOnDrop(events.clone());
                db.store.writer().apply_directory_changes(&run(), &work)
            });
            match paused.recv().expect("an event") {
                // Cancel, as the app does it: from another thread, through the handle.
                Event::Paused => db.store.interrupt_handle().interrupt(),
                Event::Finished => panic!("{}: the apply never wrote that row", point.name),
            }
            go.send(()).expect("resume the apply");
            apply.join().expect("apply thread")
        });
        assert!(
            matches!(result, Err(aadsync_store::StoreError::Interrupted)),
            "{}: {result:?}",
            point.name
        );
        let writer = db.store.writer();
        pause::remove(writer.connection());
        assert_same(
            &dump(writer.connection()),
            &before,
            &format!("{}: the interrupted apply left a trace", point.name),
        );
        drop(writer);

        // A rerun completes: 10 + 200 directory users less the deleted one, plus carl.
        let report = db
            .store
            .writer()
            .apply_directory_changes(&run(), &second_sync())
            .expect("rerun");
        assert_eq!(
            (
                report.counts.created,
                report.counts.updated,
                report.counts.disabled,
                report.counts.deleted
            ),
            (201, 2, 1, 1),
            "{}",
            point.name
        );
        let writer = db.store.writer();
        let conn = writer.connection();
        let count = |sql: &str| -> i64 { conn.query_row(sql, [], |r| r.get(0)).expect(sql) };
        assert_eq!(count("SELECT count(*) FROM users"), 210, "{}", point.name);
        assert_eq!(
            count("SELECT count(*) FROM sync_runs WHERE status = 'succeeded'"),
            2,
            "{}",
            point.name
        );
        assert_eq!(count("SELECT count(*) FROM sync_runs"), 2, "{}", point.name);
        assert_eq!(
            count("SELECT count(*) FROM sync_run_items WHERE run_id = 2"),
            205,
            "{}",
            point.name
        );
        assert_eq!(
            count("SELECT count(*) FROM azure_user_tombstones WHERE object_id = 'o-2'"),
            1
        );
        assert_eq!(count("SELECT count(*) FROM sync_apply_marker"), 0);
    }
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
    assert_eq!(
        (
            report.counts.disabled,
            report.counts.deleted,
            report.counts.failed
        ),
        (1, 1, 1)
    );
    let outcomes: Vec<_> = report
        .items
        .iter()
        .map(|i| (i.object_id.as_str(), &i.outcome))
        .collect();
    assert_eq!(
        outcomes,
        [
            (
                "o-ann",
                &ApplyOutcome::Disabled {
                    reason: "deleted in Entra ID, restorable for 29 more days".into()
                }
            ),
            (
                "o-bob",
                &ApplyOutcome::Deleted {
                    reason: "permanently deleted in Entra ID".into()
                }
            ),
            (
                "o-zed",
                &ApplyOutcome::Failed {
                    reason: "not imported from this organization".into()
                }
            ),
            (
                "g-1",
                &ApplyOutcome::Updated {
                    fields: vec![ChangedField::Members]
                }
            ),
        ]
    );
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
        .map(|i| (i.kind.as_str(), i.object_id.as_str(), &i.outcome))
        .collect();
    assert_eq!(
        outcomes,
        [
            (
                "group",
                "g-1",
                &ApplyOutcome::Disabled {
                    reason: "deleted in Entra ID, restorable for 30 more days".into()
                }
            ),
            (
                "group",
                "g-2",
                &ApplyOutcome::Deleted {
                    reason: "permanently deleted in Entra ID".into()
                }
            ),
        ]
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
    assert_eq!(
        report.items[0].outcome,
        ApplyOutcome::Updated {
            fields: vec![ChangedField::Members]
        }
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

/// A database holding one synchronization of 5 users.
fn synchronized_store() -> Db {
    let db = fresh();
    db.store
        .writer()
        .apply_directory_changes(&run(), &numbered(0..5))
        .expect("first sync");
    db
}

fn numbered(users: std::ops::Range<usize>) -> aadsync_store::DirectoryChanges {
    let users: Vec<_> = users
        .map(|n| {
            entra_user(
                &format!("00000000-0000-4000-8000-{n:012}"),
                &format!("user{n}@contoso.com"),
                &format!("User {n}"),
            )
        })
        .collect();
    changes(users, vec![])
}

/// The two points where no statement runs and SQLite would ignore an interrupt: right after the
/// transaction starts, and after the last write before the commit. A Cancel seen at either rolls
/// everything back.
#[test]
fn the_store_checks_for_a_cancel_at_the_start_and_before_the_commit() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    for checks_until_cancel in [1, 2] {
        let db = synchronized_store();
        let path = db.dir.path().join("users.sqlite3");
        let before = dump_file(&path);
        let checks = AtomicUsize::new(0);
        let result =
            db.store
                .writer()
                .apply_directory_changes_until(&run(), &numbered(0..40), &|| {
                    checks.fetch_add(1, Ordering::SeqCst) + 1 >= checks_until_cancel
                });
        assert!(
            matches!(result, Err(aadsync_store::StoreError::Interrupted)),
            "cancel at check {checks_until_cancel}: {result:?}"
        );
        assert_eq!(checks.load(Ordering::SeqCst), checks_until_cancel);
        assert_same(
            &dump_file(&path),
            &before,
            &format!("cancel at check {checks_until_cancel}"),
        );
    }
    // Never cancelled: both checks pass and the run commits.
    let db = synchronized_store();
    let checks = AtomicUsize::new(0);
    db.store
        .writer()
        .apply_directory_changes_until(&run(), &numbered(0..40), &|| {
            checks.fetch_add(1, Ordering::SeqCst);
            false
        })
        .expect("apply");
    assert_eq!(checks.load(Ordering::SeqCst), 2);
    assert_eq!(
        dump_file(&db.dir.path().join("users.sqlite3"))["users"].len(),
        40
    );
}
