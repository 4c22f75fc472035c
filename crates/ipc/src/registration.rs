//! The registration check in wizard step 1 (issue 20): the selected organization's app
//! registration read with its saved sign-in, each finding with its fix (the same check as
//! `aadsync org check`).

use crate::{Command, OrganizationRef};
use serde::{Deserialize, Serialize};

/// Checks the organization's app registration. `SignInRequired` when the saved sign-in is
/// gone, expired or revoked; a sign-in Entra ID refuses because of the registration is a
/// finding instead.
#[derive(Debug)]
pub enum CheckRegistration {}

impl Command for CheckRegistration {
    const NAME: &'static str = "check_registration";
    type Args = OrganizationRef;
    type Output = RegistrationCheckView;
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RegistrationCheckView {
    pub findings: Vec<RegistrationFindingView>,
    /// What could not be checked, and why.
    pub unchecked: Vec<String>,
    /// Whether a finding is one aadsync cannot work without.
    pub blocking: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegistrationFindingView {
    /// What it is about, for people ("Redirect URI", "Import users").
    pub about: String,
    /// aadsync cannot sign in or synchronize without the fix.
    pub needed: bool,
    pub problem: String,
    pub fix: String,
}
