//! What an undo records besides the rows it writes back: the run's decisions withdrawn (the
//! decisions are append-only, so the one in force before the run is appended again) and the
//! undo's own run and items in the append-only audit log.

use super::classify::{Unit, field};
use super::{Planned, Resolution, UndoChoices};
use crate::backup::decisions::{rows_to_append, standing_before};
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
    (touched, reverted): (&BTreeMap<Unit, Op>, usize),
    by: &str,
) -> rusqlite::Result<i64> {
    let run = &planned.plan.run;
    let (mut items, kept_objects) = kept(tx, planned, choices)?;
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
                "undid run #{}: {} changes reverted, {} newer values kept",
                run.id,
                reverted,
                planned
                    .plan
                    .conflicts
                    .iter()
                    .filter(|c| choices.of(c) == Resolution::KeepNewer)
                    .count()
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

/// The conflicts that keep their newer value, as skipped items, and their objects' IDs.
fn kept(
    conn: &Connection,
    planned: &Planned,
    choices: &UndoChoices,
) -> rusqlite::Result<(Vec<Item>, HashSet<String>)> {
    let mut objects = HashSet::new();
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
        // A membership is no object of the audit log's; the run's message counts it.
        if matches!(unit, Unit::Membership(..)) {
            continue;
        }
        let who = identity(conn, planned, unit)?;
        objects.insert(who.object_id.clone());
        let fields: Vec<String> = conflict.fields.iter().map(|f| f.field.clone()).collect();
        let detail = if fields.is_empty() {
            String::new()
        } else {
            format!(" ({})", fields.join(", "))
        };
        items.push((
            who,
            "skipped",
            Some(format!(
                "kept the newer value: {}{detail}",
                conflict.problem.describe()
            )),
        ));
    }
    Ok((items, objects))
}

/// An audit item: the object, its outcome, the reason.
type Item = (Identity, &'static str, Option<String>);

fn count(items: &[Item], outcome: &str) -> i64 {
    items.iter().filter(|(_, o, _)| *o == outcome).count() as i64
}

/// For each object the run decided about (and no later run decided about since), the rows that
/// make its decisions stand as they did before the run — the decision in force and the Disable
/// that holds (`imported::HELD`) — are appended. Objects kept as they are now keep theirs.
fn withdraw_decisions(
    tx: &Transaction<'_>,
    run_id: i64,
    undo_run: i64,
    kept_objects: &HashSet<String>,
    by: &str,
) -> rusqlite::Result<()> {
    let mut ours = tx.prepare(
        "SELECT d.tenant_id, d.object_id, min(d.id), max(d.object_type), max(d.display_name)
         FROM azure_decisions d WHERE d.run_id = ?1
         GROUP BY d.tenant_id, d.object_id
         HAVING max(d.id) = (SELECT max(id) FROM azure_decisions
                             WHERE tenant_id = d.tenant_id AND object_id = d.object_id)",
    )?;
    let objects: Vec<(String, String, i64, String, String)> = ours
        .query_map([run_id], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut insert = tx.prepare(
        "INSERT INTO azure_decisions (tenant_id, object_id, object_type, display_name, action,
                                      finding, decided_by, run_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?;
    for (tenant, object_id, first, kind, name) in objects {
        if kept_objects.contains(&object_id) {
            continue;
        }
        let before = standing_before(tx, &tenant, &object_id, Some(first))?;
        let now = standing_before(tx, &tenant, &object_id, None)?;
        for (action, finding) in rows_to_append(&before, &now) {
            insert.execute(params![
                tenant, object_id, kind, name, action, finding, by, undo_run
            ])?;
        }
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
    for &i in planned.by_unit.get(unit).into_iter().flatten() {
        let (change, cols) = (&planned.changes[i], &planned.cols[i]);
        if change.table == table
            && let Value::Text(t) = field(cols, change, "object_id")
        {
            object_id = t;
        }
        if change.table == main
            && let Value::Text(t) = field(cols, change, name_column)
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
