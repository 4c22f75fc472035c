//! What each row change of an undo meets in the database now: the row as the run left it
//! (revert it), already as before the run (nothing to do), or changed since (a conflict),
//! grouped by the object an administrator knows (a user, a group, a membership).

use crate::changeset::{Op, RowChange};
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension};
use std::collections::HashMap;

/// Columns that record when something happened rather than what an object is: they never make
/// a conflict, and an undo puts them back only where nothing wrote them since.
pub(crate) const BOOKKEEPING: &[(&str, &str)] = &[
    ("users", "updated_at"),
    ("groups", "updated_at"),
    ("azure_users", "last_synchronized_at"),
    ("azure_users", "deleted_detected_at"),
    ("azure_groups", "last_synchronized_at"),
    ("azure_user_tombstones", "deleted_at"),
    ("azure_scope_roots", "added_at"),
    ("azure_scope_roots", "added_by"),
    ("organizations", "last_sync_at"),
];

pub(crate) fn is_bookkeeping(table: &str, column: &str) -> bool {
    BOOKKEEPING.contains(&(table, column))
}

/// The thing an administrator recognises that a row change belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Unit {
    User(i64),
    Group(i64),
    Membership(i64, i64),
    /// Scope, tombstones of users not otherwise in the run, the organization's bookkeeping:
    /// reverted where nothing changed them since, never a conflict.
    Internal(usize),
}

/// What one row change meets.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Meets {
    /// The row is as the run left it: the undo reverts it.
    AsLeft,
    /// The row is already as it was before the run (deleted since, or the same again).
    AlreadyBefore,
    /// Changed since: (column, value now, value the undo would restore).
    Changed(Vec<(String, Value, Value)>),
    /// The row the run updated was deleted since: nothing to restore it into.
    Gone,
    /// The row cannot come back: its identity now belongs to another row.
    Taken(String),
}

/// Column names of a table, in the order a changeset uses.
#[derive(Default)]
pub(crate) struct Columns {
    by_table: HashMap<String, Vec<String>>,
}

impl Columns {
    pub fn of(&mut self, conn: &Connection, table: &str) -> rusqlite::Result<&[String]> {
        if !self.by_table.contains_key(table) {
            let mut stmt = conn.prepare("SELECT name FROM pragma_table_info(?1) ORDER BY cid")?;
            let names = stmt
                .query_map([table], |r| r.get(0))?
                .collect::<rusqlite::Result<Vec<String>>>()?;
            self.by_table.insert(table.to_owned(), names);
        }
        Ok(self.by_table.get(table).map(Vec::as_slice).unwrap_or(&[]))
    }
}

/// `"a" = ?1 AND "b" = ?2` for the primary key columns.
pub(crate) fn key_filter(columns: &[String], change: &RowChange) -> String {
    columns
        .iter()
        .zip(&change.pk)
        .filter(|(_, pk)| **pk)
        .enumerate()
        .map(|(i, (c, _))| format!("\"{c}\" = ?{}", i + 1))
        .collect::<Vec<_>>()
        .join(" AND ")
}

/// The row `change` is about, as it is now.
pub(crate) fn current(
    conn: &Connection,
    columns: &[String],
    change: &RowChange,
) -> rusqlite::Result<Option<Vec<Value>>> {
    let sql = format!(
        "SELECT * FROM \"{}\" WHERE {}",
        change.table,
        key_filter(columns, change)
    );
    conn.query_row(&sql, rusqlite::params_from_iter(change.key()), |r| {
        (0..columns.len()).map(|i| r.get::<_, Value>(i)).collect()
    })
    .optional()
}

/// What `change` meets in the database now.
pub(crate) fn meets(
    conn: &Connection,
    columns: &[String],
    change: &RowChange,
) -> rusqlite::Result<Meets> {
    let now = current(conn, columns, change)?;
    let differing = |now: &[Value], expected: &[Option<Value>], restore: &[Option<Value>]| {
        columns
            .iter()
            .enumerate()
            .filter(|(i, c)| !change.pk[*i] && !is_bookkeeping(&change.table, c))
            .filter_map(|(i, c)| {
                let want = expected[i].as_ref()?;
                (now[i] != *want).then(|| {
                    let back = restore[i].clone().unwrap_or(Value::Null);
                    (c.clone(), now[i].clone(), back)
                })
            })
            .collect::<Vec<_>>()
    };
    Ok(match (change.op, now) {
        (Op::Delete, None) => Meets::AlreadyBefore,
        (Op::Delete, Some(now)) => {
            let fields = differing(&now, &change.old, &change.new);
            if fields.is_empty() {
                Meets::AsLeft
            } else {
                Meets::Changed(fields)
            }
        }
        (Op::Update, None) => Meets::Gone,
        (Op::Update, Some(now)) => {
            let fields = differing(&now, &change.old, &change.new);
            if fields.is_empty() {
                Meets::AsLeft
            } else {
                Meets::Changed(fields)
            }
        }
        (Op::Insert, Some(now)) => {
            let restoring: Vec<Option<Value>> = change.new.clone();
            let fields = differing(&now, &restoring, &change.new);
            if fields.is_empty() {
                Meets::AlreadyBefore
            } else if matches!(change.table.as_str(), "users" | "groups") {
                Meets::Taken(format!(
                    "its server ID {} now belongs to another {}",
                    change.key().first().map(value_text).unwrap_or_default(),
                    if change.table == "users" {
                        "user"
                    } else {
                        "group"
                    }
                ))
            } else {
                Meets::Changed(fields)
            }
        }
        (Op::Insert, None) => match taken(conn, columns, change)? {
            Some(why) => Meets::Taken(why),
            None => Meets::AsLeft,
        },
    })
}

/// Whether a row the run deleted can be inserted again: its unique names may be someone
/// else's now.
fn taken(
    conn: &Connection,
    columns: &[String],
    change: &RowChange,
) -> rusqlite::Result<Option<String>> {
    let value = |name: &str| {
        columns
            .iter()
            .position(|c| c == name)
            .and_then(|i| change.new[i].clone())
            .unwrap_or(Value::Null)
    };
    match change.table.as_str() {
        "users" => {
            let key = value("account_key");
            let other: Option<String> = conn
                .query_row(
                    "SELECT account_name FROM users WHERE account_key = ?1",
                    [&key],
                    |r| r.get(0),
                )
                .optional()?;
            Ok(other.map(|name| format!("the account name is now used by another user ({name})")))
        }
        "azure_users" | "azure_groups" => {
            let (table, id) = if change.table == "azure_users" {
                ("azure_users", "user_id")
            } else {
                ("azure_groups", "group_id")
            };
            let other: Option<i64> = conn
                .query_row(
                    &format!("SELECT {id} FROM {table} WHERE tenant_id = ?1 AND object_id = ?2"),
                    [value("tenant_id"), value("object_id")],
                    |r| r.get(0),
                )
                .optional()?;
            Ok(other.map(|_| "the same Entra ID object was imported again since".to_owned()))
        }
        _ => Ok(None),
    }
}

/// A value as the undo preview shows it.
pub(crate) fn value_text(value: &Value) -> String {
    match value {
        Value::Null => "(empty)".into(),
        Value::Integer(i) => i.to_string(),
        Value::Real(r) => r.to_string(),
        Value::Text(t) if t.is_empty() => "(empty)".into(),
        Value::Text(t) => t.clone(),
        Value::Blob(b) => format!("({} bytes)", b.len()),
    }
}

/// A column as the undo preview names it: the server's own fields plainly, Entra ID's copy
/// with "Entra ID" in front.
pub(crate) fn field_label(table: &str, column: &str) -> String {
    let plain = column.replace('_', " ");
    match table {
        "azure_users" | "azure_groups" => format!("Entra ID {plain}"),
        _ => plain,
    }
}

/// The unit each change belongs to: users and their Entra ID attributes (and tombstones, by
/// object ID) as one user, groups likewise, memberships each on their own.
pub(crate) fn units(
    changes: &[RowChange],
    columns: &mut Columns,
    conn: &Connection,
) -> rusqlite::Result<Vec<Unit>> {
    let mut by_object: HashMap<(String, String), i64> = HashMap::new();
    for c in changes.iter().filter(|c| c.table == "azure_users") {
        let cols = columns.of(conn, "azure_users")?.to_vec();
        let get = |name: &str| field(&cols, c, name);
        if let Value::Integer(user_id) = get("user_id") {
            by_object.insert(
                (value_text(&get("tenant_id")), value_text(&get("object_id"))),
                user_id,
            );
        }
    }
    let mut units = Vec::with_capacity(changes.len());
    for (i, c) in changes.iter().enumerate() {
        let cols = columns.of(conn, &c.table)?.to_vec();
        let int = |name: &str| match field(&cols, c, name) {
            Value::Integer(v) => Some(v),
            _ => None,
        };
        let unit = match c.table.as_str() {
            "users" => int("id").map(Unit::User),
            "azure_users" => int("user_id").map(Unit::User),
            "groups" => int("id").map(Unit::Group),
            "azure_groups" => int("group_id").map(Unit::Group),
            "memberships" => int("group_id")
                .zip(int("user_id"))
                .map(|(g, u)| Unit::Membership(g, u)),
            "azure_user_tombstones" => by_object
                .get(&(
                    value_text(&field(&cols, c, "tenant_id")),
                    value_text(&field(&cols, c, "object_id")),
                ))
                .copied()
                .map(Unit::User),
            _ => None,
        };
        units.push(unit.unwrap_or(Unit::Internal(i)));
    }
    Ok(units)
}

/// A column's value in a change: the row's key or values as the run left or found them.
pub(crate) fn field(columns: &[String], change: &RowChange, name: &str) -> Value {
    columns
        .iter()
        .position(|c| c == name)
        .and_then(|i| change.new[i].clone().or_else(|| change.old[i].clone()))
        .unwrap_or(Value::Null)
}
