//! Graph's response shapes: the error body and the per-request IDs every response echoes.

use crate::state::Shared;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// A Graph error response: `{"error": {"code", "message", "innerError": {…}}}`.
#[derive(Debug, Clone, PartialEq)]
pub struct GraphError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

impl GraphError {
    pub fn bad_request(message: String) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            code: "Request_BadRequest",
            message,
        }
    }
    pub fn unsupported(message: String) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            code: "Request_UnsupportedQuery",
            message,
        }
    }
    pub fn not_found(id: &str) -> Self {
        Self {
            status: StatusCode::NOT_FOUND,
            code: "Request_ResourceNotFound",
            message: format!(
                "Resource '{id}' does not exist or one of its queried reference-property objects are not present."
            ),
        }
    }
    pub fn unauthorized(message: &str) -> Self {
        Self {
            status: StatusCode::UNAUTHORIZED,
            code: "InvalidAuthenticationToken",
            message: message.into(),
        }
    }
    /// Over the identity and access budget (`throttle`).
    pub fn too_many_requests() -> Self {
        Self {
            status: StatusCode::TOO_MANY_REQUESTS,
            code: "TooManyRequests",
            message: "Too many requests: the application's resource unit budget for this tenant is spent. Retry after the time given in Retry-After.".into(),
        }
    }
    pub fn forbidden() -> Self {
        Self {
            status: StatusCode::FORBIDDEN,
            code: "Authorization_RequestDenied",
            message: "Insufficient privileges to complete the operation.".into(),
        }
    }
}

/// Per-request identifiers, echoed in headers and in `innerError`.
#[derive(Debug, Clone)]
pub struct RequestIds {
    pub request_id: String,
    pub client_request_id: String,
    pub date: String,
}

impl RequestIds {
    pub fn new(shared: &Shared, headers: &HeaderMap) -> Self {
        let request_id = shared.next_guid();
        let client_request_id = headers
            .get("client-request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
            .unwrap_or_else(|| request_id.clone());
        // innerError.date has no zone designator, as Graph writes it.
        let date = shared.clock.now_iso().trim_end_matches('Z').to_owned();
        Self {
            request_id,
            client_request_id,
            date,
        }
    }

    fn apply(&self, response: &mut Response) {
        let headers = response.headers_mut();
        for (name, value) in [
            ("request-id", self.request_id.as_str()),
            ("client-request-id", self.client_request_id.as_str()),
            ("OData-Version", "4.0"),
        ] {
            if let Ok(v) = HeaderValue::from_str(value) {
                headers.insert(name, v);
            }
        }
    }

    pub fn error(&self, err: GraphError) -> Response {
        let body = json!({"error": {
            "code": err.code,
            "message": err.message,
            "innerError": {
                "date": self.date,
                "request-id": self.request_id,
                "client-request-id": self.client_request_id,
            }
        }});
        let mut response = (err.status, axum::Json(body)).into_response();
        if err.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"\", authorization_uri=\"https://login.microsoftonline.com/common/oauth2/authorize\", client_id=\"00000003-0000-0000-c000-000000000000\""),
            );
        }
        self.apply(&mut response);
        response
    }

    pub fn json(&self, body: Value) -> Response {
        let mut response = axum::Json(body).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"),
        );
        self.apply(&mut response);
        response
    }

    pub fn text(&self, body: String) -> Response {
        let mut response = ([(header::CONTENT_TYPE, "text/plain")], body).into_response();
        self.apply(&mut response);
        response
    }
}
