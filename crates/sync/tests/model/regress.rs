//! The three wrong decisions of issue 19 as explicit scenarios, asserting on the database:
//! a user still in scope through nested teams is not listed by "Check deleted objects"; a
//! soft-deleted member leaves the same memberships after an incremental sync as after a
//! full one; a user disabled by a decision stays disabled through a full sync while out of
//! scope and follows Entra ID again once back in scope.

use crate::Env;
use crate::db::project;
use crate::driver::sync;
use crate::generate::{Actions, SyncSpec};
use crate::spec::Db;
use crate::tenant::{Change, Group, Id, Life, Tenant, User, alias, group_id, user_id};
use std::collections::BTreeSet;

pub fn tenant(users: usize, groups: &[&[Id]]) -> Tenant {
    let mut t = Tenant::default();
    for n in 0..users {
        t.users.insert(
            user_id(n),
            User {
                upn: format!("u{n}@contoso.com"),
                display: format!("User {n}"),
                mail: Some(format!("u{n}@contoso.com")),
                department: Some("Sales".into()),
                enabled: true,
                guest: false,
                life: Life::Live,
            },
        );
    }
    for (n, members) in groups.iter().enumerate() {
        t.groups.insert(
            group_id(n),
            Group {
                name: format!("Group {n}"),
                unified: false,
                members: members.to_vec(),
                life: Life::Live,
            },
        );
    }
    t
}

pub fn select_groups(groups: &[Id], nested: bool) -> SyncSpec {
    SyncSpec {
        groups: groups.to_vec(),
        members: true,
        nested,
        ..SyncSpec::refresh()
    }
}

pub fn check_deleted() -> SyncSpec {
    SyncSpec {
        check_deleted: true,
        actions: Actions::Proposals,
        ..SyncSpec::refresh()
    }
}

/// Applies `change` to the mirror and the emulator.
pub async fn change(env: &Env, t: &mut Tenant, c: Change) {
    assert!(c.apply(t), "{}", c.describe());
    env.change(&c).await;
}

pub async fn run(env: &Env, t: &Tenant, spec: &SyncSpec) -> (BTreeSet<String>, Db) {
    let listed = sync(env, &env.store, t, spec)
        .await
        .unwrap_or_else(|e| panic!("{}: {e}", spec.describe()));
    (listed, project(&env.store, &env.emulator.tenant_id()))
}

fn enabled(db: &Db, user: &Id) -> bool {
    db.users
        .get(user)
        .unwrap_or_else(|| panic!("{} is imported", alias(user)))
        .enabled
}

/// Issue 19, case 1: imported through a selected group (members, nested) and also a member
/// of two of its nested teams, a user removed from the parent group only is still in scope:
/// "Check deleted objects" neither lists nor disables him.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_still_in_nested_teams_is_not_out_of_scope() {
    let (u0, u1, u2) = (user_id(0), user_id(1), user_id(2));
    let (parent, team_a, team_b) = (group_id(0), group_id(1), group_id(2));
    let mut t = tenant(
        3,
        &[
            &[u0.clone(), u1.clone(), team_a.clone(), team_b.clone()],
            std::slice::from_ref(&u0),
            &[u0.clone(), u2.clone()],
        ],
    );
    let env = Env::start(&t).await;
    let (_, db) = run(
        &env,
        &t,
        &select_groups(std::slice::from_ref(&parent), true),
    )
    .await;
    assert!(enabled(&db, &u0), "u0 is imported through the parent group");
    change(
        &env,
        &mut t,
        Change::RemoveMember {
            group: parent.clone(),
            member: u0.clone(),
        },
    )
    .await;
    run(&env, &t, &SyncSpec::refresh()).await;
    let (listed, db) = run(&env, &t, &check_deleted()).await;
    assert!(
        !listed
            .iter()
            .any(|l| l.contains(&format!(" {} ", alias(&u0)))),
        "u0 is still in scope through {} and {}, yet Check deleted objects lists {listed:?}",
        alias(&team_a),
        alias(&team_b)
    );
    assert!(
        enabled(&db, &u0),
        "u0 is still in scope and enabled in Entra ID, yet disabled on the server"
    );
}

/// Issue 19, case 2: a member user soft-deleted in Entra ID is a member of nothing; after an
/// incremental sync the groups' Azure AD members are those a full sync gives.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_soft_deleted_member_leaves_groups_incrementally_as_in_full() {
    let (u0, u1, u2) = (user_id(0), user_id(1), user_id(2));
    let group = group_id(0);
    let mut t = tenant(3, &[&[u0.clone(), u1.clone(), u2.clone()]]);
    let env = Env::start(&t).await;
    run(
        &env,
        &t,
        &select_groups(std::slice::from_ref(&group), false),
    )
    .await;
    change(
        &env,
        &mut t,
        Change::DeleteUser {
            user: u1.clone(),
            hard: false,
        },
    )
    .await;
    let (_, incremental) = run(&env, &t, &SyncSpec::refresh()).await;
    let (copy, _) = env.copy("full.sqlite3");
    let full = SyncSpec {
        full: true,
        ..SyncSpec::refresh()
    };
    sync(&env, &copy, &t, &full).await.expect("full sync");
    let full = project(&copy, &env.emulator.tenant_id());
    let members = |db: &Db| db.groups[&group].members.clone();
    assert_eq!(
        members(&incremental),
        members(&full),
        "the group's members after an incremental sync (left) and after a full one (right)"
    );
    assert_eq!(
        members(&incremental),
        BTreeSet::from([u0, u2]),
        "a soft-deleted user is a member of nothing"
    );
}

/// Issue 19, case 3: a user disabled on the server by "Check deleted objects" (out of scope)
/// stays disabled through a later full sync and a lapsed change-tracking window while still
/// out of scope, and follows Entra ID again (enabled) once back in scope.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disable_decision_stays_until_the_user_is_back_in_scope() {
    let (u0, u1) = (user_id(0), user_id(1));
    let group = group_id(0);
    let mut t = tenant(2, &[&[u0.clone(), u1.clone()]]);
    let env = Env::start(&t).await;
    run(
        &env,
        &t,
        &select_groups(std::slice::from_ref(&group), false),
    )
    .await;
    let remove = Change::RemoveMember {
        group: group.clone(),
        member: u0.clone(),
    };
    change(&env, &mut t, remove).await;
    let (listed, db) = run(&env, &t, &check_deleted()).await;
    assert!(
        listed.contains(&format!("user {} OutOfScope proposed Disable", alias(&u0))),
        "u0 left the only group that put him in scope: {listed:?}"
    );
    assert!(!enabled(&db, &u0), "the proposal (Disable) was taken");
    let full = SyncSpec {
        full: true,
        ..SyncSpec::refresh()
    };
    let (_, db) = run(&env, &t, &full).await;
    assert!(
        !enabled(&db, &u0),
        "a full sync undid the administrator's decision while u0 is still out of scope"
    );
    let lapsed = SyncSpec {
        advance_days: 8,
        ..SyncSpec::refresh()
    };
    env.emulator
        .clock()
        .advance(lapsed.advance_days * crate::DAY);
    let (_, db) = run(&env, &t, &SyncSpec::refresh()).await;
    assert!(
        !enabled(&db, &u0),
        "the sync after the 7-day window undid the administrator's decision"
    );
    let add = Change::AddMember {
        group: group.clone(),
        member: u0.clone(),
    };
    change(&env, &mut t, add).await;
    let (_, db) = run(&env, &t, &SyncSpec::refresh()).await;
    assert!(
        enabled(&db, &u0),
        "u0 is back in scope and enabled in Entra ID: the decision no longer holds"
    );
}
