//! Organizations and administrator sign-in: wizard steps 1 and 2.
//!
//! A sign-in is two calls so the wizard can show progress and offer Cancel: `start_sign_in`
//! validates the form, prepares the flow and opens the browser (or returns the device code);
//! `finish_sign_in` waits for the outcome; `cancel_sign_in` stops it. No token ever crosses.

use crate::{Command, NoArgs};
use serde::{Deserialize, Serialize};

/// The stored organizations, by name.
#[derive(Debug)]
pub enum ListOrganizations {}

impl Command for ListOrganizations {
    const NAME: &'static str = "list_organizations";
    type Args = NoArgs;
    type Output = Vec<OrganizationSummary>;
}

/// Which cloud an organization lives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CloudName {
    Global,
    /// Government Community Cloud: the global endpoints.
    Gcc,
    /// US Government L4 (`login.microsoftonline.us`, `graph.microsoft.us`).
    GccHigh,
    /// US Government L5 (`login.microsoftonline.us`, `dod-graph.microsoft.us`).
    Dod,
    China,
    Custom,
    /// The offline demo tenant inside the app.
    Demo,
}

impl CloudName {
    pub fn label(self) -> &'static str {
        match self {
            CloudName::Global => "Global",
            CloudName::Gcc => "GCC",
            CloudName::GccHigh => "GCC High (US Government L4)",
            CloudName::Dod => "DoD (US Government L5)",
            CloudName::China => "China (21Vianet)",
            CloudName::Custom => "Custom authority",
            CloudName::Demo => "Offline demo",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrganizationSummary {
    pub id: i64,
    pub tenant_id: String,
    pub display_name: String,
    pub primary_domain: String,
    pub cloud: CloudName,
    /// The administrator who signed in last.
    pub admin_upn: Option<String>,
    pub last_sync_at: Option<String>,
    /// "Last synchronized 3 hours ago. The next synchronization reads only the changes …",
    /// or the warning that the 7-day change-tracking window is lapsing or lapsed.
    #[serde(default)]
    pub sync_note: Option<String>,
    #[serde(default)]
    pub sync_warning: bool,
    /// The deletion safeguard (see [`DeletionThreshold`]).
    #[serde(default)]
    pub threshold_count: u32,
    #[serde(default)]
    pub threshold_percent: u32,
}

impl OrganizationSummary {
    /// "Contoso (contoso.com) — admin@contoso.com, last sync …", as the dropdown shows it.
    pub fn label(&self) -> String {
        let name = if self.display_name.is_empty() {
            self.tenant_id.as_str()
        } else {
            self.display_name.as_str()
        };
        let mut label = if self.primary_domain.is_empty() {
            name.to_owned()
        } else {
            format!("{name} ({})", self.primary_domain)
        };
        if let Some(admin) = &self.admin_upn {
            label.push_str(" — ");
            label.push_str(admin);
        }
        match &self.last_sync_at {
            Some(at) => {
                label.push_str(", last sync ");
                label.push_str(at);
            }
            None => label.push_str(", never synchronized"),
        }
        label
    }
}

/// The New… form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewOrganization {
    /// Tenant ID (GUID) or verified domain.
    pub tenant: String,
    /// Application (client) ID of the app registration; ignored with `add_publisher_app`.
    pub client_id: String,
    pub cloud: CloudName,
    /// For [`CloudName::Custom`]: the authority host, e.g. `http://127.0.0.1:8400`.
    #[serde(default)]
    pub authority_host: String,
    /// For [`CloudName::Custom`]: the Graph root; empty means the authority host.
    #[serde(default)]
    pub graph_root: String,
    /// "Add the aadsync application to my tenant": `start_sign_in` first runs the tenant's
    /// admin consent to the publisher's multi-tenant application in the browser (answering
    /// only once an administrator accepted or refused, or Cancel), then starts the usual
    /// sign-in with that application's client ID, which [`SignInStarted`] names.
    #[serde(default)]
    pub add_publisher_app: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SignInTarget {
    New(NewOrganization),
    /// Sign in again to a stored organization.
    Existing {
        id: i64,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignInMethod {
    /// System browser with a loopback redirect (PKCE).
    Browser,
    /// "Use a device code instead".
    DeviceCode,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInRequest {
    pub target: SignInTarget,
    pub method: SignInMethod,
    /// Chosen by the wizard for this attempt, so [`CancelStartingSignIn`] can name it before
    /// `start_sign_in` has answered (even if the cancel reaches the backend first); 0 = none.
    #[serde(default)]
    pub attempt: u64,
}

/// The sign-in attempt a [`CancelStartingSignIn`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttemptRef {
    pub attempt: u64,
}

/// Validates, prepares and starts a sign-in. Field errors come back as
/// `InvalidTenant` / `InvalidClientId` / `InvalidAuthority` before any network call.
#[derive(Debug)]
pub enum StartSignIn {}

impl Command for StartSignIn {
    const NAME: &'static str = "start_sign_in";
    type Args = SignInRequest;
    type Output = SignInStarted;
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInStarted {
    pub flow: u64,
    /// Browser method: the page that was opened, to copy if no browser appeared.
    pub browser_url: Option<String>,
    /// Browser method: why no browser could be opened (the wizard offers the link and the
    /// device code instead).
    pub browser_error: Option<String>,
    /// Device code method: what to show.
    pub device_code: Option<DeviceCode>,
    /// Browser method: the likely causes (one a line, each with its fix) to show when no
    /// redirect has arrived after `no_redirect_after_seconds`; the sign-in goes on waiting.
    #[serde(default)]
    pub no_redirect_hint: Option<String>,
    #[serde(default)]
    pub no_redirect_after_seconds: u64,
    /// After admin consent (`add_publisher_app`): the publisher's client ID this sign-in uses,
    /// so that signing in again (another method, a retry) does not ask for consent again.
    #[serde(default)]
    pub consented_client_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceCode {
    pub user_code: String,
    pub verification_uri: String,
    pub expires_in_seconds: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlowRef {
    pub flow: u64,
}

/// Waits until the sign-in started by `start_sign_in` ends. Errors: `NotAdministrator`,
/// `SignInCancelled`, `KeyringUnavailable`, or `Internal` with the reason.
#[derive(Debug)]
pub enum FinishSignIn {}

impl Command for FinishSignIn {
    const NAME: &'static str = "finish_sign_in";
    type Args = FlowRef;
    type Output = ConnectedOrganization;
}

/// Stops a running sign-in; finishing it then answers `SignInCancelled`.
#[derive(Debug)]
pub enum CancelSignIn {}

impl Command for CancelSignIn {
    const NAME: &'static str = "cancel_sign_in";
    type Args = FlowRef;
    type Output = ();
}

/// Stops the sign-in attempt that is still starting (finding the tenant's endpoints, asking
/// for a device code): its `start_sign_in` then answers `SignInCancelled`, also when this
/// cancel arrives before the start. Started sign-ins are stopped with [`CancelSignIn`], by
/// the flow number `start_sign_in` answered.
#[derive(Debug)]
pub enum CancelStartingSignIn {}

impl Command for CancelStartingSignIn {
    const NAME: &'static str = "cancel_starting_sign_in";
    type Args = AttemptRef;
    type Output = ();
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrganizationRef {
    pub id: i64,
}

/// Silent sign-in to a stored organization. `SignInRequired` when the saved sign-in is gone,
/// expired or revoked (the wizard then shows step 2).
#[derive(Debug)]
pub enum ConnectOrganization {}

impl Command for ConnectOrganization {
    const NAME: &'static str = "connect_organization";
    type Args = OrganizationRef;
    type Output = ConnectedOrganization;
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectedOrganization {
    pub organization: OrganizationSummary,
    pub account: String,
    /// Accepted administrator roles the account holds.
    pub roles: Vec<String>,
    /// After an interactive sign-in: one line per feature whose Graph permission was not
    /// granted, with what aadsync does without it (empty: all granted, or a silent sign-in).
    #[serde(default)]
    pub missing_permissions: Vec<String>,
}

/// Removes an organization and its saved sign-in; imported users stay.
#[derive(Debug)]
pub enum RemoveOrganization {}

impl Command for RemoveOrganization {
    const NAME: &'static str = "remove_organization";
    type Args = OrganizationRef;
    type Output = ();
}

/// The deletion safeguard of one organization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeletionThreshold {
    pub organization: i64,
    /// Disabling or deleting more than this many objects…
    pub count: u32,
    /// …and more than this percentage of the organization's imported objects needs an
    /// explicit confirmation.
    pub percent: u32,
}

/// Changes an organization's deletion safeguard; answers the organization as now listed.
#[derive(Debug)]
pub enum SetDeletionThreshold {}

impl Command for SetDeletionThreshold {
    const NAME: &'static str = "set_deletion_threshold";
    type Args = DeletionThreshold;
    type Output = OrganizationSummary;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_say_who_and_when() {
        let mut org = OrganizationSummary {
            id: 1,
            tenant_id: "t".into(),
            display_name: "Contoso".into(),
            primary_domain: "contoso.com".into(),
            cloud: CloudName::Demo,
            admin_upn: Some("admin@contoso.com".into()),
            last_sync_at: None,
            sync_note: None,
            sync_warning: false,
            threshold_count: 10,
            threshold_percent: 10,
        };
        assert_eq!(
            org.label(),
            "Contoso (contoso.com) — admin@contoso.com, never synchronized"
        );
        org.last_sync_at = Some("2026-11-26 07:00".into());
        org.display_name.clear();
        org.primary_domain.clear();
        org.admin_upn = None;
        assert_eq!(org.label(), "t, last sync 2026-11-26 07:00");
    }

    #[test]
    fn targets_are_tagged() {
        let json = serde_json::to_value(SignInTarget::Existing { id: 3 }).ok();
        assert_eq!(json, Some(serde_json::json!({"kind": "existing", "id": 3})));
    }
}
