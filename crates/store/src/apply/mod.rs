//! The sync apply path: the only way Azure AD users, groups and memberships are written.
//!
//! Everything happens in one transaction that holds the `sync_apply_marker` row (which the
//! database's guards require), and the run with one item per object goes to the audit log in
//! the same transaction: either all of it is there afterwards, or none of it. What happens to
//! each object is the pure [`plan::plan`], made on what this transaction sees; this module only
//! carries it out.

use crate::changes::{
    ApplyOutcome, ApplyReport, ChangedField, DirectoryChanges, DirectoryGroup, ObjectKind,
    OutcomeItem, Removal, RunInfo,
};
use crate::ids::next_id;
use crate::imported::{Imported, load_imported};
use crate::plan;
use crate::reuse::unchanged_snapshot;
use crate::users::WriteHandle;
use crate::{Result, StoreError};
use crate::{changeset, record};
use statements::UserStatements;

mod statements;
use rusqlite::{OptionalExtension, Transaction, params};
use std::collections::{HashMap, HashSet};

impl WriteHandle<'_> {
    /// Writes directory users, groups and memberships for one tenant in one transaction.
    ///
    /// Per-object problems (no UPN, an account name used by another user) are reported as
    /// `Failed` items and the rest continues; an SQLite error rolls everything back.
    pub fn apply_directory_changes(
        &mut self,
        run: &RunInfo,
        changes: &DirectoryChanges,
    ) -> Result<ApplyReport> {
        self.apply_directory_changes_until(run, changes, &|| false)
    }

    /// [`Self::apply_directory_changes`], rolled back with [`StoreError::Interrupted`] when
    /// `cancelled` says so at the start or just before the commit. An interrupt from the
    /// connection's [`crate::InterruptHandle`] stops it in between; these two checks close the
    /// gaps where no statement runs, in which SQLite ignores an interrupt.
    pub fn apply_directory_changes_until(
        &mut self,
        run: &RunInfo,
        changes: &DirectoryChanges,
        cancelled: &dyn Fn() -> bool,
    ) -> Result<ApplyReport> {
        let (path, reader, snapshots) = (self.path, self.reader, self.snapshots);
        let sql = |e| StoreError::from_sqlite(path, e);
        let tx = self.conn.transaction().map_err(sql)?;
        tx.execute("INSERT INTO sync_apply_marker (id) VALUES (1)", [])
            .map_err(sql)?;
        if cancelled() {
            return Err(StoreError::Interrupted);
        }
        // The write lock is held from the insert above: what this transaction sees is the
        // last commit, which the preview's load usually was too.
        let kept = unchanged_snapshot(reader, snapshots, &run.tenant_id);
        let loaded;
        let imported: &Imported = match &kept {
            Some(snapshot) => &snapshot.imported,
            None => {
                loaded = load_imported(&tx, &run.tenant_id).map_err(sql)?;
                &loaded
            }
        };
        let digest = || {
            kept.as_ref()
                .map_or_else(|| imported.digest(), |s| s.digest())
        };
        if changes.based_on.is_some_and(|d| d != digest()) {
            return Err(StoreError::Stale(
                "the database changed since the preview (another synchronization, undo or edit of this organization's users, perhaps from the command line); nothing was written: preview again".into(),
            ));
        }
        let report = {
            let mut session = changeset::record(&tx).map_err(sql)?;
            apply_in(&tx, &mut session, run, imported, changes).map_err(sql)?
        };
        tx.execute("DELETE FROM sync_apply_marker", [])
            .map_err(sql)?;
        if cancelled() {
            return Err(StoreError::Interrupted);
        }
        tx.commit().map_err(sql)?;
        snapshots.clear();
        tracing::info!(
            run = report.run_id,
            created = report.counts.created,
            updated = report.counts.updated,
            unchanged = report.counts.unchanged,
            failed = report.counts.failed,
            "directory changes applied"
        );
        Ok(report)
    }
}

/// One apply inside its transaction: what the tenant imported before it, and the server user
/// ids of its users as they are now (creations add to them, deletions take away), which the
/// memberships are written from.
struct Apply<'t, 'c> {
    tx: &'t Transaction<'c>,
    run: &'t RunInfo,
    imported: &'t Imported,
    user_ids: HashMap<String, i64>,
    /// Users and groups the run read and found unchanged: only their last-synchronized time
    /// is written, outside the run's changeset (an undo has nothing to revert there, and a
    /// full sync of 100,000 unchanged users must not cost an undo record per user).
    touched_users: Vec<i64>,
    touched_groups: Vec<i64>,
}

fn apply_in(
    tx: &Transaction<'_>,
    session: &mut rusqlite::session::Session<'_>,
    run: &RunInfo,
    imported: &Imported,
    changes: &DirectoryChanges,
) -> rusqlite::Result<ApplyReport> {
    let run_id = start_run(tx, run)?;
    let decided = plan::plan(imported, changes);
    let mut apply = Apply {
        tx,
        run,
        user_ids: imported
            .users
            .iter()
            .map(|(object_id, s)| (object_id.clone(), s.user_id))
            .collect(),
        imported,
        touched_users: Vec::new(),
        touched_groups: Vec::new(),
    };
    apply.users(changes, &decided.users)?;
    apply.removals(&changes.removals, &decided.removals)?;
    apply.groups(&changes.groups, &decided.groups)?;
    record::write_scope(tx, run, run_id, changes, imported)?;
    let created: HashSet<&str> = decided
        .users
        .iter()
        .chain(&decided.groups)
        .filter(|i| i.outcome.adds_object())
        .map(|i| i.object_id.as_str())
        .collect();
    record::write_decisions(tx, run, run_id, changes, imported, &created)?;
    let report = ApplyReport {
        run_id,
        items: decided.items().cloned().collect(),
        counts: decided.counts,
    };
    write_audit(tx, &report)?;
    finish_organization(tx, run, changes, &report)?;
    session.set_enabled(false);
    apply.touch()?;
    changeset::save(tx, run_id, session)?;
    Ok(report)
}

/// The run's row in the audit log, `running` until [`write_audit`] completes it.
fn start_run(tx: &Transaction<'_>, run: &RunInfo) -> rusqlite::Result<i64> {
    let organization_id: Option<i64> = tx
        .query_row(
            "SELECT id FROM organizations WHERE tenant_id = ?1",
            [&run.tenant_id],
            |r| r.get(0),
        )
        .optional()?;
    tx.execute(
        "INSERT INTO sync_runs (organization_id, tenant_id, started_by, status)
         VALUES (?1, ?2, ?3, 'running')",
        params![organization_id, run.tenant_id, run.started_by],
    )?;
    Ok(tx.last_insert_rowid())
}

/// The organization's last sync time, and its change-tracking links when no object failed.
fn finish_organization(
    tx: &Transaction<'_>,
    run: &RunInfo,
    changes: &DirectoryChanges,
    report: &ApplyReport,
) -> rusqlite::Result<()> {
    tx.execute(
        "UPDATE organizations SET last_sync_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now')
         WHERE tenant_id = ?1",
        [&run.tenant_id],
    )?;
    if let Some(delta) = changes.delta.as_ref().filter(|_| report.counts.failed == 0) {
        tx.execute(
            "UPDATE organizations SET users_delta_link = ?2, groups_delta_link = ?3,
                delta_taken_at = strftime('%Y-%m-%dT%H:%M:%SZ', ?4, 'unixepoch')
             WHERE tenant_id = ?1",
            params![run.tenant_id, delta.users, delta.groups, delta.taken_at],
        )?;
    }
    Ok(())
}

impl Apply<'_, '_> {
    fn users(&mut self, changes: &DirectoryChanges, items: &[OutcomeItem]) -> rusqlite::Result<()> {
        let mut statements = UserStatements::prepare(self.tx)?;
        let held = plan::held_disabled(self.imported, changes);
        for (user, item) in changes.users.iter().zip(items) {
            let held = held.contains(user.object_id.as_str());
            let chosen = plan::chosen_name(self.imported, changes, &user.object_id);
            let Ok(fields) = plan::server_fields(user, held, chosen) else {
                continue;
            };
            let existing = self.imported.users.get(&user.object_id);
            let user_id = match (&item.outcome, existing) {
                (ApplyOutcome::Created | ApplyOutcome::CreatedAs { .. }, _) => {
                    statements.create(&fields)?;
                    self.tx.last_insert_rowid()
                }
                (ApplyOutcome::Linked { .. }, _) => {
                    let Some(&local) = self.imported.local_accounts.get(&fields.account_key) else {
                        continue;
                    };
                    statements.link(local, &fields)?;
                    local
                }
                (ApplyOutcome::Updated { .. }, Some(s)) => {
                    statements.update(s.user_id, &fields)?;
                    statements.write_attributes(s.user_id, &self.run.tenant_id, user, &fields)?;
                    continue;
                }
                (ApplyOutcome::Failed { .. }, _) | (_, None) => continue,
                (_, Some(s)) => {
                    self.touched_users.push(s.user_id);
                    continue;
                }
            };
            statements.write_attributes(user_id, &self.run.tenant_id, user, &fields)?;
            if chosen.is_some() {
                self.tx.execute(
                    "UPDATE azure_users SET account_name_chosen = ?2 WHERE user_id = ?1",
                    params![user_id, fields.account_name],
                )?;
            }
            self.user_ids.insert(user.object_id.clone(), user_id);
            // Re-imported after being deleted here: the tombstone has served its purpose.
            if self.imported.tombstones.contains_key(&user.object_id) {
                self.tx.execute(
                    "DELETE FROM azure_user_tombstones
                     WHERE tenant_id = ?1 AND object_id = ?2",
                    params![self.run.tenant_id, user.object_id],
                )?;
            }
        }
        Ok(())
    }

    /// For a user, Disable turns the account off and records the deletion state; Delete
    /// leaves a tombstone (the database's trigger stays quiet inside the apply path). For a
    /// group, Disable takes its Azure AD members away and marks it; Delete removes it.
    fn removals(&mut self, removals: &[Removal], items: &[OutcomeItem]) -> rusqlite::Result<()> {
        let tx = self.tx;
        let mut disable = tx.prepare(
            "UPDATE users SET enabled = 0, updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now')
             WHERE id = ?1",
        )?;
        let mut mark = tx.prepare(
            "UPDATE azure_users SET deleted_in_directory = ?2,
                    deleted_detected_at = coalesce(deleted_detected_at,
                                                   strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
             WHERE user_id = ?1",
        )?;
        let mut tombstone = tx.prepare(
            "INSERT INTO azure_user_tombstones (tenant_id, object_id, user_principal_name)
             VALUES (?1, ?2, ?3)
             ON CONFLICT (tenant_id, object_id) DO UPDATE SET
                 user_principal_name = excluded.user_principal_name,
                 deleted_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now')",
        )?;
        let mut delete = tx.prepare("DELETE FROM users WHERE id = ?1")?;
        for (removal, item) in removals.iter().zip(items) {
            if removal.kind == ObjectKind::Group {
                self.remove_group(removal, item)?;
                continue;
            }
            let Some(stored) = self.imported.users.get(&removal.object_id) else {
                continue;
            };
            match &item.outcome {
                ApplyOutcome::Disabled { .. } => {
                    disable.execute([stored.user_id])?;
                    if let Some(deletion) = removal.deletion {
                        mark.execute(params![stored.user_id, deletion.as_sql()])?;
                    }
                }
                ApplyOutcome::Deleted { .. } => {
                    tombstone.execute(params![
                        self.run.tenant_id,
                        removal.object_id,
                        stored.account_name
                    ])?;
                    delete.execute([stored.user_id])?;
                    self.user_ids.remove(&removal.object_id);
                }
                _ => {}
            }
        }
        Ok(())
    }

    fn remove_group(&self, removal: &Removal, item: &OutcomeItem) -> rusqlite::Result<()> {
        let Some(stored) = self.imported.groups.get(&removal.object_id) else {
            return Ok(());
        };
        match &item.outcome {
            ApplyOutcome::Disabled { .. } => {
                self.tx.execute(
                    "DELETE FROM memberships WHERE group_id = ?1 AND source = 'azure_ad'",
                    [stored.group_id],
                )?;
                if let Some(deletion) = removal.deletion {
                    self.tx.execute(
                        "UPDATE azure_groups SET deleted_in_directory = ?2 WHERE group_id = ?1",
                        params![stored.group_id, deletion.as_sql()],
                    )?;
                }
            }
            ApplyOutcome::Deleted { .. } => {
                self.tx
                    .execute("DELETE FROM groups WHERE id = ?1", [stored.group_id])?;
            }
            _ => {}
        }
        Ok(())
    }

    fn groups(&mut self, groups: &[DirectoryGroup], items: &[OutcomeItem]) -> rusqlite::Result<()> {
        let tx = self.tx;
        let mut insert_group = tx.prepare(concat!(
            "INSERT INTO groups (id, name, source, description) VALUES (",
            next_id!("groups"),
            ", ?1, 'azure_ad', ?2)"
        ))?;
        let mut update_group = tx.prepare(
            "UPDATE groups SET name = ?2, description = ?3,
                    updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE id = ?1",
        )?;
        let mut upsert = tx.prepare(
            "INSERT INTO azure_groups (group_id, tenant_id, object_id, display_name, description,
                    mail, mail_enabled, security_enabled, group_types, last_synchronized_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
             ON CONFLICT (group_id) DO UPDATE SET display_name = excluded.display_name,
                    description = excluded.description, mail = excluded.mail,
                    mail_enabled = excluded.mail_enabled,
                    security_enabled = excluded.security_enabled,
                    group_types = excluded.group_types,
                    last_synchronized_at = excluded.last_synchronized_at,
                    deleted_in_directory = NULL",
        )?;
        for (group, item) in groups.iter().zip(items) {
            let description = group.description.clone().unwrap_or_default();
            let existing = self
                .imported
                .groups
                .get(&group.object_id)
                .map(|g| g.group_id);
            let group_id = match (&item.outcome, existing) {
                (ApplyOutcome::Failed { .. }, _) => continue,
                (ApplyOutcome::Created, _) | (_, None) => {
                    insert_group.execute(params![group.display_name, description])?;
                    tx.last_insert_rowid()
                }
                (ApplyOutcome::Updated { fields }, Some(id)) => {
                    if fields.contains(&ChangedField::EntraAttributes) {
                        update_group.execute(params![id, group.display_name, description])?;
                    }
                    id
                }
                (ApplyOutcome::Unchanged, Some(id))
                    if self
                        .imported
                        .groups
                        .get(&group.object_id)
                        .is_some_and(|g| !g.deleted_in_directory) =>
                {
                    self.touched_groups.push(id);
                    continue;
                }
                (_, Some(id)) => id,
            };
            upsert.execute(params![
                group_id,
                self.run.tenant_id,
                group.object_id,
                group.display_name,
                group.description,
                group.mail,
                group.mail_enabled,
                group.security_enabled,
                serde_json::to_string(&group.group_types).unwrap_or_else(|_| "[]".into()),
            ])?;
            if let Some(members) = &group.members {
                self.set_members(group_id, members)?;
            }
        }
        Ok(())
    }

    /// The last-synchronized time of the users and groups the run found unchanged.
    fn touch(&self) -> rusqlite::Result<()> {
        let mut user = self.tx.prepare(
            "UPDATE azure_users SET last_synchronized_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now')
             WHERE user_id = ?1",
        )?;
        for id in &self.touched_users {
            user.execute([id])?;
        }
        let mut group = self.tx.prepare(
            "UPDATE azure_groups SET last_synchronized_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now')
             WHERE group_id = ?1",
        )?;
        for id in &self.touched_groups {
            group.execute([id])?;
        }
        Ok(())
    }

    /// The group's Azure AD memberships become `members` (those that are imported users).
    fn set_members(&self, group_id: i64, members: &[String]) -> rusqlite::Result<()> {
        let wanted: HashSet<i64> = members
            .iter()
            .filter_map(|m| self.user_ids.get(m).copied())
            .collect();
        let mut current = self.tx.prepare_cached(
            "SELECT user_id FROM memberships WHERE group_id = ?1 AND source = 'azure_ad'",
        )?;
        let have: HashSet<i64> = current
            .query_map([group_id], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let mut add = self.tx.prepare_cached(
            "INSERT OR IGNORE INTO memberships (group_id, user_id, source)
             VALUES (?1, ?2, 'azure_ad')",
        )?;
        // In key order: each group's rows are appended to its part of the table's B-tree
        // instead of landing at random places in it.
        let mut added: Vec<i64> = wanted.difference(&have).copied().collect();
        added.sort_unstable();
        for user_id in added {
            add.execute(params![group_id, user_id])?;
        }
        let mut remove = self.tx.prepare_cached(
            "DELETE FROM memberships WHERE group_id = ?1 AND user_id = ?2 AND source = 'azure_ad'",
        )?;
        for user_id in have.difference(&wanted) {
            remove.execute(params![group_id, user_id])?;
        }
        Ok(())
    }
}

fn write_audit(tx: &Transaction<'_>, report: &ApplyReport) -> rusqlite::Result<()> {
    let mut item = tx.prepare(
        "INSERT INTO sync_run_items (run_id, object_type, object_id, display_name, outcome,
                                     reason, changed_fields)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    for it in &report.items {
        let (reason, fields) = match &it.outcome {
            ApplyOutcome::Failed { reason }
            | ApplyOutcome::Disabled { reason }
            | ApplyOutcome::Deleted { reason } => (Some(reason.clone()), "[]".to_owned()),
            ApplyOutcome::CreatedAs { .. } | ApplyOutcome::Linked { .. } => {
                (it.outcome.resolution_note(), "[]".to_owned())
            }
            ApplyOutcome::Updated { fields } => {
                let labels: Vec<&str> = fields.iter().map(|f| f.label()).collect();
                (
                    None,
                    serde_json::to_string(&labels).unwrap_or_else(|_| "[]".into()),
                )
            }
            _ => (None, "[]".to_owned()),
        };
        item.execute(params![
            report.run_id,
            it.kind,
            it.object_id,
            it.display_name,
            it.outcome.as_sql(),
            reason,
            fields
        ])?;
    }
    tx.execute(
        "UPDATE sync_runs SET status = 'succeeded',
                finished_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now'),
                created = ?2, updated = ?3, unchanged = ?4, failed = ?5, disabled = ?6,
                deleted = ?7
         WHERE id = ?1",
        params![
            report.run_id,
            report.counts.created as i64,
            report.counts.updated as i64,
            report.counts.unchanged as i64,
            report.counts.failed as i64,
            report.counts.disabled as i64,
            report.counts.deleted as i64
        ],
    )?;
    Ok(())
}
