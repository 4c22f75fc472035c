//! What a synchronization records besides the objects, inside the apply's transaction: the
//! scope (roots and reasons) and the administrator's decisions.

use crate::changes::{DirectoryChanges, ObjectKind, RunInfo};
use crate::imported::Imported;
use rusqlite::{Transaction, params};

/// The run's selection joins the scope roots (a root's flags only grow), and the scope's
/// reasons are replaced when the run computed them.
pub(crate) fn write_scope(
    tx: &Transaction<'_>,
    run: &RunInfo,
    changes: &DirectoryChanges,
) -> rusqlite::Result<()> {
    let mut root = tx.prepare(
        "INSERT INTO azure_scope_roots (tenant_id, object_id, object_type, members, nested,
                                        added_by)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (tenant_id, object_id) DO UPDATE SET
             members = max(members, excluded.members), nested = max(nested, excluded.nested)",
    )?;
    for r in &changes.roots {
        let members = r.kind == ObjectKind::Group && r.members;
        root.execute(params![
            run.tenant_id,
            r.object_id,
            r.kind,
            members,
            members && r.nested,
            run.started_by
        ])?;
    }
    let Some(scope) = &changes.scope else {
        return Ok(());
    };
    tx.execute(
        "DELETE FROM azure_scope_reasons WHERE tenant_id = ?1",
        [&run.tenant_id],
    )?;
    let mut reason = tx.prepare(
        "INSERT OR IGNORE INTO azure_scope_reasons (tenant_id, object_id, root_id, path)
         VALUES (?1, ?2, ?3, ?4)",
    )?;
    for (object_id, reasons) in scope {
        for r in reasons {
            reason.execute(params![run.tenant_id, object_id, r.root_id, r.path])?;
        }
    }
    Ok(())
}

/// The administrator's decisions (about objects this tenant imported; one the same as the
/// decision in force is not repeated) and the decisions the run lifts, appended.
pub(crate) fn write_decisions(
    tx: &Transaction<'_>,
    run: &RunInfo,
    run_id: i64,
    changes: &DirectoryChanges,
    imported: &Imported,
) -> rusqlite::Result<()> {
    let mut insert = tx.prepare(
        "INSERT INTO azure_decisions (tenant_id, object_id, object_type, display_name, action,
                                      finding, decided_by, run_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?;
    for d in &changes.decisions {
        let known = match d.kind {
            ObjectKind::User => imported.users.contains_key(&d.object_id),
            ObjectKind::Group => imported.groups.contains_key(&d.object_id),
        };
        let repeated = imported
            .decisions
            .get(&d.object_id)
            .is_some_and(|s| s.action == d.action && s.finding.same_as(d.finding));
        if known && !repeated {
            insert.execute(params![
                run.tenant_id,
                d.object_id,
                d.kind,
                d.display_name,
                d.action.as_sql(),
                d.finding.as_sql(),
                run.started_by,
                run_id
            ])?;
        }
    }
    for lift in &changes.lifted {
        if imported.decisions.contains_key(&lift.object_id) {
            insert.execute(params![
                run.tenant_id,
                lift.object_id,
                lift.kind,
                lift.display_name,
                "lifted",
                lift.finding.as_sql(),
                run.started_by,
                run_id
            ])?;
        }
    }
    Ok(())
}
