//! The floor the sync benchmarks compare against: the same rows inserted with prepared
//! statements in one transaction, no comparison, no audit (feature `baseline`, benchmarks only).

use crate::{DirectoryChanges, RunInfo, Store};
use rusqlite::params;
use std::collections::HashMap;

/// The floor: the same rows inserted with prepared statements in one transaction.
pub fn raw_insert(
    store: &Store,
    run: &RunInfo,
    changes: &DirectoryChanges,
) -> rusqlite::Result<usize> {
    let writer = store.writer();
    let conn = writer.connection();
    conn.execute_batch("BEGIN; INSERT INTO sync_apply_marker (id) VALUES (1);")?;
    let mut rows = 0;
    {
        let mut user = conn
            .prepare("INSERT INTO users (account_name, account_key, auth_type, enabled, full_name, email, phone, department) VALUES (?1, ?2, 'azure_ad', ?3, ?4, ?5, ?6, ?7)")?;
        let mut attrs = conn
            .prepare("INSERT INTO azure_users (user_id, tenant_id, object_id, user_principal_name, display_name, given_name, surname, mail, job_title, department, office_location, mobile_phone, business_phones, user_type, account_enabled, created_in_entra_at, on_premises_sync_enabled, last_synchronized_at, imported_via) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, 'Member', ?14, ?15, ?16, '2026-11-26T00:00:00Z', '')")?;
        let mut ids = HashMap::with_capacity(changes.users.len());
        for u in &changes.users {
            let upn = u.user_principal_name.as_deref().unwrap_or_default();
            user.execute(params![
                upn,
                upn.to_lowercase(),
                u.account_enabled,
                u.display_name,
                u.mail.as_deref().unwrap_or_default(),
                u.business_phones
                    .first()
                    .map(String::as_str)
                    .unwrap_or_default(),
                u.department.as_deref().unwrap_or_default()
            ])?;
            let id = conn.last_insert_rowid();
            attrs.execute(params![
                id,
                run.tenant_id,
                u.object_id,
                upn,
                u.display_name,
                u.given_name,
                u.surname,
                u.mail,
                u.job_title,
                u.department,
                u.office_location,
                u.mobile_phone,
                phones_json(&u.business_phones),
                u.account_enabled,
                u.created_in_entra_at,
                u.on_premises_sync_enabled
            ])?;
            ids.insert(u.object_id.as_str(), id);
            rows += 2;
        }
        rows += insert_groups(conn, run, changes, &ids)?;
    }
    conn.execute_batch("DELETE FROM sync_apply_marker; COMMIT;")?;
    Ok(rows)
}

/// The groups and their memberships; the rows written.
fn insert_groups(
    conn: &rusqlite::Connection,
    run: &RunInfo,
    changes: &DirectoryChanges,
    ids: &HashMap<&str, i64>,
) -> rusqlite::Result<usize> {
    let mut rows = 0;
    let mut group =
        conn.prepare("INSERT INTO groups (name, source, description) VALUES (?1, 'azure_ad', ?2)")?;
    let mut gattrs = conn
        .prepare("INSERT INTO azure_groups (group_id, tenant_id, object_id, display_name, description, mail, mail_enabled, security_enabled, group_types, last_synchronized_at) VALUES (?1, ?2, ?3, ?4, ?5, NULL, 0, 1, '[]', '2026-11-26T00:00:00Z')")?;
    let mut member = conn.prepare(
        "INSERT INTO memberships (group_id, user_id, source) VALUES (?1, ?2, 'azure_ad')",
    )?;
    for g in &changes.groups {
        group.execute(params![
            g.display_name,
            g.description.as_deref().unwrap_or_default()
        ])?;
        let gid = conn.last_insert_rowid();
        gattrs.execute(params![
            gid,
            run.tenant_id,
            g.object_id,
            g.display_name,
            g.description
        ])?;
        rows += 2;
        for id in g
            .members
            .iter()
            .flatten()
            .filter_map(|m| ids.get(m.as_str()))
        {
            member.execute(params![gid, id])?;
            rows += 1;
        }
    }
    Ok(rows)
}

fn phones_json(phones: &[String]) -> String {
    format!(
        "[{}]",
        phones
            .iter()
            .map(|p| format!("\"{p}\""))
            .collect::<Vec<_>>()
            .join(",")
    )
}
