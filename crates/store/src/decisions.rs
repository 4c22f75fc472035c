//! The administrator's decisions about objects *Check deleted objects* listed, and why each
//! imported object is in scope: read for the User properties dialog, and a decision reversed
//! by the administrator (the sync records and lifts them; see `apply`).

use crate::changes::{DecisionAction, DecisionFinding, Reason, StandingDecision};
use crate::imported::HELD;
use crate::users::{ReadHandle, WriteHandle};
use crate::{Result, StoreError};
use rusqlite::{OptionalExtension, params};

/// One row of an object's decision history, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DecisionEntry {
    /// keep, disable, delete, lifted (its finding stopped holding) or reversed (by an
    /// administrator).
    pub action: String,
    pub finding: String,
    pub decided_by: String,
    pub decided_at: String,
    pub run_id: Option<i64>,
}

impl ReadHandle<'_> {
    /// Why an imported object is in scope (empty: out of scope), by root and path.
    pub fn scope_reasons(&self, tenant_id: &str, object_id: &str) -> Result<Vec<Reason>> {
        let mut stmt = self
            .connection()
            .prepare_cached(
                "SELECT root_id, path FROM azure_scope_reasons
                 WHERE tenant_id = ?1 AND object_id = ?2 ORDER BY path, root_id",
            )
            .map_err(|e| self.error(e))?;
        stmt.query_map([tenant_id, object_id], |r| {
            Ok(Reason {
                root_id: r.get(0)?,
                path: r.get(1)?,
            })
        })
        .and_then(|rows| rows.collect())
        .map_err(|e| self.error(e))
    }

    /// An object's decisions, oldest first.
    pub fn decision_history(&self, tenant_id: &str, object_id: &str) -> Result<Vec<DecisionEntry>> {
        let mut stmt = self
            .connection()
            .prepare_cached(
                "SELECT action, finding, decided_by, decided_at, run_id FROM azure_decisions
                 WHERE tenant_id = ?1 AND object_id = ?2 ORDER BY id",
            )
            .map_err(|e| self.error(e))?;
        stmt.query_map([tenant_id, object_id], |r| {
            Ok(DecisionEntry {
                action: r.get(0)?,
                finding: r.get(1)?,
                decided_by: r.get(2)?,
                decided_at: r.get(3)?,
                run_id: r.get(4)?,
            })
        })
        .and_then(|rows| rows.collect())
        .map_err(|e| self.error(e))
    }

    /// An imported user of the tenant by object ID or user principal name (any case): its
    /// object ID.
    pub fn azure_user_id(&self, tenant_id: &str, key: &str) -> Result<Option<String>> {
        self.connection()
            .query_row(
                "SELECT object_id FROM azure_users
                 WHERE tenant_id = ?1 AND (object_id = lower(?2)
                       OR lower(user_principal_name) = lower(?2))",
                [tenant_id, key.trim()],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.error(e))
    }

    /// The decision in force for an object, if any.
    pub fn standing_decision(
        &self,
        tenant_id: &str,
        object_id: &str,
    ) -> Result<Option<StandingDecision>> {
        standing(self.connection(), tenant_id, object_id).map_err(|e| self.error(e))
    }
}

fn standing(
    conn: &rusqlite::Connection,
    tenant_id: &str,
    object_id: &str,
) -> rusqlite::Result<Option<StandingDecision>> {
    let latest: Option<(String, String, String, String)> = conn
        .query_row(
            "SELECT action, finding, decided_by, decided_at FROM azure_decisions
             WHERE tenant_id = ?1 AND object_id = ?2 ORDER BY id DESC LIMIT 1",
            [tenant_id, object_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()?;
    Ok(
        latest.and_then(|(action, finding, decided_by, decided_at)| {
            Some(StandingDecision {
                action: DecisionAction::from_sql(&action)?,
                finding: DecisionFinding::from_sql(&finding)?,
                decided_by,
                decided_at,
            })
        }),
    )
}

impl WriteHandle<'_> {
    /// Reverses the decision in force about an object: recorded as `reversed` by `by`; a user
    /// a Disable decision kept disabled (also one the administrator later chose to Keep) is
    /// enabled again when Entra ID has it enabled. Later syncs
    /// follow Entra ID for it, and *Check deleted objects* asks about it again.
    pub fn reverse_decision(&mut self, tenant_id: &str, object_id: &str, by: &str) -> Result<()> {
        let path = self.path;
        let sql = |e| StoreError::from_sqlite(path, e);
        let tx = self.conn.transaction().map_err(sql)?;
        let held = tx
            .prepare(&format!("{HELD} AND d.object_id = ?2"))
            .and_then(|mut s| s.exists(params![tenant_id, object_id]))
            .map_err(sql)?;
        let Some(decision) = standing(&tx, tenant_id, object_id).map_err(sql)? else {
            return Err(StoreError::Invalid(
                "there is no decision in force about this object".into(),
            ));
        };
        // The database lets only synchronization write Azure AD data; this is its own door.
        tx.execute("INSERT INTO sync_apply_marker (id) VALUES (1)", [])
            .map_err(sql)?;
        tx.execute(
            "INSERT INTO azure_decisions (tenant_id, object_id, object_type, display_name,
                                          action, finding, decided_by)
             SELECT tenant_id, object_id, object_type, display_name, 'reversed', finding, ?3
             FROM azure_decisions WHERE tenant_id = ?1 AND object_id = ?2
             ORDER BY id DESC LIMIT 1",
            params![tenant_id, object_id, by],
        )
        .map_err(sql)?;
        if held || decision.action == DecisionAction::Disable {
            tx.execute(
                "UPDATE users SET enabled = a.account_enabled,
                        updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now')
                 FROM azure_users a
                 WHERE a.user_id = users.id AND a.tenant_id = ?1 AND a.object_id = ?2",
                params![tenant_id, object_id],
            )
            .map_err(sql)?;
        }
        tx.execute("DELETE FROM sync_apply_marker", [])
            .map_err(sql)?;
        tx.commit().map_err(sql)?;
        tracing::info!(object = object_id, by, "decision reversed");
        Ok(())
    }
}
