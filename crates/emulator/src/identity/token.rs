//! `/token`: the authorization code (with PKCE), refresh token and device code grants, each
//! checked in its own step before [`issue`](super::issue) hands out tokens.

use super::errors::{Aadsts, client_not_here, no_store};
use super::issue::{Grant, issue};
use super::{CODE_LIFETIME, REFRESH_LIFETIME, error_ids, resolve_tenant};
use crate::directory::Directory;
use crate::sign_in::Code;
use crate::state::Shared;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde_json::Value;
use sha2::Digest;
use std::collections::HashMap;

fn pkce_matches(challenge: &str, method: &str, verifier: &str) -> bool {
    match method {
        "S256" => {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .encode(sha2::Sha256::digest(verifier.as_bytes()))
                == challenge
        }
        _ => verifier == challenge,
    }
}

pub async fn token(
    State(shared): State<Shared>,
    Path(tenant): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    match grant(&shared, &tenant, &form) {
        Ok(body) => {
            let mut response = (StatusCode::OK, axum::Json(body)).into_response();
            no_store(&mut response);
            response
        }
        Err(err) => {
            let (t, c, ts) = error_ids(&shared);
            err.json(&t, &c, &ts)
        }
    }
}

/// One token request: its form, and the registered app it names.
struct TokenRequest<'a> {
    shared: &'a Shared,
    directory: &'a Directory,
    form: &'a HashMap<String, String>,
    /// The app's client ID as registered (the form's may differ in case).
    client_id: &'a str,
    /// `client_info=1`: the response carries `client_info`.
    want_info: bool,
    now: i64,
}

impl TokenRequest<'_> {
    fn field(&self, key: &str) -> &str {
        self.form.get(key).map(String::as_str).unwrap_or_default()
    }

    /// The `scope` field's scopes, or `fallback` when it is empty.
    fn scopes_or(&self, fallback: &[String]) -> Vec<String> {
        if self.field("scope").is_empty() {
            fallback.to_vec()
        } else {
            self.field("scope")
                .split_whitespace()
                .map(str::to_owned)
                .collect()
        }
    }

    fn issue(&self, grant: &Grant<'_>) -> Result<Value, Aadsts> {
        issue(self.shared, self.directory, grant)
    }
}

/// Checks the tenant and the client, then runs the grant the form names.
fn grant(shared: &Shared, tenant: &str, form: &HashMap<String, String>) -> Result<Value, Aadsts> {
    let directory = shared.directory();
    resolve_tenant(&directory, tenant)?;
    let client_id = public_client(shared, &directory, form)?;
    let request = TokenRequest {
        shared,
        directory: &directory,
        form,
        client_id: &client_id,
        want_info: form.get("client_info").map(String::as_str) == Some("1"),
        now: shared.clock.now(),
    };
    match request.field("grant_type") {
        "authorization_code" => redeem_code(&request),
        "refresh_token" => redeem_refresh(&request),
        "urn:ietf:params:oauth:grant-type:device_code" => redeem_device_code(&request),
        "" => Err(Aadsts::new(
            "invalid_request",
            900144,
            "The request body must contain the following parameter: 'grant_type'.",
        )),
        other => Err(Aadsts::new(
            "unsupported_grant_type",
            70003,
            format!("The app requested an unsupported grant type '{other}'."),
        )),
    }
}

/// The registered client ID of the app the form names, which must be a public client: the
/// emulator's apps are, so a secret or assertion is refused (AADSTS700025).
fn public_client(
    shared: &Shared,
    directory: &Directory,
    form: &HashMap<String, String>,
) -> Result<String, Aadsts> {
    let client_id = form
        .get("client_id")
        .map(String::as_str)
        .unwrap_or_default();
    let registrations = shared.registrations();
    let app = registrations
        .signing_in_app(client_id)
        .cloned()
        .ok_or_else(|| {
            client_not_here(&registrations, client_id, &directory.tenant.display_name)
        })?;
    drop(registrations);
    if form.contains_key("client_secret") || form.contains_key("client_assertion") {
        return Err(Aadsts::new("invalid_client", 700025, "Client is public so neither 'client_assertion' nor 'client_secret' should be presented.").with_status(StatusCode::UNAUTHORIZED));
    }
    Ok(app.app_id.clone())
}

/// `grant_type=authorization_code`: a valid code, single use, redeemed by its app.
fn redeem_code(request: &TokenRequest<'_>) -> Result<Value, Aadsts> {
    let code = request.field("code");
    let stored = request.shared.identity().codes.get(code).cloned();
    let Some(stored) = stored else {
        return Err(Aadsts::new(
            "invalid_grant",
            9002313,
            "Invalid request. Request is malformed or invalid. The provided value for the 'code' parameter is not valid.",
        ));
    };
    check_code(request, &stored)?;
    // Single use: redeemed even if issuing fails below.
    if let Some(c) = request.shared.identity().codes.get_mut(code) {
        c.redeemed = true;
    }
    let scopes = request.scopes_or(&stored.request.scopes);
    request.issue(&Grant {
        user_id: &stored.user_id,
        client_id: request.client_id,
        requested: &scopes,
        nonce: stored.request.nonce.as_deref(),
        client_info: request.want_info || stored.request.client_info,
    })
}

/// A stored code may be redeemed once, within its lifetime, by the app it was issued to, with
/// the same redirect URI and the PKCE verifier for its challenge.
fn check_code(request: &TokenRequest<'_>, stored: &Code) -> Result<(), Aadsts> {
    if stored.redeemed {
        return Err(Aadsts::new(
            "invalid_grant",
            54005,
            "OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.",
        ));
    }
    if request.now - stored.issued > CODE_LIFETIME {
        return Err(Aadsts::new(
            "invalid_grant",
            70008,
            "The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.",
        ));
    }
    if stored.request.client_id != request.client_id {
        return Err(Aadsts::new(
            "invalid_grant",
            70000,
            "The provided authorization code was issued to another application.",
        ));
    }
    if request.field("redirect_uri") != stored.request.redirect_uri {
        return Err(Aadsts::new(
            "invalid_grant",
            70000,
            "The redirect URI does not match the one in the authorization request.",
        ));
    }
    if let Some((challenge, method)) = &stored.request.code_challenge
        && !pkce_matches(challenge, method, request.field("code_verifier"))
    {
        return Err(Aadsts::new(
            "invalid_grant",
            501481,
            "The Code_Verifier does not match the code_challenge supplied in the authorization request.",
        ));
    }
    Ok(())
}

/// `grant_type=refresh_token`: a token this emulator sealed for this app, not revoked, not
/// idle for longer than its lifetime.
fn redeem_refresh(request: &TokenRequest<'_>) -> Result<Value, Aadsts> {
    let shared = request.shared;
    let stored = super::open_refresh(&shared.keys, request.field("refresh_token"));
    let Some(stored) = stored.filter(|r| r.client_id == request.client_id) else {
        return Err(Aadsts::new(
            "invalid_grant",
            9002313,
            "Invalid request. Request is malformed or invalid. The refresh token is not valid.",
        ));
    };
    let revoked = shared
        .identity()
        .revoked_before
        .get(&stored.user_id)
        .copied();
    if revoked.is_some_and(|t| stored.issued <= t) {
        return Err(Aadsts::new(
            "invalid_grant",
            50173,
            "The provided grant has expired due to it being revoked, a fresh auth token is needed. The user might have changed or reset their password.",
        ));
    }
    if request.now - stored.issued > REFRESH_LIFETIME {
        return Err(Aadsts::new(
            "invalid_grant",
            700082,
            "The refresh token has expired due to inactivity. The token was issued on a date more than 90 days ago and was inactive.",
        ));
    }
    let mut scopes = request.scopes_or(&stored.scopes);
    // Refreshing keeps offline access: a new refresh token comes back (rotation); the
    // presented one stays valid, as Entra's do.
    if !scopes
        .iter()
        .any(|s| s.eq_ignore_ascii_case("offline_access"))
    {
        scopes.push("offline_access".into());
    }
    request.issue(&Grant {
        user_id: &stored.user_id,
        client_id: request.client_id,
        requested: &scopes,
        nonce: None,
        client_info: request.want_info,
    })
}

/// `grant_type=urn:ietf:params:oauth:grant-type:device_code`: a device code the user approved.
fn redeem_device_code(request: &TokenRequest<'_>) -> Result<Value, Aadsts> {
    let code = if request.field("device_code").is_empty() {
        request.field("code")
    } else {
        request.field("device_code")
    };
    let (user_id, scopes) = super::device::poll(request.shared, code, request.client_id)?;
    // Entra starts a device code for any registered app and refuses only here, once the admin
    // has signed in, when "Allow public client flows" is off.
    let public_flows = request
        .shared
        .registrations()
        .app(request.client_id)
        .is_some_and(|a| a.public_client_flows);
    if !public_flows {
        return Err(Aadsts::new(
            "invalid_client",
            7000218,
            "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
        )
        .with_status(StatusCode::UNAUTHORIZED));
    }
    request.issue(&Grant {
        user_id: &user_id,
        client_id: request.client_id,
        requested: &scopes,
        nonce: None,
        client_info: request.want_info,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce() {
        // RFC 7636 appendix B.
        assert!(pkce_matches(
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            "S256",
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
        ));
        assert!(!pkce_matches(
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            "S256",
            "wrong"
        ));
        assert!(pkce_matches("plain-verifier", "plain", "plain-verifier"));
    }
}
