//! The sync apply path: the only way Azure AD users, groups and memberships are written.
//!
//! Everything happens in one transaction that holds the `sync_apply_marker` row (which the
//! database's guards require), and the run with one item per object goes to the audit log in
//! the same transaction: either all of it is there afterwards, or none of it.

use crate::model::UserType;
use crate::plan::{self, Imported, PlanItem, StoredGroup, StoredUser};
use crate::users::WriteHandle;
use crate::{Result, StoreError};
use rusqlite::{OptionalExtension, Transaction, params};
use std::collections::HashMap;

/// Who runs the sync against which tenant.
#[derive(Debug, Clone)]
pub struct RunInfo {
    /// Lower-case tenant GUID.
    pub tenant_id: String,
    /// UPN of the signed-in administrator.
    pub started_by: String,
}

/// A user as Entra ID returned it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DirectoryUser {
    pub object_id: String,
    pub user_principal_name: Option<String>,
    pub display_name: String,
    pub given_name: Option<String>,
    pub surname: Option<String>,
    pub mail: Option<String>,
    pub job_title: Option<String>,
    pub department: Option<String>,
    pub office_location: Option<String>,
    pub mobile_phone: Option<String>,
    pub business_phones: Vec<String>,
    pub user_type: Option<UserType>,
    pub account_enabled: bool,
    pub created_in_entra_at: Option<String>,
    pub on_premises_sync_enabled: Option<bool>,
    /// '' when selected directly, else the group path ("Sales / EMEA").
    pub imported_via: String,
}

/// A group as Entra ID returned it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DirectoryGroup {
    pub object_id: String,
    pub display_name: String,
    pub description: Option<String>,
    pub mail: Option<String>,
    pub mail_enabled: bool,
    pub security_enabled: bool,
    pub group_types: Vec<String>,
    /// Object IDs of the group's user members; `None` leaves the memberships as they are.
    /// Members that are not imported users are ignored.
    pub members: Option<Vec<String>>,
}

/// What to do with an imported user Entra ID no longer has (or has disabled, or put out of
/// scope), as the admin decided in "Check deleted objects".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RemovalAction {
    Disable,
    Delete,
}

/// Users or groups.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ObjectKind {
    #[default]
    User,
    Group,
}

impl ObjectKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ObjectKind::User => "user",
            ObjectKind::Group => "group",
        }
    }
}

/// For a user, Disable turns the account off; for a group it removes the group's Azure AD
/// memberships (the group grants nothing, its local members stay) and marks it. Delete removes
/// either (a deleted user leaves a tombstone; its memberships go with it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Removal {
    pub kind: ObjectKind,
    pub object_id: String,
    pub action: RemovalAction,
    /// Recorded on the user or group (Disable) when Entra ID deleted it.
    pub deletion: Option<crate::model::DirectoryDeletion>,
    /// Why, for the audit log ("permanently deleted in Entra ID").
    pub reason: String,
}

/// Graph change-tracking links of one organization, relative to its Graph root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeltaLinks {
    pub users: String,
    pub groups: String,
    /// When the links were requested (seconds since the epoch): Graph honours them 7 days.
    pub taken_at: i64,
}

/// What to write.
#[derive(Debug, Clone, Default)]
pub struct DirectoryChanges {
    pub users: Vec<DirectoryUser>,
    pub groups: Vec<DirectoryGroup>,
    /// Imported users to disable or delete; applied after the users, before the groups.
    pub removals: Vec<Removal>,
    /// The links for the next incremental read. Stored with the run, and only when no object
    /// failed: a failed object is in no later round of changes, so the next sync has to read
    /// from the old links (or compare everything) to try it again.
    pub delta: Option<DeltaLinks>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApplyOutcome {
    Created,
    Updated { fields: Vec<&'static str> },
    Unchanged,
    Disabled { reason: String },
    Deleted { reason: String },
    Failed { reason: String },
}

impl ApplyOutcome {
    fn as_sql(&self) -> &'static str {
        match self {
            ApplyOutcome::Created => "created",
            ApplyOutcome::Updated { .. } => "updated",
            ApplyOutcome::Unchanged => "unchanged",
            ApplyOutcome::Disabled { .. } => "disabled",
            ApplyOutcome::Deleted { .. } => "deleted",
            ApplyOutcome::Failed { .. } => "failed",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemOutcome {
    pub object_type: &'static str,
    pub object_id: String,
    pub display_name: String,
    pub outcome: ApplyOutcome,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApplyReport {
    pub run_id: i64,
    pub items: Vec<ItemOutcome>,
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub disabled: u64,
    pub deleted: u64,
    pub failed: u64,
}

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
        let path = self.path;
        let sql = |e| StoreError::from_sqlite(path, e);
        let tx = self.conn.transaction().map_err(sql)?;
        tx.execute("INSERT INTO sync_apply_marker (id) VALUES (1)", [])
            .map_err(sql)?;
        if cancelled() {
            return Err(StoreError::Interrupted);
        }
        let report = apply_in(&tx, run, changes).map_err(sql)?;
        tx.execute("DELETE FROM sync_apply_marker", [])
            .map_err(sql)?;
        if cancelled() {
            return Err(StoreError::Interrupted);
        }
        tx.commit().map_err(sql)?;
        tracing::info!(
            run = report.run_id,
            created = report.created,
            updated = report.updated,
            unchanged = report.unchanged,
            failed = report.failed,
            "directory changes applied"
        );
        Ok(report)
    }
}

fn apply_in(
    tx: &Transaction<'_>,
    run: &RunInfo,
    changes: &DirectoryChanges,
) -> rusqlite::Result<ApplyReport> {
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
    let run_id = tx.last_insert_rowid();
    let mut report = ApplyReport {
        run_id,
        ..ApplyReport::default()
    };

    // The decision is the pure plan, made here on what this transaction sees.
    let imported = load_imported(tx, &run.tenant_id)?;
    let decided = plan::plan(&imported, changes);
    let (user_items, rest) = decided.items.split_at(changes.users.len());
    let (removal_items, group_items) = rest.split_at(changes.removals.len());

    let mut insert_user = tx.prepare(
        "INSERT INTO users (account_name, account_key, auth_type, enabled, full_name, email,
                            phone, department)
         VALUES (?1, ?2, 'azure_ad', ?3, ?4, ?5, ?6, ?7)",
    )?;
    let mut update_user = tx.prepare(
        "UPDATE users SET account_name = ?2, account_key = ?3, enabled = ?4, full_name = ?5,
                email = ?6, phone = ?7, department = ?8,
                updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now')
         WHERE id = ?1",
    )?;
    let mut upsert_attributes = tx.prepare(
        "INSERT INTO azure_users (user_id, tenant_id, object_id, user_principal_name,
                display_name, given_name, surname, mail, job_title, department, office_location,
                mobile_phone, business_phones, user_type, account_enabled, created_in_entra_at,
                on_premises_sync_enabled, last_synchronized_at, deleted_in_directory,
                deleted_detected_at, imported_via)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,
                 strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), NULL, NULL, ?18)
         ON CONFLICT (user_id) DO UPDATE SET
                user_principal_name = excluded.user_principal_name,
                display_name = excluded.display_name, given_name = excluded.given_name,
                surname = excluded.surname, mail = excluded.mail, job_title = excluded.job_title,
                department = excluded.department, office_location = excluded.office_location,
                mobile_phone = excluded.mobile_phone, business_phones = excluded.business_phones,
                user_type = excluded.user_type, account_enabled = excluded.account_enabled,
                created_in_entra_at = excluded.created_in_entra_at,
                on_premises_sync_enabled = excluded.on_premises_sync_enabled,
                last_synchronized_at = excluded.last_synchronized_at,
                deleted_in_directory = NULL, deleted_detected_at = NULL,
                imported_via = excluded.imported_via",
    )?;
    let mut touch = tx.prepare(
        "UPDATE azure_users SET last_synchronized_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now')
         WHERE user_id = ?1",
    )?;

    let mut user_ids: HashMap<&str, i64> = imported
        .users
        .iter()
        .map(|(object_id, s)| (object_id.as_str(), s.user_id))
        .collect();

    for (user, item) in changes.users.iter().zip(user_items) {
        let existing = imported.users.get(&user.object_id);
        let fields = match (&item.outcome, plan::server_fields(user)) {
            (ApplyOutcome::Failed { .. }, _) | (_, Err(_)) => {
                record(&mut report, item.clone());
                continue;
            }
            (_, Ok(fields)) => fields,
        };
        let mut write_attributes = |user_id: i64| {
            upsert_attributes.execute(params![
                user_id,
                run.tenant_id,
                user.object_id,
                fields.account_name,
                user.display_name,
                user.given_name,
                user.surname,
                user.mail,
                user.job_title,
                user.department,
                user.office_location,
                user.mobile_phone,
                serde_json::to_string(&user.business_phones).unwrap_or_else(|_| "[]".into()),
                user.user_type.unwrap_or(UserType::Member).as_sql(),
                user.account_enabled,
                user.created_in_entra_at,
                user.on_premises_sync_enabled,
                user.imported_via,
            ])
        };
        match (&item.outcome, existing) {
            (ApplyOutcome::Created, _) => {
                insert_user.execute(params![
                    fields.account_name,
                    fields.account_key,
                    fields.enabled,
                    fields.full_name,
                    fields.email,
                    fields.phone,
                    fields.department
                ])?;
                let user_id = tx.last_insert_rowid();
                write_attributes(user_id)?;
                user_ids.insert(&user.object_id, user_id);
                // Re-imported after being deleted here: the tombstone has served its purpose.
                if imported.tombstones.contains_key(&user.object_id) {
                    tx.execute(
                        "DELETE FROM azure_user_tombstones WHERE tenant_id = ?1 AND object_id = ?2",
                        params![run.tenant_id, user.object_id],
                    )?;
                }
            }
            (ApplyOutcome::Updated { .. }, Some(s)) => {
                update_user.execute(params![
                    s.user_id,
                    fields.account_name,
                    fields.account_key,
                    fields.enabled,
                    fields.full_name,
                    fields.email,
                    fields.phone,
                    fields.department
                ])?;
                write_attributes(s.user_id)?;
            }
            (_, Some(s)) => {
                touch.execute([s.user_id])?;
            }
            (_, None) => {}
        }
        record(&mut report, item.clone());
    }

    apply_removals(
        tx,
        run,
        changes,
        removal_items,
        &imported,
        &mut user_ids,
        &mut report,
    )?;
    apply_groups(
        tx,
        run,
        changes,
        group_items,
        &imported,
        &user_ids,
        &mut report,
    )?;
    write_audit(tx, &report)?;
    tx.execute(
        "UPDATE organizations SET last_sync_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now')
         WHERE tenant_id = ?1",
        [&run.tenant_id],
    )?;
    if let Some(delta) = changes.delta.as_ref().filter(|_| report.failed == 0) {
        tx.execute(
            "UPDATE organizations SET users_delta_link = ?2, groups_delta_link = ?3,
                delta_taken_at = strftime('%Y-%m-%dT%H:%M:%SZ', ?4, 'unixepoch')
             WHERE tenant_id = ?1",
            params![run.tenant_id, delta.users, delta.groups, delta.taken_at],
        )?;
    }
    Ok(report)
}

/// What this tenant imported so far, and every account key, as [`plan::plan`] needs them.
pub(crate) fn load_imported(
    conn: &rusqlite::Connection,
    tenant_id: &str,
) -> rusqlite::Result<Imported> {
    let mut imported = Imported::default();
    let mut users = conn.prepare_cached(
        "SELECT a.object_id, u.id, u.account_name, u.account_key, u.enabled, u.full_name,
                u.email, u.phone, u.department, a.user_principal_name, a.display_name,
                a.given_name, a.surname, a.mail, a.job_title, a.department, a.office_location,
                a.mobile_phone, a.business_phones, a.user_type, a.account_enabled,
                a.created_in_entra_at, a.on_premises_sync_enabled, a.imported_via
         FROM azure_users a JOIN users u ON u.id = a.user_id WHERE a.tenant_id = ?1",
    )?;
    let rows = users.query_map([tenant_id], |r| {
        let object_id: String = r.get(0)?;
        let phones: String = r.get(18)?;
        let user_type: String = r.get(19)?;
        Ok(StoredUser {
            user_id: r.get(1)?,
            account_name: r.get(2)?,
            account_key: r.get(3)?,
            enabled: r.get(4)?,
            full_name: r.get(5)?,
            email: r.get(6)?,
            phone: r.get(7)?,
            department: r.get(8)?,
            directory: DirectoryUser {
                object_id,
                user_principal_name: r.get(9)?,
                display_name: r.get(10)?,
                given_name: r.get(11)?,
                surname: r.get(12)?,
                mail: r.get(13)?,
                job_title: r.get(14)?,
                department: r.get(15)?,
                office_location: r.get(16)?,
                mobile_phone: r.get(17)?,
                business_phones: serde_json::from_str(&phones).unwrap_or_default(),
                user_type: Some(UserType::from_sql(&user_type)),
                account_enabled: r.get(20)?,
                created_in_entra_at: r.get(21)?,
                on_premises_sync_enabled: r.get(22)?,
                imported_via: r.get(23)?,
            },
        })
    })?;
    for row in rows {
        let user = row?;
        imported
            .users
            .insert(user.directory.object_id.clone(), user);
    }
    let mut members: HashMap<i64, Vec<String>> = HashMap::new();
    {
        let mut stmt = conn.prepare_cached(
            "SELECT m.group_id, a.object_id FROM memberships m
             JOIN azure_users a ON a.user_id = m.user_id
             JOIN azure_groups g ON g.group_id = m.group_id
             WHERE m.source = 'azure_ad' AND g.tenant_id = ?1",
        )?;
        let rows = stmt.query_map([tenant_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
        for row in rows {
            let (group, user): (i64, String) = row?;
            members.entry(group).or_default().push(user);
        }
    }
    let mut groups = conn.prepare_cached(
        "SELECT group_id, object_id, display_name, description, mail, mail_enabled,
                security_enabled, group_types, deleted_in_directory IS NOT NULL
         FROM azure_groups WHERE tenant_id = ?1",
    )?;
    let rows = groups.query_map([tenant_id], |r| {
        let types: String = r.get(7)?;
        let group_id: i64 = r.get(0)?;
        Ok(StoredGroup {
            group_id,
            deleted_in_directory: r.get(8)?,
            directory: DirectoryGroup {
                object_id: r.get(1)?,
                display_name: r.get(2)?,
                description: r.get(3)?,
                mail: r.get(4)?,
                mail_enabled: r.get(5)?,
                security_enabled: r.get(6)?,
                group_types: serde_json::from_str(&types).unwrap_or_default(),
                members: None,
            },
        })
    })?;
    for row in rows {
        let mut group = row?;
        group.directory.members = Some(members.remove(&group.group_id).unwrap_or_default());
        imported
            .groups
            .insert(group.directory.object_id.clone(), group);
    }
    let mut tombs = conn.prepare_cached(
        "SELECT object_id, user_principal_name FROM azure_user_tombstones WHERE tenant_id = ?1",
    )?;
    let rows = tombs.query_map([tenant_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
    for row in rows {
        let (id, upn): (String, String) = row?;
        imported.tombstones.insert(id, upn);
    }
    let mut owners = conn.prepare_cached("SELECT account_key, id FROM users")?;
    let rows = owners.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    for row in rows {
        let (key, id): (String, i64) = row?;
        imported.account_owners.insert(key, id);
    }
    Ok(imported)
}

fn record(report: &mut ApplyReport, item: PlanItem) {
    match item.outcome {
        ApplyOutcome::Created => report.created += 1,
        ApplyOutcome::Updated { .. } => report.updated += 1,
        ApplyOutcome::Unchanged => report.unchanged += 1,
        ApplyOutcome::Disabled { .. } => report.disabled += 1,
        ApplyOutcome::Deleted { .. } => report.deleted += 1,
        ApplyOutcome::Failed { .. } => report.failed += 1,
    }
    report.items.push(ItemOutcome {
        object_type: item.object_type,
        object_id: item.object_id,
        display_name: item.display_name,
        outcome: item.outcome,
    });
}

fn apply_removals(
    tx: &Transaction<'_>,
    run: &RunInfo,
    changes: &DirectoryChanges,
    items: &[PlanItem],
    imported: &Imported,
    user_ids: &mut HashMap<&str, i64>,
    report: &mut ApplyReport,
) -> rusqlite::Result<()> {
    let mut disable = tx.prepare(
        "UPDATE users SET enabled = 0, updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now')
         WHERE id = ?1",
    )?;
    let mut mark = tx.prepare(
        "UPDATE azure_users SET deleted_in_directory = ?2,
                deleted_detected_at = coalesce(deleted_detected_at, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
         WHERE user_id = ?1",
    )?;
    // The database's tombstone trigger stays quiet inside the apply path (the marker row), so
    // a deletion decided by the sync leaves its tombstone here.
    let mut tombstone = tx.prepare(
        "INSERT INTO azure_user_tombstones (tenant_id, object_id, user_principal_name)
         VALUES (?1, ?2, ?3)
         ON CONFLICT (tenant_id, object_id) DO UPDATE SET
             user_principal_name = excluded.user_principal_name,
             deleted_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now')",
    )?;
    let mut delete = tx.prepare("DELETE FROM users WHERE id = ?1")?;
    let mut mark_group =
        tx.prepare("UPDATE azure_groups SET deleted_in_directory = ?2 WHERE group_id = ?1")?;
    let mut empty_group =
        tx.prepare("DELETE FROM memberships WHERE group_id = ?1 AND source = 'azure_ad'")?;
    let mut delete_group = tx.prepare("DELETE FROM groups WHERE id = ?1")?;
    for (removal, item) in changes.removals.iter().zip(items) {
        if removal.kind == ObjectKind::Group {
            if let Some(stored) = imported.groups.get(&removal.object_id) {
                match &item.outcome {
                    ApplyOutcome::Disabled { .. } => {
                        empty_group.execute([stored.group_id])?;
                        if let Some(deletion) = removal.deletion {
                            mark_group.execute(params![stored.group_id, deletion.as_sql()])?;
                        }
                    }
                    ApplyOutcome::Deleted { .. } => {
                        delete_group.execute([stored.group_id])?;
                    }
                    _ => {}
                }
            }
        } else if let Some(stored) = imported.users.get(&removal.object_id) {
            match &item.outcome {
                ApplyOutcome::Disabled { .. } => {
                    disable.execute([stored.user_id])?;
                    if let Some(deletion) = removal.deletion {
                        mark.execute(params![stored.user_id, deletion.as_sql()])?;
                    }
                }
                ApplyOutcome::Deleted { .. } => {
                    tombstone.execute(params![
                        run.tenant_id,
                        removal.object_id,
                        stored.account_name
                    ])?;
                    delete.execute([stored.user_id])?;
                    user_ids.remove(removal.object_id.as_str());
                }
                _ => {}
            }
        }
        record(report, item.clone());
    }
    Ok(())
}

fn apply_groups(
    tx: &Transaction<'_>,
    run: &RunInfo,
    changes: &DirectoryChanges,
    items: &[PlanItem],
    imported: &Imported,
    user_ids: &HashMap<&str, i64>,
    report: &mut ApplyReport,
) -> rusqlite::Result<()> {
    let mut insert_group =
        tx.prepare("INSERT INTO groups (name, source, description) VALUES (?1, 'azure_ad', ?2)")?;
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
                mail_enabled = excluded.mail_enabled, security_enabled = excluded.security_enabled,
                group_types = excluded.group_types,
                last_synchronized_at = excluded.last_synchronized_at, deleted_in_directory = NULL",
    )?;
    let mut current_members =
        tx.prepare("SELECT user_id FROM memberships WHERE group_id = ?1 AND source = 'azure_ad'")?;
    let mut add_member = tx.prepare(
        "INSERT OR IGNORE INTO memberships (group_id, user_id, source) VALUES (?1, ?2, 'azure_ad')",
    )?;
    let mut remove_member = tx.prepare(
        "DELETE FROM memberships WHERE group_id = ?1 AND user_id = ?2 AND source = 'azure_ad'",
    )?;

    for (group, item) in changes.groups.iter().zip(items) {
        let description = group.description.clone().unwrap_or_default();
        let existing = imported.groups.get(&group.object_id).map(|g| g.group_id);
        let group_id = match (&item.outcome, existing) {
            (ApplyOutcome::Failed { .. }, _) => {
                record(report, item.clone());
                continue;
            }
            (ApplyOutcome::Created, _) | (_, None) => {
                insert_group.execute(params![group.display_name, description])?;
                tx.last_insert_rowid()
            }
            (ApplyOutcome::Updated { fields }, Some(id)) => {
                if fields.contains(&"Entra ID attributes") {
                    update_group.execute(params![id, group.display_name, description])?;
                }
                id
            }
            (_, Some(id)) => id,
        };
        upsert.execute(params![
            group_id,
            run.tenant_id,
            group.object_id,
            group.display_name,
            group.description,
            group.mail,
            group.mail_enabled,
            group.security_enabled,
            serde_json::to_string(&group.group_types).unwrap_or_else(|_| "[]".into()),
        ])?;
        if let Some(members) = &group.members {
            let wanted: std::collections::HashSet<i64> = members
                .iter()
                .filter_map(|m| user_ids.get(m.as_str()).copied())
                .collect();
            let have: std::collections::HashSet<i64> = current_members
                .query_map([group_id], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            for user_id in wanted.difference(&have) {
                add_member.execute(params![group_id, user_id])?;
            }
            for user_id in have.difference(&wanted) {
                remove_member.execute(params![group_id, user_id])?;
            }
        }
        record(report, item.clone());
    }
    Ok(())
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
            | ApplyOutcome::Deleted { reason } => (Some(reason.as_str()), "[]".to_owned()),
            ApplyOutcome::Updated { fields } => (
                None,
                serde_json::to_string(fields).unwrap_or_else(|_| "[]".into()),
            ),
            _ => (None, "[]".to_owned()),
        };
        item.execute(params![
            report.run_id,
            it.object_type,
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
            report.created as i64,
            report.updated as i64,
            report.unchanged as i64,
            report.failed as i64,
            report.disabled as i64,
            report.deleted as i64
        ],
    )?;
    Ok(())
}
