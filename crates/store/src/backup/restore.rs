//! Restoring a backup as a whole: the directory data and local users become the backup's, in
//! one write transaction, while the audit log and the decisions only grow.
//!
//! The file must be one [`super::list`] names. Its schema is checked first (newer: refused;
//! older: a temporary copy is migrated, never the file itself), then the copy is ATTACHed and,
//! inside `BEGIN IMMEDIATE` under the apply marker, the tables in [`REPLACED`] are emptied and
//! filled from it, the organizations' change-tracking links are dropped (the next sync compares
//! everything), the decisions are caught up to the backup's (`super::decisions`) and one run
//! records the restore. A failure anywhere rolls all of it back.

use super::{BackupFile, backups_dir_of, copy_whole, find, remove_if_present, stem_of};
use crate::open::{MIGRATIONS, SQLITE_HEADER, schema_version};
use crate::users::WriteHandle;
use crate::{Result, StoreError};
use rusqlite::{Connection, OpenFlags, TransactionBehavior, params};
use std::io::Read;
use std::path::{Path, PathBuf};

/// The schema name of the ATTACHed copy during a restore.
const ATTACHED: &str = "aadsync_backup";

/// The tables a restore replaces with the backup's rows, parents first, each with its columns
/// (a unit test keeps these equal to the schema's).
pub(crate) const REPLACED: &[(&str, &str)] = &[
    (
        "users",
        "id, account_name, account_key, auth_type, enabled, full_name, email, phone, \
         department, description, password_hash, created_at, updated_at",
    ),
    (
        "groups",
        "id, name, source, description, created_at, updated_at",
    ),
    (
        "azure_users",
        "user_id, tenant_id, object_id, user_principal_name, display_name, given_name, \
         surname, mail, job_title, department, office_location, mobile_phone, business_phones, \
         user_type, account_enabled, created_in_entra_at, on_premises_sync_enabled, \
         last_synchronized_at, deleted_in_directory, deleted_detected_at, imported_via, \
         account_name_chosen",
    ),
    (
        "azure_groups",
        "group_id, tenant_id, object_id, display_name, description, mail, mail_enabled, \
         security_enabled, group_types, last_synchronized_at, deleted_in_directory",
    ),
    ("memberships", "group_id, user_id, source"),
    (
        "azure_user_tombstones",
        "tenant_id, object_id, user_principal_name, deleted_at",
    ),
    (
        "azure_scope_roots",
        "tenant_id, object_id, object_type, members, nested, added_by, added_at",
    ),
    ("azure_scope_reasons", "tenant_id, object_id, root_id, path"),
];

impl WriteHandle<'_> {
    /// Restores the backup or snapshot at `path` (one of [`crate::Store::backups`]): users,
    /// groups, memberships, tombstones and scope become the backup's, the organizations keep
    /// their configuration but lose their change-tracking links, the decisions in force become
    /// the backup's (by appending), and the audit log keeps every run and gains one, by `by`,
    /// recording the restore. Returns that run's id. All or nothing.
    pub fn restore_backup(&mut self, path: &Path, by: &str) -> Result<i64> {
        let file = find(self.backups_here()?, path)?;
        let copy = prepare_copy(&file.path, self.path)?;
        let restored = self.restore_from_copy(&copy, &file, by);
        for leftover in [copy.clone(), journal_of(&copy)] {
            if let Err(err) = remove_if_present(&leftover) {
                tracing::warn!(
                    error = err,
                    "could not remove the temporary copy of a backup"
                );
            }
        }
        let run = restored?;
        tracing::info!(backup = %file.path.display(), run, by, "backup restored");
        Ok(run)
    }

    fn restore_from_copy(&mut self, copy: &Path, file: &BackupFile, by: &str) -> Result<i64> {
        let db = self.path;
        let sql = |e| StoreError::from_sqlite(db, e);
        let name = copy.to_str().ok_or_else(|| StoreError::Backup {
            path: file.path.clone(),
            detail: format!(
                "the folder {} has a name SQLite cannot open; move the database to a folder \
                 whose name is plain text",
                copy.display()
            ),
        })?;
        self.conn
            .execute(&format!("ATTACH DATABASE ?1 AS {ATTACHED}"), [name])
            .map_err(sql)?;
        let replaced = replace_all(&mut self.conn, file, by);
        let detached = self
            .conn
            .execute_batch(&format!("DETACH DATABASE {ATTACHED}"));
        let run = replaced.map_err(sql)?;
        detached.map_err(sql)?;
        Ok(run)
    }
}

/// The one transaction of a restore.
fn replace_all(conn: &mut Connection, file: &BackupFile, by: &str) -> rusqlite::Result<i64> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    // Rows reference each other across the tables; they are consistent again at the commit.
    tx.execute_batch(
        "PRAGMA defer_foreign_keys = ON;
         INSERT INTO main.sync_apply_marker (id) VALUES (1);",
    )?;
    for (table, _) in REPLACED.iter().rev() {
        tx.execute(&format!("DELETE FROM main.{table}"), [])?;
    }
    for (table, columns) in REPLACED {
        tx.execute(
            &format!(
                "INSERT INTO main.{table} ({columns}) SELECT {columns} FROM {ATTACHED}.{table}"
            ),
            [],
        )?;
    }
    // The links describe the directory as the current data saw it, not the backup's.
    tx.execute(
        "UPDATE main.organizations
         SET users_delta_link = NULL, groups_delta_link = NULL, delta_taken_at = NULL",
        [],
    )?;
    let run = record_run(&tx, file, by)?;
    super::decisions::catch_up(&tx, ATTACHED, run, by)?;
    tx.execute("DELETE FROM main.sync_apply_marker", [])?;
    tx.commit()?;
    Ok(run)
}

/// The run that records the restore, for the organization of the newest run.
fn record_run(tx: &Connection, file: &BackupFile, by: &str) -> rusqlite::Result<i64> {
    tx.execute(
        "INSERT INTO main.sync_runs (organization_id, tenant_id, kind, started_by, finished_at,
                                     status, message, restored_from)
         VALUES ((SELECT organization_id FROM main.sync_runs ORDER BY id DESC LIMIT 1),
                 coalesce((SELECT tenant_id FROM main.sync_runs ORDER BY id DESC LIMIT 1), ''),
                 'undo', ?1, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), 'succeeded', ?2, ?3)",
        params![
            by,
            format!(
                "restored the {} {} (taken {}); the audit log keeps every run",
                file.kind.as_str(),
                file.path.display(),
                file.taken_at
            ),
            file.path.display().to_string(),
        ],
    )?;
    Ok(tx.last_insert_rowid())
}

fn journal_of(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_os_string();
    name.push("-journal");
    PathBuf::from(name)
}

/// Checks the backup at `source` and copies it, migrated to this version's schema, to a
/// temporary file in the database's backups folder. The backup itself is only read.
fn prepare_copy(source: &Path, db: &Path) -> Result<PathBuf> {
    let fail = |detail: String| StoreError::Backup {
        path: source.to_path_buf(),
        detail,
    };
    let mut header = Vec::with_capacity(SQLITE_HEADER.len());
    std::fs::File::open(source)
        .and_then(|f| f.take(16).read_to_end(&mut header))
        .map_err(|e| fail(format!("it cannot be read ({e})")))?;
    if header.as_slice() != SQLITE_HEADER {
        return Err(fail(
            "it is not an SQLite file; the database is unchanged".into(),
        ));
    }
    let backup = Connection::open_with_flags(
        source,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| fail(format!("it cannot be opened ({e})")))?;
    let found: i64 = backup
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(|e| {
            fail(format!(
                "it cannot be read ({e}); the database is unchanged"
            ))
        })?;
    let known = schema_version();
    let found = usize::try_from(found).unwrap_or(0);
    if found < 1 {
        return Err(fail(
            "it is not an aadsync database (it has no aadsync schema); the database is unchanged"
                .into(),
        ));
    }
    if found > known {
        return Err(StoreError::BackupTooNew {
            path: source.to_path_buf(),
            found,
            known,
        });
    }
    let dir = backups_dir_of(db);
    crate::private::own_dir(&dir)
        .map_err(|e| fail(format!("cannot create the folder {} ({e})", dir.display())))?;
    let copy = dir.join(format!(
        ".{}.restoring.{}.sqlite3",
        stem_of(db),
        std::process::id()
    ));
    remove_if_present(&copy).map_err(|e| fail(format!("cannot replace {e}")))?;
    if let Err(detail) = copy_and_migrate(&backup, &copy, found < known) {
        let _ = remove_if_present(&copy);
        let _ = remove_if_present(&journal_of(&copy));
        return Err(fail(format!("{detail}; the database is unchanged")));
    }
    Ok(copy)
}

/// Copies `backup` to `copy`, migrates the copy when it is older, and checks it.
fn copy_and_migrate(
    backup: &Connection,
    copy: &Path,
    migrate: bool,
) -> std::result::Result<(), String> {
    let copy_error = |e: rusqlite::Error| format!("it cannot be copied ({e})");
    // Created 0600 first: it becomes the database, and SQLite would use the umask's mode.
    crate::private::create_new(copy).map_err(|e| format!("it cannot be copied ({e})"))?;
    let mut target = Connection::open(copy).map_err(copy_error)?;
    copy_whole(backup, &mut target).map_err(copy_error)?;
    target
        .query_row("PRAGMA journal_mode = DELETE", [], |_| Ok(()))
        .map_err(copy_error)?;
    if migrate {
        MIGRATIONS
            .to_latest(&mut target)
            .map_err(|e| format!("it cannot be brought up to this version's schema ({e})"))?;
    }
    let check: String = target
        .query_row("PRAGMA quick_check", [], |r| r.get(0))
        .map_err(|e| format!("it cannot be checked ({e})"))?;
    if check != "ok" {
        return Err(format!("it is damaged ({check})"));
    }
    target
        .close()
        .map_err(|(_, e)| format!("it cannot be copied ({e})"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every column of every replaced table is copied: a migration adding one must add it here.
    #[test]
    fn the_replaced_columns_are_the_schemas_and_every_other_table_is_kept() {
        let mut conn = Connection::open_in_memory().expect("memory");
        MIGRATIONS.to_latest(&mut conn).expect("schema");
        for (table, columns) in REPLACED {
            let schema: Vec<String> = conn
                .prepare(&format!(
                    "SELECT name FROM pragma_table_info('{table}') ORDER BY cid"
                ))
                .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
                .expect("columns");
            let listed: Vec<String> = columns.split(',').map(|c| c.trim().to_owned()).collect();
            assert_eq!(listed, schema, "{table}");
        }
        // Every other table is kept on purpose: a new table needs a decision here.
        let kept = [
            "azure_decisions",
            "organizations",
            // The largest ids ever used: a restore must not lower them.
            "row_id_high_water",
            // Append-only like the audit log: what the schedules did stays true.
            "scheduled_attempts",
            "sync_apply_marker",
            "sync_run_change_parts",
            "sync_run_changes",
            "sync_run_items",
            "sync_runs",
        ];
        let tables: Vec<String> = conn
            .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
            .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
            .expect("tables");
        let mut expected: Vec<&str> = REPLACED.iter().map(|(t, _)| *t).chain(kept).collect();
        expected.sort_unstable();
        assert_eq!(tables, expected);
    }
}
