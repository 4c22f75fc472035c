//! `servicePrincipals` (create, list with `$filter=appId eq '…'`, get, delete) and
//! `oauth2PermissionGrants` (create, list with `$filter=clientId eq '…'`, get, update the
//! scope, delete): an application's presence in the tenant and its delegated consent.

use super::objects::{begin_with_role, body_object, collection, entity, no_content, text};
use super::response::GraphError;
use crate::model::roles;
use crate::registrations::{GRAPH_APP_ID, PermissionGrant, ServicePrincipal, graph_scope_id};
use crate::state::Shared;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

/// "List servicePrincipals", "Get servicePrincipal": Application.Read.All least privileged;
/// higher Application.ReadWrite.All, Directory.Read.All, Directory.ReadWrite.All.
const READ_PRINCIPALS: &[&str] = &[
    "Application.Read.All",
    "Application.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
];
/// "Create servicePrincipal", "Delete servicePrincipal": Application.ReadWrite.All; higher
/// Directory.ReadWrite.All.
const WRITE_PRINCIPALS: &[&str] = &["Application.ReadWrite.All", "Directory.ReadWrite.All"];
/// "List oauth2PermissionGrants", "Get oAuth2PermissionGrant": Directory.Read.All least
/// privileged; higher DelegatedPermissionGrant.ReadWrite.All, Directory.ReadWrite.All.
const READ_GRANTS: &[&str] = &[
    "Directory.Read.All",
    "DelegatedPermissionGrant.ReadWrite.All",
    "Directory.ReadWrite.All",
];
/// "Create oAuth2PermissionGrant", "Update …", "Delete …": DelegatedPermissionGrant.ReadWrite.All;
/// higher Directory.ReadWrite.All.
const WRITE_GRANTS: &[&str] = &[
    "DelegatedPermissionGrant.ReadWrite.All",
    "Directory.ReadWrite.All",
];
/// "Create servicePrincipal" / "Delete servicePrincipal" role note: Application
/// Administrator and Cloud Application Administrator; Application Developer for the
/// single-tenant applications they own (the emulator does not narrow it to those).
const PRINCIPAL_WRITERS: &[&str] = &[
    roles::GLOBAL_ADMINISTRATOR,
    roles::APPLICATION_ADMINISTRATOR,
    roles::CLOUD_APPLICATION_ADMINISTRATOR,
    roles::APPLICATION_DEVELOPER,
];
/// Reading grants is not for every member: the "List oAuth2PermissionGrants" / "Get" role
/// note lists these roles (Global Administrator holds every permission).
const GRANT_READERS: &[&str] = &[
    roles::GLOBAL_ADMINISTRATOR,
    roles::GLOBAL_READER,
    roles::DIRECTORY_READERS,
    roles::APPLICATION_ADMINISTRATOR,
    roles::APPLICATION_DEVELOPER,
    roles::CLOUD_APPLICATION_ADMINISTRATOR,
    roles::DIRECTORY_WRITERS,
    roles::PRIVILEGED_ROLE_ADMINISTRATOR,
    roles::USER_ADMINISTRATOR,
];
/// Writing delegated grants, to Microsoft Graph as to any API: "Grant tenant-wide admin
/// consent to an application" names Privileged Role Administrator, and Cloud Application
/// Administrator or Application Administrator for any permission except Microsoft Graph *app
/// roles* (not delegated grants); its Graph API walkthrough signs in "as at least a Cloud
/// Application Administrator". The "Create oAuth2PermissionGrant" role note also lists
/// Application Developer, Directory Writers and User Administrator; the consent article does
/// not, so the emulator refuses them.
const GRANTORS: &[&str] = &[
    roles::GLOBAL_ADMINISTRATOR,
    roles::PRIVILEGED_ROLE_ADMINISTRATOR,
    roles::CLOUD_APPLICATION_ADMINISTRATOR,
    roles::APPLICATION_ADMINISTRATOR,
];

pub(super) async fn list_principals(
    State(shared): State<Shared>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    let call = match begin_with_role(&shared, &headers, READ_PRINCIPALS, &[]) {
        Ok(call) => call,
        Err(r) => return r,
    };
    let items = shared
        .registrations()
        .service_principals
        .iter()
        .map(ServicePrincipal::json)
        .collect();
    collection(&shared, &call, raw.as_deref(), "servicePrincipals", items)
}

/// `servicePrincipals/{id}` or, with `by_app_id`, `servicePrincipals(appId='…')`.
pub(super) fn get_principal(
    shared: &Shared,
    headers: &HeaderMap,
    key: &str,
    by_app_id: bool,
) -> Response {
    let call = match begin_with_role(shared, headers, READ_PRINCIPALS, &[]) {
        Ok(call) => call,
        Err(r) => return r,
    };
    let found = shared
        .registrations()
        .service_principals
        .iter()
        .find(|s| {
            if by_app_id {
                s.app_id.eq_ignore_ascii_case(key)
            } else {
                s.id.eq_ignore_ascii_case(key)
            }
        })
        .map(ServicePrincipal::json);
    match found {
        Some(json) => entity(shared, &call, "servicePrincipals", json, StatusCode::OK),
        None => call.ids.error(GraphError::not_found(key)),
    }
}

pub(super) async fn get_principal_by_id(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    get_principal(&shared, &headers, &id, false)
}

/// POST: the service principal of an application registered here or of a multi-tenant one
/// registered elsewhere; one per application.
pub(super) async fn create_principal(
    State(shared): State<Shared>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let call = match begin_with_role(&shared, &headers, WRITE_PRINCIPALS, PRINCIPAL_WRITERS) {
        Ok(call) => call,
        Err(r) => return r,
    };
    let fields = match body_object(&body) {
        Ok(f) => f,
        Err(e) => return call.ids.error(e),
    };
    let app_id = text(&fields, "appId").unwrap_or_default();
    let mut registrations = shared.registrations();
    let Some(app) = registrations.signing_in_app(&app_id).cloned() else {
        return call.ids.error(GraphError::bad_request(format!(
            "The appId '{app_id}' of the service principal does not reference a valid application object."
        )));
    };
    if registrations.service_principal_of(&app.app_id).is_some() {
        return call.ids.error(GraphError {
            status: StatusCode::CONFLICT,
            code: "Request_MultipleObjectsWithSameKeyValue",
            // Learn does not document this refusal; the wording is Graph's in public reports.
            message: format!("The service principal cannot be created, updated, or restored because the service principal name {} is already in use.", app.app_id),
        });
    }
    let principal = ServicePrincipal {
        id: shared.next_guid(),
        app_id: app.app_id.clone(),
        display_name: app.display_name.clone(),
        app_owner_organization_id: app
            .home_tenant
            .clone()
            .unwrap_or_else(|| call.directory.tenant.id.clone()),
    };
    let json = principal.json();
    registrations.service_principals.push(principal);
    drop(registrations);
    entity(
        &shared,
        &call,
        "servicePrincipals",
        json,
        StatusCode::CREATED,
    )
}

/// DELETE: the service principal and the grants it held.
pub(super) async fn delete_principal(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let call = match begin_with_role(&shared, &headers, WRITE_PRINCIPALS, PRINCIPAL_WRITERS) {
        Ok(call) => call,
        Err(r) => return r,
    };
    let mut registrations = shared.registrations();
    let before = registrations.service_principals.len();
    registrations
        .service_principals
        .retain(|s| !s.id.eq_ignore_ascii_case(&id) || s.app_id == GRAPH_APP_ID);
    if registrations.service_principals.len() == before {
        return call.ids.error(GraphError::not_found(&id));
    }
    registrations
        .grants
        .retain(|g| !g.client_id.eq_ignore_ascii_case(&id));
    drop(registrations);
    no_content(&call)
}

pub(super) async fn list_grants(
    State(shared): State<Shared>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    let call = match begin_with_role(&shared, &headers, READ_GRANTS, GRANT_READERS) {
        Ok(call) => call,
        Err(r) => return r,
    };
    let items = shared
        .registrations()
        .grants
        .iter()
        .map(PermissionGrant::json)
        .collect();
    collection(
        &shared,
        &call,
        raw.as_deref(),
        "oauth2PermissionGrants",
        items,
    )
}

pub(super) async fn get_grant(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let call = match begin_with_role(&shared, &headers, READ_GRANTS, GRANT_READERS) {
        Ok(call) => call,
        Err(r) => return r,
    };
    let found = shared
        .registrations()
        .grants
        .iter()
        .find(|g| g.id == id)
        .map(PermissionGrant::json);
    match found {
        Some(json) => entity(
            &shared,
            &call,
            "oauth2PermissionGrants",
            json,
            StatusCode::OK,
        ),
        None => call.ids.error(GraphError::not_found(&id)),
    }
}

/// Checks a grant's scope against the resource: every value must be a delegated permission
/// Microsoft Graph publishes (the emulator knows no other resource's scopes).
fn check_scope(scope: &str) -> Result<(), GraphError> {
    match scope
        .split_whitespace()
        .find(|s| graph_scope_id(s).is_none())
    {
        Some(unknown) => Err(GraphError::bad_request(format!(
            "Permission entry '{unknown}' is not a valid delegated permission of the resource."
        ))),
        None => Ok(()),
    }
}

/// The grant a create body describes, checked against the tenant's principals and users.
fn new_grant(
    shared: &Shared,
    fields: &serde_json::Map<String, serde_json::Value>,
    directory: &crate::directory::Directory,
) -> Result<PermissionGrant, GraphError> {
    let client_id = text(fields, "clientId").unwrap_or_default();
    let resource_id = text(fields, "resourceId").unwrap_or_default();
    let consent_type = text(fields, "consentType").unwrap_or_default();
    let principal_id = text(fields, "principalId");
    let scope = text(fields, "scope").unwrap_or_default();
    let registrations = shared.registrations();
    let known = |id: &str| {
        registrations
            .service_principals
            .iter()
            .any(|s| s.id.eq_ignore_ascii_case(id))
    };
    if !known(&client_id) {
        return Err(GraphError::bad_request(format!(
            "Invalid value specified for property 'clientId' of resource 'OAuth2PermissionGrant': '{client_id}' is not a service principal."
        )));
    }
    if !known(&resource_id) {
        return Err(GraphError::bad_request(format!(
            "Invalid value specified for property 'resourceId' of resource 'OAuth2PermissionGrant': '{resource_id}' is not a service principal."
        )));
    }
    match (consent_type.as_str(), &principal_id) {
        ("AllPrincipals", None) => {}
        ("Principal", Some(user)) if directory.has_user(user) => {}
        _ => {
            return Err(GraphError::bad_request(
                "consentType must be 'AllPrincipals' without a principalId, or 'Principal' with the principalId of a user.".into(),
            ));
        }
    }
    check_scope(&scope)?;
    let duplicate = registrations.grants.iter().any(|g| {
        g.client_id.eq_ignore_ascii_case(&client_id)
            && g.resource_id.eq_ignore_ascii_case(&resource_id)
            && g.consent_type == consent_type
            && g.principal_id == principal_id
    });
    if duplicate {
        return Err(GraphError {
            status: StatusCode::CONFLICT,
            code: "Request_MultipleObjectsWithSameKeyValue",
            message: "Permission entry already exists.".into(),
        });
    }
    Ok(PermissionGrant {
        id: shared.next_guid(),
        client_id,
        consent_type,
        principal_id,
        resource_id,
        scope,
    })
}

pub(super) async fn create_grant(
    State(shared): State<Shared>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let call = match begin_with_role(&shared, &headers, WRITE_GRANTS, GRANTORS) {
        Ok(call) => call,
        Err(r) => return r,
    };
    let fields = match body_object(&body) {
        Ok(f) => f,
        Err(e) => return call.ids.error(e),
    };
    match new_grant(&shared, &fields, &call.directory) {
        Ok(grant) => {
            let json = grant.json();
            shared.registrations().grants.push(grant);
            entity(
                &shared,
                &call,
                "oauth2PermissionGrants",
                json,
                StatusCode::CREATED,
            )
        }
        Err(e) => call.ids.error(e),
    }
}

/// PATCH: only `scope` can change.
pub(super) async fn update_grant(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: String,
) -> Response {
    let call = match begin_with_role(&shared, &headers, WRITE_GRANTS, GRANTORS) {
        Ok(call) => call,
        Err(r) => return r,
    };
    let fields = match body_object(&body) {
        Ok(f) => f,
        Err(e) => return call.ids.error(e),
    };
    if !shared.registrations().grants.iter().any(|g| g.id == id) {
        return call.ids.error(GraphError::not_found(&id));
    }
    if let Some(scope) = text(&fields, "scope") {
        if let Err(e) = check_scope(&scope) {
            return call.ids.error(e);
        }
        if let Some(g) = shared
            .registrations()
            .grants
            .iter_mut()
            .find(|g| g.id == id)
        {
            g.scope = scope;
        }
    }
    no_content(&call)
}

pub(super) async fn delete_grant(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let call = match begin_with_role(&shared, &headers, WRITE_GRANTS, GRANTORS) {
        Ok(call) => call,
        Err(r) => return r,
    };
    if !shared.registrations().grants.iter().any(|g| g.id == id) {
        return call.ids.error(GraphError::not_found(&id));
    }
    shared.registrations().grants.retain(|g| g.id != id);
    no_content(&call)
}
