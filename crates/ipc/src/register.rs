//! Automatic registration from New… (issue 20): the bootstrap sign-in and the preview
//! ([`StartRegistration`]), the writes exactly as previewed ([`ConfirmRegistration`]) or
//! nothing at all ([`CancelRegistration`]). The organization is then signed in to with the
//! new client ID through [`crate::StartSignIn`], as with an app registered by hand.

use crate::{Command, NewOrganization};
use serde::{Deserialize, Serialize};

/// New… with "Register aadsync in my tenant".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegistrationRequest {
    /// The tenant and cloud; the client ID is ignored (the bootstrap sign-in uses the
    /// publisher's application).
    pub new: NewOrganization,
    /// As in [`crate::SignInRequest`]: [`crate::CancelStartingSignIn`] stops the bootstrap
    /// sign-in by this number while it waits for the browser.
    #[serde(default)]
    pub attempt: u64,
}

/// What the registration will create or change, from what the tenant holds now. Nothing has
/// been written yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegistrationPreview {
    /// Names the kept plan for [`ConfirmRegistration`] and [`CancelRegistration`].
    pub registration: u64,
    /// The administrator who signed in for the registration.
    pub account: String,
    /// One line per part: the application, its service principal, the admin consent grant.
    pub lines: Vec<String>,
    /// Everything is there already: confirming writes nothing.
    pub changes_nothing: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegistrationRef {
    pub registration: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum RegistrationConfirmed {
    /// Written as previewed: sign in with `client_id` to store the organization.
    Registered { client_id: String, created: bool },
    /// The tenant changed since the preview, so nothing was written: this is the new
    /// preview, to confirm again.
    Changed { preview: RegistrationPreview },
}

/// The bootstrap sign-in in the system browser (an administrator with the roles that may
/// register applications, accepting `Application.ReadWrite.All` and
/// `DelegatedPermissionGrant.ReadWrite.All`), then what Graph shows, planned. Answers once the
/// preview is ready; `NotAdministrator` without the roles or rights, `SignInCancelled` after
/// Cancel, field errors as for [`crate::StartSignIn`].
#[derive(Debug)]
pub enum StartRegistration {}

impl Command for StartRegistration {
    const NAME: &'static str = "start_registration";
    type Args = RegistrationRequest;
    type Output = RegistrationPreview;
}

/// Writes what the preview listed, and nothing else.
#[derive(Debug)]
pub enum ConfirmRegistration {}

impl Command for ConfirmRegistration {
    const NAME: &'static str = "confirm_registration";
    type Args = RegistrationRef;
    type Output = RegistrationConfirmed;
}

/// Drops the previewed plan and the bootstrap sign-in: nothing is created.
#[derive(Debug)]
pub enum CancelRegistration {}

impl Command for CancelRegistration {
    const NAME: &'static str = "cancel_registration";
    type Args = RegistrationRef;
    type Output = ();
}
