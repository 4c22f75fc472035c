//! What one tenant already imported, as the plan needs it: the stored users and groups (with
//! their copy of Entra ID's attributes and their Azure AD members), tombstones, and every
//! server account name (to find clashes). Loaded by the preview and inside the apply's
//! transaction, so both decide on the same kind of data.

use crate::changes::{
    DecisionAction, DecisionFinding, DirectoryGroup, DirectoryUser, ObjectKind, Reason, ScopeRoot,
    StandingDecision,
};
use crate::model::UserType;
use rusqlite::OptionalExtension;
use std::collections::HashMap;

/// What the database holds for one imported user.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StoredUser {
    pub user_id: i64,
    pub account_name: String,
    pub account_key: String,
    pub enabled: bool,
    pub full_name: String,
    pub email: String,
    pub phone: String,
    pub department: String,
    /// The Entra attributes as stored (`user_principal_name` = the account name).
    pub directory: DirectoryUser,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StoredGroup {
    pub group_id: i64,
    /// Marked deleted in Entra ID by a sync (which took away its Azure AD members).
    pub deleted_in_directory: bool,
    /// Attributes as stored; `members` = the object IDs of its current Azure AD user members.
    pub directory: DirectoryGroup,
}

/// Everything the plan needs from the database, for one tenant.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Imported {
    pub users: HashMap<String, StoredUser>,
    pub groups: HashMap<String, StoredGroup>,
    /// Every server user's account key (lower-cased name) → user id, to find clashes.
    pub account_owners: HashMap<String, i64>,
    /// The local users among them (account key → user id): the only ones a conflict may be
    /// resolved by linking to.
    pub local_accounts: HashMap<String, i64>,
    /// This tenant's users imported under an account name the administrator chose instead of
    /// their UPN: object ID → that name, which later runs keep.
    pub chosen_names: HashMap<String, String>,
    /// Users of this tenant deleted on the server: object ID → UPN at deletion. A sync does not
    /// bring them back unless the admin says so.
    pub tombstones: HashMap<String, String>,
    /// The organization's scope roots (every selection so far, flags merged, less the roots
    /// an administrator took out).
    pub roots: Vec<ScopeRoot>,
    /// Every object's reasons to be in scope as the last synchronization that computed the
    /// scope stored them (objects without a reason are absent): a run tells from them who
    /// leaves the scope, and an incremental run recomputes only the roots a change reached
    /// and keeps the others' reasons.
    pub reasons: HashMap<String, Vec<Reason>>,
    /// The decisions in force, by object ID: the administrator's latest choice, which the
    /// next *Check deleted objects* proposes again.
    pub decisions: HashMap<String, StandingDecision>,
    /// Users a Disable decision keeps disabled: one not lifted or reversed since. A later
    /// Keep does not end it — Keep changes nothing on the server.
    /// by object ID, with the finding of the Disable.
    pub held: HashMap<String, DecisionFinding>,
    /// The organization's change-tracking links (users, groups) as stored: a run planned from
    /// them must not write after an undo set them back.
    pub links: (Option<String>, Option<String>),
}

impl Imported {
    /// A digest of everything here, independent of the maps' order: equal digests mean the
    /// plan of the same changes comes out the same (see [`crate::DirectoryChanges::based_on`]).
    pub fn digest(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        fn one(item: impl Hash) -> u64 {
            // SipHash with fixed keys: the same digest for the same data in every process of
            // this build (the preview and the apply always run in the same one).
            let mut h = std::hash::DefaultHasher::new();
            item.hash(&mut h);
            h.finish()
        }
        fn set<K: Hash, V: Hash>(tag: u8, map: &HashMap<K, V>) -> u64 {
            map.iter().fold(one((tag, map.len())), |acc, (k, v)| {
                acc.wrapping_add(one((tag, k, v)))
            })
        }
        let mut roots: Vec<_> = self.roots.iter().map(one).collect();
        roots.sort_unstable();
        one((
            set(1, &self.users),
            set(2, &self.groups),
            set(3, &self.account_owners),
            set(4, &self.tombstones),
            roots,
            set(5, &self.decisions),
            set(6, &self.held),
            &self.links,
            set(7, &self.local_accounts),
            set(8, &self.chosen_names),
            set(9, &self.reasons),
        ))
    }

    /// Whether a standing decision keeps this user disabled on the server.
    pub fn held_disabled(&self, object_id: &str) -> bool {
        self.held.contains_key(object_id)
    }
}

/// What this tenant imported so far, and every account key, as [`crate::plan::plan`] needs them.
pub(crate) fn load_imported(
    conn: &rusqlite::Connection,
    tenant_id: &str,
) -> rusqlite::Result<Imported> {
    let mut imported = Imported::default();
    load_users(conn, tenant_id, &mut imported)?;
    load_groups(conn, tenant_id, &mut imported)?;
    load_names(conn, tenant_id, &mut imported)?;
    load_scope(conn, tenant_id, &mut imported)?;
    imported.links = conn
        .prepare_cached(
            "SELECT users_delta_link, groups_delta_link FROM organizations WHERE tenant_id = ?1",
        )?
        .query_row([tenant_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?
        .unwrap_or_default();
    Ok(imported)
}

/// The tenant's users with their server fields and their copy of Entra ID's attributes.
fn load_users(
    conn: &rusqlite::Connection,
    tenant_id: &str,
    imported: &mut Imported,
) -> rusqlite::Result<()> {
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
    Ok(())
}

/// The tenant's groups with their Azure AD user members.
fn load_groups(
    conn: &rusqlite::Connection,
    tenant_id: &str,
    imported: &mut Imported,
) -> rusqlite::Result<()> {
    // Members by server user id, named by the users just loaded: a join to azure_users for
    // each of the memberships (400,000 at 100k users) took most of the load's time.
    let mut members: HashMap<i64, Vec<i64>> = HashMap::new();
    {
        let mut stmt = conn.prepare_cached(
            "SELECT m.group_id, m.user_id FROM memberships m
             JOIN azure_groups g ON g.group_id = m.group_id
             WHERE m.source = 'azure_ad' AND g.tenant_id = ?1",
        )?;
        let rows = stmt.query_map([tenant_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
        for row in rows {
            let (group, user): (i64, i64) = row?;
            members.entry(group).or_default().push(user);
        }
    }
    let object_ids: HashMap<i64, &str> = imported
        .users
        .values()
        .map(|u| (u.user_id, u.directory.object_id.as_str()))
        .collect();
    // An Azure AD member not among this tenant's users (another tenant's) is looked up.
    let mut elsewhere =
        conn.prepare_cached("SELECT object_id FROM azure_users WHERE user_id = ?1")?;
    let mut object_id = |user: i64| -> rusqlite::Result<Option<String>> {
        match object_ids.get(&user) {
            Some(id) => Ok(Some((*id).to_owned())),
            None => elsewhere.query_row([user], |r| r.get(0)).optional(),
        }
    };
    let mut loaded = HashMap::new();
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
                members_unreadable: None,
            },
        })
    })?;
    for row in rows {
        let mut group = row?;
        let mut named = Vec::new();
        for user in members.remove(&group.group_id).unwrap_or_default() {
            // A member that is not an Azure AD user (none should be) is not one of its
            // Azure AD members.
            named.extend(object_id(user)?);
        }
        group.directory.members = Some(named);
        loaded.insert(group.directory.object_id.clone(), group);
    }
    imported.groups = loaded;
    Ok(())
}

/// The tenant's tombstones, every server account name (whichever tenant, or local), and the
/// account names chosen for the tenant's users.
fn load_names(
    conn: &rusqlite::Connection,
    tenant_id: &str,
    imported: &mut Imported,
) -> rusqlite::Result<()> {
    let mut tombs = conn.prepare_cached(
        "SELECT object_id, user_principal_name FROM azure_user_tombstones WHERE tenant_id = ?1",
    )?;
    let rows = tombs.query_map([tenant_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
    for row in rows {
        let (id, upn): (String, String) = row?;
        imported.tombstones.insert(id, upn);
    }
    let mut owners =
        conn.prepare_cached("SELECT account_key, id, auth_type = 'local' FROM users")?;
    let rows = owners.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    for row in rows {
        let (key, id, local): (String, i64, bool) = row?;
        if local {
            imported.local_accounts.insert(key.clone(), id);
        }
        imported.account_owners.insert(key, id);
    }
    let mut chosen = conn.prepare_cached(
        "SELECT object_id, account_name_chosen FROM azure_users
         WHERE tenant_id = ?1 AND account_name_chosen IS NOT NULL",
    )?;
    let rows = chosen.query_map([tenant_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
    for row in rows {
        let (id, name): (String, String) = row?;
        imported.chosen_names.insert(id, name);
    }
    Ok(())
}

/// The scope roots, and the decisions in force (the newest row per object, unless it lifted or
/// reversed the one before).
fn load_scope(
    conn: &rusqlite::Connection,
    tenant_id: &str,
    imported: &mut Imported,
) -> rusqlite::Result<()> {
    let mut roots = conn.prepare_cached(
        "SELECT object_type, object_id, members, nested FROM azure_scope_roots
         WHERE tenant_id = ?1 ORDER BY added_at, object_id",
    )?;
    let rows = roots.query_map([tenant_id], |r| {
        Ok(ScopeRoot {
            kind: r.get::<_, ObjectKind>(0)?,
            object_id: r.get(1)?,
            members: r.get(2)?,
            nested: r.get(3)?,
        })
    })?;
    imported.roots = rows.collect::<rusqlite::Result<_>>()?;
    load_reasons(conn, tenant_id, imported)?;
    let mut decisions = conn.prepare_cached(
        "SELECT d.object_id, d.action, d.finding, d.decided_by, d.decided_at
         FROM azure_decisions d
         WHERE d.tenant_id = ?1
           AND d.id = (SELECT max(id) FROM azure_decisions l
                       WHERE l.tenant_id = d.tenant_id AND l.object_id = d.object_id)",
    )?;
    let rows = decisions.query_map([tenant_id], |r| {
        let action: String = r.get(1)?;
        let finding: String = r.get(2)?;
        Ok((
            r.get::<_, String>(0)?,
            DecisionAction::from_sql(&action),
            DecisionFinding::from_sql(&finding),
            r.get::<_, String>(3)?,
            r.get::<_, String>(4)?,
        ))
    })?;
    for row in rows {
        // 'lifted' and 'reversed' rows have no action: nothing is in force.
        if let (id, Some(action), Some(finding), decided_by, decided_at) = row? {
            let decision = StandingDecision {
                action,
                finding,
                decided_by,
                decided_at,
            };
            imported.decisions.insert(id, decision);
        }
    }
    let mut held = conn.prepare_cached(HELD)?;
    let rows = held.query_map([tenant_id], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
    })?;
    for row in rows {
        let (id, finding) = row?;
        if let Some(finding) = DecisionFinding::from_sql(&finding) {
            imported.held.insert(id, finding);
        }
    }
    Ok(())
}

/// Every object's reasons to be in scope, as the last run that computed them stored them.
fn load_reasons(
    conn: &rusqlite::Connection,
    tenant_id: &str,
    imported: &mut Imported,
) -> rusqlite::Result<()> {
    let mut reasons = conn.prepare_cached(
        "SELECT object_id, root_id, path FROM azure_scope_reasons WHERE tenant_id = ?1
         ORDER BY object_id, root_id",
    )?;
    // Ordered by object: one key and one map entry per object, not per reason (500,000
    // reasons at 100k users, 5 for each).
    let mut rows = reasons.query([tenant_id])?;
    let mut current: Option<(String, Vec<Reason>)> = None;
    while let Some(row) = rows.next()? {
        let reason = Reason {
            root_id: row.get(1)?,
            path: row.get(2)?,
        };
        let object = row.get_ref(0)?.as_str()?;
        match &mut current {
            Some((id, list)) if id == object => list.push(reason),
            _ => {
                let next = (object.to_owned(), vec![reason]);
                if let Some((id, list)) = current.replace(next) {
                    imported.reasons.insert(id, list);
                }
            }
        }
    }
    if let Some((id, list)) = current {
        imported.reasons.insert(id, list);
    }
    Ok(())
}

/// The objects a Disable decision holds, with its finding: the newest Disable with no reversal
/// after it and no lift of its own finding after it (deleted in Entra ID is one finding).
pub(crate) const HELD: &str = "SELECT d.object_id, d.finding FROM azure_decisions d
     WHERE d.tenant_id = ?1 AND d.action = 'disable'
       AND d.id = (SELECT max(id) FROM azure_decisions x
                   WHERE x.tenant_id = d.tenant_id AND x.object_id = d.object_id
                     AND x.action = 'disable')
       AND NOT EXISTS (
         SELECT 1 FROM azure_decisions l
         WHERE l.tenant_id = d.tenant_id AND l.object_id = d.object_id AND l.id > d.id
           AND (l.action = 'reversed'
                OR (l.action = 'lifted' AND (l.finding = d.finding
                    OR (l.finding IN ('soft_deleted', 'hard_deleted')
                        AND d.finding IN ('soft_deleted', 'hard_deleted'))))))";
