//! A run's own writes as an SQLite changeset (the session extension): recorded inside the
//! apply's transaction, kept with the run, and read back inverted for its undo.

use rusqlite::fallible_streaming_iterator::FallibleStreamingIterator;
use rusqlite::hooks::Action;
use rusqlite::session::{ChangesetIter, Session, invert_strm};
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, params};

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

/// Bytes per stored part of a changeset: what the apply holds of it at most.
const PART: usize = 4 << 20;

/// Keeps what `session` recorded as the changeset of `run_id`, in parts of at most [`PART`]
/// bytes written as the session produces them (`sync_run_change_parts`). The parts concatenated
/// are the changeset. A run with nothing recorded still gets one (empty) part: it has a
/// changeset, which an undo reads as "nothing to revert".
pub(crate) fn save(
    conn: &Connection,
    run_id: i64,
    session: &mut Session<'_>,
) -> rusqlite::Result<()> {
    let mut parts = Parts::new(conn, run_id, PART)?;
    let produced = session.changeset_strm(&mut parts);
    if let Some(err) = parts.failed.take() {
        return Err(err);
    }
    produced?;
    parts.finish()
}

/// The parts of one run's changeset, each stored as it fills.
struct Parts<'c> {
    insert: rusqlite::Statement<'c>,
    run_id: i64,
    size: usize,
    next: i64,
    buffer: Vec<u8>,
    /// The SQLite error that stopped the writing (the session only sees an I/O error).
    failed: Option<rusqlite::Error>,
}

impl<'c> Parts<'c> {
    fn new(conn: &'c Connection, run_id: i64, size: usize) -> rusqlite::Result<Self> {
        Ok(Self {
            insert: conn.prepare(
                "INSERT INTO sync_run_change_parts (run_id, part, bytes) VALUES (?1, ?2, ?3)",
            )?,
            run_id,
            size: size.max(1),
            next: 0,
            buffer: Vec::with_capacity(size),
            failed: None,
        })
    }

    fn store(&mut self) -> rusqlite::Result<()> {
        self.insert
            .execute(params![self.run_id, self.next, self.buffer])?;
        self.next += 1;
        self.buffer.clear();
        Ok(())
    }

    /// Stores what is left: the last part, or the one empty part of an empty changeset.
    fn finish(mut self) -> rusqlite::Result<()> {
        if self.next == 0 || !self.buffer.is_empty() {
            self.store()?;
        }
        Ok(())
    }
}

impl std::io::Write for Parts<'_> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let room = self.size - self.buffer.len();
        let taken = bytes.len().min(room);
        self.buffer.extend_from_slice(&bytes[..taken]);
        if self.buffer.len() == self.size
            && let Err(err) = self.store()
        {
            self.failed = Some(err);
            return Err(std::io::Error::other("the changeset could not be stored"));
        }
        Ok(taken)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The changeset kept for `run_id`: its parts in order, or — a run written before changesets
/// were kept in parts — the whole one; `None` when the run has none.
pub(crate) fn stored(conn: &Connection, run_id: i64) -> rusqlite::Result<Option<Vec<u8>>> {
    let mut parts = conn.prepare_cached(
        "SELECT bytes FROM sync_run_change_parts WHERE run_id = ?1 ORDER BY part",
    )?;
    let mut rows = parts.query([run_id])?;
    let mut changeset: Option<Vec<u8>> = None;
    while let Some(row) = rows.next()? {
        changeset
            .get_or_insert_with(Vec::new)
            .extend_from_slice(row.get_ref(0)?.as_blob()?);
    }
    if changeset.is_some() {
        return Ok(changeset);
    }
    conn.query_row(
        "SELECT changeset FROM sync_run_changes WHERE run_id = ?1",
        [run_id],
        |r| r.get(0),
    )
    .optional()
}

/// The runs that kept a changeset, newest first.
pub(crate) fn runs_newest_first(conn: &Connection) -> rusqlite::Result<Vec<i64>> {
    conn.prepare(
        "SELECT run_id FROM sync_run_changes
         UNION SELECT run_id FROM sync_run_change_parts
         ORDER BY run_id DESC",
    )?
    .query_map([], |r| r.get(0))?
    .collect()
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn the_parts_read_back_as_the_bytes_written_whatever_the_pieces() {
        let mut conn = Connection::open_in_memory().expect("db");
        // Run 6 kept its changeset whole, before the parts (schema version 9).
        crate::open::MIGRATIONS
            .to_version(&mut conn, 9)
            .expect("schema 9");
        for _ in 0..7 {
            conn.execute(
                "INSERT INTO sync_runs (tenant_id, started_by, status) VALUES ('t', 'test', 'running')",
                [],
            )
            .expect("run");
        }
        conn.execute(
            "INSERT INTO sync_run_changes (run_id, changeset) VALUES (6, x'0102')",
            [],
        )
        .expect("an older run");
        crate::open::MIGRATIONS
            .to_latest(&mut conn)
            .expect("schema");
        conn.execute("INSERT INTO sync_apply_marker (id) VALUES (1)", [])
            .expect("the apply's marker");
        // (run, bytes, pieces the session hands over, parts expected) with parts of 10 bytes.
        let cases = [
            (1, 0, 7, 1),
            (2, 10, 3, 1),
            (3, 25, 10, 3),
            (4, 30, 100, 3),
            (5, 9, 1, 1),
        ];
        for (run_id, len, piece, expected_parts) in cases {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 7 + run_id) as u8).collect();
            let mut parts = Parts::new(&conn, run_id, 10).expect("parts");
            for chunk in bytes.chunks(piece) {
                parts.write_all(chunk).expect("write");
            }
            parts.finish().expect("finish");
            assert_eq!(
                stored(&conn, run_id).expect("read"),
                Some(bytes),
                "run {run_id}"
            );
            let sizes: Vec<i64> = conn
                .prepare("SELECT length(bytes) FROM sync_run_change_parts WHERE run_id = ?1 ORDER BY part")
                .and_then(|mut s| s.query_map([run_id], |r| r.get(0))?.collect())
                .expect("sizes");
            assert_eq!(sizes.len(), expected_parts, "run {run_id}: {sizes:?}");
            assert!(sizes.iter().all(|s| *s <= 10), "run {run_id}: {sizes:?}");
        }
        // A run from before the parts keeps its changeset whole; both kinds are listed.
        assert_eq!(stored(&conn, 6).expect("read"), Some(vec![1, 2]));
        assert_eq!(stored(&conn, 7).expect("read"), None);
        assert_eq!(runs_newest_first(&conn).expect("runs"), [6, 5, 4, 3, 2, 1]);
        // Append-only: no part replaced, skipped, added to a whole changeset or changed, no
        // whole changeset added, nothing deleted; and no part outside the apply.
        for refused in [
            "INSERT INTO sync_run_change_parts (run_id, part, bytes) VALUES (3, 1, x'00')",
            "INSERT OR REPLACE INTO sync_run_change_parts (run_id, part, bytes) VALUES (3, 2, x'00')",
            "INSERT INTO sync_run_change_parts (run_id, part, bytes) VALUES (3, 4, x'00')",
            "INSERT INTO sync_run_change_parts (run_id, part, bytes) VALUES (6, 0, x'00')",
            "UPDATE sync_run_change_parts SET bytes = x'00' WHERE run_id = 3",
            "DELETE FROM sync_run_change_parts WHERE run_id = 3",
            "INSERT INTO sync_run_changes (run_id, changeset) VALUES (7, x'00')",
        ] {
            let err = conn.execute(refused, []).expect_err(refused);
            assert!(err.to_string().contains("append-only"), "{refused}: {err}");
        }
        conn.execute("DELETE FROM sync_apply_marker", [])
            .expect("the apply ends");
        let err = conn
            .execute(
                "INSERT INTO sync_run_change_parts (run_id, part, bytes) VALUES (7, 0, x'00')",
                [],
            )
            .expect_err("outside the apply");
        assert!(err.to_string().contains("append-only"), "{err}");
        assert_eq!(stored(&conn, 3).expect("read").map(|b| b.len()), Some(25));
    }
}
