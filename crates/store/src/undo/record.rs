//! What an undo records besides the rows it writes back: the run's decisions withdrawn (the
//! decisions are append-only, so the one in force before the run is appended again) and the
//! undo's own run and items in the append-only audit log.

use super::classify::{Unit, field};
use super::{Planned, Resolution, UndoChoices};
use crate::changeset::Op;
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, Transaction, params};
use std::collections::{BTreeMap, HashSet};

/// An object the undo touched or kept, as the audit log names it.
struct Identity {
    kind: &'static str,
    object_id: String,
    display_name: String,
}

/// Records the undo: decisions, then its run and items. Returns the undo run's id.
pub(super) fn record(
    tx: &Transaction<'_>,
    planned: &Planned,
    choices: &UndoChoices,
    touched: &BTreeMap<Unit, Op>,
    by: &str,
) -> rusqlite::Result<i64> {
    let run = &planned.plan.run;
    let mut kept_objects = HashSet::new();
    let mut items = Vec::new();
    for conflict in &planned.plan.conflicts {
        if choices.of(conflict) != Resolution::KeepNewer {
            continue;
        }
        let Some((unit, _)) = planned
            .conflict_of
            .iter()
            .find(|(_, c)| **c == conflict.id as usize)
        else {
            continue;
        };
        let who = identity(tx, planned, unit)?;
        kept_objects.insert(who.object_id.clone());
        let fields: Vec<String> = conflict.fields.iter().map(|f| f.field.clone()).collect();
        items.push((
            who,
            "skipped",
            Some(format!(
                "kept the newer value: {}{}",
                conflict.problem.describe(),
                if fields.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", fields.join(", "))
                }
            )),
        ));
    }
    for (unit, op) in touched {
        if matches!(unit, Unit::Membership(..) | Unit::Internal(_)) {
            continue;
        }
        let outcome = match op {
            Op::Delete => "deleted",
            Op::Insert => "created",
            Op::Update => "updated",
        };
        items.push((identity(tx, planned, unit)?, outcome, None));
    }
    tx.execute(
        "INSERT INTO sync_runs (organization_id, tenant_id, kind, started_by, finished_at,
                                status, created, updated, deleted, message, undoes_run)
         VALUES ((SELECT id FROM organizations WHERE tenant_id = ?1), ?1, 'undo', ?2,
                 strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), 'succeeded', ?3, ?4, ?5, ?6, ?7)",
        params![
            run.tenant_id,
            by,
            count(&items, "created"),
            count(&items, "updated"),
            count(&items, "deleted"),
            format!(
                "undid run #{}: {} row changes written back, {} newer values kept",
                run.id,
                touched.len(),
                count(&items, "skipped")
            ),
            run.id
        ],
    )?;
    let undo_run = tx.last_insert_rowid();
    let mut insert = tx.prepare(
        "INSERT INTO sync_run_items (run_id, object_type, object_id, display_name, outcome,
                                     reason)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    for (who, outcome, reason) in &items {
        insert.execute(params![
            undo_run,
            who.kind,
            who.object_id,
            who.display_name,
            outcome,
            reason
        ])?;
    }
    withdraw_decisions(tx, run.id, undo_run, &kept_objects, by)?;
    Ok(undo_run)
}

fn count(items: &[(Identity, &str, Option<String>)], outcome: &str) -> i64 {
    items.iter().filter(|(_, o, _)| *o == outcome).count() as i64
}

/// For each object whose decision in force the run wrote (and no later run replaced), the
/// decision in force before the run is in force again: appended as it was, or — when there
/// was none — the run's is appended as reversed. Objects kept as they are now keep theirs.
fn withdraw_decisions(
    tx: &Transaction<'_>,
    run_id: i64,
    undo_run: i64,
    kept_objects: &HashSet<String>,
    by: &str,
) -> rusqlite::Result<()> {
    let mut latest = tx.prepare(
        "SELECT d.tenant_id, d.object_id, d.id FROM azure_decisions d
         WHERE d.run_id = ?1 AND d.id = (SELECT max(id) FROM azure_decisions
                                         WHERE tenant_id = d.tenant_id AND object_id = d.object_id)",
    )?;
    let ours: Vec<(String, String, i64)> = latest
        .query_map([run_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (tenant, object_id, newest) in ours {
        if kept_objects.contains(&object_id) {
            continue;
        }
        let before: Option<i64> = tx
            .query_row(
                "SELECT max(id) FROM azure_decisions WHERE tenant_id = ?1 AND object_id = ?2
                   AND (run_id IS NOT ?3)",
                params![tenant, object_id, run_id],
                |r| r.get(0),
            )
            .optional()?
            .flatten();
        let source = match before {
            Some(id) if id < newest => id,
            _ => newest,
        };
        let action = if source == newest {
            "'reversed'"
        } else {
            "CASE WHEN action IN ('lifted', 'reversed') THEN 'reversed' ELSE action END"
        };
        tx.execute(
            &format!(
                "INSERT INTO azure_decisions (tenant_id, object_id, object_type, display_name,
                                              action, finding, decided_by, run_id)
                 SELECT tenant_id, object_id, object_type, display_name, {action}, finding, ?2, ?3
                 FROM azure_decisions WHERE id = ?1"
            ),
            params![source, by, undo_run],
        )?;
    }
    Ok(())
}

/// The Entra ID object a unit is, from the run's changes or the database now.
fn identity(conn: &Connection, planned: &Planned, unit: &Unit) -> rusqlite::Result<Identity> {
    let (kind, table, main, name_column, id) = match unit {
        Unit::User(id) => ("user", "azure_users", "users", "account_name", *id),
        Unit::Group(id) => ("group", "azure_groups", "groups", "name", *id),
        _ => ("user", "", "", "", 0),
    };
    let mut object_id = String::new();
    let mut display_name = String::new();
    for (change, u) in planned.changes.iter().zip(&planned.units) {
        if u != unit {
            continue;
        }
        let cols = columns(conn, &change.table)?;
        if change.table == table
            && let Value::Text(t) = field(&cols, change, "object_id")
        {
            object_id = t;
        }
        if change.table == main
            && let Value::Text(t) = field(&cols, change, name_column)
        {
            display_name = t;
        }
    }
    if object_id.is_empty() && !table.is_empty() {
        let key = if table == "azure_users" {
            "user_id"
        } else {
            "group_id"
        };
        object_id = conn
            .query_row(
                &format!("SELECT object_id FROM {table} WHERE {key} = ?1"),
                [id],
                |r| r.get(0),
            )
            .optional()?
            .unwrap_or_default();
    }
    if display_name.is_empty() && !main.is_empty() {
        display_name = conn
            .query_row(
                &format!("SELECT {name_column} FROM {main} WHERE id = ?1"),
                [id],
                |r| r.get(0),
            )
            .optional()?
            .unwrap_or_default();
    }
    Ok(Identity {
        kind,
        object_id,
        display_name,
    })
}

fn columns(conn: &Connection, table: &str) -> rusqlite::Result<Vec<String>> {
    let mut stmt = conn.prepare_cached("SELECT name FROM pragma_table_info(?1) ORDER BY cid")?;
    stmt.query_map([table], |r| r.get(0))?.collect()
}
