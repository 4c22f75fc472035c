//! Step 3's saved scope as plain Rust: the organization's scope roots, the ones the admin takes
//! out or gives other flags, the summary line, and what that adds to the run's selection.

use aadsync_ipc::{EntryKind, RootFlags, SavedRootRow, SyncSelection};
use std::collections::{BTreeMap, BTreeSet};

/// The saved scope of the organization step 3 shows, with the admin's changes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SavedScope {
    /// Whose scope this is (loaded once per organization).
    pub organization: Option<i64>,
    pub roots: Vec<SavedRootRow>,
    removed: BTreeSet<String>,
    /// Group roots whose flags the admin set: (members, nested).
    flags: BTreeMap<String, (bool, bool)>,
}

impl SavedScope {
    pub fn loaded(organization: i64, roots: Vec<SavedRootRow>) -> Self {
        SavedScope {
            organization: Some(organization),
            roots,
            ..SavedScope::default()
        }
    }

    /// A saved root that stays in the scope with this run.
    pub fn contains(&self, id: &str) -> bool {
        self.roots.iter().any(|r| r.id == id) && !self.removed.contains(id)
    }

    pub fn is_removed(&self, id: &str) -> bool {
        self.removed.contains(id)
    }

    pub fn set_removed(&mut self, id: &str, removed: bool) {
        if removed {
            self.removed.insert(id.to_owned());
        } else {
            self.removed.remove(id);
        }
    }

    /// A group root's (members, nested) as this run will leave them.
    pub fn flags(&self, root: &SavedRootRow) -> (bool, bool) {
        self.flags
            .get(&root.id)
            .copied()
            .unwrap_or((root.members, root.nested))
    }

    /// *Members* off takes *nested* with it (nested only with members).
    pub fn set_members(&mut self, id: &str, on: bool) {
        self.set_flags(id, |(_, nested)| (on, on && nested));
    }

    /// *Nested* on needs *members*.
    pub fn set_nested(&mut self, id: &str, on: bool) {
        self.set_flags(id, |(members, _)| (members || on, on));
    }

    fn set_flags(&mut self, id: &str, change: impl Fn((bool, bool)) -> (bool, bool)) {
        let Some(root) = self.roots.iter().find(|r| r.id == id) else {
            return;
        };
        let now = change(self.flags(root));
        if now == (root.members, root.nested) {
            self.flags.remove(id);
        } else {
            self.flags.insert(id.to_owned(), now);
        }
    }

    /// "Saved scope: 3 groups with members, 1 group, 2 users" (the roots as saved).
    pub fn summary(&self) -> String {
        let count = |f: &dyn Fn(&SavedRootRow) -> bool| self.roots.iter().filter(|r| f(r)).count();
        let group = |r: &SavedRootRow| r.kind == EntryKind::Group;
        let parts = [
            (
                count(&|r| group(r) && r.members),
                "group with members",
                "groups with members",
            ),
            (count(&|r| group(r) && !r.members), "group", "groups"),
            (count(&|r| !group(r)), "user", "users"),
        ];
        let text: Vec<String> = parts
            .iter()
            .filter(|(n, ..)| *n > 0)
            .map(|(n, one, many)| format!("{n} {}", if *n == 1 { one } else { many }))
            .collect();
        format!("Saved scope: {}", text.join(", "))
    }

    /// The admin changed the saved scope.
    pub fn changed(&self) -> bool {
        !self.removed.is_empty() || !self.flags.is_empty()
    }

    /// The run's selection with the roots taken out and the flags set anew.
    pub fn apply(&self, selection: &mut SyncSelection) {
        selection.remove = self.removed.iter().cloned().collect();
        selection.reflag = self
            .flags
            .iter()
            .filter(|(id, _)| !self.removed.contains(*id))
            .map(|(id, (members, nested))| RootFlags {
                id: id.clone(),
                members: *members,
                nested: *nested,
            })
            .collect();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root(id: &str, kind: EntryKind, members: bool, nested: bool) -> SavedRootRow {
        SavedRootRow {
            id: id.into(),
            kind,
            display_name: id.into(),
            members,
            nested,
            users_reached: 0,
        }
    }

    fn scope() -> SavedScope {
        SavedScope::loaded(
            1,
            vec![
                root("sales", EntryKind::Group, true, true),
                root("hr", EntryKind::Group, true, false),
                root("ops", EntryKind::Group, false, false),
                root("ann", EntryKind::User, false, false),
                root("bob", EntryKind::User, false, false),
            ],
        )
    }

    #[test]
    fn the_summary_counts_roots_by_kind() {
        assert_eq!(
            scope().summary(),
            "Saved scope: 2 groups with members, 1 group, 2 users"
        );
        let one = SavedScope::loaded(1, vec![root("hr", EntryKind::Group, true, false)]);
        assert_eq!(one.summary(), "Saved scope: 1 group with members");
    }

    #[test]
    fn removals_and_flags_reach_the_selection() {
        type Case = (
            &'static str,
            fn(&mut SavedScope),
            Vec<&'static str>,
            Vec<(&'static str, bool, bool)>,
        );
        let cases: [Case; 6] = [
            ("nothing changed", |_| {}, vec![], vec![]),
            (
                "taken out",
                |s| s.set_removed("hr", true),
                vec!["hr"],
                vec![],
            ),
            (
                "taken out and put back",
                |s| {
                    s.set_removed("hr", true);
                    s.set_removed("hr", false);
                },
                vec![],
                vec![],
            ),
            (
                "members off clears nested",
                |s| s.set_members("sales", false),
                vec![],
                vec![("sales", false, false)],
            ),
            (
                "nested on sets members",
                |s| s.set_nested("ops", true),
                vec![],
                vec![("ops", true, true)],
            ),
            (
                "flags set back as saved, or on a root taken out: nothing to set",
                |s| {
                    s.set_nested("sales", false);
                    s.set_nested("sales", true);
                    s.set_members("hr", false);
                    s.set_removed("hr", true);
                },
                vec!["hr"],
                vec![],
            ),
        ];
        for (why, change, remove, reflag) in cases {
            let mut s = scope();
            change(&mut s);
            let mut selection = SyncSelection::default();
            s.apply(&mut selection);
            assert_eq!(selection.remove, remove, "{why}");
            let flags: Vec<(&str, bool, bool)> = selection
                .reflag
                .iter()
                .map(|f| (f.id.as_str(), f.members, f.nested))
                .collect();
            assert_eq!(flags, reflag, "{why}");
            assert_eq!(
                s.changed(),
                !remove.is_empty() || !reflag.is_empty(),
                "{why}"
            );
        }
        let mut s = scope();
        s.set_removed("ann", true);
        assert!(!s.contains("ann") && s.contains("bob") && !s.contains("nobody"));
    }
}
