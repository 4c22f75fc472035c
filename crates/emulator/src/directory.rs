//! The directory snapshot Graph requests read: the tenant with its indexes built once, its
//! objects serialized on demand.

use crate::generate::Rng;
use crate::model::{Group, Tenant, User};
use serde_json::{Value, json};
use std::borrow::Cow;
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

/// A directory object as Graph requests read it: the tenant's own record, serialized one
/// property at a time on demand. Holding JSON for every object next to the records doubled
/// the emulator's memory (about 2 KiB per user) for a million users.
#[derive(Debug, Clone, Copy)]
pub enum Object<'a> {
    User(&'a User),
    Group(&'a Group),
}

impl<'a> Object<'a> {
    pub fn kind(self) -> Kind {
        match self {
            Object::User(_) => Kind::User,
            Object::Group(_) => Kind::Group,
        }
    }

    pub fn id(self) -> &'a str {
        match self {
            Object::User(u) => &u.id,
            Object::Group(g) => &g.id,
        }
    }

    /// The whole object as Graph serializes it (every known property that is not null).
    pub fn json(self) -> Value {
        let names = match self {
            Object::User(_) => USER_PROPERTIES,
            Object::Group(_) => GROUP_PROPERTIES,
        };
        Value::Object(
            names
                .iter()
                .filter_map(|name| Some(((*name).to_owned(), self.value(name)?)))
                .collect(),
        )
    }

    /// One property as Graph serializes it; `None` when it is null or unknown.
    fn value(self, name: &str) -> Option<Value> {
        match self {
            Object::User(u) => user_property(u, name),
            Object::Group(g) => group_property(g, name),
        }
    }
}

/// What a Graph response may show of an object: the directory's records and the JSON views
/// the change log keeps of them alike.
pub trait Properties {
    /// The property `name`, `None` when it is null or unknown.
    fn property(&self, name: &str) -> Option<Cow<'_, Value>>;
}

impl Properties for Value {
    fn property(&self, name: &str) -> Option<Cow<'_, Value>> {
        self.get(name).filter(|v| !v.is_null()).map(Cow::Borrowed)
    }
}

impl Properties for Object<'_> {
    fn property(&self, name: &str) -> Option<Cow<'_, Value>> {
        self.value(name).map(Cow::Owned)
    }
}

fn text(s: &str) -> Option<Value> {
    Some(Value::String(s.to_owned()))
}

fn optional(s: &Option<String>) -> Option<Value> {
    s.as_deref().and_then(text)
}

fn user_property(u: &User, name: &str) -> Option<Value> {
    match name {
        "id" => text(&u.id),
        "userPrincipalName" => text(&u.user_principal_name),
        "displayName" => text(&u.display_name),
        "givenName" => optional(&u.given_name),
        "surname" => optional(&u.surname),
        "mail" => optional(&u.mail),
        "jobTitle" => optional(&u.job_title),
        "department" => optional(&u.department),
        "officeLocation" => optional(&u.office_location),
        "mobilePhone" => optional(&u.mobile_phone),
        "businessPhones" => Some(json!(u.business_phones)),
        "preferredLanguage" => optional(&u.preferred_language),
        "userType" => text(&u.user_type),
        "accountEnabled" => Some(Value::Bool(u.account_enabled)),
        "createdDateTime" => text(&u.created_date_time),
        "onPremisesSyncEnabled" => u.on_premises_sync_enabled.map(Value::Bool),
        "deletedDateTime" => optional(&u.deleted_date_time),
        _ => None,
    }
}

fn group_property(g: &Group, name: &str) -> Option<Value> {
    match name {
        "id" => text(&g.id),
        "displayName" => text(&g.display_name),
        "description" => optional(&g.description),
        "mail" => optional(&g.mail),
        "mailEnabled" => Some(Value::Bool(g.mail_enabled)),
        "mailNickname" => text(
            (g.mail.as_deref())
                .and_then(|m| m.split('@').next())
                .unwrap_or("00000000-0000-0000-0000-000000000000"),
        ),
        "securityEnabled" => Some(Value::Bool(g.security_enabled)),
        "groupTypes" => Some(json!(g.group_types)),
        "createdDateTime" => text(&g.created_date_time),
        "deletedDateTime" => optional(&g.deleted_date_time),
        "visibility" => match &g.visibility {
            Some(v) => text(v),
            None if g.group_types.iter().any(|t| t == "Unified") => text("Public"),
            None => None,
        },
        // `classification` and `membershipRule` are known to `$select` and never set here:
        // Graph shows them as null.
        _ => None,
    }
}

/// An immutable snapshot of the tenant with the indexes Graph requests use. Mutations (the
/// control API) build a new snapshot, so a paging client never sees a half-changed list.
#[derive(Debug)]
pub struct Directory {
    /// The change-log version this snapshot is: an enumeration of it hands out a delta link
    /// for the changes after exactly this state.
    pub version: u64,
    pub tenant: Tenant,
    /// Positions in `tenant.users` / `tenant.groups`: active objects in tenant order, and the
    /// recycle bin (`directory/deletedItems`).
    users: Vec<u32>,
    groups: Vec<u32>,
    deleted_users: Vec<u32>,
    deleted_groups: Vec<u32>,
    /// Active objects only, to their position in `tenant`.
    users_by_id: HashMap<String, u32>,
    users_by_upn: HashMap<String, u32>,
    groups_by_id: HashMap<String, u32>,
    /// Each group's visible direct members by kind, as positions in `tenant` (by the group's
    /// position): a member page of a large group reads its window, not the whole list again.
    members: Vec<Members>,
}

/// A group's direct members that are not in the recycle bin.
#[derive(Debug, Default)]
struct Members {
    users: Vec<u32>,
    groups: Vec<u32>,
}

/// A list of one kind of object in the directory, read by position: a page of a million users
/// reads its 999 without going through the rest.
#[derive(Debug, Clone, Copy)]
pub struct Listed<'a> {
    directory: &'a Directory,
    kind: Kind,
    positions: &'a [u32],
}

impl<'a> Listed<'a> {
    pub fn len(self) -> usize {
        self.positions.len()
    }

    pub fn is_empty(self) -> bool {
        self.positions.is_empty()
    }

    fn at(self, i: u32) -> Object<'a> {
        match self.kind {
            Kind::Group => self.directory.group_at(i),
            _ => self.directory.user_at(i),
        }
    }

    /// The objects at `range` (clamped to the list).
    pub fn range(self, range: std::ops::Range<usize>) -> Vec<Object<'a>> {
        let end = range.end.min(self.len());
        let start = range.start.min(end);
        self.positions[start..end]
            .iter()
            .map(|&i| self.at(i))
            .collect()
    }

    pub fn iter(self) -> impl Iterator<Item = Object<'a>> {
        self.positions.iter().map(move |&i| self.at(i))
    }
}

/// Positions of the items that are (`want`) or are not in the recycle bin.
fn positions<T>(items: &[T], deleted: impl Fn(&T) -> bool, want: bool) -> Vec<u32> {
    (0u32..)
        .zip(items)
        .filter(|(_, item)| deleted(item) == want)
        .map(|(i, _)| i)
        .collect()
}

impl Directory {
    pub fn build(tenant: Tenant, version: u64) -> Self {
        let user_gone = |u: &User| u.deleted_date_time.is_some();
        let group_gone = |g: &Group| g.deleted_date_time.is_some();
        let users = positions(&tenant.users, user_gone, false);
        let groups = positions(&tenant.groups, group_gone, false);
        let index = |list: &[u32], key: &dyn Fn(usize) -> String| -> HashMap<String, u32> {
            list.iter().map(|&i| (key(i as usize), i)).collect()
        };
        let users_by_id = index(&users, &|i| tenant.users[i].id.clone());
        let groups_by_id = index(&groups, &|i| tenant.groups[i].id.clone());
        let members = (tenant.groups.iter())
            .map(|g| match g.deleted_date_time {
                Some(_) => Members::default(),
                None => Members {
                    users: (g.members.iter())
                        .filter_map(|m| users_by_id.get(m).copied())
                        .collect(),
                    groups: (g.members.iter())
                        .filter_map(|m| groups_by_id.get(m).copied())
                        .collect(),
                },
            })
            .collect();
        Self {
            users_by_upn: index(&users, &|i| {
                tenant.users[i].user_principal_name.to_lowercase()
            }),
            users_by_id,
            groups_by_id,
            members,
            deleted_users: positions(&tenant.users, user_gone, true),
            deleted_groups: positions(&tenant.groups, group_gone, true),
            users,
            groups,
            version,
            tenant,
        }
    }

    fn user_at(&self, i: u32) -> Object<'_> {
        Object::User(&self.tenant.users[i as usize])
    }

    fn group_at(&self, i: u32) -> Object<'_> {
        Object::Group(&self.tenant.groups[i as usize])
    }

    /// Active objects of one kind, in tenant order.
    pub fn listed(&self, kind: Kind) -> Listed<'_> {
        self.list(kind, false)
    }

    /// Objects of one kind in the recycle bin.
    pub fn deleted(&self, kind: Kind) -> Listed<'_> {
        self.list(kind, true)
    }

    /// The direct members of one kind of an active group (deleted members left out), in
    /// the group's order.
    pub fn members(&self, group_id: &str, kind: Kind) -> Option<Listed<'_>> {
        let members = self
            .members
            .get(*self.groups_by_id.get(group_id)? as usize)?;
        let positions = match kind {
            Kind::Group => &members.groups,
            _ => &members.users,
        };
        Some(Listed {
            directory: self,
            kind,
            positions,
        })
    }

    fn list(&self, kind: Kind, deleted: bool) -> Listed<'_> {
        let positions = match (kind, deleted) {
            (Kind::Group, false) => &self.groups,
            (Kind::Group, true) => &self.deleted_groups,
            (_, false) => &self.users,
            (_, true) => &self.deleted_users,
        };
        Listed {
            directory: self,
            kind,
            positions,
        }
    }

    /// An active user by object ID or (case-insensitive) user principal name.
    pub fn user(&self, id_or_upn: &str) -> Option<Object<'_>> {
        self.user_record(id_or_upn).map(Object::User)
    }

    /// An active user's record by object ID or (case-insensitive) user principal name.
    pub fn user_record(&self, id_or_upn: &str) -> Option<&User> {
        self.users_by_id
            .get(id_or_upn)
            .or_else(|| self.users_by_upn.get(&id_or_upn.to_lowercase()))
            .and_then(|&i| self.tenant.users.get(i as usize))
    }

    /// Whether an active user has this object ID.
    pub fn has_user(&self, id: &str) -> bool {
        self.users_by_id.contains_key(id)
    }

    pub fn group(&self, id: &str) -> Option<Object<'_>> {
        self.groups_by_id.get(id).map(|&i| self.group_at(i))
    }

    pub fn object(&self, id: &str) -> Option<Object<'_>> {
        (self.users_by_id.get(id))
            .map(|&i| self.user_at(i))
            .or_else(|| self.group(id))
    }

    /// Direct members, or all members through nested groups (each object once; nested groups
    /// themselves are included, as Graph's transitiveMembers does).
    pub fn members_of(&self, group_id: &str, transitive: bool) -> Vec<String> {
        // Deleted members are left out; they come back with a restore.
        let direct = |id: &str| -> Vec<String> {
            self.groups_by_id
                .get(id)
                .map(|&i| &self.tenant.groups[i as usize].members)
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
