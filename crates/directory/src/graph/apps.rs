//! What Graph shows of an app registration, for the registration check: the application object
//! (`applications(appId='…')`), a service principal (`servicePrincipals(appId='…')`), and the
//! tenant-wide (`AllPrincipals`) delegated grant of one service principal on another
//! (`oauth2PermissionGrants`). Each read needs its own permission (ARCHITECTURE.md, "Graph and
//! identity calls"); a refusal is the caller's to report ([`GraphError::is_forbidden`]), and
//! an object Graph does not have is `None`, not an error.
//!
//! Also the writes of the automatic registration (`sync::register`): the application upserted
//! by its `uniqueName`, its service principal, and its tenant-wide grant on Microsoft Graph
//! ("Upsert application", "Create servicePrincipal", "Create oAuth2PermissionGrant",
//! "Update oAuth2PermissionGrant"), each needing the permission its page names.

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

/// An application found by its `uniqueName` (an alternate key its creator chose), with what
/// the automatic registration compares and writes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NamedApplication {
    /// The object ID (`id`).
    pub object_id: String,
    /// The application (client) ID (`appId`).
    pub app_id: String,
    pub display_name: String,
    pub settings: ApplicationObject,
    /// `groupMembershipClaims` (`DirectoryRole` puts the directory roles in tokens as `wids`).
    pub group_membership_claims: Option<String>,
    pub sign_in_audience: String,
    /// `requiredResourceAccess` as Graph gave it: a PATCH replaces the whole list, so the
    /// entries for other APIs are written back unchanged.
    pub required_resource_access: Value,
}

/// One delegated permission grant: its ID and its space-separated `scope`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GrantObject {
    pub id: String,
    pub scope: String,
}

const NAMED_APPLICATION_SELECT: &str = "id,appId,displayName,uniqueName,signInAudience,groupMembershipClaims,publicClient,isFallbackPublicClient,requiredResourceAccess,web,spa";

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
        Ok(self
            .admin_consent_grants(client, resource)
            .await?
            .iter()
            .flat_map(|g| g.scope.split_whitespace().map(str::to_owned))
            .collect())
    }

    /// The tenant-wide (`AllPrincipals`) delegated grants the service principal `client`
    /// holds on the service principal `resource`, as [`Self::admin_consented_scopes`] reads them.
    pub async fn admin_consent_grants(
        &self,
        client: &str,
        resource: &str,
    ) -> Result<Vec<GrantObject>, GraphError> {
        let filter = encode(&format!("clientId eq '{}'", client.replace('\'', "''")));
        let url = self.url(&format!("/oauth2PermissionGrants?$filter={filter}"));
        let mut grants = Vec::new();
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
                    grants.push(GrantObject {
                        id: text("id").to_owned(),
                        scope: text("scope").to_owned(),
                    });
                }
            }
            Ok(())
        })
        .await?;
        Ok(grants)
    }

    /// The application with this `uniqueName` ("Get application" by the alternate key;
    /// `Application.Read.All`), `None` when the tenant has none.
    pub async fn application_by_unique_name(
        &self,
        unique_name: &str,
    ) -> Result<Option<NamedApplication>, GraphError> {
        let url = self.url(&format!(
            "/applications(uniqueName='{}')?$select={NAMED_APPLICATION_SELECT}",
            encode(&unique_name.replace('\'', "''"))
        ));
        match found(self.get(&url, false).await)? {
            Some(json) => read_named_application(&json).map(Some),
            None => Ok(None),
        }
    }

    /// "Upsert application": `PATCH /applications(uniqueName='…')` with `body`. With `create`,
    /// `Prefer: create-if-missing` makes it create the application when none has the name
    /// (201 with the new object: its `appId` is returned); without, it only updates (204,
    /// `None`; a missing application is Graph's 404). `Application.ReadWrite.All`.
    pub async fn upsert_application(
        &self,
        unique_name: &str,
        body: &Value,
        create: bool,
    ) -> Result<Option<String>, GraphError> {
        let url = self.url(&format!(
            "/applications(uniqueName='{}')",
            encode(&unique_name.replace('\'', "''"))
        ));
        let prefer = create.then_some("create-if-missing");
        let answer = self.patch(&url, body, prefer).await?;
        if answer.is_null() {
            return Ok(None);
        }
        match answer["appId"].as_str().filter(|id| !id.is_empty()) {
            Some(app_id) => Ok(Some(app_id.to_owned())),
            None => Err(GraphError::unreadable(
                "Microsoft Graph created the application without saying its appId",
            )),
        }
    }

    /// "Create servicePrincipal" for the application `app_id` (`Application.ReadWrite.All`).
    pub async fn create_service_principal(
        &self,
        app_id: &str,
    ) -> Result<ServicePrincipalObject, GraphError> {
        let url = self.url("/servicePrincipals");
        let answer = self
            .post(&url, &serde_json::json!({ "appId": app_id }))
            .await?;
        read_principal(&answer)
    }

    /// "Create oAuth2PermissionGrant": the tenant-wide (`AllPrincipals`) delegated grant of
    /// `scope` to the service principal `client` on the service principal `resource` — admin
    /// consent for the organization (`DelegatedPermissionGrant.ReadWrite.All`).
    pub async fn create_admin_consent_grant(
        &self,
        client: &str,
        resource: &str,
        scope: &str,
    ) -> Result<GrantObject, GraphError> {
        let url = self.url("/oauth2PermissionGrants");
        let body = serde_json::json!({
            "clientId": client,
            "consentType": "AllPrincipals",
            "resourceId": resource,
            "scope": scope,
        });
        let answer = self.post(&url, &body).await?;
        match answer["id"].as_str().filter(|id| !id.is_empty()) {
            Some(id) => Ok(GrantObject {
                id: id.to_owned(),
                scope: answer["scope"].as_str().unwrap_or(scope).to_owned(),
            }),
            None => Err(GraphError::unreadable(
                "Microsoft Graph created the permission grant without saying its ID",
            )),
        }
    }

    /// "Update oAuth2PermissionGrant": the grant's `scope` replaced
    /// (`DelegatedPermissionGrant.ReadWrite.All`).
    pub async fn update_grant_scope(&self, grant_id: &str, scope: &str) -> Result<(), GraphError> {
        let url = self.url(&format!("/oauth2PermissionGrants/{}", encode(grant_id)));
        self.patch(&url, &serde_json::json!({ "scope": scope }), None)
            .await?;
        Ok(())
    }
}

fn read_named_application(json: &Value) -> Result<NamedApplication, GraphError> {
    let settings = read_application(json)?;
    let text = |key: &str| json[key].as_str().unwrap_or_default().to_owned();
    let (object_id, app_id) = (text("id"), text("appId"));
    if object_id.is_empty() || app_id.is_empty() {
        return Err(GraphError::unreadable(
            "Microsoft Graph described the application without its id or appId",
        ));
    }
    Ok(NamedApplication {
        object_id,
        app_id,
        display_name: text("displayName"),
        settings,
        group_membership_claims: json["groupMembershipClaims"].as_str().map(str::to_owned),
        sign_in_audience: text("signInAudience"),
        required_resource_access: match &json["requiredResourceAccess"] {
            Value::Null => Value::Array(Vec::new()),
            other => other.clone(),
        },
    })
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
