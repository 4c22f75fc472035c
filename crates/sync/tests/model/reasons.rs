//! The scope's reasons as explicit scenarios, asserting on `azure_scope_reasons` read with
//! SQL: a root group renamed, a user moved between nested groups, a nested group taken out of
//! its parent, a root group deleted in Entra ID. After each synchronization the reasons are
//! also those a copy synchronized with `full: true` stores (incremental ≡ full).
//!
//! Paths hold group names (migration 0004: "the path of group names it goes through ('' for
//! the root itself)"), so a rename shows in the paths through the group while the (object,
//! root) pairs stay. Each tenant here has one shortest path per object and root, so the
//! paths are asserted exactly.

use crate::Env;
use crate::db::{self, StoredReasons};
use crate::driver::sync;
use crate::generate::SyncSpec;
use crate::regress::{change, check_deleted, run, select_groups, tenant};
use crate::tenant::{Change, Id, Tenant, alias, group_id, user_id};
use std::collections::BTreeMap;

/// Reasons by alias (`u1` → `g0` → "Group 0 / Group 1"), as a failure prints them.
type Named = BTreeMap<String, BTreeMap<String, String>>;

fn named(reasons: &StoredReasons) -> Named {
    reasons
        .iter()
        .map(|(object, roots)| {
            let roots = roots
                .iter()
                .map(|(root, path)| (alias(root), path.clone()))
                .collect();
            (alias(object), roots)
        })
        .collect()
}

fn expect(reasons: &[(&Id, &Id, &str)]) -> Named {
    let mut out = Named::new();
    for (object, root, path) in reasons {
        out.entry(alias(object))
            .or_default()
            .insert(alias(root), (*path).to_owned());
    }
    out
}

/// The database's reasons are `want`, and a copy synchronized with `full: true` stores the
/// same.
async fn assert_reasons(env: &Env, t: &Tenant, want: &[(&Id, &Id, &str)], after: &str) {
    let tenant = env.emulator.tenant_id();
    let got = db::reasons(&env.store, &tenant);
    assert_eq!(named(&got), expect(want), "the reasons after {after}");
    let (copy, path) = env.copy("full.sqlite3");
    let full = SyncSpec {
        full: true,
        ..SyncSpec::refresh()
    };
    sync(env, &copy, t, &full).await.expect("full sync");
    let full = db::reasons(&copy, &tenant);
    drop(copy);
    std::fs::remove_file(&path).expect("the copy is removed");
    assert_eq!(
        named(&got),
        named(&full),
        "after {after}: the reasons (left) and those a full sync stores (right)"
    );
}

/// A root group renamed in Entra ID: every object keeps its reason from the root, and the
/// paths through it name it anew (every sync recomputes them); then a nested group renamed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_renamed_root_keeps_its_reasons_and_the_paths_name_it_anew() {
    let (u0, u1) = (user_id(0), user_id(1));
    let (root, team) = (group_id(0), group_id(1));
    let mut t = tenant(2, &[&[u0.clone(), team.clone()], std::slice::from_ref(&u1)]);
    let env = Env::start(&t).await;
    run(&env, &t, &select_groups(std::slice::from_ref(&root), true)).await;
    let before = [
        (&root, &root, ""),
        (&team, &root, "Group 0"),
        (&u0, &root, "Group 0"),
        (&u1, &root, "Group 0 / Group 1"),
    ];
    assert_reasons(&env, &t, &before, "the first sync").await;
    let rename = |group: &Id, name: &str| Change::RenameGroup {
        group: group.clone(),
        name: name.into(),
    };
    change(&env, &mut t, rename(&root, "Sales")).await;
    run(&env, &t, &SyncSpec::refresh()).await;
    let renamed = [
        (&root, &root, ""),
        (&team, &root, "Sales"),
        (&u0, &root, "Sales"),
        (&u1, &root, "Sales / Group 1"),
    ];
    assert_reasons(&env, &t, &renamed, "the root's rename").await;
    change(&env, &mut t, rename(&team, "EMEA")).await;
    run(&env, &t, &SyncSpec::refresh()).await;
    let renamed = [
        (&root, &root, ""),
        (&team, &root, "Sales"),
        (&u0, &root, "Sales"),
        (&u1, &root, "Sales / EMEA"),
    ];
    assert_reasons(&env, &t, &renamed, "the nested group's rename").await;
}

/// A user moved from one nested group to another deeper one: the same root, the new path.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_moved_between_nested_groups_gets_the_new_path() {
    let u0 = user_id(0);
    let (root, a, b, c) = (group_id(0), group_id(1), group_id(2), group_id(3));
    let mut t = tenant(
        1,
        &[
            &[a.clone(), b.clone()],
            std::slice::from_ref(&u0),
            std::slice::from_ref(&c),
            &[],
        ],
    );
    let env = Env::start(&t).await;
    run(&env, &t, &select_groups(std::slice::from_ref(&root), true)).await;
    let groups = [
        (&root, &root, ""),
        (&a, &root, "Group 0"),
        (&b, &root, "Group 0"),
        (&c, &root, "Group 0 / Group 2"),
    ];
    let with = |user_path| {
        let mut all = groups.to_vec();
        all.push((&u0, &root, user_path));
        all
    };
    assert_reasons(&env, &t, &with("Group 0 / Group 1"), "the first sync").await;
    let (from, to) = (a.clone(), c.clone());
    let remove = Change::RemoveMember {
        group: from,
        member: u0.clone(),
    };
    change(&env, &mut t, remove).await;
    let add = Change::AddMember {
        group: to,
        member: u0.clone(),
    };
    change(&env, &mut t, add).await;
    run(&env, &t, &SyncSpec::refresh()).await;
    let moved = with("Group 0 / Group 2 / Group 3");
    assert_reasons(&env, &t, &moved, "the move").await;
}

/// A nested group taken out of its parent: it and the users only it put in scope lose their
/// reason (and the next check lists those users out of scope); a user also reached another
/// way keeps the root with the other path.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nested_group_taken_out_takes_its_users_reasons() {
    let (u0, u1, u2) = (user_id(0), user_id(1), user_id(2));
    let (root, out, other, deep) = (group_id(0), group_id(1), group_id(2), group_id(3));
    let mut t = tenant(
        3,
        &[
            &[u0.clone(), out.clone(), other.clone()],
            &[u1.clone(), u2.clone()],
            std::slice::from_ref(&deep),
            std::slice::from_ref(&u2),
        ],
    );
    let env = Env::start(&t).await;
    run(&env, &t, &select_groups(std::slice::from_ref(&root), true)).await;
    let stay = [
        (&root, &root, ""),
        (&other, &root, "Group 0"),
        (&deep, &root, "Group 0 / Group 2"),
        (&u0, &root, "Group 0"),
    ];
    let mut before = stay.to_vec();
    before.extend([
        (&out, &root, "Group 0"),
        (&u1, &root, "Group 0 / Group 1"),
        (&u2, &root, "Group 0 / Group 1"),
    ]);
    assert_reasons(&env, &t, &before, "the first sync").await;
    let remove = Change::RemoveMember {
        group: root.clone(),
        member: out.clone(),
    };
    change(&env, &mut t, remove).await;
    run(&env, &t, &SyncSpec::refresh()).await;
    let mut after = stay.to_vec();
    after.push((&u2, &root, "Group 0 / Group 2 / Group 3"));
    assert_reasons(&env, &t, &after, "the un-nesting").await;
    let (listed, _) = run(&env, &t, &check_deleted()).await;
    let out_of_scope: Vec<&String> = listed.iter().filter(|l| l.contains("OutOfScope")).collect();
    assert_eq!(
        out_of_scope,
        [&format!("user {} OutOfScope proposed Disable", alias(&u1))],
        "u1 has no reason left, u2 still has one: {listed:?}"
    );
}

/// The roots the database keeps, by alias.
fn roots(env: &Env) -> Vec<String> {
    let writer = env.store.writer();
    let ids: Vec<String> = writer
        .connection()
        .prepare("SELECT object_id FROM azure_scope_roots WHERE tenant_id = ?1 ORDER BY 1")
        .expect("roots")
        .query_map([env.emulator.tenant_id()], |r| r.get(0))
        .expect("roots")
        .collect::<Result<_, _>>()
        .expect("roots");
    ids.iter().map(|id| alias(id)).collect()
}

/// A root group deleted in Entra ID stays a root ("kept until an administrator takes one
/// out") and keeps its own reason, but as a deleted group it has no members: the objects it
/// alone reached lose their reasons, another root's stand. A Microsoft 365 root in the
/// recycle bin likewise, and restoring it brings its users' reasons back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_root_deleted_in_entra_keeps_its_own_reason_and_reaches_nobody() {
    let (u0, u1, u2) = (user_id(0), user_id(1), user_id(2));
    let (root, team, other, m365) = (group_id(0), group_id(1), group_id(2), group_id(3));
    let mut t = tenant(
        3,
        &[
            &[u0.clone(), team.clone()],
            std::slice::from_ref(&u1),
            std::slice::from_ref(&u1),
            std::slice::from_ref(&u2),
        ],
    );
    t.groups.get_mut(&m365).expect("g3").unified = true;
    let env = Env::start(&t).await;
    let selected = [root.clone(), other.clone(), m365.clone()];
    run(&env, &t, &select_groups(&selected, true)).await;
    let stay = [
        (&root, &root, ""),
        (&other, &other, ""),
        (&u1, &other, "Group 2"),
        (&m365, &m365, ""),
    ];
    let mut before = stay.to_vec();
    before.extend([
        (&team, &root, "Group 0"),
        (&u0, &root, "Group 0"),
        (&u1, &root, "Group 0 / Group 1"),
        (&u2, &m365, "Group 3"),
    ]);
    assert_reasons(&env, &t, &before, "the first sync").await;
    let delete = |group: &Id| Change::DeleteGroup {
        group: group.clone(),
    };
    change(&env, &mut t, delete(&root)).await;
    change(&env, &mut t, delete(&m365)).await;
    run(&env, &t, &SyncSpec::refresh()).await;
    assert_reasons(&env, &t, &stay, "the deletes").await;
    assert_eq!(
        roots(&env),
        ["g0", "g2", "g3"],
        "the deleted roots stay roots"
    );
    let restore = Change::RestoreGroup {
        group: m365.clone(),
    };
    change(&env, &mut t, restore).await;
    run(&env, &t, &SyncSpec::refresh()).await;
    let mut restored = stay.to_vec();
    restored.push((&u2, &m365, "Group 3"));
    assert_reasons(&env, &t, &restored, "the restore").await;
}
