//! A run's own writes as an SQLite changeset (the session extension): recorded inside the
//! apply's transaction, kept with the run, and read back inverted for its undo.

use rusqlite::fallible_streaming_iterator::FallibleStreamingIterator;
use rusqlite::hooks::Action;
use rusqlite::session::{ChangesetIter, Session, invert_strm};
use rusqlite::types::Value;
use rusqlite::{Connection, params};

/// The tables a synchronization changes and an undo reverts. The audit log and the decisions
/// are append-only, so they are not here: an undo adds to them instead.
pub(crate) const RECORDED: &[&str] = &[
    "users",
    "azure_users",
    "groups",
    "azure_groups",
    "memberships",
    "azure_user_tombstones",
    "azure_scope_roots",
    "azure_scope_reasons",
    "organizations",
];

/// Starts recording the writes to [`RECORDED`] on `conn` (inside the apply's transaction).
pub(crate) fn record(conn: &Connection) -> rusqlite::Result<Session<'_>> {
    let mut session = Session::new(conn)?;
    for table in RECORDED {
        session.attach(Some(*table))?;
    }
    Ok(session)
}

/// Keeps what `session` recorded as the changeset of `run_id`.
pub(crate) fn save(
    conn: &Connection,
    run_id: i64,
    session: &mut Session<'_>,
) -> rusqlite::Result<()> {
    let mut blob = Vec::new();
    session.changeset_strm(&mut blob)?;
    conn.execute(
        "INSERT INTO sync_run_changes (run_id, changeset) VALUES (?1, ?2)",
        params![run_id, blob],
    )?;
    Ok(())
}

/// What a row change of the inverted changeset does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    /// The run deleted the row: the undo inserts it again.
    Insert,
    /// The run inserted the row: the undo deletes it.
    Delete,
    /// The run updated the row: the undo sets the changed columns back.
    Update,
}

/// One row change of an inverted changeset, values in the table's column order. For an
/// update, `old` holds the values the run wrote (what the row should still hold) and `new` the
/// values from before the run, both only for the primary key and the changed columns.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RowChange {
    pub table: String,
    pub op: Op,
    pub pk: Vec<bool>,
    pub old: Vec<Option<Value>>,
    pub new: Vec<Option<Value>>,
}

impl RowChange {
    /// The primary key's values (from `old`, or `new` for an insert).
    pub fn key(&self) -> Vec<Value> {
        let values = if self.op == Op::Insert {
            &self.new
        } else {
            &self.old
        };
        self.pk
            .iter()
            .zip(values)
            .filter(|(pk, _)| **pk)
            .map(|(_, v)| v.clone().unwrap_or(Value::Null))
            .collect()
    }
}

/// The inverse of a stored changeset, change by change.
pub(crate) fn inverted(blob: &[u8]) -> rusqlite::Result<Vec<RowChange>> {
    let mut inverse = Vec::new();
    let mut input: &[u8] = blob;
    invert_strm(&mut input, &mut inverse)?;
    let mut reader: &[u8] = &inverse;
    let input: &mut dyn std::io::Read = &mut reader;
    let mut iter = ChangesetIter::start_strm(&input)?;
    let mut changes = Vec::new();
    while let Some(item) = iter.next()? {
        let op = item.op()?;
        let columns = usize::try_from(op.number_of_columns()).unwrap_or_default();
        let code = match op.code() {
            Action::SQLITE_INSERT => Op::Insert,
            Action::SQLITE_DELETE => Op::Delete,
            _ => Op::Update,
        };
        let table = op.table_name().to_owned();
        let pk = item.pk()?.iter().map(|b| *b != 0).collect();
        let values = |old: bool| -> Vec<Option<Value>> {
            (0..columns)
                .map(|c| {
                    let value = if old {
                        item.old_value(c)
                    } else {
                        item.new_value(c)
                    };
                    value.ok().and_then(|v| Value::try_from(v).ok())
                })
                .collect()
        };
        let old = if code == Op::Insert {
            vec![None; columns]
        } else {
            values(true)
        };
        let new = if code == Op::Delete {
            vec![None; columns]
        } else {
            values(false)
        };
        changes.push(RowChange {
            table,
            op: code,
            pk,
            old,
            new,
        });
    }
    Ok(changes)
}
