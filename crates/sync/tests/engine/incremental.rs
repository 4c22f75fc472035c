//! Incremental sync: only Graph's changes since the stored links are read, and it ends where
//! a full comparison would (also for a user first imported by it); a round reports only the
//! imported objects Entra ID deleted; links carry the wall-clock time they were taken, and
//! links past Graph's 7-day window (by our clock or Graph's) fall back to a full comparison;
//! a changed group recomputes only the scope roots it is in reach of.

use crate::{Selection, quiet, start, written};
use aadsync_directory::graph::retry::RetryPolicy;
use aadsync_store::ApplyOutcome;
use aadsync_sync::engine;
use serde_json::json;
use std::collections::BTreeSet;

#[tokio::test]
async fn incremental_sync_reads_only_the_changes_and_ends_where_a_full_comparison_would() {
    let env = start().await;
    env.save_org();
    let graph = env.graph(RetryPolicy::new(4, 50));
    let group = env
        .graph_json("/groups?$top=12&$select=id,displayName")
        .await["value"]
        .as_array()
        .expect("groups")
        .iter()
        .map(|g| g["id"].as_str().expect("id").to_owned())
        .find(|_| true)
        .expect("a group");
    let members = env
        .ids(&format!(
            "/groups/{group}/members/microsoft.graph.user?$select=id"
        ))
        .await;
    assert!(members.len() >= 3, "a group with members");
    let picked = env.ids("/users?$top=4&$select=id").await;
    let outsider = picked
        .iter()
        .find(|id| !members.contains(id))
        .expect("a picked user outside the group")
        .clone();
    let selection = Selection {
        users: picked.clone(),
        groups: vec![group.clone()],
        members: true,
        nested: false,
        ..Default::default()
    };

    // First sync: no links yet → a full read, links stored with the run.
    let read = env.read(&graph, &selection, None, None).await;
    assert_eq!(
        read.read,
        engine::ReadMode::Full(engine::FullReason::NoLinks)
    );
    engine::apply(&env.store, &env.run(), &read.changes, &quiet).expect("import");
    let first = env.links().expect("links stored by the sync");
    assert!(first.users.starts_with("/users/delta?"), "{first:?}");

    // Nothing changed: two requests (one round per kind), nothing to write.
    let before = graph
        .stats()
        .requests
        .load(std::sync::atomic::Ordering::Relaxed);
    let (read, report) = env.incremental(&graph).await;
    let used = graph
        .stats()
        .requests
        .load(std::sync::atomic::Ordering::Relaxed)
        - before;
    assert!(
        matches!(read.read, engine::ReadMode::Incremental { .. }),
        "{:?}",
        read.read
    );
    assert_eq!(used, 2, "one round of users/delta and one of groups/delta");
    assert_eq!(
        (
            report.counts.created,
            report.counts.updated,
            report.counts.failed
        ),
        (0, 0, 0)
    );

    // Rename, disable, membership change, soft and hard delete in Entra ID.
    let (renamed, disabled, leaving, soft, hard) = (
        &members[0],
        &members[1],
        &members[2],
        &picked[0],
        &picked[1],
    );
    let new_upn = format!("renamed.{}@contoso.com", &renamed[..8]);
    env.control(
        reqwest::Method::PATCH,
        &format!("users/{renamed}"),
        json!({"userPrincipalName": new_upn}),
    )
    .await;
    env.control(
        reqwest::Method::PATCH,
        &format!("users/{disabled}"),
        json!({"accountEnabled": false}),
    )
    .await;
    env.control(
        reqwest::Method::POST,
        &format!("groups/{group}/members"),
        json!({"add": [outsider], "remove": [leaving]}),
    )
    .await;
    let (soft, hard) = if soft == &outsider || hard == &outsider {
        (&picked[2], &picked[3])
    } else {
        (soft, hard)
    };
    assert!(soft != &outsider && hard != &outsider);
    env.control(reqwest::Method::DELETE, &format!("users/{soft}"), json!({}))
        .await;
    env.control(
        reqwest::Method::DELETE,
        &format!("users/{hard}?hard=true"),
        json!({}),
    )
    .await;

    let before = env.stored_objects();
    let (read, report) = env.incremental(&graph).await;
    assert!(matches!(read.read, engine::ReadMode::Incremental { .. }));
    let mut missing = read.missing_users.clone();
    missing.sort();
    let mut expected = vec![soft.clone(), hard.clone()];
    expected.sort();
    assert_eq!(
        missing, expected,
        "deletions reported, left for Check deleted objects"
    );
    // Exactly the renamed and the disabled user and the group whose members changed were
    // written (the deleted ones wait for Check deleted objects), and the run says so.
    let (created, updated) = written(&before, &env.stored_objects());
    assert_eq!(
        (created, updated.clone()),
        (
            BTreeSet::new(),
            BTreeSet::from([renamed.clone(), disabled.clone(), group.clone()])
        )
    );
    let reported: BTreeSet<String> = report
        .items
        .iter()
        .filter(|i| matches!(i.outcome, ApplyOutcome::Updated { .. }))
        .map(|i| i.object_id.clone())
        .collect();
    assert_eq!(reported, updated);
    let imported = env.imported();
    assert_eq!(
        imported.users[renamed].account_name, new_upn,
        "renamed on the server"
    );
    assert!(!imported.users[disabled].enabled, "disabled as in Entra ID");
    let now_members = imported.groups[&group]
        .directory
        .members
        .clone()
        .expect("members");
    assert!(
        now_members.contains(&outsider) && !now_members.contains(leaving),
        "{now_members:?}"
    );
    assert!(
        imported.users.contains_key(soft),
        "no decision without Check deleted objects"
    );
    assert_ne!(env.links(), Some(first.clone()), "links advanced");

    // Restored in Entra ID: the next round has the user again.
    env.control(
        reqwest::Method::POST,
        &format!("users/{soft}/restore"),
        json!({}),
    )
    .await;
    let (read, _) = env.incremental(&graph).await;
    assert!(read.missing_users.is_empty(), "{:?}", read.missing_users);
    assert!(read.changes.users.iter().any(|u| &u.object_id == soft));

    // The same state a full comparison reaches: it finds nothing to change.
    let imported = env.imported();
    let full = engine::gather(&graph, &imported, &Selection::default(), &quiet)
        .await
        .expect("full");
    let plan = engine::preview(&env.store, &env.run().tenant_id, &full.changes).expect("plan");
    assert_eq!(
        (plan.counts.created, plan.counts.updated, plan.counts.failed),
        (0, 0, 0),
        "{:?}",
        plan.items()
            .filter(|i| i.outcome != ApplyOutcome::Unchanged)
            .collect::<Vec<_>>()
    );
    assert_eq!(full.missing_users, vec![hard.clone()]);
}

#[tokio::test]
async fn expired_change_tracking_links_fall_back_to_a_full_comparison() {
    let env = start().await;
    env.save_org();
    let graph = env.graph(RetryPolicy::new(4, 50));
    let picked = env.import_users(&graph, 5).await;
    let links = env.links().expect("links");

    // Older than 7 days by our own clock: no delta request at all.
    let old = aadsync_store::DeltaLinks {
        taken_at: links.taken_at - 8 * 86_400,
        ..links.clone()
    };
    let read = env
        .read(&graph, &Selection::default(), Some(&old), None)
        .await;
    assert_eq!(
        read.read,
        engine::ReadMode::Full(engine::FullReason::Expired)
    );

    // Graph's clock moved past the window (410 Gone, syncStateNotFound): a full comparison,
    // which still sees the rename, and new links.
    env.emulator.clock().advance(8 * 86_400);
    let graph = env.graph(RetryPolicy::new(4, 50));
    let renamed = format!("late.{}@contoso.com", &picked[2][..8]);
    env.control(
        reqwest::Method::PATCH,
        &format!("users/{}", picked[2]),
        json!({"userPrincipalName": renamed}),
    )
    .await;
    let (read, report) = env.incremental(&graph).await;
    assert_eq!(
        read.read,
        engine::ReadMode::Full(engine::FullReason::Expired)
    );
    assert_eq!(report.counts.updated, 1, "{:?}", report.items);
    assert_eq!(env.imported().users[&picked[2]].account_name, renamed);
    let renewed = env.links().expect("links");
    assert_ne!(renewed.users, links.users);
    let (read, _) = env.incremental(&graph).await;
    assert!(
        matches!(read.read, engine::ReadMode::Incremental { .. }),
        "{:?}",
        read.read
    );

    // A link of another Graph root is never followed with our token.
    for users in ["https://evil.example/v1.0/users/delta?$deltatoken=x"] {
        let odd = aadsync_store::DeltaLinks {
            users: users.into(),
            ..renewed.clone()
        };
        let read = env
            .read(&graph, &Selection::default(), Some(&odd), None)
            .await;
        assert_eq!(
            read.read,
            engine::ReadMode::Full(engine::FullReason::Expired),
            "{users}"
        );
        assert!(read.changes.delta.is_some(), "fresh links");
    }
    // A token Graph cannot read is a 400 other than the documented expiry codes: Graph's error,
    // reported, not a silent full comparison.
    let unreadable = aadsync_store::DeltaLinks {
        users: "/users/delta?$deltatoken=not-a-token".into(),
        ..renewed.clone()
    };
    let read = engine::gather_incremental(
        &graph,
        &env.imported(),
        &Selection::default(),
        Some(&unreadable),
        None,
        &aadsync_sync::clock::SystemClock,
        &crate::quiet,
    )
    .await;
    match read {
        Err(engine::SyncError::Graph(aadsync_directory::graph::GraphError::Http {
            status: 400,
            ..
        })) => {}
        other => panic!("expected Graph's 400: {:?}", other.map(|g| g.read)),
    }
}

#[tokio::test]
async fn a_round_reports_only_the_imported_objects_entra_id_deleted() {
    let env = start().await;
    env.save_org();
    let graph = env.graph(RetryPolicy::new(4, 50));
    let users: Vec<String> = env
        .tenant_users("/users?$top=10", "")
        .await
        .into_values()
        .filter(|u| u.account_name != env.admin)
        .map(|u| u.object_id)
        .collect();
    let groups = env.ids("/groups?$top=2&$select=id").await;
    let (user, other_user, group, other_group) = (&users[0], &users[1], &groups[0], &groups[1]);
    env.import(
        &graph,
        &Selection {
            users: vec![user.clone()],
            groups: vec![group.clone()],
            ..Selection::default()
        },
    )
    .await;
    let before = env.stored_objects();

    // An imported user and group, and a user and group never imported: only the first two
    // concern this database.
    for path in [
        format!("users/{user}"),
        format!("users/{other_user}"),
        format!("groups/{group}?hard=true"),
        format!("groups/{other_group}?hard=true"),
    ] {
        env.control(reqwest::Method::DELETE, &path, json!({})).await;
    }
    let (read, _) = env.incremental(&graph).await;
    assert!(
        matches!(read.read, engine::ReadMode::Incremental { .. }),
        "{:?}",
        read.read
    );
    assert_eq!(
        (read.missing_users, read.missing_groups),
        (vec![user.clone()], vec![group.clone()])
    );
    assert_eq!(
        env.stored_objects().keys().collect::<Vec<_>>(),
        before.keys().collect::<Vec<_>>(),
        "no decision without Check deleted objects"
    );
}

#[tokio::test]
async fn a_user_first_imported_by_an_incremental_sync_gets_memberships_in_unchanged_groups() {
    let env = start().await;
    env.save_org();
    let graph = env.graph(RetryPolicy::new(4, 50));
    let group = env.ids("/groups?$top=1&$select=id").await.remove(0);
    let members = env
        .ids(&format!(
            "/groups/{group}/members/microsoft.graph.user?$select=id&$top=999"
        ))
        .await;
    assert!(members.len() >= 2, "a group with members");
    // The group without its members, and one member selected directly.
    env.import(
        &graph,
        &Selection {
            users: vec![members[0].clone()],
            groups: vec![group.clone()],
            ..Selection::default()
        },
    )
    .await;

    // Nothing changed in Entra ID, so no round reports the group; another member is selected.
    let selection = Selection {
        users: vec![members[1].clone()],
        ..Selection::default()
    };
    let read = env
        .read(&graph, &selection, env.links().as_ref(), None)
        .await;
    assert!(
        matches!(read.read, engine::ReadMode::Incremental { .. }),
        "{:?}",
        read.read
    );
    engine::apply(&env.store, &env.run(), &read.changes, &quiet).expect("apply");
    assert_eq!(
        env.stored_groups().1,
        BTreeSet::from([
            (group.clone(), members[0].clone()),
            (group.clone(), members[1].clone())
        ])
    );

    // Where a full comparison (`aadsync sync --full`) ends: nothing left to change.
    let full = env.full_comparison(&graph).await;
    let plan = engine::preview(&env.store, &env.run().tenant_id, &full.changes).expect("plan");
    assert_eq!(
        (plan.counts.created, plan.counts.updated, plan.counts.failed),
        (0, 0, 0)
    );
}

fn wall_clock() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs() as i64
}

#[tokio::test]
async fn change_tracking_links_carry_the_time_they_were_taken() {
    let env = start().await;
    env.save_org();
    let graph = env.graph(RetryPolicy::new(4, 50));
    // The 7-day window is counted from `taken_at`: it must be the wall clock of the read.
    let start = wall_clock();
    env.import_users(&graph, 2).await;
    let end = wall_clock();
    let first = env.links().expect("links");
    assert!(
        (start..=end).contains(&first.taken_at),
        "{start} ≤ {} ≤ {end}",
        first.taken_at
    );

    let start = wall_clock();
    let (read, _) = env.incremental(&graph).await;
    let end = wall_clock();
    assert_eq!(
        read.read,
        engine::ReadMode::Incremental {
            since: first.taken_at
        }
    );
    let next = env.links().expect("links");
    assert!(
        (start..=end).contains(&next.taken_at),
        "{start} ≤ {} ≤ {end}",
        next.taken_at
    );
}

/// Every stored reason (object, root, path), read with SQL.
fn reasons(env: &crate::Env) -> Vec<(String, String, String)> {
    let writer = env.store.writer();
    let mut stmt = writer
        .connection()
        .prepare("SELECT object_id, root_id, path FROM azure_scope_reasons ORDER BY 1, 2")
        .expect("reasons");
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .expect("reasons")
        .collect::<Result<_, _>>()
        .expect("reasons")
}

/// A membership change in one group recomputes only the roots it is in reach of — the group
/// itself, and a root with *nested* it is inside — and reads no other root's members again;
/// the scope stored is the one a full comparison computes from scratch.
#[tokio::test]
async fn a_changed_group_recomputes_only_the_roots_it_is_in_reach_of() {
    let env = start().await;
    env.save_org();
    let graph = env.graph(RetryPolicy::new(4, 50));
    let groups = env.ids("/groups?$top=999&$select=id,displayName").await;
    let mut department = None;
    for group in &groups {
        let children = env
            .ids(&format!(
                "/groups/{group}/members/microsoft.graph.group?$select=id"
            ))
            .await;
        if let Some(team) = children.first() {
            department = Some((group.clone(), team.clone()));
            break;
        }
    }
    let (department, team) = department.expect("a group with a nested group");
    let others: Vec<String> = groups
        .iter()
        .filter(|g| **g != department && **g != team)
        .cloned()
        .collect();
    assert!(others.len() >= 5, "{others:?}");
    // The department with its nested groups; every other group but the team with members.
    env.import(
        &graph,
        &Selection {
            groups: vec![department.clone()],
            members: true,
            nested: true,
            ..Selection::default()
        },
    )
    .await;
    env.import(
        &graph,
        &Selection {
            groups: others.clone(),
            members: true,
            ..Selection::default()
        },
    )
    .await;

    // An imported user the department does not reach joins the team; a member leaves it.
    let in_team = env
        .ids(&format!(
            "/groups/{team}/members/microsoft.graph.user?$select=id&$top=999"
        ))
        .await;
    let imported = env.imported();
    let joining = imported
        .users
        .keys()
        .filter(|id| {
            imported
                .reasons
                .get(*id)
                .is_none_or(|rs| rs.iter().all(|r| r.root_id != department))
        })
        .min()
        .expect("an imported user outside the department")
        .clone();
    let leaving = in_team.first().expect("a team member").clone();
    env.control(
        reqwest::Method::POST,
        &format!("groups/{team}/members"),
        json!({"add": [joining], "remove": [leaving]}),
    )
    .await;

    env.clear_requests().await;
    let (read, _) = env.incremental(&graph).await;
    assert!(
        matches!(read.read, engine::ReadMode::Incremental { .. }),
        "{:?}",
        read.read
    );
    for group in &others {
        assert_eq!(
            env.requests(&format!("/v1.0/groups/{group}/members*"))
                .await
                .len(),
            0,
            "{group}: a root out of the change's reach is not read again"
        );
    }
    assert!(
        !env.requests(&format!("/v1.0/groups/{team}/members*"))
            .await
            .is_empty(),
        "the changed group is read"
    );
    let incremental = reasons(&env);
    let department_name = imported.groups[&department].directory.display_name.clone();
    let team_name = imported.groups[&team].directory.display_name.clone();
    assert!(
        incremental.contains(&(
            joining.clone(),
            department.clone(),
            format!("{department_name} / {team_name}")
        )),
        "the joining user is reached from the department through the team"
    );

    // A full comparison computes every root from scratch and finds the same reasons.
    let full = env.full_comparison(&graph).await;
    engine::apply(&env.store, &env.run(), &full.changes, &quiet).expect("apply");
    let (full, incremental): (BTreeSet<_>, BTreeSet<_>) = (
        reasons(&env).into_iter().collect(),
        incremental.into_iter().collect(),
    );
    let only_full: Vec<_> = full.difference(&incremental).take(5).collect();
    let only_incremental: Vec<_> = incremental.difference(&full).take(5).collect();
    assert!(
        only_full.is_empty() && only_incremental.is_empty(),
        "reasons only a full comparison computes: {only_full:?}; only the incremental run: {only_incremental:?}"
    );
}
