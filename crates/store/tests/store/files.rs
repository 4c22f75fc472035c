//! Bad files at the database path: refused clearly and never overwritten. Locks: waited for,
//! then reported.

use crate::support::*;
use aadsync_store::{MIGRATIONS, PasswordPolicy, Store, StoreError};
use rusqlite::Connection;

#[test]
fn migrations_are_valid() {
    if let Err(err) = MIGRATIONS.validate() {
        panic!("{err}");
    }
}

#[test]
fn reopening_keeps_data_and_schema() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("nested").join("dirs").join("db.sqlite3");
    {
        let store = Store::open(&path, &quick()).expect("create");
        store
            .writer()
            .create_local_user(&local("kept"), &PasswordPolicy::default())
            .expect("user");
    }
    let store = Store::open(&path, &quick()).expect("reopen");
    assert_eq!(store.reader().count_users().expect("count"), 1);
    let mode: String = store
        .writer()
        .connection()
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .expect("mode");
    assert_eq!(mode, "wal");
}

#[test]
fn foreign_files_are_refused_and_left_alone() {
    let dir = tempfile::tempdir().expect("dir");
    let cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "text.sqlite3",
            b"name,email\nalice,alice@example.org\n".to_vec(),
        ),
        ("binary.sqlite3", (0..=255u8).cycle().take(8192).collect()),
        ("almost.sqlite3", b"SQLite format 2\0rest".to_vec()),
    ];
    for (name, bytes) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, &bytes).expect("write");
        let err = Store::open(&path, &quick()).err();
        assert!(
            matches!(err, Some(StoreError::NotADatabase { .. })),
            "{name}: {err:?}"
        );
        assert_eq!(
            std::fs::read(&path).expect("read"),
            bytes,
            "{name} was modified"
        );
        let message = err.map(|e| e.to_string()).unwrap_or_default();
        assert_eq!(
            message,
            format!(
                "{} is not an aadsync database (it is not an SQLite file). aadsync has not changed it: choose another file with --db, or move this one away",
                path.display()
            )
        );
    }
}

#[test]
fn a_damaged_database_is_reported_not_rewritten() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("db.sqlite3");
    {
        let store = Store::open(&path, &quick()).expect("create");
        store
            .writer()
            .create_local_user(&local("x"), &PasswordPolicy::default())
            .expect("user");
        store
            .writer()
            .connection()
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .expect("checkpoint");
    }
    let _ = std::fs::remove_file(dir.path().join("db.sqlite3-wal"));
    let mut bytes = std::fs::read(&path).expect("read");
    // Scribble over the schema page after the 100-byte file header.
    for b in &mut bytes[100..1200] {
        *b = 0xA5;
    }
    std::fs::write(&path, &bytes).expect("write");
    let err = Store::open(&path, &quick()).err();
    assert!(
        matches!(&err, Some(StoreError::Corrupt { path: p, detail })
            if *p == path && detail == "database disk image is malformed"),
        "{err:?}"
    );
    assert_eq!(
        std::fs::read(&path).expect("read"),
        bytes,
        "damaged file was modified"
    );
}

#[test]
fn a_write_lock_held_elsewhere_is_reported_then_released() {
    let db = fresh();
    let other = Connection::open(db.store.path()).expect("second connection");
    other.execute_batch("BEGIN EXCLUSIVE").expect("lock");
    let err = db
        .store
        .writer()
        .create_local_user(&local("blocked"), &PasswordPolicy::default())
        .err();
    assert!(matches!(&err, Some(StoreError::Locked { .. })), "{err:?}");
    assert!(err.is_some_and(|e| e.is_retryable()));
    other.execute_batch("COMMIT").expect("unlock");
    db.store
        .writer()
        .create_local_user(&local("blocked"), &PasswordPolicy::default())
        .expect("after the lock is gone");
}

#[test]
fn opening_a_locked_new_database_fails_clearly() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("db.sqlite3");
    // A plain (rollback-journal) SQLite file whose writer holds an exclusive lock.
    let other = Connection::open(&path).expect("create");
    other
        .execute_batch("CREATE TABLE t (x); BEGIN EXCLUSIVE; INSERT INTO t VALUES (1);")
        .expect("lock");
    let err = Store::open(&path, &quick()).err();
    assert!(matches!(err, Some(StoreError::Locked { .. })), "{err:?}");
    other.execute_batch("COMMIT").expect("unlock");
}

#[test]
fn a_newer_schema_is_refused() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("db.sqlite3");
    drop(Store::open(&path, &quick()).expect("create"));
    Connection::open(&path)
        .expect("open")
        .execute_batch("PRAGMA user_version = 99")
        .expect("bump");
    let err = Store::open(&path, &quick()).err();
    assert!(
        matches!(err, Some(StoreError::TooNew { found: 99, .. })),
        "{err:?}"
    );
}
