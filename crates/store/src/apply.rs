//! The sync apply path: the only way Azure AD users, groups and memberships are written.
//!
//! Everything happens in one transaction that holds the `sync_apply_marker` row (which the
//! database's guards require), and the run with one item per object goes to the audit log in
//! the same transaction: either all of it is there afterwards, or none of it.

use crate::model::UserType;
use crate::users::{WriteHandle, account_name};
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

/// What to write.
#[derive(Debug, Clone, Default)]
pub struct DirectoryChanges {
    pub users: Vec<DirectoryUser>,
    pub groups: Vec<DirectoryGroup>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApplyOutcome {
    Created,
    Updated { fields: Vec<&'static str> },
    Unchanged,
    Failed { reason: String },
}

impl ApplyOutcome {
    fn as_sql(&self) -> &'static str {
        match self {
            ApplyOutcome::Created => "created",
            ApplyOutcome::Updated { .. } => "updated",
            ApplyOutcome::Unchanged => "unchanged",
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
    pub failed: u64,
}

/// The users-table projection of a directory user.
struct ServerFields<'a> {
    account_name: String,
    account_key: String,
    full_name: &'a str,
    email: &'a str,
    phone: &'a str,
    department: &'a str,
    enabled: bool,
}

fn server_fields(user: &DirectoryUser) -> std::result::Result<ServerFields<'_>, String> {
    let upn = user
        .user_principal_name
        .as_deref()
        .filter(|u| !u.trim().is_empty())
        .ok_or("Entra ID returned no user principal name for this user")?;
    let (account_name, account_key) = account_name(upn).map_err(|e| e.to_string())?;
    Ok(ServerFields {
        account_name,
        account_key,
        full_name: &user.display_name,
        email: user.mail.as_deref().unwrap_or_default(),
        phone: user
            .mobile_phone
            .as_deref()
            .or(user.business_phones.first().map(String::as_str))
            .unwrap_or_default(),
        department: user.department.as_deref().unwrap_or_default(),
        enabled: user.account_enabled,
    })
}

/// What is stored for an imported user, to tell updated from unchanged.
#[derive(Debug)]
struct Stored {
    user_id: i64,
    account_name: String,
    enabled: bool,
    full_name: String,
    email: String,
    phone: String,
    department: String,
    attributes: String,
}

/// The Entra attributes as one comparable string (JSON of the stored columns).
fn attributes_fingerprint(user: &DirectoryUser) -> String {
    serde_json::json!([
        user.user_principal_name,
        user.display_name,
        user.given_name,
        user.surname,
        user.mail,
        user.job_title,
        user.department,
        user.office_location,
        user.mobile_phone,
        user.business_phones,
        user.user_type.unwrap_or(UserType::Member).as_sql(),
        user.account_enabled,
        user.created_in_entra_at,
        user.on_premises_sync_enabled,
        user.imported_via,
    ])
    .to_string()
}

const STORED_FINGERPRINT_SQL: &str = "json_array(a.user_principal_name, a.display_name,
    a.given_name, a.surname, a.mail, a.job_title, a.department, a.office_location,
    a.mobile_phone, json(a.business_phones), a.user_type, json(CASE a.account_enabled WHEN 1 THEN 'true' ELSE 'false' END),
    a.created_in_entra_at,
    json(CASE a.on_premises_sync_enabled WHEN 1 THEN 'true' WHEN 0 THEN 'false' ELSE 'null' END),
    a.imported_via)";

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
        let path = self.path;
        let sql = |e| StoreError::from_sqlite(path, e);
        let tx = self.conn.transaction().map_err(sql)?;
        tx.execute("INSERT INTO sync_apply_marker (id) VALUES (1)", [])
            .map_err(sql)?;
        let report = apply_in(&tx, run, changes).map_err(sql)?;
        tx.execute("DELETE FROM sync_apply_marker", [])
            .map_err(sql)?;
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

    let mut stored: HashMap<String, Stored> = HashMap::new();
    {
        let mut stmt = tx.prepare(&format!(
            "SELECT a.object_id, u.id, u.account_name, u.enabled, u.full_name, u.email, u.phone,
                    u.department, {STORED_FINGERPRINT_SQL}
             FROM azure_users a JOIN users u ON u.id = a.user_id WHERE a.tenant_id = ?1"
        ))?;
        let rows = stmt.query_map([&run.tenant_id], |r| {
            Ok((
                r.get::<_, String>(0)?,
                Stored {
                    user_id: r.get(1)?,
                    account_name: r.get(2)?,
                    enabled: r.get(3)?,
                    full_name: r.get(4)?,
                    email: r.get(5)?,
                    phone: r.get(6)?,
                    department: r.get(7)?,
                    attributes: r.get(8)?,
                },
            ))
        })?;
        for row in rows {
            let (object_id, s) = row?;
            stored.insert(object_id, s);
        }
    }

    let mut owner_of_key = tx.prepare("SELECT id FROM users WHERE account_key = ?1")?;
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

    let mut user_ids: HashMap<&str, i64> = stored
        .iter()
        .map(|(object_id, s)| (object_id.as_str(), s.user_id))
        .collect();

    for user in &changes.users {
        let outcome = (|| -> rusqlite::Result<ApplyOutcome> {
            let fields = match server_fields(user) {
                Ok(f) => f,
                Err(reason) => return Ok(ApplyOutcome::Failed { reason }),
            };
            let existing = stored.get(&user.object_id);
            let owner: Option<i64> = owner_of_key
                .query_row([&fields.account_key], |r| r.get(0))
                .optional()?;
            if let Some(owner) = owner
                && Some(owner) != existing.map(|s| s.user_id)
            {
                return Ok(ApplyOutcome::Failed {
                    reason: format!(
                        "the account name {} is already used by another user",
                        fields.account_name
                    ),
                });
            }
            let fingerprint = attributes_fingerprint(user);
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
            match existing {
                None => {
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
                    Ok(ApplyOutcome::Created)
                }
                Some(s) => {
                    let mut changed = Vec::new();
                    let checks: [(&'static str, bool); 7] = [
                        ("account name", s.account_name != fields.account_name),
                        ("enabled", s.enabled != fields.enabled),
                        ("full name", s.full_name != fields.full_name),
                        ("e-mail", s.email != fields.email),
                        ("phone", s.phone != fields.phone),
                        ("department", s.department != fields.department),
                        (
                            "Entra ID attributes",
                            !same_json(&s.attributes, &fingerprint),
                        ),
                    ];
                    changed.extend(checks.iter().filter(|(_, c)| *c).map(|(n, _)| *n));
                    if changed.is_empty() {
                        touch.execute([s.user_id])?;
                        return Ok(ApplyOutcome::Unchanged);
                    }
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
                    Ok(ApplyOutcome::Updated { fields: changed })
                }
            }
        })()?;
        record(
            &mut report,
            "user",
            &user.object_id,
            &user.display_name,
            outcome,
        );
    }

    apply_groups(tx, run, changes, &user_ids, &mut report)?;
    write_audit(tx, &report)?;
    Ok(report)
}

fn same_json(a: &str, b: &str) -> bool {
    match (
        serde_json::from_str::<serde_json::Value>(a),
        serde_json::from_str::<serde_json::Value>(b),
    ) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

fn record(
    report: &mut ApplyReport,
    object_type: &'static str,
    object_id: &str,
    display_name: &str,
    outcome: ApplyOutcome,
) {
    match outcome {
        ApplyOutcome::Created => report.created += 1,
        ApplyOutcome::Updated { .. } => report.updated += 1,
        ApplyOutcome::Unchanged => report.unchanged += 1,
        ApplyOutcome::Failed { .. } => report.failed += 1,
    }
    report.items.push(ItemOutcome {
        object_type,
        object_id: object_id.to_owned(),
        display_name: display_name.to_owned(),
        outcome,
    });
}

fn apply_groups(
    tx: &Transaction<'_>,
    run: &RunInfo,
    changes: &DirectoryChanges,
    user_ids: &HashMap<&str, i64>,
    report: &mut ApplyReport,
) -> rusqlite::Result<()> {
    let mut find = tx.prepare(
        "SELECT g.id, json_array(a.display_name, a.description, a.mail,
                json(CASE a.mail_enabled WHEN 1 THEN 'true' ELSE 'false' END),
                json(CASE a.security_enabled WHEN 1 THEN 'true' ELSE 'false' END),
                json(a.group_types))
         FROM azure_groups a JOIN groups g ON g.id = a.group_id
         WHERE a.tenant_id = ?1 AND a.object_id = ?2",
    )?;
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

    for group in &changes.groups {
        if group.display_name.trim().is_empty() {
            record(
                report,
                "group",
                &group.object_id,
                &group.display_name,
                ApplyOutcome::Failed {
                    reason: "Entra ID returned no display name for this group".into(),
                },
            );
            continue;
        }
        let fingerprint = serde_json::json!([
            group.display_name,
            group.description,
            group.mail,
            group.mail_enabled,
            group.security_enabled,
            group.group_types
        ])
        .to_string();
        let existing: Option<(i64, String)> = find
            .query_row(params![run.tenant_id, group.object_id], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?;
        let description = group.description.clone().unwrap_or_default();
        let (group_id, mut outcome) = match existing {
            None => {
                insert_group.execute(params![group.display_name, description])?;
                (tx.last_insert_rowid(), ApplyOutcome::Created)
            }
            Some((id, stored)) if same_json(&stored, &fingerprint) => (id, ApplyOutcome::Unchanged),
            Some((id, _)) => {
                update_group.execute(params![id, group.display_name, description])?;
                (
                    id,
                    ApplyOutcome::Updated {
                        fields: vec!["Entra ID attributes"],
                    },
                )
            }
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
            let mut membership_changed = false;
            for user_id in wanted.difference(&have) {
                add_member.execute(params![group_id, user_id])?;
                membership_changed = true;
            }
            for user_id in have.difference(&wanted) {
                remove_member.execute(params![group_id, user_id])?;
                membership_changed = true;
            }
            if membership_changed {
                outcome = match outcome {
                    ApplyOutcome::Unchanged => ApplyOutcome::Updated {
                        fields: vec!["members"],
                    },
                    ApplyOutcome::Updated { mut fields } => {
                        fields.push("members");
                        ApplyOutcome::Updated { fields }
                    }
                    other => other,
                };
            }
        }
        record(
            report,
            "group",
            &group.object_id,
            &group.display_name,
            outcome,
        );
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
            ApplyOutcome::Failed { reason } => (Some(reason.as_str()), "[]".to_owned()),
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
                created = ?2, updated = ?3, unchanged = ?4, failed = ?5
         WHERE id = ?1",
        params![
            report.run_id,
            report.created as i64,
            report.updated as i64,
            report.unchanged as i64,
            report.failed as i64
        ],
    )?;
    Ok(())
}
