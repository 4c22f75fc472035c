//! A running emulator on a generated tenant, and a client.

use aadsync_emulator::{Emulator, EmulatorConfig, GeneratorConfig, GraphQuirks, generate};
use serde_json::Value;

pub const ALL_SCOPES: &[&str] = &[
    "User.Read",
    "User.Read.All",
    "GroupMember.Read.All",
    "Group.Read.All",
];

pub struct Env {
    pub emulator: Emulator,
    pub http: reqwest::Client,
    pub admin: String,
}

/// The strict emulator (Graph's documented irregularities on).
pub async fn start(users: usize, groups: usize) -> Env {
    start_with(users, groups, GraphQuirks::default()).await
}

/// Each object once per delta round, whole member lists, 410 for an expired token: for the
/// tests that assert the JSON of one kind of change at a time.
pub async fn start_lenient(users: usize, groups: usize) -> Env {
    start_with(users, groups, GraphQuirks::lenient()).await
}

pub async fn start_with(users: usize, groups: usize, quirks: GraphQuirks) -> Env {
    let tenant = generate(GeneratorConfig {
        users,
        groups,
        seed: 42,
    });
    let admin = tenant.users[0].user_principal_name.clone();
    let mut config = EmulatorConfig::new(tenant);
    config.quirks = quirks;
    let emulator = Emulator::start(config).await.expect("start");
    Env {
        emulator,
        http: reqwest::Client::new(),
        admin,
    }
}

impl Env {
    pub fn token(&self, scopes: &[&str]) -> String {
        self.emulator
            .mint_access_token(&self.admin, scopes, 3600)
            .expect("token")
    }

    pub async fn get(
        &self,
        path_or_url: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
    ) -> (u16, reqwest::header::HeaderMap, Value, String) {
        let url = if path_or_url.starts_with("http") {
            path_or_url.to_owned()
        } else {
            format!("{}{path_or_url}", self.emulator.base_url())
        };
        let mut request = self.http.get(url);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        let response = request.send().await.expect("send");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.expect("body");
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        (status, headers, json, text)
    }
}
