//! What Graph shows of an app registration, for the registration check: the application object
//! (`applications(appId='…')`), a service principal (`servicePrincipals(appId='…')`), and the
//! tenant-wide (`AllPrincipals`) delegated grant of one service principal on another
//! (`oauth2PermissionGrants`). Each read needs its own permission (ARCHITECTURE.md, "Graph and
//! identity calls"); a refusal is the caller's to report ([`GraphError::is_forbidden`]), and
//! an object Graph does not have is `None`, not an error.

use super::client::{GraphClient, GraphError};
use super::collections::encode;
use crate::ids::ClientId;
use serde_json::Value;

/// The application ID of Microsoft Graph, the same in every tenant.
pub const MICROSOFT_GRAPH_APP_ID: &str = "00000003-0000-0000-c000-000000000000";

/// The properties of an application object the registration check reads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApplicationObject {
    /// `publicClient.redirectUris` (*Mobile and desktop applications*).
    pub public_client_redirect_uris: Vec<String>,
    /// `web.redirectUris` and `spa.redirectUris` (the other platforms).
    pub other_redirect_uris: Vec<String>,
    /// `isFallbackPublicClient` (*Allow public client flows*); `null` reads as off, as Graph
    /// documents the default.
    pub is_fallback_public_client: bool,
    /// The IDs of the delegated Microsoft Graph permissions in `requiredResourceAccess`
    /// (entries of type `Scope` for resource app ID [`MICROSOFT_GRAPH_APP_ID`]).
    pub graph_scope_ids: Vec<String>,
}

/// A service principal: its object ID and its delegated permissions (`oauth2PermissionScopes`)
/// as (ID, value) pairs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServicePrincipalObject {
    pub id: String,
    pub scopes: Vec<(String, String)>,
}

impl ServicePrincipalObject {
    /// The value (`User.Read.All`) of a permission ID this service principal publishes.
    pub fn scope_value(&self, id: &str) -> Option<&str> {
        self.scopes
            .iter()
            .find(|(i, _)| i.eq_ignore_ascii_case(id))
            .map(|(_, v)| v.as_str())
    }
}

const APPLICATION_SELECT: &str =
    "id,appId,publicClient,isFallbackPublicClient,requiredResourceAccess,web,spa";
const PRINCIPAL_SELECT: &str = "id,appId,oauth2PermissionScopes";

/// `Ok(None)` for Graph's 404 (`Request_ResourceNotFound`): the object is not in the tenant.
fn found(result: Result<Value, GraphError>) -> Result<Option<Value>, GraphError> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(GraphError::Http { status: 404, .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

impl GraphClient {
    /// The application object with this application (client) ID, registered in this tenant
    /// ("Get application" by its alternate key; `Application.Read.All`). `None` when this
    /// tenant has no such application object (a publisher's multi-tenant application is
    /// registered in its own tenant).
    pub async fn application_by_app_id(
        &self,
        app_id: &ClientId,
    ) -> Result<Option<ApplicationObject>, GraphError> {
        let url = self.url(&format!(
            "/applications(appId='{}')?$select={APPLICATION_SELECT}",
            app_id.as_str()
        ));
        match found(self.get(&url, false).await)? {
            Some(json) => read_application(&json).map(Some),
            None => Ok(None),
        }
    }

    /// The service principal of an application in this tenant ("Get servicePrincipal" by
    /// `appId`; `Application.Read.All`), `None` when it has none here.
    pub async fn service_principal_by_app_id(
        &self,
        app_id: &str,
    ) -> Result<Option<ServicePrincipalObject>, GraphError> {
        let url = self.url(&format!(
            "/servicePrincipals(appId='{}')?$select={PRINCIPAL_SELECT}",
            encode(app_id)
        ));
        match found(self.get(&url, false).await)? {
            Some(json) => read_principal(&json).map(Some),
            None => Ok(None),
        }
    }

    /// The scopes of the tenant-wide (`AllPrincipals`) delegated grants the service principal
    /// `client` holds on the service principal `resource` ("List oauth2PermissionGrants" with
    /// `$filter=clientId eq '…'`, every page; `Directory.Read.All` and a directory role that
    /// may read them). Empty when there is none: no admin consent.
    pub async fn admin_consented_scopes(
        &self,
        client: &str,
        resource: &str,
    ) -> Result<Vec<String>, GraphError> {
        let filter = encode(&format!("clientId eq '{}'", client.replace('\'', "''")));
        let url = self.url(&format!("/oauth2PermissionGrants?$filter={filter}"));
        let mut scopes = Vec::new();
        self.pages(url, false, |items| {
            for grant in items {
                let text = |key: &str| grant[key].as_str().unwrap_or_default();
                if text("clientId").is_empty() || text("resourceId").is_empty() {
                    return Err(GraphError::unreadable(format!(
                        "Microsoft Graph described a permission grant unreadably ({grant})"
                    )));
                }
                let tenant_wide = text("consentType").eq_ignore_ascii_case("AllPrincipals");
                if tenant_wide
                    && text("clientId").eq_ignore_ascii_case(client)
                    && text("resourceId").eq_ignore_ascii_case(resource)
                {
                    scopes.extend(text("scope").split_whitespace().map(str::to_owned));
                }
            }
            Ok(())
        })
        .await?;
        Ok(scopes)
    }
}

/// An array of strings at `value[key]`; missing or `null` is empty, anything else unreadable.
fn strings(value: &Value, what: &str) -> Result<Vec<String>, GraphError> {
    match value {
        Value::Null => Ok(Vec::new()),
        Value::Array(items) => items
            .iter()
            .map(|i| {
                i.as_str().map(str::to_owned).ok_or_else(|| {
                    GraphError::unreadable(format!("Microsoft Graph listed {what} unreadably"))
                })
            })
            .collect(),
        _ => Err(GraphError::unreadable(format!(
            "Microsoft Graph listed {what} unreadably"
        ))),
    }
}

fn read_application(json: &Value) -> Result<ApplicationObject, GraphError> {
    if !json.is_object() {
        return Err(GraphError::unreadable(
            "Microsoft Graph described the application unreadably",
        ));
    }
    let public = strings(&json["publicClient"]["redirectUris"], "redirect URIs")?;
    let mut other = strings(&json["web"]["redirectUris"], "redirect URIs")?;
    other.extend(strings(&json["spa"]["redirectUris"], "redirect URIs")?);
    let flows = match &json["isFallbackPublicClient"] {
        Value::Bool(b) => *b,
        Value::Null => false,
        _ => {
            return Err(GraphError::unreadable(
                "Microsoft Graph described isFallbackPublicClient unreadably",
            ));
        }
    };
    let mut graph_scope_ids = Vec::new();
    let none = Vec::new();
    let required = match &json["requiredResourceAccess"] {
        Value::Null => &none,
        Value::Array(items) => items,
        _ => {
            return Err(GraphError::unreadable(
                "Microsoft Graph described requiredResourceAccess unreadably",
            ));
        }
    };
    for resource in required {
        let app = resource["resourceAppId"].as_str().unwrap_or_default();
        if !app.eq_ignore_ascii_case(MICROSOFT_GRAPH_APP_ID) {
            continue;
        }
        for access in resource["resourceAccess"].as_array().into_iter().flatten() {
            // `Role` entries are application permissions, which a delegated sign-in never uses.
            if access["type"].as_str() == Some("Scope")
                && let Some(id) = access["id"].as_str()
            {
                graph_scope_ids.push(id.to_owned());
            }
        }
    }
    Ok(ApplicationObject {
        public_client_redirect_uris: public,
        other_redirect_uris: other,
        is_fallback_public_client: flows,
        graph_scope_ids,
    })
}

fn read_principal(json: &Value) -> Result<ServicePrincipalObject, GraphError> {
    let Some(id) = json["id"].as_str().filter(|id| !id.is_empty()) else {
        return Err(GraphError::unreadable(
            "Microsoft Graph described a service principal without its ID",
        ));
    };
    let scopes = json["oauth2PermissionScopes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| {
            Some((
                s["id"].as_str()?.to_owned(),
                s["value"].as_str()?.to_owned(),
            ))
        })
        .collect();
    Ok(ServicePrincipalObject {
        id: id.to_owned(),
        scopes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_application_reads_its_platforms_flows_and_graph_scopes() {
        let app = read_application(&json!({
            "publicClient": {"redirectUris": ["http://localhost"]},
            "web": {"redirectUris": ["https://example.com"]},
            "spa": {"redirectUris": []},
            "isFallbackPublicClient": null,
            "requiredResourceAccess": [
                {"resourceAppId": "00000002-0000-0000-c000-000000000000",
                 "resourceAccess": [{"id": "x", "type": "Scope"}]},
                {"resourceAppId": MICROSOFT_GRAPH_APP_ID,
                 "resourceAccess": [{"id": "a", "type": "Scope"}, {"id": "b", "type": "Role"}]}
            ]
        }))
        .expect("readable");
        assert_eq!(app.public_client_redirect_uris, ["http://localhost"]);
        assert_eq!(app.other_redirect_uris, ["https://example.com"]);
        assert!(!app.is_fallback_public_client);
        assert_eq!(app.graph_scope_ids, ["a"]);
        assert!(read_application(&json!({"publicClient": {"redirectUris": [1]}})).is_err());
        assert!(read_application(&json!({"isFallbackPublicClient": "yes"})).is_err());
    }
}
