//! The emulator tenant as the test sees it, over HTTP: Graph reads with a minted token (the
//! expected rows come from here, not from the CLI) and the `/_emulator/` control API.

use std::collections::{BTreeMap, BTreeSet};

use aadsync_emulator::{Emulator, demo};
use serde_json::Value;

use super::db::UserRow;

pub struct Tenant {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Tenant {
    pub fn new(emulator: &Emulator) -> Self {
        let token = emulator
            .mint_access_token("admin@contoso.com", demo::GRANTED_SCOPES, 3600)
            .expect("token");
        Self {
            http: reqwest::Client::new(),
            base: emulator.base_url().to_owned(),
            token,
        }
    }

    /// A Graph v1.0 GET (`path` starts with `/`).
    pub async fn graph(&self, path: &str) -> Value {
        let response = self
            .http
            .get(format!("{}/v1.0{path}", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .expect("graph");
        assert!(response.status().is_success(), "GET {path}: {response:?}");
        response.json().await.expect("graph json")
    }

    /// The user as the server should store it (by object ID or UPN).
    pub async fn user(&self, id: &str) -> UserRow {
        let u = self
            .graph(&format!(
                "/users/{id}?$select=id,userPrincipalName,accountEnabled"
            ))
            .await;
        let upn = u["userPrincipalName"].as_str().expect("upn").to_owned();
        UserRow {
            object_id: u["id"].as_str().expect("id").to_owned(),
            account_name: upn.clone(),
            user_principal_name: upn,
            enabled: u["accountEnabled"].as_bool().expect("accountEnabled"),
            auth_type: "azure_ad".into(),
            deleted_in_directory: None,
        }
    }

    /// The expected rows of several users, by object ID.
    pub async fn users(&self, ids: impl IntoIterator<Item = &String>) -> BTreeMap<String, UserRow> {
        let mut rows = BTreeMap::new();
        for id in ids {
            let row = self.user(id).await;
            rows.insert(row.object_id.clone(), row);
        }
        rows
    }

    /// Object IDs of a group's direct user members.
    pub async fn user_members(&self, group: &str) -> BTreeSet<String> {
        let page = self
            .graph(&format!(
                "/groups/{group}/members/microsoft.graph.user?$select=id&$top=999"
            ))
            .await;
        assert!(page.get("@odata.nextLink").is_none(), "one page expected");
        page["value"]
            .as_array()
            .expect("members")
            .iter()
            .map(|m| m["id"].as_str().expect("id").to_owned())
            .collect()
    }

    /// Object ID of the only group whose display name is `name`.
    pub async fn group_id(&self, name: &str) -> String {
        let page = self
            .graph(&format!(
                "/groups?$filter=displayName eq '{name}'&$select=id"
            ))
            .await;
        let found = page["value"].as_array().expect("groups");
        assert_eq!(found.len(), 1, "{page}");
        found[0]["id"].as_str().expect("id").to_owned()
    }

    /// Waits until every injected fault has been applied to a request at least once: with a
    /// latency fault, the request is then inside its delay (the emulator counts a request when it
    /// arrives, before it waits).
    pub async fn until_faults_applied(&self) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            let faults: Value = self
                .http
                .get(format!("{}/_emulator/faults", self.base))
                .send()
                .await
                .expect("faults")
                .json()
                .await
                .expect("faults json");
            let list = faults["faults"].as_array().expect("faults list");
            if !list.is_empty() && list.iter().all(|f| f["applied"].as_u64() >= Some(1)) {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "no request reached the injected faults in 30 s: {faults}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    /// A `/_emulator/` call that must succeed.
    pub async fn control(&self, method: reqwest::Method, path: &str, body: Value) {
        let response = self
            .http
            .request(method.clone(), format!("{}/_emulator/{path}", self.base))
            .json(&body)
            .send()
            .await
            .expect("control");
        let status = response.status();
        assert!(
            status.is_success(),
            "{method} {path}: {status} {}",
            response.text().await.unwrap_or_default()
        );
    }
}
