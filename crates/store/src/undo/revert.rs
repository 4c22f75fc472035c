//! Carrying out an undo's plan: which units are conflicts (and how the preview words them),
//! the row changes written back, the run's decisions withdrawn, and the undo's audit records.

use super::classify::{self, Meets, Unit, field, field_label, field_text};
use super::{
    Planned, Problem, Resolution, UndoChoices, UndoConflict, UndoOutcome, deletes, record,
};
use crate::changeset::{Op, RowChange};
use crate::{Result, StoreError};
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, Transaction, params, params_from_iter};
use std::collections::{BTreeMap, HashMap, HashSet};

/// The order tables are written back in: owners before what refers to them.
const ORDER: &[&str] = &[
    "users",
    "groups",
    "azure_users",
    "azure_groups",
    "memberships",
    "azure_user_tombstones",
    "azure_scope_roots",
    "azure_scope_reasons",
    "organizations",
];

/// Collects the conflicts of `planned`, one per user, group or membership in conflict.
pub(super) fn find_conflicts(conn: &Connection, planned: &mut Planned) -> rusqlite::Result<()> {
    let ours = memberships_removed(planned);
    let mut history = None;
    let by_unit: Vec<(Unit, Vec<usize>)> = planned
        .by_unit
        .iter()
        .filter(|(u, _)| !matches!(u, Unit::Internal(_)))
        .map(|(u, m)| (u.clone(), m.clone()))
        .collect();
    for (unit, members) in by_unit {
        let mut problem = None;
        let mut fields = Vec::new();
        for &i in &members {
            let change = &planned.changes[i];
            if classify::follows_its_object(&change.table) {
                continue;
            }
            match &planned.meets[i] {
                Meets::Changed(changed) => {
                    problem.get_or_insert(Problem::ChangedSince);
                    // The account key is the account name, lower-cased: shown once.
                    for (column, now, restore) in
                        changed.iter().filter(|(c, ..)| c != "account_key")
                    {
                        fields.push(super::FieldConflict {
                            field: field_label(&change.table, column),
                            now: field_text(column, now),
                            restore: if change.op == Op::Delete {
                                "(removed by the undo)".into()
                            } else {
                                field_text(column, restore)
                            },
                        });
                    }
                }
                Meets::Gone => problem = Some(Problem::DeletedSince),
                Meets::Taken(why) => problem = Some(Problem::Taken(why.clone())),
                Meets::AsLeft | Meets::AlreadyBefore => {}
            }
        }
        if let Some(later) = later_members(conn, planned, &unit, &members, &ours)? {
            problem.get_or_insert(Problem::ChangedSince);
            fields.push(later);
        }
        let Some(problem) = problem else { continue };
        let restorable = problem == Problem::ChangedSince;
        let id = u32::try_from(planned.plan.conflicts.len()).unwrap_or(u32::MAX);
        planned
            .conflict_of
            .insert(unit.clone(), planned.plan.conflicts.len());
        planned.plan.conflicts.push(UndoConflict {
            id,
            object_type: match unit {
                Unit::User(_) => "user",
                Unit::Group(_) => "group",
                _ => "membership",
            },
            object: name_of(conn, planned, &unit, &mut history)?,
            problem,
            fields,
            restorable,
        });
    }
    Ok(())
}

/// The memberships the undo removes (the run added them), by (group, user).
fn memberships_removed(planned: &Planned) -> HashSet<(i64, i64)> {
    planned
        .changes
        .iter()
        .zip(&planned.units)
        .filter(|(c, _)| deletes(c, "memberships"))
        .filter_map(|(_, u)| match u {
            Unit::Membership(g, u) => Some((*g, *u)),
            _ => None,
        })
        .collect()
}

/// Memberships added since the run to a user or group the undo would delete (as the run left
/// it or, restored, as it is now): deleting it takes them away too, so they are a change the
/// administrator must see.
fn later_members(
    conn: &Connection,
    planned: &Planned,
    unit: &Unit,
    members: &[usize],
    ours: &HashSet<(i64, i64)>,
) -> rusqlite::Result<Option<super::FieldConflict>> {
    let (table, column, id) = match unit {
        Unit::User(id) => ("users", "user_id", *id),
        Unit::Group(id) => ("groups", "group_id", *id),
        _ => return Ok(None),
    };
    if !members.iter().any(|&i| {
        deletes(&planned.changes[i], table)
            && matches!(planned.meets[i], Meets::AsLeft | Meets::Changed(_))
    }) {
        return Ok(None);
    }
    let name = if table == "users" {
        "SELECT name FROM groups WHERE id = m.group_id"
    } else {
        "SELECT account_name FROM users WHERE id = m.user_id"
    };
    let mut stmt = conn.prepare(&format!(
        "SELECT m.group_id, m.user_id, ({name}) FROM memberships m WHERE m.{column} = ?1
         ORDER BY 3"
    ))?;
    let later: Vec<String> = stmt
        .query_map([id], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?
        .into_iter()
        .filter(|(g, u, _)| !ours.contains(&(*g, *u)))
        .map(|(_, _, n)| n)
        .collect();
    if later.is_empty() {
        return Ok(None);
    }
    Ok(Some(super::FieldConflict {
        field: if table == "users" {
            "member of"
        } else {
            "members"
        }
        .into(),
        now: later.join(", "),
        restore: "(removed by the undo)".into(),
    }))
}

/// How the preview names a unit: from the database now, else from the changeset.
fn name_of(
    conn: &Connection,
    planned: &Planned,
    unit: &Unit,
    history: &mut Option<Gone>,
) -> rusqlite::Result<String> {
    let mut named = |table: &'static str, column: &str, id: i64| -> rusqlite::Result<String> {
        let now: Option<String> = conn
            .query_row(
                &format!("SELECT {column} FROM {table} WHERE id = ?1"),
                [id],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(now) = now {
            return Ok(now);
        }
        let unit = if table == "users" {
            Unit::User(id)
        } else {
            Unit::Group(id)
        };
        let from_run = planned
            .by_unit
            .get(&unit)
            .into_iter()
            .flatten()
            .filter(|&&i| planned.changes[i].table == table)
            .map(|&i| field(&planned.cols[i], &planned.changes[i], column))
            .find(|v| *v != Value::Null);
        if let Some(Value::Text(t)) = from_run {
            return Ok(t);
        }
        if history.is_none() {
            *history = Some(gone_names(conn, planned)?);
        }
        Ok(match history.as_ref().and_then(|h| h.get(&(table, id))) {
            Some(name) => name.clone(),
            None => format!("{} #{id}", if table == "users" { "user" } else { "group" }),
        })
    };
    match unit {
        Unit::User(id) => named("users", "account_name", *id),
        Unit::Group(id) => named("groups", "name", *id),
        Unit::Membership(g, u) => Ok(format!(
            "{} in {}",
            named("users", "account_name", *u)?,
            named("groups", "name", *g)?
        )),
        Unit::Internal(_) => Ok(String::new()),
    }
}

/// The names of users and groups no longer in the database, by (table, row id).
type Gone = HashMap<(&'static str, i64), String>;

/// The last names the runs' changesets (newest first) hold for the plan's users and groups
/// that are no longer in the database: a row id names one object forever (migration 0006),
/// so a user deleted since is named as the run that last wrote her row knew her.
fn gone_names(conn: &Connection, planned: &Planned) -> rusqlite::Result<Gone> {
    let mut wanted: HashSet<(&'static str, i64)> = HashSet::new();
    for unit in &planned.units {
        let keys = match unit {
            Unit::User(id) => vec![("users", *id)],
            Unit::Group(id) => vec![("groups", *id)],
            Unit::Membership(g, u) => vec![("groups", *g), ("users", *u)],
            Unit::Internal(_) => vec![],
        };
        for (table, id) in keys {
            let there: bool = conn.query_row(
                &format!("SELECT EXISTS (SELECT 1 FROM {table} WHERE id = ?1)"),
                [id],
                |r| r.get(0),
            )?;
            if !there {
                wanted.insert((table, id));
            }
        }
    }
    let mut names = Gone::new();
    for run_id in crate::changeset::runs_newest_first(conn)? {
        if names.len() >= wanted.len() {
            break;
        }
        let blob = crate::changeset::stored(conn, run_id)?.unwrap_or_default();
        for change in crate::changeset::inverted(&blob)? {
            let (table, column) = match change.table.as_str() {
                "users" => ("users", "account_name"),
                "groups" => ("groups", "name"),
                _ => continue,
            };
            let Some(Value::Integer(id)) = change.key().first().cloned() else {
                continue;
            };
            if !wanted.contains(&(table, id)) || names.contains_key(&(table, id)) {
                continue;
            }
            let Some(i) = position(conn, table, column)? else {
                continue;
            };
            // What the run wrote (old, in the inverse), else what it found.
            if let Some(Value::Text(name)) = change.old[i].clone().or(change.new[i].clone()) {
                names.insert((table, id), name);
            }
        }
    }
    Ok(names)
}

/// Where `column` is among `table`'s columns (in a changeset's order).
fn position(conn: &Connection, table: &str, column: &str) -> rusqlite::Result<Option<usize>> {
    let mut stmt = conn.prepare_cached("SELECT name FROM pragma_table_info(?1) ORDER BY cid")?;
    let names = stmt
        .query_map([table], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(names.iter().position(|c| c == column))
}

/// Whether the undo writes change `i` back, given the administrator's choices: a change in a
/// kept conflict stays. (A membership is its own unit: the run's membership of a kept user is
/// still the run's own change, reverted unless it changed since.)
fn writes(planned: &Planned, choices: &UndoChoices, i: usize) -> bool {
    let resolution_of = |unit: &Unit| {
        planned
            .conflict_of
            .get(unit)
            .map(|&c| choices.of(&planned.plan.conflicts[c]))
    };
    match (&planned.meets[i], resolution_of(&planned.units[i])) {
        (_, Some(Resolution::KeepNewer)) | (Meets::AlreadyBefore, _) => false,
        (Meets::AsLeft, _) | (Meets::Changed(_), Some(Resolution::Restore)) => true,
        _ => false,
    }
}

/// Writes the plan back: every change not in a kept conflict, the decisions, the audit run.
pub(super) fn revert(
    tx: &Transaction<'_>,
    planned: &mut Planned,
    choices: &UndoChoices,
    by: &str,
    cancelled: &dyn Fn() -> bool,
) -> Result<UndoOutcome> {
    let sql = StoreError::Sqlite;
    let write: Vec<bool> = (0..planned.changes.len())
        .map(|i| writes(planned, choices, i))
        .collect();
    free_account_names(tx, planned, &write).map_err(sql)?;
    let mut order: Vec<usize> = (0..planned.changes.len()).collect();
    order.sort_by_key(|&i| {
        ORDER
            .iter()
            .position(|t| *t == planned.changes[i].table)
            .unwrap_or(ORDER.len())
    });
    let mut reverted = 0;
    let mut touched: BTreeMap<Unit, Op> = BTreeMap::new();
    for i in order {
        if cancelled() {
            return Err(StoreError::Interrupted);
        }
        let (change, cols) = (&planned.changes[i], &planned.cols[i]);
        // Never a conflict: a later run moved the links on, so the next sync compares everything.
        if change.table == "organizations" && matches!(planned.meets[i], Meets::Changed(_)) {
            forget_delta_links(tx, cols, change).map_err(sql)?;
        }
        if write[i] && write_back(tx, cols, change).map_err(sql)? {
            reverted += 1;
            let main = matches!(change.table.as_str(), "users" | "groups");
            let entry = touched
                .entry(planned.units[i].clone())
                .or_insert(Op::Update);
            if main {
                *entry = change.op;
            }
        }
    }
    let kept = planned
        .plan
        .conflicts
        .iter()
        .filter(|c| choices.of(c) == Resolution::KeepNewer)
        .count();
    let undo_run = record::record(tx, planned, choices, (&touched, reverted), by).map_err(sql)?;
    Ok(UndoOutcome {
        undo_run,
        reverted,
        kept,
    })
}

/// Users whose account name the undo sets back first give theirs up (for a unique placeholder),
/// so names a run moved between users (x→y, y→z) go back in any order.
fn free_account_names(tx: &Connection, planned: &Planned, write: &[bool]) -> rusqlite::Result<()> {
    let mut park = tx.prepare("UPDATE users SET account_key = ?2 WHERE id = ?1")?;
    for (i, change) in planned.changes.iter().enumerate() {
        if !write[i] || change.table != "users" || change.op != Op::Update {
            continue;
        }
        if let Some(Value::Integer(id)) = change.key().first()
            && planned.movers.contains(id)
        {
            park.execute(params![id, format!("\u{1}undo {id}")])?;
        }
    }
    Ok(())
}

/// A later run moved the organization's change tracking on: the next sync must compare in
/// full to find again what this undo reverted.
fn forget_delta_links(
    tx: &Connection,
    cols: &[String],
    change: &RowChange,
) -> rusqlite::Result<()> {
    let sql = format!(
        "UPDATE organizations SET users_delta_link = NULL, groups_delta_link = NULL,
                delta_taken_at = NULL WHERE {}",
        classify::key_filter(cols, change)
    );
    tx.execute(&sql, params_from_iter(change.key()))?;
    Ok(())
}

/// Writes one change back; whether a row changed. A membership whose user or group is not
/// there (kept deleted) stays away.
fn write_back(tx: &Connection, cols: &[String], change: &RowChange) -> rusqlite::Result<bool> {
    let key = classify::key_filter(cols, change);
    let table = &change.table;
    let now = classify::current(tx, cols, change)?;
    let written = match (change.op, now) {
        (Op::Delete, None) => 0,
        (Op::Delete, Some(_)) => tx.execute(
            &format!("DELETE FROM {} WHERE {key}", classify::quoted(table)),
            params_from_iter(change.key()),
        )?,
        (Op::Update, None) => 0,
        (Op::Update, Some(now)) | (Op::Insert, Some(now)) => {
            let mut sets = Vec::new();
            let mut values: Vec<Value> = change.key();
            for (i, c) in cols.iter().enumerate() {
                let Some(back) = change.new[i].clone().filter(|_| !change.pk[i]) else {
                    continue;
                };
                let moved_on = change.old[i].as_ref().is_some_and(|left| *left != now[i]);
                if classify::is_bookkeeping(table, c) && moved_on {
                    continue;
                }
                values.push(back);
                sets.push(format!("{} = ?{}", classify::quoted(c), values.len()));
            }
            if sets.is_empty() {
                0
            } else {
                tx.execute(
                    &format!(
                        "UPDATE {} SET {} WHERE {key}",
                        classify::quoted(table),
                        sets.join(", ")
                    ),
                    params_from_iter(values),
                )?
            }
        }
        (Op::Insert, None) => {
            if table == "memberships" && !parents_exist(tx, cols, change)? {
                return Ok(false);
            }
            let names: Vec<String> = cols.iter().map(|c| classify::quoted(c)).collect();
            let marks: Vec<String> = (1..=cols.len()).map(|i| format!("?{i}")).collect();
            tx.execute(
                &format!(
                    "INSERT INTO {} ({}) VALUES ({})",
                    classify::quoted(table),
                    names.join(", "),
                    marks.join(", ")
                ),
                params_from_iter(change.new.iter().map(|v| v.clone().unwrap_or(Value::Null))),
            )?
        }
    };
    Ok(written > 0)
}

fn parents_exist(tx: &Connection, cols: &[String], change: &RowChange) -> rusqlite::Result<bool> {
    tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM groups WHERE id = ?1)
            AND EXISTS (SELECT 1 FROM users WHERE id = ?2)",
        params![
            field(cols, change, "group_id"),
            field(cols, change, "user_id")
        ],
        |r| r.get(0),
    )
}
