//! Consent at the end of an `/authorize` sign-in, when the client does not hold every Graph
//! permission asked for (no service principal, no grant, a scope not granted; `/.default`
//! with nothing granted), as "Consent experience for applications in Microsoft Entra ID"
//! describes it. Permissions the user may grant (none needs an administrator): everyone sees
//! the prompt for himself, and "The check box will only show for the Global Administrator
//! role" ("Consent on behalf of your organization"). A permission only an administrator can
//! grant: an administrator who may consent sees the prompt with the box; anyone else sees
//! "Need admin approval", AADSTS90094 (AdminConsentRequired). Tenant user-consent settings
//! are not modelled: user consent is allowed.

use super::authorize::{complete, page_error};
use super::consent::{graph_scopes, record_consent};
use super::errors::Aadsts;
use super::pages::{self, Step};
use crate::model::roles;
use crate::registrations::{CONSENTING_ROLES, GRAPH_SCOPES};
use crate::sign_in::Flow;
use crate::state::Shared;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

const GRAPH: &str = "https://graph.microsoft.com/";
/// The consent page's checkbox value for a grant to every user of the tenant.
pub const FOR_ORGANIZATION: &str = "organization";

/// Whether the client lacks a Graph permission the request asks `user_id` for.
fn consent_missing(shared: &Shared, flow: &Flow, user_id: &str) -> bool {
    let granted = shared
        .registrations()
        .granted_graph_scopes(&flow.request.client_id, user_id);
    granted.is_empty()
        || flow
            .request
            .scopes
            .iter()
            .map(|s| s.strip_prefix(GRAPH).unwrap_or(s))
            .filter(|s| !["openid", "profile", "email", "offline_access", ".default"].contains(s))
            .any(|s| !granted.iter().any(|g| g.eq_ignore_ascii_case(s)))
}

/// Whether a Graph permission needs an administrator's consent (its `type` is `Admin`); one
/// the emulator does not know counts as needing it.
fn needs_admin(scope: &str) -> bool {
    GRAPH_SCOPES
        .iter()
        .find(|(name, _, _)| name.eq_ignore_ascii_case(scope))
        .is_none_or(|(_, _, admin)| *admin)
}

/// Who may consent to what is missing: `None` when the user may not (AADSTS90094), else
/// whether the prompt offers "Consent on behalf of your organization".
fn consent_offer(shared: &Shared, flow: &Flow, user_id: &str) -> Option<bool> {
    let granted = shared
        .registrations()
        .granted_graph_scopes(&flow.request.client_id, user_id);
    let admin_only = match graph_scopes(shared, &flow.request.client_id, &flow.request.scopes) {
        Ok(asked) => asked
            .iter()
            .filter(|s| !granted.iter().any(|g| g.eq_ignore_ascii_case(s)))
            .any(|s| needs_admin(s)),
        Err(_) => true,
    };
    let directory = shared.directory();
    let held = directory.tenant.held_roles_of(user_id);
    let may_consent = held.iter().any(|r| CONSENTING_ROLES.contains(r));
    match (admin_only, may_consent) {
        (true, false) => None,
        (true, true) => Some(true),
        (false, _) => Some(held.contains(&roles::GLOBAL_ADMINISTRATOR)),
    }
}

/// The page to show instead of the code, when consent is missing: the prompt, or "Need
/// admin approval" for a user who may not grant what is asked. None when nothing is missing.
pub fn before_code(shared: &Shared, flow_id: &str, flow: &Flow, user_id: &str) -> Option<Response> {
    if flow.device.is_some() || !consent_missing(shared, flow, user_id) {
        return None;
    }
    let offer = consent_offer(shared, flow, user_id);
    let app_name = shared
        .registrations()
        .app(&flow.request.client_id)
        .map(|a| a.display_name.clone())
        .unwrap_or_default();
    let Some(for_organization) = offer else {
        shared.identity().flows.remove(flow_id);
        return Some(page_error(
            shared,
            &Aadsts::new(
                "access_denied",
                90094,
                format!("{app_name} needs permission to access resources in your organization that only an admin can grant. Please ask an admin to grant permission to this app before you can use it."),
            )
            .with_status(StatusCode::OK),
        ));
    };
    shared.identity().consent_prompts.insert(flow_id.to_owned());
    let scopes = graph_scopes(shared, &flow.request.client_id, &flow.request.scopes)
        .unwrap_or_default()
        .join(", ");
    let context = format!("{app_name} asks for: {scopes}.");
    Some(
        Html(pages::step(&Step {
            action: &format!(
                "{}/{}/login",
                shared.base_url(),
                flow.request.tenant_segment
            ),
            flow: flow_id,
            step: "consent",
            heading: "Permissions requested",
            context: Some(&context),
            field: if for_organization {
                (
                    "organization",
                    "checkbox",
                    "Consent on behalf of your organization",
                )
            } else {
                ("consent", "hidden", "")
            },
            value: if for_organization {
                FOR_ORGANIZATION
            } else {
                "accept"
            },
            error: None,
            hint: None,
        }))
        .into_response(),
    )
}

/// Whether this flow shows the consent prompt.
pub fn awaiting(shared: &Shared, flow_id: &str) -> bool {
    shared.identity().consent_prompts.contains(flow_id)
}

/// Accept: the grant (for the organization when the box was ticked, else for this user
/// alone), the service principal when missing, then the code as usual.
pub fn accept(
    shared: &Shared,
    flow_id: &str,
    flow: Flow,
    user_id: &str,
    for_organization: bool,
) -> Response {
    shared.identity().consent_prompts.remove(flow_id);
    // The box counts only where the prompt offered it.
    let for_organization = for_organization && consent_offer(shared, &flow, user_id) == Some(true);
    let request = &flow.request;
    let tenant_id = shared.directory().tenant.id.clone();
    let principal = (!for_organization).then_some(user_id);
    let recorded = graph_scopes(shared, &request.client_id, &request.scopes).and_then(|scopes| {
        record_consent(shared, &request.client_id, &scopes, &tenant_id, principal)
    });
    if let Err(err) = recorded {
        shared.identity().flows.remove(flow_id);
        return super::authorize::redirect_error(shared, request, &err);
    }
    complete(shared, flow_id, flow, user_id)
}
