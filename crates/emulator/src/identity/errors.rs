//! Identity platform errors as Entra sends them: JSON at the token endpoint, HTML pages in the
//! browser, query parameters on redirects.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde_json::json;

/// One AADSTS error.
#[derive(Debug, Clone)]
pub struct Aadsts {
    pub status: StatusCode,
    /// The OAuth error code (`invalid_grant`, …).
    pub error: &'static str,
    pub code: u32,
    pub message: String,
    pub suberror: Option<&'static str>,
}

impl Aadsts {
    pub fn new(error: &'static str, code: u32, message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            error,
            code,
            message: message.into(),
            suberror: None,
        }
    }

    pub fn with_suberror(mut self, suberror: &'static str) -> Self {
        self.suberror = Some(suberror);
        self
    }

    pub fn with_status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    /// `"AADSTS50126: Error validating credentials …\r\nTrace ID: …\r\nCorrelation ID: …\r\nTimestamp: …"`.
    pub fn description(&self, trace: &str, correlation: &str, timestamp: &str) -> String {
        format!(
            "AADSTS{}: {}\r\nTrace ID: {trace}\r\nCorrelation ID: {correlation}\r\nTimestamp: {timestamp}",
            self.code, self.message
        )
    }

    /// The token endpoint's JSON error (`timestamp` like "2020-11-05 19:52:45Z").
    pub fn json(&self, trace: &str, correlation: &str, timestamp: &str) -> Response {
        let mut body = json!({
            "error": self.error,
            "error_description": self.description(trace, correlation, timestamp),
            "error_codes": [self.code],
            "timestamp": timestamp,
            "trace_id": trace,
            "correlation_id": correlation,
            "error_uri": format!("https://login.microsoftonline.com/error?code={}", self.code),
        });
        if let Some(sub) = self.suberror {
            body["suberror"] = json!(sub);
        }
        let mut response = (self.status, axum::Json(body)).into_response();
        no_store(&mut response);
        response
    }

    /// The error page a browser sees when the request cannot be sent back to the client.
    pub fn page(&self, trace: &str, correlation: &str, timestamp: &str) -> Response {
        let body = super::pages::layout(
            "Sign in",
            &format!(
                "<h1>Sorry, but we’re having trouble signing you in.</h1>\
                 <p class=\"error\" id=\"error\">AADSTS{}: {}</p>\
                 <dl class=\"details\"><dt>Request Id</dt><dd>{}</dd><dt>Correlation Id</dt><dd>{}</dd><dt>Timestamp</dt><dd>{}</dd></dl>",
                self.code,
                super::pages::escape(&self.message),
                super::pages::escape(trace),
                super::pages::escape(correlation),
                super::pages::escape(timestamp)
            ),
        );
        (self.status, Html(body)).into_response()
    }
}

/// The client is not one that signs in here: another tenant's single-tenant application is
/// AADSTS650059 ("The value `AzureADMyOrg` set for application property `signInAudience` is
/// limiting its use in the tenant"), anything else AADSTS700016.
pub fn client_not_here(
    registrations: &crate::registrations::Registrations,
    client_id: &str,
    tenant: &str,
) -> Aadsts {
    if registrations.is_foreign_single_tenant(client_id) {
        return Aadsts::new(
            "unauthorized_client",
            650059,
            "The application is not configured for use in the tenant. The value 'AzureADMyOrg' set for application property 'signInAudience' is limiting its use in the tenant.",
        );
    }
    unknown_client(client_id, tenant)
}

/// AADSTS700016: no app with this client ID is registered in the tenant.
pub fn unknown_client(client_id: &str, tenant: &str) -> Aadsts {
    Aadsts::new(
        "unauthorized_client",
        700016,
        format!(
            "Application with identifier '{client_id}' was not found in the directory '{tenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant."
        ),
    )
}

/// Token responses and errors must not be cached.
pub fn no_store(response: &mut Response) {
    let headers = response.headers_mut();
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-store, no-cache"),
    );
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
}
