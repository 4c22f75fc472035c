//! The database as an administrator sees it, read with SQL: imported users by object ID,
//! local users, memberships by name, tombstones, an organization's change tracking.

use rusqlite::Connection;
use std::collections::{BTreeMap, BTreeSet};

/// An imported user: (account name, full name, department, enabled).
pub type Shown = (String, String, String, bool);

pub fn shown(account: &str, full_name: &str, department: &str, enabled: bool) -> Shown {
    (
        account.to_owned(),
        full_name.to_owned(),
        department.to_owned(),
        enabled,
    )
}

/// Imported users by object ID.
pub fn people(conn: &Connection) -> BTreeMap<String, Shown> {
    let mut stmt = conn
        .prepare(
            "SELECT a.object_id, u.account_name, u.full_name, u.department, u.enabled
             FROM users u JOIN azure_users a ON a.user_id = u.id",
        )
        .expect("people");
    stmt.query_map([], |r| {
        Ok((
            r.get(0)?,
            (r.get(1)?, r.get(2)?, r.get(3)?, r.get::<_, i64>(4)? == 1),
        ))
    })
    .expect("people")
    .collect::<Result<_, _>>()
    .expect("people")
}

/// Users that are not imported: account name → (full name, description).
pub fn locals(conn: &Connection) -> BTreeMap<String, (String, String)> {
    let mut stmt = conn
        .prepare(
            "SELECT account_name, full_name, description FROM users
             WHERE id NOT IN (SELECT user_id FROM azure_users)",
        )
        .expect("locals");
    stmt.query_map([], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?))))
        .expect("locals")
        .collect::<Result<_, _>>()
        .expect("locals")
}

/// Every membership as (group name, account name).
pub fn members(conn: &Connection) -> BTreeSet<(String, String)> {
    let mut stmt = conn
        .prepare(
            "SELECT g.name, u.account_name FROM memberships m
             JOIN groups g ON g.id = m.group_id JOIN users u ON u.id = m.user_id",
        )
        .expect("members");
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("members")
        .collect::<Result<_, _>>()
        .expect("members")
}

pub fn membership(group: &str, short: &str) -> (String, String) {
    (group.to_owned(), format!("{short}@contoso.com"))
}

/// Object IDs of the users deleted on this server.
pub fn tombstones(conn: &Connection) -> BTreeSet<String> {
    let mut stmt = conn
        .prepare("SELECT object_id FROM azure_user_tombstones")
        .expect("tombstones");
    stmt.query_map([], |r| r.get(0))
        .expect("tombstones")
        .collect::<Result<_, _>>()
        .expect("tombstones")
}

/// An organization's (users link, groups link, links taken at, safeguard count, percent).
pub type Tracking = (Option<String>, Option<String>, Option<String>, i64, i64);

pub fn tracking(conn: &Connection, tenant_id: &str) -> Option<Tracking> {
    conn.query_row(
        "SELECT users_delta_link, groups_delta_link, delta_taken_at, deletion_threshold_count,
                deletion_threshold_percent FROM organizations WHERE tenant_id = ?1",
        [tenant_id.to_lowercase()],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
    )
    .ok()
}

/// Each run's status as `runs()` derives it, by id.
pub fn statuses(store: &aadsync_store::Store) -> BTreeMap<i64, aadsync_store::RunStatus> {
    store
        .reader()
        .runs()
        .expect("runs")
        .into_iter()
        .map(|r| (r.id, r.status))
        .collect()
}
