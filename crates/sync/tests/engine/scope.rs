//! The saved scope changed by the administrator: a group root taken out of the scope is deleted
//! by the run itself (the roots table, the audit log, the run's changeset: an undo puts it
//! back), and its members leave the scope — left as they are without *Check deleted objects*,
//! decided about with it.

use crate::{Env, Selection, start};
use aadsync_directory::graph::retry::RetryPolicy;
use aadsync_store::UndoChoices;

/// The first group of the tenant with at least three user members, and those members.
async fn a_group_with_members(env: &Env) -> (String, Vec<String>) {
    for group in env.ids("/groups?$select=id&$top=20").await {
        let mut members = env
            .ids(&format!(
                "/groups/{group}/members/microsoft.graph.user?$select=id&$top=999"
            ))
            .await;
        if members.len() >= 3 {
            members.sort();
            return (group, members);
        }
    }
    panic!("the fixture has a group with members");
}

/// The organization's saved roots, read with SQL: (object ID, members, nested).
fn roots(env: &Env) -> Vec<(String, bool, bool)> {
    let writer = env.store.writer();
    let mut stmt = writer
        .connection()
        .prepare(
            "SELECT object_id, members, nested FROM azure_scope_roots
             WHERE tenant_id = ?1 ORDER BY object_id",
        )
        .expect("roots");
    stmt.query_map([env.run().tenant_id], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?))
    })
    .expect("roots")
    .collect::<Result<_, _>>()
    .expect("roots")
}

/// Users with a reason to be in scope, read with SQL.
fn in_scope(env: &Env, ids: &[String]) -> Vec<String> {
    let writer = env.store.writer();
    let mut stmt = writer
        .connection()
        .prepare("SELECT DISTINCT object_id FROM azure_scope_reasons ORDER BY object_id")
        .expect("reasons");
    let all: Vec<String> = stmt
        .query_map([], |r| r.get(0))
        .expect("reasons")
        .collect::<Result<_, _>>()
        .expect("reasons");
    all.into_iter().filter(|id| ids.contains(id)).collect()
}

/// The audit log's skipped items of `run_id` about `object_id` (where a scope change is
/// logged; the object itself may be an item too): (outcome, reason).
fn items(env: &Env, run_id: i64, object_id: &str) -> Vec<(String, String)> {
    let writer = env.store.writer();
    let mut stmt = writer
        .connection()
        .prepare(
            "SELECT outcome, coalesce(reason, '') FROM sync_run_items
             WHERE run_id = ?1 AND object_id = ?2 AND outcome = 'skipped'",
        )
        .expect("items");
    stmt.query_map(rusqlite::params![run_id, object_id], |r| {
        Ok((r.get(0)?, r.get(1)?))
    })
    .expect("items")
    .collect::<Result<_, _>>()
    .expect("items")
}

fn undo(env: &Env, run_id: i64) {
    let mut writer = env.store.writer();
    let preview = writer.undo_preview(run_id).expect("preview");
    writer
        .undo_run(
            run_id,
            &preview.token,
            &UndoChoices::default(),
            "admin@contoso.com",
            &|| false,
        )
        .expect("undo");
}

fn remove(group: &str) -> Selection {
    Selection {
        remove: vec![group.to_owned()],
        ..Selection::default()
    }
}

#[tokio::test]
async fn a_group_taken_out_of_the_scope_leaves_its_users_as_they_are_and_undo_puts_it_back() {
    let env = start().await;
    env.save_org();
    let graph = env.graph(RetryPolicy::new(4, 50));
    let (group, members) = a_group_with_members(&env).await;
    let selection = Selection {
        groups: vec![group.clone()],
        members: true,
        ..Selection::default()
    };
    env.sync_like_the_app(&graph, &selection, false)
        .await
        .expect("import");
    assert_eq!(roots(&env), [(group.clone(), true, false)]);
    assert_eq!(
        in_scope(&env, &members),
        members,
        "reached through the group"
    );
    let users_before = env.stored_users();

    // A run with nothing selected and the saved scope: the scope stays as it is.
    env.sync_like_the_app(&graph, &Selection::default(), false)
        .await
        .expect("refresh");
    assert_eq!(roots(&env), [(group.clone(), true, false)], "kept");
    assert_eq!(in_scope(&env, &members), members, "still reached");

    let before_removal = env.dump();
    let report = env
        .sync_like_the_app(&graph, &remove(&group), false)
        .await
        .expect("remove");
    assert_eq!(roots(&env), [], "the root is deleted by the run");
    assert!(
        in_scope(&env, &members).is_empty(),
        "nobody reached any more"
    );
    assert_eq!(
        env.stored_users(),
        users_before,
        "without Check deleted objects the users stay as they are"
    );
    let logged = items(&env, report.run_id, &group);
    assert_eq!(logged.len(), 1, "{logged:?}");
    assert_eq!(logged[0].0, "skipped");
    assert!(
        logged[0].1.contains("taken out of the saved scope"),
        "{logged:?}"
    );

    undo(&env, report.run_id);
    assert_eq!(
        roots(&env),
        [(group.clone(), true, false)],
        "undo puts it back"
    );
    let mut after = env.dump();
    let mut before = before_removal;
    for audit in [
        "sync_runs",
        "sync_run_items",
        "sync_run_changes",
        "sync_run_change_parts",
        "id_high_water",
    ] {
        before.0.remove(audit);
        after.0.remove(audit);
    }
    // Last-synchronized times of unchanged objects are written outside the changeset.
    for entra in ["azure_users", "azure_groups"] {
        before.0.remove(entra);
        after.0.remove(entra);
    }
    assert!(before == after, "{:#?}", before.differences(&after));
}

#[tokio::test]
async fn with_check_deleted_the_users_leaving_the_scope_are_decided_about() {
    let env = start().await;
    env.save_org();
    let graph = env.graph(RetryPolicy::new(4, 50));
    let (group, members) = a_group_with_members(&env).await;
    let selection = Selection {
        groups: vec![group.clone()],
        members: true,
        ..Selection::default()
    };
    env.sync_like_the_app(&graph, &selection, false)
        .await
        .expect("import");
    assert!(env.stored_users().values().all(|u| u.enabled));

    // The proposed action for a user out of scope is Disable (the safeguard confirmed).
    let report = env
        .sync_like_the_app(&graph, &remove(&group), true)
        .await
        .expect("remove");
    assert_eq!(roots(&env), []);
    let users = env.stored_users();
    for id in &members {
        assert!(!users[id].enabled, "{id} disabled as out of scope");
    }

    undo(&env, report.run_id);
    assert_eq!(
        roots(&env),
        [(group.clone(), true, false)],
        "undo puts it back"
    );
    let users = env.stored_users();
    for id in &members {
        assert!(users[id].enabled, "{id} enabled again by the undo");
    }
}

#[tokio::test]
async fn a_group_roots_flags_set_anew_are_written_by_the_run_and_undone_with_it() {
    let env = start().await;
    env.save_org();
    let graph = env.graph(RetryPolicy::new(4, 50));
    let (group, _) = a_group_with_members(&env).await;
    let selection = Selection {
        groups: vec![group.clone()],
        members: true,
        nested: true,
        ..Selection::default()
    };
    env.sync_like_the_app(&graph, &selection, false)
        .await
        .expect("import");
    assert_eq!(roots(&env), [(group.clone(), true, true)]);

    // Selected again with members only: flags only grow.
    let again = Selection {
        groups: vec![group.clone()],
        members: true,
        ..Selection::default()
    };
    env.sync_like_the_app(&graph, &again, false)
        .await
        .expect("again");
    assert_eq!(roots(&env), [(group.clone(), true, true)], "kept");

    // Nested cleared by the administrator: the run writes it, logs it, and its undo restores it.
    let reflag = Selection {
        reflag: vec![aadsync_store::ScopeRoot {
            kind: aadsync_store::ObjectKind::Group,
            object_id: group.clone(),
            members: true,
            nested: false,
        }],
        ..Selection::default()
    };
    let report = env
        .sync_like_the_app(&graph, &reflag, false)
        .await
        .expect("reflag");
    assert_eq!(roots(&env), [(group.clone(), true, false)]);
    let logged = items(&env, report.run_id, &group);
    assert_eq!(logged.len(), 1, "{logged:?}");
    assert!(
        logged[0].1
            == "saved scope changed to group with members (was: group with members and nested groups)",
        "{logged:?}"
    );
    undo(&env, report.run_id);
    assert_eq!(roots(&env), [(group.clone(), true, true)], "undone");
}
