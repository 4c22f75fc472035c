//! A restore's decisions: `azure_decisions` is append-only, so instead of copying the backup's
//! rows, a restore appends, for each object whose standing differs, the rows that make the
//! current history stand as the backup's does — the same decision in force (the newest row
//! unless it lifted or reversed) and the same Disable holding the user disabled
//! (`imported::HELD`: a later Keep does not end a Disable).

use crate::imported::HELD;
use rusqlite::{Connection, OptionalExtension, params};
use std::collections::{BTreeMap, BTreeSet};

/// An object's (tenant ID, object ID).
type Key = (String, String);
/// An object's (type, display name), as its newest decision names it.
type About = (String, String);
/// Every object's standing.
type Standings = BTreeMap<Key, (Standing, About)>;

/// Where an object's decision history stands.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Standing {
    /// The newest row's action and finding.
    pub latest: Option<(String, String)>,
    /// The finding of the Disable that holds, if one does.
    pub held: Option<String>,
}

impl Standing {
    /// The decision in force: the newest row, unless it is a lift or a reversal.
    fn in_force(&self) -> Option<&(String, String)> {
        self.latest
            .as_ref()
            .filter(|(action, _)| matches!(action.as_str(), "keep" | "disable" | "delete"))
    }
}

/// The (action, finding) rows to append to `now`'s history so that it stands as `backup`'s.
pub(crate) fn rows_to_append(backup: &Standing, now: &Standing) -> Vec<(String, String)> {
    let mut rows = Vec::new();
    let mut in_force = now.in_force().cloned();
    if backup.held != now.held {
        match &backup.held {
            Some(finding) => {
                let row = ("disable".to_owned(), finding.clone());
                rows.push(row.clone());
                in_force = Some(row);
            }
            None => {
                // Ends the Disable that holds now (and any decision in force).
                let finding = now
                    .in_force()
                    .map(|(_, f)| f.clone())
                    .or_else(|| now.held.clone())
                    .unwrap_or_default();
                rows.push(("reversed".to_owned(), finding));
                in_force = None;
            }
        }
    }
    if in_force.as_ref() != backup.in_force() {
        match (backup.in_force(), &backup.latest, &in_force) {
            (Some(row), _, _) => rows.push(row.clone()),
            // A lift or a reversal, as the backup has it (a lift of another finding leaves
            // its held Disable alone, as it did there).
            (None, Some(latest), _) => rows.push(latest.clone()),
            (None, None, Some((_, finding))) => rows.push(("reversed".to_owned(), finding.clone())),
            (None, None, None) => {}
        }
    }
    rows
}

/// Where one object's history stood before the row `before` (everything when `None`): the undo
/// of a run appends what makes the object stand as it did before the run's first row.
pub(crate) fn standing_before(
    conn: &Connection,
    tenant_id: &str,
    object_id: &str,
    before: Option<i64>,
) -> rusqlite::Result<Standing> {
    let bound = before.unwrap_or(i64::MAX);
    let latest = conn
        .query_row(
            "SELECT action, finding FROM azure_decisions
             WHERE tenant_id = ?1 AND object_id = ?2 AND id < ?3 ORDER BY id DESC LIMIT 1",
            params![tenant_id, object_id, bound],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let held_sql = format!(
        "WITH h AS (SELECT * FROM azure_decisions WHERE object_id = ?2 AND id < ?3) {}",
        HELD.replace("FROM azure_decisions ", "FROM h ")
    );
    let held = conn
        .query_row(&held_sql, params![tenant_id, object_id, bound], |r| {
            r.get::<_, String>(1)
        })
        .optional()?;
    Ok(Standing { latest, held })
}

/// Every object's standing and (type, display name) in `schema`'s decisions.
fn standings(conn: &Connection, schema: &str) -> rusqlite::Result<Standings> {
    let mut out = Standings::new();
    let mut latest = conn.prepare(&format!(
        "SELECT d.tenant_id, d.object_id, d.action, d.finding, d.object_type, d.display_name
         FROM {schema}.azure_decisions d
         WHERE d.id = (SELECT max(id) FROM {schema}.azure_decisions l
                       WHERE l.tenant_id = d.tenant_id AND l.object_id = d.object_id)"
    ))?;
    let rows = latest.query_map([], |r| {
        Ok((
            (r.get(0)?, r.get(1)?),
            (r.get(2)?, r.get(3)?),
            (r.get(4)?, r.get(5)?),
        ))
    })?;
    for row in rows {
        let (key, latest, about) = row?;
        let standing = Standing {
            latest: Some(latest),
            held: None,
        };
        out.insert(key, (standing, about));
    }
    let tenants: BTreeSet<String> = out.keys().map(|(t, _)| t.clone()).collect();
    let mut held = conn.prepare(&held_in(schema))?;
    for tenant in tenants {
        let rows = held.query_map([&tenant], |r| Ok((r.get::<_, String>(0)?, r.get(1)?)))?;
        for row in rows {
            let (object_id, finding) = row?;
            if let Some((standing, _)) = out.get_mut(&(tenant.clone(), object_id)) {
                standing.held = Some(finding);
            }
        }
    }
    Ok(out)
}

/// [`HELD`] over the decisions of `schema`.
fn held_in(schema: &str) -> String {
    HELD.replace(
        "FROM azure_decisions ",
        &format!("FROM {schema}.azure_decisions "),
    )
}

/// Appends to `main`'s decisions what makes every object stand as in `backup`'s, recorded as
/// decided by `by` in `run`.
pub(super) fn catch_up(tx: &Connection, backup: &str, run: i64, by: &str) -> rusqlite::Result<()> {
    let wanted = standings(tx, backup)?;
    let now = standings(tx, "main")?;
    let keys: BTreeSet<&Key> = wanted.keys().chain(now.keys()).collect();
    let mut insert = tx.prepare(
        "INSERT INTO main.azure_decisions (tenant_id, object_id, object_type, display_name,
                                           action, finding, decided_by, run_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?;
    let none = (Standing::default(), (String::new(), String::new()));
    for key in keys {
        let (want, about_there) = wanted.get(key).unwrap_or(&none);
        let (have, about_here) = now.get(key).unwrap_or(&none);
        let (kind, name) = if wanted.contains_key(key) {
            about_there
        } else {
            about_here
        };
        for (action, finding) in rows_to_append(want, have) {
            insert.execute(params![key.0, key.1, kind, name, action, finding, by, run])?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn standing(latest: Option<(&str, &str)>, held: Option<&str>) -> Standing {
        Standing {
            latest: latest.map(|(a, f)| (a.to_owned(), f.to_owned())),
            held: held.map(str::to_owned),
        }
    }

    fn rows(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(a, f)| ((*a).to_owned(), (*f).to_owned()))
            .collect()
    }

    /// A backup's standing, now's, and the rows appended.
    type Case<'a> = (&'a Standing, &'a Standing, &'a [(&'a str, &'a str)]);

    /// (backup, now) → rows appended.
    #[test]
    fn the_rows_that_make_the_history_stand_as_the_backups() {
        let none = standing(None, None);
        let disable = standing(Some(("disable", "out_of_scope")), Some("out_of_scope"));
        let keep = standing(Some(("keep", "soft_deleted")), None);
        // A Disable, then a Keep about another finding: the Disable still holds.
        let keep_over_disable = standing(Some(("keep", "soft_deleted")), Some("out_of_scope"));
        let lifted = standing(Some(("lifted", "out_of_scope")), None);
        // A lift of another finding: nothing in force, the Disable still holds.
        let lifted_other = standing(Some(("lifted", "disabled")), Some("out_of_scope"));
        let cases: &[Case<'_>] = &[
            (&none, &none, &[]),
            (&disable, &disable, &[]),
            (&none, &disable, &[("reversed", "out_of_scope")]),
            (&none, &keep, &[("reversed", "soft_deleted")]),
            (&lifted, &keep, &[("lifted", "out_of_scope")]),
            (&none, &lifted, &[]),
            (&lifted, &none, &[]),
            (&disable, &none, &[("disable", "out_of_scope")]),
            (&keep, &none, &[("keep", "soft_deleted")]),
            (
                &keep,
                &disable,
                &[("reversed", "out_of_scope"), ("keep", "soft_deleted")],
            ),
            (&disable, &keep, &[("disable", "out_of_scope")]),
            (
                &keep_over_disable,
                &none,
                &[("disable", "out_of_scope"), ("keep", "soft_deleted")],
            ),
            (&keep_over_disable, &disable, &[("keep", "soft_deleted")]),
            (
                &keep_over_disable,
                &keep,
                &[("disable", "out_of_scope"), ("keep", "soft_deleted")],
            ),
            (
                &keep,
                &keep_over_disable,
                &[("reversed", "soft_deleted"), ("keep", "soft_deleted")],
            ),
            (
                &lifted_other,
                &none,
                &[("disable", "out_of_scope"), ("lifted", "disabled")],
            ),
            (&lifted_other, &disable, &[("lifted", "disabled")]),
            (&none, &lifted_other, &[("reversed", "out_of_scope")]),
        ];
        for (backup, now, expected) in cases {
            assert_eq!(
                rows_to_append(backup, now),
                rows(expected),
                "backup {backup:?}, now {now:?}"
            );
        }
    }

    #[test]
    fn held_reads_the_named_schema_everywhere() {
        let sql = held_in("aadsync_backup");
        assert_eq!(
            sql.matches("FROM aadsync_backup.azure_decisions ").count(),
            3
        );
        assert!(!sql.contains("FROM azure_decisions"), "{sql}");
    }
}
