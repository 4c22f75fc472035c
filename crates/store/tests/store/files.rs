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

/// Another program's SQLite file (issue 14): refused before anything writes to it, whatever
/// its user_version, and left byte-identical.
#[test]
fn another_programs_sqlite_file_is_refused_and_left_byte_identical() {
    let dir = tempfile::tempdir().expect("dir");
    let cases = [
        (
            "places.sqlite",
            "CREATE TABLE moz_places (id INTEGER PRIMARY KEY, url TEXT);",
        ),
        (
            "app-v5.db",
            "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT); PRAGMA user_version = 5;",
        ),
        ("other-id.db", "PRAGMA application_id = 1234;"),
        (
            "other-id-our-tables.db",
            "PRAGMA application_id = 1234; PRAGMA user_version = 6;
             CREATE TABLE users (id, account_name, account_key, auth_type, password_hash);
             CREATE TABLE sync_runs (id, organization_id, tenant_id, started_by, status);",
        ),
    ];
    for (name, sql) in cases {
        let path = dir.path().join(name);
        Connection::open(&path)
            .and_then(|c| c.execute_batch(sql))
            .expect("foreign database");
        let bytes = std::fs::read(&path).expect("read");
        let err = Store::open(&path, &quick()).err();
        assert!(
            matches!(&err, Some(StoreError::NotOurs { path: p }) if *p == path),
            "{name}: {err:?}"
        );
        assert_eq!(
            std::fs::read(&path).expect("read"),
            bytes,
            "{name} was modified"
        );
        assert!(
            !dir.path().join(format!("{name}-wal")).exists(),
            "{name}: a WAL was created"
        );
        let message = err.map(|e| e.to_string()).unwrap_or_default();
        assert!(
            message.contains("another program's SQLite database")
                && message.contains("has not changed it"),
            "{message}"
        );
    }
}

fn application_id(path: &std::path::Path) -> (i64, i64) {
    let conn = Connection::open(path).expect("open");
    let get = |p: &str| {
        conn.query_row(&format!("PRAGMA {p}"), [], |r| r.get::<_, i64>(0))
            .expect("pragma")
    };
    (get("application_id"), get("user_version"))
}

#[test]
fn a_new_path_and_an_empty_file_become_ours() {
    let dir = tempfile::tempdir().expect("dir");
    let new = dir.path().join("new.sqlite3");
    let empty = dir.path().join("empty.sqlite3");
    std::fs::write(&empty, b"").expect("empty file");
    let latest = i64::try_from(aadsync_store::schema_version()).expect("version");
    for path in [new, empty] {
        drop(Store::open(&path, &quick()).expect("open"));
        assert_eq!(
            application_id(&path),
            (i64::from(aadsync_store::APPLICATION_ID), latest),
            "{}",
            path.display()
        );
        drop(Store::open(&path, &quick()).expect("reopen"));
    }
}

/// Databases written before the application_id (user_version ≥ 1, our tables, id 0) still
/// open, and get the id.
#[test]
fn an_aadsync_database_from_before_the_application_id_opens_and_gets_it() {
    let dir = tempfile::tempdir().expect("dir");
    let latest = i64::try_from(aadsync_store::schema_version()).expect("version");
    for version in [1, aadsync_store::schema_version()] {
        let path = dir.path().join(format!("v{version}.sqlite3"));
        let mut conn = Connection::open(&path).expect("create");
        MIGRATIONS
            .to_version(&mut conn, version)
            .expect("old schema");
        drop(conn);
        assert_eq!(application_id(&path).0, 0);
        let store = Store::open(&path, &quick()).expect("open");
        store
            .writer()
            .create_local_user(&local("kept"), &PasswordPolicy::default())
            .expect("user");
        drop(store);
        assert_eq!(
            application_id(&path),
            (i64::from(aadsync_store::APPLICATION_ID), latest),
            "v{version}"
        );
    }
}

/// Migration 9 rebuilds the scope's reasons in their key's order: every reason is kept, and
/// the table's guards come back with it (a write outside synchronization is refused).
#[test]
fn the_reasons_survive_their_rebuild_and_keep_their_guards() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("v8.sqlite3");
    let mut conn = Connection::open(&path).expect("create");
    MIGRATIONS.to_version(&mut conn, 8).expect("v8");
    conn.execute_batch(
        "INSERT INTO sync_apply_marker (id) VALUES (1);
         INSERT INTO azure_scope_reasons (tenant_id, object_id, root_id, path)
         VALUES ('t', 'u2', 'g1', 'Sales'), ('t', 'u1', 'u1', ''), ('t', 'u1', 'g1', 'Sales');
         DELETE FROM sync_apply_marker;",
    )
    .expect("reasons at version 8");
    drop(conn);
    drop(Store::open(&path, &quick()).expect("open"));
    let conn = Connection::open(&path).expect("open");
    let mut rows = conn
        .prepare("SELECT tenant_id, object_id, root_id, path FROM azure_scope_reasons")
        .expect("select");
    let rows: Vec<[String; 4]> = rows
        .query_map([], |r| Ok([r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?]))
        .and_then(|rows| rows.collect())
        .expect("rows");
    // In the key's order without an ORDER BY: the table is its key's B-tree now.
    let expected = [
        ["t", "u1", "g1", "Sales"],
        ["t", "u1", "u1", ""],
        ["t", "u2", "g1", "Sales"],
    ];
    assert_eq!(rows, expected.map(|r| r.map(str::to_owned)));
    for write in [
        "INSERT INTO azure_scope_reasons VALUES ('t', 'u3', 'g1', 'Sales')",
        "UPDATE azure_scope_reasons SET path = 'EMEA'",
        "DELETE FROM azure_scope_reasons",
    ] {
        let err = conn.execute(write, []).expect_err(write);
        assert!(
            err.to_string().contains("written only by synchronization"),
            "{write}: {err}"
        );
    }
}

#[cfg(unix)]
fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .map(|m| m.permissions().mode() & 0o777)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The database, its WAL and shared memory, the backups folder and its files: 0600 / 0700
/// under umask 022, and a database from before the rule is made 0600 on open (issue 14).
#[cfg(unix)]
#[test]
fn the_database_wal_and_backups_are_private_under_umask_022() {
    if aadsync_testenv::under_umask_022(
        "files::the_database_wal_and_backups_are_private_under_umask_022",
    ) {
        let dir = tempfile::tempdir().expect("dir");
        let control = dir.path().join("control");
        std::fs::write(&control, b"").expect("control");
        assert_eq!(mode(&control), 0o644, "the umask is not 022");
        let path = dir.path().join("new").join("db.sqlite3");
        let store = Store::open(&path, &quick()).expect("create");
        store
            .writer()
            .create_local_user(&local("ann"), &PasswordPolicy::default())
            .expect("user");
        let backup = store.writer().backup().expect("backup");
        let backups = backup.parent().expect("backups folder").to_path_buf();
        let mut expected = vec![
            (dir.path().join("new"), 0o700),
            (path.clone(), 0o600),
            (dir.path().join("new").join("db.sqlite3-wal"), 0o600),
            (dir.path().join("new").join("db.sqlite3-shm"), 0o600),
            (backups.clone(), 0o700),
        ];
        for entry in std::fs::read_dir(&backups).expect("list") {
            expected.push((entry.expect("entry").path(), 0o600));
        }
        assert!(expected.iter().any(|(p, _)| *p == backup), "{expected:?}");
        for (file, want) in &expected {
            assert_eq!(mode(file), *want, "{}", file.display());
        }
        drop(store);

        let old = dir.path().join("old.sqlite3");
        drop(Store::open(&old, &quick()).expect("create"));
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&old, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        drop(Store::open(&old, &quick()).expect("reopen"));
        assert_eq!(mode(&old), 0o600);
    }
}
