//! The directory snapshot Graph requests read: the tenant with its JSON and indexes built once.

use crate::generate::Rng;
use crate::model::{Group, Tenant, User};
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet, VecDeque};

/// Every user property the emulator knows (what `$select` may ask for).
pub const USER_PROPERTIES: &[&str] = &[
    "id",
    "userPrincipalName",
    "displayName",
    "givenName",
    "surname",
    "mail",
    "jobTitle",
    "department",
    "officeLocation",
    "mobilePhone",
    "businessPhones",
    "preferredLanguage",
    "userType",
    "accountEnabled",
    "createdDateTime",
    "onPremisesSyncEnabled",
    "deletedDateTime",
];
/// Every group property the emulator knows.
pub const GROUP_PROPERTIES: &[&str] = &[
    "id",
    "displayName",
    "description",
    "mail",
    "mailEnabled",
    "mailNickname",
    "securityEnabled",
    "groupTypes",
    "createdDateTime",
    "deletedDateTime",
    "classification",
    "visibility",
    "membershipRule",
];

/// What kind of object a collection holds, for property validation and messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    User,
    Group,
    DirectoryObject,
}

impl Kind {
    pub fn type_name(self) -> &'static str {
        match self {
            Kind::User => "microsoft.graph.user",
            Kind::Group => "microsoft.graph.group",
            Kind::DirectoryObject => "microsoft.graph.directoryObject",
        }
    }

    /// The resource name Graph's `$filter` errors use.
    pub fn resource(self) -> &'static str {
        match self {
            Kind::User => "User",
            Kind::Group => "Group",
            Kind::DirectoryObject => "DirectoryObject",
        }
    }
}

/// An immutable snapshot of the tenant with the JSON and indexes Graph requests use. Mutations
/// (the control API) build a new snapshot, so a paging client never sees a half-changed list.
#[derive(Debug)]
pub struct Directory {
    /// The change-log version this snapshot is: an enumeration of it hands out a delta link
    /// for the changes after exactly this state.
    pub version: u64,
    pub tenant: Tenant,
    pub users_json: Vec<Value>,
    pub groups_json: Vec<Value>,
    /// Soft-deleted objects, for `directory/deletedItems`.
    pub deleted_users_json: Vec<Value>,
    pub deleted_groups_json: Vec<Value>,
    pub users_by_id: HashMap<String, usize>,
    users_by_upn: HashMap<String, usize>,
    groups_by_id: HashMap<String, usize>,
    /// Position in `tenant.groups` of each active group (for its direct members).
    members: HashMap<String, usize>,
}

/// A user as Graph serializes it (every known property).
pub(crate) fn user_json(u: &User) -> Value {
    compact(json!({
        "id": u.id, "userPrincipalName": u.user_principal_name,
        "displayName": u.display_name, "givenName": u.given_name, "surname": u.surname,
        "mail": u.mail, "jobTitle": u.job_title, "department": u.department,
        "officeLocation": u.office_location, "mobilePhone": u.mobile_phone,
        "businessPhones": u.business_phones, "preferredLanguage": u.preferred_language,
        "userType": u.user_type, "accountEnabled": u.account_enabled,
        "createdDateTime": u.created_date_time,
        "onPremisesSyncEnabled": u.on_premises_sync_enabled,
        "deletedDateTime": u.deleted_date_time,
    }))
}

/// A group as Graph serializes it (every known property).
pub(crate) fn group_json(g: &Group) -> Value {
    let unified = g.group_types.iter().any(|t| t == "Unified");
    compact(json!({
        "id": g.id, "displayName": g.display_name, "description": g.description,
        "mail": g.mail, "mailEnabled": g.mail_enabled,
        "mailNickname": g.mail.as_deref().and_then(|m| m.split('@').next()).unwrap_or("00000000-0000-0000-0000-000000000000"),
        "securityEnabled": g.security_enabled, "groupTypes": g.group_types,
        "createdDateTime": g.created_date_time, "deletedDateTime": g.deleted_date_time,
        "classification": null,
        "visibility": match &g.visibility {
            Some(v) => json!(v),
            None if unified => json!("Public"),
            None => Value::Null,
        },
        "membershipRule": null,
    }))
}

/// Drops null properties: projection writes absent ones as null anyway, and storing the nulls
/// costs ~30 % of the cache.
fn compact(mut v: Value) -> Value {
    if let Value::Object(map) = &mut v {
        map.retain(|_, value| !value.is_null());
    }
    v
}

/// Position of each item by a key.
fn index_by<T>(items: &[&T], key: impl Fn(&T) -> String) -> HashMap<String, usize> {
    items
        .iter()
        .enumerate()
        .map(|(i, item)| (key(item), i))
        .collect()
}

impl Directory {
    pub fn build(tenant: Tenant, version: u64) -> Self {
        let active_users: Vec<&User> = tenant
            .users
            .iter()
            .filter(|u| u.deleted_date_time.is_none())
            .collect();
        let active_groups: Vec<&Group> = tenant
            .groups
            .iter()
            .filter(|g| g.deleted_date_time.is_none())
            .collect();
        let members = tenant
            .groups
            .iter()
            .enumerate()
            .filter(|(_, g)| g.deleted_date_time.is_none())
            .map(|(i, g)| (g.id.clone(), i))
            .collect();
        Self {
            users_json: active_users.iter().map(|u| user_json(u)).collect(),
            groups_json: active_groups.iter().map(|g| group_json(g)).collect(),
            deleted_users_json: (tenant.users.iter())
                .filter(|u| u.deleted_date_time.is_some())
                .map(user_json)
                .collect(),
            deleted_groups_json: (tenant.groups.iter())
                .filter(|g| g.deleted_date_time.is_some())
                .map(group_json)
                .collect(),
            users_by_id: index_by(&active_users, |u| u.id.clone()),
            users_by_upn: index_by(&active_users, |u| u.user_principal_name.to_lowercase()),
            groups_by_id: index_by(&active_groups, |g| g.id.clone()),
            members,
            version,
            tenant,
        }
    }

    /// A user by object ID or (case-insensitive) user principal name.
    pub fn user(&self, id_or_upn: &str) -> Option<&Value> {
        self.users_by_id
            .get(id_or_upn)
            .or_else(|| self.users_by_upn.get(&id_or_upn.to_lowercase()))
            .and_then(|i| self.users_json.get(*i))
    }

    pub fn group(&self, id: &str) -> Option<&Value> {
        self.groups_by_id
            .get(id)
            .and_then(|i| self.groups_json.get(*i))
    }

    pub fn object(&self, id: &str) -> Option<(&Value, Kind)> {
        self.users_by_id
            .get(id)
            .and_then(|i| self.users_json.get(*i))
            .map(|u| (u, Kind::User))
            .or_else(|| self.group(id).map(|g| (g, Kind::Group)))
    }

    /// Direct members, or all members through nested groups (each object once; nested groups
    /// themselves are included, as Graph's transitiveMembers does).
    pub fn members_of(&self, group_id: &str, transitive: bool) -> Vec<String> {
        // Deleted members are left out; they come back with a restore.
        let direct = |id: &str| -> Vec<String> {
            self.members
                .get(id)
                .and_then(|i| self.tenant.groups.get(*i))
                .map(|g| &g.members)
                .map(|m| {
                    m.iter()
                        .filter(|m| {
                            self.users_by_id.contains_key(*m) || self.groups_by_id.contains_key(*m)
                        })
                        .cloned()
                        .collect()
                })
                .unwrap_or_default()
        };
        if !transitive {
            return direct(group_id);
        }
        let mut seen = HashSet::from([group_id.to_owned()]);
        let mut out = Vec::new();
        let mut queue: VecDeque<String> = direct(group_id).into();
        while let Some(id) = queue.pop_front() {
            if !seen.insert(id.clone()) {
                continue;
            }
            if self.groups_by_id.contains_key(&id) {
                queue.extend(direct(&id));
            }
            out.push(id);
        }
        out
    }
}

/// A stable object ID for a directory role in a tenant.
pub fn role_object_id(tenant_id: &str, template_id: &str) -> String {
    let seed = tenant_id
        .bytes()
        .chain(template_id.bytes())
        .fold(0u64, |h, b| h.wrapping_mul(0x100_0000_01b3) ^ u64::from(b));
    Rng::new(seed).guid()
}
