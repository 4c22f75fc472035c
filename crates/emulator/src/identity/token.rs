//! `/token`: authorization code (with PKCE) and refresh token grants.

use super::errors::{Aadsts, no_store};
use super::{
    CODE_LIFETIME, REFRESH_LIFETIME, Refresh, client_info, error_ids, random_token, resolve_tenant,
};
use crate::directory::Directory;
use crate::model::roles;
use crate::state::Shared;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde_json::{Value, json};
use sha2::Digest;
use std::collections::HashMap;

/// Scopes that are about the sign-in itself, not Graph.
const OIDC: &[&str] = &["openid", "profile", "email", "offline_access"];
const GRAPH: &str = "https://graph.microsoft.com/";
/// Access tokens live this long (Entra: 60–90 minutes).
const ACCESS_LIFETIME: i64 = 4_784;

/// Graph permission names requested (bare names are Graph's; `.default` means every granted one).
fn graph_scopes(requested: &[String], granted: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for scope in requested {
        let name = scope.strip_prefix(GRAPH).unwrap_or(scope);
        if OIDC.iter().any(|o| o.eq_ignore_ascii_case(name)) {
            continue;
        }
        if name == ".default" {
            out.extend(granted.iter().cloned());
        } else {
            out.push(name.to_owned());
        }
    }
    out.sort();
    out.dedup();
    out
}

fn issue(
    shared: &Shared,
    directory: &Directory,
    user_id: &str,
    client_id: &str,
    requested: &[String],
    nonce: Option<&str>,
    want_client_info: bool,
) -> Result<Value, Aadsts> {
    let tenant = &directory.tenant;
    let app = tenant
        .applications
        .iter()
        .find(|a| a.client_id == client_id)
        .ok_or_else(|| unknown_client(client_id, &tenant.display_name))?;
    let scopes = graph_scopes(requested, &app.granted_scopes);
    if let Some(missing) = scopes
        .iter()
        .find(|s| !app.granted_scopes.iter().any(|g| g.eq_ignore_ascii_case(s)))
    {
        return Err(Aadsts::new(
            "invalid_grant",
            65001,
            format!("The user or administrator has not consented to use the application with ID '{client_id}' named '{}'. Send an interactive authorization request for this user and resource. (missing: {missing})", app.display_name),
        )
        .with_suberror("consent_required"));
    }
    let user = tenant
        .users
        .iter()
        .find(|u| u.id == user_id && u.deleted_date_time.is_none())
        .ok_or_else(|| {
            Aadsts::new(
                "invalid_grant",
                50034,
                "The user account does not exist in the directory.",
            )
        })?;
    if !user.account_enabled {
        return Err(Aadsts::new(
            "invalid_grant",
            50057,
            "The user account is disabled.",
        ));
    }
    let now = shared.clock.now();
    let mut wids: Vec<String> = tenant
        .roles_of(user_id)
        .into_iter()
        .map(str::to_owned)
        .collect();
    wids.push(roles::DEFAULT_MEMBER.to_owned());
    let access = shared.keys.sign(&json!({
        "aud": "https://graph.microsoft.com",
        "iss": format!("https://sts.windows.net/{}/", tenant.id),
        "iat": now, "nbf": now, "exp": now + ACCESS_LIFETIME,
        "amr": if user.totp_secret.is_some() { json!(["pwd", "mfa"]) } else { json!(["pwd"]) },
        "appid": client_id,
        "idtyp": "user",
        "name": user.display_name,
        "oid": user.id,
        "scp": scopes.join(" "),
        "sub": pairwise(&user.id, "00000003-0000-0000-c000-000000000000"),
        "tid": tenant.id,
        "unique_name": user.user_principal_name,
        "upn": user.user_principal_name,
        "uti": shared.next_guid(),
        "ver": "1.0",
        "wids": wids,
    }));
    let mut granted: Vec<String> = requested
        .iter()
        .filter(|s| {
            OIDC.iter().any(|o| o.eq_ignore_ascii_case(s))
                && !s.eq_ignore_ascii_case("offline_access")
        })
        .cloned()
        .collect();
    granted.extend(scopes.iter().map(|s| format!("{GRAPH}{s}")));
    let mut body = json!({
        "token_type": "Bearer",
        "scope": granted.join(" "),
        "expires_in": ACCESS_LIFETIME,
        "ext_expires_in": ACCESS_LIFETIME,
        "access_token": access,
    });
    if requested
        .iter()
        .any(|s| s.eq_ignore_ascii_case("offline_access"))
    {
        // Self-contained and signed, like a sealed opaque token: the emulator can restart (the
        // offline demo restarts with the app) and the tokens it issued keep working.
        let refresh = super::seal_refresh(
            &shared.keys,
            &Refresh {
                user_id: user.id.clone(),
                client_id: client_id.to_owned(),
                scopes: requested.to_vec(),
                issued: now,
            },
        );
        body["refresh_token"] = json!(refresh);
    }
    if requested.iter().any(|s| s.eq_ignore_ascii_case("openid")) {
        let mut claims = json!({
            "ver": "2.0",
            "iss": format!("{}/{}/v2.0", shared.base_url(), tenant.id),
            "sub": pairwise(&user.id, client_id),
            "aud": client_id,
            "exp": now + 3600, "iat": now, "nbf": now,
            "name": user.display_name,
            "preferred_username": user.user_principal_name,
            "oid": user.id,
            "tid": tenant.id,
            "aio": random_token(24),
            "rh": "0.emulator",
            "uti": shared.next_guid(),
            "sid": shared.next_guid(),
        });
        if let Some(nonce) = nonce {
            claims["nonce"] = json!(nonce);
        }
        if app.wids_in_tokens {
            claims["wids"] = body_wids(tenant, user_id);
        }
        body["id_token"] = json!(shared.keys.sign(&claims));
    }
    if want_client_info {
        body["client_info"] = json!(client_info(&user.id, &tenant.id));
    }
    Ok(body)
}

fn body_wids(tenant: &crate::model::Tenant, user_id: &str) -> Value {
    let mut wids: Vec<&str> = tenant.roles_of(user_id);
    wids.push(roles::DEFAULT_MEMBER);
    json!(wids)
}

/// A stable per-application subject, as Entra's pairwise `sub`.
fn pairwise(user_id: &str, audience: &str) -> String {
    let digest = sha2::Sha256::digest(format!("{user_id}|{audience}").as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&digest[..24])
}

fn unknown_client(client_id: &str, tenant: &str) -> Aadsts {
    Aadsts::new(
        "unauthorized_client",
        700016,
        format!(
            "Application with identifier '{client_id}' was not found in the directory '{tenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant."
        ),
    )
}

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

fn grant(shared: &Shared, tenant: &str, form: &HashMap<String, String>) -> Result<Value, Aadsts> {
    let directory = shared.directory();
    resolve_tenant(&directory, tenant)?;
    let field = |k: &str| form.get(k).map(String::as_str).unwrap_or_default();
    let client_id = field("client_id");
    let app = directory
        .tenant
        .applications
        .iter()
        .find(|a| a.client_id.eq_ignore_ascii_case(client_id))
        .ok_or_else(|| unknown_client(client_id, &directory.tenant.display_name))?;
    if form.contains_key("client_secret") || form.contains_key("client_assertion") {
        return Err(Aadsts::new("invalid_client", 700025, "Client is public so neither 'client_assertion' nor 'client_secret' should be presented.").with_status(StatusCode::UNAUTHORIZED));
    }
    let want_info = field("client_info") == "1";
    let now = shared.clock.now();
    match field("grant_type") {
        "authorization_code" => {
            let code = field("code");
            let stored = shared.identity().codes.get(code).cloned();
            let Some(stored) = stored else {
                return Err(Aadsts::new(
                    "invalid_grant",
                    9002313,
                    "Invalid request. Request is malformed or invalid. The provided value for the 'code' parameter is not valid.",
                ));
            };
            if stored.redeemed {
                return Err(Aadsts::new(
                    "invalid_grant",
                    54005,
                    "OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.",
                ));
            }
            if now - stored.issued > CODE_LIFETIME {
                return Err(Aadsts::new(
                    "invalid_grant",
                    70008,
                    "The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.",
                ));
            }
            if stored.request.client_id != app.client_id {
                return Err(Aadsts::new(
                    "invalid_grant",
                    70000,
                    "The provided authorization code was issued to another application.",
                ));
            }
            if field("redirect_uri") != stored.request.redirect_uri {
                return Err(Aadsts::new(
                    "invalid_grant",
                    70000,
                    "The redirect URI does not match the one in the authorization request.",
                ));
            }
            if let Some((challenge, method)) = &stored.request.code_challenge
                && !pkce_matches(challenge, method, field("code_verifier"))
            {
                return Err(Aadsts::new(
                    "invalid_grant",
                    501481,
                    "The Code_Verifier does not match the code_challenge supplied in the authorization request.",
                ));
            }
            // Single use: redeemed even if issuing fails below.
            if let Some(c) = shared.identity().codes.get_mut(code) {
                c.redeemed = true;
            }
            let scopes = if field("scope").is_empty() {
                stored.request.scopes.clone()
            } else {
                field("scope")
                    .split_whitespace()
                    .map(str::to_owned)
                    .collect()
            };
            issue(
                shared,
                &directory,
                &stored.user_id,
                &app.client_id,
                &scopes,
                stored.request.nonce.as_deref(),
                want_info || stored.request.client_info,
            )
        }
        "refresh_token" => {
            let presented = field("refresh_token");
            let stored = super::open_refresh(&shared.keys, presented);
            let Some(stored) = stored.filter(|r| r.client_id == app.client_id) else {
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
            if now - stored.issued > REFRESH_LIFETIME {
                return Err(Aadsts::new(
                    "invalid_grant",
                    700082,
                    "The refresh token has expired due to inactivity. The token was issued on a date more than 90 days ago and was inactive.",
                ));
            }
            let mut scopes: Vec<String> = if field("scope").is_empty() {
                stored.scopes.clone()
            } else {
                field("scope")
                    .split_whitespace()
                    .map(str::to_owned)
                    .collect()
            };
            // Refreshing keeps offline access: a new refresh token comes back (rotation); the
            // presented one stays valid, as Entra's do.
            if !scopes
                .iter()
                .any(|s| s.eq_ignore_ascii_case("offline_access"))
            {
                scopes.push("offline_access".into());
            }
            issue(
                shared,
                &directory,
                &stored.user_id,
                &app.client_id,
                &scopes,
                None,
                want_info,
            )
        }
        "urn:ietf:params:oauth:grant-type:device_code" => {
            let code = if field("device_code").is_empty() {
                field("code")
            } else {
                field("device_code")
            };
            let (user_id, scopes) = super::device::poll(shared, code, &app.client_id)?;
            issue(
                shared,
                &directory,
                &user_id,
                &app.client_id,
                &scopes,
                None,
                want_info,
            )
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_normalization() {
        let granted = vec!["User.Read".to_owned(), "Group.Read.All".to_owned()];
        let s = |v: &[&str]| v.iter().map(|x| (*x).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            graph_scopes(
                &s(&[
                    "openid",
                    "offline_access",
                    "https://graph.microsoft.com/User.Read"
                ]),
                &granted
            ),
            s(&["User.Read"])
        );
        assert_eq!(
            graph_scopes(&s(&["https://graph.microsoft.com/.default"]), &granted),
            s(&["Group.Read.All", "User.Read"])
        );
        assert_eq!(
            graph_scopes(&s(&["Mail.Send"]), &granted),
            s(&["Mail.Send"])
        );
    }

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
