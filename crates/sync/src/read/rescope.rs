//! Which scope roots a run recomputes: all on a full read, and on an incremental one only
//! those a changed group is in reach of.

use super::Reading;
use aadsync_store::ObjectKind;
use std::collections::HashSet;

/// Which roots a run recomputes the scope of. Always all on a full read. On an incremental
/// one, all when the selection adds, drops or re-flags roots, users deleted on this server may
/// be in scope, a group root is not imported, or a root has no stored reason of its own;
/// else only the group roots a changed group is in
/// reach of (the root itself, or a group its stored reasons reach: no membership that decides
/// the scope changes without its group appearing in the round), the others' stored reasons
/// standing; none when no group changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Rescope {
    No,
    All,
    Roots(HashSet<String>),
}

impl Rescope {
    pub(super) fn any(&self) -> bool {
        *self != Rescope::No
    }

    pub(super) fn covers(&self, root: &str) -> bool {
        match self {
            Rescope::No => false,
            Rescope::All => true,
            Rescope::Roots(roots) => roots.contains(root),
        }
    }
}

impl Reading<'_> {
    /// See [`Rescope`]. Users deleted on this server are looked for too: in scope, a
    /// re-import brings them.
    pub(super) fn rescope_of_round(&self) -> Rescope {
        let Some(rounds) = self.rounds else {
            return Rescope::All;
        };
        if !self.new_roots.is_empty()
            || !self.dropped_roots.is_empty()
            || !self.imported.tombstones.is_empty()
            // A group root not imported (deleted on this server, or in Entra ID's recycle
            // bin) is in no round, but its return changes the scope.
            || self.roots.iter().any(|r| {
                r.kind == ObjectKind::Group && !self.imported.groups.contains_key(&r.object_id)
            })
        {
            return Rescope::All;
        }
        let expanding: HashSet<&str> = self
            .roots
            .iter()
            .filter(|r| r.kind == ObjectKind::Group && r.members)
            .map(|r| r.object_id.as_str())
            .collect();
        // Every root has a reason of its own once a run computed its scope; one without it
        // (a database from before the reasons were stored) has no reach to go by.
        let computed = |root: &str| {
            self.imported
                .reasons
                .get(root)
                .is_some_and(|rs| rs.iter().any(|r| r.root_id == root))
        };
        if !expanding.iter().all(|root| computed(root)) {
            return Rescope::All;
        }
        let changed = rounds
            .groups
            .changed
            .iter()
            .map(|(id, _)| id)
            .chain(rounds.groups.removed.iter().map(|r| &r.id));
        let mut affected = HashSet::new();
        for group in changed {
            let reached_from = self
                .imported
                .reasons
                .get(group)
                .into_iter()
                .flatten()
                .map(|r| r.root_id.as_str());
            for root in std::iter::once(group.as_str()).chain(reached_from) {
                if expanding.contains(root) {
                    affected.insert(root.to_owned());
                }
            }
        }
        if affected.is_empty() {
            Rescope::No
        } else {
            Rescope::Roots(affected)
        }
    }
}
