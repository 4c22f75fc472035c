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
use crate::signin::{Method, SignIn};
use aadsync_directory::ClientId;
use aadsync_directory::auth::admin::AdminPolicy;
use aadsync_directory::auth::permissions::Feature;
use aadsync_directory::auth::signin::Scopes;
use aadsync_directory::graph::{
    GraphClient, GraphError, MICROSOFT_GRAPH_APP_ID, ServicePrincipalObject,
};
use aadsync_store::CloudKind;

mod plan;
pub use plan::{
    Action, Existing, PlannedApplication, PlannedGrant, PlannedPrincipal, RegistrationPlan, plan,
};

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
            create_principal_once_replicated(graph, &app_id)
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

/// Seconds to wait between tries of "Create servicePrincipal" for an application created a
/// moment ago: Entra ID replicates the new application object first, and until then answers
/// 400 `Request_BadRequest` "The appId '…' of the service principal does not reference a valid
/// application object" (detail `NoBackingApplicationObject`), usually for a few seconds.
const REPLICATION_WAITS: &[u64] = &[1, 2, 4, 8, 15];

/// "Create servicePrincipal", tried again while the application is not replicated yet (at
/// most [`REPLICATION_WAITS`], half a minute in all); any other answer ends it at once.
async fn create_principal_once_replicated(
    graph: &GraphClient,
    app_id: &str,
) -> Result<ServicePrincipalObject, GraphError> {
    let mut waits = REPLICATION_WAITS.iter();
    loop {
        match graph.create_service_principal(app_id).await {
            Err(e) if not_replicated_yet(&e) => match waits.next() {
                Some(seconds) => {
                    tracing::info!(
                        app_id,
                        seconds,
                        "the new application is not replicated yet; waiting"
                    );
                    tokio::time::sleep(std::time::Duration::from_secs(*seconds)).await;
                }
                None => return Err(e),
            },
            other => return other,
        }
    }
}

/// The answer Entra ID gives while a new application object is not replicated yet.
fn not_replicated_yet(err: &GraphError) -> bool {
    matches!(
        err,
        GraphError::Http { status: 400, message, .. }
            if message.contains("does not reference a valid application object")
    )
}
