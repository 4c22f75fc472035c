//! The admin consent endpoint, `/{tenant}/v2.0/adminconsent` (Microsoft identity platform,
//! "Admin consent on the Microsoft identity platform"): the administrator signs in on the
//! usual pages, sees the permissions asked for, and accepts or cancels. Accepting creates the
//! client's service principal in the tenant when it is missing and the tenant-wide
//! (`AllPrincipals`) delegated grant to Microsoft Graph, then redirects with
//! `admin_consent=True`, `tenant`, `scope` and `state`; refusals redirect with `error` and
//! `error_description` and, as the page's error response shows, `admin_consent=True` too. A
//! user who may not consent is stopped in the browser (AADSTS90094).

use super::authorize::{
    auth_request, begin_sign_in, page_error, redirect_error_with, redirect_with,
};
use super::errors::Aadsts;
use super::pages::{self, Step};
use crate::registrations::{
    CONSENTING_ROLES, GRAPH_APP_ID, PermissionGrant, ServicePrincipal, graph_scope_id,
};
use crate::sign_in::{AuthRequest, Flow};
use crate::state::Shared;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Response};
use std::collections::HashMap;

const GRAPH: &str = "https://graph.microsoft.com/";

/// `GET /{tenant}/v2.0/adminconsent?client_id&scope&redirect_uri&state`.
pub async fn adminconsent(
    State(shared): State<Shared>,
    Path(tenant): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let directory = shared.directory();
    // Tenant, client and redirect URI first: until they hold, errors can only be a page
    // (AADSTS90002, 700016, 50011), as on /authorize.
    let request = match auth_request(&shared, &directory, &tenant, &q) {
        Ok(request) => request,
        Err(err) => return page_error(&shared, &err),
    };
    if request.scopes.is_empty() {
        return refuse(
            &shared,
            &request,
            &Aadsts::new(
                "invalid_request",
                900144,
                "The request body must contain the following parameter: 'scope'.",
            ),
        );
    }
    if let Err(err) = graph_scopes(&shared, &request.client_id, &request.scopes) {
        return refuse(&shared, &request, &err);
    }
    begin_sign_in(&shared, &directory, &tenant, request, "", true)
}

/// The Graph permissions a consent grants: the `scope` parameter's, where `/.default` stands
/// for every delegated Graph permission in the application's `requiredResourceAccess` ("it
/// will function like the v1.0 admin consent endpoint and request consent for all scopes
/// found in the required permissions"). A scope Graph does not publish: AADSTS650053.
pub(super) fn graph_scopes(
    shared: &Shared,
    client_id: &str,
    requested: &[String],
) -> Result<Vec<String>, Aadsts> {
    let mut out = Vec::new();
    for scope in requested {
        let name = scope.strip_prefix(GRAPH).unwrap_or(scope);
        if name == ".default" {
            let required = shared
                .registrations()
                .app(client_id)
                .map(|a| a.required_graph_scopes())
                .unwrap_or_default();
            out.extend(required);
        } else if let Some(known) =
            graph_scope_id(name).and_then(crate::registrations::graph_scope_name)
        {
            out.push(known.to_owned());
        } else {
            return Err(Aadsts::new(
                "invalid_client",
                650053,
                format!(
                    "The application '{client_id}' asked for scope '{name}' that doesn't exist on the resource '{GRAPH_APP_ID}'. Contact the app vendor."
                ),
            ));
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// After the administrator signed in: the consent page for a role that may consent, else the
/// page that stops the user.
pub fn after_sign_in(shared: &Shared, flow_id: &str, flow: Flow, user_id: &str) -> Response {
    let directory = shared.directory();
    let may_consent = directory
        .tenant
        .held_roles_of(user_id)
        .iter()
        .any(|r| CONSENTING_ROLES.contains(r));
    if !may_consent {
        // "Users are blocked from granting consent to the application, and they're told to
        // ask their admin": a page, as on /authorize, not a redirect.
        end(shared, flow_id);
        let app_name = shared
            .registrations()
            .app(&flow.request.client_id)
            .map(|a| a.display_name.clone())
            .unwrap_or_default();
        return page_error(
            shared,
            &Aadsts::new(
                "access_denied",
                90094,
                format!("{app_name} needs permission to access resources in your organization that only an admin can grant. Please ask an admin to grant permission to this app before you can use it."),
            )
            .with_status(axum::http::StatusCode::OK),
        );
    }
    shared
        .identity()
        .admin_consents
        .insert(flow_id.to_owned(), true);
    let scopes = graph_scopes(shared, &flow.request.client_id, &flow.request.scopes)
        .unwrap_or_default()
        .join(", ");
    let app_name = shared
        .registrations()
        .app(&flow.request.client_id)
        .map(|a| a.display_name.clone())
        .unwrap_or_default();
    let context = format!(
        "{app_name} asks for: {scopes}. Accepting grants these permissions for every user of {}.",
        directory.tenant.display_name
    );
    Html(pages::step(&Step {
        action: &format!(
            "{}/{}/login",
            shared.base_url(),
            flow.request.tenant_segment
        ),
        flow: flow_id,
        step: "consent",
        heading: "Permissions requested — accept for your organization",
        context: Some(&context),
        field: ("consent", "hidden", ""),
        value: "accept",
        error: None,
        hint: None,
    }))
    .into_response()
}

/// A refusal sent back to the client: "admin_consent: Will be set to True to indicate that
/// this response occurred on an admin consent flow".
fn refuse(shared: &Shared, request: &AuthRequest, err: &Aadsts) -> Response {
    redirect_error_with(shared, request, err, &[("admin_consent", "True")])
}

/// Cancel on the consent page: the page's documented error response,
/// `error=consent_required` with AADSTS65004.
pub fn declined(shared: &Shared, request: &AuthRequest) -> Response {
    refuse(
        shared,
        request,
        &Aadsts::new(
            "consent_required",
            65004,
            "The resource owner or authorization server denied the request.",
        ),
    )
}

/// Whether this flow is an admin consent whose administrator has signed in.
pub fn awaiting_accept(shared: &Shared, flow_id: &str) -> bool {
    shared.identity().admin_consents.get(flow_id) == Some(&true)
}

/// Whether this flow started at the admin consent endpoint.
pub fn is_admin_consent(shared: &Shared, flow_id: &str) -> bool {
    shared.identity().admin_consents.contains_key(flow_id)
}

/// Forgets the flow.
pub fn end(shared: &Shared, flow_id: &str) {
    let mut identity = shared.identity();
    identity.flows.remove(flow_id);
    identity.admin_consents.remove(flow_id);
    identity.consent_prompts.remove(flow_id);
}

/// Accept: the service principal (when missing) and the tenant-wide grant, then the redirect.
pub fn accept(shared: &Shared, flow_id: &str, flow: &Flow) -> Response {
    end(shared, flow_id);
    let request = &flow.request;
    let scopes = match graph_scopes(shared, &request.client_id, &request.scopes) {
        Ok(s) => s,
        Err(err) => return refuse(shared, request, &err),
    };
    let tenant_id = shared.directory().tenant.id.clone();
    if let Err(err) = record_consent(shared, &request.client_id, &scopes, &tenant_id, None) {
        return refuse(shared, request, &err);
    }
    let scope = request.scopes.join(" ");
    redirect_with(
        request,
        &[
            ("admin_consent", "True"),
            ("tenant", &tenant_id),
            ("scope", &scope),
        ],
    )
}

/// Writes what consent leaves in the tenant: the client's service principal and its grant to
/// Microsoft Graph holding (at least) `scopes` — for every user (`AllPrincipals`), or for
/// `principal` alone (`Principal`).
pub(super) fn record_consent(
    shared: &Shared,
    client_id: &str,
    scopes: &[String],
    tenant_id: &str,
    principal: Option<&str>,
) -> Result<(), Aadsts> {
    let mut registrations = shared.registrations();
    let app = registrations.app(client_id).cloned().ok_or_else(|| {
        Aadsts::new(
            "unauthorized_client",
            700016,
            format!("Application with identifier '{client_id}' was not found."),
        )
    })?;
    let graph = registrations
        .graph_service_principal()
        .map(|g| g.id.clone())
        .ok_or_else(|| {
            Aadsts::new(
                "invalid_resource",
                500011,
                format!("The resource principal named {GRAPH_APP_ID} was not found in the tenant."),
            )
        })?;
    let client = match registrations.service_principal_of(client_id) {
        Some(sp) => sp.id.clone(),
        None => {
            let sp = ServicePrincipal {
                id: shared.next_guid(),
                app_id: app.app_id.clone(),
                display_name: app.display_name.clone(),
                app_owner_organization_id: app
                    .home_tenant
                    .clone()
                    .unwrap_or_else(|| tenant_id.to_owned()),
            };
            let id = sp.id.clone();
            registrations.service_principals.push(sp);
            id
        }
    };
    let consent_type = if principal.is_some() {
        "Principal"
    } else {
        "AllPrincipals"
    };
    let existing = registrations.grants.iter_mut().find(|g| {
        g.client_id == client
            && g.resource_id == graph
            && g.consent_type == consent_type
            && g.principal_id.as_deref() == principal
    });
    match existing {
        Some(grant) => {
            let mut all: Vec<String> = grant.scopes().map(str::to_owned).collect();
            all.extend(scopes.iter().cloned());
            all.sort();
            all.dedup();
            grant.scope = all.join(" ");
        }
        None => {
            let grant = PermissionGrant {
                id: shared.next_guid(),
                client_id: client,
                consent_type: consent_type.into(),
                principal_id: principal.map(str::to_owned),
                resource_id: graph,
                scope: scopes.join(" "),
            };
            registrations.grants.push(grant);
        }
    }
    Ok(())
}
