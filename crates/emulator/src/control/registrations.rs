//! Control API changes to app registrations, so a test can break a registration the way an
//! administrator would in the admin center: change the application (redirect URIs, public
//! client flows, required permissions, groups claim, audience), set or remove the tenant-wide
//! grant, remove the service principal. Also a dump of every registration.

use super::problem;
use crate::registrations::{GRAPH_APP_ID, PermissionGrant, ServicePrincipal, graph_scope_id};
use crate::state::Shared;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, patch};
use serde_json::{Value, json};

/// The registration routes under `/_emulator/`.
pub(super) fn router() -> Router<Shared> {
    Router::new()
        .route("/_emulator/registrations", get(dump))
        .route(
            "/_emulator/applications/{app_id}",
            patch(update_application),
        )
        .route(
            "/_emulator/applications/{app_id}/grant",
            axum::routing::put(set_grant).delete(remove_grant),
        )
        .route(
            "/_emulator/applications/{app_id}/servicePrincipal",
            delete(remove_principal).put(add_principal),
        )
}

/// Every application (with its home tenant), service principal and grant, in Graph's JSON.
async fn dump(State(shared): State<Shared>) -> Response {
    let r = shared.registrations();
    let domain = shared.directory().tenant.default_domain().to_owned();
    let apps: Vec<Value> = r
        .applications
        .iter()
        .map(|a| {
            let mut j = a.json(&domain);
            j["homeTenantId"] = json!(a.home_tenant);
            j
        })
        .collect();
    axum::Json(json!({
        "applications": apps,
        "servicePrincipals": r.service_principals.iter().map(ServicePrincipal::json).collect::<Vec<_>>(),
        "oauth2PermissionGrants": r.grants.iter().map(PermissionGrant::json).collect::<Vec<_>>(),
    }))
    .into_response()
}

/// Merges Graph-shaped application properties (`publicClient.redirectUris`,
/// `isFallbackPublicClient`, `requiredResourceAccess`, `groupMembershipClaims`,
/// `signInAudience`, `displayName`) into the application with this client ID.
async fn update_application(
    State(shared): State<Shared>,
    Path(app_id): Path<String>,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    let Value::Object(fields) = body else {
        return problem(StatusCode::BAD_REQUEST, "a JSON object is required");
    };
    let mut r = shared.registrations();
    let Some(app) = r
        .applications
        .iter_mut()
        .find(|a| a.app_id.eq_ignore_ascii_case(&app_id))
    else {
        return problem(StatusCode::NOT_FOUND, format!("no application {app_id}"));
    };
    let mut changed = app.clone();
    match changed.apply_fields(&fields) {
        Ok(()) => {
            *app = changed;
            StatusCode::NO_CONTENT.into_response()
        }
        Err(e) => problem(StatusCode::BAD_REQUEST, e),
    }
}

/// `{"scope": "User.Read …"}`: the tenant-wide grant to Microsoft Graph holds exactly these
/// scopes (created, with the service principal, when missing).
async fn set_grant(
    State(shared): State<Shared>,
    Path(app_id): Path<String>,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    let scope = body["scope"].as_str().unwrap_or_default().to_owned();
    if let Some(bad) = scope
        .split_whitespace()
        .find(|s| graph_scope_id(s).is_none())
    {
        return problem(
            StatusCode::BAD_REQUEST,
            format!("unknown Graph scope {bad}"),
        );
    }
    let tenant_id = shared.directory().tenant.id.clone();
    let mut r = shared.registrations();
    let Some(app) = r.app(&app_id).cloned() else {
        return problem(StatusCode::NOT_FOUND, format!("no application {app_id}"));
    };
    let client = match r.service_principal_of(&app.app_id) {
        Some(sp) => sp.id.clone(),
        None => {
            let sp = principal_for(&shared, &app, &tenant_id);
            let id = sp.id.clone();
            r.service_principals.push(sp);
            id
        }
    };
    let Some(graph) = r.graph_service_principal().map(|g| g.id.clone()) else {
        return problem(
            StatusCode::CONFLICT,
            "the tenant has no Microsoft Graph service principal",
        );
    };
    r.grants.retain(|g| {
        !(g.client_id == client && g.resource_id == graph && g.consent_type == "AllPrincipals")
    });
    r.grants.push(PermissionGrant {
        id: shared.next_guid(),
        client_id: client,
        consent_type: "AllPrincipals".into(),
        principal_id: None,
        resource_id: graph,
        scope,
    });
    StatusCode::NO_CONTENT.into_response()
}

fn principal_for(
    shared: &Shared,
    app: &crate::registrations::AppObject,
    tenant_id: &str,
) -> ServicePrincipal {
    ServicePrincipal {
        id: shared.next_guid(),
        app_id: app.app_id.clone(),
        display_name: app.display_name.clone(),
        app_owner_organization_id: app
            .home_tenant
            .clone()
            .unwrap_or_else(|| tenant_id.to_owned()),
    }
}

/// Removes every delegated grant the application's service principal holds (consent
/// revoked; the service principal stays).
async fn remove_grant(State(shared): State<Shared>, Path(app_id): Path<String>) -> Response {
    let mut r = shared.registrations();
    let Some(client) = r.service_principal_of(&app_id).map(|s| s.id.clone()) else {
        return problem(
            StatusCode::NOT_FOUND,
            format!("no service principal for {app_id}"),
        );
    };
    r.grants.retain(|g| g.client_id != client);
    StatusCode::NO_CONTENT.into_response()
}

/// Removes the application's service principal from the tenant, and its grants.
async fn remove_principal(State(shared): State<Shared>, Path(app_id): Path<String>) -> Response {
    if app_id.eq_ignore_ascii_case(GRAPH_APP_ID) {
        return problem(
            StatusCode::BAD_REQUEST,
            "Microsoft Graph's service principal stays",
        );
    }
    let mut r = shared.registrations();
    let Some(client) = r.service_principal_of(&app_id).map(|s| s.id.clone()) else {
        return problem(
            StatusCode::NOT_FOUND,
            format!("no service principal for {app_id}"),
        );
    };
    r.service_principals.retain(|s| s.id != client);
    r.grants.retain(|g| g.client_id != client);
    StatusCode::NO_CONTENT.into_response()
}

/// Adds the application's service principal (without any grant) when it is missing.
async fn add_principal(State(shared): State<Shared>, Path(app_id): Path<String>) -> Response {
    let tenant_id = shared.directory().tenant.id.clone();
    let mut r = shared.registrations();
    let Some(app) = r.app(&app_id).cloned() else {
        return problem(StatusCode::NOT_FOUND, format!("no application {app_id}"));
    };
    if r.service_principal_of(&app.app_id).is_none() {
        let sp = principal_for(&shared, &app, &tenant_id);
        r.service_principals.push(sp);
    }
    StatusCode::NO_CONTENT.into_response()
}
