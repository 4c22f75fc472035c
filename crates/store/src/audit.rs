//! The audit log: synchronization, undo and restore runs with their items. It is append-only
//! (the database's triggers refuse to delete or rewrite a finished run or any item), so a run
//! an undo reverted is not marked: it is undone because an undo run names it.

use crate::Result;
use crate::changes::ObjectKind;
use crate::users::ReadHandle;
use rusqlite::Row;
use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};

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

pub(crate) use sql_words;

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
    /// The copy of the whole database an older version took before the run.
    pub snapshot_path: Option<String>,
    pub message: Option<String>,
    /// For an undo: the run it undid.
    pub undoes_run: Option<i64>,
    /// For a restore: the backup file it restored.
    pub restored_from: Option<String>,
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

const RUN_COLUMNS: &str = "r.id, r.kind, r.tenant_id, o.display_name, r.started_by, r.started_at,
    r.finished_at,
    CASE WHEN EXISTS (SELECT 1 FROM sync_runs u WHERE u.undoes_run = r.id
                                              AND u.status = 'succeeded')
         THEN 'undone' ELSE r.status END,
    r.created, r.updated, r.unchanged, r.disabled, r.deleted, r.failed,
    r.snapshot_path, r.message, r.undoes_run, r.restored_from";

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
        undoes_run: r.get(16)?,
        restored_from: r.get(17)?,
    })
}

pub(crate) fn runs_query(
    conn: &rusqlite::Connection,
    filter: &str,
) -> rusqlite::Result<Vec<RunSummary>> {
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

impl crate::users::WriteHandle<'_> {
    /// Whether no synchronization of `tenant_id` completed yet: the one full backup is written
    /// before the first.
    pub fn first_sync(&self, tenant_id: &str) -> Result<bool> {
        self.conn
            .query_row(
                "SELECT NOT EXISTS (SELECT 1 FROM sync_runs WHERE tenant_id = ?1
                                      AND kind = 'sync' AND status = 'succeeded')",
                [tenant_id],
                |r| r.get(0),
            )
            .map_err(|e| crate::StoreError::from_sqlite(self.path, e))
    }
}
