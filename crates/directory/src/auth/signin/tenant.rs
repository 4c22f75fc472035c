//! The tenant as Graph describes it (`GET /organization`): its name and verified domains, which
//! the app stores with the organization, and its ID, which must match the one discovery found.

use super::error::SignInError;
use crate::body::{MAX_SIGN_IN_BODY, read_json};
use serde_json::Value;

/// The tenant as Graph describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantInfo {
    pub tenant_id: String,
    pub display_name: String,
    /// The default verified domain (e.g. `contoso.com`).
    pub primary_domain: String,
    pub domains: Vec<String>,
}

/// `GET /organization`: the tenant's display name and verified domains.
pub async fn read_tenant(
    http: &reqwest::Client,
    graph_root: &url::Url,
    access_token: &str,
) -> Result<TenantInfo, SignInError> {
    let url = format!(
        "{}/v1.0/organization?$select=id,displayName,verifiedDomains",
        graph_root.as_str().trim_end_matches('/')
    );
    let response = http
        .get(&url)
        .bearer_auth(access_token)
        .send()
        .await
        .map_err(|e| SignInError::unreachable(graph_root.as_str(), e))?;
    let status = response.status();
    let body: Value = read_json(response, MAX_SIGN_IN_BODY)
        .await
        .map_err(|e| SignInError::Graph(format!("an unreadable answer ({e})")))?;
    if status == reqwest::StatusCode::FORBIDDEN {
        return Err(SignInError::Graph(
            "403 Forbidden on GET /organization: the app registration lacks the delegated Microsoft Graph permission User.Read with admin consent (App registrations → this app → API permissions → add User.Read → Grant admin consent)".into(),
        ));
    }
    if !status.is_success() {
        return Err(SignInError::Graph(format!(
            "{status}: {}",
            body["error"]["message"].as_str().unwrap_or("no details")
        )));
    }
    Ok(tenant_info(&body["value"][0]))
}

/// The tenant from one `organization` object; the default domain, else the first one, is
/// the primary domain.
fn tenant_info(org: &Value) -> TenantInfo {
    let domains: Vec<&Value> = org["verifiedDomains"]
        .as_array()
        .into_iter()
        .flatten()
        .collect();
    let name = |d: &&Value| d["name"].as_str().map(str::to_owned);
    let primary_domain = domains
        .iter()
        .find(|d| d["isDefault"] == true)
        .or(domains.first())
        .and_then(name)
        .unwrap_or_default();
    TenantInfo {
        tenant_id: org["id"].as_str().unwrap_or_default().to_owned(),
        display_name: org["displayName"].as_str().unwrap_or_default().to_owned(),
        primary_domain,
        domains: domains.iter().filter_map(name).collect(),
    }
}
