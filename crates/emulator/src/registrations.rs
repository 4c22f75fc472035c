//! App registrations as Microsoft Graph stores them — application objects, service principals,
//! delegated permission grants — and what the identity endpoints read from them: whether a
//! client exists, its redirect URIs and public client flows, and which Graph scopes it holds
//! for a user. Graph's `applications`, `servicePrincipals` and `oauth2PermissionGrants`, the
//! admin consent endpoint and the control API all change this one model.

use crate::model::{Application, Tenant, roles};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::Digest;

/// The application ID of Microsoft Graph, the same in every tenant.
pub const GRAPH_APP_ID: &str = "00000003-0000-0000-c000-000000000000";

/// Microsoft Graph's delegated permissions (`oauth2PermissionScopes`) the emulator knows, with
/// their IDs from Microsoft Learn's "Microsoft Graph permissions reference", and whether they
/// need an administrator's consent.
pub const GRAPH_SCOPES: &[(&str, &str, bool)] = &[
    ("User.Read", "e1fe6dd8-ba31-4d61-89e7-88639da4683d", false),
    (
        "User.ReadBasic.All",
        "b340eb25-3456-403f-be2f-af7a0d370277",
        false,
    ),
    (
        "User.Read.All",
        "a154be20-db9c-4678-8ab7-66f6cc099a59",
        true,
    ),
    (
        "GroupMember.Read.All",
        "bc024368-1153-4739-b217-4326f2e966d0",
        true,
    ),
    (
        "Group.Read.All",
        "5f8c59db-677d-491f-a6b8-5f174b11ec1d",
        true,
    ),
    (
        "Directory.Read.All",
        "06da0dbc-49e2-44d2-8312-53f166ab848a",
        true,
    ),
    (
        "Directory.ReadWrite.All",
        "c5366453-9fb0-48a5-a156-24f0c49a4b84",
        true,
    ),
    (
        "Member.Read.Hidden",
        "f6a3db3e-f7e8-4ed2-a414-557c8c9830be",
        true,
    ),
    (
        "RoleManagement.Read.Directory",
        "741c54c3-0c1e-44a1-818b-3f97ab4e8c83",
        true,
    ),
    (
        "Application.Read.All",
        "c79f8feb-a9db-4090-85f9-90d820caa0eb",
        true,
    ),
    (
        "Application.ReadWrite.All",
        "bdfbf15f-ee85-4955-8675-146e8e5296b5",
        true,
    ),
    (
        "DelegatedPermissionGrant.ReadWrite.All",
        "41ce6ca6-6826-4807-84f1-1c82854f7ee5",
        true,
    ),
    ("openid", "37f7f235-527c-4136-accd-4a02d197296e", false),
    ("profile", "14dad69e-099b-42c9-810b-d002981feec1", false),
    ("email", "64a6cdd6-aab1-4aaf-94b8-3cc8405e90d0", false),
    (
        "offline_access",
        "7427e0e9-2fba-42fe-b0c0-848c9e6a8182",
        false,
    ),
];

/// The scope value of a Graph permission ID, if the emulator knows it.
pub fn graph_scope_name(id: &str) -> Option<&'static str> {
    GRAPH_SCOPES
        .iter()
        .find(|(_, i, _)| i.eq_ignore_ascii_case(id))
        .map(|(n, _, _)| *n)
}

/// The ID of a Graph permission by its value (case-insensitive).
pub fn graph_scope_id(name: &str) -> Option<&'static str> {
    GRAPH_SCOPES
        .iter()
        .find(|(n, _, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, i, _)| *i)
}

/// "Grant tenant-wide admin consent to an application" (Microsoft Entra docs): Global
/// Administrator and Privileged Role Administrator may consent to any permission; Cloud
/// Application Administrator and Application Administrator to any except Microsoft Graph app
/// roles (application permissions), so to every delegated permission modelled here.
pub const CONSENTING_ROLES: &[&str] = &[
    roles::GLOBAL_ADMINISTRATOR,
    roles::PRIVILEGED_ROLE_ADMINISTRATOR,
    roles::CLOUD_APPLICATION_ADMINISTRATOR,
    roles::APPLICATION_ADMINISTRATOR,
];

/// The `signInAudience` values Graph accepts.
pub const SIGN_IN_AUDIENCES: &[&str] = &[
    "AzureADMyOrg",
    "AzureADMultipleOrgs",
    "AzureADandPersonalMicrosoftAccount",
    "PersonalMicrosoftAccount",
];

/// One `requiredResourceAccess` entry: the permissions an application asks of one API.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RequiredResourceAccess {
    pub resource_app_id: String,
    #[serde(default)]
    pub resource_access: Vec<ResourceAccess>,
}

/// One permission in `requiredResourceAccess`: `type` is `Scope` (delegated) or `Role`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResourceAccess {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
}

/// An application object.
#[derive(Debug, Clone, PartialEq)]
pub struct AppObject {
    pub id: String,
    pub app_id: String,
    pub display_name: String,
    /// `AzureADMyOrg` (single tenant) or `AzureADMultipleOrgs` (…).
    pub sign_in_audience: String,
    /// `publicClient.redirectUris` ("Mobile and desktop applications").
    pub redirect_uris: Vec<String>,
    /// `isFallbackPublicClient` ("Allow public client flows").
    pub public_client_flows: bool,
    pub required_resource_access: Vec<RequiredResourceAccess>,
    /// `groupMembershipClaims`: `None`, `SecurityGroup`, `DirectoryRole`, `All`, …
    pub group_membership_claims: Option<String>,
    pub unique_name: Option<String>,
    /// Object IDs of the users who own the application: whoever created it through Graph
    /// ("the creator is added as the first owner"); owners may change it without a role.
    pub owners: Vec<String>,
    pub created: String,
    /// The tenant the application object lives in when it is not this one (a publisher's
    /// multi-tenant application): it signs in here only through a service principal here.
    pub home_tenant: Option<String>,
}

impl AppObject {
    /// Whether ID and access tokens carry `wids`.
    pub fn wids_in_tokens(&self) -> bool {
        matches!(
            self.group_membership_claims.as_deref(),
            Some("DirectoryRole" | "All")
        )
    }

    /// The Microsoft Graph delegated permissions `requiredResourceAccess` lists, by value.
    pub fn required_graph_scopes(&self) -> Vec<String> {
        self.required_resource_access
            .iter()
            .filter(|r| r.resource_app_id.eq_ignore_ascii_case(GRAPH_APP_ID))
            .flat_map(|r| &r.resource_access)
            .filter(|a| a.kind == "Scope")
            .filter_map(|a| graph_scope_name(&a.id).map(str::to_owned))
            .collect()
    }

    /// Applies the writable properties the emulator models from a Graph create or update body
    /// (others are accepted and not kept); the error is Graph's message.
    pub fn apply_fields(&mut self, fields: &serde_json::Map<String, Value>) -> Result<(), String> {
        let invalid = |key: &str| {
            format!("Invalid value specified for property '{key}' of resource 'Application'.")
        };
        for (key, value) in fields {
            match key.as_str() {
                "displayName" => {
                    self.display_name = value.as_str().ok_or_else(|| invalid(key))?.to_owned();
                }
                "signInAudience" => {
                    let v = value.as_str().ok_or_else(|| invalid(key))?;
                    if !SIGN_IN_AUDIENCES.contains(&v) {
                        return Err(invalid(key));
                    }
                    self.sign_in_audience = v.to_owned();
                }
                "isFallbackPublicClient" => {
                    self.public_client_flows = match value {
                        Value::Bool(b) => *b,
                        Value::Null => false,
                        _ => return Err(invalid(key)),
                    }
                }
                "publicClient" => {
                    let uris = value
                        .get("redirectUris")
                        .cloned()
                        .unwrap_or(Value::Array(Vec::new()));
                    self.redirect_uris = serde_json::from_value(uris).map_err(|_| invalid(key))?;
                }
                "requiredResourceAccess" => {
                    self.required_resource_access =
                        serde_json::from_value(value.clone()).map_err(|_| invalid(key))?;
                }
                "groupMembershipClaims" => {
                    self.group_membership_claims = value.as_str().map(str::to_owned);
                }
                "id" | "appId" | "uniqueName" | "createdDateTime" | "publisherDomain" => {
                    return Err(format!("Property '{key}' is read-only and cannot be set."));
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Graph's JSON of the application (the properties clients read).
    pub fn json(&self, publisher_domain: &str) -> Value {
        json!({
            "id": self.id,
            "appId": self.app_id,
            "displayName": self.display_name,
            "signInAudience": self.sign_in_audience,
            "isFallbackPublicClient": self.public_client_flows,
            "publicClient": {"redirectUris": self.redirect_uris},
            "web": {"redirectUris": [], "homePageUrl": null, "logoutUrl": null,
                    "implicitGrantSettings": {"enableIdTokenIssuance": false, "enableAccessTokenIssuance": false}},
            "spa": {"redirectUris": []},
            "requiredResourceAccess": self.required_resource_access,
            "groupMembershipClaims": self.group_membership_claims,
            "uniqueName": self.unique_name,
            "createdDateTime": self.created,
            "deletedDateTime": null,
            "publisherDomain": publisher_domain,
            "identifierUris": [],
            "appRoles": [],
            "keyCredentials": [],
            "passwordCredentials": [],
            "tags": [],
        })
    }
}

/// A service principal: an application's presence in this tenant.
#[derive(Debug, Clone, PartialEq)]
pub struct ServicePrincipal {
    pub id: String,
    pub app_id: String,
    pub display_name: String,
    pub app_owner_organization_id: String,
}

impl ServicePrincipal {
    pub fn json(&self) -> Value {
        let scopes: Vec<Value> = if self.app_id == GRAPH_APP_ID {
            GRAPH_SCOPES
                .iter()
                .map(|(value, id, admin)| {
                    json!({
                        "id": id, "value": value, "isEnabled": true,
                        "type": if *admin { "Admin" } else { "User" },
                        "adminConsentDisplayName": value, "adminConsentDescription": value,
                        "userConsentDisplayName": value, "userConsentDescription": value,
                    })
                })
                .collect()
        } else {
            Vec::new()
        };
        json!({
            "id": self.id,
            "appId": self.app_id,
            "displayName": self.display_name,
            "appDisplayName": self.display_name,
            "appOwnerOrganizationId": self.app_owner_organization_id,
            "accountEnabled": true,
            "servicePrincipalType": "Application",
            "servicePrincipalNames": [self.app_id],
            "oauth2PermissionScopes": scopes,
            "appRoles": [],
            "deletedDateTime": null,
        })
    }
}

/// An `oAuth2PermissionGrant`: delegated permissions a client service principal holds on a
/// resource service principal, for every user (`AllPrincipals`) or one (`Principal`).
#[derive(Debug, Clone, PartialEq)]
pub struct PermissionGrant {
    pub id: String,
    pub client_id: String,
    pub consent_type: String,
    pub principal_id: Option<String>,
    pub resource_id: String,
    pub scope: String,
}

impl PermissionGrant {
    pub fn json(&self) -> Value {
        json!({
            "id": self.id,
            "clientId": self.client_id,
            "consentType": self.consent_type,
            "principalId": self.principal_id,
            "resourceId": self.resource_id,
            "scope": self.scope,
        })
    }

    pub fn scopes(&self) -> impl Iterator<Item = &str> {
        self.scope.split_whitespace()
    }
}

/// Every registration the emulator knows: this tenant's applications, the publishers'
/// multi-tenant applications, and this tenant's service principals and grants.
#[derive(Debug, Clone, Default)]
pub struct Registrations {
    pub applications: Vec<AppObject>,
    pub service_principals: Vec<ServicePrincipal>,
    pub grants: Vec<PermissionGrant>,
}

/// A stable GUID derived from `seed`, so the fixture's objects keep their IDs across restarts
/// (the offline demo restarts with the app).
pub fn derived_guid(seed: &str) -> String {
    let d = sha2::Sha256::digest(seed.as_bytes());
    let h: String = d[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-4{}-a{}-{}",
        &h[..8],
        &h[8..12],
        &h[13..16],
        &h[17..20],
        &h[20..32]
    )
}

impl Registrations {
    /// The registrations a fixture's tenant describes: each fixture application registered here
    /// as the admin center leaves it (application, service principal and, when it lists
    /// granted scopes, the tenant-wide grant admin consent writes), Microsoft Graph's service
    /// principal, and `external` applications homed in other tenants.
    pub fn seed(tenant: &Tenant, external: &[(Application, String)]) -> Self {
        let mut r = Registrations::default();
        let graph = ServicePrincipal {
            id: derived_guid(&format!("sp|{}|{GRAPH_APP_ID}", tenant.id)),
            app_id: GRAPH_APP_ID.into(),
            display_name: "Microsoft Graph".into(),
            app_owner_organization_id: "f8cdef31-a31e-4b4a-93e4-5f571e91255a".into(),
        };
        let graph_sp = graph.id.clone();
        r.service_principals.push(graph);
        for app in &tenant.applications {
            let object = app_object(app, None, "2024-01-01T00:00:00Z");
            let sp = ServicePrincipal {
                id: derived_guid(&format!("sp|{}|{}", tenant.id, app.client_id)),
                app_id: app.client_id.clone(),
                display_name: app.display_name.clone(),
                app_owner_organization_id: tenant.id.clone(),
            };
            if !app.granted_scopes.is_empty() {
                r.grants.push(PermissionGrant {
                    id: derived_guid(&format!("grant|{}|{}", tenant.id, app.client_id)),
                    client_id: sp.id.clone(),
                    consent_type: "AllPrincipals".into(),
                    principal_id: None,
                    resource_id: graph_sp.clone(),
                    scope: app.granted_scopes.join(" "),
                });
            }
            r.service_principals.push(sp);
            r.applications.push(object);
        }
        for (app, home) in external {
            let mut object = app_object(app, Some(home.clone()), "2024-01-01T00:00:00Z");
            object.sign_in_audience = "AzureADMultipleOrgs".into();
            r.applications.push(object);
        }
        r
    }

    /// The application with this client ID, wherever it is homed.
    pub fn app(&self, app_id: &str) -> Option<&AppObject> {
        self.applications
            .iter()
            .find(|a| a.app_id.eq_ignore_ascii_case(app_id))
    }

    /// The application a client ID names *for sign-ins to this tenant*: one registered here,
    /// or a multi-tenant one from elsewhere (a single-tenant app of another tenant is not
    /// found, AADSTS700016).
    pub fn signing_in_app(&self, app_id: &str) -> Option<&AppObject> {
        self.app(app_id)
            .filter(|a| a.home_tenant.is_none() || a.sign_in_audience != "AzureADMyOrg")
    }

    /// Whether the client ID names another tenant's single-tenant application: it exists, but
    /// `signInAudience` `AzureADMyOrg` keeps it out of this tenant (AADSTS650059).
    pub fn is_foreign_single_tenant(&self, app_id: &str) -> bool {
        self.app(app_id)
            .is_some_and(|a| a.home_tenant.is_some() && a.sign_in_audience == "AzureADMyOrg")
    }

    pub fn service_principal_of(&self, app_id: &str) -> Option<&ServicePrincipal> {
        self.service_principals
            .iter()
            .find(|s| s.app_id.eq_ignore_ascii_case(app_id))
    }

    pub fn graph_service_principal(&self) -> Option<&ServicePrincipal> {
        self.service_principal_of(GRAPH_APP_ID)
    }

    /// The Graph scopes the client holds for `user_id`: the tenant-wide grant's and the user's
    /// own, through the client's service principal. None without a service principal.
    pub fn granted_graph_scopes(&self, app_id: &str, user_id: &str) -> Vec<String> {
        let (Some(client), Some(graph)) = (
            self.service_principal_of(app_id),
            self.graph_service_principal(),
        ) else {
            return Vec::new();
        };
        let mut out: Vec<String> = self
            .grants
            .iter()
            .filter(|g| g.client_id == client.id && g.resource_id == graph.id)
            .filter(|g| {
                g.consent_type == "AllPrincipals" || g.principal_id.as_deref() == Some(user_id)
            })
            .flat_map(|g| g.scopes().map(str::to_owned).collect::<Vec<_>>())
            .collect();
        out.sort();
        out.dedup();
        out
    }
}

/// The application object a fixture's registration stands for.
fn app_object(app: &Application, home_tenant: Option<String>, created: &str) -> AppObject {
    let access = app
        .granted_scopes
        .iter()
        .filter_map(|s| graph_scope_id(s))
        .map(|id| ResourceAccess {
            id: id.to_owned(),
            kind: "Scope".into(),
        })
        .collect();
    AppObject {
        id: derived_guid(&format!("app|{}", app.client_id)),
        app_id: app.client_id.clone(),
        display_name: app.display_name.clone(),
        sign_in_audience: "AzureADMyOrg".into(),
        redirect_uris: app.redirect_uris.clone(),
        public_client_flows: app.public_client_flows,
        required_resource_access: vec![RequiredResourceAccess {
            resource_app_id: GRAPH_APP_ID.into(),
            resource_access: access,
        }],
        group_membership_claims: app.wids_in_tokens.then(|| "DirectoryRole".to_owned()),
        unique_name: None,
        owners: Vec::new(),
        created: created.to_owned(),
        home_tenant,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_guids_are_guid_shaped_and_stable() {
        let a = derived_guid("x");
        assert_eq!(a, derived_guid("x"));
        assert_ne!(a, derived_guid("y"));
        assert_eq!(a.len(), 36);
        assert_eq!(a.matches('-').count(), 4);
    }
}
