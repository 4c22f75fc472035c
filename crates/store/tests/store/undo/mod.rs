//! Undo by changesets. Every test here reads the database itself (rows, dumps, SQLite's own
//! checks) to decide whether an undo was right, never the undo's own report only:
//!
//! - `basics`, `local`, `orgs`, `later_syncs`, `order`: tables of cases — what a run's undo
//!   does after later local edits, organization changes and later syncs, with either answer to
//!   each conflict, and in either order of two runs;
//! - `sequences`: generated sequences of syncs, local edits and undos, with the audit log's
//!   invariants after every step and a model of what undoing the newest run gives;
//! - `faults`: a fault between any two statements of an undo (the `cancelled` callback, or an
//!   error SQLite raises) leaves the database as before it;
//! - `kill`: SIGKILL at 0–150 % of an undo's duration leaves it before or after, intact;
//! - `race`: two processes, one undoing with an earlier preview's token, one synchronizing.

pub mod basics;
mod child;
mod faults;
mod kill;
mod later_syncs;
mod local;
mod order;
mod orgs;
mod race;
mod sequences;
pub mod tenant;
pub mod view;

use crate::support::{Db, Dump};
use aadsync_store::{
    LocalUserEdit, PasswordPolicy, StoreError, UndoChoices, UndoOutcome, UndoPlan, UserId,
};
use rusqlite::Connection;

/// The append-only tables: an undo adds to them, and no statement ever takes a row away.
pub const LOG_TABLES: [&str; 5] = [
    "sync_runs",
    "sync_run_items",
    "sync_run_changes",
    "sync_run_change_parts",
    "azure_decisions",
];

/// Columns a synchronization writes outside its changeset (the last-synchronized time of the
/// objects it found unchanged: an undo has nothing to put back there), so two states are
/// compared without them.
const TOUCHED_OUTSIDE_THE_CHANGESET: [(&str, &str); 2] = [
    ("azure_users", "last_synchronized_at"),
    ("azure_groups", "last_synchronized_at"),
];

/// The largest row ids ever deleted: an undo that deletes the rows its run created raises
/// them on purpose (an id is never given to another object), so they are history too.
pub const HIGH_WATER: &str = "row_id_high_water";

/// `rows` without the append-only tables and [`HIGH_WATER`], which an undo adds to on purpose.
pub fn without_log(mut rows: Dump) -> Dump {
    for table in LOG_TABLES.into_iter().chain([HIGH_WATER]) {
        rows.remove(table);
    }
    rows
}

/// Everything but the audit log, as [`crate::support::dump`] renders it, with the columns of
/// [`TOUCHED_OUTSIDE_THE_CHANGESET`] blanked: what an undo of the newest run must put back.
pub fn state(conn: &Connection) -> Dump {
    let mut rows = without_log(crate::support::dump(conn));
    for (table, masked) in TOUCHED_OUTSIDE_THE_CHANGESET {
        let columns: Vec<String> = conn
            .prepare("SELECT name FROM pragma_table_info(?1) ORDER BY cid")
            .expect("columns")
            .query_map([table], |r| r.get(0))
            .expect("columns")
            .collect::<Result<_, _>>()
            .expect("columns");
        let select: Vec<String> = columns
            .iter()
            .map(|c| {
                if c == masked {
                    "'(masked)'".to_owned()
                } else {
                    format!("\"{c}\"")
                }
            })
            .collect();
        let mut stmt = conn
            .prepare(&format!("SELECT {} FROM main.{table}", select.join(", ")))
            .expect("masked select");
        let mut masked_rows: Vec<String> = stmt
            .query_map([], |r| {
                (0..columns.len())
                    .map(|i| r.get::<_, rusqlite::types::Value>(i))
                    .collect::<rusqlite::Result<Vec<_>>>()
                    .map(|values| format!("{values:?}"))
            })
            .expect("rows")
            .collect::<Result<_, _>>()
            .expect("rows");
        masked_rows.sort();
        rows.insert(table.to_owned(), masked_rows);
    }
    rows
}

/// The audit log only grew: every row each append-only table held in `before` is in `after`,
/// unchanged (the dump renders every column, so a changed row is a missing one).
pub fn assert_log_kept(before: &Dump, after: &Dump, what: &str) {
    for table in LOG_TABLES {
        let now: std::collections::BTreeSet<&String> = after[table].iter().collect();
        let lost: Vec<&String> = before[table].iter().filter(|r| !now.contains(r)).collect();
        assert!(lost.is_empty(), "{what}: {table} lost or changed {lost:?}");
    }
}

pub fn preview(db: &Db, run_id: i64) -> UndoPlan {
    db.store
        .writer()
        .undo_preview(run_id)
        .expect("undo preview")
}

/// Previews `run_id` and undoes it with that preview's token and `choices`.
pub fn undo(db: &Db, run_id: i64, choices: &UndoChoices) -> Result<UndoOutcome, StoreError> {
    let plan = db.store.writer().undo_preview(run_id)?;
    db.store
        .writer()
        .undo_run(run_id, &plan.token, choices, "admin@contoso.com", &|| false)
}

/// `PRAGMA integrity_check` says ok and `PRAGMA foreign_key_check` finds nothing.
pub fn assert_intact(conn: &Connection, what: &str) {
    let integrity: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("integrity_check");
    assert_eq!(integrity, "ok", "{what}");
    let dangling: i64 = conn
        .query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| {
            r.get(0)
        })
        .expect("foreign_key_check");
    assert_eq!(dangling, 0, "{what}: rows refer to rows that are not there");
}

pub fn user_id(db: &Db, account: &str) -> UserId {
    db.store
        .reader()
        .user_rows()
        .expect("rows")
        .iter()
        .find(|r| r.account_name == account)
        .map(|r| r.id)
        .expect(account)
}

/// Edits the description of `account` (local or imported) in the User properties dialog.
pub fn describe(db: &Db, account: &str, description: &str) {
    let id = user_id(db, account);
    let u = db.store.reader().user(id).expect("user");
    let edit = LocalUserEdit {
        account_name: u.account_name,
        full_name: u.full_name,
        email: u.email,
        phone: u.phone,
        department: u.department,
        description: description.into(),
        enabled: u.enabled,
        auth_type: u.auth_type,
        new_password: None,
    };
    db.store
        .writer()
        .update_user(id, &edit, &PasswordPolicy::default())
        .expect("edit");
}
