//! Faults while reading: a fault once is retried exactly once and the read is the same as
//! without it; a Graph that stays down fails the run with the reason, after a known number of
//! attempts, and the whole use case (read, then apply) leaves every table as it was. A Graph
//! that refuses new change-tracking links fails the run with its answer.

use crate::{Dump, Env, Selection, quiet, start};
use aadsync_directory::graph::GraphError;
use aadsync_directory::graph::retry::RetryPolicy;
use aadsync_store::{DirectoryGroup, DirectoryUser};
use aadsync_sync::engine::{self, SyncError};
use serde_json::json;
use std::collections::BTreeSet;
use std::sync::atomic::Ordering;

/// A read's users and groups in a comparable form (member lists sorted: their order is the
/// order concurrent requests answered in).
fn result(read: &engine::Gathered) -> (Vec<DirectoryUser>, Vec<DirectoryGroup>) {
    let mut groups = read.changes.groups.clone();
    for g in &mut groups {
        if let Some(m) = g.members.as_mut() {
            m.sort();
        }
    }
    groups.sort_by(|a, b| a.object_id.cmp(&b.object_id));
    (read.changes.users.clone(), groups)
}

/// Fails unless the run failed because Graph stayed down: `retries` retries, then given up.
fn assert_gave_up(result: Result<aadsync_store::ApplyReport, SyncError>, retries: u32) {
    match result {
        Err(SyncError::Graph(GraphError::Exhausted { retries: r, .. })) if r == retries => {}
        other => panic!("expected Graph to give up after {retries} retries: {other:?}"),
    }
}

/// The whole database before and after: what a failed run must not change.
async fn failing_run_changes_nothing(
    env: &Env,
    graph: &aadsync_directory::graph::GraphClient,
    selection: &Selection,
    retries: u32,
) {
    let before: Dump = env.dump();
    assert!(
        !before.0["users"].is_empty() && !before.0["sync_runs"].is_empty(),
        "a real state to keep"
    );
    let run = env.sync_like_the_app(graph, selection, false).await;
    // The database first: a run that wrongly succeeds must show what it wrote.
    env.assert_unchanged(&before, "a failed read writes nothing");
    assert_gave_up(run, retries);
}

#[tokio::test]
async fn faults_are_retried_and_a_failed_read_changes_nothing() {
    let env = start().await;
    env.save_org();
    let group_ids = env.ids("/groups?$top=2&$select=id").await;
    let selection = Selection {
        users: vec![],
        groups: group_ids.clone(),
        members: true,
        nested: true,
        ..Default::default()
    };
    // The users the selection brings, from Graph as a plain client sees them.
    let mut expected = BTreeSet::new();
    for g in &group_ids {
        let path = format!("/groups/{g}/transitiveMembers/microsoft.graph.user");
        expected.extend(env.tenant_users(&path, "").await.into_keys());
    }
    env.sync_like_the_app(&env.graph(RetryPolicy::new(6, 100)), &selection, false)
        .await
        .expect("import");
    assert_eq!(
        env.stored_users().into_keys().collect::<BTreeSet<_>>(),
        expected
    );

    // Without a fault: the reference read, and how many `$batch` requests it takes.
    let imported = env.imported();
    env.clear_requests().await;
    let reference = engine::gather(
        &env.graph(RetryPolicy::new(6, 100)),
        &imported,
        &selection,
        &quiet,
    )
    .await
    .expect("reference");
    let batches = env.requests("/v1.0/$batch").await.len();
    assert!(
        batches >= 2,
        "the truncate fault below hits the second batch"
    );
    let read_ids: BTreeSet<String> = reference
        .changes
        .users
        .iter()
        .map(|u| u.object_id.clone())
        .collect();
    assert_eq!(read_ids, expected, "the reference read is the tenant's");

    // Each fault once: one retry, one more request, the same result. A throttled answer is
    // logged as 429; a dropped or cut-off body went out as 200.
    for (fault, failed_status) in [
        (
            json!({"path": "/v1.0/$batch", "kind": "throttle", "retryAfter": "0.1", "times": 1}),
            429,
        ),
        (
            json!({"path": "/v1.0/$batch", "kind": "drop", "times": 1}),
            200,
        ),
        (
            json!({"path": "/v1.0/$batch", "kind": "truncate", "after": 1, "times": 1}),
            200,
        ),
    ] {
        env.clear_requests().await;
        env.control(reqwest::Method::POST, "faults", fault.clone())
            .await;
        let graph = env.graph(RetryPolicy::new(6, 100));
        let read = engine::gather(&graph, &imported, &selection, &quiet)
            .await
            .unwrap_or_else(|e| panic!("{fault}: {e}"));
        assert_eq!(result(&read), result(&reference), "{fault}");
        assert_eq!(graph.stats().retries.load(Ordering::Relaxed), 1, "{fault}");
        let log = env.requests("/v1.0/$batch").await;
        assert_eq!(log.len(), batches + 1, "{fault}: {log:?}");
        assert_eq!(
            log.iter().filter(|s| **s == 429).count(),
            usize::from(failed_status == 429),
            "{fault}: {log:?}"
        );
        env.control(reqwest::Method::DELETE, "faults", json!({}))
            .await;
    }

    // A change in Entra ID the next sync would write, then a service that stays down: three
    // attempts (two retries) of the one `$batch`, and nothing written.
    let member = reference.changes.users[0].object_id.clone();
    env.control(
        reqwest::Method::PATCH,
        &format!("users/{member}"),
        json!({"department": "Moved"}),
    )
    .await;
    env.control(
        reqwest::Method::POST,
        "faults",
        json!({"path": "/v1.0/$batch", "kind": "unavailable", "retryAfter": "0.05"}),
    )
    .await;
    env.clear_requests().await;
    failing_run_changes_nothing(&env, &env.graph(RetryPolicy::new(3, 10)), &selection, 2).await;
    assert_eq!(env.requests("/v1.0/$batch").await, [503, 503, 503]);
}

#[tokio::test]
async fn a_round_of_changes_that_fails_writes_nothing_and_keeps_the_links() {
    let env = start().await;
    env.save_org();
    let graph = env.graph(RetryPolicy::new(3, 10));
    let picked = env.import_users(&graph, 3).await;
    let links = env.links().expect("links");
    env.control(
        reqwest::Method::PATCH,
        &format!("users/{}", picked[0]),
        json!({"department": "Moved"}),
    )
    .await;

    // Without a fault, the round has the moved user and nobody else.
    let reference = env
        .read(&graph, &Selection::default(), Some(&links), None)
        .await;
    assert!(matches!(
        reference.read,
        engine::ReadMode::Incremental { .. }
    ));
    let moved: Vec<(&str, Option<&str>)> = reference
        .changes
        .users
        .iter()
        .map(|u| (u.object_id.as_str(), u.department.as_deref()))
        .collect();
    assert_eq!(moved, [(picked[0].as_str(), Some("Moved"))]);

    // A cut-off answer once: retried once, the same round.
    env.control(
        reqwest::Method::POST,
        "faults",
        json!({"path": "/v1.0/users/delta", "kind": "truncate", "times": 1}),
    )
    .await;
    env.clear_requests().await;
    let graph = env.graph(RetryPolicy::new(3, 10));
    let read = env
        .read(&graph, &Selection::default(), Some(&links), None)
        .await;
    assert!(matches!(read.read, engine::ReadMode::Incremental { .. }));
    assert_eq!(result(&read), result(&reference));
    assert_eq!(graph.stats().retries.load(Ordering::Relaxed), 1);
    assert_eq!(env.requests("/v1.0/users/delta").await.len(), 2);
    env.control(reqwest::Method::DELETE, "faults", json!({}))
        .await;

    // Graph stays down for groups/delta: an error with the reason, every table as it was
    // (the links included), after three attempts.
    env.control(
        reqwest::Method::POST,
        "faults",
        json!({"path": "/v1.0/groups/delta", "kind": "unavailable", "retryAfter": "0.05"}),
    )
    .await;
    env.clear_requests().await;
    failing_run_changes_nothing(&env, &graph, &Selection::default(), 2).await;
    assert_eq!(env.requests("/v1.0/groups/delta").await, [503, 503, 503]);
    assert_eq!(env.links(), Some(links));
}

#[tokio::test]
async fn a_graph_refusing_new_links_fails_the_run_with_its_error_and_writes_nothing() {
    let env = start().await;
    env.save_org();
    let picked = env.tenant_users("/users?$top=3", "").await;
    let selection = Selection {
        users: picked.keys().cloned().collect(),
        ..Selection::default()
    };
    let graph = env.graph(RetryPolicy::new(3, 10));
    env.sync_like_the_app(&graph, &selection, false)
        .await
        .expect("first import");

    // Any error taking new links (`$deltatoken=latest`) is Graph's answer to report, never a
    // quiet "compare everything from now on": only an expired round means that.
    for (status, code) in [
        (400, "Request_UnsupportedQuery"),
        (404, "Request_ResourceNotFound"),
        (405, "Request_BadRequest"),
        (501, "NotImplemented"),
    ] {
        env.control(
            reqwest::Method::POST,
            "faults",
            json!({"path": "*deltatoken=latest*", "kind": "error", "status": status, "code": code}),
        )
        .await;
        let before: Dump = env.dump();
        let run = env.sync_like_the_app(&graph, &selection, true).await;
        env.assert_unchanged(&before, "a refused read writes nothing");
        match run {
            Err(SyncError::Graph(GraphError::Http {
                status: s, code: c, ..
            })) if s == status && c == code => {}
            other => panic!("{status} {code}: expected the error, got {other:?}"),
        }
        env.control(reqwest::Method::DELETE, "faults", json!({}))
            .await;
    }

    // A server error that outlasts the retries is a failure: nothing written.
    env.control(
        reqwest::Method::POST,
        "faults",
        json!({"path": "*deltatoken=latest*", "kind": "unavailable", "retryAfter": "0.01"}),
    )
    .await;
    let first = picked.keys().next().expect("picked");
    env.control(
        reqwest::Method::PATCH,
        &format!("users/{first}"),
        json!({"department": "Moved"}),
    )
    .await;
    env.clear_requests().await;
    let before: Dump = env.dump();
    let run = env
        .sync_like_the_app(&env.graph(RetryPolicy::new(3, 10)), &selection, true)
        .await;
    env.assert_unchanged(&before, "a failed read writes nothing");
    assert_gave_up(run, 2);
    assert_eq!(env.requests("/v1.0/users/delta").await, [503, 503, 503]);
}
