//! Undo of a synchronization: the inverse of the run's own changeset, applied in one
//! transaction with the audit records, where the rows changed since the run are conflicts the
//! administrator resolves (keep the newer value, or restore) instead of being reverted silently.

mod classify;
mod record;
mod revert;

use crate::audit::{RunKind, RunStatus, RunSummary, runs_query};
use crate::changeset::{self, Op, RowChange};
use crate::users::WriteHandle;
use crate::{Result, StoreError};
use classify::{Columns, Meets, Unit};
use rusqlite::{Connection, TransactionBehavior};
use std::collections::{BTreeMap, HashMap};

/// What an undo does with a conflict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Resolution {
    /// Leave what changed since the run as it is.
    #[default]
    KeepNewer,
    /// Put back what was there before the run.
    Restore,
}

/// What happened since the run to an object its undo would revert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    ChangedSince,
    /// The row the run changed was deleted since: nothing to restore.
    DeletedSince,
    /// It cannot come back: the reason says what took its place.
    Taken(String),
}

impl Problem {
    pub fn describe(&self) -> String {
        match self {
            Problem::ChangedSince => "changed since the synchronization".into(),
            Problem::DeletedSince => "deleted since the synchronization".into(),
            Problem::Taken(why) => format!("cannot be restored: {why}"),
        }
    }
}

/// One field of a conflict, as the preview shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldConflict {
    pub field: String,
    pub now: String,
    pub restore: String,
}

/// An object the undo would revert although something changed it since the run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UndoConflict {
    pub id: u32,
    /// "user", "group" or "membership".
    pub object_type: &'static str,
    /// Account name, group name, or "user in group".
    pub object: String,
    pub problem: Problem,
    pub fields: Vec<FieldConflict>,
    /// Whether [`Resolution::Restore`] can apply.
    pub restorable: bool,
}

/// What undoing a run would do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UndoPlan {
    pub run: RunSummary,
    /// Row changes reverted when every conflict keeps the newer value.
    pub changes: usize,
    pub conflicts: Vec<UndoConflict>,
    /// Identifies this preview: [`WriteHandle::undo_run`] refuses to write when the database
    /// no longer gives the same plan.
    pub token: String,
}

/// The administrator's answers to an undo's conflicts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UndoChoices {
    /// For every conflict without its own answer.
    pub all: Resolution,
    pub each: HashMap<u32, Resolution>,
}

impl UndoChoices {
    fn of(&self, conflict: &UndoConflict) -> Resolution {
        let wanted = self.each.get(&conflict.id).copied().unwrap_or(self.all);
        if conflict.restorable {
            wanted
        } else {
            Resolution::KeepNewer
        }
    }
}

/// What an undo did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UndoOutcome {
    pub undo_run: i64,
    /// Row changes reverted.
    pub reverted: usize,
    /// Conflicts whose newer value stayed.
    pub kept: usize,
}

/// The plan with what the undo needs to carry it out.
struct Planned {
    plan: UndoPlan,
    changes: Vec<RowChange>,
    /// Each change's columns, as its changeset has them.
    cols: Vec<Vec<String>>,
    units: Vec<Unit>,
    /// The changes of each unit.
    by_unit: BTreeMap<Unit, Vec<usize>>,
    meets: Vec<Meets>,
    /// Users whose account name the undo sets back.
    movers: std::collections::HashSet<i64>,
    /// The conflict each unit in conflict has.
    conflict_of: BTreeMap<Unit, usize>,
}

impl WriteHandle<'_> {
    /// What undoing `run_id` would do, and what changed since that it would meet.
    pub fn undo_preview(&mut self, run_id: i64) -> Result<UndoPlan> {
        let path = self.path;
        let sql = |e| StoreError::from_sqlite(path, e);
        let tx = self.conn.transaction().map_err(sql)?;
        let planned = plan(&tx, run_id, path)?;
        drop(tx);
        Ok(planned.plan)
    }

    /// Undoes `run_id` as previewed with `token`, in one transaction: the inverse of its
    /// changeset (conflicts as `choices` say), its decisions withdrawn, and an "undo" run in
    /// the audit log that names it. [`StoreError::Stale`] when the database changed since the
    /// preview in a way that changes the plan; [`StoreError::Interrupted`] when `cancelled`
    /// says so between two statements. Either way nothing is written.
    pub fn undo_run(
        &mut self,
        run_id: i64,
        token: &str,
        choices: &UndoChoices,
        by: &str,
        cancelled: &dyn Fn() -> bool,
    ) -> Result<UndoOutcome> {
        let path = self.path;
        let sql = |e| StoreError::from_sqlite(path, e);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sql)?;
        let mut planned = plan(&tx, run_id, path)?;
        if planned.plan.token != token {
            return Err(StoreError::Stale(format!(
                "the database changed since the undo of run #{run_id} was previewed (another synchronization, undo or edit); nothing was undone: review the preview again"
            )));
        }
        tx.execute("INSERT INTO sync_apply_marker (id) VALUES (1)", [])
            .map_err(sql)?;
        tx.execute_batch("PRAGMA defer_foreign_keys = ON")
            .map_err(sql)?;
        let outcome = revert::revert(&tx, &mut planned, choices, by, cancelled)?;
        tx.execute("DELETE FROM sync_apply_marker", [])
            .map_err(sql)?;
        if cancelled() {
            return Err(StoreError::Interrupted);
        }
        tx.commit().map_err(sql)?;
        tracing::info!(
            run = run_id,
            undo = outcome.undo_run,
            reverted = outcome.reverted,
            kept = outcome.kept,
            "synchronization undone"
        );
        Ok(outcome)
    }
}

/// The run to undo, checked: a finished synchronization, not undone yet, with a changeset.
fn undoable(conn: &Connection, run_id: i64) -> Result<(RunSummary, Vec<u8>), String> {
    let runs = runs_query(conn, &format!("WHERE r.id = {run_id}")).map_err(|e| e.to_string())?;
    let Some(run) = runs.into_iter().next() else {
        return Err(format!("there is no run #{run_id}"));
    };
    if run.kind != RunKind::Sync {
        return Err(format!(
            "run #{run_id} is an undo or a restore; it cannot be undone"
        ));
    }
    if run.status == RunStatus::Undone {
        return Err(format!("run #{run_id} was undone already"));
    }
    if run.status != RunStatus::Succeeded {
        return Err(format!(
            "run #{run_id} did not complete ({}); it changed nothing to undo",
            run.status
        ));
    }
    let blob = changeset::stored(conn, run_id).map_err(|e| e.to_string())?;
    match blob {
        Some(blob) => Ok((run, blob)),
        None => Err(format!(
            "run #{run_id} was made by an older version of aadsync, which kept a copy of the whole database instead of the run's changes; restore that copy with Restore backup… (aadsync restore-backup)"
        )),
    }
}

fn plan(conn: &Connection, run_id: i64, path: &std::path::Path) -> Result<Planned> {
    let sql = |e| StoreError::from_sqlite(path, e);
    let (run, blob) = undoable(conn, run_id).map_err(StoreError::Invalid)?;
    let changes = changeset::inverted(&blob).map_err(sql)?;
    let mut columns = Columns::default();
    let mut cols = Vec::with_capacity(changes.len());
    for change in &changes {
        cols.push(
            classify::columns_of(&mut columns, conn, change).map_err(|why| {
                StoreError::Invalid(format!("run #{run_id} cannot be undone: {why}"))
            })?,
        );
    }
    let units = classify::units(&changes, &mut columns, conn).map_err(sql)?;
    let movers = classify::movers(&changes, &mut columns, conn).map_err(sql)?;
    let mut meets = Vec::with_capacity(changes.len());
    for (change, cols) in changes.iter().zip(&cols) {
        meets.push(classify::meets(conn, cols, change, &movers).map_err(sql)?);
    }
    let mut by_unit: BTreeMap<Unit, Vec<usize>> = BTreeMap::new();
    for (i, unit) in units.iter().enumerate() {
        by_unit.entry(unit.clone()).or_default().push(i);
    }
    let mut planned = Planned {
        plan: UndoPlan {
            run,
            changes: 0,
            conflicts: Vec::new(),
            token: String::new(),
        },
        changes,
        cols,
        units,
        by_unit,
        meets,
        movers,
        conflict_of: BTreeMap::new(),
    };
    revert::find_conflicts(conn, &mut planned).map_err(sql)?;
    planned.plan.changes = planned
        .meets
        .iter()
        .zip(&planned.units)
        .filter(|(m, u)| **m == Meets::AsLeft && !planned.conflict_of.contains_key(u))
        .count();
    planned.plan.token = token(&planned);
    Ok(planned)
}

/// A digest of everything the plan depends on: the run, its changes and what each meets.
fn token(planned: &Planned) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut feed = |bytes: &[u8]| {
        for b in bytes {
            hash ^= u64::from(*b);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    };
    feed(planned.plan.run.id.to_string().as_bytes());
    feed(format!("{:?}", planned.meets).as_bytes());
    feed(format!("{:?}", planned.plan.conflicts).as_bytes());
    format!("{:016x}-{}", hash, planned.changes.len())
}

/// Whether `change` deletes a row (the run inserted it).
fn deletes(change: &RowChange, table: &str) -> bool {
    change.op == Op::Delete && change.table == table
}
