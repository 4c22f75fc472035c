//! "Check deleted objects": users and groups Entra ID deleted (with the exact days left in the
//! recycle bin), disabled or put out of scope are sorted; a recycle bin that cannot be read
//! decides nothing and writes nothing; the admin's decisions reach the database.

use crate::{README_PERMISSIONS, Selection, WITH_GROUP_READ_ALL, quiet, start};
use aadsync_directory::graph::GraphError;
use aadsync_directory::graph::retry::RetryPolicy;
use aadsync_sync::clock::SystemClock;
use aadsync_sync::deleted::{Action, Finding};
use aadsync_sync::engine::{self, SyncError};
use serde_json::json;

#[tokio::test]
async fn deleted_objects_are_sorted_and_only_complete_reads_decide() {
    let env = start().await;
    env.save_org();
    let graph = env.graph(RetryPolicy::new(4, 50));
    let groups = env
        .graph_json("/groups?$top=1&$select=id,displayName")
        .await;
    let group_id = groups["value"][0]["id"].as_str().expect("group").to_owned();
    let members = env
        .graph_json(&format!(
            "/groups/{group_id}/members/microsoft.graph.user?$select=id&$top=999"
        ))
        .await;
    let member_ids: Vec<String> = members["value"]
        .as_array()
        .expect("members")
        .iter()
        .map(|m| m["id"].as_str().expect("id").to_owned())
        .collect();
    assert!(
        member_ids.len() >= 4,
        "the fixture's group has a few members"
    );
    let selection = Selection {
        users: vec![],
        groups: vec![group_id.clone()],
        members: true,
        nested: false,
        ..Default::default()
    };
    env.import(&graph, &selection).await;

    // In Entra ID: soft delete (three and a half days ago), hard delete, disable, and remove
    // one from the group.
    let [soft, hard, off, left] = [0, 1, 2, 3].map(|i| member_ids[i].clone());
    env.delete_days_ago(&format!("users/{soft}"), 3).await;
    env.control(
        reqwest::Method::DELETE,
        &format!("users/{hard}?hard=true"),
        json!({}),
    )
    .await;
    env.control(
        reqwest::Method::PATCH,
        &format!("users/{off}"),
        json!({"accountEnabled": false}),
    )
    .await;
    env.control(
        reqwest::Method::POST,
        &format!("groups/{group_id}/members"),
        json!({"remove": [left.clone(), soft.clone(), hard.clone()]}),
    )
    .await;

    let imported = env.imported();
    let again = Selection::default();
    let read = engine::gather(&graph, &imported, &again, &quiet)
        .await
        .expect("gather");
    let mut found = engine::check_deleted(&graph, &imported, &read, &SystemClock)
        .await
        .expect("check");
    let by_id = |id: &str| {
        found
            .iter()
            .find(|o| o.object_id == id)
            .map(|o| o.finding.clone())
    };
    assert_eq!(
        by_id(&soft),
        Some(Finding::SoftDeleted { days_left: 27 }),
        "deleted 3.5 days ago: 3 whole days gone"
    );
    assert_eq!(by_id(&hard), Some(Finding::HardDeleted));
    assert_eq!(by_id(&off), Some(Finding::DisabledInEntra));
    assert!(
        matches!(by_id(&left), Some(Finding::OutOfScope { .. })),
        "{found:?}"
    );
    assert_eq!(found.len(), 4, "{found:?}");

    // The recycle bin cannot be read: the whole use case (read, check, apply) stops with the
    // reason, and nothing is written.
    env.control(
        reqwest::Method::POST,
        "faults",
        json!({"path": "/v1.0/directory/deletedItems/*", "kind": "unavailable", "retryAfter": "0.01"}),
    )
    .await;
    let before = env.dump();
    let run = env
        .sync_like_the_app(&env.graph(RetryPolicy::new(4, 50)), &again, true)
        .await;
    env.assert_unchanged(&before, "no decision without the recycle bin");
    assert!(
        matches!(
            run,
            Err(SyncError::Graph(GraphError::Exhausted { retries: 3, .. }))
        ),
        "{run:?}"
    );
    env.control(reqwest::Method::DELETE, "faults", json!({}))
        .await;

    // The admin keeps the disabled one, deletes the hard-deleted one, disables the rest.
    for o in &mut found {
        o.action = if o.object_id == off {
            Action::Keep
        } else if o.object_id == hard {
            Action::Delete
        } else {
            Action::Disable
        };
    }
    let mut changes = read.changes.clone();
    changes.removals = engine::removals(&found);
    assert_eq!(changes.removals.len(), 3);
    engine::apply(&env.store, &env.run(), &changes, &quiet).expect("apply");
    let users = env.stored_users();
    let mut expected: Vec<&String> = member_ids.iter().filter(|id| **id != hard).collect();
    expected.sort();
    assert_eq!(
        users.keys().collect::<Vec<_>>(),
        expected,
        "only {hard} deleted"
    );
    assert!(!users[&soft].enabled && !users[&left].enabled, "disabled");
    // The members still in the group (the kept one included) are as Entra ID has them.
    let in_group = env
        .tenant_users(
            &format!("/groups/{group_id}/members/microsoft.graph.user"),
            "",
        )
        .await;
    assert!(in_group.contains_key(&off));
    for (id, tenant) in &in_group {
        assert_eq!(users[id].enabled, tenant.enabled, "{id}");
    }
    let tombstones: Vec<String> = env
        .dump()
        .0
        .get("azure_user_tombstones")
        .cloned()
        .unwrap_or_default();
    assert_eq!(tombstones.len(), 1, "{tombstones:?}");
    assert!(tombstones[0].contains(&hard), "{tombstones:?}");
}

#[tokio::test]
async fn groups_deleted_in_entra_id_are_triaged_and_a_restored_group_gets_its_members_back() {
    let env = start().await;
    env.save_org();
    // Deleted groups are read with Group.Read.All ("List deleted items").
    let graph = env.graph_with(WITH_GROUP_READ_ALL, RetryPolicy::new(4, 50));
    let listed = env
        .graph_json("/groups?$top=12&$select=id,groupTypes")
        .await;
    let groups = listed["value"].as_array().expect("groups");
    let kind = |unified: bool| {
        groups
            .iter()
            .find(|g| {
                g["groupTypes"]
                    .as_array()
                    .is_some_and(|t| t.contains(&json!("Unified")) == unified)
            })
            .and_then(|g| g["id"].as_str())
            .expect("a group of that kind")
            .to_owned()
    };
    let (m365, security) = (kind(true), kind(false));
    let selection = Selection {
        groups: vec![m365.clone(), security.clone()],
        members: true,
        ..Selection::default()
    };
    env.import(&graph, &selection).await;
    let members_before = env.imported().groups[&m365]
        .directory
        .members
        .clone()
        .expect("members");
    assert!(!members_before.is_empty());
    let users_before = env.store.reader().count_users().expect("count");

    // A Microsoft 365 group goes to the recycle bin (half a day ago: still 30 whole days
    // left, whatever the clock does meanwhile); a security group is deleted for good.
    env.delete_days_ago(&format!("groups/{m365}"), 0).await;
    env.control(
        reqwest::Method::DELETE,
        &format!("groups/{security}"),
        json!({}),
    )
    .await;
    // Without the check: reported, left alone.
    let (read, report) = env.incremental(&graph).await;
    assert_eq!(read.deleted_in_entra(), 2);
    assert_eq!((report.counts.disabled, report.counts.deleted), (0, 0));

    // With it: both listed after the users, with their state in Entra ID.
    let imported = env.imported();
    let read = env
        .read(
            &graph,
            &Selection::default(),
            env.links().as_ref(),
            Some(engine::FullReason::CheckDeleted),
        )
        .await;
    let mut found = engine::check_deleted(&graph, &imported, &read, &SystemClock)
        .await
        .expect("check");
    found.retain(|o| o.kind == aadsync_store::ObjectKind::Group);
    let by_id = |id: &str| {
        found
            .iter()
            .find(|o| o.object_id == id)
            .expect("listed")
            .clone()
    };
    assert_eq!(by_id(&m365).finding, Finding::SoftDeleted { days_left: 30 });
    assert_eq!(by_id(&security).finding, Finding::HardDeleted);
    for o in &mut found {
        o.action = if o.object_id == m365 {
            Action::Disable
        } else {
            Action::Delete
        };
    }
    let mut changes = read.changes.clone();
    changes.removals = engine::removals(&found);
    let (report, _) = engine::apply(&env.store, &env.run(), &changes, &quiet).expect("apply");
    assert_eq!(
        (report.counts.disabled, report.counts.deleted),
        (1, 1),
        "{:?}",
        report.items
    );
    let imported = env.imported();
    assert!(
        !imported.groups.contains_key(&security),
        "deleted on the server"
    );
    assert_eq!(
        imported.groups[&m365].directory.members,
        Some(vec![]),
        "grants nothing"
    );
    assert!(imported.groups[&m365].deleted_in_directory);
    assert_eq!(
        env.store.reader().count_users().expect("count"),
        users_before,
        "users stay"
    );

    // Restored in Entra ID: the next (incremental) sync gives it its members back.
    env.control(
        reqwest::Method::POST,
        &format!("groups/{m365}/restore"),
        json!({}),
    )
    .await;
    let (read, report) = env.incremental(&graph).await;
    assert!(
        matches!(read.read, engine::ReadMode::Incremental { .. }),
        "{:?}",
        read.read
    );
    assert_eq!(report.counts.failed, 0);
    let imported = env.imported();
    let mut members = imported.groups[&m365]
        .directory
        .members
        .clone()
        .expect("members");
    members.sort();
    let mut expected = members_before.clone();
    expected.sort();
    assert_eq!(members, expected);
    assert!(!imported.groups[&m365].deleted_in_directory, "mark cleared");
}

/// Without `Group.Read.All` (the README's minimal set), Graph refuses the deleted groups: the
/// check still sorts the users, says why groups were skipped, and decides nothing about any
/// group; with it, the same tenant lists the group.
#[tokio::test]
async fn without_group_read_all_users_are_checked_and_groups_skipped_with_the_reason() {
    let env = start().await;
    env.save_org();
    let minimal = env.graph_with(README_PERMISSIONS, RetryPolicy::new(4, 50));
    let listed = env
        .graph_json("/groups?$top=12&$select=id,groupTypes")
        .await;
    let m365 = (listed["value"].as_array().expect("groups").iter())
        .find(|g| {
            g["groupTypes"]
                .as_array()
                .is_some_and(|t| t.contains(&json!("Unified")))
        })
        .and_then(|g| g["id"].as_str())
        .expect("a Microsoft 365 group")
        .to_owned();
    let lone = env.graph_json("/users?$top=30&$select=id").await["value"][25]["id"]
        .as_str()
        .expect("user")
        .to_owned();
    let selection = Selection {
        users: vec![lone.clone()],
        groups: vec![m365.clone()],
        members: true,
        ..Selection::default()
    };
    env.import(&minimal, &selection).await;
    let members_before = env.imported().groups[&m365].directory.members.clone();
    env.delete_days_ago(&format!("groups/{m365}"), 2).await;
    env.delete_days_ago(&format!("users/{lone}"), 2).await;

    let (read, found) = check_with(&env, &minimal).await;
    // Users are checked: the deleted one, and the members the deleted group no longer keeps
    // in scope (read from `/groups`, which the minimal permissions cover). No group at all.
    assert!(
        found
            .objects
            .iter()
            .all(|o| o.kind == aadsync_store::ObjectKind::User),
        "{:?}",
        found.objects
    );
    let lone_finding = (found.objects.iter())
        .find(|o| o.object_id == lone)
        .map(|o| o.finding.clone());
    assert_eq!(lone_finding, Some(Finding::SoftDeleted { days_left: 28 }));
    assert_eq!(found.skipped, vec![engine::GROUPS_SKIPPED.to_owned()]);
    assert!(engine::GROUPS_SKIPPED.contains("Group.Read.All"));
    // The admin's Disable reaches the user; the group, about which nothing was decided, keeps
    // its members and no deletion mark.
    let mut objects = found.objects;
    for o in &mut objects {
        o.action = Action::Disable;
    }
    let mut changes = read.changes.clone();
    changes.removals = engine::removals(&objects);
    engine::apply(&env.store, &env.run(), &changes, &quiet).expect("apply");
    let imported = env.imported();
    assert!(!imported.groups[&m365].deleted_in_directory);
    assert_eq!(imported.groups[&m365].directory.members, members_before);
    assert!(
        !imported.users[&lone].enabled,
        "the deleted user was disabled"
    );

    let full = env.graph_with(WITH_GROUP_READ_ALL, RetryPolicy::new(4, 50));
    let (_, found) = check_with(&env, &full).await;
    assert!(found.skipped.is_empty());
    assert!(
        found.objects.iter().any(|o| o.object_id == m365),
        "{:?}",
        found.objects
    );
}

/// A full read and "Check deleted objects" through `graph`.
async fn check_with(
    env: &crate::Env,
    graph: &aadsync_directory::graph::GraphClient,
) -> (engine::Gathered, engine::DeletedCheck) {
    let imported = env.imported();
    let read = env
        .read(
            graph,
            &Selection::default(),
            env.links().as_ref(),
            Some(engine::FullReason::CheckDeleted),
        )
        .await;
    let found = engine::check_deleted_noting(graph, &imported, &read, &SystemClock)
        .await
        .expect("a check, not a failed run");
    (read, found)
}
