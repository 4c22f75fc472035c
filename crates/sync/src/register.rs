//! Automatic registration: aadsync registers itself in a tenant that wants its own app
//! registration. An administrator signs in once with the publisher's multi-tenant application,
//! asking by name (dynamic consent) for the permissions that create applications and grant
//! consent; what Graph shows is read ([`read_existing`]), a pure [`plan`] says exactly what will
//! be created or changed (the preview), [`apply`] does only that, and the organization is then
//! signed in to and saved with the new client ID as usual ([`prepare_registered`],
//! `crate::signin`, `crate::orgs::save`).
//!
//! The registration is the one `crate::registration` calls complete: `http://localhost` under
//! *Mobile and desktop applications*, public client flows on, every feature's delegated Graph
//! permission, the service principal and the tenant-wide grant — plus the groups claim
//! *Directory roles*, so the administrator check reads the roles from the token. It is found
//! again by its `uniqueName` (an alternate key Graph keeps unique), so running it twice makes
//! one registration.

use crate::orgs::{OrgError, Prepared};
use crate::publisher::publisher_client_id;
use crate::registration::REDIRECT_URI;
use crate::signin::{Method, SignIn};
use aadsync_directory::ClientId;
use aadsync_directory::auth::admin::AdminPolicy;
use aadsync_directory::auth::permissions::Feature;
use aadsync_directory::auth::signin::Scopes;
use aadsync_directory::graph::{
    GraphClient, GraphError, MICROSOFT_GRAPH_APP_ID, NamedApplication, ServicePrincipalObject,
};
use aadsync_store::CloudKind;
use serde_json::{Value, json};

/// The `uniqueName` of the application aadsync registers: how a second run finds it.
pub const UNIQUE_NAME: &str = "aadsync";
/// The display name of a new registration (an administrator may rename it; it stays found).
pub const DISPLAY_NAME: &str = "aadsync";
/// Single tenant: the registration serves only the tenant it is registered in.
pub const SIGN_IN_AUDIENCE: &str = "AzureADMyOrg";
/// `groupMembershipClaims`: the directory roles in the tokens (`wids`), which the
/// administrator check reads without any further permission.
pub const GROUPS_CLAIM: &str = "DirectoryRole";

/// What the bootstrap sign-in asks for by name: `User.Read` (sign-in, the administrator
/// check, the organization), `Application.ReadWrite.All` ("Upsert application", "Create
/// servicePrincipal") and `DelegatedPermissionGrant.ReadWrite.All` ("Create
/// oAuth2PermissionGrant"; it also reads the grants).
pub const BOOTSTRAP_PERMISSIONS: &[&str] = &[
    "User.Read",
    "Application.ReadWrite.All",
    "DelegatedPermissionGrant.ReadWrite.All",
];

/// The directory roles that may do all of it (role template IDs): "Upsert application" and
/// "Create servicePrincipal" name Application Administrator and Cloud Application
/// Administrator; "Grant tenant-wide admin consent" lets both grant delegated Microsoft Graph
/// permissions; Global Administrator may do everything.
pub const REGISTERING_ROLES: &[(&str, &str)] = &[
    (
        "62e90394-69f5-4237-9190-012177145e10",
        "Global Administrator",
    ),
    (
        "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3",
        "Application Administrator",
    ),
    (
        "158c047a-c907-4556-b7ef-446551a6b5f7",
        "Cloud Application Administrator",
    ),
];

/// The bootstrap sign-in's scopes.
pub fn bootstrap_scopes() -> Scopes {
    Scopes::named(BOOTSTRAP_PERMISSIONS)
}

/// Who may register: [`REGISTERING_ROLES`].
pub fn registering_policy() -> AdminPolicy {
    AdminPolicy {
        roles: REGISTERING_ROLES
            .iter()
            .map(|(id, name)| ((*id).to_owned(), (*name).to_owned()))
            .collect(),
    }
}

/// The delegated Microsoft Graph permissions the registration lists and consents: for each of
/// aadsync's features its least privileged one, so the registration check finds nothing to add.
pub fn registered_permissions() -> Vec<&'static str> {
    let mut names: Vec<&'static str> = Vec::new();
    for feature in Feature::ALL {
        if let Some(first) = feature.needs().first()
            && !names.contains(first)
        {
            names.push(first);
        }
    }
    names
}

#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    #[error("{0}")]
    SignIn(#[from] OrgError),
    /// Graph refused a read or a write for lack of a role or permission.
    #[error(
        "Microsoft Graph refused to {step} ({source}). Registering aadsync needs an administrator with the role Application Administrator, Cloud Application Administrator or Global Administrator, and a sign-in granted the delegated permissions Application.ReadWrite.All and DelegatedPermissionGrant.ReadWrite.All (accepted on the consent page). Sign in with such an account and run the registration again: what was already created is reused"
    )]
    Forbidden {
        step: &'static str,
        source: GraphError,
    },
    /// Automatic registration is not available for this organization (with why and what to
    /// do instead).
    #[error("{0}")]
    Unsupported(String),
    #[error("cannot {step}: {source}")]
    Graph {
        step: &'static str,
        source: GraphError,
    },
    /// The tenant has no Microsoft Graph service principal, or it does not publish a
    /// permission aadsync needs.
    #[error("{0}")]
    MicrosoftGraph(String),
    /// What Graph shows changed since the preview (another administrator, another run):
    /// nothing was written; preview again.
    #[error(
        "the registration in the tenant changed since the preview, so nothing was written. Look at the new preview and confirm again"
    )]
    Changed,
}

impl RegisterError {
    /// A 403 from Graph is about the administrator's rights; anything else is the step's.
    fn at(step: &'static str) -> impl FnOnce(GraphError) -> RegisterError {
        move |source| {
            if source.is_forbidden() {
                RegisterError::Forbidden { step, source }
            } else {
                RegisterError::Graph { step, source }
            }
        }
    }

    /// The administrator lacks a role or permission.
    pub fn is_forbidden(&self) -> bool {
        matches!(self, RegisterError::Forbidden { .. })
    }
}

/// Where the bootstrap sign-in goes: the tenant and cloud of `prepared` (from the New… form
/// or `--tenant`/`--cloud`), with the publisher's client ID. The national clouds are refused
/// before any sign-in: "Upsert application" (the application found and created by its
/// `uniqueName`) is available in the global service only.
pub fn prepare_bootstrap(prepared: &Prepared) -> Result<Prepared, RegisterError> {
    if prepared.demo {
        return Err(RegisterError::Unsupported(
            "the offline demo tenant has its app registration already; it needs no registration"
                .into(),
        ));
    }
    if matches!(prepared.cloud, CloudKind::UsGovernment | CloudKind::China) {
        return Err(RegisterError::Unsupported(
            "aadsync cannot register itself in a national cloud (GCC High, DoD, China): Microsoft Graph's \"Upsert application\", which finds and creates the registration by its unique name, is available in the global service only. Register aadsync by hand as the README's \"Registering your own app\" describes, then add the organization with its client ID".into(),
        ));
    }
    let mut bootstrap = prepared.clone();
    bootstrap.target.client_id = publisher_client_id()?;
    Ok(bootstrap)
}

/// Starts the bootstrap sign-in with the scopes of [`bootstrap_scopes`]. Finish it with
/// `SignIn::finish(registering_policy(), cancel)`; its session serves only the registration
/// and is never saved (the organization is saved from the sign-in with the new client ID).
pub async fn start_bootstrap(
    bootstrap: &Prepared,
    method: Method,
    hint: Option<&str>,
) -> Result<SignIn, OrgError> {
    let target = &bootstrap.target;
    let no_redirect =
        bootstrap_no_redirect_hint(target.client_id.as_str(), target.tenant.segment());
    Ok(
        SignIn::start_with(bootstrap, method, hint, bootstrap_scopes())
            .await?
            .with_no_redirect_hint(no_redirect),
    )
}

/// What a bootstrap sign-in that never comes back means: the errors Entra ID shows only in
/// the browser for the publisher's application asking for these permissions.
pub fn bootstrap_no_redirect_hint(client_id: &str, tenant: &str) -> String {
    let roles = REGISTERING_ROLES
        .iter()
        .map(|(_, name)| *name)
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "No answer from the browser yet. If Microsoft's page shows an error:
AADSTS90094 or AADSTS90093 (Need admin approval): the account may not consent to {permissions}; sign in as an administrator with one of these roles: {roles}
AADSTS700016 or AADSTS650059 (application not found, or not for use in this tenant): the application {client_id} must be the publisher's multi-tenant application; check its client ID
AADSTS90002 (tenant not found): the tenant must be the directory (tenant) ID or a verified domain of the organization ({tenant}), in the cloud chosen in aadsync
aadsync keeps waiting for the sign-in; Cancel stops it.",
        permissions = BOOTSTRAP_PERMISSIONS.join(", ")
    )
}

/// Where the organization signs in after the registration: the same tenant and cloud, with
/// the registered client ID.
pub fn prepare_registered(prepared: &Prepared, client_id: &ClientId) -> Prepared {
    let mut registered = prepared.clone();
    registered.target.client_id = client_id.clone();
    registered
}

/// What Graph shows of aadsync's registration in the tenant, and of Microsoft Graph.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Existing {
    /// The application with the `uniqueName` [`UNIQUE_NAME`].
    pub application: Option<NamedApplication>,
    /// Its service principal (only looked for when the application exists).
    pub service_principal: Option<ServicePrincipalObject>,
    /// Its tenant-wide (`AllPrincipals`) grants on Microsoft Graph.
    pub grants: Vec<aadsync_directory::graph::GrantObject>,
    /// Microsoft Graph's service principal: the grant's resource, and its permission IDs.
    pub microsoft_graph: Option<ServicePrincipalObject>,
}

/// Reads what exists (Graph: `Application.ReadWrite.All`, `DelegatedPermissionGrant.ReadWrite.All`).
pub async fn read_existing(graph: &GraphClient) -> Result<Existing, RegisterError> {
    let microsoft_graph = graph
        .service_principal_by_app_id(MICROSOFT_GRAPH_APP_ID)
        .await
        .map_err(RegisterError::at(
            "read Microsoft Graph's service principal",
        ))?;
    let application = graph
        .application_by_unique_name(UNIQUE_NAME)
        .await
        .map_err(RegisterError::at("read the application"))?;
    let service_principal = match &application {
        Some(app) => graph
            .service_principal_by_app_id(&app.app_id)
            .await
            .map_err(RegisterError::at(
                "read the application's service principal",
            ))?,
        None => None,
    };
    let grants = match (&service_principal, &microsoft_graph) {
        (Some(client), Some(resource)) => graph
            .admin_consent_grants(&client.id, &resource.id)
            .await
            .map_err(RegisterError::at("read the admin consent grants"))?,
        _ => Vec::new(),
    };
    Ok(Existing {
        application,
        service_principal,
        grants,
        microsoft_graph,
    })
}

/// [`read_existing`] then [`plan`]: the preview of what [`apply`] will do.
pub async fn read_and_plan(graph: &GraphClient) -> Result<RegistrationPlan, RegisterError> {
    plan(&read_existing(graph).await?)
}

/// Whether a part of the registration is created, changed or left as it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Create,
    Update,
    Present,
}

/// The application's part of the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedApplication {
    pub action: Action,
    /// The client ID when the application exists.
    pub app_id: Option<String>,
    /// What is written: every property for a new application, the changed ones for an update.
    pub body: Value,
    /// What the write does, for people.
    pub changes: Vec<String>,
}

/// The service principal's part of the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedPrincipal {
    pub action: Action,
    pub id: Option<String>,
}

/// The admin consent grant's part of the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedGrant {
    pub action: Action,
    /// The existing grant to update.
    pub id: Option<String>,
    /// The grant's scope after the write (space-separated).
    pub scope: String,
    /// The permissions the write adds.
    pub added: Vec<String>,
    /// Microsoft Graph's service principal (the grant's `resourceId`).
    pub resource_id: String,
}

/// Exactly what the registration will create or change, from what exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistrationPlan {
    pub application: PlannedApplication,
    pub service_principal: PlannedPrincipal,
    pub grant: PlannedGrant,
}

impl RegistrationPlan {
    /// Whether the registration is complete already: applying changes nothing.
    pub fn changes_nothing(&self) -> bool {
        self.application.action == Action::Present
            && self.service_principal.action == Action::Present
            && self.grant.action == Action::Present
    }

    /// The preview: one line per part, what will be created or changed, or that it is there.
    pub fn preview(&self) -> Vec<String> {
        let app = &self.application;
        let named = |id: &Option<String>| {
            id.as_deref()
                .map(|id| format!(" (client ID {id})"))
                .unwrap_or_default()
        };
        let application = match app.action {
            Action::Create => format!(
                "Create the application \"{DISPLAY_NAME}\" (uniqueName {UNIQUE_NAME}): {}",
                app.changes.join("; ")
            ),
            Action::Update => format!(
                "Change the application {UNIQUE_NAME}{}: {}",
                named(&app.app_id),
                app.changes.join("; ")
            ),
            Action::Present => format!(
                "Already present: the application {UNIQUE_NAME}{}, as aadsync needs it",
                named(&app.app_id)
            ),
        };
        let principal = match self.service_principal.action {
            Action::Present => {
                "Already present: its enterprise application (service principal)".to_owned()
            }
            _ => "Create its enterprise application (service principal) in this tenant".to_owned(),
        };
        let grant = match self.grant.action {
            Action::Create => format!(
                "Grant admin consent for the organization: a tenant-wide (AllPrincipals) delegated grant to Microsoft Graph of {}",
                self.grant.scope
            ),
            Action::Update => format!(
                "Add {} to its admin consent for the organization (the grant becomes: {})",
                self.grant.added.join(" "),
                self.grant.scope
            ),
            Action::Present => format!(
                "Already present: admin consent for the organization ({})",
                self.grant.scope
            ),
        };
        vec![application, principal, grant]
    }
}

fn contains(list: &[String], wanted: &str) -> bool {
    list.iter().any(|s| s.eq_ignore_ascii_case(wanted))
}

/// The plan, pure: what exists → what to create or change, and nothing else. Properties an
/// administrator set that aadsync does not need (other redirect URIs, other permissions,
/// the display name) are kept.
pub fn plan(existing: &Existing) -> Result<RegistrationPlan, RegisterError> {
    let graph = existing.microsoft_graph.as_ref().ok_or_else(|| {
        RegisterError::MicrosoftGraph(
            "this tenant has no service principal for Microsoft Graph, so no permission to it can be registered or consented. Register aadsync by hand as the README's \"Registering your own app\" describes".into(),
        )
    })?;
    let needed = registered_permissions();
    let mut needed_ids = Vec::new();
    for name in &needed {
        let id = graph
            .scopes
            .iter()
            .find(|(_, value)| value.eq_ignore_ascii_case(name))
            .map(|(id, _)| id.clone())
            .ok_or_else(|| {
                RegisterError::MicrosoftGraph(format!(
                    "Microsoft Graph's service principal in this tenant does not publish the delegated permission {name}"
                ))
            })?;
        needed_ids.push((*name, id));
    }
    let application = plan_application(existing.application.as_ref(), &needed_ids);
    let service_principal = match &existing.service_principal {
        Some(sp) => PlannedPrincipal {
            action: Action::Present,
            id: Some(sp.id.clone()),
        },
        None => PlannedPrincipal {
            action: Action::Create,
            id: None,
        },
    };
    let grant = plan_grant(existing, &needed, &graph.id);
    Ok(RegistrationPlan {
        application,
        service_principal,
        grant,
    })
}

fn plan_application(
    existing: Option<&NamedApplication>,
    needed_ids: &[(&'static str, String)],
) -> PlannedApplication {
    let permissions =
        |names: &[&str]| format!("delegated Microsoft Graph permissions {}", names.join(", "));
    let Some(app) = existing else {
        let names: Vec<&str> = needed_ids.iter().map(|(n, _)| *n).collect();
        let body = json!({
            "displayName": DISPLAY_NAME,
            "signInAudience": SIGN_IN_AUDIENCE,
            "publicClient": { "redirectUris": [REDIRECT_URI] },
            "isFallbackPublicClient": true,
            "groupMembershipClaims": GROUPS_CLAIM,
            "requiredResourceAccess": [graph_access(&[], needed_ids)],
        });
        return PlannedApplication {
            action: Action::Create,
            app_id: None,
            body,
            changes: vec![
                format!("single tenant ({SIGN_IN_AUDIENCE})"),
                format!("redirect URI {REDIRECT_URI} under Mobile and desktop applications"),
                "Allow public client flows: Yes".into(),
                "groups claim: Directory roles".into(),
                permissions(&names),
            ],
        };
    };
    let mut body = serde_json::Map::new();
    let mut changes = Vec::new();
    let settings = &app.settings;
    if !contains(&settings.public_client_redirect_uris, REDIRECT_URI) {
        let mut uris = settings.public_client_redirect_uris.clone();
        uris.push(REDIRECT_URI.to_owned());
        body.insert("publicClient".into(), json!({ "redirectUris": uris }));
        changes.push(format!(
            "add the redirect URI {REDIRECT_URI} under Mobile and desktop applications"
        ));
    }
    if !settings.is_fallback_public_client {
        body.insert("isFallbackPublicClient".into(), json!(true));
        changes.push("turn on Allow public client flows".into());
    }
    let claims = app.group_membership_claims.as_deref().unwrap_or("None");
    if !["DirectoryRole", "All"]
        .iter()
        .any(|c| c.eq_ignore_ascii_case(claims))
    {
        body.insert("groupMembershipClaims".into(), json!(GROUPS_CLAIM));
        changes.push(format!(
            "groups claim: Directory roles (instead of {claims})"
        ));
    }
    let missing: Vec<&(&'static str, String)> = needed_ids
        .iter()
        .filter(|(_, id)| !contains(&settings.graph_scope_ids, id))
        .collect();
    if !missing.is_empty() {
        let names: Vec<&str> = missing.iter().map(|(n, _)| *n).collect();
        body.insert(
            "requiredResourceAccess".into(),
            required_access(&app.required_resource_access, needed_ids),
        );
        changes.push(format!("add the {}", permissions(&names)));
    }
    PlannedApplication {
        action: if changes.is_empty() {
            Action::Present
        } else {
            Action::Update
        },
        app_id: Some(app.app_id.clone()),
        body: Value::Object(body),
        changes,
    }
}

/// Microsoft Graph's `requiredResourceAccess` entry: what it lists already (`keep`) and every
/// needed permission ID it lacks, as delegated (`Scope`) entries.
fn graph_access(keep: &[Value], needed_ids: &[(&'static str, String)]) -> Value {
    let mut access: Vec<Value> = keep.to_vec();
    for (_, id) in needed_ids {
        let listed = access.iter().any(|a| {
            a["type"].as_str() == Some("Scope")
                && a["id"].as_str().is_some_and(|i| i.eq_ignore_ascii_case(id))
        });
        if !listed {
            access.push(json!({ "id": id, "type": "Scope" }));
        }
    }
    json!({ "resourceAppId": MICROSOFT_GRAPH_APP_ID, "resourceAccess": access })
}

/// The whole `requiredResourceAccess` to write back (a PATCH replaces the list): other APIs'
/// entries unchanged, Microsoft Graph's with the needed permissions added.
fn required_access(existing: &Value, needed_ids: &[(&'static str, String)]) -> Value {
    let entries = existing.as_array().cloned().unwrap_or_default();
    let is_graph = |e: &Value| {
        e["resourceAppId"]
            .as_str()
            .is_some_and(|a| a.eq_ignore_ascii_case(MICROSOFT_GRAPH_APP_ID))
    };
    let mut out: Vec<Value> = entries.iter().filter(|e| !is_graph(e)).cloned().collect();
    let keep: Vec<Value> = entries
        .iter()
        .filter(|e| is_graph(e))
        .flat_map(|e| e["resourceAccess"].as_array().cloned().unwrap_or_default())
        .collect();
    out.push(graph_access(&keep, needed_ids));
    Value::Array(out)
}

fn plan_grant(existing: &Existing, needed: &[&str], resource_id: &str) -> PlannedGrant {
    let resource_id = resource_id.to_owned();
    let Some(grant) = existing.grants.first() else {
        return PlannedGrant {
            action: Action::Create,
            id: None,
            scope: needed.join(" "),
            added: needed.iter().map(|n| (*n).to_owned()).collect(),
            resource_id,
        };
    };
    let mut scopes: Vec<String> = grant.scope.split_whitespace().map(str::to_owned).collect();
    let added: Vec<String> = needed
        .iter()
        .filter(|n| !contains(&scopes, n))
        .map(|n| (*n).to_owned())
        .collect();
    scopes.extend(added.iter().cloned());
    PlannedGrant {
        action: if added.is_empty() {
            Action::Present
        } else {
            Action::Update
        },
        id: Some(grant.id.clone()),
        scope: scopes.join(" "),
        added,
        resource_id,
    }
}

/// Does what `previewed` says, and nothing else; returns the registration's client ID. The
/// preview may be minutes old (the administrator read it): Graph is read again first, and if
/// the plan is no longer the same, nothing is written ([`RegisterError::Changed`]). Run it
/// again after a failure: a new read and plan reuse what was created.
pub async fn apply(
    graph: &GraphClient,
    previewed: &RegistrationPlan,
) -> Result<ClientId, RegisterError> {
    let plan = read_and_plan(graph).await?;
    if plan != *previewed {
        return Err(RegisterError::Changed);
    }
    let app = &plan.application;
    let app_id = match (app.action, &app.app_id) {
        (Action::Present, Some(id)) => id.clone(),
        (Action::Update, Some(id)) => {
            graph
                .upsert_application(UNIQUE_NAME, &app.body, false)
                .await
                .map_err(RegisterError::at("change the application"))?;
            id.clone()
        }
        _ => {
            let created = graph
                .upsert_application(UNIQUE_NAME, &app.body, true)
                .await
                .map_err(RegisterError::at("create the application"))?;
            match created {
                Some(id) => id,
                // 204: it was created meanwhile (another run), and this write updated it.
                None => graph
                    .application_by_unique_name(UNIQUE_NAME)
                    .await
                    .map_err(RegisterError::at("read the application"))?
                    .map(|a| a.app_id)
                    .ok_or_else(|| RegisterError::Graph {
                        step: "create the application",
                        source: GraphError::unreadable(
                            "Microsoft Graph answered the upsert but has no such application",
                        ),
                    })?,
            }
        }
    };
    let client_id = ClientId::parse(&app_id).map_err(|e| RegisterError::Graph {
        step: "read the new client ID",
        source: GraphError::unreadable(e.to_string()),
    })?;
    let principal_id = match (&plan.service_principal.action, &plan.service_principal.id) {
        (Action::Present, Some(id)) => id.clone(),
        _ => {
            graph
                .create_service_principal(&app_id)
                .await
                .map_err(RegisterError::at("create the enterprise application"))?
                .id
        }
    };
    let grant = &plan.grant;
    match (grant.action, &grant.id) {
        (Action::Present, _) => {}
        (Action::Update, Some(id)) => graph
            .update_grant_scope(id, &grant.scope)
            .await
            .map_err(RegisterError::at("add to the admin consent"))?,
        _ => {
            graph
                .create_admin_consent_grant(&principal_id, &grant.resource_id, &grant.scope)
                .await
                .map_err(RegisterError::at("grant admin consent"))?;
        }
    }
    Ok(client_id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use aadsync_directory::graph::{ApplicationObject, GrantObject};

    const GRAPH_SP: &str = "graph-sp";

    fn graph_principal() -> ServicePrincipalObject {
        ServicePrincipalObject {
            id: GRAPH_SP.into(),
            scopes: [
                ("id-user-read", "User.Read"),
                ("id-user-read-all", "User.Read.All"),
                ("id-groupmember-read-all", "GroupMember.Read.All"),
                ("id-group-read-all", "Group.Read.All"),
                ("id-member-read-hidden", "Member.Read.Hidden"),
                ("id-directory-read-all", "Directory.Read.All"),
            ]
            .iter()
            .map(|(i, v)| ((*i).to_owned(), (*v).to_owned()))
            .collect(),
        }
    }

    const ALL_IDS: &[&str] = &[
        "id-user-read",
        "id-user-read-all",
        "id-groupmember-read-all",
        "id-member-read-hidden",
        "id-group-read-all",
    ];
    const ALL_SCOPES: &str =
        "User.Read User.Read.All GroupMember.Read.All Member.Read.Hidden Group.Read.All";

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| (*s).to_owned()).collect()
    }

    /// What a complete registration looks like in Graph.
    fn complete() -> Existing {
        Existing {
            application: Some(NamedApplication {
                object_id: "obj".into(),
                app_id: "0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f".into(),
                display_name: "aadsync".into(),
                settings: ApplicationObject {
                    public_client_redirect_uris: s(&[REDIRECT_URI]),
                    other_redirect_uris: Vec::new(),
                    is_fallback_public_client: true,
                    graph_scope_ids: s(ALL_IDS),
                },
                group_membership_claims: Some("DirectoryRole".into()),
                sign_in_audience: SIGN_IN_AUDIENCE.into(),
                required_resource_access: json!([{
                    "resourceAppId": MICROSOFT_GRAPH_APP_ID,
                    "resourceAccess": ALL_IDS.iter().map(|id| json!({"id": id, "type": "Scope"})).collect::<Vec<_>>(),
                }]),
            }),
            service_principal: Some(ServicePrincipalObject {
                id: "app-sp".into(),
                scopes: Vec::new(),
            }),
            grants: vec![GrantObject {
                id: "grant".into(),
                scope: ALL_SCOPES.into(),
            }],
            microsoft_graph: Some(graph_principal()),
        }
    }

    fn nothing() -> Existing {
        Existing {
            microsoft_graph: Some(graph_principal()),
            ..Existing::default()
        }
    }

    fn with_app(change: impl FnOnce(&mut NamedApplication)) -> Existing {
        let mut existing = complete();
        if let Some(app) = existing.application.as_mut() {
            change(app);
        }
        existing
    }

    /// (application, service principal, grant) actions, the application body's keys, the
    /// grant's scope.
    type Outcome = ((Action, Action, Action), Vec<String>, String);

    fn check(existing: &Existing) -> Outcome {
        let plan = plan(existing).expect("plan");
        assert_eq!(plan.preview().len(), 3);
        assert_eq!(
            plan.changes_nothing(),
            plan.preview()
                .iter()
                .all(|l| l.starts_with("Already present"))
        );
        let mut keys: Vec<String> = plan
            .application
            .body
            .as_object()
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default();
        keys.sort();
        (
            (
                plan.application.action,
                plan.service_principal.action,
                plan.grant.action,
            ),
            keys,
            plan.grant.scope,
        )
    }

    #[test]
    fn each_existing_state_plans_exactly_what_is_missing() {
        use Action::{Create, Present, Update};
        let cases: Vec<(&str, Existing, Outcome)> = vec![
            (
                "nothing yet: everything is created",
                nothing(),
                (
                    (Create, Create, Create),
                    s(&[
                        "displayName",
                        "groupMembershipClaims",
                        "isFallbackPublicClient",
                        "publicClient",
                        "requiredResourceAccess",
                        "signInAudience",
                    ]),
                    ALL_SCOPES.into(),
                ),
            ),
            (
                "complete: nothing changes",
                complete(),
                ((Present, Present, Present), vec![], ALL_SCOPES.into()),
            ),
            (
                "the redirect URI missing: only it",
                with_app(|a| a.settings.public_client_redirect_uris = s(&["ms-app://x"])),
                (
                    (Update, Present, Present),
                    s(&["publicClient"]),
                    ALL_SCOPES.into(),
                ),
            ),
            (
                "public client flows off",
                with_app(|a| a.settings.is_fallback_public_client = false),
                (
                    (Update, Present, Present),
                    s(&["isFallbackPublicClient"]),
                    ALL_SCOPES.into(),
                ),
            ),
            (
                "no groups claim",
                with_app(|a| a.group_membership_claims = None),
                (
                    (Update, Present, Present),
                    s(&["groupMembershipClaims"]),
                    ALL_SCOPES.into(),
                ),
            ),
            (
                "the groups claim All is enough",
                with_app(|a| a.group_membership_claims = Some("All".into())),
                ((Present, Present, Present), vec![], ALL_SCOPES.into()),
            ),
            (
                "a permission missing from the registration",
                with_app(|a| a.settings.graph_scope_ids = s(&ALL_IDS[..3])),
                (
                    (Update, Present, Present),
                    s(&["requiredResourceAccess"]),
                    ALL_SCOPES.into(),
                ),
            ),
            (
                "no service principal: it and the grant",
                Existing {
                    service_principal: None,
                    grants: Vec::new(),
                    ..complete()
                },
                ((Present, Create, Create), vec![], ALL_SCOPES.into()),
            ),
            (
                "a narrower grant is widened, keeping what it had",
                Existing {
                    grants: vec![GrantObject {
                        id: "grant".into(),
                        scope: "User.Read Directory.Read.All".into(),
                    }],
                    ..complete()
                },
                (
                    (Present, Present, Update),
                    vec![],
                    "User.Read Directory.Read.All User.Read.All GroupMember.Read.All Member.Read.Hidden Group.Read.All".into(),
                ),
            ),
        ];
        for (name, existing, expected) in cases {
            assert_eq!(check(&existing), expected, "case: {name}");
        }
    }

    #[test]
    fn an_update_keeps_what_the_administrator_added() {
        let existing = with_app(|a| {
            a.settings.public_client_redirect_uris = s(&["ms-app://x"]);
            a.settings.graph_scope_ids = s(&["id-user-read", "other-graph-scope"]);
            a.required_resource_access = json!([
                {"resourceAppId": "other-api", "resourceAccess": [{"id": "x", "type": "Scope"}]},
                {"resourceAppId": MICROSOFT_GRAPH_APP_ID, "resourceAccess": [
                    {"id": "id-user-read", "type": "Scope"},
                    {"id": "other-graph-scope", "type": "Scope"},
                    {"id": "an-app-role", "type": "Role"}]},
            ]);
        });
        let plan = plan(&existing).expect("plan");
        let body = &plan.application.body;
        assert_eq!(
            body["publicClient"]["redirectUris"],
            json!(["ms-app://x", REDIRECT_URI])
        );
        let required = body["requiredResourceAccess"].as_array().expect("list");
        assert_eq!(required[0]["resourceAppId"], "other-api");
        let graph: Vec<(&str, &str)> = required[1]["resourceAccess"]
            .as_array()
            .expect("access")
            .iter()
            .map(|a| {
                (
                    a["id"].as_str().unwrap_or(""),
                    a["type"].as_str().unwrap_or(""),
                )
            })
            .collect();
        assert_eq!(
            graph,
            [
                ("id-user-read", "Scope"),
                ("other-graph-scope", "Scope"),
                ("an-app-role", "Role"),
                ("id-user-read-all", "Scope"),
                ("id-groupmember-read-all", "Scope"),
                ("id-member-read-hidden", "Scope"),
                ("id-group-read-all", "Scope"),
            ]
        );
    }

    #[test]
    fn the_preview_names_everything_that_is_created() {
        let created = plan(&nothing()).expect("plan");
        let preview = created.preview().join("\n");
        for needed in [
            "Create the application \"aadsync\" (uniqueName aadsync)",
            "redirect URI http://localhost under Mobile and desktop applications",
            "Allow public client flows: Yes",
            "groups claim: Directory roles",
            "User.Read, User.Read.All, GroupMember.Read.All, Member.Read.Hidden, Group.Read.All",
            "Create its enterprise application (service principal)",
            "tenant-wide (AllPrincipals) delegated grant to Microsoft Graph of User.Read User.Read.All GroupMember.Read.All Member.Read.Hidden Group.Read.All",
        ] {
            assert!(preview.contains(needed), "{needed} not in:\n{preview}");
        }
        let again = plan(&complete()).expect("plan");
        assert!(again.changes_nothing());
    }

    /// The bootstrap goes to the same tenant and cloud with the publisher's client ID; the
    /// national clouds, where "Upsert application" is not available, are refused before it.
    #[test]
    fn the_bootstrap_signs_in_with_the_publishers_application_in_the_global_service_only() {
        use crate::orgs::{CloudChoice, NewOrganizationInput, prepare_new};
        let prepared = |cloud: CloudChoice| {
            prepare_new(&NewOrganizationInput {
                tenant: "contoso.com".into(),
                client_id: "0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f".into(),
                cloud,
            })
            .expect("prepared")
        };
        for cloud in [CloudChoice::Global, CloudChoice::Gcc] {
            let bootstrap = prepare_bootstrap(&prepared(cloud.clone())).expect("bootstrap");
            assert_eq!(
                bootstrap.target.client_id,
                crate::publisher::publisher_client_id().expect("publisher")
            );
            assert_eq!(bootstrap.target.tenant, prepared(cloud).target.tenant);
        }
        for cloud in [CloudChoice::GccHigh, CloudChoice::Dod, CloudChoice::China] {
            let refused = prepare_bootstrap(&prepared(cloud)).expect_err("national cloud");
            assert!(refused.to_string().contains("national cloud"), "{refused}");
        }
    }

    #[test]
    fn the_bootstrap_hint_names_the_roles_that_may_register() {
        let hint = bootstrap_no_redirect_hint("c", "contoso.com");
        for named in [
            "AADSTS90094",
            "Application Administrator, Cloud Application Administrator",
            "Application.ReadWrite.All",
            "contoso.com",
        ] {
            assert!(hint.contains(named), "{named}: {hint}");
        }
    }

    #[test]
    fn without_microsoft_graph_nothing_is_planned() {
        let err = plan(&Existing::default()).expect_err("no Microsoft Graph");
        assert!(
            err.to_string()
                .contains("no service principal for Microsoft Graph")
        );
        let mut partial = nothing();
        if let Some(g) = partial.microsoft_graph.as_mut() {
            g.scopes.retain(|(_, v)| v != "Member.Read.Hidden");
        }
        let err = plan(&partial).expect_err("unpublished permission");
        assert!(err.to_string().contains("Member.Read.Hidden"), "{err}");
    }

    /// The permissions registered are the ones the registration check wants, so it finds
    /// nothing to add after a registration.
    #[test]
    fn the_registration_is_what_the_check_calls_complete() {
        use crate::registration::{ApplicationSettings, Registration, check_registration};
        let names: Vec<String> = registered_permissions()
            .iter()
            .map(|n| (*n).to_owned())
            .collect();
        let report = check_registration(&Registration {
            application: Ok(ApplicationSettings {
                public_client_redirect_uris: s(&[REDIRECT_URI]),
                other_redirect_uris: Vec::new(),
                public_client_flows: true,
                requested: names.clone(),
            }),
            service_principal: true,
            consented: names,
        });
        assert_eq!(report.findings, []);
    }
}
