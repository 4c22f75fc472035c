//! The change log delta queries read: for every tenant mutation, each object whose Graph view
//! changed, with how Graph showed it before and after.
//!
//! A delta round reports the **difference between two states of the directory as Graph shows
//! it** — the state when the delta link was issued and the state now — never the operations
//! the control API performed on the stored lists. "As Graph shows it" means: a listed object
//! has its JSON; a soft-deleted one is only in the recycle bin (`directory/deletedItems`); a
//! group's members are its stored members without the deleted ones (Graph leaves soft-deleted
//! members out of member lists and brings them back on restore). So soft-deleting a user
//! changes the view of every group he belongs to, and restoring him changes it back, although
//! no stored member list changed. What the round makes of the difference is in
//! `graph/delta.rs`; the documented behaviour both follow:
//!
//! - `concepts/delta-query-overview.md` ("Resource representation in the delta query
//!   response"): new and updated instances in their standard representation; removed ones as
//!   `id` + `@removed`, reason `changed` when restorable from `deletedItems`, `deleted` when
//!   not; relationships as `members@delta` annotations. With `$select` only the selected
//!   properties and relationships are tracked: a change to another property does not make
//!   the object appear. Replays are allowed but not required: the emulator reports the net
//!   difference, so an object changed and changed back is not reported.
//! - `concepts/delta-query-users.md`: user deleted → `@removed: {reason: changed}`;
//!   permanently deleted → `reason: deleted`; created or restored from deleted items → the
//!   user with no annotation.
//! - `concepts/delta-query-groups.md` and `api-reference/v1.0/api/group-delta.md`: changes
//!   include created, deleted and changed groups and groups "for which member objects have
//!   been added or removed"; a member removed "either by removing the membership or by
//!   deleting the user object itself" appears in `members@delta` with
//!   `@removed: {reason: deleted}`, an added one without annotation; without `$select` (or
//!   with `members` selected) groups carry `members@delta`, left out when there is nothing
//!   to list.
//! - `api-reference/v1.0/api/directory-deleteditems-restore.md`: a restored object is "fully
//!   restored", memberships included — so its groups list it again and report it as added.

use crate::directory::{Kind, Object};
use crate::model::{Group, Tenant, User};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};

/// How Graph shows one object at one moment.
#[derive(Debug, Clone, PartialEq)]
pub enum Seen {
    /// Not in the directory: not created yet, or deleted permanently.
    Absent,
    /// Soft-deleted: only in `directory/deletedItems`, restorable.
    Recycled,
    /// In `/users` or `/groups`.
    Listed(Listed),
}

/// A listed object: its JSON (every known property) and, for a group, its direct members as
/// Graph lists them.
#[derive(Debug, Clone, PartialEq)]
pub struct Listed {
    pub json: Value,
    /// Member ID → kind (users and groups; deleted ones left out). Empty for users.
    pub members: BTreeMap<String, Kind>,
}

impl Seen {
    /// The members Graph lists (none unless the object is a listed group).
    pub fn members(&self) -> Option<&BTreeMap<String, Kind>> {
        match self {
            Seen::Listed(listed) => Some(&listed.members),
            _ => None,
        }
    }
}

/// One object's view before and after one mutation (they differ).
#[derive(Debug, Clone)]
pub struct Change {
    pub version: u64,
    pub object_id: String,
    pub kind: Kind,
    pub before: Seen,
    pub after: Seen,
}

/// An object's net change over a range of versions: how Graph showed it when the range began
/// and shows it at its end (they differ).
#[derive(Debug, Clone, Copy)]
pub struct NetChange<'a> {
    pub object_id: &'a str,
    pub before: &'a Seen,
    pub after: &'a Seen,
}

/// A member that joined (`added`) or left a group's Graph-visible list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberDelta {
    pub id: String,
    pub kind: Kind,
    pub added: bool,
}

/// The members that joined or left between two views of a group, by ID. A group that was not
/// listed before counts as having had no members: whoever saw it disappear (or never saw it)
/// learns its whole list.
pub fn member_delta(before: &Seen, after: &Seen) -> Vec<MemberDelta> {
    let empty = BTreeMap::new();
    let (old, new) = (
        before.members().unwrap_or(&empty),
        after.members().unwrap_or(&empty),
    );
    let mut out: Vec<MemberDelta> = new
        .iter()
        .filter(|(id, _)| !old.contains_key(*id))
        .map(|(id, kind)| MemberDelta {
            id: id.clone(),
            kind: *kind,
            added: true,
        })
        .chain(
            old.iter()
                .filter(|(id, _)| !new.contains_key(*id))
                .map(|(id, kind)| MemberDelta {
                    id: id.clone(),
                    kind: *kind,
                    added: false,
                }),
        )
        .collect();
    out.sort_by(|a, b| a.id.cmp(&b.id));
    out
}

/// The tenant's change history: one version per mutation.
#[derive(Debug, Default)]
pub struct ChangeLog {
    /// Differs per emulator start: a delta token from an earlier instance (whose history is
    /// gone) is answered like an expired one instead of silently missing changes.
    pub epoch: u64,
    pub version: u64,
    /// In version order.
    pub changes: Vec<Change>,
}

/// A tenant as Graph shows it, with the indexes the comparison needs.
struct View<'t> {
    users: HashMap<&'t str, &'t User>,
    groups: HashMap<&'t str, &'t Group>,
    /// Every listed (not deleted) object.
    listed: HashMap<&'t str, Kind>,
}

impl<'t> View<'t> {
    fn of(tenant: &'t Tenant) -> Self {
        let users: HashMap<&str, &User> = tenant.users.iter().map(|u| (u.id.as_str(), u)).collect();
        let groups: HashMap<&str, &Group> =
            tenant.groups.iter().map(|g| (g.id.as_str(), g)).collect();
        let listed = (users.iter())
            .filter(|(_, u)| u.deleted_date_time.is_none())
            .map(|(id, _)| (*id, Kind::User))
            .chain(
                (groups.iter())
                    .filter(|(_, g)| g.deleted_date_time.is_none())
                    .map(|(id, _)| (*id, Kind::Group)),
            )
            .collect();
        Self {
            users,
            groups,
            listed,
        }
    }

    fn user(&self, id: &str) -> Seen {
        match self.users.get(id) {
            None => Seen::Absent,
            Some(u) if u.deleted_date_time.is_some() => Seen::Recycled,
            Some(u) => Seen::Listed(Listed {
                json: Object::User(u).json(),
                members: BTreeMap::new(),
            }),
        }
    }

    fn group(&self, id: &str) -> Seen {
        match self.groups.get(id) {
            None => Seen::Absent,
            Some(g) if g.deleted_date_time.is_some() => Seen::Recycled,
            Some(g) => Seen::Listed(Listed {
                json: Object::Group(g).json(),
                members: self.visible_members(g),
            }),
        }
    }

    /// A group's members as Graph lists them: deleted members left out.
    fn visible_members(&self, g: &Group) -> BTreeMap<String, Kind> {
        (g.members.iter())
            .filter_map(|m| self.listed.get(m.as_str()).map(|k| (m.clone(), *k)))
            .collect()
    }
}

impl ChangeLog {
    /// Records the step from `old` to `new` as the next version, and returns that version.
    /// Only objects whose Graph view changed are recorded: an emulator-only field (a password,
    /// a TOTP secret) or a change inside the recycle bin is not a change Graph would report.
    pub fn record(&mut self, old: &Tenant, new: &Tenant) -> u64 {
        self.version += 1;
        let (before, after) = (View::of(old), View::of(new));
        self.record_users(&before, &after);
        self.record_groups(&before, &after);
        self.version
    }

    fn push(&mut self, id: &str, kind: Kind, before: Seen, after: Seen) {
        if before != after {
            self.changes.push(Change {
                version: self.version,
                object_id: id.to_owned(),
                kind,
                before,
                after,
            });
        }
    }

    fn record_users(&mut self, before: &View<'_>, after: &View<'_>) {
        let mut ids: Vec<&str> = before
            .users
            .keys()
            .chain(after.users.keys())
            .copied()
            .collect();
        ids.sort_unstable();
        ids.dedup();
        for id in ids {
            // Unchanged stored records have unchanged views: skip building their JSON.
            if before.users.get(id) != after.users.get(id) {
                self.push(id, Kind::User, before.user(id), after.user(id));
            }
        }
    }

    /// Groups whose stored record changed, and groups with a member that was deleted or
    /// restored (their Graph-visible list changed although the stored one did not).
    fn record_groups(&mut self, before: &View<'_>, after: &View<'_>) {
        let toggled = |m: &String| before.listed.get(m.as_str()) != after.listed.get(m.as_str());
        let mut ids: Vec<&str> = (before.groups.keys().chain(after.groups.keys()))
            .copied()
            .collect();
        ids.sort_unstable();
        ids.dedup();
        for id in ids {
            let (old, new) = (before.groups.get(id), after.groups.get(id));
            let affected = old != new
                || [old, new]
                    .into_iter()
                    .flatten()
                    .any(|g| g.members.iter().any(toggled));
            if affected {
                self.push(id, Kind::Group, before.group(id), after.group(id));
            }
        }
    }

    /// The objects of `kind` whose Graph view differs between `version` and now, in order of
    /// first change, with their view at `version` and now. An object changed and changed
    /// back is left out.
    pub fn since(&self, kind: Kind, version: u64) -> Vec<NetChange<'_>> {
        let start = self.changes.partition_point(|c| c.version <= version);
        let mut order: Vec<NetChange<'_>> = Vec::new();
        let mut position: HashMap<&str, usize> = HashMap::new();
        for change in self.changes[start..].iter().filter(|c| c.kind == kind) {
            match position.get(change.object_id.as_str()) {
                Some(&i) => order[i].after = &change.after,
                None => {
                    position.insert(&change.object_id, order.len());
                    order.push(NetChange {
                        object_id: &change.object_id,
                        before: &change.before,
                        after: &change.after,
                    });
                }
            }
        }
        order.retain(|c| c.before != c.after);
        order
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::{GeneratorConfig, generate};

    fn tenant() -> Tenant {
        generate(GeneratorConfig {
            users: 40,
            groups: 6,
            seed: 7,
        })
    }

    /// A user who is a member of at least one group, and those groups.
    fn member(t: &Tenant) -> (String, Vec<String>) {
        let user = (t.users.iter())
            .find(|u| t.groups.iter().any(|g| g.members.contains(&u.id)))
            .map(|u| u.id.clone())
            .unwrap_or_default();
        let groups = (t.groups.iter())
            .filter(|g| g.members.contains(&user))
            .map(|g| g.id.clone())
            .collect();
        (user, groups)
    }

    #[test]
    fn a_soft_deleted_member_leaves_every_group_view_and_a_restore_brings_him_back() {
        let old = tenant();
        let (user, groups) = member(&old);
        let mut deleted = old.clone();
        for u in deleted.users.iter_mut().filter(|u| u.id == user) {
            u.deleted_date_time = Some("2024-05-01T00:00:00Z".into());
        }
        let mut log = ChangeLog::default();
        log.record(&old, &deleted);
        let changed: Vec<(&str, Kind)> = (log.changes.iter())
            .map(|c| (c.object_id.as_str(), c.kind))
            .collect();
        assert!(changed.contains(&(user.as_str(), Kind::User)));
        for g in &groups {
            assert!(changed.contains(&(g.as_str(), Kind::Group)), "{g}");
        }
        let net = log.since(Kind::Group, 0);
        for change in &net {
            assert_eq!(
                member_delta(change.before, change.after),
                vec![MemberDelta {
                    id: user.clone(),
                    kind: Kind::User,
                    added: false
                }]
            );
        }
        // Restored: back where it was, so nothing is left to report since version 0.
        log.record(&deleted, &old);
        assert!(log.since(Kind::Group, 0).is_empty());
        assert!(log.since(Kind::User, 0).is_empty());
        assert_eq!(log.since(Kind::Group, 1).len(), groups.len());
    }

    #[test]
    fn emulator_only_fields_and_recycle_bin_changes_are_not_graph_changes() {
        let old = tenant();
        let mut new = old.clone();
        new.users[3].password = Some("another one".into());
        new.users[4].deleted_date_time = Some("2024-05-01T00:00:00Z".into());
        let mut log = ChangeLog::default();
        log.record(&old, &new);
        let ids: Vec<&str> = log.changes.iter().map(|c| c.object_id.as_str()).collect();
        assert!(!ids.contains(&old.users[3].id.as_str()));
        assert!(ids.contains(&old.users[4].id.as_str()));
        // Deleted again (a new deletedDateTime): still only in the recycle bin.
        let mut again = new.clone();
        again.users[4].deleted_date_time = Some("2024-05-02T00:00:00Z".into());
        assert_eq!(log.record(&new, &again), 2);
        assert!(log.changes.iter().all(|c| c.version == 1));
    }
}
