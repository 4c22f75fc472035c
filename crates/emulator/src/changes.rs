//! The change log delta queries read: one version per tenant mutation, per changed object.

use crate::directory::Kind;
use crate::model::{Group, Tenant, User};
use std::collections::{BTreeSet, HashMap, HashSet};

/// What changed in one mutation, for delta queries.
#[derive(Debug, Clone)]
pub struct Change {
    pub version: u64,
    pub object_id: String,
    pub kind: Kind,
    pub added_members: Vec<String>,
    pub removed_members: Vec<String>,
}

/// The tenant's change history: one version per mutation.
#[derive(Debug, Default)]
pub struct ChangeLog {
    /// Differs per emulator start: a delta token from an earlier instance (whose history is
    /// gone) is answered like an expired one instead of silently missing changes.
    pub epoch: u64,
    pub version: u64,
    pub changes: Vec<Change>,
}

/// Objects by ID.
fn by_id<T>(items: &[T], id: impl Fn(&T) -> &str) -> HashMap<&str, &T> {
    items.iter().map(|item| (id(item), item)).collect()
}

/// Every ID in either map, sorted: changes within one version are recorded in a stable order.
fn all_ids<'a, T>(old: &HashMap<&'a str, T>, new: &HashMap<&'a str, T>) -> BTreeSet<&'a str> {
    old.keys().chain(new.keys()).copied().collect()
}

impl ChangeLog {
    /// Records the step from `old` to `new` as the next version.
    pub fn record(&mut self, old: &Tenant, new: &Tenant) {
        self.version += 1;
        self.record_users(old, new);
        self.record_groups(old, new);
    }

    fn record_users(&mut self, old: &Tenant, new: &Tenant) {
        let old_users = by_id(&old.users, |u: &User| &u.id);
        let new_users = by_id(&new.users, |u: &User| &u.id);
        for id in all_ids(&old_users, &new_users) {
            if old_users.get(id) != new_users.get(id) {
                self.changes.push(Change {
                    version: self.version,
                    object_id: id.to_owned(),
                    kind: Kind::User,
                    added_members: vec![],
                    removed_members: vec![],
                });
            }
        }
    }

    fn record_groups(&mut self, old: &Tenant, new: &Tenant) {
        let old_groups = by_id(&old.groups, |g: &Group| &g.id);
        let new_groups = by_id(&new.groups, |g: &Group| &g.id);
        for id in all_ids(&old_groups, &new_groups) {
            let (before, after) = (old_groups.get(id), new_groups.get(id));
            if before == after {
                continue;
            }
            let members = |g: Option<&&Group>| -> HashSet<String> {
                g.map(|g| g.members.iter().cloned().collect())
                    .unwrap_or_default()
            };
            let (b, a) = (members(before), members(after));
            self.changes.push(Change {
                version: self.version,
                object_id: id.to_owned(),
                kind: Kind::Group,
                added_members: a.difference(&b).cloned().collect(),
                removed_members: b.difference(&a).cloned().collect(),
            });
        }
    }
}
