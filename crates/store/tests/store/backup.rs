//! Backups: the one full backup in a folder of the database's own, the files that can be
//! restored (never a foreign one), and a restore — the directory data and local users exactly
//! the backup's, the audit log and the decisions only grown, all or nothing, schema-checked.

use crate::support::*;
use aadsync_store::{
    BackupKind, Decision, DecisionAction, DecisionFinding, DeltaLinks, DirectoryChanges, Lift,
    ObjectKind, PasswordPolicy, Removal, RemovalAction, ScopeRoot, StoreError,
};
use rusqlite::Connection;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// The tables a restore replaces with the backup's rows.
const REPLACED: &[&str] = &[
    "users",
    "azure_users",
    "groups",
    "azure_groups",
    "memberships",
    "azure_user_tombstones",
    "azure_scope_roots",
    "azure_scope_reasons",
];

fn only(dump: &Dump, tables: &[&str]) -> Dump {
    dump.iter()
        .filter(|(name, _)| tables.contains(&name.as_str()))
        .map(|(name, rows)| (name.clone(), rows.clone()))
        .collect()
}

/// The names of the files in `dir` (none when it does not exist).
fn names_in(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// What a backups folder holds after backups: the backup and the lock that lets one process
/// at a time write it.
fn ours() -> BTreeSet<String> {
    ["users.backup.sqlite3", ".users.backup.lock"]
        .map(str::to_owned)
        .into()
}

fn decide(id: &str, action: DecisionAction, finding: DecisionFinding) -> Decision {
    Decision {
        kind: ObjectKind::User,
        object_id: id.into(),
        display_name: id.into(),
        action,
        finding,
    }
}

fn removal(id: &str, action: RemovalAction) -> Removal {
    Removal {
        kind: ObjectKind::User,
        object_id: id.into(),
        action,
        deletion: None,
        reason: "no longer in scope".into(),
    }
}

fn users(ids: &[&str]) -> Vec<aadsync_store::DirectoryUser> {
    ids.iter()
        .map(|id| entra_user(id, &format!("{id}@contoso.com"), &format!("{id} Example")))
        .collect()
}

fn apply(db: &Db, changes: &DirectoryChanges) -> i64 {
    db.store
        .writer()
        .apply_directory_changes(&run(), changes)
        .expect("apply")
        .run_id
}

/// Records `path` in the audit log as the snapshot of a run, as versions before backups did.
fn name_as_snapshot(db: &Db, path: &Path) {
    db.store
        .writer()
        .connection()
        .execute(
            "INSERT INTO sync_runs (tenant_id, kind, started_by, finished_at, status, snapshot_path)
             VALUES (?1, 'sync', 'an older aadsync', '2026-01-01T00:00:00Z', 'succeeded', ?2)",
            rusqlite::params![TENANT, path.display().to_string()],
        )
        .expect("a run of an older version");
}

/// The rows `sql` reads from the database file at `path`, each rendered as one string.
fn text_rows(path: &Path, sql: &str) -> Vec<String> {
    let conn = Connection::open(path).expect("open");
    let mut stmt = conn.prepare(sql).expect("prepare");
    let n = stmt.column_count();
    stmt.query_map([], |r| {
        (0..n)
            .map(|i| r.get::<_, rusqlite::types::Value>(i))
            .collect::<Result<Vec<_>, _>>()
            .map(|v| format!("{v:?}"))
    })
    .expect("query")
    .collect::<Result<_, _>>()
    .expect("rows")
}

/// Each object's decision in force (action, finding) and the Disables that hold.
type Decisions = (
    BTreeMap<String, (DecisionAction, DecisionFinding)>,
    BTreeMap<String, DecisionFinding>,
);

fn decisions(db: &Db) -> Decisions {
    let imported = db.store.reader().imported(TENANT).expect("imported");
    (
        imported
            .decisions
            .iter()
            .map(|(id, d)| (id.clone(), (d.action, d.finding)))
            .collect(),
        imported.held.clone().into_iter().collect(),
    )
}

/// Contoso with carl, then two syncs: users a–e imported (e deleted again, leaving a
/// tombstone), the group Sales, scope, and decisions: a disabled (out of scope), c kept
/// (disabled in Entra ID), d disabled then kept (deleted in Entra ID: the Disable still holds).
fn synced() -> Db {
    let db = contoso_with_carl();
    apply(
        &db,
        &DirectoryChanges {
            users: users(&["o-a", "o-b", "o-c", "o-d", "o-e"]),
            groups: vec![entra_group("g-sales", "Sales", &["o-a", "o-b"])],
            roots: vec![ScopeRoot {
                kind: ObjectKind::Group,
                object_id: "g-sales".into(),
                members: true,
                nested: false,
            }],
            scope: Some(BTreeMap::from([(
                "o-a".to_owned(),
                vec![aadsync_store::Reason {
                    root_id: "g-sales".into(),
                    path: "Sales".into(),
                }],
            )])),
            ..DirectoryChanges::default()
        },
    );
    apply(
        &db,
        &DirectoryChanges {
            removals: vec![
                removal("o-a", RemovalAction::Disable),
                removal("o-d", RemovalAction::Disable),
                removal("o-e", RemovalAction::Delete),
            ],
            decisions: vec![
                decide("o-a", DecisionAction::Disable, DecisionFinding::OutOfScope),
                decide("o-c", DecisionAction::Keep, DecisionFinding::Disabled),
                decide("o-d", DecisionAction::Disable, DecisionFinding::OutOfScope),
            ],
            ..DirectoryChanges::default()
        },
    );
    apply(
        &db,
        &DirectoryChanges {
            decisions: vec![decide(
                "o-d",
                DecisionAction::Keep,
                DecisionFinding::SoftDeleted,
            )],
            ..DirectoryChanges::default()
        },
    );
    db
}

/// After the backup: a local user added and one deleted, a lift, new decisions, a reversal,
/// a user renamed and one imported, Sales' members changed, b deleted, links stored.
fn change_everything(db: &Db) {
    let policy = PasswordPolicy::default();
    db.store
        .writer()
        .create_local_user(&local("dave"), &policy)
        .expect("dave");
    let carl = db
        .store
        .reader()
        .user_rows()
        .expect("rows")
        .into_iter()
        .find(|u| u.account_name == "carl")
        .expect("carl")
        .id;
    db.store.writer().delete_user(carl).expect("carl deleted");
    let mut renamed = users(&["o-c", "o-f"]);
    renamed[0].display_name = "Cee Renamed".into();
    apply(
        db,
        &DirectoryChanges {
            users: renamed,
            groups: vec![entra_group("g-sales", "Sales", &["o-a", "o-f"])],
            removals: vec![removal("o-c", RemovalAction::Disable)],
            lifted: vec![Lift {
                kind: ObjectKind::User,
                object_id: "o-a".into(),
                display_name: "o-a".into(),
                finding: DecisionFinding::OutOfScope,
            }],
            decisions: vec![
                decide("o-b", DecisionAction::Keep, DecisionFinding::SoftDeleted),
                decide("o-c", DecisionAction::Disable, DecisionFinding::Disabled),
            ],
            delta: Some(DeltaLinks {
                users: "users/delta?$deltatoken=1".into(),
                groups: "groups/delta?$deltatoken=2".into(),
                taken_at: 1_795_659_546,
            }),
            ..DirectoryChanges::default()
        },
    );
    db.store
        .writer()
        .reverse_decision(TENANT, "o-d", "helpdesk@contoso.com")
        .expect("reverse");
    apply(
        db,
        &DirectoryChanges {
            removals: vec![removal("o-b", RemovalAction::Delete)],
            ..DirectoryChanges::default()
        },
    );
}

#[test]
fn a_backup_is_one_file_in_a_folder_of_its_own_replaced_whole() {
    let db = synced();
    let dir = db.store.backups_dir();
    assert_eq!(dir, db.dir.path().join("users.sqlite3.backups"));
    let path = db.store.writer().backup().expect("backup");
    assert_eq!(path, dir.join("users.backup.sqlite3"));
    assert_eq!(names_in(&dir), ours());
    // A consistent copy of everything, as one self-contained file.
    assert_same(
        &dump_file(&path),
        &dump_file(db.store.path()),
        "first backup",
    );
    let mode: String = Connection::open(&path)
        .expect("open")
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .expect("mode");
    assert_eq!(mode, "delete");

    // A crash while writing a backup leaves its partial file, never a half backup in place.
    let partial = dir.join(".users.backup.sqlite3.partial");
    std::fs::write(&partial, b"half a backup").expect("partial");
    let listed: Vec<PathBuf> = db
        .store
        .backups()
        .expect("list")
        .into_iter()
        .map(|b| b.path)
        .collect();
    assert_eq!(listed, std::slice::from_ref(&path));

    change_everything(&db);
    let again = db.store.writer().backup().expect("backup again");
    assert_eq!(again, path);
    assert_eq!(names_in(&dir), ours());
    assert_same(
        &dump_file(&path),
        &dump_file(db.store.path()),
        "second backup",
    );
}

#[test]
fn backups_lists_the_backup_and_the_snapshots_the_audit_log_names_newest_first() {
    let db = synced();
    let snapshots = db.dir.path().join("snapshots");
    std::fs::create_dir_all(&snapshots).expect("snapshots");
    let older = snapshots.join("users.1764130746000.sqlite3");
    let newer = snapshots.join("users.1764130747000.sqlite3");
    let gone = snapshots.join("users.1764130748000.sqlite3");
    for path in [&older, &newer, &gone] {
        db.store.writer().snapshot_to(path).expect("snapshot");
        name_as_snapshot(&db, path);
    }
    std::fs::remove_file(&gone).expect("deleted by someone");
    let backup = db.store.writer().backup().expect("backup");
    // Named twice: listed once.
    name_as_snapshot(&db, &older);
    let at = |secs: u64| SystemTime::UNIX_EPOCH + Duration::from_secs(secs);
    for (path, secs) in [(&older, 1_795_659_546), (&newer, 1_795_659_547)] {
        std::fs::File::options()
            .write(true)
            .open(path)
            .and_then(|f| f.set_modified(at(secs)))
            .expect("time");
    }
    let listed: Vec<(PathBuf, BackupKind, String, u64)> = db
        .store
        .backups()
        .expect("list")
        .into_iter()
        .map(|b| (b.path, b.kind, b.taken_at, b.bytes))
        .collect();
    let size = |p: &Path| std::fs::metadata(p).expect("size").len();
    assert_eq!(listed.len(), 3, "{listed:?}");
    assert_eq!(
        listed[0].0, backup,
        "the backup was written just now: newest"
    );
    assert_eq!(listed[0].1, BackupKind::Backup);
    assert_eq!(listed[0].3, size(&backup));
    assert_eq!(
        listed[1..],
        [
            (
                newer.clone(),
                BackupKind::Snapshot,
                "2026-11-26T02:19:07Z".to_owned(),
                size(&newer)
            ),
            (
                older.clone(),
                BackupKind::Snapshot,
                "2026-11-26T02:19:06Z".to_owned(),
                size(&older)
            ),
        ]
    );
}

#[test]
fn foreign_files_are_never_listed_restored_or_deleted() {
    let db = synced();
    let dir = db.store.backups_dir();
    let snapshots = db.dir.path().join("snapshots");
    std::fs::create_dir_all(&dir).expect("dir");
    std::fs::create_dir_all(&snapshots).expect("snapshots");
    let sqlite = {
        let path = db.dir.path().join("other.sqlite3");
        db.store
            .writer()
            .snapshot_to(&path)
            .expect("an SQLite file");
        std::fs::read(&path).expect("read")
    };
    let foreign: Vec<(PathBuf, Vec<u8>)> = vec![
        (dir.join("notes.txt"), b"the admin's notes".to_vec()),
        (dir.join("other.sqlite3"), sqlite.clone()),
        (dir.join("users.backup.sqlite3.old"), sqlite.clone()),
        (snapshots.join("foreign.sqlite3"), sqlite.clone()),
        // Looks like a snapshot of ours, but the audit log does not name it.
        (snapshots.join("users.1764130746000.sqlite3"), sqlite),
    ];
    for (path, bytes) in &foreign {
        std::fs::write(path, bytes).expect("foreign file");
    }
    let backup = db.store.writer().backup().expect("backup");
    db.store.writer().backup().expect("backup again");
    let listed: Vec<PathBuf> = db
        .store
        .backups()
        .expect("list")
        .into_iter()
        .map(|b| b.path)
        .collect();
    assert_eq!(listed, std::slice::from_ref(&backup));

    let before = dump_file(db.store.path());
    let copy_elsewhere = db.dir.path().join("copy.sqlite3");
    std::fs::copy(&backup, &copy_elsewhere).expect("copy");
    let refused: Vec<&Path> = foreign
        .iter()
        .map(|(p, _)| p.as_path())
        .chain([copy_elsewhere.as_path(), db.store.path()])
        .collect();
    for path in refused {
        let err = db.store.writer().restore_backup(path, "admin").err();
        assert!(
            matches!(&err, Some(StoreError::NotABackup { path: p }) if p == path),
            "{}: {err:?}",
            path.display()
        );
    }
    assert_same(&dump_file(db.store.path()), &before, "refused restores");
    db.store
        .writer()
        .restore_backup(&backup, "admin")
        .expect("restore");
    for (path, bytes) in &foreign {
        assert_eq!(
            &std::fs::read(path).expect("still there"),
            bytes,
            "{}",
            path.display()
        );
    }
    let mut expected = ours();
    expected.extend(["notes.txt", "other.sqlite3", "users.backup.sqlite3.old"].map(str::to_owned));
    assert_eq!(names_in(&dir), expected, "nothing added or taken away");
}

#[test]
fn restore_brings_back_the_directory_and_local_users_and_keeps_the_audit_log() {
    let db = synced();
    let backup = db.store.writer().backup().expect("backup");
    let in_backup = dump_file(&backup);
    let decided = decisions(&db);
    change_everything(&db);
    let before = dump_file(db.store.path());
    assert_ne!(only(&before, REPLACED), only(&in_backup, REPLACED));
    assert_ne!(decisions(&db), decided);
    let links = "SELECT count(*) FROM organizations WHERE users_delta_link IS NOT NULL";
    let count = |sql: &str| -> i64 {
        Connection::open(db.store.path())
            .expect("open")
            .query_row(sql, [], |r| r.get(0))
            .expect("count")
    };
    assert_eq!(count(links), 1);
    let configuration = "SELECT id, tenant_id, display_name, primary_domain, cloud, authority_url,
                                graph_url, client_id, admin_upn, admin_object_id, created_at,
                                last_sync_at, demo, deletion_threshold_count,
                                deletion_threshold_percent FROM organizations ORDER BY id";
    let configured = text_rows(db.store.path(), configuration);

    let run = db
        .store
        .writer()
        .restore_backup(&backup, "restorer@contoso.com")
        .expect("restore");
    let after = dump_file(db.store.path());
    assert_same(
        &only(&after, REPLACED),
        &only(&in_backup, REPLACED),
        "restored",
    );
    assert_eq!(
        decisions(&db),
        decided,
        "the decisions stand as in the backup"
    );
    assert_eq!(
        after["sync_apply_marker"],
        Vec::<String>::new(),
        "the guards are back"
    );

    // The audit log keeps every run, item and changeset, and gains the restore's run.
    for table in [
        "sync_runs",
        "sync_run_items",
        "sync_run_changes",
        "sync_run_change_parts",
        "azure_decisions",
    ] {
        let kept = &before[table];
        assert!(
            kept.iter().all(|row| after[table].contains(row)),
            "{table}: a row was changed or lost"
        );
    }
    assert_eq!(after["sync_run_items"], before["sync_run_items"]);
    assert_eq!(after["sync_run_changes"], before["sync_run_changes"]);
    assert_eq!(
        after["sync_run_change_parts"],
        before["sync_run_change_parts"]
    );
    assert_eq!(after["sync_runs"].len(), before["sync_runs"].len() + 1);
    let conn = Connection::open(db.store.path()).expect("open");
    let recorded: (i64, String, String, String, String, Option<String>, String) = conn
        .query_row(
            "SELECT id, tenant_id, kind, status, started_by, finished_at, restored_from
             FROM sync_runs ORDER BY id DESC LIMIT 1",
            [],
            |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                ))
            },
        )
        .expect("the restore's run");
    assert_eq!(
        (
            recorded.0,
            recorded.1.as_str(),
            recorded.2.as_str(),
            recorded.3.as_str()
        ),
        (run, TENANT, "undo", "succeeded")
    );
    assert_eq!(recorded.4, "restorer@contoso.com");
    assert!(recorded.5.is_some(), "finished");
    assert_eq!(recorded.6, backup.display().to_string());
    let message: String = conn
        .query_row("SELECT message FROM sync_runs WHERE id = ?1", [run], |r| {
            r.get(0)
        })
        .expect("message");
    assert!(
        message.starts_with(&format!("restored the backup {} (taken ", backup.display()))
            && message.ends_with("); the audit log keeps every run"),
        "{message}"
    );
    // Decisions only appended, by the restorer, in the restore's run.
    let appended: Vec<(String, String, String, String, i64)> = conn
        .prepare(
            "SELECT object_id, action, finding, decided_by, run_id FROM azure_decisions
             WHERE id > (SELECT max(id) FROM azure_decisions WHERE run_id IS NOT ?1)
             ORDER BY id",
        )
        .expect("prepare")
        .query_map([run], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })
        .expect("decisions")
        .collect::<Result<_, _>>()
        .expect("rows");
    let by = "restorer@contoso.com".to_owned();
    let row = |id: &str, action: &str, finding: &str| {
        (
            id.to_owned(),
            action.to_owned(),
            finding.to_owned(),
            by.clone(),
            run,
        )
    };
    assert_eq!(
        appended,
        [
            // a: lifted since; its Disable holds again.
            row("o-a", "disable", "out_of_scope"),
            // b: kept since (then deleted); the backup had no decision.
            row("o-b", "reversed", "soft_deleted"),
            // c: disabled since; the backup kept it.
            row("o-c", "reversed", "disabled"),
            row("o-c", "keep", "disabled"),
            // d: reversed since; the backup had the Disable holding under a Keep.
            row("o-d", "disable", "out_of_scope"),
            row("o-d", "keep", "soft_deleted"),
        ]
    );
    // Organizations keep their configuration; the next sync compares everything.
    assert_eq!(count(links), 0);
    assert_eq!(
        count(
            "SELECT count(*) FROM organizations WHERE groups_delta_link IS NOT NULL OR delta_taken_at IS NOT NULL"
        ),
        0
    );
    assert_eq!(text_rows(db.store.path(), configuration), configured);

    // The restored database is fully usable: guards, a later sync, local users.
    db.store
        .writer()
        .create_local_user(&local("later"), &PasswordPolicy::default())
        .expect("create after restore");
    apply(
        &db,
        &DirectoryChanges {
            users: users(&["o-g"]),
            ..DirectoryChanges::default()
        },
    );
    let integrity: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("check");
    assert_eq!(integrity, "ok");
}

/// The backup at `path` and its folder, for "nothing changed" after a refusal.
fn files_of(db: &Db) -> BTreeMap<String, Vec<u8>> {
    let dir = db.store.backups_dir();
    names_in(&dir)
        .into_iter()
        .map(|name| {
            let bytes = std::fs::read(dir.join(&name)).expect("read");
            (name, bytes)
        })
        .collect()
}

#[test]
fn a_backup_from_a_newer_aadsync_or_not_of_aadsync_is_refused_and_changes_nothing() {
    let db = synced();
    let backup = db.store.writer().backup().expect("backup");
    change_everything(&db);
    Connection::open(&backup)
        .expect("open")
        .execute_batch("PRAGMA user_version = 99")
        .expect("from a newer aadsync");
    let snapshots = db.dir.path().join("snapshots");
    std::fs::create_dir_all(&snapshots).expect("snapshots");
    let junk = snapshots.join("users.1.sqlite3");
    std::fs::write(&junk, b"not a database at all").expect("junk");
    let schemaless = snapshots.join("users.2.sqlite3");
    Connection::open(&schemaless)
        .expect("create")
        .execute_batch("CREATE TABLE t (x)")
        .expect("another program's database");
    for path in [&junk, &schemaless] {
        name_as_snapshot(&db, path);
    }
    let before = dump_file(db.store.path());
    let files = files_of(&db);
    let schemaless_bytes = std::fs::read(&schemaless).expect("read");

    let err = db.store.writer().restore_backup(&backup, "admin").err();
    assert!(
        matches!(&err, Some(StoreError::BackupTooNew { path, found: 99, known }) if *path == backup && *known == aadsync_store::schema_version()),
        "{err:?}"
    );
    let message = err.map(|e| e.to_string()).unwrap_or_default();
    assert!(
        message.contains("Update aadsync to restore it"),
        "{message}"
    );
    for (path, expected) in [
        (&junk, "it is not an SQLite file"),
        (&schemaless, "it is not an aadsync database"),
    ] {
        let err = db.store.writer().restore_backup(path, "admin").err();
        assert!(
            matches!(&err, Some(StoreError::Backup { path: p, detail })
                if p == path && detail.starts_with(expected)
                    && detail.ends_with("the database is unchanged")),
            "{err:?}"
        );
    }
    assert_same(&dump_file(db.store.path()), &before, "refused");
    assert_eq!(
        files_of(&db),
        files,
        "no temporary copy left, the backup untouched"
    );
    assert_eq!(std::fs::read(&schemaless).expect("read"), schemaless_bytes);
}

/// A pre-run snapshot an older version wrote with the schema `version` (4: before the
/// append-only audit log; 3: before scope and decisions), with a directory user, a local user,
/// a group, a membership, a tombstone and (4) scope and a decision.
fn old_snapshot(path: &Path, version: usize) {
    let mut conn = Connection::open(path).expect("create");
    aadsync_store::MIGRATIONS
        .to_version(&mut conn, version)
        .expect("an older schema");
    conn.execute_batch(&format!(
        "INSERT INTO sync_apply_marker (id) VALUES (1);
         INSERT INTO users (id, account_name, account_key, auth_type, password_hash) VALUES
             (1, 'ann@contoso.com', 'ann@contoso.com', 'azure_ad', NULL),
             (2, 'bob', 'bob', 'local', '$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA');
         INSERT INTO azure_users (user_id, tenant_id, object_id, user_principal_name,
             account_enabled, last_synchronized_at, imported_via) VALUES
             (1, '{TENANT}', 'o-ann', 'ann@contoso.com', 1, '2025-01-01T00:00:00Z', 'Old');
         INSERT INTO groups (id, name, source) VALUES (7, 'Old', 'azure_ad');
         INSERT INTO azure_groups (group_id, tenant_id, object_id, display_name, mail_enabled,
             security_enabled, last_synchronized_at) VALUES
             (7, '{TENANT}', 'g-old', 'Old', 0, 1, '2025-01-01T00:00:00Z');
         INSERT INTO memberships (group_id, user_id, source) VALUES (7, 1, 'azure_ad');
         INSERT INTO azure_user_tombstones (tenant_id, object_id, user_principal_name)
             VALUES ('{TENANT}', 'o-gone', 'gone@contoso.com');
         DELETE FROM sync_apply_marker;
         INSERT INTO sync_runs (tenant_id, started_by, finished_at, status)
             VALUES ('{TENANT}', 'admin', '2025-01-01T00:00:00Z', 'succeeded');"
    ))
    .expect("rows of an old sync");
    if version >= 4 {
        conn.execute_batch(&format!(
            "INSERT INTO sync_apply_marker (id) VALUES (1);
             INSERT INTO azure_scope_roots (tenant_id, object_id, object_type, members, added_by)
                 VALUES ('{TENANT}', 'g-old', 'group', 1, 'admin');
             INSERT INTO azure_scope_reasons (tenant_id, object_id, root_id, path)
                 VALUES ('{TENANT}', 'o-ann', 'g-old', 'Old');
             INSERT INTO azure_decisions (tenant_id, object_id, object_type, action, finding,
                 decided_by) VALUES ('{TENANT}', 'o-ann', 'user', 'keep', 'disabled', 'admin');
             DELETE FROM sync_apply_marker;"
        ))
        .expect("scope and a decision");
    }
}

#[test]
fn an_older_snapshot_is_migrated_on_a_copy_and_restored() {
    let db = synced();
    let snapshots = db.dir.path().join("snapshots");
    std::fs::create_dir_all(&snapshots).expect("snapshots");
    for version in [4, 3] {
        let old = snapshots.join(format!("users.176413074600{version}.sqlite3"));
        old_snapshot(&old, version);
        name_as_snapshot(&db, &old);
        let old_bytes = std::fs::read(&old).expect("read");
        let mut in_old = dump_file(&old);
        assert_eq!(in_old["PRAGMA user_version"], [version.to_string()]);
        // Migration 0007 adds the chosen account name, NULL for every user imported before.
        let chosen_added: Vec<String> = in_old["azure_users"]
            .iter()
            .map(|row| format!("{}, Null]", row.trim_end_matches(']')))
            .collect();
        assert!(
            db.store
                .backups()
                .expect("list")
                .iter()
                .any(|b| b.path == old && b.kind == BackupKind::Snapshot)
        );
        let runs_before = dump_file(db.store.path())["sync_runs"].clone();

        let run = db
            .store
            .writer()
            .restore_backup(&old, "admin@contoso.com")
            .expect("restore");
        assert_eq!(
            std::fs::read(&old).expect("read"),
            old_bytes,
            "never migrated in place"
        );
        let after = dump_file(db.store.path());
        in_old.insert("azure_users".into(), chosen_added);
        let directory = &REPLACED[..6];
        assert_same(
            &only(&after, directory),
            &only(&in_old, directory),
            "restored",
        );
        let (in_force, held) = decisions(&db);
        assert_eq!(held, BTreeMap::new(), "{version}: every Disable reversed");
        let scope = (
            text_rows(
                db.store.path(),
                "SELECT object_id, members, nested, added_by FROM azure_scope_roots",
            ),
            text_rows(
                db.store.path(),
                "SELECT object_id, root_id FROM azure_scope_reasons",
            ),
        );
        if version == 4 {
            assert_same(
                &only(&after, REPLACED),
                &only(&in_old, REPLACED),
                "restored",
            );
            assert_eq!(
                in_force,
                BTreeMap::from([(
                    "o-ann".to_owned(),
                    (DecisionAction::Keep, DecisionFinding::Disabled)
                )])
            );
        } else {
            // Schema 3 kept no scope: migration 0004 rebuilt it from the import paths.
            assert_eq!(
                scope,
                (
                    vec![r#"[Text("g-old"), Integer(1), Integer(0), Text("upgrade")]"#.to_owned()],
                    vec![]
                )
            );
            assert_eq!(in_force, BTreeMap::new(), "schema 3 had no decisions");
        }
        assert!(runs_before.iter().all(|r| after["sync_runs"].contains(r)));
        assert_eq!(after["sync_runs"].len(), runs_before.len() + 1);
        assert_eq!(after["sync_apply_marker"], Vec::<String>::new());
        let message: String = Connection::open(db.store.path())
            .expect("open")
            .query_row("SELECT message FROM sync_runs WHERE id = ?1", [run], |r| {
                r.get(0)
            })
            .expect("message");
        assert!(
            message.starts_with(&format!("restored the snapshot {} (taken ", old.display())),
            "{message}"
        );
        assert_eq!(
            names_in(&db.store.backups_dir()),
            BTreeSet::new(),
            "no copy left"
        );
    }
}

/// A fault at each of these points inside the restore's transaction (a TEMP trigger on the
/// write connection calls a function that fails) rolls all of it back.
const FAULT_POINTS: &[&str] = &[
    "AFTER DELETE ON main.users",
    "AFTER INSERT ON main.users",
    "AFTER INSERT ON main.memberships",
    "AFTER INSERT ON main.azure_scope_reasons",
    "AFTER UPDATE ON main.organizations",
    "AFTER INSERT ON main.sync_runs",
    "AFTER INSERT ON main.azure_decisions",
    "AFTER DELETE ON main.sync_apply_marker",
];

#[test]
fn a_fault_inside_the_restore_leaves_the_database_as_it_was() {
    let db = synced();
    let backup = db.store.writer().backup().expect("backup");
    change_everything(&db);
    let before = dump_file(db.store.path());
    let path = db.store.path().to_path_buf();
    for point in FAULT_POINTS {
        // What another connection sees while the restore is inside its transaction.
        let seen = std::sync::Arc::new(std::sync::Mutex::new(None));
        {
            let writer = db.store.writer();
            let conn = writer.connection();
            let (seen, path) = (seen.clone(), path.clone());
            conn.create_scalar_function(
                "aadsync_test_fault",
                0,
                rusqlite::functions::FunctionFlags::SQLITE_UTF8,
                move |_| {
                    *seen.lock().expect("lock") = Some(dump_file(&path));
                    Err::<i64, _>(rusqlite::Error::UserFunctionError("fault injected".into()))
                },
            )
            .expect("fault function");
            conn.execute_batch(&format!(
                "CREATE TEMP TRIGGER fault {point} BEGIN SELECT aadsync_test_fault(); END;"
            ))
            .expect("fault trigger");
        }
        let err = db.store.writer().restore_backup(&backup, "admin").err();
        assert!(
            err.as_ref()
                .is_some_and(|e| e.to_string().contains("fault injected")),
            "{point}: {err:?}"
        );
        let seen = seen.lock().expect("lock").take();
        assert!(seen.is_some(), "{point}: the restore never got there");
        assert_same(&seen.unwrap_or_default(), &before, point);
        assert_same(&dump_file(&path), &before, point);
        let writer = db.store.writer();
        writer
            .connection()
            .execute_batch("DROP TRIGGER temp.fault")
            .expect("drop");
        let attached: i64 = writer
            .connection()
            .query_row("SELECT count(*) FROM pragma_database_list", [], |r| {
                r.get(0)
            })
            .expect("databases");
        assert_eq!(
            attached, 2,
            "{point}: main and temp only, the copy detached"
        );
    }
    assert_eq!(
        names_in(&db.store.backups_dir()),
        ours(),
        "no temporary copy left"
    );
    db.store
        .writer()
        .restore_backup(&backup, "admin")
        .expect("restore without a fault");
    assert_same(
        &only(&dump_file(&path), REPLACED),
        &only(&dump_file(&backup), REPLACED),
        "restored",
    );
}

/// The app and the CLI may write the same file: a restore waits for another writer's
/// transaction (the busy timeout), and says so when it does not end, changing nothing.
#[test]
fn a_restore_waits_for_another_writer_and_reports_one_that_does_not_finish() {
    let db = synced();
    let backup = db.store.writer().backup().expect("backup");
    change_everything(&db);
    let before = dump_file(db.store.path());
    let other = Connection::open(db.store.path()).expect("another program");
    other.execute_batch("BEGIN IMMEDIATE").expect("write lock");
    let err = db.store.writer().restore_backup(&backup, "admin").err();
    assert!(matches!(err, Some(StoreError::Locked { .. })), "{err:?}");
    other.execute_batch("COMMIT").expect("release");
    assert_same(&dump_file(db.store.path()), &before, "locked out");
    db.store
        .writer()
        .restore_backup(&backup, "admin")
        .expect("restore once the other writer is done");
}

/// One process at a time writes a database's backup: another one waits (as long as it waits
/// for another writer) and then says so, the previous backup untouched. A backup is taken
/// outside a transaction.
#[test]
fn one_backup_is_written_at_a_time_and_the_previous_one_stays_whole() {
    let db = synced();
    let backup = db.store.writer().backup().expect("backup");
    let files = files_of(&db);
    change_everything(&db);
    let lock = std::fs::File::open(db.store.backups_dir().join(".users.backup.lock"))
        .expect("the lock file");
    lock.lock().expect("another process writing a backup");
    let err = db.store.writer().backup().err();
    assert!(
        matches!(&err, Some(StoreError::Backup { path, detail }) if *path == backup
            && detail == "another aadsync is writing a backup of this database; try again when it is done"),
        "{err:?}"
    );
    assert_eq!(
        files_of(&db),
        files,
        "the previous backup, alone and unchanged"
    );
    lock.unlock().expect("done");
    let writer = db.store.writer();
    writer
        .connection()
        .execute_batch("BEGIN")
        .expect("a transaction");
    let err = writer.backup().err();
    assert!(matches!(err, Some(StoreError::Invalid(_))), "{err:?}");
    writer
        .connection()
        .execute_batch("ROLLBACK")
        .expect("rollback");
    assert_eq!(writer.backup().expect("backup"), backup);
    drop(writer);
    assert_same(&dump_file(&backup), &dump_file(db.store.path()), "backup");
}

/// A copy of the whole database (what `aadsync` before changesets took before every run, and
/// what tests use to build one) is never written over an existing file.
#[test]
fn a_snapshot_is_never_overwritten() {
    let db = fresh();
    let policy = PasswordPolicy::default();
    db.store
        .writer()
        .create_local_user(&local("before"), &policy)
        .expect("create");
    db.store
        .writer()
        .apply_directory_changes(
            &run(),
            &changes(
                vec![entra_user("o-1", "ann@contoso.com", "Ann Lee")],
                vec![],
            ),
        )
        .expect("apply");
    let snap = db.dir.path().join("snapshots").join("before-sync.sqlite3");
    db.store.writer().snapshot_to(&snap).expect("snapshot");
    let snap_bytes = std::fs::read(&snap).expect("read");
    let again = db.store.writer().snapshot_to(&snap);
    assert!(
        matches!(&again, Err(StoreError::Snapshot { path, detail })
            if *path == snap && detail == "the file already exists; snapshots are never overwritten"),
        "never overwrite a snapshot: {again:?}"
    );
    assert_eq!(std::fs::read(&snap).expect("read"), snap_bytes);
}
