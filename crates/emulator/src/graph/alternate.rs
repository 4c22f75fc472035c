//! Alternate-key paths, one URL segment each: `applications(appId='…')`,
//! `applications(uniqueName='…')` and `servicePrincipals(appId='…')`, as "Get application",
//! "Upsert application" and "Get servicePrincipal" document them.

use super::applications::{self, AppKey};
use super::principals;
use super::response::{GraphError, RequestIds};
use crate::state::Shared;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method};
use axum::response::Response;

/// `collection(key='value')` split into its parts (quotes required, as OData writes them).
fn parse(segment: &str) -> Option<(&str, &str, &str)> {
    let (collection, rest) = segment.split_once('(')?;
    let inner = rest.strip_suffix(')')?;
    let (key, value) = inner.split_once('=')?;
    let value = value.strip_prefix('\'')?.strip_suffix('\'')?;
    Some((collection, key, value))
}

pub(super) async fn dispatch(
    State(shared): State<Shared>,
    method: Method,
    headers: HeaderMap,
    Path(segment): Path<String>,
    body: String,
) -> Response {
    let key = match parse(&segment) {
        Some(("applications", "appId", v)) => Some(AppKey::AppId(v.to_owned())),
        Some(("applications", "uniqueName", v)) => Some(AppKey::UniqueName(v.to_owned())),
        _ => None,
    };
    match (key, method) {
        (Some(key), Method::GET) => applications::get(&shared, &headers, key),
        (Some(key), Method::PATCH) => applications::update(&shared, &headers, key, &body),
        (Some(key), Method::DELETE) => applications::delete(&shared, &headers, key),
        (None, Method::GET) => match parse(&segment) {
            Some(("servicePrincipals", "appId", v)) => {
                principals::get_principal(&shared, &headers, v, true)
            }
            _ => not_found(&shared, &headers, &segment),
        },
        _ => not_found(&shared, &headers, &segment),
    }
}

fn not_found(shared: &Shared, headers: &HeaderMap, segment: &str) -> Response {
    RequestIds::new(shared, headers).error(GraphError {
        status: axum::http::StatusCode::BAD_REQUEST,
        code: "BadRequest",
        message: format!("Resource not found for the segment '{segment}'."),
    })
}
