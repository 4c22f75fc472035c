//! The audit log (synchronization runs and their items) and "Undo last synchronization":
//! restore the snapshot taken before the run, and record that it happened.

use crate::changes::ObjectKind;
use crate::users::{ReadHandle, WriteHandle};
use crate::{Result, StoreError};
use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};
use rusqlite::{OptionalExtension, Row, params};
use std::path::{Path, PathBuf};

/// Defines a closed set of words the audit log stores in a TEXT column (its CHECK constraint
/// lists the same words), with the conversions both ways.
macro_rules! sql_words {
    ($(#[$doc:meta])* $name:ident { $($variant:ident = $word:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
        #[serde(rename_all = "lowercase")]
        pub enum $name {
            $($variant),+
        }

        impl $name {
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $word),+
                }
            }

            pub fn from_sql(text: &str) -> Option<Self> {
                match text {
                    $($word => Some($name::$variant),)+
                    _ => None,
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.pad(self.as_str())
            }
        }

        impl FromSql for $name {
            fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
                let text = value.as_str()?;
                $name::from_sql(text).ok_or_else(|| {
                    FromSqlError::Other(format!("{} {text:?}", stringify!($name)).into())
                })
            }
        }

        impl ToSql for $name {
            fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
                Ok(self.as_str().into())
            }
        }
    };
}

sql_words! {
    /// What a run in the audit log was.
    RunKind { Sync = "sync", Undo = "undo" }
}

sql_words! {
    /// Where a run in the audit log is.
    RunStatus {
        Running = "running",
        Succeeded = "succeeded",
        Failed = "failed",
        Cancelled = "cancelled",
        // A synchronization an undo reverted.
        Undone = "undone",
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RunSummary {
    pub id: i64,
    pub kind: RunKind,
    pub tenant_id: String,
    /// The organization's name, if it is still configured.
    pub organization: Option<String>,
    pub started_by: String,
    pub started_at: String,
    pub finished_at: Option<String>,
    pub status: RunStatus,
    pub created: i64,
    pub updated: i64,
    pub unchanged: i64,
    pub disabled: i64,
    pub deleted: i64,
    pub failed: i64,
    pub snapshot_path: Option<String>,
    pub message: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RunItem {
    #[serde(rename = "object_type")]
    pub kind: ObjectKind,
    pub object_id: String,
    pub display_name: String,
    pub outcome: String,
    pub reason: Option<String>,
    pub changed_fields: String,
}

/// What undoing a run would cost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UndoPreview {
    pub run: RunSummary,
    /// Users created or edited on the server after the run (lost by the undo).
    pub later_user_changes: i64,
}

const RUN_COLUMNS: &str = "r.id, r.kind, r.tenant_id, o.display_name, r.started_by, r.started_at,
    r.finished_at, r.status, r.created, r.updated, r.unchanged, r.disabled, r.deleted, r.failed,
    r.snapshot_path, r.message";

fn run(r: &Row<'_>) -> rusqlite::Result<RunSummary> {
    Ok(RunSummary {
        id: r.get(0)?,
        kind: r.get(1)?,
        tenant_id: r.get(2)?,
        organization: r.get(3)?,
        started_by: r.get(4)?,
        started_at: r.get(5)?,
        finished_at: r.get(6)?,
        status: r.get(7)?,
        created: r.get(8)?,
        updated: r.get(9)?,
        unchanged: r.get(10)?,
        disabled: r.get(11)?,
        deleted: r.get(12)?,
        failed: r.get(13)?,
        snapshot_path: r.get(14)?,
        message: r.get(15)?,
    })
}

fn runs_query(conn: &rusqlite::Connection, filter: &str) -> rusqlite::Result<Vec<RunSummary>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {RUN_COLUMNS} FROM sync_runs r LEFT JOIN organizations o ON o.id = r.organization_id
         {filter} ORDER BY r.id DESC"
    ))?;
    let rows = stmt.query_map([], run)?;
    rows.collect()
}

fn items_query(conn: &rusqlite::Connection, run_id: i64) -> rusqlite::Result<Vec<RunItem>> {
    let mut stmt = conn.prepare(
        "SELECT object_type, object_id, display_name, outcome, reason, changed_fields
         FROM sync_run_items WHERE run_id = ?1 ORDER BY id",
    )?;
    let rows = stmt.query_map([run_id], |r| {
        Ok(RunItem {
            kind: r.get(0)?,
            object_id: r.get(1)?,
            display_name: r.get(2)?,
            outcome: r.get(3)?,
            reason: r.get(4)?,
            changed_fields: r.get(5)?,
        })
    })?;
    rows.collect()
}

/// The audit log as it was before a restore, written back over the restored one: runs the
/// snapshot already had are updated in place (an upsert, so their items stay), later ones come
/// back with their items, and `run_id` is marked undone.
fn write_back(
    tx: &rusqlite::Transaction<'_>,
    kept: &[RunSummary],
    kept_items: &[(i64, Vec<RunItem>)],
    run_id: i64,
) -> rusqlite::Result<()> {
    let mut insert_run = tx.prepare(
        // An upsert, not INSERT OR REPLACE: replacing deletes the row first, and
        // the delete cascades to the run's items, which the audit log must keep.
        "INSERT INTO sync_runs (id, organization_id, tenant_id, kind, started_by,
                    started_at, finished_at, status, created, updated, unchanged, disabled,
                    deleted, failed, snapshot_path, message)
                 VALUES (?1, (SELECT id FROM organizations WHERE tenant_id = ?2), ?2, ?3, ?4,
                    ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)
                 ON CONFLICT (id) DO UPDATE SET organization_id = excluded.organization_id,
                    tenant_id = excluded.tenant_id, kind = excluded.kind,
                    started_by = excluded.started_by, started_at = excluded.started_at,
                    finished_at = excluded.finished_at, status = excluded.status,
                    created = excluded.created, updated = excluded.updated,
                    unchanged = excluded.unchanged, disabled = excluded.disabled,
                    deleted = excluded.deleted, failed = excluded.failed,
                    snapshot_path = excluded.snapshot_path, message = excluded.message",
    )?;
    let mut insert_item = tx.prepare(
        "INSERT INTO sync_run_items (run_id, object_type, object_id, display_name,
                    outcome, reason, changed_fields) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    for r in kept {
        let exists: Option<i64> = tx
            .query_row("SELECT id FROM sync_runs WHERE id = ?1", [r.id], |x| {
                x.get(0)
            })
            .optional()?;
        let status = if r.id == run_id {
            RunStatus::Undone
        } else {
            r.status
        };
        insert_run.execute(params![
            r.id,
            r.tenant_id,
            r.kind,
            r.started_by,
            r.started_at,
            r.finished_at,
            status,
            r.created,
            r.updated,
            r.unchanged,
            r.disabled,
            r.deleted,
            r.failed,
            r.snapshot_path,
            r.message
        ])?;
        if exists.is_none()
            && let Some((_, items)) = kept_items.iter().find(|(id, _)| *id == r.id)
        {
            for it in items {
                insert_item.execute(params![
                    r.id,
                    it.kind,
                    it.object_id,
                    it.display_name,
                    it.outcome,
                    it.reason,
                    it.changed_fields
                ])?;
            }
        }
    }
    Ok(())
}

impl ReadHandle<'_> {
    /// Every run, newest first.
    pub fn runs(&self) -> Result<Vec<RunSummary>> {
        runs_query(self.connection(), "").map_err(|e| self.error(e))
    }

    /// A run's items, what changed first (then in the order they were applied): in a run of
    /// 100,000 mostly unchanged objects, the few that changed are what an admin looks for.
    pub fn run_items(&self, run_id: i64) -> Result<Vec<RunItem>> {
        let mut items = items_query(self.connection(), run_id).map_err(|e| self.error(e))?;
        items.sort_by_key(|i| i.outcome == "unchanged");
        Ok(items)
    }
}

impl WriteHandle<'_> {
    /// Records where the snapshot taken before `run_id` is (for undo).
    pub fn set_run_snapshot(&mut self, run_id: i64, snapshot: &Path) -> Result<()> {
        let path = self.path;
        self.conn
            .execute(
                "UPDATE sync_runs SET snapshot_path = ?2 WHERE id = ?1",
                params![run_id, snapshot.display().to_string()],
            )
            .map_err(|e| StoreError::from_sqlite(path, e))?;
        Ok(())
    }

    /// Whether `run_id` can be undone, and what undoing it would lose. Only the newest
    /// successful synchronization can be undone, and only while its snapshot exists.
    pub fn undo_preview(&self, run_id: i64) -> Result<UndoPreview> {
        let path = self.path;
        let sql = |e| StoreError::from_sqlite(path, e);
        let runs = runs_query(
            &self.conn,
            "WHERE r.kind = 'sync' AND r.status = 'succeeded'",
        )
        .map_err(sql)?;
        let Some(latest) = runs.first() else {
            return Err(StoreError::Invalid(
                "there is no synchronization to undo".into(),
            ));
        };
        if latest.id != run_id {
            return Err(StoreError::Invalid(format!(
                "only the last synchronization (run #{}) can be undone",
                latest.id
            )));
        }
        let snapshot = latest.snapshot_path.clone().unwrap_or_default();
        if snapshot.is_empty() || !Path::new(&snapshot).is_file() {
            return Err(StoreError::Invalid(format!(
                "the snapshot taken before run #{run_id} is gone ({snapshot}); it cannot be undone"
            )));
        }
        let finished = latest.finished_at.clone().unwrap_or_default();
        let later: i64 = self
            .conn
            .query_row(
                "SELECT count(*) FROM users WHERE updated_at > ?1",
                [&finished],
                |r| r.get(0),
            )
            .map_err(sql)?;
        Ok(UndoPreview {
            run: latest.clone(),
            later_user_changes: later,
        })
    }

    /// Restores the snapshot taken before `run_id`, keeps the audit log (the run is marked
    /// undone, and an "undo" run records who did it), and returns the undo run's id.
    pub fn undo_run(&mut self, run_id: i64, by: &str) -> Result<i64> {
        let preview = self.undo_preview(run_id)?;
        let path = self.path;
        let sql = |e| StoreError::from_sqlite(path, e);
        // The audit log since the snapshot, kept across the restore.
        let kept = runs_query(&self.conn, "").map_err(sql)?;
        let mut kept_items = Vec::new();
        for r in &kept {
            kept_items.push((r.id, items_query(&self.conn, r.id).map_err(sql)?));
        }
        let snapshot = PathBuf::from(preview.run.snapshot_path.clone().unwrap_or_default());
        self.restore_from(&snapshot)?;
        let tx = self.conn.transaction().map_err(sql)?;
        write_back(&tx, &kept, &kept_items, run_id).map_err(sql)?;
        tx.execute(
            "INSERT INTO sync_runs (organization_id, tenant_id, kind, started_by, finished_at,
                status, message)
             VALUES ((SELECT id FROM organizations WHERE tenant_id = ?1), ?1, 'undo', ?2,
                strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), 'succeeded', ?3)",
            params![
                preview.run.tenant_id,
                by,
                format!(
                    "undid run #{run_id} by restoring {} ({} later user changes discarded)",
                    snapshot.display(),
                    preview.later_user_changes
                )
            ],
        )
        .map_err(sql)?;
        let undo_id = tx.last_insert_rowid();
        tx.commit().map_err(sql)?;
        tracing::info!(run = run_id, undo = undo_id, "synchronization undone");
        Ok(undo_id)
    }
}
