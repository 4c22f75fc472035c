//! The registration check as the CLI and the app run it: the organization's saved sign-in,
//! the Graph reads of its app registration (application object, service principals, admin
//! consent), then `registration::check_registration`. A read Graph refuses for lack of
//! permission leaves its part unchecked, with why, or falls back to what the sign-in itself
//! shows; a sign-in Entra ID refuses because of the registration is reported as a finding.
//! `after_sign_in_failure` and `after_graph_failure` run it on their own when a saved sign-in
//! or a Graph call failed in a way the registration causes, so the failure comes with the fix.

use crate::engine::SyncError;
use crate::orgs::{Connected, OrgError, resume_session};
use crate::registration::{
    ApplicationSettings, Registration, RegistrationReport, check_registration, refused_sign_in,
};
use aadsync_directory::ClientId;
use aadsync_directory::auth::SessionError;
use aadsync_directory::graph::{
    ApplicationObject, GraphClient, GraphError, MICROSOFT_GRAPH_APP_ID, ServicePrincipalObject,
};
use aadsync_keystore::TokenStore;
use aadsync_store::Organization;
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    /// The saved sign-in could not be used for a reason that is not the registration's
    /// (revoked, expired, keyring, network).
    #[error("{0}")]
    SignIn(#[from] OrgError),
    /// A Graph read failed for a reason other than a refused permission (throttling that did
    /// not end, a network failure, an unreadable answer): nothing is concluded from a half read.
    #[error("cannot read the app registration from Microsoft Graph: {0}")]
    Graph(#[from] GraphError),
}

impl CheckError {
    /// The administrator has to sign in again (`aadsync login`, the wizard's sign-in).
    pub fn needs_sign_in(&self) -> bool {
        matches!(self, CheckError::SignIn(e) if e.needs_sign_in())
    }
}

/// Why a refused read left something unchecked; the permission it needs is the Graph page's
/// least privileged one.
fn refused(what: &str, permission: &str, err: &GraphError) -> String {
    format!("reading {what} was refused ({err}); it needs the delegated permission {permission}")
}

/// Checks the registration of `org` with its saved sign-in.
pub async fn check_organization(
    org: &Organization,
    tokens: &TokenStore,
) -> Result<RegistrationReport, CheckError> {
    let (session, _, _) = resume_session(org, tokens).await?;
    if let Err(err) = session.access_token().await {
        if let SessionError::SignInAgain { reason } = &err
            && let Some(report) = refused_sign_in(&org.client_id, reason)
        {
            return Ok(report);
        }
        return Err(OrgError::Session(err).into());
    }
    let granted = session.granted().await;
    let client_id = ClientId::parse(&org.client_id).map_err(OrgError::ClientId)?;
    let graph = GraphClient::new(Arc::new(session)).map_err(CheckError::Graph)?;
    check_with(&graph, &client_id, granted).await
}

/// After the saved sign-in of `org` failed: the check's findings when Entra ID refused it for
/// a reason of the registration (AADSTS65001, 700016, 7000218); `None` for any other failure.
pub fn after_sign_in_failure(org: &Organization, err: &OrgError) -> Option<RegistrationReport> {
    match err {
        OrgError::Session(SessionError::SignInAgain { reason }) => {
            refused_sign_in(&org.client_id, reason)
        }
        _ => None,
    }
}

/// After a Graph call through `connected`'s session failed: when Graph refused it (403, what a
/// permission missing from the registration or its consent causes) or Entra ID refused to
/// renew the sign-in for a reason of the registration, the check through the same session.
/// `None` when the failure has another cause, the check found nothing, or it could not run:
/// the failure's own message then stands alone.
pub async fn after_graph_failure(
    connected: &Connected,
    err: &GraphError,
) -> Option<RegistrationReport> {
    let report = match err {
        GraphError::Session(SessionError::SignInAgain { reason }) => {
            refused_sign_in(&connected.organization.client_id, reason)?
        }
        e if e.is_forbidden() => {
            let client_id = ClientId::parse(&connected.organization.client_id).ok()?;
            let graph = GraphClient::new(Arc::clone(&connected.session)).ok()?;
            let granted = connected.session.granted().await;
            match check_with(&graph, &client_id, granted).await {
                Ok(report) => report,
                Err(e) => {
                    tracing::warn!(error = %e, "the registration check after a refused Graph call failed");
                    return None;
                }
            }
        }
        _ => return None,
    };
    (!report.findings.is_empty()).then_some(report)
}

/// [`after_graph_failure`] for a synchronization's failure.
pub async fn after_sync_failure(
    connected: &Connected,
    err: &SyncError,
) -> Option<RegistrationReport> {
    match err {
        SyncError::Graph(e) => after_graph_failure(connected, e).await,
        _ => None,
    }
}

/// The reads and the check for the client `client_id`, through `graph`; `granted` is what
/// the sign-in's token answer said was granted (the fallback for admin consent).
pub async fn check_with(
    graph: &GraphClient,
    client_id: &ClientId,
    granted: Option<Vec<String>>,
) -> Result<RegistrationReport, CheckError> {
    let mut notes = Vec::new();
    let microsoft_graph = optional(
        graph
            .service_principal_by_app_id(MICROSOFT_GRAPH_APP_ID)
            .await,
    )?;
    let application = match optional(graph.application_by_app_id(client_id).await)? {
        Ok(Some(app)) => settings(app, &microsoft_graph),
        Ok(None) => Err(format!(
            "this tenant has no application object with the client ID {} (a multi-tenant application registered in another tenant is configured there)",
            client_id.as_str()
        )),
        Err(e) => Err(refused(
            "the application object",
            "Application.Read.All",
            &e,
        )),
    };
    let principal = optional(graph.service_principal_by_app_id(client_id.as_str()).await)?;
    let service_principal = match &principal {
        Ok(found) => found.is_some(),
        Err(e) => {
            notes.push(format!(
                "The enterprise application (service principal) was not read: {}. It exists: Entra ID issued the sign-in, which it does not without one",
                refused("it", "Application.Read.All", e)
            ));
            true
        }
    };
    let grants = match (&principal, &microsoft_graph) {
        (Ok(Some(client)), Ok(Some(resource))) => Some(optional(
            graph.admin_consented_scopes(&client.id, &resource.id).await,
        )?),
        (Ok(None), _) => Some(Ok(Vec::new())),
        _ => None,
    };
    let consented = match grants {
        Some(Ok(scopes)) => scopes,
        refusal => {
            let why = match refusal {
                Some(Err(e)) => refused("the admin consent grants", "Directory.Read.All", &e),
                _ => "the grants are read through the service principals, which were not readable; the grants themselves need the delegated permission Directory.Read.All".to_owned(),
            };
            notes.push(format!(
                "Admin consent was not read from Graph ({why}): the permissions are checked against those the saved sign-in was granted"
            ));
            granted.map(|g| scope_names(&g)).unwrap_or_default()
        }
    };
    let mut report = check_registration(&Registration {
        application,
        service_principal,
        consented,
    });
    report.unchecked.extend(notes);
    Ok(report)
}

/// A read's result with a refused permission (403) kept as a value, so the check goes on; any
/// other error ends the check.
fn optional<T>(result: Result<T, GraphError>) -> Result<Result<T, GraphError>, CheckError> {
    match result {
        Ok(v) => Ok(Ok(v)),
        Err(e) if e.is_forbidden() => Ok(Err(e)),
        Err(e) => Err(CheckError::Graph(e)),
    }
}

/// The application's settings, its Graph permission IDs named through Microsoft Graph's
/// service principal (an ID it does not publish is kept as the ID, so it never counts as a
/// needed permission).
fn settings(
    app: ApplicationObject,
    microsoft_graph: &Result<Option<ServicePrincipalObject>, GraphError>,
) -> Result<ApplicationSettings, String> {
    let names = match microsoft_graph {
        Ok(Some(graph)) => graph,
        Ok(None) => {
            return Err(
                "Microsoft Graph has no service principal in this tenant, so the application's permission IDs cannot be named".into(),
            );
        }
        Err(e) => {
            return Err(refused(
                "Microsoft Graph's service principal",
                "Application.Read.All",
                e,
            ));
        }
    };
    let requested = app
        .graph_scope_ids
        .iter()
        .map(|id| names.scope_value(id).unwrap_or(id).to_owned())
        .collect();
    Ok(ApplicationSettings {
        public_client_redirect_uris: app.public_client_redirect_uris,
        other_redirect_uris: app.other_redirect_uris,
        public_client_flows: app.is_fallback_public_client,
        requested,
    })
}

/// Permission names from a token answer's `scope` (`https://graph.microsoft.com/User.Read`
/// → `User.Read`).
fn scope_names(scopes: &[String]) -> Vec<String> {
    scopes
        .iter()
        .flat_map(|s| s.split_whitespace())
        .map(|s| s.rsplit('/').next().unwrap_or(s).to_owned())
        .collect()
}
