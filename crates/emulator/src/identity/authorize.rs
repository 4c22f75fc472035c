//! `/authorize`: the request checked, the sign-in started, and at its end the authorization
//! code sent to the client's redirect URI (`query` or `form_post`).

use super::errors::{Aadsts, client_not_here};
use super::pages::{self, Step};
use super::{
    AuthRequest, Code, Flow, ResponseMode, client_info, error_ids, random_token, resolve_tenant,
};
use crate::directory::Directory;
use crate::state::Shared;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use std::collections::HashMap;

/// Whether `given` is allowed for the registered URIs, as Microsoft Learn's "Redirect URI (reply
/// URL) restrictions and limitations" describes it: a registered `http://localhost` or
/// `http://127.0.0.1` URI matches any port on that same host with the same path ('/' when
/// none) — `localhost` and `127.0.0.1` are different hosts, and `[::1]` is not supported;
/// anything else must match exactly.
pub fn redirect_allowed(registered: &[String], given: &str) -> bool {
    fn split(uri: &str) -> Option<(&str, &str, Option<&str>, &str)> {
        let (scheme, rest) = uri.split_once("://")?;
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) if p.chars().all(|c| c.is_ascii_digit()) => (h, Some(p)),
            _ => (authority, None),
        };
        Some((scheme, host, port, path))
    }
    let Some((scheme, host, _, path)) = split(given) else {
        return false;
    };
    if host.eq_ignore_ascii_case("[::1]") {
        return false;
    }
    registered.iter().any(|r| {
        if r == given {
            return true;
        }
        let Some((r_scheme, r_host, _, r_path)) = split(r) else {
            return false;
        };
        let loopback = |h: &str| h.eq_ignore_ascii_case("localhost") || h == "127.0.0.1";
        scheme == "http"
            && r_scheme == "http"
            && loopback(r_host)
            && r_host.eq_ignore_ascii_case(host)
            && r_path == path
    })
}

pub(super) fn redirect_with(request: &AuthRequest, params: &[(&str, &str)]) -> Response {
    let mut all: Vec<(String, String)> = params
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    if let Some(state) = &request.state {
        all.push(("state".into(), state.clone()));
    }
    match request.response_mode {
        ResponseMode::FormPost => {
            let fields: Vec<(&str, &str)> =
                all.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            Html(pages::form_post(&request.redirect_uri, &fields)).into_response()
        }
        ResponseMode::Query => {
            let query = crate::query_string::encode_pairs(&all);
            let separator = if request.redirect_uri.contains('?') {
                '&'
            } else {
                '?'
            };
            let location = format!("{}{separator}{query}", request.redirect_uri);
            (StatusCode::FOUND, [(header::LOCATION, location)]).into_response()
        }
    }
}

/// The error sent back to the client's redirect URI.
pub(super) fn redirect_error(shared: &Shared, request: &AuthRequest, err: &Aadsts) -> Response {
    redirect_error_with(shared, request, err, &[])
}

/// The error sent back to the client with `leading` parameters before it (the admin consent
/// endpoint's `admin_consent=True`).
pub(super) fn redirect_error_with(
    shared: &Shared,
    request: &AuthRequest,
    err: &Aadsts,
    leading: &[(&str, &str)],
) -> Response {
    let (t, c, ts) = error_ids(shared);
    let description = err.description(&t, &c, &ts);
    let uri = format!("https://login.microsoftonline.com/error?code={}", err.code);
    let mut params = leading.to_vec();
    params.extend([
        ("error", err.error),
        ("error_description", description.as_str()),
        ("error_uri", uri.as_str()),
    ]);
    redirect_with(request, &params)
}

/// The error shown as a page: the request cannot be sent back to the client.
pub(super) fn page_error(shared: &Shared, err: &Aadsts) -> Response {
    let (t, c, ts) = error_ids(shared);
    err.page(&t, &c, &ts)
}

pub async fn authorize(
    State(shared): State<Shared>,
    Path(tenant): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let directory = shared.directory();
    let request = match auth_request(&shared, &directory, &tenant, &q) {
        Ok(request) => request,
        Err(err) => return page_error(&shared, &err),
    };
    // From here on, errors go back to the (validated) redirect URI.
    if let Err(err) = check_request(&q, &request) {
        return redirect_error(&shared, &request, &err);
    }
    let hint = q.get("login_hint").cloned().unwrap_or_default();
    begin_sign_in(&shared, &directory, &tenant, request, &hint, false)
}

/// The request with its tenant, client and redirect URI checked: until these hold, errors
/// can only be shown as a page.
pub(super) fn auth_request(
    shared: &Shared,
    directory: &Directory,
    tenant: &str,
    q: &HashMap<String, String>,
) -> Result<AuthRequest, Aadsts> {
    resolve_tenant(directory, tenant)?;
    let client_id = q.get("client_id").cloned().unwrap_or_default();
    let registrations = shared.registrations();
    let app = registrations
        .signing_in_app(&client_id)
        .cloned()
        .ok_or_else(|| {
            client_not_here(&registrations, &client_id, &directory.tenant.display_name)
        })?;
    drop(registrations);
    let redirect_uri = q.get("redirect_uri").cloned().unwrap_or_default();
    if !redirect_allowed(&app.redirect_uris, &redirect_uri) {
        return Err(redirect_mismatch(&redirect_uri, &app.app_id));
    }
    let response_mode = match q.get("response_mode").map(String::as_str) {
        Some("form_post") => ResponseMode::FormPost,
        _ => ResponseMode::Query,
    };
    Ok(AuthRequest {
        tenant_segment: tenant.to_owned(),
        client_id: app.app_id.clone(),
        redirect_uri,
        scopes: q
            .get("scope")
            .map(|s| s.split_whitespace().map(str::to_owned).collect())
            .unwrap_or_default(),
        state: q.get("state").cloned(),
        nonce: q.get("nonce").cloned(),
        code_challenge: code_challenge(q),
        response_mode,
        client_info: q.get("client_info").is_some_and(|v| v == "1"),
    })
}

/// AADSTS50011: the redirect URI is not one the application registered.
pub(super) fn redirect_mismatch(redirect_uri: &str, app_id: &str) -> Aadsts {
    Aadsts::new(
        "invalid_request",
        50011,
        format!(
            "The redirect URI '{redirect_uri}' specified in the request does not match the redirect URIs configured for the application '{app_id}'. Make sure the redirect URI sent in the request matches one added to your application in the Azure portal."
        ),
    )
}

/// The PKCE challenge and its method (`plain` when absent); an unknown method is kept as
/// `invalid` for [`check_request`] to refuse.
fn code_challenge(q: &HashMap<String, String>) -> Option<(String, String)> {
    match (
        q.get("code_challenge"),
        q.get("code_challenge_method").map(String::as_str),
    ) {
        (None, _) => None,
        (Some(c), None | Some("plain")) => Some((c.clone(), "plain".to_owned())),
        (Some(c), Some("S256")) => Some((c.clone(), "S256".to_owned())),
        (Some(_), Some(_)) => Some((String::new(), "invalid".to_owned())),
    }
}

/// What the emulator refuses once it can redirect: other response types, no scopes, a bad
/// PKCE method, and `prompt=none`.
fn check_request(q: &HashMap<String, String>, request: &AuthRequest) -> Result<(), Aadsts> {
    if q.get("response_type").map(String::as_str) != Some("code") {
        return Err(Aadsts::new(
            "unsupported_response_type",
            700054,
            "response_type 'code' is required by this emulator.",
        ));
    }
    if request.scopes.is_empty() {
        return Err(Aadsts::new(
            "invalid_request",
            900144,
            "The request body must contain the following parameter: 'scope'.",
        ));
    }
    if (request.code_challenge.as_ref()).is_some_and(|(_, m)| m == "invalid") {
        return Err(Aadsts::new(
            "invalid_request",
            501491,
            "Invalid size of Code_Challenge parameter or unsupported code_challenge_method.",
        ));
    }
    if q.get("prompt").map(String::as_str) == Some("none") {
        // The emulator keeps no browser session, so a silent request can never succeed.
        return Err(Aadsts::new(
            "login_required",
            50058,
            "A silent sign-in request was sent but no user is signed in.",
        ));
    }
    Ok(())
}

/// Starts the sign-in flow and shows its first page (the account, pre-filled with the hint).
/// `admin_consent`: the flow ends on the consent page instead of issuing a code.
pub(super) fn begin_sign_in(
    shared: &Shared,
    directory: &Directory,
    tenant: &str,
    request: AuthRequest,
    login_hint: &str,
    admin_consent: bool,
) -> Response {
    let flow = random_token(24);
    if admin_consent {
        shared.identity().admin_consents.insert(flow.clone(), false);
    }
    shared.identity().flows.insert(
        flow.clone(),
        Flow {
            request,
            user_id: None,
            password_ok: false,
            created: shared.clock.now(),
            device: None,
        },
    );
    Html(pages::step(&Step {
        action: &format!("{}/{tenant}/login", shared.base_url()),
        flow: &flow,
        step: "account",
        heading: "Sign in",
        context: None,
        field: ("login", "text", "Email, phone, or Skype"),
        value: login_hint,
        error: None,
        hint: shared.demo_hints().then(|| {
            format!(
                "Demo tenant: sign in as {}@{} with the password {}.",
                crate::demo::ADMIN_LOCAL_PART,
                directory.tenant.default_domain(),
                crate::demo::ADMIN_PASSWORD
            )
        }),
    }))
    .into_response()
}

/// Issues the authorization code and sends it to the client.
pub(super) fn complete(shared: &Shared, flow_id: &str, flow: Flow, user_id: &str) -> Response {
    if let Some(device) = &flow.device {
        let mut identity = shared.identity();
        identity.flows.remove(flow_id);
        if let Some(d) = identity.devices.get_mut(device) {
            d.state = super::device::DeviceState::Approved(user_id.to_owned());
        }
        return super::device::finished(true);
    }
    let code = random_token(48);
    let tenant_id = shared.directory().tenant.id.clone();
    {
        let mut identity = shared.identity();
        identity.flows.remove(flow_id);
        identity.codes.insert(
            code.clone(),
            Code {
                request: flow.request.clone(),
                user_id: user_id.to_owned(),
                issued: shared.clock.now(),
                redeemed: false,
            },
        );
    }
    let info = client_info(user_id, &tenant_id);
    let session = shared.next_guid();
    let mut params = vec![("code", code.as_str())];
    if flow.request.client_info {
        params.push(("client_info", info.as_str()));
    }
    params.push(("session_state", session.as_str()));
    redirect_with(&flow.request, &params)
}

#[cfg(test)]
mod tests {
    use super::redirect_allowed;

    #[test]
    fn loopback_redirects_ignore_the_port() {
        let registered = vec![
            "http://localhost".to_owned(),
            "https://app.example.com/cb".to_owned(),
        ];
        let cases = [
            ("http://localhost:53117", true),
            ("http://localhost:53117/", true),
            ("http://127.0.0.1:8400", false),
            ("http://LOCALHOST:8400", true),
            ("http://localhost:53117/other", false),
            ("https://localhost:53117", false),
            ("http://[::1]:53117", false),
            ("http://[::1]", false),
            ("https://app.example.com/cb", true),
            ("https://app.example.com/cb2", false),
            ("http://evil.example.com", false),
            ("", false),
        ];
        for (uri, expect) in cases {
            assert_eq!(redirect_allowed(&registered, uri), expect, "{uri}");
        }
    }

    #[test]
    fn a_registered_127_0_0_1_is_its_own_host_and_ipv6_loopback_is_refused() {
        let registered = vec!["http://127.0.0.1".to_owned(), "http://[::1]".to_owned()];
        let cases = [
            ("http://127.0.0.1:8400", true),
            ("http://127.0.0.1", true),
            ("http://localhost:8400", false),
            ("http://[::1]:8400", false),
            ("http://[::1]", false),
        ];
        for (uri, expect) in cases {
            assert_eq!(redirect_allowed(&registered, uri), expect, "{uri}");
        }
    }
}
