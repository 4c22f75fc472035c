//! What a synchronization records besides the objects, inside the apply's transaction: the
//! scope (roots and reasons) and the administrator's decisions.

use crate::changes::{
    Decision, DecisionAction, DirectoryChanges, ObjectKind, Reason, RunInfo, ScopeRoot,
};
use crate::imported::Imported;
use rusqlite::{Transaction, params};
use std::collections::{BTreeMap, HashMap, HashSet};

/// The roots the administrator took out leave the scope (each one an item of the run in the
/// audit log), the run's selection joins it (a root's flags only grow), and the scope's
/// reasons are replaced when the run computed them.
pub(crate) fn write_scope(
    tx: &Transaction<'_>,
    run: &RunInfo,
    run_id: i64,
    changes: &DirectoryChanges,
    imported: &Imported,
) -> rusqlite::Result<()> {
    for dropped in &changes.dropped_roots {
        let r = &dropped.root;
        let gone = tx.execute(
            "DELETE FROM azure_scope_roots WHERE tenant_id = ?1 AND object_id = ?2",
            params![run.tenant_id, r.object_id],
        )?;
        if gone == 0 {
            continue;
        }
        let now = changes
            .roots
            .iter()
            .find(|n| n.object_id == r.object_id)
            .map_or_else(
                || "taken out of the saved scope".to_owned(),
                |n| format!("saved scope changed to {}", n.describe()),
            );
        tx.execute(
            "INSERT INTO sync_run_items (run_id, object_type, object_id, display_name, outcome,
                                         reason)
             VALUES (?1, ?2, ?3, ?4, 'skipped', ?5)",
            params![
                run_id,
                r.kind,
                r.object_id,
                dropped.display_name,
                format!("{now} (was: {})", r.describe())
            ],
        )?;
    }
    write_roots(tx, run, changes, imported)?;
    match &changes.scope {
        Some(scope) => write_reasons(tx, &run.tenant_id, scope, imported),
        None => Ok(()),
    }
}

/// The run's roots not already saved with at least their flags (the rest would be no-ops: on
/// an incremental run of 100,000 user roots, 100,000 upserts for nothing).
fn write_roots(
    tx: &Transaction<'_>,
    run: &RunInfo,
    changes: &DirectoryChanges,
    imported: &Imported,
) -> rusqlite::Result<()> {
    let dropped: HashSet<&str> = (changes.dropped_roots.iter())
        .map(|d| d.root.object_id.as_str())
        .collect();
    let saved: HashMap<&str, &ScopeRoot> = (imported.roots.iter())
        .filter(|r| !dropped.contains(r.object_id.as_str()))
        .map(|r| (r.object_id.as_str(), r))
        .collect();
    let mut root = tx.prepare(
        "INSERT INTO azure_scope_roots (tenant_id, object_id, object_type, members, nested,
                                        added_by)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (tenant_id, object_id) DO UPDATE SET
             members = max(members, excluded.members), nested = max(nested, excluded.nested)",
    )?;
    for r in &changes.roots {
        let members = r.kind == ObjectKind::Group && r.members;
        let nested = members && r.nested;
        let covered = saved
            .get(r.object_id.as_str())
            .is_some_and(|s| s.kind == r.kind && (s.members || !members) && (s.nested || !nested));
        if covered {
            continue;
        }
        root.execute(params![
            run.tenant_id,
            r.object_id,
            r.kind,
            members,
            nested,
            run.started_by
        ])?;
    }
    Ok(())
}

/// The scope's reasons become `scope`: only the rows that differ from the reasons stored
/// (`imported`, loaded in this transaction, which nothing before this writes) are written, so
/// a run that recomputed an unchanged scope of 100,000 users writes (and records for its undo)
/// nothing, and reads no row for it.
fn write_reasons(
    tx: &Transaction<'_>,
    tenant_id: &str,
    scope: &BTreeMap<String, Vec<Reason>>,
    imported: &Imported,
) -> rusqlite::Result<()> {
    let mut insert = tx.prepare(
        "INSERT INTO azure_scope_reasons (tenant_id, object_id, root_id, path)
         VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (tenant_id, object_id, root_id) DO UPDATE SET path = excluded.path",
    )?;
    for (object_id, reasons) in scope {
        let stored = imported
            .reasons
            .get(object_id)
            .map_or(&[][..], Vec::as_slice);
        for (i, r) in reasons.iter().enumerate() {
            // The first reason for a root wins, as INSERT OR IGNORE into an emptied table did.
            if reasons[..i]
                .iter()
                .any(|earlier| earlier.root_id == r.root_id)
            {
                continue;
            }
            let same = stored
                .iter()
                .any(|s| s.root_id == r.root_id && s.path == r.path);
            if !same {
                insert.execute(params![tenant_id, object_id, r.root_id, r.path])?;
            }
        }
    }
    let mut delete = tx.prepare(
        "DELETE FROM azure_scope_reasons WHERE tenant_id = ?1 AND object_id = ?2 AND root_id = ?3",
    )?;
    for (object_id, stored) in &imported.reasons {
        let wanted = scope.get(object_id).map_or(&[][..], Vec::as_slice);
        for s in stored {
            if !wanted.iter().any(|r| r.root_id == s.root_id) {
                delete.execute(params![tenant_id, object_id, s.root_id])?;
            }
        }
    }
    Ok(())
}

/// The decisions the run lifts — whose finding stopped holding, or about a user or group
/// deleted on this server that the run imports again (a new object starts with no decision) —
/// then the
/// administrator's decisions (about objects this tenant imported; one the same as the decision
/// in force is not repeated), appended in that order: the newest row is the one in force.
pub(crate) fn write_decisions(
    tx: &Transaction<'_>,
    run: &RunInfo,
    run_id: i64,
    changes: &DirectoryChanges,
    imported: &Imported,
    created: &HashSet<&str>,
) -> rusqlite::Result<()> {
    let mut insert = tx.prepare(
        "INSERT INTO azure_decisions (tenant_id, object_id, object_type, display_name, action,
                                      finding, decided_by, run_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?;
    let mut append = |kind: ObjectKind, id: &str, name: &str, action: &str, finding: &str| {
        insert.execute(params![
            run.tenant_id,
            id,
            kind,
            name,
            action,
            finding,
            run.started_by,
            run_id
        ])
    };
    let mut lifted: HashSet<&str> = HashSet::new();
    for lift in &changes.lifted {
        if imported.decisions.contains_key(&lift.object_id)
            || imported.held.contains_key(&lift.object_id)
        {
            append(
                lift.kind,
                &lift.object_id,
                &lift.display_name,
                "lifted",
                lift.finding.as_sql(),
            )?;
            lifted.insert(&lift.object_id);
        }
    }
    let users = changes
        .users
        .iter()
        .map(|u| (ObjectKind::User, &u.object_id, &u.display_name));
    let groups = changes
        .groups
        .iter()
        .map(|g| (ObjectKind::Group, &g.object_id, &g.display_name));
    for (kind, id, name) in users.chain(groups) {
        if created.contains(id.as_str())
            && let Some(standing) = imported.decisions.get(id)
            && lifted.insert(id)
        {
            append(kind, id, name, "lifted", standing.finding.as_sql())?;
        }
    }
    for d in &changes.decisions {
        if to_record(d, imported, &lifted) {
            append(
                d.kind,
                &d.object_id,
                &d.display_name,
                d.action.as_sql(),
                d.finding.as_sql(),
            )?;
            if d.action == DecisionAction::Keep {
                audit_keep(tx, run_id, d)?;
            }
        }
    }
    Ok(())
}

/// Whether `d` is about an object this tenant imported and says something new: not the
/// decision in force again (unless this run lifted that one).
fn to_record(d: &Decision, imported: &Imported, lifted: &HashSet<&str>) -> bool {
    let known = match d.kind {
        ObjectKind::User => imported.users.contains_key(&d.object_id),
        ObjectKind::Group => imported.groups.contains_key(&d.object_id),
    };
    let repeated = !lifted.contains(d.object_id.as_str())
        && imported
            .decisions
            .get(&d.object_id)
            .is_some_and(|s| s.action == d.action && s.finding.same_as(d.finding));
    known && !repeated
}

/// A Keep changes nothing on the server, but something was decided: the audit log says so
/// with the run, as a skipped item with the reason.
fn audit_keep(tx: &Transaction<'_>, run_id: i64, d: &Decision) -> rusqlite::Result<usize> {
    tx.execute(
        "INSERT INTO sync_run_items (run_id, object_type, object_id, display_name, outcome,
                                     reason)
         VALUES (?1, ?2, ?3, ?4, 'skipped', ?5)",
        params![
            run_id,
            d.kind,
            d.object_id,
            d.display_name,
            format!("kept on this server: {}", d.finding.describe())
        ],
    )
}
