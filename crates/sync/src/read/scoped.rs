//! What a finished read concludes about the scope: every object's reasons on the tenant as
//! the run read it, and the decisions in force whose finding no longer holds.

use super::{Reading, Rescope};
use crate::scope;
use aadsync_store::{DecisionFinding, Lift, ObjectKind, Reason, ScopeRoot};
use std::collections::{BTreeMap, HashMap};

impl Reading<'_> {
    /// Every object's reasons to be in scope, on the tenant as this run read it: the roots it
    /// recomputed from what it read, the others as stored (the same as recomputing them,
    /// since nothing in their reach changed). Each object's reasons in the roots' order, as a
    /// computation of all of them gives.
    pub(super) fn scope(&self) -> BTreeMap<String, Vec<Reason>> {
        let mut tenant = scope::Tenant::default();
        for group in self.groups.values() {
            tenant
                .names
                .insert(group.id.as_str(), group.display_name.as_str());
        }
        for (group, members) in &self.memberships {
            tenant.members.insert(group.as_str(), members.as_slice());
        }
        for (group, children) in &self.children {
            tenant.children.insert(group.as_str(), children.as_slice());
        }
        let recomputed: Vec<ScopeRoot> = self
            .roots
            .iter()
            .filter(|r| self.rescope.covers(&r.object_id))
            .cloned()
            .collect();
        let mut reasons = scope::reasons(&recomputed, &tenant);
        let Rescope::Roots(affected) = &self.rescope else {
            return reasons;
        };
        let mut order: HashMap<&str, usize> = HashMap::with_capacity(self.roots.len());
        for (i, root) in self.roots.iter().enumerate() {
            order.entry(root.object_id.as_str()).or_insert(i);
        }
        for (object, stored) in &self.imported.reasons {
            let mut standing = stored
                .iter()
                .filter(|r| {
                    !affected.contains(&r.root_id) && order.contains_key(r.root_id.as_str())
                })
                .peekable();
            // One key per object, not per reason (500,000 reasons at 100k users).
            if standing.peek().is_some() {
                reasons
                    .entry(object.clone())
                    .or_default()
                    .extend(standing.cloned());
            }
        }
        for list in reasons.values_mut() {
            list.sort_by_key(|r| order.get(r.root_id.as_str()).copied());
        }
        reasons
    }

    /// The decisions in force whose finding this run sees no longer holding: an out-of-scope
    /// user with a reason again, a deleted object Entra ID has again, a user Entra ID enabled
    /// again. An object this run did not read, or a scope it did not recompute, keeps the
    /// decision.
    pub(super) fn lifted(&self, scope: Option<&BTreeMap<String, Vec<Reason>>>) -> Vec<Lift> {
        // The decision in force, and a Disable a later Keep did not end: each has its finding.
        let findings = self
            .imported
            .decisions
            .iter()
            .map(|(id, d)| (id, d.finding))
            .chain(self.imported.held.iter().map(|(id, f)| (id, *f)));
        let mut lifted: Vec<Lift> = Vec::new();
        for (id, finding) in findings {
            let (kind, name, holds) = if let Some(stored) = self.imported.users.get(id) {
                let present = self.users.get(id);
                let holds = match finding {
                    // Not recomputed: nothing that decides the scope changed.
                    DecisionFinding::OutOfScope => scope.is_none_or(|s| !s.contains_key(id)),
                    DecisionFinding::SoftDeleted | DecisionFinding::HardDeleted => {
                        present.is_none()
                    }
                    DecisionFinding::Disabled => present.is_none_or(|u| !u.account_enabled),
                };
                (ObjectKind::User, stored.full_name.clone(), holds)
            } else if let Some(stored) = self.imported.groups.get(id) {
                let holds = !self.groups.contains_key(id);
                (
                    ObjectKind::Group,
                    stored.directory.display_name.clone(),
                    holds,
                )
            } else {
                continue;
            };
            let known = lifted
                .iter()
                .any(|l| l.object_id == *id && l.finding.same_as(finding));
            if !holds && !known {
                lifted.push(Lift {
                    kind,
                    object_id: id.clone(),
                    display_name: name,
                    finding,
                });
            }
        }
        lifted.sort_by(|a, b| a.object_id.cmp(&b.object_id));
        lifted
    }
}
