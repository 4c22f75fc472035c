//! The database read with SQL on the schema (`users`, `azure_users`, `azure_groups`,
//! `memberships` with `source = 'azure_ad'`, `azure_user_tombstones`, `azure_scope_reasons`)
//! into the model's shape, never through the store's own reads; and the differences between
//! two such projections, or between the stored reasons and the model's, named by object.

use crate::spec::{Db, GroupRow, Reasons, UserRow};
use crate::tenant::{Id, Tenant, alias, aliases};
use aadsync_store::Store;
use std::collections::{BTreeMap, BTreeSet};

/// NULL and '' are the same "no value" (how the store writes an absent attribute is not
/// what the rules decide).
fn text(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.is_empty())
}

pub fn project(store: &Store, tenant: &str) -> Db {
    let writer = store.writer();
    let conn = writer.connection();
    let users = conn
        .prepare(
            "SELECT a.object_id, a.user_principal_name, a.display_name, a.mail, a.department,
                    a.account_enabled, u.enabled
             FROM azure_users a JOIN users u ON u.id = a.user_id
             WHERE a.tenant_id = ?1 AND u.auth_type = 'azure_ad'",
        )
        .expect("users")
        .query_map([tenant], |r| {
            Ok((
                r.get::<_, String>(0)?,
                UserRow {
                    upn: r.get(1)?,
                    display: r.get(2)?,
                    mail: text(r.get(3)?),
                    department: text(r.get(4)?),
                    entra_enabled: r.get(5)?,
                    enabled: r.get(6)?,
                },
            ))
        })
        .expect("users")
        .collect::<Result<BTreeMap<_, _>, _>>()
        .expect("users");
    let mut groups: BTreeMap<String, GroupRow> = conn
        .prepare("SELECT object_id, display_name FROM azure_groups WHERE tenant_id = ?1")
        .expect("groups")
        .query_map([tenant], |r| {
            Ok((
                r.get::<_, String>(0)?,
                GroupRow {
                    name: r.get(1)?,
                    members: BTreeSet::new(),
                },
            ))
        })
        .expect("groups")
        .collect::<Result<_, _>>()
        .expect("groups");
    let memberships: Vec<(String, String)> = conn
        .prepare(
            "SELECT g.object_id, u.object_id FROM memberships m
             JOIN azure_groups g ON g.group_id = m.group_id
             JOIN azure_users u ON u.user_id = m.user_id
             WHERE m.source = 'azure_ad' AND g.tenant_id = ?1",
        )
        .expect("memberships")
        .query_map([tenant], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("memberships")
        .collect::<Result<_, _>>()
        .expect("memberships");
    for (group, user) in memberships {
        groups
            .get_mut(&group)
            .expect("a membership's group is imported")
            .members
            .insert(user);
    }
    let tombstones = conn
        .prepare("SELECT object_id FROM azure_user_tombstones WHERE tenant_id = ?1")
        .expect("tombstones")
        .query_map([tenant], |r| r.get(0))
        .expect("tombstones")
        .collect::<Result<_, _>>()
        .expect("tombstones");
    Db {
        users,
        groups,
        tombstones,
    }
}

/// One difference: a category (what kind of difference, for the shrinker to keep failing
/// for the same reason) and the objects concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    pub category: String,
    pub detail: String,
}

fn user_text(u: &UserRow) -> String {
    format!(
        "{} {:?} mail {:?} dept {:?} entra {} server {}",
        u.upn,
        u.display,
        u.mail,
        u.department,
        if u.entra_enabled {
            "enabled"
        } else {
            "disabled"
        },
        if u.enabled { "enabled" } else { "disabled" },
    )
}

/// What differs between `expected` and `actual` (named `want`/`got` in `detail`), each
/// category prefixed with `oracle`.
pub fn differences(
    oracle: &str,
    want: &str,
    got: &str,
    expected: &Db,
    actual: &Db,
) -> Vec<Difference> {
    let mut out = Vec::new();
    let mut push = |what: &str, detail: String| {
        out.push(Difference {
            category: format!("{oracle}: {what}"),
            detail,
        });
    };
    let ids: BTreeSet<&String> = expected.users.keys().chain(actual.users.keys()).collect();
    for id in ids {
        match (expected.users.get(id), actual.users.get(id)) {
            (Some(e), None) => push(
                "user missing",
                format!("{}: {want} {}, {got} none", alias(id), user_text(e)),
            ),
            (None, Some(a)) => push(
                "user extra",
                format!("{}: {want} none, {got} {}", alias(id), user_text(a)),
            ),
            (Some(e), Some(a)) if e != a => {
                let what = if e.enabled != a.enabled {
                    "user server enabled"
                } else {
                    "user attributes"
                };
                push(
                    what,
                    format!(
                        "{}: {want} {}; {got} {}",
                        alias(id),
                        user_text(e),
                        user_text(a)
                    ),
                );
            }
            _ => {}
        }
    }
    let ids: BTreeSet<&String> = expected.groups.keys().chain(actual.groups.keys()).collect();
    for id in ids {
        match (expected.groups.get(id), actual.groups.get(id)) {
            (Some(e), None) => push(
                "group missing",
                format!("{} {:?}: {want} imported, {got} not", alias(id), e.name),
            ),
            (None, Some(a)) => push(
                "group extra",
                format!(
                    "{} {:?}: {want} not imported, {got} imported",
                    alias(id),
                    a.name
                ),
            ),
            (Some(e), Some(a)) => {
                if e.name != a.name {
                    push(
                        "group name",
                        format!("{}: {want} {:?}, {got} {:?}", alias(id), e.name, a.name),
                    );
                }
                if e.members != a.members {
                    let only_want: Vec<&String> = e.members.difference(&a.members).collect();
                    let only_got: Vec<&String> = a.members.difference(&e.members).collect();
                    push(
                        "group members",
                        format!(
                            "{}: {want} {}, {got} {} (only {want} {}, only {got} {})",
                            alias(id),
                            aliases(&e.members),
                            aliases(&a.members),
                            aliases(only_want),
                            aliases(only_got)
                        ),
                    );
                }
            }
            (None, None) => {}
        }
    }
    if expected.tombstones != actual.tombstones {
        push(
            "tombstones",
            format!(
                "{want} {}, {got} {}",
                aliases(&expected.tombstones),
                aliases(&actual.tombstones)
            ),
        );
    }
    out
}

/// The scope's reasons as stored: object → root → path (group names joined by " / ", '' for
/// the root itself: migration 0004's `azure_scope_reasons`).
pub type StoredReasons = BTreeMap<Id, BTreeMap<Id, String>>;

pub fn reasons(store: &Store, tenant: &str) -> StoredReasons {
    let writer = store.writer();
    let rows: Vec<(String, String, String)> = writer
        .connection()
        .prepare("SELECT object_id, root_id, path FROM azure_scope_reasons WHERE tenant_id = ?1")
        .expect("reasons")
        .query_map([tenant], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .expect("reasons")
        .collect::<Result<_, _>>()
        .expect("reasons");
    let mut out = StoredReasons::new();
    for (object, root, path) in rows {
        out.entry(object).or_default().insert(root, path);
    }
    out
}

/// The groups a stored path names ("Sales / EMEA"); none for the root itself.
fn path_names(path: &str) -> Vec<&str> {
    if path.is_empty() {
        Vec::new()
    } else {
        path.split(" / ").collect()
    }
}

/// Whether `path` is a chain of the tenant as Graph shows it from `root` to `object`: it
/// starts at the root's name, each group after is a member of the one before, and the object
/// is a direct member of the last (the empty path: the object is the root). Names are unique
/// in a generated tenant, so a name stands for one group.
fn chain(t: &Tenant, object: &Id, root: &Id, path: &str) -> Result<(), String> {
    let names = path_names(path);
    let Some((first, rest)) = names.split_first() else {
        return if object == root {
            Ok(())
        } else {
            Err("an empty path for an object that is not the root".into())
        };
    };
    let root_name = t.live_group(root).map(|g| g.name.as_str());
    if root_name != Some(*first) {
        return Err(format!(
            "it starts at {first:?}, the root is {root_name:?} in Entra ID"
        ));
    }
    let mut last = root;
    for name in rest {
        let Some(next) = t
            .visible_members(last)
            .into_iter()
            .find(|m| t.live_group(m).is_some_and(|g| g.name == *name))
        else {
            return Err(format!("{name:?} is no member group of {}", alias(last)));
        };
        last = next;
    }
    if t.visible_members(last).contains(&object) {
        Ok(())
    } else {
        Err(format!("{} is no member of {}", alias(object), alias(last)))
    }
}

/// The stored reasons against the model's: the same (object, root) pairs, each path as long
/// as the model's shortest and a real chain of the tenant `t`.
pub fn reason_differences(
    expected: &Reasons,
    t: &Tenant,
    stored: &StoredReasons,
) -> Vec<Difference> {
    let mut out = Vec::new();
    let mut push = |what: &str, detail: String| {
        out.push(Difference {
            category: format!("model: reason {what}"),
            detail,
        });
    };
    let (no_length, no_path) = (BTreeMap::new(), BTreeMap::new());
    let objects: BTreeSet<&Id> = expected.keys().chain(stored.keys()).collect();
    for object in objects {
        let want = expected.get(object).unwrap_or(&no_length);
        let got = stored.get(object).unwrap_or(&no_path);
        let roots: BTreeSet<&Id> = want.keys().chain(got.keys()).collect();
        for root in roots {
            let (o, r) = (alias(object), alias(root));
            match (want.get(root), got.get(root)) {
                (Some(n), None) => push(
                    "missing",
                    format!("{o} from root {r}: model through {n} groups, db no reason"),
                ),
                (None, Some(path)) => push(
                    "extra",
                    format!("{o} from root {r}: model no reason, db {path:?}"),
                ),
                (Some(n), Some(path)) if path_names(path).len() != *n => push(
                    "path length",
                    format!("{o} from root {r}: model through {n} groups, db {path:?}"),
                ),
                (Some(_), Some(path)) => {
                    if let Err(why) = chain(t, object, root, path) {
                        push(
                            "path not a chain",
                            format!("{o} from root {r}: db {path:?}: {why}"),
                        );
                    }
                }
                (None, None) => {}
            }
        }
    }
    out
}

/// What differs between two databases' stored reasons, path for path (`oracle`, `want`,
/// `got` as in [`differences`]).
pub fn stored_reason_differences(
    oracle: &str,
    want: &str,
    got: &str,
    expected: &StoredReasons,
    actual: &StoredReasons,
) -> Vec<Difference> {
    let mut out = Vec::new();
    let none = BTreeMap::new();
    let objects: BTreeSet<&Id> = expected.keys().chain(actual.keys()).collect();
    for object in objects {
        let e = expected.get(object).unwrap_or(&none);
        let a = actual.get(object).unwrap_or(&none);
        let roots: BTreeSet<&Id> = e.keys().chain(a.keys()).collect();
        for root in roots {
            let (pe, pa) = (e.get(root), a.get(root));
            if pe != pa {
                let what = match (pe, pa) {
                    (Some(_), None) => "reason missing",
                    (None, Some(_)) => "reason extra",
                    _ => "reason path",
                };
                out.push(Difference {
                    category: format!("{oracle}: {what}"),
                    detail: format!(
                        "{} from root {}: {want} {pe:?}, {got} {pa:?}",
                        alias(object),
                        alias(root)
                    ),
                });
            }
        }
    }
    out
}
