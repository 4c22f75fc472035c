//! What each scheduled synchronization attempt ended with (`scheduled_attempts`, migration
//! 0008): one row per attempt, append-only, written after the attempt in its own transaction,
//! so an attempt that wrote nothing (the safeguard, a sign-in to renew, a failure that rolled
//! back) is still on record for `aadsync schedule list` and the app.

use crate::Result;
use crate::audit::sql_words;
use crate::users::{ReadHandle, WriteHandle};
use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};

sql_words! {
    /// How a scheduled attempt ended.
    AttemptOutcome {
        Succeeded = "succeeded",
        // A run was written, but some objects failed (its items say which).
        SomeFailed = "some_failed",
        // Stopped before writing: more would be disabled or deleted than the safeguard allows.
        Safeguard = "safeguard",
        // The stored sign-in no longer works (expired, revoked): nothing was read.
        SignIn = "sign_in",
        Failed = "failed",
    }
}

/// An attempt to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAttempt {
    pub tenant_id: String,
    pub organization: String,
    /// When the attempt started, in seconds since the Unix epoch.
    pub started_unix: i64,
    pub outcome: AttemptOutcome,
    pub reason: String,
    /// The run the attempt wrote, if any.
    pub run_id: Option<i64>,
}

/// A recorded attempt.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ScheduledAttempt {
    pub id: i64,
    pub tenant_id: String,
    pub organization: String,
    pub started_at: String,
    pub finished_at: String,
    pub outcome: AttemptOutcome,
    pub reason: String,
    pub run_id: Option<i64>,
}

const COLUMNS: &str =
    "id, tenant_id, organization, started_at, finished_at, outcome, reason, run_id";

fn attempt(r: &rusqlite::Row<'_>) -> rusqlite::Result<ScheduledAttempt> {
    Ok(ScheduledAttempt {
        id: r.get(0)?,
        tenant_id: r.get(1)?,
        organization: r.get(2)?,
        started_at: r.get(3)?,
        finished_at: r.get(4)?,
        outcome: r.get(5)?,
        reason: r.get(6)?,
        run_id: r.get(7)?,
    })
}

impl WriteHandle<'_> {
    /// Appends `attempt`; its own transaction, so it holds whatever the attempt did or not.
    pub fn record_scheduled_attempt(&mut self, attempt: &NewAttempt) -> Result<i64> {
        self.conn
            .execute(
                "INSERT INTO scheduled_attempts
                     (tenant_id, organization, started_at, outcome, reason, run_id)
                 VALUES (?1, ?2, strftime('%Y-%m-%dT%H:%M:%SZ', ?3, 'unixepoch'), ?4, ?5, ?6)",
                rusqlite::params![
                    attempt.tenant_id,
                    attempt.organization,
                    attempt.started_unix,
                    attempt.outcome,
                    attempt.reason,
                    attempt.run_id
                ],
            )
            .map_err(|e| crate::StoreError::from_sqlite(self.path, e))?;
        Ok(self.conn.last_insert_rowid())
    }
}

impl ReadHandle<'_> {
    /// Every scheduled attempt, newest first.
    pub fn scheduled_attempts(&self) -> Result<Vec<ScheduledAttempt>> {
        let mut stmt = self
            .connection()
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM scheduled_attempts ORDER BY id DESC"
            ))
            .map_err(|e| self.error(e))?;
        let rows = stmt.query_map([], attempt).map_err(|e| self.error(e))?;
        rows.collect::<rusqlite::Result<_>>()
            .map_err(|e| self.error(e))
    }

    /// The last scheduled attempt of each tenant, newest first.
    pub fn last_scheduled_attempts(&self) -> Result<Vec<ScheduledAttempt>> {
        let mut last: Vec<ScheduledAttempt> = Vec::new();
        for a in self.scheduled_attempts()? {
            if !last
                .iter()
                .any(|l| l.tenant_id.eq_ignore_ascii_case(&a.tenant_id))
            {
                last.push(a);
            }
        }
        Ok(last)
    }
}
