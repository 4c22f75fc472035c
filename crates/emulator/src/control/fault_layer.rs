//! The fault layer: applies injected faults to matching requests and logs every request
//! outside `/_emulator/`.

use crate::faults::{FaultKind, LoggedRequest, glob};
use crate::state::Shared;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use std::time::Duration;

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
    let response = match next_fault(&shared, &target, &path) {
        Some(fault) => apply(&shared, fault, request, next).await,
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

/// The first fault matching the request (by path with query, or path alone) that is due: past
/// its `after` and within its `times`. Counts the request against every fault it reaches.
fn next_fault(shared: &Shared, target: &str, path: &str) -> Option<FaultKind> {
    let mut faults = shared.faults();
    faults.iter_mut().find_map(|f| {
        if !glob(&f.path, target) && !glob(&f.path, path) {
            return None;
        }
        f.seen += 1;
        if f.seen <= f.after || f.times.is_some_and(|t| f.applied >= t) {
            return None;
        }
        f.applied += 1;
        Some(f.kind.clone())
    })
}

/// Answers the request as the fault says (some faults still serve it, delayed or mangled).
async fn apply(shared: &Shared, fault: FaultKind, request: Request, next: Next) -> Response {
    match fault {
        FaultKind::Throttle { retry_after } => graph_fault(
            shared,
            StatusCode::TOO_MANY_REQUESTS,
            "TooManyRequests",
            "Please retry again later.",
            Some(&retry_after),
        ),
        FaultKind::Unavailable { retry_after } => graph_fault(
            shared,
            StatusCode::SERVICE_UNAVAILABLE,
            "serviceNotAvailable",
            "The service is temporarily unavailable. Please retry later.",
            retry_after.as_deref(),
        ),
        FaultKind::Latency { millis } => {
            tokio::time::sleep(Duration::from_millis(millis)).await;
            next.run(request).await
        }
        FaultKind::Drop => dropped_response(),
        FaultKind::Truncate => truncated(next.run(request).await).await,
        FaultKind::Error {
            status,
            code,
            message,
        } => graph_fault(
            shared,
            StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            &code,
            message.as_deref().unwrap_or("The request failed."),
            None,
        ),
    }
}

/// Headers, then a body that breaks off.
fn dropped_response() -> Response {
    let stream = failing_body();
    let mut response = Response::new(Body::from_stream(stream));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// The response with the first half of its body only.
async fn truncated(response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let cut = Bytes::copy_from_slice(&bytes[..bytes.len() / 2]);
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(cut))
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

/// Graph's error body for a fault, with `Retry-After` when the fault gives one.
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
