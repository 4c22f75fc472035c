//! Graph's identity and access throttling: a token bucket of resource units per application
//! (one emulator serves one tenant, so per application and tenant), each request costing what
//! Microsoft Learn's "Microsoft Graph service-specific throttling limits" lists.
//!
//! From that page ("Identity and access service limits"): the application + tenant pair gets
//! 3,500 resource units per 10 seconds in a tenant of under 50 users, 5,000 up to 500 users
//! and 8,000 above. Base costs: `GET users` 2, `GET groups/{id}/members` 3,
//! `GET groups/{id}/transitiveMembers` 5, `GET applications` 2, `POST
//! directoryObjects/getByIds` 5, `GET me/memberOf` and `me/transitiveMemberOf` 2,
//! `GET oauth2PermissionGrants` 2, any other identity request 1; `$select` takes 1 off,
//! `$expand` adds 1, `$top` under 20 takes 1 off, never below 1. Inside a `$batch` every
//! request is counted on its own ("JSON batching"); the batch itself costs nothing here.
//! A request over the budget gets 429 with `Retry-After` (the seconds until the bucket holds
//! its cost again), `x-ms-throttle-scope` and `x-ms-throttle-information`; every answer carries
//! `x-ms-resource-unit`, and `x-ms-throttle-limit-percentage` once 80 % is used. Not modelled:
//! the write quota and the per-application limit across tenants (a single client cannot reach
//! 150,000 units per 20 s here before the pair's limit).

use super::response::{GraphError, RequestIds};
use crate::budget::{Verdict, WINDOW, cost, quota};
use crate::directory::Kind;
use crate::quirks::Throttling;
use crate::state::Shared;
use axum::extract::{Request, State};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use base64::Engine;

/// The `appid` (v1 tokens) or `azp` (v2) claim of the request's bearer token, unverified:
/// only to pick the bucket. A request without one is not counted (it is refused anyway).
fn app_of(request: &Request) -> Option<String> {
    let header = request
        .headers()
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let token = header
        .strip_prefix("Bearer ")
        .or_else(|| header.strip_prefix("bearer "))?;
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    claims["appid"]
        .as_str()
        .or(claims["azp"].as_str())
        .map(str::to_owned)
}

/// Counts every Graph request (inner requests of a `$batch` one by one) against its
/// application's budget, when the emulator's quirks say Graph throttles.
pub async fn middleware(State(shared): State<Shared>, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let budget = match shared.quirks.throttling {
        Throttling::Off => None,
        Throttling::Documented => {
            Some((quota(shared.directory().listed(Kind::User).len()), WINDOW))
        }
        Throttling::Quota { units, per } => Some((units, per)),
    };
    let counted = path.starts_with("/v1.0/") && path != "/v1.0/$batch";
    let (Some(budget), Some(app), true) = (budget, app_of(&request), counted) else {
        return next.run(request).await;
    };
    let cost = cost(
        request.method(),
        path,
        request.uri().query().unwrap_or_default(),
    );
    match shared.budgets.take(&app, cost, budget) {
        Verdict::Served { used } => {
            let mut response = next.run(request).await;
            let headers = response.headers_mut();
            headers.insert("x-ms-resource-unit", HeaderValue::from(cost));
            if used >= 0.8
                && let Ok(v) = HeaderValue::from_str(&format!("{used:.1}"))
            {
                headers.insert("x-ms-throttle-limit-percentage", v);
            }
            response
        }
        Verdict::Throttled { retry_after } => {
            let tenant = shared.directory().tenant.id.clone();
            let seconds = retry_after.as_secs_f64().ceil().max(1.0) as u64;
            let mut response =
                RequestIds::new(&shared, request.headers()).error(GraphError::too_many_requests());
            let headers = response.headers_mut();
            headers.insert(axum::http::header::RETRY_AFTER, HeaderValue::from(seconds));
            if let Ok(v) =
                HeaderValue::from_str(&format!("Tenant_Application/ReadWrite/{app}/{tenant}"))
            {
                headers.insert("x-ms-throttle-scope", v);
            }
            headers.insert(
                "x-ms-throttle-information",
                HeaderValue::from_static("ResourceUnitLimitExceeded"),
            );
            response
        }
    }
}
