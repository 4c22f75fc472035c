//! The control API under `/_emulator/` (feature `control`): change the tenant and its app
//! registrations while it runs, inject faults, read the request log, move the clock. Never part of the real service's
//! surface, and not compiled into the shipped app's offline demo.

mod fault_layer;
mod objects;
mod registrations;

pub use crate::faults::{Fault, FaultKind, LOG_CAP, LoggedRequest, glob};
pub use fault_layer::middleware;

use crate::directory::Kind;
use crate::generate::iso_date;
use crate::state::Shared;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::json;
use std::collections::HashMap;

/// The `/_emulator/` routes.
pub fn router() -> Router<Shared> {
    Router::new()
        .route("/_emulator/tenant", get(tenant))
        .merge(objects::router())
        .merge(registrations::router())
        .route("/_emulator/clock", post(clock))
        .route(
            "/_emulator/faults",
            get(list_faults).post(add_fault).delete(clear_faults),
        )
        .route("/_emulator/requests", get(requests).delete(clear_requests))
}

/// A control API error: `{"error": message}`.
fn problem(status: StatusCode, message: impl Into<String>) -> Response {
    (status, axum::Json(json!({"error": message.into()}))).into_response()
}

/// 204 for a change made; 404 when the object is missing, 400 for anything else refused.
fn respond(result: Result<(), String>) -> Response {
    match result {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) if e.starts_with("no ") => problem(StatusCode::NOT_FOUND, e),
        Err(e) => problem(StatusCode::BAD_REQUEST, e),
    }
}

/// The tenant's identity and object counts.
async fn tenant(State(shared): State<Shared>) -> Response {
    let d = shared.directory();
    axum::Json(json!({
        "id": d.tenant.id, "displayName": d.tenant.display_name, "domains": d.tenant.domains,
        "users": d.listed(Kind::User).len(), "groups": d.listed(Kind::Group).len(),
        "deletedUsers": d.deleted(Kind::User).len(), "deletedGroups": d.deleted(Kind::Group).len(),
    }))
    .into_response()
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ClockChange {
    advance_seconds: i64,
}

/// Moves the clock and answers the time it now reads.
async fn clock(
    State(shared): State<Shared>,
    axum::Json(change): axum::Json<ClockChange>,
) -> Response {
    shared.clock.advance(change.advance_seconds);
    let now = shared.clock.now();
    axum::Json(json!({"now": iso_date(now.div_euclid(86_400), now.rem_euclid(86_400))}))
        .into_response()
}

async fn add_fault(State(shared): State<Shared>, axum::Json(fault): axum::Json<Fault>) -> Response {
    shared.faults().push(fault);
    StatusCode::CREATED.into_response()
}

/// The faults in order, each with how many matching requests it has seen and been applied to,
/// so a test can wait until a request is inside a delay instead of guessing with a sleep.
async fn list_faults(State(shared): State<Shared>) -> Response {
    let faults: Vec<_> = shared
        .faults()
        .iter()
        .map(|f| {
            json!({
                "path": f.path,
                "after": f.after,
                "times": f.times,
                "seen": f.seen,
                "applied": f.applied,
            })
        })
        .collect();
    axum::Json(json!({ "faults": faults })).into_response()
}

async fn clear_faults(State(shared): State<Shared>) -> Response {
    shared.faults().clear();
    StatusCode::NO_CONTENT.into_response()
}

/// The request log, optionally only the paths matching `?path=<glob>`.
async fn requests(
    State(shared): State<Shared>,
    Query(filter): Query<HashMap<String, String>>,
) -> Response {
    let log = shared.request_log();
    let path = filter.get("path");
    let entries: Vec<&LoggedRequest> = log
        .iter()
        .filter(|r| path.is_none_or(|p| glob(p, &r.path)))
        .collect();
    axum::Json(json!({"count": entries.len(), "requests": entries})).into_response()
}

async fn clear_requests(State(shared): State<Shared>) -> Response {
    shared.request_log().clear();
    StatusCode::NO_CONTENT.into_response()
}
