//! The device code flow: `/devicecode`, the verification page, and polling at `/token`.

use super::errors::{Aadsts, no_store};
use super::pages::{self, Step};
use super::{AuthRequest, Flow, ResponseMode, error_ids, random_token, resolve_tenant};
use crate::generate::Rng;
use crate::state::Shared;
use axum::extract::{Form, Path, State};
use axum::response::{Html, IntoResponse, Response};
use serde_json::json;
use std::collections::HashMap;

pub use crate::sign_in::{Device, DeviceState};

/// Device codes expire after this many seconds (Entra: 15 minutes).
pub const DEVICE_LIFETIME: i64 = 900;
/// Seconds a client should wait between polls.
pub const INTERVAL: i64 = 5;

fn user_code(shared: &Shared) -> String {
    // Nine characters from an alphabet without look-alikes, like Entra's codes.
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = Rng::new(
        shared.clock.now() as u64 ^ u64::from_str_radix(&shared.next_guid()[..8], 16).unwrap_or(7),
    );
    (0..9)
        .map(|_| ALPHABET[rng.below(ALPHABET.len())] as char)
        .collect()
}

pub async fn devicecode(
    State(shared): State<Shared>,
    Path(tenant): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let directory = shared.directory();
    let result = (|| {
        resolve_tenant(&directory, &tenant)?;
        let client_id = form
            .get("client_id")
            .map(String::as_str)
            .unwrap_or_default();
        let registrations = shared.registrations();
        let app = registrations
            .signing_in_app(client_id)
            .cloned()
            .ok_or_else(|| {
                super::errors::client_not_here(
                    &registrations,
                    client_id,
                    &directory.tenant.display_name,
                )
            })?;
        drop(registrations);
        let scopes: Vec<String> = form
            .get("scope")
            .map(|s| s.split_whitespace().map(str::to_owned).collect())
            .unwrap_or_default();
        if scopes.is_empty() {
            return Err(Aadsts::new(
                "invalid_request",
                900144,
                "The request body must contain the following parameter: 'scope'.",
            ));
        }
        Ok((app.app_id.clone(), scopes))
    })();
    let (client_id, scopes) = match result {
        Ok(ok) => ok,
        Err(err) => {
            let (t, c, ts) = error_ids(&shared);
            return err.json(&t, &c, &ts);
        }
    };
    let device_code = random_token(48);
    let code = user_code(&shared);
    let uri = format!("{}/devicelogin", shared.base_url());
    shared.identity().devices.insert(
        device_code.clone(),
        Device {
            client_id,
            scopes,
            user_code: code.clone(),
            issued: shared.clock.now(),
            state: DeviceState::Pending,
            tenant_segment: tenant,
        },
    );
    let mut response = axum::Json(json!({
        "user_code": code,
        "device_code": device_code,
        "verification_uri": uri,
        "expires_in": DEVICE_LIFETIME,
        "interval": INTERVAL,
        "message": format!("To sign in, use a web browser to open the page {uri} and enter the code {code} to authenticate."),
    }))
    .into_response();
    no_store(&mut response);
    response
}

fn code_page(shared: &Shared, error: Option<&str>) -> Response {
    let action = format!("{}/devicelogin", shared.base_url());
    Html(pages::step(&Step {
        action: &action,
        flow: "",
        step: "device",
        heading: "Enter code",
        context: Some("Enter the code displayed on your app or device."),
        field: ("otc", "text", "Code"),
        value: "",
        error,
        hint: None,
    }))
    .into_response()
}

pub async fn devicelogin_page(State(shared): State<Shared>) -> Response {
    code_page(&shared, None)
}

/// The code was entered: start the usual sign-in steps, bound to the device.
pub async fn devicelogin_submit(
    State(shared): State<Shared>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let entered: String = form
        .get("value")
        .map(|v| v.trim().to_uppercase().replace('-', ""))
        .unwrap_or_default();
    let now = shared.clock.now();
    let found = shared
        .identity()
        .devices
        .iter()
        .find(|(_, d)| {
            d.user_code == entered
                && d.state == DeviceState::Pending
                && now - d.issued < DEVICE_LIFETIME
        })
        .map(|(k, d)| (k.clone(), d.clone()));
    let Some((device_code, device)) = found else {
        return code_page(
            &shared,
            Some("That code didn't work. Check the code and try again."),
        );
    };
    let flow = random_token(24);
    shared.identity().flows.insert(
        flow.clone(),
        Flow {
            request: AuthRequest {
                tenant_segment: device.tenant_segment.clone(),
                client_id: device.client_id.clone(),
                redirect_uri: String::new(),
                scopes: device.scopes.clone(),
                state: None,
                nonce: None,
                code_challenge: None,
                response_mode: ResponseMode::Query,
                client_info: false,
            },
            user_id: None,
            password_ok: false,
            created: now,
            device: Some(device_code),
        },
    );
    let action = format!("{}/{}/login", shared.base_url(), device.tenant_segment);
    Html(pages::step(&Step {
        action: &action,
        flow: &flow,
        step: "account",
        heading: "Sign in",
        context: None,
        field: ("login", "text", "Email, phone, or Skype"),
        value: "",
        error: None,
        hint: None,
    }))
    .into_response()
}

/// What the browser shows when a device sign-in ends.
pub fn finished(approved: bool) -> Response {
    let body = if approved {
        "<h1 id=\"heading\">You're signed in</h1><p id=\"done\">You have signed in to the application on your device. You may now close this window.</p>"
    } else {
        "<h1 id=\"heading\">Sign-in canceled</h1><p id=\"done\">You declined to sign in to the application on your device. You may now close this window.</p>"
    };
    Html(pages::layout("Sign in", body)).into_response()
}

/// `grant_type=urn:ietf:params:oauth:grant-type:device_code` at `/token`.
pub fn poll(
    shared: &Shared,
    device_code: &str,
    client_id: &str,
) -> Result<(String, Vec<String>), Aadsts> {
    let now = shared.clock.now();
    let mut identity = shared.identity();
    let Some(device) = identity
        .devices
        .get_mut(device_code)
        .filter(|d| d.client_id.eq_ignore_ascii_case(client_id))
    else {
        return Err(Aadsts::new(
            "bad_verification_code",
            70019,
            "The provided value for the input parameter 'device_code' is not valid.",
        ));
    };
    if now - device.issued >= DEVICE_LIFETIME && !matches!(device.state, DeviceState::Redeemed) {
        return Err(Aadsts::new(
            "expired_token",
            70020,
            "The provided value for the input parameter 'device_code' is not valid. This device code has expired.",
        ));
    }
    match device.state.clone() {
        DeviceState::Pending => Err(Aadsts::new(
            "authorization_pending",
            70016,
            "OAuth 2.0 device flow error. Authorization is pending. Continue polling.",
        )),
        DeviceState::Declined => Err(Aadsts::new(
            "authorization_declined",
            70000,
            "The user has declined to authorize the application.",
        )),
        DeviceState::Redeemed => Err(Aadsts::new(
            "invalid_grant",
            54005,
            "The device code was already redeemed.",
        )),
        DeviceState::Approved(user) => {
            device.state = DeviceState::Redeemed;
            Ok((user, device.scopes.clone()))
        }
    }
}
