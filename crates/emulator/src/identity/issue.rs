//! What the token endpoint hands out for a grant it accepted: a Graph access token (v1), a
//! sealed refresh token with `offline_access`, an ID token (v2) with `openid`.

use super::errors::{Aadsts, client_not_here};
use super::{Refresh, client_info, random_token};
use crate::directory::Directory;
use crate::model::{Tenant, User, roles};
use crate::registrations::AppObject;
use crate::state::Shared;
use base64::Engine;
use serde_json::{Value, json};
use sha2::Digest;

/// Scopes that are about the sign-in itself, not Graph.
const OIDC: &[&str] = &["openid", "profile", "email", "offline_access"];
const GRAPH: &str = "https://graph.microsoft.com/";
/// Access tokens live this long (Entra: 60–90 minutes).
const ACCESS_LIFETIME: i64 = 4_784;

/// A grant the token endpoint accepted: for whom, for which app, and what was asked.
#[derive(Debug)]
pub struct Grant<'a> {
    pub user_id: &'a str,
    /// The registered client ID of the app.
    pub client_id: &'a str,
    pub requested: &'a [String],
    pub nonce: Option<&'a str>,
    pub client_info: bool,
}

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

/// The token response body for `grant`: consent and the user are checked first.
pub fn issue(shared: &Shared, directory: &Directory, grant: &Grant<'_>) -> Result<Value, Aadsts> {
    let tenant = &directory.tenant;
    let (app, scopes) = consented_scopes(shared, tenant, grant)?;
    let user = signed_in_user(tenant, grant.user_id)?;
    let now = shared.clock.now();
    let access = access_token(shared, tenant, user, grant.client_id, &scopes, now);
    let mut body = json!({
        "token_type": "Bearer",
        "scope": granted_scope(grant.requested, &scopes),
        "expires_in": ACCESS_LIFETIME,
        "ext_expires_in": ACCESS_LIFETIME,
        "access_token": access,
    });
    if has_scope(grant.requested, "offline_access") {
        body["refresh_token"] = json!(refresh_token(shared, user, grant, now));
    }
    if has_scope(grant.requested, "openid") {
        body["id_token"] = json!(id_token(shared, tenant, &app, user, grant, now));
    }
    if grant.client_info {
        body["client_info"] = json!(client_info(&user.id, &tenant.id));
    }
    Ok(body)
}

fn has_scope(requested: &[String], scope: &str) -> bool {
    requested.iter().any(|s| s.eq_ignore_ascii_case(scope))
}

/// The app and the Graph permissions asked for, each of which the app must hold for this user
/// through its service principal's delegated permission grants (AADSTS65001
/// `consent_required` otherwise: no service principal, no grant — also for `.default`, which
/// then stands for nothing consented —, or a scope not granted).
fn consented_scopes(
    shared: &Shared,
    tenant: &Tenant,
    grant: &Grant<'_>,
) -> Result<(AppObject, Vec<String>), Aadsts> {
    let client_id = grant.client_id;
    let registrations = shared.registrations();
    let app = registrations
        .signing_in_app(client_id)
        .cloned()
        .ok_or_else(|| client_not_here(&registrations, client_id, &tenant.display_name))?;
    let granted = registrations.granted_graph_scopes(client_id, grant.user_id);
    let has_principal = registrations.service_principal_of(client_id).is_some();
    drop(registrations);
    let scopes = graph_scopes(grant.requested, &granted);
    let missing = scopes
        .iter()
        .find(|s| !granted.iter().any(|g| g.eq_ignore_ascii_case(s)));
    if !has_principal || granted.is_empty() || missing.is_some() {
        let what = match missing {
            Some(m) => format!("missing: {m}"),
            None if has_principal => "no permission granted".to_owned(),
            None => "no service principal in the tenant".to_owned(),
        };
        return Err(Aadsts::new(
            "invalid_grant",
            65001,
            format!("The user or administrator has not consented to use the application with ID '{client_id}' named '{}'. Send an interactive authorization request for this user and resource. ({what})", app.display_name),
        )
        .with_suberror("consent_required"));
    }
    Ok((app, scopes))
}

/// The user the grant is for, still in the directory and enabled.
fn signed_in_user<'t>(tenant: &'t Tenant, user_id: &str) -> Result<&'t User, Aadsts> {
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
    Ok(user)
}

/// A Graph access token in Entra's v1 shape (`scp`, `amr`, `wids`, pairwise `sub`).
fn access_token(
    shared: &Shared,
    tenant: &Tenant,
    user: &User,
    client_id: &str,
    scopes: &[String],
    now: i64,
) -> String {
    let mut wids: Vec<String> = tenant
        .held_roles_of(&user.id)
        .into_iter()
        .map(str::to_owned)
        .collect();
    wids.push(roles::DEFAULT_MEMBER.to_owned());
    shared.keys.sign(&json!({
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
    }))
}

/// The response's `scope`: the OpenID scopes asked for (not `offline_access`), then the Graph
/// permissions as full URIs.
fn granted_scope(requested: &[String], scopes: &[String]) -> String {
    let mut granted: Vec<String> = requested
        .iter()
        .filter(|s| {
            OIDC.iter().any(|o| o.eq_ignore_ascii_case(s))
                && !s.eq_ignore_ascii_case("offline_access")
        })
        .cloned()
        .collect();
    granted.extend(scopes.iter().map(|s| format!("{GRAPH}{s}")));
    granted.join(" ")
}

/// Self-contained and signed, like a sealed opaque token: the emulator can restart (the
/// offline demo restarts with the app) and the tokens it issued keep working.
fn refresh_token(shared: &Shared, user: &User, grant: &Grant<'_>, now: i64) -> String {
    super::seal_refresh(
        &shared.keys,
        &Refresh {
            user_id: user.id.clone(),
            client_id: grant.client_id.to_owned(),
            scopes: grant.requested.to_vec(),
            issued: now,
        },
    )
}

/// An ID token in the v2 shape, with the request's `nonce` and, when the app asks for them,
/// the user's directory roles as `wids`.
fn id_token(
    shared: &Shared,
    tenant: &Tenant,
    app: &AppObject,
    user: &User,
    grant: &Grant<'_>,
    now: i64,
) -> String {
    let mut claims = json!({
        "ver": "2.0",
        "iss": format!("{}/{}/v2.0", shared.base_url(), tenant.id),
        "sub": pairwise(&user.id, grant.client_id),
        "aud": grant.client_id,
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
    if let Some(nonce) = grant.nonce {
        claims["nonce"] = json!(nonce);
    }
    if app.wids_in_tokens() {
        claims["wids"] = body_wids(tenant, &user.id);
    }
    shared.keys.sign(&claims)
}

fn body_wids(tenant: &Tenant, user_id: &str) -> Value {
    let mut wids: Vec<&str> = tenant.held_roles_of(user_id);
    wids.push(roles::DEFAULT_MEMBER);
    json!(wids)
}

/// A stable per-application subject, as Entra's pairwise `sub`.
fn pairwise(user_id: &str, audience: &str) -> String {
    let digest = sha2::Sha256::digest(format!("{user_id}|{audience}").as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&digest[..24])
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
}
