//! Identity and access throttling as Microsoft Learn documents it: resource units per
//! application and tenant, each request's cost in `x-ms-resource-unit`, 429 with `Retry-After`
//! and the throttle scope once the budget is spent, requests inside a `$batch` counted one by
//! one.

use super::support::{ALL_SCOPES, Env, start_with};
use aadsync_emulator::{GraphQuirks, Throttling, demo};
use serde_json::{Value, json};
use std::time::Duration;

async fn throttled(units: u32) -> Env {
    let quirks = GraphQuirks {
        throttling: Throttling::Quota {
            units,
            per: Duration::from_secs(60),
        },
        ..GraphQuirks::default()
    };
    start_with(5, 1, quirks).await
}

#[tokio::test]
async fn the_budget_is_spent_by_each_requests_documented_cost_then_429_with_the_scope() {
    let env = throttled(8).await;
    let token = env.token(ALL_SCOPES);
    // GET users costs 2, less 1 for $select; GET users/{id} costs 1.
    let (status, headers, _, _) = env.get("/v1.0/users", Some(&token), &[]).await;
    assert_eq!(
        (status, &headers["x-ms-resource-unit"]),
        (200, &"2".parse().unwrap())
    );
    let (_, headers, _, _) = env.get("/v1.0/users?$select=id", Some(&token), &[]).await;
    assert_eq!(headers["x-ms-resource-unit"], "1");
    let (_, headers, users, _) = env.get("/v1.0/groups", Some(&token), &[]).await;
    assert_eq!(headers["x-ms-resource-unit"], "1");
    let group = users["value"][0]["id"]
        .as_str()
        .expect("a group")
        .to_owned();
    // Members cost 3: 7 of 8 units spent now, past 80 %, so the share used is told.
    let (status, headers, _, _) = env
        .get(&format!("/v1.0/groups/{group}/members"), Some(&token), &[])
        .await;
    assert_eq!(status, 200);
    assert_eq!(headers["x-ms-resource-unit"], "3");
    assert_eq!(headers["x-ms-throttle-limit-percentage"], "0.9");
    // 1 left: members (3) is refused, and refused requests spend nothing. 8 units a minute
    // bring 2 more in 15 s.
    for _ in 0..2 {
        let (status, headers, body, _) = env
            .get(&format!("/v1.0/groups/{group}/members"), Some(&token), &[])
            .await;
        assert_eq!(status, 429);
        assert_eq!(body["error"]["code"], "TooManyRequests");
        let wait: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
        assert!((14..=15).contains(&wait), "Retry-After {wait}");
        assert_eq!(
            headers["x-ms-throttle-scope"],
            format!(
                "Tenant_Application/ReadWrite/{}/{}",
                demo::CLIENT_ID,
                env.emulator.tenant_id()
            )
            .as_str()
        );
        assert_eq!(
            headers["x-ms-throttle-information"],
            "ResourceUnitLimitExceeded"
        );
    }
    let (status, _, _, _) = env.get("/v1.0/users/delta", Some(&token), &[]).await;
    assert_eq!(status, 200, "a request costing 1 still fits");
}

#[tokio::test]
async fn inside_a_batch_each_request_is_counted_and_throttled_on_its_own() {
    let env = throttled(4).await;
    let token = env.token(ALL_SCOPES);
    let requests: Vec<Value> = (0..6)
        .map(|i| json!({"id": i.to_string(), "method": "GET", "url": "/users?$select=id"}))
        .collect();
    let answer: Value = env
        .http
        .post(format!("{}/v1.0/$batch", env.emulator.base_url()))
        .bearer_auth(&token)
        .json(&json!({ "requests": requests }))
        .send()
        .await
        .expect("batch")
        .json()
        .await
        .expect("json");
    let responses = answer["responses"].as_array().expect("responses");
    let served = responses.iter().filter(|r| r["status"] == 200).count();
    let refused: Vec<&Value> = responses.iter().filter(|r| r["status"] == 429).collect();
    assert_eq!((served, refused.len()), (4, 2), "{answer}");
    for r in refused {
        assert!(r["headers"]["retry-after"].as_str().is_some(), "{r}");
    }
    // The batch itself costs nothing; the budget is empty now.
    let (status, _, _, _) = env.get("/v1.0/users?$select=id", Some(&token), &[]).await;
    assert_eq!(status, 429);
}
