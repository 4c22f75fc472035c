//! The Microsoft identity platform v2.0 endpoints: discovery, JWKS, authorize with its sign-in
//! pages, admin consent, token, device code.

mod authorize;
mod consent;
pub mod device;
pub mod errors;
mod issue;
mod login;
pub mod pages;
mod prompt;
mod token;
pub mod totp;

use crate::directory::Directory;
use crate::state::Shared;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use errors::Aadsts;
use serde_json::json;

pub use crate::sign_in::{AuthRequest, Code, Flow, IdentityState, ResponseMode};

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Refresh {
    pub user_id: String,
    pub client_id: String,
    pub scopes: Vec<String>,
    pub issued: i64,
}

/// Authorization codes live this long (Entra: about 10 minutes).
pub const CODE_LIFETIME: i64 = 600;
/// Refresh tokens expire after this much inactivity (Entra's default: 90 days).
pub const REFRESH_LIFETIME: i64 = 90 * 86_400;

pub fn router() -> Router<Shared> {
    Router::new()
        .route(
            "/{tenant}/v2.0/.well-known/openid-configuration",
            get(discovery),
        )
        .route("/{tenant}/discovery/v2.0/keys", get(jwks))
        .route("/{tenant}/oauth2/v2.0/authorize", get(authorize::authorize))
        .route("/{tenant}/v2.0/adminconsent", get(consent::adminconsent))
        .route("/{tenant}/login", post(login::login))
        .route("/{tenant}/oauth2/v2.0/token", post(token::token))
        .route("/{tenant}/oauth2/v2.0/devicecode", post(device::devicecode))
        .route(
            "/devicelogin",
            get(device::devicelogin_page).post(device::devicelogin_submit),
        )
}

/// What a tenant path segment names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TenantRef {
    /// This tenant, by GUID or verified domain.
    Specific,
    /// `common` or `organizations`: multi-tenant endpoints.
    Multi(String),
}

pub fn resolve_tenant(directory: &Directory, segment: &str) -> Result<TenantRef, Aadsts> {
    let lower = segment.to_ascii_lowercase();
    if lower == "common" || lower == "organizations" {
        return Ok(TenantRef::Multi(lower));
    }
    if lower == directory.tenant.id
        || directory
            .tenant
            .domains
            .iter()
            .any(|d| d.eq_ignore_ascii_case(segment))
    {
        return Ok(TenantRef::Specific);
    }
    Err(Aadsts::new(
        "invalid_tenant",
        90002,
        format!(
            "Tenant '{segment}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant."
        ),
    ))
}

/// Trace and correlation IDs and the timestamp every identity error carries.
pub fn error_ids(shared: &Shared) -> (String, String, String) {
    let timestamp = shared.clock.now_iso().replace('T', " ");
    (shared.next_guid(), shared.next_guid(), timestamp)
}

async fn discovery(State(shared): State<Shared>, Path(tenant): Path<String>) -> Response {
    let directory = shared.directory();
    let kind = match resolve_tenant(&directory, &tenant) {
        Ok(kind) => kind,
        Err(err) => {
            let (t, c, ts) = error_ids(&shared);
            return err.json(&t, &c, &ts);
        }
    };
    let base = shared.base_url();
    let (segment, issuer) = match kind {
        TenantRef::Specific => {
            let tid = directory.tenant.id.clone();
            (tid.clone(), format!("{base}/{tid}/v2.0"))
        }
        // The multi-tenant document has the literal placeholder, as Entra's does.
        TenantRef::Multi(name) => (name, format!("{base}/{{tenantid}}/v2.0")),
    };
    axum::Json(json!({
        "token_endpoint": format!("{base}/{segment}/oauth2/v2.0/token"),
        "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
        "jwks_uri": format!("{base}/{segment}/discovery/v2.0/keys"),
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "issuer": issuer,
        "request_uri_parameter_supported": false,
        "userinfo_endpoint": format!("{base}/oidc/userinfo"),
        "authorization_endpoint": format!("{base}/{segment}/oauth2/v2.0/authorize"),
        "device_authorization_endpoint": format!("{base}/{segment}/oauth2/v2.0/devicecode"),
        "http_logout_supported": true,
        "frontchannel_logout_supported": true,
        "end_session_endpoint": format!("{base}/{segment}/oauth2/v2.0/logout"),
        "claims_supported": ["sub", "iss", "cloud_instance_name", "cloud_instance_host_name", "cloud_graph_host_name", "msgraph_host", "aud", "exp", "iat", "auth_time", "acr", "nonce", "preferred_username", "name", "tid", "ver", "at_hash", "c_hash", "email"],
        "tenant_region_scope": null,
        "cloud_instance_name": "microsoftonline.com",
        "cloud_graph_host_name": "graph.windows.net",
        "msgraph_host": base.trim_start_matches("http://").trim_start_matches("https://"),
        "rbac_url": "https://pas.windows.net",
    }))
    .into_response()
}

async fn jwks(State(shared): State<Shared>, Path(tenant): Path<String>) -> Response {
    let directory = shared.directory();
    if let Err(err) = resolve_tenant(&directory, &tenant) {
        let (t, c, ts) = error_ids(&shared);
        return err.json(&t, &c, &ts);
    }
    let issuer = format!("{}/{}/v2.0", shared.base_url(), directory.tenant.id);
    axum::Json(shared.keys.jwks(&issuer)).into_response()
}

/// A random, URL-safe secret (authorization codes, refresh tokens, flow IDs).
pub fn random_token(bytes: usize) -> String {
    use base64::Engine;
    let mut buf = vec![0u8; bytes];
    if getrandom::getrandom(&mut buf).is_err() {
        // No OS randomness is not a state a test machine reaches; fail closed with a
        // token nobody can guess either (it is never accepted: it is not stored).
        return String::from("unavailable");
    }
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf)
}

/// `client_info`: base64url of `{"uid": <object ID>, "utid": <tenant ID>}`.
pub fn client_info(user_id: &str, tenant_id: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(json!({"uid": user_id, "utid": tenant_id}).to_string())
}

/// A refresh token: the grant, signed with the tenant's key, behind Entra's `1.` prefix. A
/// random `jti` makes every token distinct, so rotation hands out a new string each time.
pub fn seal_refresh(keys: &crate::keys::SigningKeys, grant: &Refresh) -> String {
    let mut claims = serde_json::to_value(grant).unwrap_or_default();
    claims["jti"] = serde_json::Value::String(random_token(16));
    format!("1.{}", keys.sign(&claims))
}

/// The grant behind a refresh token this emulator issued, if the signature holds.
pub fn open_refresh(keys: &crate::keys::SigningKeys, token: &str) -> Option<Refresh> {
    let claims = keys.verify(token.strip_prefix("1.")?).ok()?;
    serde_json::from_value(claims).ok()
}
