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

fn snapshots(db: &Db) -> usize {
    std::fs::read_dir(db.path.parent().expect("dir").join("snapshots"))
        .map(|d| d.count())
        .unwrap_or(0)
}

#[test]
fn a_cancel_before_synchronize_starts_writes_nothing() {
    let db = synchronized();
    let before = dump(&db.path).expect("dump");
    let snapshots_before = snapshots(&db);
    let cancel = Cancel::default();
    cancel.cancel();
    let result = engine::apply_cancellable(&db.store, &run(), &changes(0..40), &|_| {}, &cancel);
    assert!(matches!(result, Err(SyncError::Cancelled)), "{result:?}");
    let after = dump(&db.path).expect("dump");
    assert_eq!(before, after, "{:?}", before.differences(&after));
    assert_eq!(snapshots(&db), snapshots_before, "no snapshot either");
}

#[test]
fn a_cancel_after_the_snapshot_stops_before_the_transaction() {
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

/// A Cancel that arrives after the commit changes nothing: the run stays committed and
/// succeeded, with its snapshot recorded (a late Cancel used to be able to fail that write).
#[test]
fn a_cancel_after_the_commit_leaves_the_run_committed() {
    let db = synchronized();
    let cancel = Cancel::default();
    let (report, snapshot) =
        engine::apply_cancellable(&db.store, &run(), &changes(0..8), &|_| {}, &cancel)
            .expect("apply");
    cancel.cancel();
    let conn = rusqlite::Connection::open(&db.path).expect("open");
    let (status, recorded): (String, Option<String>) = conn
        .query_row(
            "SELECT status, snapshot_path FROM sync_runs WHERE id = ?1",
            [report.run_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("run");
    assert_eq!(status, "succeeded");
    assert_eq!(recorded, Some(snapshot.display().to_string()));
    let users: i64 = conn
        .query_row("SELECT count(*) FROM users", [], |r| r.get(0))
        .expect("count");
    assert_eq!(users, 8);
}

/// The two points where no statement runs and SQLite would ignore an interrupt: right after the
/// transaction starts, and after the last write before the commit. A Cancel seen at either rolls
/// everything back.
#[test]
fn the_store_checks_for_a_cancel_at_the_start_and_before_the_commit() {
    for checks_until_cancel in [1, 2] {
        let db = synchronized();
        let before = dump(&db.path).expect("dump");
        let checks = std::sync::atomic::AtomicUsize::new(0);
        let result =
            db.store
                .writer()
                .apply_directory_changes_until(&run(), &changes(0..40), &|| {
                    checks.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1
                        >= checks_until_cancel
                });
        assert!(
            matches!(result, Err(aadsync_store::StoreError::Interrupted)),
            "cancel at check {checks_until_cancel}: {result:?}"
        );
        assert_eq!(
            checks.load(std::sync::atomic::Ordering::SeqCst),
            checks_until_cancel
        );
        let after = dump(&db.path).expect("dump");
        assert_eq!(before, after, "{:?}", before.differences(&after));
    }
    // Never cancelled: both checks pass and the run commits.
    let db = synchronized();
    let checks = std::sync::atomic::AtomicUsize::new(0);
    db.store
        .writer()
        .apply_directory_changes_until(&run(), &changes(0..40), &|| {
            checks.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            false
        })
        .expect("apply");
    assert_eq!(checks.load(std::sync::atomic::Ordering::SeqCst), 2);
    assert_eq!(dump(&db.path).expect("dump").rows("users").len(), 40);
}
