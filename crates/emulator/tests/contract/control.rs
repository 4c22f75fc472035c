//! The `/_emulator/` control API: tenant changes show up in Graph; faults look like Graph's.

use crate::support::{ALL_SCOPES, start};
use serde_json::{Value, json};
use std::time::Instant;

async fn user(
    env: &crate::support::Env,
    token: String,
    id: String,
) -> (u16, reqwest::header::HeaderMap, Value, String) {
    env.get(
        &format!("/v1.0/users/{id}?$select=id,userPrincipalName,accountEnabled,displayName"),
        Some(&token),
        &[],
    )
    .await
}

async fn control(
    env: &crate::support::Env,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> u16 {
    let mut request = env
        .http
        .request(method, format!("{}{path}", env.emulator.base_url()));
    if let Some(body) = body {
        request = request.json(&body);
    }
    request.send().await.expect("control").status().as_u16()
}

/// Creates an object through the control API; its JSON.
async fn create(env: &crate::support::Env, path: &str, body: Value) -> Value {
    let url = format!("{}{path}", env.emulator.base_url());
    let response = env.http.post(url).json(&body).send().await.expect("create");
    response.json::<Value>().await.expect("json")
}

#[tokio::test]
async fn tenant_changes_show_up_in_graph() {
    let env = start(60, 6).await;
    let token = env.token(ALL_SCOPES);
    let created = create(&env, "/_emulator/users", json!({"userPrincipalName": "new.hire@contoso.com", "displayName": "New Hire", "mail": "new.hire@contoso.com", "department": "Sales"})).await;
    let id = created["id"].as_str().expect("id").to_owned();
    assert_eq!(
        user(&env, token.clone(), id.clone()).await.2["displayName"],
        json!("New Hire")
    );

    // Rename and disable: same object ID, new values.
    assert_eq!(
        control(
            &env,
            reqwest::Method::PATCH,
            &format!("/_emulator/users/{id}"),
            Some(json!({"userPrincipalName": "n.hire@contoso.com", "accountEnabled": false}))
        )
        .await,
        204
    );
    let (_, _, body, _) = user(&env, token.clone(), id.clone()).await;
    assert_eq!(
        (
            body["userPrincipalName"].clone(),
            body["accountEnabled"].clone()
        ),
        (json!("n.hire@contoso.com"), json!(false))
    );

    // Soft delete → gone from /users, present in deletedItems; restore brings it back.
    assert_eq!(
        control(
            &env,
            reqwest::Method::DELETE,
            &format!("/_emulator/users/{id}"),
            None
        )
        .await,
        204
    );
    assert_eq!(user(&env, token.clone(), id.clone()).await.0, 404);
    let (status, _, deleted, _) = env
        .get(
            "/v1.0/directory/deletedItems/microsoft.graph.user?$select=id,displayName",
            Some(&token),
            &[],
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(deleted["value"][0]["id"], json!(id));
    assert!(deleted["value"][0]["deletedDateTime"].is_string());
    assert_eq!(
        env.get("/v1.0/directory/deletedItems", Some(&token), &[])
            .await
            .0,
        404,
        "the cast is required"
    );
    assert_eq!(
        control(
            &env,
            reqwest::Method::POST,
            &format!("/_emulator/users/{id}/restore"),
            None
        )
        .await,
        204
    );
    assert_eq!(user(&env, token.clone(), id.clone()).await.0, 200);

    // Membership changes; hard delete removes everywhere.
    let dir = aadsync_emulator::generate(aadsync_emulator::GeneratorConfig {
        users: 60,
        groups: 6,
        seed: 42,
    });
    let group = &dir.groups[0].id;
    assert_eq!(
        control(
            &env,
            reqwest::Method::POST,
            &format!("/_emulator/groups/{group}/members"),
            Some(json!({"add": [id]}))
        )
        .await,
        204
    );
    let (_, _, members, _) = env
        .get(
            &format!("/v1.0/groups/{group}/members?$select=id&$top=999"),
            Some(&token),
            &[],
        )
        .await;
    assert!(
        members["value"]
            .as_array()
            .expect("value")
            .iter()
            .any(|m| m["id"] == json!(id))
    );
    assert_eq!(
        control(
            &env,
            reqwest::Method::DELETE,
            &format!("/_emulator/users/{id}?hard=true"),
            None
        )
        .await,
        204
    );
    let (_, _, deleted, _) = env
        .get(
            "/v1.0/directory/deletedItems/microsoft.graph.user",
            Some(&token),
            &[],
        )
        .await;
    assert_eq!(deleted["value"].as_array().map(Vec::len), Some(0));
    assert_eq!(
        control(
            &env,
            reqwest::Method::PATCH,
            "/_emulator/users/nobody",
            Some(json!({"displayName": "x"}))
        )
        .await,
        404
    );
}

#[tokio::test]
async fn faults_look_like_graph_and_the_log_counts_requests() {
    let env = start(300, 6).await;
    let token = env.token(ALL_SCOPES);
    let base = env.emulator.base_url().to_owned();
    let fault = |body: Value| {
        let http = env.http.clone();
        let url = format!("{base}/_emulator/faults");
        async move {
            assert_eq!(
                http.post(url)
                    .json(&body)
                    .send()
                    .await
                    .expect("fault")
                    .status(),
                201
            )
        }
    };

    // 429 with integer and decimal Retry-After, once each; then the call succeeds.
    fault(json!({"path": "/v1.0/users*", "kind": "throttle", "retryAfter": "2", "times": 1})).await;
    fault(json!({"path": "/v1.0/users*", "kind": "throttle", "retryAfter": "0.5", "times": 1}))
        .await;
    for expected in ["2", "0.5"] {
        let (status, headers, body, _) = env.get("/v1.0/users", Some(&token), &[]).await;
        assert_eq!(
            (status, body["error"]["code"].clone()),
            (429, json!("TooManyRequests"))
        );
        assert_eq!(headers["retry-after"], expected);
    }
    assert_eq!(env.get("/v1.0/users", Some(&token), &[]).await.0, 200);
    assert_eq!(
        control(&env, reqwest::Method::DELETE, "/_emulator/faults", None).await,
        204
    );

    // 503, only after the first page: the second page fails.
    fault(json!({"path": "*skiptoken*", "kind": "unavailable", "times": 1})).await;
    let (_, _, first, _) = env.get("/v1.0/users?$top=100", Some(&token), &[]).await;
    let next = first["@odata.nextLink"].as_str().expect("next").to_owned();
    assert_eq!(env.get(&next, Some(&token), &[]).await.0, 503);
    assert_eq!(env.get(&next, Some(&token), &[]).await.0, 200);

    // Latency.
    fault(json!({"path": "/v1.0/me", "kind": "latency", "millis": 300, "times": 1})).await;
    let started = Instant::now();
    assert_eq!(env.get("/v1.0/me", Some(&token), &[]).await.0, 200);
    assert!(started.elapsed().as_millis() >= 300);

    // Any Graph error, once: status, code and message in Graph's error body.
    fault(
        json!({"path": "/v1.0/groups*", "kind": "error", "status": 400,
        "code": "Request_UnsupportedQuery", "message": "Unsupported query.", "times": 1}),
    )
    .await;
    let (status, _, body, _) = env.get("/v1.0/groups", Some(&token), &[]).await;
    assert_eq!(
        (
            status,
            body["error"]["code"].clone(),
            body["error"]["message"].clone()
        ),
        (
            400,
            json!("Request_UnsupportedQuery"),
            json!("Unsupported query.")
        )
    );
    assert_eq!(env.get("/v1.0/groups", Some(&token), &[]).await.0, 200);

    // Truncated JSON: HTTP succeeds, the body does not parse.
    fault(json!({"path": "/v1.0/groups*", "kind": "truncate", "times": 1})).await;
    let (status, _, body, text) = env.get("/v1.0/groups", Some(&token), &[]).await;
    assert_eq!((status, body), (200, Value::Null), "{text}");
    assert!(serde_json::from_str::<Value>(&text).is_err());

    // Dropped connection mid-response.
    fault(json!({"path": "/v1.0/users/*", "kind": "drop", "times": 1})).await;
    let dropped = env
        .http
        .get(format!("{base}/v1.0/users/{}", env.admin))
        .bearer_auth(&token)
        .send()
        .await;
    let failed = match dropped {
        Err(_) => true,
        Ok(response) => response.bytes().await.is_err(),
    };
    assert!(failed, "the dropped connection must fail on the client");

    let log: Value = env
        .http
        .get(format!("{base}/_emulator/requests?path=/v1.0/users*"))
        .send()
        .await
        .expect("log")
        .json()
        .await
        .expect("json");
    let statuses: Vec<u64> = log["requests"]
        .as_array()
        .expect("requests")
        .iter()
        .filter_map(|r| r["status"].as_u64())
        .collect();
    assert!(
        statuses.starts_with(&[429, 429, 200, 200, 503, 200]),
        "{statuses:?}"
    );
    assert_eq!(
        control(&env, reqwest::Method::DELETE, "/_emulator/requests", None).await,
        204
    );
}

/// Every member page of a group: follows the next links from `path` with `$top=2`.
async fn member_pages(env: &crate::support::Env, token: &str, path: &str) -> Vec<String> {
    let mut ids = Vec::new();
    let mut next = Some(format!("{path}?$select=id&$top=2"));
    while let Some(url) = next.take() {
        let (status, _, body, text) = env.get(&url, Some(token), &[]).await;
        assert_eq!(status, 200, "{url}: {text}");
        for o in body["value"].as_array().expect("value") {
            ids.push(o["id"].as_str().expect("id").to_owned());
        }
        next = body["@odata.nextLink"].as_str().map(str::to_owned);
    }
    ids
}

/// "List group members": a member in the recycle bin is a member of nothing until restored;
/// each cast lists its own kind in pages, every member exactly once, in the group's order.
#[tokio::test]
async fn member_pages_leave_out_recycled_members_until_restored() {
    let env = start(60, 6).await;
    let token = env.token(ALL_SCOPES);
    let dir = aadsync_emulator::generate(aadsync_emulator::GeneratorConfig {
        users: 60,
        groups: 6,
        seed: 42,
    });
    let inner = &dir.groups[1].id;
    let users: Vec<String> = dir.users[1..8].iter().map(|u| u.id.clone()).collect();
    let mut members = vec![inner.clone()];
    members.extend(users.iter().cloned());
    let body = json!({"displayName": "Paged", "securityEnabled": true, "members": members});
    let created = create(&env, "/_emulator/groups", body).await;
    let group = created["id"].as_str().expect("id");
    let users_path = format!("/v1.0/groups/{group}/members/microsoft.graph.user");
    let groups_path = format!("/v1.0/groups/{group}/members/microsoft.graph.group");
    assert_eq!(member_pages(&env, &token, &users_path).await, users);
    assert_eq!(
        member_pages(&env, &token, &groups_path).await,
        vec![inner.clone()]
    );

    let gone = &users[3];
    let path = format!("/_emulator/users/{gone}");
    assert_eq!(
        control(&env, reqwest::Method::DELETE, &path, None).await,
        204
    );
    let left: Vec<String> = users.iter().filter(|u| *u != gone).cloned().collect();
    assert_eq!(member_pages(&env, &token, &users_path).await, left);
    let all = member_pages(&env, &token, &format!("/v1.0/groups/{group}/members")).await;
    assert!(
        !all.contains(gone) && all.len() == left.len() + 1,
        "{all:?}"
    );
    let count = format!("{users_path}/$count");
    let (status, _, _, text) = env
        .get(&count, Some(&token), &[("ConsistencyLevel", "eventual")])
        .await;
    assert_eq!((status, text), (200, left.len().to_string()));

    let restore = format!("/_emulator/users/{gone}/restore");
    assert_eq!(
        control(&env, reqwest::Method::POST, &restore, None).await,
        204
    );
    assert_eq!(member_pages(&env, &token, &users_path).await, users);
}
