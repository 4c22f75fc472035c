//! "Undo last synchronization": what the preview counts as lost, what the undo does to every
//! table, and that an undo without its snapshot is refused and changes nothing.

use crate::support::*;
use aadsync_store::{LocalUserEdit, PasswordPolicy, StoreError, UserId};
use std::path::PathBuf;

/// A synchronized database, with the snapshot taken right before the sync (as the sync engine
/// takes it) and the rows as they were then.
struct Synced {
    db: Db,
    snapshot: PathBuf,
    run_id: i64,
    before_sync: Dump,
}

/// Contoso, the local user carl, then a sync of ann and bob with the group Sales.
///
/// The preview counts users whose `updated_at` is later than the run's `finished_at`, both with
/// one-second resolution, and a test runs within one second: instead of sleeping, the sync and
/// everything it wrote are moved an hour into the past, as if it had run an hour ago.
fn synced() -> Synced {
    let db = contoso_with_carl();
    let snapshot = db.dir.path().join("snapshots").join("before-run.sqlite3");
    let mut writer = db.store.writer();
    let before_sync = dump(writer.connection());
    writer.snapshot_to(&snapshot).expect("snapshot");
    let report = writer
        .apply_directory_changes(
            &run(),
            &changes(
                vec![
                    entra_user("o-ann", "ann@contoso.com", "Ann Lee"),
                    entra_user("o-bob", "bob@contoso.com", "Bob Ray"),
                ],
                vec![entra_group("g-1", "Sales", &["o-ann", "o-bob"])],
            ),
        )
        .expect("sync");
    writer
        .set_run_snapshot(report.run_id, &snapshot)
        .expect("record the snapshot");
    writer
        .connection()
        .execute_batch(
            "UPDATE sync_runs SET started_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-1 hour'),
                                  finished_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-1 hour');
             UPDATE users SET updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-1 hour');",
        )
        .expect("an hour ago");
    drop(writer);
    Synced {
        db,
        snapshot,
        run_id: report.run_id,
        before_sync,
    }
}

fn user_id(db: &Db, account: &str) -> UserId {
    db.store
        .reader()
        .user_rows()
        .expect("rows")
        .iter()
        .find(|r| r.account_name == account)
        .map(|r| r.id)
        .expect(account)
}

fn describe(db: &Db, account: &str, description: &str) {
    let id = user_id(db, account);
    let u = db.store.reader().user(id).expect("user");
    let edit = LocalUserEdit {
        account_name: u.account_name,
        full_name: u.full_name,
        email: u.email,
        phone: u.phone,
        department: u.department,
        description: description.into(),
        enabled: u.enabled,
        auth_type: u.auth_type,
        new_password: None,
    };
    db.store
        .writer()
        .update_user(id, &edit, &PasswordPolicy::default())
        .expect("edit");
}

/// `rows` without the audit log, which the undo keeps (and adds to) on purpose.
fn without_audit(mut rows: Dump) -> Dump {
    rows.remove("sync_runs");
    rows.remove("sync_run_items");
    rows
}

#[test]
fn undo_counts_the_users_changed_since_the_sync_and_restores_every_table() {
    let Synced {
        db,
        snapshot,
        run_id,
        before_sync,
    } = synced();
    // After the sync: a local user and an imported user edited, a local user created.
    describe(&db, "carl", "Works remotely");
    describe(&db, "ann@contoso.com", "Team lead");
    db.store
        .writer()
        .create_local_user(&local("dora"), &PasswordPolicy::default())
        .expect("dora");

    let preview = db.store.writer().undo_preview(run_id).expect("preview");
    assert_eq!((preview.run.id, preview.later_user_changes), (run_id, 3));

    let items_before = dump(db.store.writer().connection())["sync_run_items"].clone();
    let undo_id = db
        .store
        .writer()
        .undo_run(run_id, "admin@contoso.com")
        .expect("undo");
    let after = dump(db.store.writer().connection());
    // Every table but the audit log is back to the moment before the sync: ann, bob and Sales
    // are gone, and so are the three later changes (dora, both descriptions).
    assert_same(
        &without_audit(after.clone()),
        &without_audit(before_sync),
        "after the undo",
    );
    assert_eq!(
        after["sync_run_items"], items_before,
        "the run's items are kept"
    );
    let writer = db.store.writer();
    let runs: Vec<(i64, String, String, String, i64, Option<String>)> = writer
        .connection()
        .prepare("SELECT id, kind, status, started_by, created, message FROM sync_runs ORDER BY id")
        .expect("prepare")
        .query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            ))
        })
        .expect("runs")
        .collect::<Result<_, _>>()
        .expect("runs");
    let by = "admin@contoso.com".to_owned();
    assert_eq!(
        runs,
        [
            (run_id, "sync".into(), "undone".into(), by.clone(), 3, None),
            (
                undo_id,
                "undo".into(),
                "succeeded".into(),
                by,
                0,
                Some(format!(
                    "undid run #{run_id} by restoring {} (3 later user changes discarded)",
                    snapshot.display()
                ))
            ),
        ]
    );
}

/// How an undo whose snapshot is unusable is refused.
enum Refusal {
    /// Already by the preview: the file is not there.
    Gone { path_recorded: bool },
    /// By the restore (the preview offers the undo because a file is there).
    Unreadable(&'static str),
}

#[test]
fn undo_without_its_snapshot_is_refused_and_changes_nothing() {
    type Break = fn(&Synced);
    let cases: Vec<(&str, Break, Refusal)> = vec![
        (
            "deleted",
            |s| std::fs::remove_file(&s.snapshot).expect("delete"),
            Refusal::Gone {
                path_recorded: true,
            },
        ),
        (
            "never recorded",
            |s| {
                s.db.store
                    .writer()
                    .connection()
                    .execute("UPDATE sync_runs SET snapshot_path = NULL", [])
                    .expect("forget");
            },
            Refusal::Gone {
                path_recorded: false,
            },
        ),
        (
            "not a database",
            |s| std::fs::write(&s.snapshot, b"not a database, just text").expect("write"),
            Refusal::Unreadable("not a readable aadsync snapshot (file is not a database)"),
        ),
        (
            "a database without a schema",
            |s| {
                std::fs::remove_file(&s.snapshot).expect("delete");
                rusqlite::Connection::open(&s.snapshot)
                    .expect("create")
                    .execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1);")
                    .expect("write");
            },
            Refusal::Unreadable("not an aadsync snapshot (no schema)"),
        ),
    ];
    for (name, break_it, refusal) in cases {
        let synced = synced();
        break_it(&synced);
        let Synced {
            db,
            snapshot,
            run_id,
            ..
        } = &synced;
        let snapshot_bytes = std::fs::read(snapshot).ok();
        let before = dump(db.store.writer().connection());
        let preview = db.store.writer().undo_preview(*run_id);
        let undo = db.store.writer().undo_run(*run_id, "admin@contoso.com");
        match refusal {
            Refusal::Gone { path_recorded } => {
                let shown = if path_recorded {
                    snapshot.display().to_string()
                } else {
                    String::new()
                };
                let expected = format!(
                    "the snapshot taken before run #{run_id} is gone ({shown}); it cannot be undone"
                );
                assert!(
                    matches!(&preview, Err(StoreError::Invalid(m)) if *m == expected),
                    "{name}: {preview:?}"
                );
                assert!(
                    matches!(&undo, Err(StoreError::Invalid(m)) if *m == expected),
                    "{name}: {undo:?}"
                );
            }
            Refusal::Unreadable(detail) => {
                assert_eq!(
                    preview.map(|p| p.later_user_changes).ok(),
                    Some(0),
                    "{name}"
                );
                assert!(
                    matches!(&undo, Err(StoreError::Snapshot { path, detail: d })
                        if path == snapshot && d == detail),
                    "{name}: {undo:?}"
                );
            }
        }
        assert_same(
            &dump(db.store.writer().connection()),
            &before,
            &format!("{name}: the refused undo changed the database"),
        );
        assert_eq!(
            std::fs::read(snapshot).ok(),
            snapshot_bytes,
            "{name}: the snapshot file was changed"
        );
    }
}
