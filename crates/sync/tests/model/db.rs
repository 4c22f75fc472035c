//! The database read with SQL on the schema (`users`, `azure_users`, `azure_groups`,
//! `memberships` with `source = 'azure_ad'`, `azure_user_tombstones`) into the model's shape,
//! never through the store's own reads; and the differences between two such projections,
//! named by object.

use crate::spec::{Db, GroupRow, UserRow};
use crate::tenant::{alias, aliases};
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
