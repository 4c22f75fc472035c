//! The sign-in pages behind `/authorize`, the admin consent endpoint and the device login:
//! account → password → second factor (→ consent), or Cancel.

use super::authorize::{complete, page_error, redirect_error};
use super::errors::Aadsts;
use super::pages::{self, Step};
use super::totp;
use super::{consent, prompt};
use crate::directory::Directory;
use crate::model::User;
use crate::sign_in::Flow;
use crate::state::Shared;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

/// Sign-ins not finished within this many seconds are forgotten.
const FLOW_LIFETIME: i64 = 3600;

#[derive(Debug, serde::Deserialize)]
pub(super) struct LoginForm {
    flow: String,
    step: String,
    #[serde(default)]
    value: String,
    #[serde(default)]
    action: String,
}

/// The sign-in pages of one flow, posting back to the tenant's login endpoint.
struct FlowPages<'a> {
    action: String,
    flow: &'a str,
}

impl FlowPages<'_> {
    fn render(
        &self,
        step: &str,
        heading: &str,
        context: Option<&str>,
        field: (&'static str, &'static str, &'static str),
        error: Option<&str>,
        hint: Option<String>,
    ) -> Response {
        Html(pages::step(&Step {
            action: &self.action,
            flow: self.flow,
            step,
            heading,
            context,
            field,
            value: "",
            error,
            hint,
        }))
        .into_response()
    }

    fn account(&self, error: Option<&str>) -> Response {
        let field = ("login", "text", "Email, phone, or Skype");
        self.render("account", "Sign in", None, field, error, None)
    }

    fn password(&self, upn: &str, error: Option<&str>, hint: Option<String>) -> Response {
        let field = ("passwd", "password", "Password");
        self.render("password", "Enter password", Some(upn), field, error, hint)
    }

    fn code(&self, upn: &str, error: Option<&str>, hint: Option<String>) -> Response {
        let field = ("otc", "text", "Code from your authenticator app");
        self.render("mfa", "Enter code", Some(upn), field, error, hint)
    }
}

/// One step of the sign-in pages: account, password, second factor (or Cancel).
pub async fn login(
    State(shared): State<Shared>,
    Path(tenant): Path<String>,
    Form(form): Form<LoginForm>,
) -> Response {
    let directory = shared.directory();
    let now = shared.clock.now();
    let Some(flow) = shared
        .identity()
        .flows
        .get(&form.flow)
        .cloned()
        .filter(|f| now - f.created < FLOW_LIFETIME)
    else {
        return page_error(
            &shared,
            &Aadsts::new(
                "invalid_request",
                50058,
                "This sign-in has expired or was already completed. Start it again from the application.",
            ),
        );
    };
    if form.action == "cancel" {
        return cancel(&shared, &form.flow, &flow);
    }
    let pages = FlowPages {
        action: format!("{}/{tenant}/login", shared.base_url()),
        flow: &form.flow,
    };
    let user = flow
        .user_id
        .as_deref()
        .and_then(|id| directory.tenant.users.iter().find(|u| u.id == id));
    match (form.step.as_str(), user) {
        ("account", _) => account_step(&shared, &directory, &pages, &form, flow),
        ("password", Some(user)) => password_step(&shared, &pages, &form, flow, user),
        ("mfa", Some(user)) if flow.password_ok => code_step(&shared, &pages, &form, flow, user),
        ("consent", Some(_)) if consent::awaiting_accept(&shared, &form.flow) => {
            consent::accept(&shared, &form.flow, &flow)
        }
        ("consent", Some(user)) if prompt::awaiting(&shared, &form.flow) => {
            let for_organization = form.value == prompt::FOR_ORGANIZATION;
            prompt::accept(&shared, &form.flow, flow, &user.id, for_organization)
        }
        _ => page_error(
            &shared,
            &Aadsts::new(
                "invalid_request",
                90014,
                "The sign-in steps were submitted out of order. Start again from the application.",
            ),
        ),
    }
}

/// Cancel: the flow ends; a device sign-in is declined, a browser one redirected with
/// `access_denied`.
fn cancel(shared: &Shared, flow_id: &str, flow: &Flow) -> Response {
    shared.identity().flows.remove(flow_id);
    let admin_consent = consent::is_admin_consent(shared, flow_id);
    consent::end(shared, flow_id);
    if admin_consent {
        return consent::declined(shared, &flow.request);
    }
    if let Some(device) = &flow.device {
        if let Some(d) = shared.identity().devices.get_mut(device) {
            d.state = super::device::DeviceState::Declined;
        }
        return super::device::finished(false);
    }
    redirect_error(
        shared,
        &flow.request,
        &Aadsts::new(
            "access_denied",
            65004,
            "User declined to consent to access the app.",
        ),
    )
}

/// The account step: an active user with this UPN, then the password page.
fn account_step(
    shared: &Shared,
    directory: &Directory,
    pages: &FlowPages<'_>,
    form: &LoginForm,
    mut flow: Flow,
) -> Response {
    let name = form.value.trim();
    let Some(user) = directory.tenant.users.iter().find(|u| {
        u.user_principal_name.eq_ignore_ascii_case(name) && u.deleted_date_time.is_none()
    }) else {
        return pages.account(Some(
            "This username may be incorrect. Make sure you typed it correctly. Otherwise, contact your admin.",
        ));
    };
    flow.user_id = Some(user.id.clone());
    shared.identity().flows.insert(form.flow.clone(), flow);
    let hint = shared.demo_hints().then(|| "Demo accounts: see the app's README or the emulator's fixtures/README.md for passwords.".to_owned());
    pages.password(&user.user_principal_name, None, hint)
}

/// The password step: an enabled user and the right password, then the second factor (when
/// the user has one) or the end of the sign-in.
fn password_step(
    shared: &Shared,
    pages: &FlowPages<'_>,
    form: &LoginForm,
    mut flow: Flow,
    user: &User,
) -> Response {
    if !user.account_enabled {
        return page_error(
            shared,
            &Aadsts::new("invalid_grant", 50057, "The user account is disabled.")
                .with_status(StatusCode::OK),
        );
    }
    if user.password.as_deref() != Some(form.value.as_str()) || form.value.is_empty() {
        return pages.password(
            &user.user_principal_name,
            Some("AADSTS50126: Error validating credentials due to invalid username or password."),
            None,
        );
    }
    flow.password_ok = true;
    shared
        .identity()
        .flows
        .insert(form.flow.clone(), flow.clone());
    match &user.totp_secret {
        Some(secret) => {
            let hint = shared
                .demo_hints()
                .then(|| match totp::base32_decode(secret) {
                    Some(bytes) => format!(
                        "Demo tenant: the current code is {}.",
                        totp::code_at(&bytes, shared.clock.now())
                    ),
                    None => String::new(),
                });
            pages.code(&user.user_principal_name, None, hint)
        }
        None => finish(shared, &form.flow, flow, &user.id),
    }
}

/// The second-factor step: the current TOTP code, then the end of the sign-in.
fn code_step(
    shared: &Shared,
    pages: &FlowPages<'_>,
    form: &LoginForm,
    flow: Flow,
    user: &User,
) -> Response {
    let ok = user
        .totp_secret
        .as_deref()
        .is_some_and(|s| totp::verify(s, &form.value, shared.clock.now()));
    if !ok {
        return pages.code(
            &user.user_principal_name,
            Some("You didn't enter the expected verification code. Please try again."),
            None,
        );
    }
    finish(shared, &form.flow, flow, &user.id)
}

/// The end of a successful sign-in: the code for the client, or first the consent prompt
/// (or "Need admin approval") when the client lacks consent; for an admin consent the
/// consent page.
fn finish(shared: &Shared, flow_id: &str, flow: Flow, user_id: &str) -> Response {
    if consent::is_admin_consent(shared, flow_id) {
        return consent::after_sign_in(shared, flow_id, flow, user_id);
    }
    if let Some(page) = prompt::before_code(shared, flow_id, &flow, user_id) {
        return page;
    }
    complete(shared, flow_id, flow, user_id)
}
