//! What the registration handlers share: request bodies read as Graph reads them, collection
//! answers filtered by `$filter`, entity answers, and the permission and role checks.

use super::auth::{Call, begin};
use super::query;
use super::response::GraphError;
use crate::state::Shared;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

/// Starts a delegated call that needs one of `scopes` and, for the signed-in user, one of
/// `roles` (none: no role needed).
#[allow(clippy::result_large_err)]
pub(super) fn begin_with_role(
    shared: &Shared,
    headers: &HeaderMap,
    scopes: &[&str],
    roles: &[&str],
) -> Result<Call, Response> {
    let call = begin(shared, headers, scopes)?;
    if !roles.is_empty() && !call.holds_role(roles) {
        return Err(call.ids.error(GraphError::forbidden()));
    }
    Ok(call)
}

/// The JSON object of a request body, or Graph's 400.
pub(super) fn body_object(body: &str) -> Result<Map<String, Value>, GraphError> {
    match serde_json::from_str::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(GraphError::bad_request(
            "Write requests (excluding DELETE) must contain the Content-Type header declaration."
                .into(),
        )),
    }
}

/// A collection page: every item `$filter` keeps (no paging: registrations are few).
pub(super) fn collection(
    shared: &Shared,
    call: &Call,
    raw: Option<&str>,
    name: &str,
    items: Vec<Value>,
) -> Response {
    let pairs = query::parse_pairs(raw);
    let filter = pairs
        .iter()
        .find(|(k, _)| k == "$filter")
        .map(|(_, v)| query::parse_filter(v));
    let value: Vec<Value> = match filter {
        Some(Err(e)) => return call.ids.error(e),
        Some(Ok(expr)) => items.into_iter().filter(|o| expr.matches(o)).collect(),
        None => items,
    };
    call.ids.json(json!({
        "@odata.context": format!("{}/v1.0/$metadata#{name}", shared.base_url()),
        "value": value,
    }))
}

/// One object with its `@odata.context`, with `status` (200 for a read, 201 for a create).
pub(super) fn entity(
    shared: &Shared,
    call: &Call,
    name: &str,
    mut object: Value,
    status: StatusCode,
) -> Response {
    object["@odata.context"] = json!(format!(
        "{}/v1.0/$metadata#{name}/$entity",
        shared.base_url()
    ));
    let mut response = call.ids.json(object);
    *response.status_mut() = status;
    response
}

/// 204 with Graph's headers.
pub(super) fn no_content(call: &Call) -> Response {
    let mut response = call.ids.json(Value::Null);
    *response.status_mut() = StatusCode::NO_CONTENT;
    let (parts, _) = response.into_parts();
    Response::from_parts(parts, axum::body::Body::empty()).into_response()
}

/// A string property of a request body.
pub(super) fn text(body: &Map<String, Value>, key: &str) -> Option<String> {
    body.get(key).and_then(Value::as_str).map(str::to_owned)
}
