//! Scope as data (ARCHITECTURE.md, "What a synchronization decides"): the organization's scope
//! roots with this run's selection added, and for every object the reasons it is in scope —
//! computed from object IDs on the tenant as Graph shows it, pure.

use crate::model::Selection;
use aadsync_store::plan::Imported;
use aadsync_store::{DroppedRoot, ObjectKind, Reason, ScopeRoot};
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};

/// The roots a selection adds: its users (by the object IDs Graph resolved them to) and its
/// groups with the selection's flags (*nested* only with *members*).
pub fn roots_of(selection: &Selection, users: &[String]) -> Vec<ScopeRoot> {
    let members = selection.members;
    let users = users.iter().map(|id| ScopeRoot {
        kind: ObjectKind::User,
        object_id: id.clone(),
        members: false,
        nested: false,
    });
    let groups = selection.groups.iter().map(|id| ScopeRoot {
        kind: ObjectKind::Group,
        object_id: id.clone(),
        members,
        nested: members && selection.nested,
    });
    users.chain(groups).collect()
}

/// `stored` with `new` added: a root selected again keeps the flags it had and gains the new
/// ones. In the stored order, new roots last.
pub fn merge(stored: &[ScopeRoot], new: &[ScopeRoot]) -> Vec<ScopeRoot> {
    let mut roots: Vec<ScopeRoot> = stored.to_vec();
    // By ID, the first root of each: a selection of 100,000 users is as many roots, and
    // searching the list for each was quadratic (70 s of a 100k-user sync).
    let mut at: HashMap<String, usize> = HashMap::with_capacity(roots.len() + new.len());
    for (i, root) in roots.iter().enumerate() {
        at.entry(root.object_id.clone()).or_insert(i);
    }
    for root in new {
        match at.get(&root.object_id) {
            Some(&i) => {
                let known = &mut roots[i];
                known.members |= root.members;
                known.nested |= root.nested;
            }
            None => {
                at.insert(root.object_id.clone(), roots.len());
                roots.push(root.clone());
            }
        }
    }
    roots
}

/// The first root of each ID in `roots`, by ID.
fn by_id(roots: &[ScopeRoot]) -> HashMap<&str, &ScopeRoot> {
    let mut map = HashMap::with_capacity(roots.len());
    for root in roots {
        map.entry(root.object_id.as_str()).or_insert(root);
    }
    map
}

/// What a run does to the saved scope.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScopeChange {
    /// The roots after the run: what its scope is computed from.
    pub roots: Vec<ScopeRoot>,
    /// Stored roots the run deletes: taken out, or stored again with a flag cleared.
    pub dropped: Vec<ScopeRoot>,
    /// The roots the run writes after deleting `dropped` (their flags merged into a stored
    /// root's): the selection's new roots and the re-flagged ones, as they end up.
    pub written: Vec<ScopeRoot>,
}

/// The saved roots `stored` after a run that takes the roots in `remove` out, sets the flags
/// of the group roots in `reflag` anew (they may shrink; *nested* only with *members*; a root
/// not saved is not added this way), and then adds `new` (flags only grow, so a root both
/// removed and selected again stays, with the new flags).
pub fn change(
    stored: &[ScopeRoot],
    new: &[ScopeRoot],
    remove: &[String],
    reflag: &[ScopeRoot],
) -> ScopeChange {
    let remove: HashSet<&str> = remove.iter().map(String::as_str).collect();
    let reflag = by_id(reflag);
    let kept: Vec<ScopeRoot> = stored
        .iter()
        .filter(|r| !remove.contains(r.object_id.as_str()))
        .map(|r| match reflag.get(r.object_id.as_str()) {
            Some(f) if r.kind == ObjectKind::Group => ScopeRoot {
                members: f.members,
                nested: f.members && f.nested,
                ..r.clone()
            },
            _ => r.clone(),
        })
        .collect();
    let roots = merge(&kept, new);
    let lost_a_flag = |before: &ScopeRoot, after: &ScopeRoot| {
        (before.members && !after.members) || (before.nested && !after.nested)
    };
    let after = by_id(&roots);
    let dropped: Vec<ScopeRoot> = stored
        .iter()
        .filter(|s| match after.get(s.object_id.as_str()) {
            None => true,
            Some(after) => lost_a_flag(s, after),
        })
        .cloned()
        .collect();
    // A stored root given more flags (re-flagged, or selected again with more) is written
    // too: the upsert keeps the larger flags.
    let stored_by_id = by_id(stored);
    let raised = roots.iter().filter(|r| {
        stored_by_id
            .get(r.object_id.as_str())
            .is_some_and(|s| (r.members && !s.members) || (r.nested && !s.nested))
    });
    let touched: HashSet<&str> = new
        .iter()
        .chain(&dropped)
        .chain(raised)
        .map(|r| r.object_id.as_str())
        .collect();
    let written = roots
        .iter()
        .filter(|r| touched.contains(r.object_id.as_str()))
        .cloned()
        .collect();
    ScopeChange {
        roots,
        dropped,
        written,
    }
}

/// A dropped root with its name as imported (its ID when it was never imported), for the
/// audit log.
pub fn named(root: &ScopeRoot, imported: &Imported) -> DroppedRoot {
    let name = match root.kind {
        ObjectKind::User => imported
            .users
            .get(&root.object_id)
            .map(|u| &u.directory.display_name),
        ObjectKind::Group => imported
            .groups
            .get(&root.object_id)
            .map(|g| &g.directory.display_name),
    };
    DroppedRoot {
        root: root.clone(),
        display_name: name.unwrap_or(&root.object_id).clone(),
    }
}

/// The imported users the last computed scope reached and `scope` no longer does (sorted).
pub fn leaving(imported: &Imported, scope: &BTreeMap<String, Vec<Reason>>) -> Vec<String> {
    let mut ids: Vec<String> = imported
        .users
        .keys()
        .filter(|id| imported.reasons.contains_key(*id) && !scope.contains_key(*id))
        .cloned()
        .collect();
    ids.sort();
    ids
}

/// The tenant as far as the scope needs it: group names, each group's direct user members,
/// and (for roots with *nested*) each group's member groups.
#[derive(Debug, Default)]
pub struct Tenant<'a> {
    pub names: HashMap<&'a str, &'a str>,
    pub members: HashMap<&'a str, &'a [String]>,
    pub children: HashMap<&'a str, &'a [String]>,
}

/// Every object's reasons: the roots it is reached from, each with the path of group names it
/// goes through (the shortest; "" for a root itself). Objects without a reason are absent.
pub fn reasons(roots: &[ScopeRoot], tenant: &Tenant<'_>) -> BTreeMap<String, Vec<Reason>> {
    let mut out: BTreeMap<String, Vec<Reason>> = BTreeMap::new();
    let mut add = |object: &str, root: &str, path: String| {
        let reasons = out.entry(object.to_owned()).or_default();
        // One reason per root: the first found, which breadth-first is the shortest path.
        if !reasons.iter().any(|r| r.root_id == root) {
            reasons.push(Reason {
                root_id: root.to_owned(),
                path,
            });
        }
    };
    for root in roots {
        add(&root.object_id, &root.object_id, String::new());
        if root.kind != ObjectKind::Group || !root.members {
            continue;
        }
        let Some(name) = tenant.names.get(root.object_id.as_str()) else {
            // Not in Entra ID (any more): it reaches nobody.
            continue;
        };
        let mut queue = VecDeque::from([(root.object_id.as_str(), (*name).to_owned())]);
        let mut seen: HashSet<&str> = HashSet::from([root.object_id.as_str()]);
        while let Some((group, path)) = queue.pop_front() {
            for user in tenant.members.get(group).copied().unwrap_or_default() {
                add(user, &root.object_id, path.clone());
            }
            if !root.nested {
                continue;
            }
            for child in tenant.children.get(group).copied().unwrap_or_default() {
                let Some(child_name) = tenant.names.get(child.as_str()) else {
                    continue;
                };
                if seen.insert(child.as_str()) {
                    add(child, &root.object_id, path.clone());
                    queue.push_back((child.as_str(), format!("{path} / {child_name}")));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(id: &str, members: bool, nested: bool) -> ScopeRoot {
        ScopeRoot {
            kind: ObjectKind::Group,
            object_id: id.into(),
            members,
            nested,
        }
    }

    fn user(id: &str) -> ScopeRoot {
        ScopeRoot {
            kind: ObjectKind::User,
            object_id: id.into(),
            members: false,
            nested: false,
        }
    }

    /// Sales ⊃ EMEA ⊃ Paris (and Paris also directly in Sales); Ops is nobody's child.
    fn tenant<'a>(lists: &'a [(&'a str, Vec<String>, Vec<String>)]) -> Tenant<'a> {
        let mut t = Tenant::default();
        for (id, members, children) in lists {
            t.names.insert(id, id);
            t.members.insert(id, members);
            t.children.insert(id, children);
        }
        t
    }

    fn ids(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    fn text(scope: &BTreeMap<String, Vec<Reason>>) -> Vec<String> {
        scope
            .iter()
            .map(|(object, reasons)| {
                let reasons: Vec<String> = reasons
                    .iter()
                    .map(|r| format!("{}:{}", r.root_id, r.path))
                    .collect();
                format!("{object} <- {}", reasons.join(", "))
            })
            .collect()
    }

    #[test]
    fn reasons_follow_ids_through_nested_groups() {
        let lists = [
            ("Sales", ids(&["ann"]), ids(&["EMEA", "Paris"])),
            ("EMEA", ids(&["bob"]), ids(&["Paris"])),
            ("Paris", ids(&["bob", "cat"]), ids(&[])),
            ("Ops", ids(&["dan"]), ids(&[])),
        ];
        let t = tenant(&lists);
        let cases: [(&str, Vec<ScopeRoot>, Vec<&str>); 5] = [
            (
                "members only: direct user members",
                vec![group("Sales", true, false)],
                vec!["Sales <- Sales:", "ann <- Sales:Sales"],
            ),
            (
                "nested: every depth, the shortest path, groups too",
                vec![group("Sales", true, true)],
                vec![
                    "EMEA <- Sales:Sales",
                    "Paris <- Sales:Sales",
                    "Sales <- Sales:",
                    "ann <- Sales:Sales",
                    "bob <- Sales:Sales / EMEA",
                    "cat <- Sales:Sales / Paris",
                ],
            ),
            (
                "a group without members reaches nobody",
                vec![group("Ops", false, false)],
                vec!["Ops <- Ops:"],
            ),
            (
                "two roots: one reason each",
                vec![
                    group("EMEA", true, true),
                    group("Paris", true, false),
                    user("dan"),
                ],
                vec![
                    "EMEA <- EMEA:",
                    "Paris <- EMEA:EMEA, Paris:",
                    "bob <- EMEA:EMEA, Paris:Paris",
                    "cat <- EMEA:EMEA / Paris, Paris:Paris",
                    "dan <- dan:",
                ],
            ),
            (
                "a root Entra ID no longer has reaches nobody",
                vec![group("Gone", true, true)],
                vec!["Gone <- Gone:"],
            ),
        ];
        for (why, roots, expected) in cases {
            assert_eq!(text(&reasons(&roots, &t)), expected, "{why}");
        }
    }

    #[test]
    fn a_selection_adds_roots_and_flags_only_grow() {
        let selection = Selection {
            users: vec!["ann@contoso.com".into()],
            groups: vec!["Sales".into(), "Ops".into()],
            members: true,
            nested: false,
            ..Selection::default()
        };
        let new = roots_of(&selection, &ids(&["ann-id"]));
        assert_eq!(
            new,
            vec![
                user("ann-id"),
                group("Sales", true, false),
                group("Ops", true, false)
            ]
        );
        let stored = vec![group("Sales", true, true), group("HR", false, false)];
        assert_eq!(
            merge(&stored, &new),
            vec![
                group("Sales", true, true),
                group("HR", false, false),
                user("ann-id"),
                group("Ops", true, false),
            ]
        );
        // Selected again with members: the flag is raised; without, a raised one stays.
        assert_eq!(
            merge(
                &[group("HR", false, false), group("Ops", true, false)],
                &[group("HR", true, false), group("Ops", false, false)],
            ),
            vec![group("HR", true, false), group("Ops", true, false)]
        );
        let nested_without_members = Selection {
            groups: vec!["HR".into()],
            members: false,
            nested: true,
            ..Selection::default()
        };
        assert_eq!(
            roots_of(&nested_without_members, &[]),
            vec![group("HR", false, false)]
        );
    }

    #[test]
    fn removing_and_reflagging_roots_changes_the_saved_scope() {
        let stored = vec![
            group("Sales", true, true),
            group("HR", true, false),
            user("ann"),
        ];
        type Case = (
            &'static str,
            Vec<ScopeRoot>,
            Vec<&'static str>,
            Vec<ScopeRoot>,
            ScopeChange,
        );
        let cases: Vec<Case> = vec![
            (
                "nothing asked: nothing dropped or written",
                vec![],
                vec![],
                vec![],
                ScopeChange {
                    roots: stored.clone(),
                    ..ScopeChange::default()
                },
            ),
            (
                "a group and a user taken out",
                vec![],
                vec!["Sales", "ann"],
                vec![],
                ScopeChange {
                    roots: vec![group("HR", true, false)],
                    dropped: vec![group("Sales", true, true), user("ann")],
                    written: vec![],
                },
            ),
            (
                "a root not saved is nothing to take out",
                vec![],
                vec!["Ops"],
                vec![],
                ScopeChange {
                    roots: stored.clone(),
                    ..ScopeChange::default()
                },
            ),
            (
                "nested cleared: dropped and written again with members only",
                vec![],
                vec![],
                vec![group("Sales", true, false)],
                ScopeChange {
                    roots: vec![
                        group("Sales", true, false),
                        group("HR", true, false),
                        user("ann"),
                    ],
                    dropped: vec![group("Sales", true, true)],
                    written: vec![group("Sales", true, false)],
                },
            ),
            (
                "members cleared clears nested too",
                vec![],
                vec![],
                vec![group("Sales", false, true)],
                ScopeChange {
                    roots: vec![
                        group("Sales", false, false),
                        group("HR", true, false),
                        user("ann"),
                    ],
                    dropped: vec![group("Sales", true, true)],
                    written: vec![group("Sales", false, false)],
                },
            ),
            (
                "flags raised: written, nothing dropped",
                vec![],
                vec![],
                vec![group("HR", true, true)],
                ScopeChange {
                    roots: vec![
                        group("Sales", true, true),
                        group("HR", true, true),
                        user("ann"),
                    ],
                    dropped: vec![],
                    written: vec![group("HR", true, true)],
                },
            ),
            (
                "a user root has no flags to set",
                vec![],
                vec![],
                vec![group("ann", true, true)],
                ScopeChange {
                    roots: stored.clone(),
                    ..ScopeChange::default()
                },
            ),
            (
                "taken out and selected again in the same run: the selection wins",
                vec![group("HR", true, false), group("Ops", false, false)],
                vec!["HR"],
                vec![],
                ScopeChange {
                    roots: vec![
                        group("Sales", true, true),
                        user("ann"),
                        group("HR", true, false),
                        group("Ops", false, false),
                    ],
                    dropped: vec![],
                    written: vec![group("HR", true, false), group("Ops", false, false)],
                },
            ),
        ];
        for (why, new, remove, reflag, expected) in cases {
            let remove: Vec<String> = remove.iter().map(|s| (*s).to_owned()).collect();
            assert_eq!(change(&stored, &new, &remove, &reflag), expected, "{why}");
        }
    }

    fn imported(users: &[(&str, &str)], groups: &[(&str, &str)], in_scope: &[&str]) -> Imported {
        use aadsync_store::plan::{StoredGroup, StoredUser};
        use aadsync_store::{DirectoryGroup, DirectoryUser};
        let mut imported = Imported::default();
        for (n, (id, name)) in users.iter().enumerate() {
            let directory = DirectoryUser {
                object_id: (*id).to_owned(),
                display_name: (*name).to_owned(),
                ..DirectoryUser::default()
            };
            let user = StoredUser {
                user_id: n as i64 + 1,
                account_name: (*id).to_owned(),
                account_key: (*id).to_owned(),
                enabled: true,
                full_name: (*name).to_owned(),
                email: String::new(),
                phone: String::new(),
                department: String::new(),
                directory,
            };
            imported.users.insert((*id).to_owned(), user);
        }
        for (n, (id, name)) in groups.iter().enumerate() {
            let directory = DirectoryGroup {
                object_id: (*id).to_owned(),
                display_name: (*name).to_owned(),
                ..DirectoryGroup::default()
            };
            let group = StoredGroup {
                group_id: n as i64 + 1,
                deleted_in_directory: false,
                directory,
            };
            imported.groups.insert((*id).to_owned(), group);
        }
        imported.reasons = in_scope
            .iter()
            .map(|s| {
                let itself = Reason {
                    root_id: (*s).to_owned(),
                    path: String::new(),
                };
                ((*s).to_owned(), vec![itself])
            })
            .collect();
        imported
    }

    #[test]
    fn users_the_last_scope_reached_and_this_one_does_not_leave_it() {
        let imported = imported(
            &[
                ("ann", "Ann"),
                ("bob", "Bob"),
                ("cat", "Cat"),
                ("dan", "Dan"),
            ],
            &[("sales", "Sales")],
            &["ann", "bob", "cat", "sales"],
        );
        let now: BTreeMap<String, Vec<Reason>> = ["bob", "dan"]
            .iter()
            .map(|id| ((*id).to_owned(), vec![]))
            .collect();
        // Ann and Cat were in scope and are not now; Bob stays; Dan was not in it before; a
        // group leaving is no user leaving.
        assert_eq!(leaving(&imported, &now), ["ann", "cat"]);
        assert!(leaving(&imported, &BTreeMap::new()).len() == 3);
    }

    #[test]
    fn a_dropped_root_is_named_as_imported_or_by_its_id() {
        let imported = imported(&[("ann", "Ann Lee")], &[("sales", "Sales")], &[]);
        let names: Vec<String> = [
            user("ann"),
            group("sales", true, false),
            group("gone", true, false),
        ]
        .iter()
        .map(|r| named(r, &imported).display_name)
        .collect();
        assert_eq!(names, ["Ann Lee", "Sales", "gone"]);
        // By kind: a user's ID is not looked up among the groups.
        assert_eq!(
            named(&group("ann", false, false), &imported).display_name,
            "ann"
        );
    }
}
