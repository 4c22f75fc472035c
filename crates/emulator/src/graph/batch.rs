//! `directoryObjects/getByIds` and JSON `$batch`.

use super::auth::{READ_USERS, begin};
use super::projection::{GROUP_DEFAULT, USER_DEFAULT, project};
use super::response::{GraphError, RequestIds};
use crate::directory::Kind;
use crate::state::Shared;
use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Request};
use axum::response::Response;
use serde_json::{Map, Value, json};
use tower::ServiceExt;

/// Builds the router inner requests run through. A function rather than a router: the router
/// contains the `$batch` route itself, and state holding it would never be dropped.
pub type Dispatch = fn(&Shared) -> Router;

/// Graph's limit of requests in one batch.
pub const MAX_BATCH: usize = 20;
/// Graph's limit of IDs in one getByIds call.
pub const MAX_IDS: usize = 1000;

/// `POST /directoryObjects/getByIds` with `{"ids": [...], "types": ["user", "group"]}`.
pub async fn get_by_ids(
    State(shared): State<Shared>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let call = match begin(&shared, &headers, READ_USERS) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let Ok(request) = serde_json::from_slice::<Value>(&body) else {
        return call.ids.error(GraphError::bad_request(
            "Invalid JSON in the request body.".into(),
        ));
    };
    let Some(ids) = request["ids"].as_array() else {
        return call.ids.error(GraphError::bad_request(
            "The request body must contain 'ids'.".into(),
        ));
    };
    if ids.len() > MAX_IDS {
        return call.ids.error(GraphError::bad_request(format!(
            "Too many identifiers: at most {MAX_IDS} are allowed."
        )));
    }
    let types: Vec<String> = request["types"]
        .as_array()
        .map(|t| {
            t.iter()
                .filter_map(|v| v.as_str().map(str::to_lowercase))
                .collect()
        })
        .unwrap_or_default();
    let wanted = |kind: Kind| {
        types.is_empty()
            || types.iter().any(|t| match kind {
                Kind::User => t == "user",
                Kind::Group => t == "group",
                Kind::DirectoryObject => false,
            })
    };
    // Unknown IDs are left out, as Graph does.
    let value: Vec<Value> = ids
        .iter()
        .filter_map(Value::as_str)
        .filter_map(|id| call.directory.object(id))
        .filter(|o| wanted(o.kind()))
        .map(|o| match o.kind() {
            Kind::Group => project(&o, None, GROUP_DEFAULT, Some("#microsoft.graph.group")),
            _ => project(&o, None, USER_DEFAULT, Some("#microsoft.graph.user")),
        })
        .collect();
    call.ids.json(json!({
        "@odata.context": format!("{}/v1.0/$metadata#directoryObjects", shared.base_url()),
        "value": value,
    }))
}

/// `POST /$batch`: up to 20 requests, each served by the same routes (and faults), answered
/// with per-request status, headers and body. `dependsOn` on a failed request gives 424.
pub async fn batch(
    State(shared): State<Shared>,
    headers: HeaderMap,
    body: axum::body::Bytes,
    dispatch: Dispatch,
) -> Response {
    let ids = RequestIds::new(&shared, &headers);
    let Ok(request) = serde_json::from_slice::<Value>(&body) else {
        return ids.error(GraphError::bad_request(
            "Invalid batch payload format.".into(),
        ));
    };
    let Some(requests) = request["requests"].as_array() else {
        return ids.error(GraphError::bad_request(
            "Invalid batch payload format.".into(),
        ));
    };
    if requests.len() > MAX_BATCH {
        return ids.error(GraphError::bad_request(format!(
            "Number of included requests in the batch exceeds the limit of {MAX_BATCH}."
        )));
    }
    let app = dispatch(&shared);
    let authorization = headers.get(axum::http::header::AUTHORIZATION).cloned();
    let mut statuses: Map<String, Value> = Map::new();
    let mut responses = Vec::new();
    for inner in requests {
        let id = inner["id"]
            .as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| inner["id"].to_string());
        if failed_dependency(inner, &statuses) {
            statuses.insert(id.clone(), json!(424));
            responses.push(json!({"id": id, "status": 424, "body": {"error": {"code": "BadRequest", "message": "Failed dependency"}}}));
            continue;
        }
        let Some(request) = inner_request(inner, authorization.as_ref()) else {
            responses.push(json!({"id": id, "status": 400, "body": {"error": {"code": "BadRequest", "message": "Invalid request URL"}}}));
            continue;
        };
        let (status, out_headers, body) = run(&app, request).await;
        statuses.insert(id.clone(), json!(status));
        responses.push(json!({"id": id, "status": status, "headers": out_headers, "body": body}));
    }
    // Graph answers in any order ("JSON batching"): shuffled by a seed fixed per batch size, so
    // a failure replays and clients cannot rely on the request order.
    if shared.quirks.shuffle_batch {
        shuffle(&mut responses);
    }
    ids.json(json!({"responses": responses}))
}

/// A fixed permutation per length that moves the answers of a batch of two or more (a
/// Fisher–Yates draw, rotated once more when it left them in request order).
fn shuffle(responses: &mut Vec<Value>) {
    let n = responses.len();
    let mut order: Vec<usize> = (0..n).collect();
    let mut rng = crate::generate::Rng::new(0x5eed ^ n as u64);
    for i in (1..n).rev() {
        order.swap(i, rng.below(i + 1));
    }
    if order.iter().enumerate().all(|(i, o)| i == *o) {
        order.rotate_left(1);
    }
    let mut taken: Vec<Option<Value>> = responses.drain(..).map(Some).collect();
    responses.extend(order.into_iter().filter_map(|i| taken[i].take()));
}

/// Whether the request depends on one that failed (or has not run).
fn failed_dependency(inner: &Value, statuses: &Map<String, Value>) -> bool {
    inner["dependsOn"].as_array().is_some_and(|deps| {
        deps.iter().filter_map(Value::as_str).any(|d| {
            statuses
                .get(d)
                .and_then(Value::as_u64)
                .is_none_or(|s| s >= 400)
        })
    })
}

/// The HTTP request an inner request describes, under `/v1.0/`, with the batch's
/// `Authorization` and its own headers and body; `None` when that is not a valid request.
fn inner_request(inner: &Value, authorization: Option<&HeaderValue>) -> Option<Request<Body>> {
    let method = inner["method"].as_str().unwrap_or("GET").to_uppercase();
    let url = inner["url"].as_str().unwrap_or_default();
    let path = if url.starts_with("/v1.0/") {
        url.to_owned()
    } else {
        format!("/v1.0/{}", url.trim_start_matches('/'))
    };
    let mut builder = Request::builder().method(method.as_str()).uri(&path);
    if let Some(auth) = authorization {
        builder = builder.header(axum::http::header::AUTHORIZATION, auth.clone());
    }
    if let Some(extra) = inner["headers"].as_object() {
        for (k, v) in extra {
            if let Some(v) = v.as_str() {
                builder = builder.header(k.as_str(), v);
            }
        }
    }
    let body = if inner.get("body").is_some() {
        Body::from(inner["body"].to_string())
    } else {
        Body::empty()
    };
    builder.body(body).ok()
}

/// Runs one inner request through the app: its status, the headers a batch response repeats,
/// and its body (JSON, or the text as a string).
async fn run(app: &Router, request: Request<Body>) -> (u16, Map<String, Value>, Value) {
    let response = match app.clone().oneshot(request).await {
        Ok(r) => r,
        Err(never) => match never {},
    };
    let status = response.status().as_u16();
    let mut headers = Map::new();
    for name in ["retry-after", "content-type", "location"] {
        if let Some(v) = response.headers().get(name).and_then(|v| v.to_str().ok()) {
            headers.insert(name.to_owned(), json!(v));
        }
    }
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap_or_default();
    let body: Value =
        serde_json::from_slice(&bytes).unwrap_or_else(|_| json!(String::from_utf8_lossy(&bytes)));
    (status, headers, body)
}
