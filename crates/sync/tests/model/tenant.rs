//! The tenant as the test changed it: a mirror of what Entra ID holds (users, groups, who is
//! in the recycle bin), the changes a step makes (each checked against the mirror first, so a
//! shrunk sequence can drop a change another one depended on) and the control API request
//! that makes the same change in the emulator.
//!
//! Object IDs are readable GUIDs: user `n` is `a0000000-0000-4000-8000-<n>`, group `n` is
//! `b0000000-…-<n>`, so a failure prints `u7` and `g3` instead of GUIDs ([`alias`]).

use aadsync_emulator::model as fixture;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

pub type Id = String;

pub fn user_id(n: usize) -> Id {
    format!("a0000000-0000-4000-8000-{n:012}")
}

pub fn group_id(n: usize) -> Id {
    format!("b0000000-0000-4000-8000-{n:012}")
}

/// `u7` / `g3` for an object ID made by [`user_id`] / [`group_id`]; anything else unchanged.
pub fn alias(id: &str) -> String {
    let number = id
        .rsplit('-')
        .next()
        .and_then(|n| n.parse::<u64>().ok())
        .unwrap_or_default();
    match id.as_bytes().first() {
        Some(b'a') => format!("u{number}"),
        Some(b'b') => format!("g{number}"),
        _ => id.to_owned(),
    }
}

pub fn aliases<'a>(ids: impl IntoIterator<Item = &'a Id>) -> String {
    let names: Vec<String> = ids.into_iter().map(|i| alias(i)).collect();
    format!("[{}]", names.join(", "))
}

/// Active, or in the recycle bin. A permanently deleted object is not in the mirror at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Life {
    Live,
    Recycled,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub upn: String,
    pub display: String,
    pub mail: Option<String>,
    pub department: Option<String>,
    pub enabled: bool,
    pub guest: bool,
    pub life: Life,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub name: String,
    /// A Microsoft 365 group: users only, never nested, goes to the recycle bin when deleted.
    /// Otherwise a security group: may contain and be contained in security groups, and is
    /// deleted permanently (as in Entra ID).
    pub unified: bool,
    /// Direct members (users and groups) as stored: a member in the recycle bin stays in the
    /// list (Graph hides it; restoring it brings the membership back).
    pub members: Vec<Id>,
    pub life: Life,
}

/// Entra ID's directory as the test made it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tenant {
    pub users: BTreeMap<Id, User>,
    pub groups: BTreeMap<Id, Group>,
}

impl Tenant {
    pub fn live_user(&self, id: &str) -> Option<&User> {
        self.users.get(id).filter(|u| u.life == Life::Live)
    }

    pub fn live_group(&self, id: &str) -> Option<&Group> {
        self.groups.get(id).filter(|g| g.life == Life::Live)
    }

    /// A group's direct members as Graph lists them: only while the group is active, and
    /// only the members that are active themselves.
    pub fn visible_members(&self, group: &str) -> Vec<&Id> {
        let Some(g) = self.live_group(group) else {
            return Vec::new();
        };
        g.members
            .iter()
            .filter(|m| self.live_user(m).is_some() || self.live_group(m).is_some())
            .collect()
    }

    /// Longest chain of nesting edges below `group` (stored lists, whatever their state).
    fn depth_below(&self, group: &str) -> usize {
        self.groups.get(group).map_or(0, |g| {
            g.members
                .iter()
                .filter(|m| self.groups.contains_key(*m))
                .map(|m| 1 + self.depth_below(m))
                .max()
                .unwrap_or(0)
        })
    }

    /// Longest chain of nesting edges above `group`.
    fn depth_above(&self, group: &str) -> usize {
        self.groups
            .iter()
            .filter(|(_, g)| g.members.iter().any(|m| m == group))
            .map(|(id, _)| 1 + self.depth_above(id))
            .max()
            .unwrap_or(0)
    }

    /// Whether `child` may be nested in `parent`: both active security groups, no cycle, and
    /// no chain longer than three levels below the top.
    pub fn may_nest(&self, parent: &str, child: &str) -> bool {
        let (Some(p), Some(c)) = (self.live_group(parent), self.live_group(child)) else {
            return false;
        };
        parent != child
            && !p.unified
            && !c.unified
            && !p.members.iter().any(|m| m == child)
            && !self.reaches(child, parent)
            && self.depth_above(parent) + 1 + self.depth_below(child) <= 3
    }

    fn reaches(&self, from: &str, to: &str) -> bool {
        let mut seen = BTreeSet::new();
        let mut todo = vec![from.to_owned()];
        while let Some(g) = todo.pop() {
            if g == to {
                return true;
            }
            if seen.insert(g.clone())
                && let Some(group) = self.groups.get(&g)
            {
                todo.extend(group.members.iter().cloned());
            }
        }
        false
    }

    /// The emulator's fixture: `base` (a generated tenant: its ID, domains, app registration
    /// and administrator) with its users replaced by the administrator and ours.
    pub fn fixture(&self, mut base: fixture::Tenant) -> fixture::Tenant {
        base.users.truncate(1);
        let created = base.users[0].created_date_time.clone();
        for (id, u) in &self.users {
            base.users.push(fixture::User {
                id: id.clone(),
                user_principal_name: u.upn.clone(),
                display_name: u.display.clone(),
                given_name: None,
                surname: None,
                mail: u.mail.clone(),
                job_title: None,
                department: u.department.clone(),
                office_location: None,
                mobile_phone: None,
                business_phones: vec![],
                preferred_language: None,
                user_type: if u.guest { "Guest" } else { "Member" }.into(),
                account_enabled: u.enabled,
                created_date_time: created.clone(),
                on_premises_sync_enabled: None,
                password: None,
                totp_secret: None,
                deleted_date_time: (u.life == Life::Recycled).then(|| created.clone()),
            });
        }
        base.groups = self
            .groups
            .iter()
            .map(|(id, g)| fixture::Group {
                id: id.clone(),
                display_name: g.name.clone(),
                description: None,
                mail: None,
                mail_enabled: g.unified,
                security_enabled: !g.unified,
                visibility: None,
                group_types: if g.unified {
                    vec!["Unified".into()]
                } else {
                    vec![]
                },
                created_date_time: created.clone(),
                members: g.members.clone(),
                deleted_date_time: (g.life == Life::Recycled).then(|| created.clone()),
                is_assignable_to_role: false,
            })
            .collect();
        base
    }
}

/// One attribute of a user changed in Entra ID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Field {
    Display(String),
    Department(Option<String>),
    Mail(Option<String>),
    Upn(String),
    Enabled(bool),
}

/// One change an administrator makes in Entra ID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    SetUser { user: Id, field: Field },
    AddMember { group: Id, member: Id },
    RemoveMember { group: Id, member: Id },
    DeleteUser { user: Id, hard: bool },
    RestoreUser { user: Id },
    NewUser { id: Id, user: User },
    NewGroup { id: Id, group: Group },
    RenameGroup { group: Id, name: String },
    DeleteGroup { group: Id },
    RestoreGroup { group: Id },
}

impl Change {
    /// Makes the change in the mirror; false (and nothing changed) when it is not possible
    /// in the tenant as it is (the object is gone, already a member, …).
    pub fn apply(&self, t: &mut Tenant) -> bool {
        match self {
            Change::SetUser { user, field } => {
                let Some(u) = t.users.get_mut(user).filter(|u| u.life == Life::Live) else {
                    return false;
                };
                match field.clone() {
                    Field::Display(v) => u.display = v,
                    Field::Department(v) => u.department = v,
                    Field::Mail(v) => u.mail = v,
                    Field::Upn(v) => u.upn = v,
                    Field::Enabled(v) => u.enabled = v,
                }
                true
            }
            Change::AddMember { group, member } => {
                let ok = if t.groups.contains_key(member) {
                    t.may_nest(group, member)
                } else {
                    t.live_user(member).is_some()
                        && t.live_group(group)
                            .is_some_and(|g| !g.members.contains(member))
                };
                if ok && let Some(g) = t.groups.get_mut(group) {
                    g.members.push(member.clone());
                }
                ok
            }
            Change::RemoveMember { group, member } => {
                let live = t.live_user(member).is_some() || t.live_group(member).is_some();
                match t.groups.get_mut(group) {
                    Some(g) if g.life == Life::Live && live && g.members.contains(member) => {
                        g.members.retain(|m| m != member);
                        true
                    }
                    _ => false,
                }
            }
            Change::DeleteUser { user, hard } => match t.users.get_mut(user) {
                Some(u) if *hard => {
                    let _ = u;
                    t.users.remove(user);
                    for g in t.groups.values_mut() {
                        g.members.retain(|m| m != user);
                    }
                    true
                }
                Some(u) if u.life == Life::Live => {
                    u.life = Life::Recycled;
                    true
                }
                _ => false,
            },
            Change::RestoreUser { user } => match t.users.get_mut(user) {
                Some(u) if u.life == Life::Recycled => {
                    u.life = Life::Live;
                    true
                }
                _ => false,
            },
            Change::NewUser { id, user } => {
                let taken = t
                    .users
                    .values()
                    .any(|u| u.upn.eq_ignore_ascii_case(&user.upn));
                let fresh = !t.users.contains_key(id) && !t.groups.contains_key(id) && !taken;
                if fresh {
                    t.users.insert(id.clone(), user.clone());
                }
                fresh
            }
            Change::NewGroup { id, group } => {
                let fresh = !t.users.contains_key(id) && !t.groups.contains_key(id);
                let members_live = group.members.iter().all(|m| t.live_user(m).is_some());
                if fresh && members_live {
                    t.groups.insert(id.clone(), group.clone());
                }
                fresh && members_live
            }
            Change::RenameGroup { group, name } => match t.groups.get_mut(group) {
                Some(g) if g.life == Life::Live => {
                    g.name = name.clone();
                    true
                }
                _ => false,
            },
            Change::DeleteGroup { group } => match t.groups.get(group).map(|g| (g.life, g.unified))
            {
                Some((Life::Live, true)) => {
                    if let Some(g) = t.groups.get_mut(group) {
                        g.life = Life::Recycled;
                    }
                    true
                }
                Some((Life::Live, false)) => {
                    t.groups.remove(group);
                    for g in t.groups.values_mut() {
                        g.members.retain(|m| m != group);
                    }
                    true
                }
                _ => false,
            },
            Change::RestoreGroup { group } => match t.groups.get_mut(group) {
                Some(g) if g.life == Life::Recycled => {
                    g.life = Life::Live;
                    true
                }
                _ => false,
            },
        }
    }

    /// The control API request (method, path under `/_emulator/`, JSON body) that makes the
    /// same change in the emulator.
    pub fn request(&self) -> (reqwest::Method, String, Value) {
        use reqwest::Method;
        match self {
            Change::SetUser { user, field } => {
                let body = match field {
                    Field::Display(v) => json!({"displayName": v}),
                    Field::Department(v) => json!({"department": v}),
                    Field::Mail(v) => json!({"mail": v}),
                    Field::Upn(v) => json!({"userPrincipalName": v}),
                    Field::Enabled(v) => json!({"accountEnabled": v}),
                };
                (Method::PATCH, format!("users/{user}"), body)
            }
            Change::AddMember { group, member } => (
                Method::POST,
                format!("groups/{group}/members"),
                json!({"add": [member]}),
            ),
            Change::RemoveMember { group, member } => (
                Method::POST,
                format!("groups/{group}/members"),
                json!({"remove": [member]}),
            ),
            Change::DeleteUser { user, hard } => {
                let query = if *hard { "?hard=true" } else { "" };
                (Method::DELETE, format!("users/{user}{query}"), json!({}))
            }
            Change::RestoreUser { user } => {
                (Method::POST, format!("users/{user}/restore"), json!({}))
            }
            Change::NewUser { id, user } => (
                Method::POST,
                "users".into(),
                json!({
                    "id": id, "userPrincipalName": user.upn, "displayName": user.display,
                    "mail": user.mail, "department": user.department,
                    "userType": if user.guest { "Guest" } else { "Member" },
                    "accountEnabled": user.enabled,
                }),
            ),
            Change::NewGroup { id, group } => (
                Method::POST,
                "groups".into(),
                json!({
                    "id": id, "displayName": group.name, "mailEnabled": group.unified,
                    "securityEnabled": !group.unified,
                    "groupTypes": if group.unified { vec!["Unified"] } else { vec![] },
                    "members": group.members,
                }),
            ),
            Change::RenameGroup { group, name } => (
                Method::PATCH,
                format!("groups/{group}"),
                json!({"displayName": name}),
            ),
            Change::DeleteGroup { group } => (Method::DELETE, format!("groups/{group}"), json!({})),
            Change::RestoreGroup { group } => {
                (Method::POST, format!("groups/{group}/restore"), json!({}))
            }
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Change::SetUser { user, field } => format!("set {} {field:?}", alias(user)),
            Change::AddMember { group, member } => {
                format!("add {} to {}", alias(member), alias(group))
            }
            Change::RemoveMember { group, member } => {
                format!("remove {} from {}", alias(member), alias(group))
            }
            Change::DeleteUser { user, hard } => format!(
                "{} delete {}",
                if *hard { "hard" } else { "soft" },
                alias(user)
            ),
            Change::RestoreUser { user } => format!("restore {}", alias(user)),
            Change::NewUser { id, user } => format!(
                "new {} {} ({}{})",
                if user.guest { "guest" } else { "user" },
                alias(id),
                user.upn,
                if user.enabled { "" } else { ", disabled" }
            ),
            Change::NewGroup { id, group } => format!(
                "new {} group {} with {}",
                if group.unified { "M365" } else { "security" },
                alias(id),
                aliases(&group.members)
            ),
            Change::RenameGroup { group, name } => format!("rename {} to {name:?}", alias(group)),
            Change::DeleteGroup { group } => format!("delete group {}", alias(group)),
            Change::RestoreGroup { group } => format!("restore group {}", alias(group)),
        }
    }
}

/// The tenant, one line per object, for a failure report.
pub fn describe(t: &Tenant) -> String {
    let mut out = String::new();
    for (id, u) in &t.users {
        out += &format!(
            "  {} {}{}{}{}\n",
            alias(id),
            u.upn,
            if u.guest { " guest" } else { "" },
            if u.enabled { "" } else { " disabled" },
            if u.life == Life::Recycled {
                " (recycle bin)"
            } else {
                ""
            },
        );
    }
    for (id, g) in &t.groups {
        out += &format!(
            "  {} {:?} {} members {}\n",
            alias(id),
            g.name,
            if g.unified { "M365" } else { "security" },
            aliases(&g.members)
        );
    }
    out
}
