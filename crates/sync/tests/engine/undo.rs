//! Undo over real Graph reads: undoing the newest synchronization puts every table but the
//! append-only log back as it was before that run; an older run can be undone too, and what a
//! later run changed is a conflict that keeps its newer value.

use crate::{Env, Selection, quiet, start};
use aadsync_directory::graph::retry::RetryPolicy;
use aadsync_store::{Problem, StoreError, UndoChoices};
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
    let entra_before_second = entra_rows(&env);
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

    // An older run meets what the newer one changed: the renamed user is a conflict.
    let older = env
        .store
        .writer()
        .undo_preview(first.run_id)
        .expect("the first run can be undone too");
    let conflicts: Vec<&Problem> = older.conflicts.iter().map(|c| &c.problem).collect();
    assert_eq!(conflicts, [&Problem::ChangedSince], "{:?}", older.conflicts);
    let preview = env
        .store
        .writer()
        .undo_preview(second.run_id)
        .expect("preview");
    assert!(preview.conflicts.is_empty(), "{:?}", preview.conflicts);
    let undo = env
        .store
        .writer()
        .undo_run(
            second.run_id,
            &preview.token,
            &UndoChoices::default(),
            "admin@contoso.com",
            &|| false,
        )
        .expect("undo")
        .undo_run;

    // Every table but the audit log is as it was before run 2.
    assert_eq!(title(&env), original, "back to before run 2");
    let mut after = env.dump();
    let mut before = before_second;
    // The Entra rows are compared below without their last-synchronized time: run 2 writes it
    // for the objects it found unchanged outside its changeset (ARCHITECTURE.md, Undo), so an
    // undo keeps it, and it differs whenever run 2 fell in another second than run 1.
    for audit in [
        "sync_runs",
        "sync_run_items",
        "sync_run_changes",
        "sync_run_change_parts",
        "azure_decisions",
        "id_high_water",
        "azure_users",
        "azure_groups",
    ] {
        before.0.remove(audit);
        after.0.remove(audit);
    }
    assert!(before == after, "{:#?}", before.differences(&after));
    assert_eq!(entra_rows(&env), entra_before_second, "the Entra rows");
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
    // Undone once is enough.
    let again = env.store.writer().undo_preview(second.run_id);
    assert!(
        matches!(&again, Err(StoreError::Invalid(m)) if m.contains("undone already")),
        "{again:?}"
    );
    // With run 2 undone, run 1 meets nothing newer.
    let preview = env
        .store
        .writer()
        .undo_preview(first.run_id)
        .expect("first run undoable");
    assert!(preview.conflicts.is_empty(), "{:?}", preview.conflicts);
}

/// Every imported user's and group's row but its last-synchronized time, read with SQL.
fn entra_rows(env: &Env) -> Vec<String> {
    let writer = env.store.writer();
    let db = writer.connection();
    let mut rows = Vec::new();
    for (table, key) in [("azure_users", "user_id"), ("azure_groups", "group_id")] {
        let columns: Vec<String> = db
            .prepare(&format!("SELECT name FROM pragma_table_info('{table}')"))
            .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
            .expect("columns");
        let kept: Vec<String> = columns
            .into_iter()
            .filter(|c| c != "last_synchronized_at")
            .map(|c| format!("quote({c})"))
            .collect();
        let sql = format!(
            "SELECT {} FROM {table} ORDER BY {key}",
            kept.join(" || ',' || ")
        );
        let mut stmt = db.prepare(&sql).expect("select");
        let found: Vec<String> = stmt
            .query_map([], |r| r.get(0))
            .expect("rows")
            .collect::<Result<_, _>>()
            .expect("rows");
        rows.extend(found.into_iter().map(|r| format!("{table}: {r}")));
    }
    rows
}
