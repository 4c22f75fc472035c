//! Undo: only the newest synchronization can be undone; undoing it restores the database as
//! it was before that run, and the audit log keeps the undone run.

use crate::{Env, Selection, quiet, start};
use aadsync_directory::graph::retry::RetryPolicy;
use aadsync_store::StoreError;
use aadsync_sync::engine;
use serde_json::json;

#[tokio::test]
async fn the_last_synchronization_can_be_undone_and_the_audit_log_keeps_it() {
    let env = start().await;
    let graph = env.graph(RetryPolicy::new(4, 50));
    let picked = env.ids("/users?$top=5&$select=id").await;
    let selection = Selection {
        users: picked.clone(),
        ..Selection::default()
    };
    let sync = |selection: Selection| {
        let (graph, env) = (graph.clone(), &env);
        async move {
            let imported = env.imported();
            let read = engine::gather(&graph, &imported, &selection, &quiet)
                .await
                .expect("gather");
            engine::apply(&env.store, &env.run(), &read.changes, &quiet)
                .expect("apply")
                .0
        }
    };
    let first = sync(selection).await;
    let original = env
        .graph_json(&format!("/users/{}?$select=jobTitle", picked[0]))
        .await["jobTitle"]
        .as_str()
        .map(str::to_owned);
    assert_ne!(original.as_deref(), Some("Undo me"), "a real change");
    env.control(
        reqwest::Method::PATCH,
        &format!("users/{}", picked[0]),
        json!({"jobTitle": "Undo me"}),
    )
    .await;
    let before_second = env.dump();
    let second = sync(Selection::default()).await;
    let title = |env: &Env| -> Option<String> {
        env.store
            .writer()
            .connection()
            .query_row(
                "SELECT job_title FROM azure_users WHERE object_id = ?1",
                [&picked[0]],
                |r| r.get(0),
            )
            .expect("title")
    };
    assert_eq!(title(&env).as_deref(), Some("Undo me"), "run 2 wrote it");
    let second_items = env.store.reader().run_items(second.run_id).expect("items");
    assert_eq!(second_items.len(), picked.len(), "one item per user");

    // Only the newest run can be undone.
    match env.store.writer().undo_preview(first.run_id) {
        Err(StoreError::Invalid(why)) => assert_eq!(
            why,
            format!(
                "only the last synchronization (run #{}) can be undone",
                second.run_id
            )
        ),
        other => panic!("{other:?}"),
    }
    let preview = env
        .store
        .writer()
        .undo_preview(second.run_id)
        .expect("preview");
    assert_eq!(
        (preview.run.id, preview.later_user_changes),
        (second.run_id, 0)
    );
    let undo = env
        .store
        .writer()
        .undo_run(second.run_id, "admin@contoso.com")
        .expect("undo");

    // Every table but the audit log is as it was before run 2.
    assert_eq!(title(&env), original, "back to before run 2");
    let mut after = env.dump();
    let mut before = before_second;
    for audit in ["sync_runs", "sync_run_items"] {
        before.0.remove(audit);
        after.0.remove(audit);
    }
    assert!(before == after, "{:#?}", before.differences(&after));
    let runs = env.store.reader().runs().expect("runs");
    let summary: Vec<(i64, &str, &str)> = runs
        .iter()
        .map(|r| (r.id, r.kind.as_str(), r.status.as_str()))
        .collect();
    assert_eq!(
        summary,
        [
            (undo, "undo", "succeeded"),
            (second.run_id, "sync", "undone"),
            (first.run_id, "sync", "succeeded")
        ]
    );
    assert_eq!(
        env.store.reader().run_items(second.run_id).expect("items"),
        second_items,
        "the undone run's items are kept"
    );
    // The run before it is now the last one, and its snapshot is there: it can be undone too.
    let preview = env
        .store
        .writer()
        .undo_preview(first.run_id)
        .expect("first run undoable");
    assert_eq!(preview.run.id, first.run_id);
}
