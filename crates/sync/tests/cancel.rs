//! Cancel during Synchronize, as the app's Cancel button does it: before the write it stops the
//! run, inside the transaction it rolls back, and either way the database file is exactly as it
//! was (compared table by table, not through the code's own report).
#![allow(clippy::expect_used, clippy::unwrap_used)]

use aadsync_store::{DirectoryChanges, DirectoryGroup, DirectoryUser, OpenOptions, RunInfo, Store};
use aadsync_sync::engine::{self, Cancel, Phase, SyncError};
use aadsync_testenv::db::dump;
use std::path::PathBuf;
use std::time::Duration;

const TENANT: &str = "3f1c2e2a-5d0b-4a4f-9f3e-2b8c6a7d9e10";

fn user(n: usize) -> DirectoryUser {
    DirectoryUser {
        object_id: format!("00000000-0000-0000-0000-{n:012}"),
        user_principal_name: Some(format!("user{n}@contoso.com")),
        display_name: format!("User {n}"),
        account_enabled: true,
        ..DirectoryUser::default()
    }
}

fn changes(users: std::ops::Range<usize>) -> DirectoryChanges {
    let users: Vec<_> = users.map(user).collect();
    DirectoryChanges {
        groups: vec![DirectoryGroup {
            object_id: "g-1".into(),
            display_name: "Everyone".into(),
            security_enabled: true,
            members: Some(users.iter().map(|u| u.object_id.clone()).collect()),
            ..DirectoryGroup::default()
        }],
        users,
        ..DirectoryChanges::default()
    }
}

fn run() -> RunInfo {
    RunInfo {
        tenant_id: TENANT.into(),
        started_by: "admin@contoso.com".into(),
    }
}

struct Db {
    _dir: tempfile::TempDir,
    path: PathBuf,
    store: Store,
}

/// A database that already holds one synchronization of 5 users, so "unchanged" is not
/// trivially true of an empty file.
fn synchronized() -> Db {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("aadsync.sqlite3");
    let store = Store::open(
        &path,
        &OpenOptions {
            busy_timeout: Duration::from_secs(20),
        },
    )
    .expect("store");
    engine::apply(&store, &run(), &changes(0..5), &|_| {}).expect("first sync");
    Db {
        _dir: dir,
        path,
        store,
    }
}

/// Files beside the database and in its backups folder.
fn files(db: &Db) -> usize {
    let dir = db.path.parent().expect("dir");
    let count = |d: std::path::PathBuf| std::fs::read_dir(d).map(|d| d.count()).unwrap_or(0);
    count(dir.to_path_buf()) + count(db.store.backups_dir())
}

#[test]
fn a_cancel_before_synchronize_starts_writes_nothing() {
    let db = synchronized();
    let before = dump(&db.path).expect("dump");
    let files_before = files(&db);
    let cancel = Cancel::default();
    cancel.cancel();
    let result = engine::apply_cancellable(&db.store, &run(), &changes(0..40), &|_| {}, &cancel);
    assert!(matches!(result, Err(SyncError::Cancelled)), "{result:?}");
    let after = dump(&db.path).expect("dump");
    assert_eq!(before, after, "{:?}", before.differences(&after));
    assert_eq!(files(&db), files_before, "no file either");
}

#[test]
fn a_cancel_as_the_write_starts_stops_before_the_transaction() {
    let db = synchronized();
    let before = dump(&db.path).expect("dump");
    let cancel = Cancel::default();
    let result = engine::apply_cancellable(
        &db.store,
        &run(),
        &changes(0..40),
        &|p| {
            if p.phase == Phase::Writing {
                cancel.cancel();
            }
        },
        &cancel,
    );
    assert!(matches!(result, Err(SyncError::Cancelled)), "{result:?}");
    let after = dump(&db.path).expect("dump");
    assert_eq!(before, after, "{:?}", before.differences(&after));
}

/// Another connection holds the write lock, so the apply is inside its transaction (or about to
/// be) when Cancel comes, whatever the timing; the lock is released only after the Cancel.
#[test]
fn a_cancel_while_the_write_waits_rolls_back_and_a_rerun_completes() {
    let db = synchronized();
    let before = dump(&db.path).expect("dump");
    let blocker = rusqlite::Connection::open(&db.path).expect("blocker");
    blocker
        .execute_batch("BEGIN IMMEDIATE")
        .expect("hold the write lock");
    let cancel = Cancel::default();
    let (writing_tx, writing_rx) = std::sync::mpsc::channel();
    let result = std::thread::scope(|scope| {
        let apply = scope.spawn(|| {
            // Owned by this thread: if the apply returns without reaching the write, the test's
            // wait ends at once instead of at its timeout.
            let writing_tx = writing_tx;
            engine::apply_cancellable(
                &db.store,
                &run(),
                &changes(0..40),
                &|p| {
                    if p.phase == Phase::Writing {
                        writing_tx.send(()).expect("report");
                    }
                },
                &cancel,
            )
        });
        writing_rx
            .recv_timeout(Duration::from_secs(30))
            .expect("the write phase starts");
        cancel.cancel();
        blocker.execute_batch("ROLLBACK").expect("release");
        apply.join().expect("apply thread")
    });
    assert!(matches!(result, Err(SyncError::Cancelled)), "{result:?}");
    let after = dump(&db.path).expect("dump");
    assert_eq!(before, after, "{:?}", before.differences(&after));

    // The same changes without a Cancel: committed, 35 more users.
    engine::apply(&db.store, &run(), &changes(0..40), &|_| {}).expect("rerun");
    let rerun = dump(&db.path).expect("dump");
    assert_eq!(rerun.rows("users").len(), 40);
}

/// Calls `hook` from inside the statement that fires the TEMP trigger `head` on the store's write
/// connection (the first time only), and counts how often the trigger fired. The trigger's body
/// loops over two rows so that SQLite looks for an interrupt again after the hook, inside the
/// same statement (it ignores one given while no statement runs).
fn on_write(
    store: &Store,
    head: &str,
    hook: impl Fn() + Send + 'static,
) -> std::sync::Arc<std::sync::atomic::AtomicUsize> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let fired = std::sync::Arc::new(AtomicUsize::new(0));
    let count = std::sync::Arc::clone(&fired);
    let writer = store.writer();
    writer
        .connection()
        .create_scalar_function(
            "aadsync_test_hook",
            1,
            rusqlite::functions::FunctionFlags::SQLITE_UTF8,
            move |ctx| {
                let row: i64 = ctx.get(0)?;
                if row == 1 && count.fetch_add(1, Ordering::SeqCst) == 0 {
                    hook();
                }
                Ok(row)
            },
        )
        .expect("function");
    writer
        .connection()
        .execute_batch(&format!(
            "CREATE TEMP TRIGGER aadsync_test_hook {head} BEGIN
                 SELECT aadsync_test_hook(x) FROM (SELECT 1 AS x UNION ALL SELECT 2);
             END;"
        ))
        .expect("trigger");
    fired
}

/// Cancel while a statement of the apply runs (here: inserting the first new user): SQLite stops
/// that statement, nothing after it runs, and the transaction rolls back.
#[test]
fn a_cancel_during_a_statement_interrupts_it_and_rolls_back() {
    let db = synchronized();
    let before = dump(&db.path).expect("dump");
    let cancel = std::sync::Arc::new(Cancel::default());
    let inside = std::sync::Arc::clone(&cancel);
    let fired = on_write(&db.store, "AFTER INSERT ON main.users", move || {
        inside.cancel()
    });
    let result = engine::apply_cancellable(&db.store, &run(), &changes(0..40), &|_| {}, &cancel);
    assert!(matches!(result, Err(SyncError::Cancelled)), "{result:?}");
    assert_eq!(
        fired.load(std::sync::atomic::Ordering::SeqCst),
        1,
        "the insert that saw the Cancel was the last statement"
    );
    let after = dump(&db.path).expect("dump");
    assert_eq!(before, after, "{:?}", before.differences(&after));
}

/// A Cancel that arrives with the run's last write (its changeset, after the items) still
/// rolls the whole run back; one that arrives after the commit changes nothing: the run stays
/// committed and succeeded.
#[test]
fn a_cancel_at_the_last_write_rolls_back_and_one_after_the_commit_changes_nothing() {
    let db = synchronized();
    let before = dump(&db.path).expect("dump");
    let cancel = std::sync::Arc::new(Cancel::default());
    let inside = std::sync::Arc::clone(&cancel);
    let fired = on_write(
        &db.store,
        "AFTER INSERT ON main.sync_run_change_parts",
        move || inside.cancel(),
    );
    let result = engine::apply_cancellable(&db.store, &run(), &changes(0..8), &|_| {}, &cancel);
    assert!(matches!(result, Err(SyncError::Cancelled)), "{result:?}");
    assert_eq!(fired.load(std::sync::atomic::Ordering::SeqCst), 1);
    let after = dump(&db.path).expect("dump");
    assert_eq!(before, after, "{:?}", before.differences(&after));

    let cancel = Cancel::default();
    let (report, _) =
        engine::apply_cancellable(&db.store, &run(), &changes(0..8), &|_| {}, &cancel)
            .expect("no Cancel");
    cancel.cancel();
    let conn = rusqlite::Connection::open(&db.path).expect("open");
    let status: String = conn
        .query_row(
            "SELECT status FROM sync_runs WHERE id = ?1",
            [report.run_id],
            |r| r.get(0),
        )
        .expect("run");
    assert_eq!(status, "succeeded");
    assert_eq!(dump(&db.path).expect("dump").rows("users").len(), 8);
}
