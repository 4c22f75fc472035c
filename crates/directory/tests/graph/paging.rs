//! Paging links from a hostile or broken Graph (small axum stubs over real HTTP): a link to
//! another host is not followed with the token, a link to itself and endless fresh links stop.

use aadsync_directory::auth::Session;
use aadsync_directory::graph::retry::RetryPolicy;
use aadsync_directory::graph::{GraphClient, GraphError};
use aadsync_directory::paging::PagingError;
use aadsync_directory::{ClientId, Cloud, Target, TenantRef};
use aadsync_emulator::demo;
use aadsync_keystore::SecretString;
use axum::extract::{Request, State};
use axum::response::Json;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What a stub saw: each request's path and query and whether it carried `Authorization`.
type Seen = Arc<Mutex<Vec<(String, bool)>>>;
/// How a stub answers: from the request's path and query and the stub's base URL.
type Answer = fn(&str, &str) -> Value;

/// A stub Graph that answers every request with `answer(path_and_query, base_url)`.
async fn stub(answer: Answer) -> (String, Seen) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let seen: Seen = Arc::default();
    let state = (Arc::clone(&seen), base.clone(), answer);
    let app = axum::Router::new()
        .fallback(
            |State((seen, base, answer)): State<(Seen, String, Answer)>,
             request: Request| async move {
                let target = request.uri().to_string();
                let bearer = request.headers().contains_key("authorization");
                seen.lock().expect("seen").push((target.clone(), bearer));
                Json(answer(&target, &base))
            },
        )
        .with_state(state);
    tokio::spawn(async move { axum::serve(listener, app).await });
    (base, seen)
}

fn client(graph_root: &str) -> GraphClient {
    let target = Target::new(
        TenantRef::parse("11111111-2222-3333-4444-555555555555").expect("tenant"),
        ClientId::parse(demo::CLIENT_ID).expect("client"),
        &Cloud::custom(graph_root, graph_root).expect("cloud"),
    )
    .expect("target");
    let session = Session::with_tokens(
        target,
        SecretString::new("secret-bearer".to_owned()),
        Duration::from_secs(3600),
        None,
    );
    GraphClient::with_policy(Arc::new(session), RetryPolicy::new(1, 10), 4).expect("client")
}

fn user(n: u64) -> Value {
    json!({ "id": format!("00000000-0000-0000-0000-{n:012}"), "displayName": format!("User {n}") })
}

async fn listing_error(client: &GraphClient) -> GraphError {
    let mut pages = 0;
    let users = tokio::time::timeout(Duration::from_secs(30), client.users(None, |_| pages += 1))
        .await
        .expect("the listing ends");
    users.expect_err("the listing fails")
}

static OTHER: Mutex<String> = Mutex::new(String::new());

#[tokio::test]
async fn a_next_link_to_another_host_is_not_followed_with_the_token() {
    let (other, other_seen) = stub(|_, _| json!({ "value": [user(9)] })).await;
    *OTHER.lock().expect("other") = other;
    let (graph, graph_seen) = stub(|_, _| {
        let other = OTHER.lock().expect("other").clone();
        json!({ "value": [user(1)], "@odata.nextLink": format!("{other}/v1.0/users?$skiptoken=x") })
    })
    .await;
    let client = client(&graph);
    let error = listing_error(&client).await;
    assert!(
        matches!(error, GraphError::Paging(PagingError::Foreign { .. })),
        "{error}"
    );
    let recycled = client.recycle_bin_users().await.expect_err("recycle bin");
    assert!(
        matches!(recycled, GraphError::Paging(PagingError::Foreign { .. })),
        "{recycled}"
    );
    assert_eq!(
        graph_seen.lock().expect("seen").len(),
        2,
        "one first page each"
    );
    assert!(
        other_seen.lock().expect("seen").is_empty(),
        "the other host saw no request at all, so no token"
    );
}

#[tokio::test]
async fn a_self_referencing_next_link_stops_instead_of_looping() {
    let (graph, seen) = stub(
        |target, base| json!({ "value": [user(1)], "@odata.nextLink": format!("{base}{target}") }),
    )
    .await;
    let error = listing_error(&client(&graph)).await;
    assert!(
        matches!(error, GraphError::Paging(PagingError::Repeated { .. })),
        "{error}"
    );
    assert_eq!(seen.lock().expect("seen").len(), 1);
}

#[tokio::test]
async fn endless_fresh_links_stop_at_the_page_bound() {
    // Each page links to a new one; the count says two users, so at most three pages.
    let (graph, seen) = stub(|target, base| {
        let n = target.len() as u64;
        json!({
            "@odata.count": 2,
            "value": [user(n)],
            "@odata.nextLink": format!("{base}/v1.0/users?$skiptoken={n}x"),
        })
    })
    .await;
    let error = listing_error(&client(&graph)).await;
    assert!(
        matches!(error, GraphError::Paging(PagingError::TooMany { pages: 3 })),
        "{error}"
    );
    assert_eq!(seen.lock().expect("seen").len(), 3);
}

static OTHER_FOR_BATCH: Mutex<String> = Mutex::new(String::new());

#[tokio::test]
async fn group_members_in_batch_do_not_take_a_path_from_a_foreign_link() {
    let (other, other_seen) = stub(|_, _| json!({ "value": [] })).await;
    *OTHER_FOR_BATCH.lock().expect("other") = other;
    // Every inner answer links to the next page on another host (whose path, taken alone,
    // would look like a page of ours).
    let (graph, graph_seen) = stub(|_, _| {
        let other = OTHER_FOR_BATCH.lock().expect("other").clone();
        json!({ "responses": [{ "id": "0", "status": 200, "body": {
            "value": [],
            "@odata.nextLink": format!("{other}/v1.0/groups/g1/members?$skiptoken=1"),
        }}]})
    })
    .await;
    let client = client(&graph);
    let expanded = tokio::time::timeout(
        Duration::from_secs(30),
        client.expand_groups(&[("g1".into(), "G1".into())], false, &Default::default()),
    )
    .await
    .expect("the expansion ends");
    let error = expanded.expect_err("a foreign link is an error");
    assert!(
        matches!(error, GraphError::Paging(PagingError::Foreign { .. })),
        "{error}"
    );
    assert_eq!(graph_seen.lock().expect("seen").len(), 1, "no second batch");
    assert!(other_seen.lock().expect("seen").is_empty());
}

static OTHER_FOR_ROLES: Mutex<String> = Mutex::new(String::new());

#[tokio::test]
async fn the_role_check_does_not_follow_a_foreign_link_with_the_token() {
    let (other, other_seen) = stub(|_, _| json!({ "value": [] })).await;
    *OTHER_FOR_ROLES.lock().expect("other") = other;
    let (graph, graph_seen) = stub(|_, _| {
        let other = OTHER_FOR_ROLES.lock().expect("other").clone();
        json!({ "value": [], "@odata.nextLink": format!("{other}/v1.0/me/memberOf?$skiptoken=1") })
    })
    .await;
    let root = url::Url::parse(&graph).expect("root");
    let roles = tokio::time::timeout(
        Duration::from_secs(30),
        aadsync_directory::auth::admin::roles_from_graph(
            &reqwest::Client::new(),
            &root,
            "secret-bearer",
            "admin@contoso.com",
        ),
    )
    .await
    .expect("the role check ends");
    let error = roles.expect_err("a foreign link is an error");
    assert!(
        error.to_string().contains("outside its own root"),
        "{error}"
    );
    assert_eq!(graph_seen.lock().expect("seen").len(), 1);
    assert!(other_seen.lock().expect("seen").is_empty());
}
