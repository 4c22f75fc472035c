//! The control API under `/_emulator/`: change the tenant while it runs, inject faults, read
//! the request log, move the clock. Never part of the real service's surface.

use crate::generate::iso_date;
use crate::model::{Group, Recyclable, User};
use crate::server::Shared;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::time::Duration;

/// What a fault does to a matching request.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(
    rename_all = "camelCase",
    rename_all_fields = "camelCase",
    tag = "kind"
)]
pub enum FaultKind {
    /// 429 with `Retry-After` (e.g. "2" or "0.5") and Graph's TooManyRequests body.
    Throttle { retry_after: String },
    /// 503 with an optional `Retry-After`.
    Unavailable { retry_after: Option<String> },
    /// Waits, then serves normally.
    Latency { millis: u64 },
    /// Sends headers, then breaks the connection mid-body.
    Drop,
    /// Serves the response with its JSON cut in half.
    Truncate,
    /// Answers with Graph's error body and this status (e.g. 400 `Request_UnsupportedQuery`
    /// for a tenant that refuses a query, 500 `generalException`).
    Error {
        status: u16,
        code: String,
        #[serde(default)]
        message: Option<String>,
    },
}

/// A fault on requests whose path (and query) matches `path` (`*` matches anything).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Fault {
    pub path: String,
    #[serde(flatten)]
    pub kind: FaultKind,
    /// Let this many matching requests through first.
    #[serde(default)]
    pub after: u64,
    /// Apply to this many requests, then stop (absent: forever).
    #[serde(default)]
    pub times: Option<u64>,
    #[serde(skip)]
    pub seen: u64,
    #[serde(skip)]
    pub applied: u64,
}

/// One served request, for tests that count calls.
#[derive(Debug, Clone, serde::Serialize)]
pub struct LoggedRequest {
    pub method: String,
    pub path: String,
    pub query: String,
    pub status: u16,
}

/// Maximum request log length (the oldest entries go first).
pub const LOG_CAP: usize = 200_000;

/// `*` wildcard matching over the whole string.
pub fn glob(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let mut rest = text;
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            let Some(r) = rest.strip_prefix(part) else {
                return false;
            };
            rest = r;
        } else if i == parts.len() - 1 {
            return rest.ends_with(part);
        } else if let Some(at) = rest.find(part) {
            rest = &rest[at + part.len()..];
        } else {
            return false;
        }
    }
    true
}

/// Applies faults and records the request log for everything outside `/_emulator/`.
pub async fn middleware(State(shared): State<Shared>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    if path.starts_with("/_emulator/") {
        return next.run(request).await;
    }
    let query = request.uri().query().unwrap_or_default().to_owned();
    let method = request.method().to_string();
    let target = if query.is_empty() {
        path.clone()
    } else {
        format!("{path}?{query}")
    };
    let fault = {
        let mut faults = shared.faults();
        faults.iter_mut().find_map(|f| {
            if !glob(&f.path, &target) && !glob(&f.path, &path) {
                return None;
            }
            f.seen += 1;
            if f.seen <= f.after || f.times.is_some_and(|t| f.applied >= t) {
                return None;
            }
            f.applied += 1;
            Some(f.kind.clone())
        })
    };
    let response = match fault {
        Some(FaultKind::Throttle { retry_after }) => graph_fault(
            &shared,
            StatusCode::TOO_MANY_REQUESTS,
            "TooManyRequests",
            "Please retry again later.",
            Some(&retry_after),
        ),
        Some(FaultKind::Unavailable { retry_after }) => graph_fault(
            &shared,
            StatusCode::SERVICE_UNAVAILABLE,
            "serviceNotAvailable",
            "The service is temporarily unavailable. Please retry later.",
            retry_after.as_deref(),
        ),
        Some(FaultKind::Latency { millis }) => {
            tokio::time::sleep(Duration::from_millis(millis)).await;
            next.run(request).await
        }
        Some(FaultKind::Drop) => {
            let stream = failing_body();
            let mut response = Response::new(Body::from_stream(stream));
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            response
        }
        Some(FaultKind::Truncate) => {
            let response = next.run(request).await;
            let (mut parts, body) = response.into_parts();
            let bytes = axum::body::to_bytes(body, usize::MAX)
                .await
                .unwrap_or_default();
            let cut = Bytes::copy_from_slice(&bytes[..bytes.len() / 2]);
            parts.headers.remove(header::CONTENT_LENGTH);
            Response::from_parts(parts, Body::from(cut))
        }
        Some(FaultKind::Error {
            status,
            code,
            message,
        }) => graph_fault(
            &shared,
            StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            &code,
            message.as_deref().unwrap_or("The request failed."),
            None,
        ),
        None => next.run(request).await,
    };
    shared.log_request(LoggedRequest {
        method,
        path,
        query,
        status: response.status().as_u16(),
    });
    response
}

/// A body stream that fails at once: the client sees the connection break mid-response.
fn failing_body() -> impl futures_core::Stream<Item = Result<Bytes, std::io::Error>> + Send {
    struct Fail(bool);
    impl futures_core::Stream for Fail {
        type Item = Result<Bytes, std::io::Error>;
        fn poll_next(
            mut self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Option<Self::Item>> {
            if self.0 {
                return std::task::Poll::Ready(None);
            }
            self.0 = true;
            std::task::Poll::Ready(Some(Err(std::io::Error::new(
                std::io::ErrorKind::ConnectionReset,
                "emulated dropped connection",
            ))))
        }
    }
    Fail(false)
}

fn graph_fault(
    shared: &Shared,
    status: StatusCode,
    code: &str,
    message: &str,
    retry_after: Option<&str>,
) -> Response {
    let request_id = shared.next_guid();
    let date = shared.clock.now_iso().trim_end_matches('Z').to_owned();
    let body = json!({"error": {
        "code": code,
        "message": message,
        "innerError": {"code": status.as_u16().to_string(), "date": date, "message": "Please retry after", "request-id": request_id, "client-request-id": request_id, "status": status.as_u16().to_string()}
    }});
    let mut response = (status, axum::Json(body)).into_response();
    if let Some(value) = retry_after.and_then(|v| HeaderValue::from_str(v).ok()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert("request-id", v);
    }
    response
}

pub fn router() -> Router<Shared> {
    Router::new()
        .route("/_emulator/tenant", get(tenant))
        .route("/_emulator/users", post(create_user))
        .route(
            "/_emulator/users/{id}",
            patch(update_user).delete(delete_user),
        )
        .route("/_emulator/users/{id}/restore", post(restore_user))
        .route("/_emulator/users/{id}/revoke", post(revoke))
        .route("/_emulator/groups", post(create_group))
        .route(
            "/_emulator/groups/{id}",
            patch(update_group).delete(delete_group),
        )
        .route("/_emulator/groups/{id}/restore", post(restore_group))
        .route("/_emulator/groups/{id}/members", post(change_members))
        .route("/_emulator/clock", post(clock))
        .route("/_emulator/faults", post(add_fault).delete(clear_faults))
        .route("/_emulator/requests", get(requests).delete(clear_requests))
}

fn problem(status: StatusCode, message: impl Into<String>) -> Response {
    (status, axum::Json(json!({"error": message.into()}))).into_response()
}

async fn tenant(State(shared): State<Shared>) -> Response {
    let d = shared.directory();
    axum::Json(json!({
        "id": d.tenant.id, "displayName": d.tenant.display_name, "domains": d.tenant.domains,
        "users": d.users_json.len(), "groups": d.groups_json.len(),
        "deletedUsers": d.deleted_users_json.len(), "deletedGroups": d.deleted_groups_json.len(),
    }))
    .into_response()
}

/// Fields a test may set on a user (Graph names); `id` and `createdDateTime` are generated.
/// Creates an object from Graph-shaped JSON; `id` and `createdDateTime` are filled in when
/// absent. `add` puts it into the tenant.
fn create<T>(shared: &Shared, mut body: Value, add: fn(&mut crate::model::Tenant, T)) -> Response
where
    T: serde::de::DeserializeOwned + serde::Serialize + Clone,
{
    if body.get("id").is_none() {
        body["id"] = json!(shared.next_guid());
    }
    if body.get("createdDateTime").is_none() {
        body["createdDateTime"] = json!(shared.clock.now_iso());
    }
    let object: T = match serde_json::from_value(body) {
        Ok(o) => o,
        Err(e) => return problem(StatusCode::BAD_REQUEST, e.to_string()),
    };
    let created = json!(object.clone());
    match shared.mutate(|t| {
        add(t, object);
        Ok(())
    }) {
        Ok(()) => (StatusCode::CREATED, axum::Json(created)).into_response(),
        Err(e) => problem(StatusCode::BAD_REQUEST, e),
    }
}

async fn create_user(
    State(shared): State<Shared>,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    create::<User>(&shared, body, |t, u| t.users.push(u))
}

/// Merges the given fields into the stored user (e.g. a rename, `accountEnabled: false`).
fn merge<T: serde::Serialize + serde::de::DeserializeOwned>(
    item: &mut T,
    patch: &Value,
) -> Result<(), String> {
    let mut value = serde_json::to_value(&*item).map_err(|e| e.to_string())?;
    if let (Value::Object(target), Value::Object(fields)) = (&mut value, patch) {
        for (k, v) in fields {
            if k == "id" {
                return Err("the object ID cannot change".into());
            }
            target.insert(k.clone(), v.clone());
        }
    }
    *item = serde_json::from_value(value).map_err(|e| e.to_string())?;
    Ok(())
}

async fn update_user(
    State(shared): State<Shared>,
    Path(id): Path<String>,
    axum::Json(patch): axum::Json<Value>,
) -> Response {
    respond(shared.mutate(|t| {
        let user = t
            .users
            .iter_mut()
            .find(|u| u.id == id)
            .ok_or(format!("no user {id}"))?;
        merge(user, &patch)
    }))
}

#[derive(Debug, Deserialize)]
struct DeleteOptions {
    #[serde(default)]
    hard: bool,
}

/// Soft delete (recycle bin, restorable) by default; `?hard=true` deletes permanently.
async fn delete_user(
    State(shared): State<Shared>,
    Path(id): Path<String>,
    Query(options): Query<DeleteOptions>,
) -> Response {
    let now = shared.clock.now_iso();
    respond(shared.mutate(|t| {
        let index = t
            .users
            .iter()
            .position(|u| u.id == id)
            .ok_or(format!("no user {id}"))?;
        if options.hard {
            t.users.remove(index);
            for g in &mut t.groups {
                g.members.retain(|m| *m != id);
            }
            for r in &mut t.role_assignments {
                r.members.retain(|m| *m != id);
            }
        } else {
            t.users[index].deleted_date_time = Some(now);
        }
        Ok(())
    }))
}

/// Takes the object with `id` out of the recycle bin.
fn restore<T: Recyclable>(items: &mut [T], id: &str, kind: &str) -> Result<(), String> {
    let (_, deleted) = items
        .iter_mut()
        .map(Recyclable::recycle_state)
        .find(|(object_id, deleted)| *object_id == id && deleted.is_some())
        .ok_or(format!("no deleted {kind} {id}"))?;
    *deleted = None;
    Ok(())
}

async fn restore_user(State(shared): State<Shared>, Path(id): Path<String>) -> Response {
    respond(shared.mutate(|t| restore(&mut t.users, &id, "user")))
}

async fn revoke(State(shared): State<Shared>, Path(id): Path<String>) -> Response {
    match shared.revoke_refresh_tokens(&id) {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => problem(StatusCode::NOT_FOUND, e.to_string()),
    }
}

async fn create_group(
    State(shared): State<Shared>,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    create::<Group>(&shared, body, |t, g| t.groups.push(g))
}

async fn update_group(
    State(shared): State<Shared>,
    Path(id): Path<String>,
    axum::Json(patch): axum::Json<Value>,
) -> Response {
    respond(shared.mutate(|t| {
        let group = t
            .groups
            .iter_mut()
            .find(|g| g.id == id)
            .ok_or(format!("no group {id}"))?;
        merge(group, &patch)
    }))
}

/// Microsoft 365 groups go to the recycle bin; security groups (and `?hard=true`) are deleted
/// permanently, as Entra ID does.
async fn delete_group(
    State(shared): State<Shared>,
    Path(id): Path<String>,
    Query(options): Query<DeleteOptions>,
) -> Response {
    let now = shared.clock.now_iso();
    respond(shared.mutate(|t| {
        let index = t
            .groups
            .iter()
            .position(|g| g.id == id)
            .ok_or(format!("no group {id}"))?;
        let unified = t.groups[index].group_types.iter().any(|g| g == "Unified");
        if options.hard || !unified {
            t.groups.remove(index);
            for g in &mut t.groups {
                g.members.retain(|m| *m != id);
            }
        } else {
            t.groups[index].deleted_date_time = Some(now);
        }
        Ok(())
    }))
}

async fn restore_group(State(shared): State<Shared>, Path(id): Path<String>) -> Response {
    respond(shared.mutate(|t| restore(&mut t.groups, &id, "group")))
}

#[derive(Debug, Deserialize)]
struct MemberChange {
    #[serde(default)]
    add: Vec<String>,
    #[serde(default)]
    remove: Vec<String>,
}

async fn change_members(
    State(shared): State<Shared>,
    Path(id): Path<String>,
    axum::Json(change): axum::Json<MemberChange>,
) -> Response {
    respond(shared.mutate(|t| {
        let group = t
            .groups
            .iter_mut()
            .find(|g| g.id == id)
            .ok_or(format!("no group {id}"))?;
        group.members.retain(|m| !change.remove.contains(m));
        for m in change.add {
            if !group.members.contains(&m) {
                group.members.push(m);
            }
        }
        Ok(())
    }))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ClockChange {
    advance_seconds: i64,
}

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

async fn clear_faults(State(shared): State<Shared>) -> Response {
    shared.faults().clear();
    StatusCode::NO_CONTENT.into_response()
}

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

fn respond(result: Result<(), String>) -> Response {
    match result {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) if e.starts_with("no ") => problem(StatusCode::NOT_FOUND, e),
        Err(e) => problem(StatusCode::BAD_REQUEST, e),
    }
}

#[cfg(test)]
mod tests {
    use super::glob;

    #[test]
    fn globs() {
        for (p, t, expect) in [
            ("/v1.0/users*", "/v1.0/users?$top=999", true),
            ("/v1.0/users*", "/v1.0/groups", false),
            (
                "*/members*",
                "/v1.0/groups/abc/members/microsoft.graph.user",
                true,
            ),
            ("/v1.0/users", "/v1.0/users", true),
            ("/v1.0/users", "/v1.0/users/x", false),
            ("*skiptoken*", "/v1.0/users?$skiptoken=abc", true),
        ] {
            assert_eq!(glob(p, t), expect, "{p} {t}");
        }
    }
}
