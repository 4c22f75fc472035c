//! The Graph client against the emulator over HTTP: paging, `$search`, batching, and faults
//! (429 with both `Retry-After` forms, 503, dropped connections, truncated bodies, latency).

// A failed expectation in a test is the failure report.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use aadsync_directory::auth::Session;
use aadsync_directory::graph::retry::RetryPolicy;
use aadsync_directory::graph::{GraphClient, GraphError};
use aadsync_directory::{ClientId, Cloud, Target, TenantRef};
use aadsync_emulator::{Emulator, EmulatorConfig, GeneratorConfig, demo, generate};
use aadsync_keystore::SecretString;
use serde_json::{Value, json};
use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

mod apps;
mod concurrent;
mod delta;
mod limits;
mod paging;
mod props;

struct Env {
    emulator: Emulator,
    http: reqwest::Client,
    admin: String,
    tenant: aadsync_emulator::Tenant,
}

async fn start(users: usize, groups: usize) -> Env {
    start_with(users, groups, aadsync_emulator::GraphQuirks::default()).await
}

async fn start_with(users: usize, groups: usize, quirks: aadsync_emulator::GraphQuirks) -> Env {
    let tenant = generate(GeneratorConfig {
        users,
        groups,
        seed: 7,
    });
    let admin = tenant.users[0].user_principal_name.clone();
    let mut config = EmulatorConfig::new(tenant.clone());
    config.quirks = quirks;
    let emulator = Emulator::start(config).await.expect("emulator");
    Env {
        emulator,
        http: reqwest::Client::new(),
        admin,
        tenant,
    }
}

impl Env {
    fn client_with(&self, scopes: &[&str], policy: RetryPolicy) -> GraphClient {
        let token = self
            .emulator
            .mint_access_token(&self.admin, scopes, 3600)
            .expect("token");
        let target = Target::new(
            TenantRef::parse(&self.emulator.tenant_id()).expect("tenant"),
            ClientId::parse(demo::CLIENT_ID).expect("client"),
            &Cloud::custom(self.emulator.base_url(), self.emulator.base_url()).expect("cloud"),
        )
        .expect("endpoints");
        let session = Session::with_tokens(
            target,
            SecretString::new(token),
            Duration::from_secs(3600),
            None,
        );
        GraphClient::with_policy(Arc::new(session), policy, 4).expect("client")
    }

    fn client(&self) -> GraphClient {
        self.client_with(
            &["User.Read.All", "GroupMember.Read.All"],
            RetryPolicy::new(6, 100),
        )
    }

    async fn fault(&self, fault: Value) {
        let status = self
            .http
            .post(format!("{}/_emulator/faults", self.emulator.base_url()))
            .json(&fault)
            .send()
            .await
            .expect("fault")
            .status();
        assert!(status.is_success(), "{status}");
    }

    async fn clear_faults(&self) {
        self.http
            .delete(format!("{}/_emulator/faults", self.emulator.base_url()))
            .send()
            .await
            .expect("clear");
    }
}

async fn all_users(client: &GraphClient, search: Option<&str>) -> Result<Vec<String>, GraphError> {
    let mut ids = Vec::new();
    client
        .users(search, |page| ids.extend(page.into_iter().map(|u| u.id)))
        .await?;
    Ok(ids)
}

#[tokio::test]
async fn pages_stream_every_user_once_and_search_sends_the_header() {
    let env = start(2100, 5).await;
    let client = env.client();
    let mut pages = 0;
    let mut ids = Vec::new();
    client
        .users(None, |page| {
            pages += 1;
            ids.extend(page.into_iter().map(|u| u.id));
        })
        .await
        .expect("users");
    assert_eq!((pages, ids.len()), (3, 2100), "999-user pages");
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), ids.len());
    assert_eq!(client.stats().requests.load(Ordering::Relaxed), 3);

    // A first name several users share: what Graph's documented $search finds for it, from the
    // tenant's data (displayName: a word starts with the term; userPrincipalName and mail: the
    // value starts with it; case-insensitive).
    let term = env.tenant.users[1]
        .display_name
        .split(' ')
        .next()
        .unwrap_or_default()
        .to_lowercase();
    let expected: HashSet<String> = env
        .tenant
        .users
        .iter()
        .filter(|u| {
            let starts = |v: &str| v.to_lowercase().starts_with(&term);
            u.display_name
                .split(|c: char| !c.is_alphanumeric())
                .any(starts)
                || starts(&u.user_principal_name)
                || u.mail.as_deref().is_some_and(starts)
        })
        .map(|u| u.id.clone())
        .collect();
    let found = all_users(&client, Some(&term)).await.expect("search");
    assert!(expected.len() > 1, "a term several users share: {term}");
    assert_eq!(found.len(), expected.len(), "each user once");
    assert_eq!(
        found.into_iter().collect::<HashSet<_>>(),
        expected,
        "{term}"
    );

    let mut groups = 0;
    client
        .groups(None, |page| groups += page.len())
        .await
        .expect("groups");
    assert_eq!(groups, 5);
}

#[tokio::test]
async fn throttling_5xx_drops_and_truncation_are_retried_to_a_complete_answer() {
    let env = start(2100, 5).await;
    let client = env.client();
    let expected = all_users(&client, None).await.expect("baseline");
    for fault in [
        json!({"path": "/v1.0/users*", "kind": "throttle", "retryAfter": "0.2", "times": 2}),
        json!({"path": "/v1.0/users*", "kind": "throttle", "retryAfter": "1", "after": 1, "times": 1}),
        json!({"path": "/v1.0/users*", "kind": "unavailable", "after": 2, "times": 1}),
        json!({"path": "/v1.0/users*", "kind": "drop", "after": 1, "times": 1}),
        json!({"path": "/v1.0/users*", "kind": "truncate", "after": 2, "times": 1}),
        json!({"path": "/v1.0/users*", "kind": "latency", "millis": 300, "times": 2}),
    ] {
        env.fault(fault.clone()).await;
        let client = env.client();
        let got = all_users(&client, None).await.expect("retried to the end");
        assert_eq!(got, expected, "{fault}");
        assert!(
            client.stats().retries.load(Ordering::Relaxed) >= 1 || fault["kind"] == "latency",
            "{fault}: no retry counted"
        );
        env.clear_faults().await;
    }
}

#[tokio::test]
async fn endless_throttling_fails_cleanly_with_the_request_id() {
    let env = start(50, 2).await;
    env.fault(json!({"path": "/v1.0/users*", "kind": "throttle", "retryAfter": "0.05"}))
        .await;
    let client = env.client_with(&["User.Read.All"], RetryPolicy::new(3, 100));
    let err = all_users(&client, None).await.expect_err("gives up");
    let text = err.to_string();
    assert!(
        matches!(err, GraphError::Exhausted { retries: 2, .. }) && text.contains("request-id"),
        "{text}"
    );
    // The run's budget caps retries across requests too.
    let client = env.client_with(&["User.Read.All"], RetryPolicy::new(10, 1));
    assert!(matches!(
        all_users(&client, None).await,
        Err(GraphError::Exhausted { retries: 1, .. })
    ));
}

#[tokio::test]
async fn missing_permissions_are_a_403_not_a_retry() {
    let env = start(20, 2).await;
    let client = env.client_with(&["User.Read"], RetryPolicy::new(6, 100));
    let err = all_users(&client, None).await.expect_err("403");
    assert!(err.is_forbidden(), "{err}");
    assert_eq!(client.stats().retries.load(Ordering::Relaxed), 0);
}

#[tokio::test]
async fn group_members_come_in_batches_and_users_by_id_report_the_missing() {
    let env = start(600, 45).await;
    let client = env.client();
    let mut groups = Vec::new();
    client
        .groups(None, |page| {
            groups.extend(page.into_iter().map(|g| (g.id.clone(), g.display_name)))
        })
        .await
        .expect("groups");
    assert_eq!(groups.len(), 45);
    let before = client.stats().requests.load(Ordering::Relaxed);
    // Throttling inside a batch is retried for those requests only.
    env.fault(json!({"path": "/v1.0/groups/*/members/*", "kind": "throttle", "retryAfter": "0.1", "times": 3}))
        .await;
    let expansion = client
        .expand_groups(&groups, true, &HashSet::new())
        .await
        .expect("expand");
    let requests = client.stats().requests.load(Ordering::Relaxed) - before;
    assert!(requests <= 6, "{requests} requests for 45 groups");
    assert_eq!(expansion.members.len(), 45);
    let members: usize = expansion.members.values().map(Vec::len).sum();
    assert!(members > 0 && !expansion.users.is_empty());
    for (user, path) in expansion.users.values() {
        assert!(!path.is_empty(), "{} has no import path", user.id);
    }

    let mut ids: Vec<String> = expansion.users.keys().take(30).cloned().collect();
    ids.push("00000000-0000-4000-8000-00000000dead".into());
    let by_id = client.users_by_ids(&ids).await.expect("by id");
    assert_eq!(by_id.found.len(), 30);
    assert_eq!(by_id.missing, ["00000000-0000-4000-8000-00000000dead"]);
}
