//! `applications`: create, list (`$filter=appId eq '…'`), get, update, delete, by object ID or
//! by the alternate keys `applications(appId='…')` and `applications(uniqueName='…')` (whose
//! PATCH is the documented upsert), on the same registrations sign-ins read.

use super::auth::{Call, begin};
use super::objects::{begin_with_role, body_object, collection, entity, no_content, text};
use super::response::GraphError;
use crate::model::roles;
use crate::registrations::AppObject;
use crate::state::Shared;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{Map, Value};

/// "List applications", "Get application": Application.Read.All least privileged; higher
/// Application.ReadWrite.All, Directory.Read.All, Directory.ReadWrite.All.
pub(super) const READ_APPLICATIONS: &[&str] = &[
    "Application.Read.All",
    "Application.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
];
/// "Create application", "Update application", "Delete application", "Upsert application":
/// Application.ReadWrite.All (delegated; no higher permission listed).
pub(super) const WRITE_APPLICATIONS: &[&str] = &["Application.ReadWrite.All"];
/// The directory roles that may update or delete *any* application in delegated calls (the
/// "Update application" / "Delete application" role note lists Cloud Application
/// Administrator and Application Administrator; Global Administrator holds every permission).
/// Anyone else changes only the applications they own. Creating needs no role at all: "a
/// nonadmin member or guest with default user permissions" may, because "Users can register
/// applications" is on by default, and the creator becomes the owner.
const APPLICATION_MANAGERS: &[&str] = &[
    roles::GLOBAL_ADMINISTRATOR,
    roles::APPLICATION_ADMINISTRATOR,
    roles::CLOUD_APPLICATION_ADMINISTRATOR,
];

/// Which application a path names.
pub(super) enum AppKey {
    Id(String),
    AppId(String),
    UniqueName(String),
}

impl AppKey {
    fn find<'r>(&self, apps: &'r [AppObject]) -> Option<&'r AppObject> {
        apps.iter()
            .filter(|a| a.home_tenant.is_none())
            .find(|a| match self {
                AppKey::Id(id) => a.id.eq_ignore_ascii_case(id),
                AppKey::AppId(id) => a.app_id.eq_ignore_ascii_case(id),
                AppKey::UniqueName(n) => a.unique_name.as_deref() == Some(n.as_str()),
            })
    }

    fn text(&self) -> &str {
        match self {
            AppKey::Id(s) | AppKey::AppId(s) | AppKey::UniqueName(s) => s,
        }
    }
}

fn publisher_domain(call: &Call) -> String {
    call.directory.tenant.default_domain().to_owned()
}

pub(super) async fn list(
    State(shared): State<Shared>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    let call = match begin_with_role(&shared, &headers, READ_APPLICATIONS, &[]) {
        Ok(call) => call,
        Err(r) => return r,
    };
    let domain = publisher_domain(&call);
    let items = shared
        .registrations()
        .applications
        .iter()
        .filter(|a| a.home_tenant.is_none())
        .map(|a| a.json(&domain))
        .collect();
    collection(&shared, &call, raw.as_deref(), "applications", items)
}

pub(super) async fn create(
    State(shared): State<Shared>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let call = match begin(&shared, &headers, WRITE_APPLICATIONS) {
        Ok(call) => call,
        Err(r) => return r,
    };
    match new_application(&shared, &call, &body, None) {
        Ok(app) => {
            let json = app.json(&publisher_domain(&call));
            shared.registrations().applications.push(app);
            entity(&shared, &call, "applications", json, StatusCode::CREATED)
        }
        Err(e) => call.ids.error(e),
    }
}

/// An application from a create (or upsert) body: `displayName` required.
fn new_application(
    shared: &Shared,
    call: &Call,
    body: &str,
    unique_name: Option<String>,
) -> Result<AppObject, GraphError> {
    let fields = body_object(body)?;
    if text(&fields, "displayName").is_none_or(|n| n.trim().is_empty()) {
        return Err(GraphError::bad_request(
            "Property 'displayName' is required.".into(),
        ));
    }
    let mut app = AppObject {
        id: shared.next_guid(),
        app_id: shared.next_guid(),
        display_name: String::new(),
        // What "Create application"'s example answers for a body with only a display name.
        sign_in_audience: "AzureADandPersonalMicrosoftAccount".into(),
        redirect_uris: Vec::new(),
        public_client_flows: false,
        required_resource_access: Vec::new(),
        group_membership_claims: None,
        unique_name,
        owners: vec![call.caller.object_id.clone()],
        created: shared.clock.now_iso(),
        home_tenant: None,
    };
    apply(&mut app, &fields)?;
    Ok(app)
}

/// The writable properties the emulator models, from a create or update body.
fn apply(app: &mut AppObject, fields: &Map<String, Value>) -> Result<(), GraphError> {
    app.apply_fields(fields).map_err(GraphError::bad_request)
}

pub(super) async fn get_by_id(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    get(&shared, &headers, AppKey::Id(id))
}

pub(super) fn get(shared: &Shared, headers: &HeaderMap, key: AppKey) -> Response {
    let call = match begin_with_role(shared, headers, READ_APPLICATIONS, &[]) {
        Ok(call) => call,
        Err(r) => return r,
    };
    let found = key
        .find(&shared.registrations().applications)
        .map(|a| a.json(&publisher_domain(&call)));
    match found {
        Some(json) => entity(shared, &call, "applications", json, StatusCode::OK),
        None => call.ids.error(GraphError::not_found(key.text())),
    }
}

pub(super) async fn update_by_id(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: String,
) -> Response {
    update(&shared, &headers, AppKey::Id(id), &body)
}

/// Whether the caller may change this application: an owner, or a role that manages all.
fn may_manage(call: &Call, app: &AppObject) -> bool {
    app.owners.contains(&call.caller.object_id) || call.holds_role(APPLICATION_MANAGERS)
}

/// Whether the request carries `Prefer: create-if-missing` (among other preferences, any case).
fn creates_if_missing(headers: &HeaderMap) -> bool {
    headers
        .get_all("Prefer")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|p| p.trim().eq_ignore_ascii_case("create-if-missing"))
}

/// PATCH: an update, or for `uniqueName` with `Prefer: create-if-missing` the documented
/// upsert (201 with the new application when none has that name; 204 for an update; 404
/// without the header when none has it).
pub(super) fn update(shared: &Shared, headers: &HeaderMap, key: AppKey, body: &str) -> Response {
    let call = match begin(shared, headers, WRITE_APPLICATIONS) {
        Ok(call) => call,
        Err(r) => return r,
    };
    let fields = match body_object(body) {
        Ok(f) => f,
        Err(e) => return call.ids.error(e),
    };
    let mut registrations = shared.registrations();
    let found = key.find(&registrations.applications).map(|a| a.id.clone());
    match (found, &key) {
        (Some(id), _) => {
            let Some(app) = registrations.applications.iter_mut().find(|a| a.id == id) else {
                return call.ids.error(GraphError::not_found(key.text()));
            };
            if !may_manage(&call, app) {
                return call.ids.error(GraphError::forbidden());
            }
            let mut changed = app.clone();
            if let Err(e) = apply(&mut changed, &fields) {
                return call.ids.error(e);
            }
            *app = changed;
            no_content(&call)
        }
        // "Upsert application": `Prefer: create-if-missing` is "required for upsert behavior,
        // otherwise the request is treated as an update operation" — and an update of an
        // application that does not exist is 404.
        (None, AppKey::UniqueName(name)) if creates_if_missing(headers) => {
            match new_application(shared, &call, body, Some(name.clone())) {
                Ok(app) => {
                    let json = app.json(&publisher_domain(&call));
                    registrations.applications.push(app);
                    drop(registrations);
                    entity(shared, &call, "applications", json, StatusCode::CREATED)
                }
                Err(e) => call.ids.error(e),
            }
        }
        (None, _) => call.ids.error(GraphError::not_found(key.text())),
    }
}

pub(super) async fn delete_by_id(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    delete(&shared, &headers, AppKey::Id(id))
}

/// DELETE: the application, and with it its service principal in this (its home) tenant and
/// that principal's grants.
pub(super) fn delete(shared: &Shared, headers: &HeaderMap, key: AppKey) -> Response {
    let call = match begin(shared, headers, WRITE_APPLICATIONS) {
        Ok(call) => call,
        Err(r) => return r,
    };
    let mut registrations = shared.registrations();
    let Some(app) = key.find(&registrations.applications) else {
        return call.ids.error(GraphError::not_found(key.text()));
    };
    if !may_manage(&call, app) {
        return call.ids.error(GraphError::forbidden());
    }
    let app_id = app.app_id.clone();
    registrations.applications.retain(|a| a.app_id != app_id);
    let principals: Vec<String> = registrations
        .service_principals
        .iter()
        .filter(|s| s.app_id == app_id)
        .map(|s| s.id.clone())
        .collect();
    registrations
        .service_principals
        .retain(|s| s.app_id != app_id);
    registrations
        .grants
        .retain(|g| !principals.contains(&g.client_id));
    drop(registrations);
    no_content(&call)
}
