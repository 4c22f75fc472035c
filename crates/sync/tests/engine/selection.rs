//! What a selection imports: exactly the tenant's users and group members, with their group
//! path, the group and its memberships (a group without its members brings no user); a user
//! selected directly, by object ID or UPN, is no longer imported via a group; a selected group
//! Entra ID does not have fails the run; a rename in Entra ID updates the same row; users
//! deleted on the server stay deleted until re-imported; users restored in Entra ID come back
//! as the same server user.

use crate::{Env, Selection, planned, quiet, start, written};
use aadsync_directory::graph::retry::RetryPolicy;
use aadsync_sync::clock::SystemClock;
use aadsync_sync::engine::{self, SyncError};
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

#[tokio::test]
async fn select_preview_apply_and_a_rename_updates_the_same_user() {
    let env = start().await;
    let graph = env.graph(RetryPolicy::new(6, 100));
    // The tenant's first three users are selected directly.
    let picked = env.tenant_users("/users?$top=3", "").await;
    assert_eq!(picked.len(), 3);
    let groups = env
        .graph_json("/groups?$top=1&$select=id,displayName")
        .await;
    let group_id = groups["value"][0]["id"].as_str().expect("group").to_owned();
    let group_name = groups["value"][0]["displayName"]
        .as_str()
        .expect("name")
        .to_owned();
    let selection = Selection {
        users: picked.keys().cloned().collect(),
        groups: vec![group_id.clone()],
        members: true,
        nested: false,
        ..Default::default()
    };

    // What the database must hold, from Graph as a plain client sees it: the picked users
    // (selected directly), the group's user members not picked (imported via the group), the
    // group, and one membership per member (picked or not).
    let members = env
        .tenant_users(
            &format!("/groups/{group_id}/members/microsoft.graph.user"),
            &group_name,
        )
        .await;
    let mut expected_users = members.clone();
    expected_users.extend(picked.clone());
    let expected_memberships: BTreeSet<(String, String)> = members
        .keys()
        .map(|m| (group_id.clone(), m.clone()))
        .collect();
    assert!(
        members.len() > 1 && expected_users.len() > members.len(),
        "the fixture has a group with members and picked users outside it"
    );

    let imported = env.imported();
    let changes = engine::gather(&graph, &imported, &selection, &quiet)
        .await
        .expect("gather")
        .changes;
    let preview = engine::preview(&env.store, &env.run().tenant_id, &changes).expect("preview");
    assert_eq!(
        (
            preview.counts.created,
            preview.counts.updated,
            preview.counts.failed
        ),
        (expected_users.len() as u64 + 1, 0, 0),
        "every user and the group are new"
    );
    let before = env.stored_objects();
    assert!(before.is_empty());
    let (_, backup) = engine::apply(&env.store, &env.run(), &changes, &quiet).expect("apply");
    assert!(
        backup.is_some_and(|b| b.is_file()),
        "a backup precedes the organization's first apply"
    );

    assert_eq!(env.stored_users(), expected_users);
    let (stored_groups, memberships) = env.stored_groups();
    assert_eq!(
        stored_groups,
        BTreeMap::from([(group_id.clone(), group_name.clone())])
    );
    assert_eq!(memberships, expected_memberships);
    // What was previewed is what happened, as the database shows it.
    let after = env.stored_objects();
    let (created, updated) = written(&before, &after);
    assert_eq!(
        (created, updated),
        planned(&preview),
        "the preview's creations are the new rows"
    );

    // Rename the first picked user in Entra ID: the next sync (nothing selected) updates that
    // row and no other.
    let first = picked.keys().next().expect("picked").clone();
    let renamed = format!("renamed.{}@contoso.com", &first[..8]);
    env.control(
        reqwest::Method::PATCH,
        &format!("users/{first}"),
        json!({"userPrincipalName": renamed, "department": "Renamed Dept"}),
    )
    .await;
    let imported = env.imported();
    let changes = engine::gather(&graph, &imported, &Selection::default(), &quiet)
        .await
        .expect("refresh")
        .changes;
    let preview = engine::preview(&env.store, &env.run().tenant_id, &changes).expect("preview");
    let before = env.stored_objects();
    engine::apply(&env.store, &env.run(), &changes, &quiet).expect("apply");
    let after = env.stored_objects();
    let (created, updated) = written(&before, &after);
    assert_eq!((created.clone(), updated.clone()), planned(&preview));
    assert_eq!(
        (created, updated),
        (BTreeSet::new(), BTreeSet::from([first.clone()]))
    );
    expected_users.get_mut(&first).expect("first").account_name = renamed;
    assert_eq!(env.stored_users(), expected_users, "the same row, renamed");
    let department = env
        .store
        .writer()
        .connection()
        .query_row(
            "SELECT department FROM azure_users WHERE object_id = ?1",
            [&first],
            |r| r.get::<_, String>(0),
        )
        .expect("department");
    assert_eq!(department, "Renamed Dept");
}

#[tokio::test]
async fn a_user_deleted_on_the_server_is_not_brought_back_silently() {
    let env = start().await;
    let graph = env.graph(RetryPolicy::new(4, 50));
    let groups = env.graph_json("/groups?$top=1&$select=id").await;
    let group_id = groups["value"][0]["id"].as_str().expect("group").to_owned();
    let selection = Selection {
        users: vec![],
        groups: vec![group_id],
        members: true,
        nested: false,
        ..Default::default()
    };
    let gather = |selection: Selection| {
        let (graph, env) = (graph.clone(), &env);
        async move {
            let imported = env.imported();
            engine::gather(&graph, &imported, &selection, &quiet)
                .await
                .expect("gather")
        }
    };
    let first = gather(selection.clone()).await;
    engine::apply(&env.store, &env.run(), &first.changes, &quiet).expect("import");
    let before = env.store.reader().count_users().expect("count");

    // The admin deletes one imported member on the server.
    let rows = env.store.reader().user_rows().expect("rows");
    let victim = rows[0].clone();
    let victim_oid = env
        .store
        .reader()
        .user(victim.id)
        .expect("user")
        .azure
        .expect("azure")
        .object_id;
    env.store.writer().delete_user(victim.id).expect("delete");

    // The same group again: the member stays deleted, and is reported.
    let again = gather(selection.clone()).await;
    let left_out: Vec<&str> = again
        .tombstoned
        .iter()
        .map(|u| u.object_id.as_str())
        .collect();
    assert_eq!(left_out, [victim_oid.as_str()]);
    assert!(
        again
            .changes
            .users
            .iter()
            .all(|u| u.object_id != victim_oid)
    );
    let (report, _) = engine::apply(&env.store, &env.run(), &again.changes, &quiet).expect("apply");
    assert_eq!(report.counts.created, 0);
    assert_eq!(env.store.reader().count_users().expect("count"), before - 1);
    assert!(!env.stored_users().contains_key(&victim_oid));

    // Re-import: back as a new server user, and the tombstone is gone.
    let mut changes = again.changes.clone();
    changes.users.extend(again.tombstoned.clone());
    let (report, _) = engine::apply(&env.store, &env.run(), &changes, &quiet).expect("reimport");
    assert_eq!(report.counts.created, 1);
    assert_eq!(env.store.reader().count_users().expect("count"), before);
    assert!(env.stored_users().contains_key(&victim_oid));
    let imported = env.imported();
    assert!(imported.tombstones.is_empty());
}

#[tokio::test]
async fn a_user_restored_in_entra_id_comes_back_as_the_same_server_user() {
    let env = start().await;
    let graph = env.graph(RetryPolicy::new(4, 50));
    let picked = env.ids("/users?$top=3&$select=id").await;
    let selection = Selection {
        users: picked.clone(),
        ..Selection::default()
    };
    let imported = env.imported();
    let read = engine::gather(&graph, &imported, &selection, &quiet)
        .await
        .expect("gather");
    engine::apply(&env.store, &env.run(), &read.changes, &quiet).expect("import");
    let server_id = |env: &Env| env.imported().users[&picked[1]].user_id;
    let before = server_id(&env);

    // Deleted in Entra ID (recycle bin) → disabled on the server with the reason recorded.
    env.control(
        reqwest::Method::DELETE,
        &format!("users/{}", picked[1]),
        json!({}),
    )
    .await;
    let imported = env.imported();
    let read = engine::gather(&graph, &imported, &Selection::default(), &quiet)
        .await
        .expect("gather");
    let found = engine::check_deleted(&graph, &imported, &read, &SystemClock)
        .await
        .expect("check");
    let mut changes = read.changes.clone();
    changes.removals = engine::removals(&found);
    engine::apply(&env.store, &env.run(), &changes, &quiet).expect("disable");
    let details = env
        .store
        .reader()
        .user(aadsync_store::UserId(before))
        .expect("user");
    assert!(!details.enabled);
    assert_eq!(
        details.azure.as_ref().and_then(|a| a.deleted_in_directory),
        Some(aadsync_store::DirectoryDeletion::SoftDeleted)
    );

    // Restored in Entra ID: the next sync enables the same server user and clears the mark.
    env.control(
        reqwest::Method::POST,
        &format!("users/{}/restore", picked[1]),
        json!({}),
    )
    .await;
    let imported = env.imported();
    let read = engine::gather(&graph, &imported, &Selection::default(), &quiet)
        .await
        .expect("gather");
    assert!(read.missing_users.is_empty());
    let (report, _) = engine::apply(&env.store, &env.run(), &read.changes, &quiet).expect("apply");
    assert_eq!(report.counts.created, 0);
    assert_eq!(server_id(&env), before, "the same server user");
    let details = env
        .store
        .reader()
        .user(aadsync_store::UserId(before))
        .expect("user");
    assert!(details.enabled, "enabled again, as in Entra ID");
    assert_eq!(details.azure.and_then(|a| a.deleted_in_directory), None);
}

#[tokio::test]
async fn reading_users_reports_each_user_read_once() {
    let env = start().await;
    let graph = env.graph(RetryPolicy::new(4, 50));
    let imported = env.import_users(&graph, 3).await;
    // Five users not imported yet and one imported earlier (selected again): one read each.
    let tenant = env.ids("/users?$top=8&$select=id").await;
    let selection = Selection {
        users: tenant[2..].to_vec(),
        ..Selection::default()
    };
    let read: BTreeSet<&String> = imported.iter().chain(&selection.users).collect();
    assert_eq!(read.len(), 8);

    let events = Mutex::new(Vec::new());
    let record = |p: engine::Progress| events.lock().unwrap().push(p);
    engine::gather(&graph, &env.imported(), &selection, &record)
        .await
        .expect("gather");
    let done: Vec<u64> = events
        .into_inner()
        .unwrap()
        .into_iter()
        .filter(|p| p.phase == engine::Phase::ReadingUsers)
        .map(|p| p.done)
        .collect();
    assert_eq!(done.last(), Some(&(read.len() as u64)), "{done:?}");
}

#[tokio::test]
async fn a_member_selected_directly_by_id_or_upn_is_no_longer_imported_via_the_group() {
    let env = start().await;
    let graph = env.graph(RetryPolicy::new(4, 50));
    let groups = env
        .graph_json("/groups?$top=1&$select=id,displayName")
        .await;
    let group_id = groups["value"][0]["id"].as_str().expect("group").to_owned();
    let group_name = groups["value"][0]["displayName"].as_str().expect("name");
    let members = env
        .tenant_users(
            &format!("/groups/{group_id}/members/microsoft.graph.user"),
            group_name,
        )
        .await;
    assert!(members.len() >= 3, "a group with a few members");
    env.import(
        &graph,
        &Selection {
            groups: vec![group_id],
            members: true,
            ..Selection::default()
        },
    )
    .await;
    assert_eq!(env.stored_users(), members);

    // One member picked by object ID, another by UPN (as `aadsync sync --user` passes it),
    // and a user outside the group by UPN.
    let mut rows = members.values();
    let (by_id, by_upn) = (rows.next().expect("member"), rows.next().expect("member"));
    let outsider = env
        .tenant_users("/users?$top=20", "")
        .await
        .into_values()
        .find(|u| !members.contains_key(&u.object_id))
        .expect("a user outside the group");
    let selection = Selection {
        users: vec![
            by_id.object_id.clone(),
            by_upn.account_name.clone(),
            outsider.account_name.clone(),
        ],
        ..Selection::default()
    };
    let mut expected = members.clone();
    for id in [&by_id.object_id, &by_upn.object_id] {
        expected.get_mut(id).expect("member").imported_via = String::new();
    }
    expected.insert(outsider.object_id.clone(), outsider);
    env.import(&graph, &selection).await;
    assert_eq!(env.stored_users(), expected);
}

#[tokio::test]
async fn selecting_a_group_entra_id_no_longer_has_fails_and_writes_nothing() {
    let env = start().await;
    env.save_org();
    let graph = env.graph(RetryPolicy::new(4, 50));
    env.import_users(&graph, 2).await;
    // Picked in the search, then deleted for good in Entra ID before the sync.
    let gone = env.ids("/groups?$top=1&$select=id").await.remove(0);
    env.control(
        reqwest::Method::DELETE,
        &format!("groups/{gone}?hard=true"),
        json!({}),
    )
    .await;
    let selection = Selection {
        groups: vec![gone.clone()],
        members: true,
        ..Selection::default()
    };
    let before = env.dump();
    let run = env.sync_like_the_app(&graph, &selection, false).await;
    env.assert_unchanged(&before, "a selection that cannot be read writes nothing");
    match run {
        Err(SyncError::NotFound { kind: "group", id }) if id == gone => {}
        other => panic!("expected the group {gone} not found: {other:?}"),
    }
}

#[tokio::test]
async fn a_group_selected_without_its_members_brings_no_users() {
    let env = start().await;
    let graph = env.graph(RetryPolicy::new(4, 50));
    let groups = env
        .graph_json("/groups?$top=1&$select=id,displayName")
        .await;
    let group_id = groups["value"][0]["id"].as_str().expect("group").to_owned();
    let group_name = groups["value"][0]["displayName"]
        .as_str()
        .expect("name")
        .to_owned();
    let members = env
        .ids(&format!(
            "/groups/{group_id}/members/microsoft.graph.user?$select=id&$top=999"
        ))
        .await;
    assert!(members.len() >= 2, "a group with members");
    let outsider = env
        .ids("/users?$top=20&$select=id")
        .await
        .into_iter()
        .find(|id| !members.contains(id))
        .expect("a user outside the group");
    // One member imported earlier, directly: the only membership the group can have here.
    env.import(
        &graph,
        &Selection {
            users: vec![members[0].clone(), outsider],
            ..Selection::default()
        },
    )
    .await;
    let users = env.stored_users();

    env.import(
        &graph,
        &Selection {
            groups: vec![group_id.clone()],
            members: false,
            ..Selection::default()
        },
    )
    .await;
    assert_eq!(env.stored_users(), users, "no member imported");
    assert_eq!(
        env.stored_groups(),
        (
            BTreeMap::from([(group_id.clone(), group_name)]),
            BTreeSet::from([(group_id, members[0].clone())])
        )
    );
}

/// Past `LIST_INSTEAD_OF_BATCH` user IDs (and a quarter of that for groups) the engine lists the
/// whole collection instead of asking for the IDs in `$batch`es. Both ways must read the same
/// objects: the same selection read past the thresholds and read in chunks below them.
#[tokio::test]
async fn listing_and_batching_read_the_same_objects() {
    use aadsync_sync::engine::LIST_INSTEAD_OF_BATCH;
    let (users, groups) = (LIST_INSTEAD_OF_BATCH + 50, LIST_INSTEAD_OF_BATCH / 4 + 10);
    let env = crate::start_with(users, groups).await;
    let graph = env.graph(RetryPolicy::new(4, 50));
    let tenant = aadsync_emulator::generate(aadsync_emulator::GeneratorConfig {
        users,
        groups,
        seed: 3,
    });
    let user_ids: Vec<String> = tenant.users.iter().map(|u| u.id.clone()).collect();
    let group_ids: Vec<String> = tenant.groups.iter().map(|g| g.id.clone()).collect();
    let read = |users: &[String], groups: &[String]| {
        let selection = Selection {
            users: users.to_vec(),
            groups: groups.to_vec(),
            members: false,
            nested: false,
            ..Default::default()
        };
        let graph = &graph;
        let imported = env.imported();
        async move {
            engine::gather(graph, &imported, &selection, &|_| {})
                .await
                .expect("gather")
                .changes
        }
    };
    let listed = read(&user_ids, &group_ids).await;
    let mut batched_users = Vec::new();
    let mut batched_groups = Vec::new();
    for (u, g) in user_ids
        .chunks(LIST_INSTEAD_OF_BATCH)
        .zip(group_ids.chunks(LIST_INSTEAD_OF_BATCH / 4))
    {
        let part = read(u, g).await;
        batched_users.extend(part.users);
        batched_groups.extend(part.groups);
    }
    let by_id = |mut users: Vec<aadsync_store::DirectoryUser>| {
        users.sort_by(|a, b| a.object_id.cmp(&b.object_id));
        users
    };
    let listed_users = by_id(listed.users);
    assert_eq!(listed_users.len(), users, "every selected user");
    assert_eq!(listed_users, by_id(batched_users));
    let ids = |groups: &[aadsync_store::DirectoryGroup]| -> Vec<(String, String)> {
        let mut ids: Vec<_> = groups
            .iter()
            .map(|g| (g.object_id.clone(), g.display_name.clone()))
            .collect();
        ids.sort();
        ids
    };
    let mut expected: Vec<(String, String)> = tenant
        .groups
        .iter()
        .map(|g| (g.id.clone(), g.display_name.clone()))
        .collect();
    expected.sort();
    assert_eq!(ids(&listed.groups), expected, "every selected group");
    assert_eq!(ids(&batched_groups), expected);
}
