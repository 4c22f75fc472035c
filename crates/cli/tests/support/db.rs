//! What the SQLite file really holds, read through its own read-only connection: the tests
//! assert on these rows, never on the counts the CLI reports about its own work.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Every row of every table (whatever tables a later migration adds), typed values: the
/// project's one dump, shared with the store's, engine's and app's tests.
pub use aadsync_testenv::db::Dump;
use rusqlite::{Connection, OpenFlags};

/// The audit log (runs, their items and changesets, the decisions) and the largest row ids
/// ever deleted: append-only history an undo adds to on purpose, so comparisons of "the
/// database as it was" leave these out and check them separately.
pub const AUDIT_TABLES: &[&str] = &[
    "sync_runs",
    "sync_run_items",
    "sync_run_changes",
    "sync_run_change_parts",
    "azure_decisions",
    "row_id_high_water",
];

fn open(path: &Path) -> Connection {
    Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY).expect("open read-only")
}

pub fn dump(path: &Path) -> Dump {
    aadsync_testenv::db::dump(path).expect("dump the database")
}

/// The same dump without `tables`.
pub fn without(dump: &Dump, tables: &[&str]) -> Dump {
    Dump {
        tables: dump
            .tables
            .iter()
            .filter(|(name, _)| !tables.contains(&name.as_str()))
            .map(|(name, rows)| (name.clone(), rows.clone()))
            .collect(),
    }
}

/// Panics with the differences unless the two dumps are equal.
#[track_caller]
pub fn assert_same(before: &Dump, after: &Dump, what: &str) {
    assert!(
        before == after,
        "{what}: the database changed:\n{}",
        before.differences(after).join("\n")
    );
}

/// An imported user as the server sees it: the `users` row joined to its Entra attributes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct UserRow {
    pub object_id: String,
    pub user_principal_name: String,
    pub account_name: String,
    pub enabled: bool,
    pub auth_type: String,
    /// `soft_deleted` / `hard_deleted` once a sync found it deleted in Entra ID.
    pub deleted_in_directory: Option<String>,
}

/// Every user that has Entra attributes, by object ID.
pub fn imported_users(path: &Path) -> BTreeMap<String, UserRow> {
    let conn = open(path);
    let mut stmt = conn
        .prepare(
            "SELECT a.object_id, a.user_principal_name, u.account_name, u.enabled, u.auth_type,
                    a.deleted_in_directory
             FROM users u JOIN azure_users a ON a.user_id = u.id",
        )
        .expect("users");
    stmt.query_map([], |r| {
        Ok(UserRow {
            object_id: r.get(0)?,
            user_principal_name: r.get(1)?,
            account_name: r.get(2)?,
            enabled: r.get(3)?,
            auth_type: r.get(4)?,
            deleted_in_directory: r.get(5)?,
        })
    })
    .expect("users")
    .map(|u| {
        let u = u.expect("user");
        (u.object_id.clone(), u)
    })
    .collect()
}

/// Users without Entra attributes: (account name, auth type, enabled). An Azure AD user
/// without its `azure_users` row would show up here too.
pub fn other_users(path: &Path) -> BTreeSet<(String, String, bool)> {
    let conn = open(path);
    let mut stmt = conn
        .prepare(
            "SELECT account_name, auth_type, enabled FROM users
             WHERE id NOT IN (SELECT user_id FROM azure_users)",
        )
        .expect("users");
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .expect("users")
        .collect::<rusqlite::Result<_>>()
        .expect("users")
}

/// Imported groups: object ID → (server group name, source).
pub fn imported_groups(path: &Path) -> BTreeMap<String, (String, String)> {
    let conn = open(path);
    let mut stmt = conn
        .prepare(
            "SELECT a.object_id, g.name, g.source FROM groups g
             JOIN azure_groups a ON a.group_id = g.id",
        )
        .expect("groups");
    stmt.query_map([], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?))))
        .expect("groups")
        .collect::<rusqlite::Result<_>>()
        .expect("groups")
}

/// Azure AD memberships as (group object ID, user object ID).
pub fn memberships(path: &Path) -> BTreeSet<(String, String)> {
    let conn = open(path);
    let mut stmt = conn
        .prepare(
            "SELECT ag.object_id, au.object_id FROM memberships m
             JOIN azure_groups ag ON ag.group_id = m.group_id
             JOIN azure_users au ON au.user_id = m.user_id
             WHERE m.source = 'azure_ad'",
        )
        .expect("memberships");
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("memberships")
        .collect::<rusqlite::Result<_>>()
        .expect("memberships")
}

/// Tombstones of users deleted on the server: object IDs.
pub fn tombstones(path: &Path) -> BTreeSet<String> {
    let conn = open(path);
    let mut stmt = conn
        .prepare("SELECT object_id FROM azure_user_tombstones")
        .expect("tombstones");
    stmt.query_map([], |r| r.get(0))
        .expect("tombstones")
        .collect::<rusqlite::Result<_>>()
        .expect("tombstones")
}

/// A row of the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunRow {
    pub id: i64,
    pub kind: String,
    /// As stored: a finished run is never rewritten, so an undone run still says how it ended.
    pub status: String,
    pub message: Option<String>,
    /// For an undo: the run it undid.
    pub undoes_run: Option<i64>,
    pub started_by: String,
}

/// Every run, oldest first.
pub fn runs(path: &Path) -> Vec<RunRow> {
    let conn = open(path);
    let mut stmt = conn
        .prepare(
            "SELECT id, kind, status, message, undoes_run, started_by FROM sync_runs ORDER BY id",
        )
        .expect("runs");
    stmt.query_map([], |r| {
        Ok(RunRow {
            id: r.get(0)?,
            kind: r.get(1)?,
            status: r.get(2)?,
            message: r.get(3)?,
            undoes_run: r.get(4)?,
            started_by: r.get(5)?,
        })
    })
    .expect("runs")
    .collect::<rusqlite::Result<_>>()
    .expect("runs")
}

/// A run's items: (type, object ID, outcome, reason).
pub type RunItems = BTreeSet<(String, String, String, Option<String>)>;

pub fn run_items(path: &Path, run: i64) -> RunItems {
    let conn = open(path);
    let mut stmt = conn
        .prepare(
            "SELECT object_type, object_id, outcome, reason FROM sync_run_items WHERE run_id = ?1",
        )
        .expect("items");
    stmt.query_map([run], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .expect("items")
        .collect::<rusqlite::Result<_>>()
        .expect("items")
}

/// The organization's stored change-tracking link for users (saved only by a run without
/// failures).
pub fn users_delta_link(path: &Path) -> Option<String> {
    open(path)
        .query_row("SELECT users_delta_link FROM organizations", [], |r| {
            r.get(0)
        })
        .expect("organization")
}

/// Stored organizations: (tenant ID, primary domain, administrator UPN).
pub fn organizations(path: &Path) -> Vec<(String, String, Option<String>)> {
    let conn = open(path);
    let mut stmt = conn
        .prepare("SELECT tenant_id, primary_domain, admin_upn FROM organizations ORDER BY id")
        .expect("organizations");
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .expect("organizations")
        .collect::<rusqlite::Result<_>>()
        .expect("organizations")
}

/// A scheduled attempt as SQL reads it: (outcome, reason, run ID).
pub fn attempts(path: &Path) -> Vec<(String, String, Option<i64>)> {
    let conn = open(path);
    let mut stmt = conn
        .prepare("SELECT outcome, reason, run_id FROM scheduled_attempts ORDER BY id")
        .expect("attempts");
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .expect("attempts")
        .collect::<rusqlite::Result<_>>()
        .expect("attempts")
}

/// Each stored organization's application (client) ID.
pub fn client_ids(path: &Path) -> Vec<String> {
    let conn = open(path);
    let mut stmt = conn
        .prepare("SELECT client_id FROM organizations ORDER BY id")
        .expect("client IDs");
    stmt.query_map([], |r| r.get(0))
        .expect("client IDs")
        .collect::<rusqlite::Result<_>>()
        .expect("client IDs")
}
