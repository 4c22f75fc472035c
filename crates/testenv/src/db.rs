//! Whole-database dumps, so that a test asserts on what is in the SQLite file rather than on
//! what the code under test reports about it.

use std::collections::BTreeMap;
use std::path::Path;

/// Every row of every table of the `main` schema, the schema itself (as `sqlite_schema`) and
/// `PRAGMA user_version`; each table's rows sorted, each value rendered with its type and escaped
/// (`Null`, `Integer(7)`, `Text("a \" b")`, `Blob([10])`) so that `1` and `'1'` differ and no two
/// rows render alike. Comparing two dumps compares the databases' contents, whatever the tables
/// are. TEMP objects a test adds are not in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dump {
    pub tables: BTreeMap<String, Vec<String>>,
}

impl Dump {
    /// The rows of `table` (empty when the table does not exist).
    pub fn rows(&self, table: &str) -> &[String] {
        self.tables.get(table).map_or(&[], Vec::as_slice)
    }

    /// The tables whose rows differ from `other`'s, for a readable assertion message.
    pub fn differences(&self, other: &Dump) -> Vec<String> {
        let names: std::collections::BTreeSet<&String> =
            self.tables.keys().chain(other.tables.keys()).collect();
        names
            .into_iter()
            .filter(|t| self.rows(t) != other.rows(t))
            .map(|t| {
                format!(
                    "{t}: {} rows → {} rows; first differing: {:?} / {:?}",
                    self.rows(t).len(),
                    other.rows(t).len(),
                    self.rows(t).iter().find(|r| !other.rows(t).contains(r)),
                    other.rows(t).iter().find(|r| !self.rows(t).contains(r)),
                )
            })
            .collect()
    }
}

/// Reads the whole database at `path` through a read-only connection (a WAL's committed content
/// included, uncommitted writes of other connections not).
pub fn dump(path: &Path) -> rusqlite::Result<Dump> {
    let conn =
        rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    dump_connection(&conn)
}

/// [`dump`] through an open connection: what that connection sees, its own uncommitted writes
/// included.
pub fn dump_connection(conn: &rusqlite::Connection) -> rusqlite::Result<Dump> {
    let mut names: Vec<String> = conn
        .prepare("SELECT name FROM main.sqlite_schema WHERE type = 'table' ORDER BY name")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    names.push("sqlite_schema".into());
    let mut tables = BTreeMap::new();
    for name in names {
        let mut stmt = conn.prepare(&format!(
            "SELECT * FROM main.\"{}\"",
            name.replace('"', "\"\"")
        ))?;
        let columns = stmt.column_count();
        let mut rows: Vec<String> = stmt
            .query_map([], |r| {
                (0..columns)
                    .map(|i| r.get::<_, rusqlite::types::Value>(i))
                    .collect::<rusqlite::Result<Vec<_>>>()
                    .map(|values| format!("{values:?}"))
            })?
            .collect::<rusqlite::Result<_>>()?;
        rows.sort();
        tables.insert(name, rows);
    }
    let version: i64 = conn.query_row("PRAGMA main.user_version", [], |r| r.get(0))?;
    tables.insert("PRAGMA user_version".into(), vec![version.to_string()]);
    Ok(Dump { tables })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dump_sees_every_table_and_every_value_with_its_type() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("t.sqlite3");
        let conn = rusqlite::Connection::open(&path).expect("open");
        conn.execute_batch(
            "CREATE TABLE a (x, y); INSERT INTO a VALUES (1, '1'), (NULL, x'0aff'), (2.5, 'b');
             CREATE TABLE \"odd \"\"name\" (z); INSERT INTO \"odd \"\"name\" VALUES ('q');",
        )
        .expect("fill");
        let before = dump(&path).expect("dump");
        assert_eq!(
            before.rows("a"),
            [
                "[Integer(1), Text(\"1\")]",
                "[Null, Blob([10, 255])]",
                "[Real(2.5), Text(\"b\")]"
            ]
        );
        assert_eq!(before.rows("odd \"name"), ["[Text(\"q\")]"]);
        assert_eq!(
            before.rows("sqlite_schema").len(),
            2,
            "the schema is part of it"
        );
        assert_eq!(before.rows("PRAGMA user_version"), ["0"]);
        conn.execute("UPDATE a SET y = 1 WHERE x = 1", [])
            .expect("change");
        let after = dump_connection(&conn).expect("dump");
        assert_ne!(before, after, "'1' and 1 differ");
        assert_eq!(before.differences(&after).len(), 1);
    }
}
