//! Identity platform state: sign-ins in progress (also for admin consent), authorization and
//! device codes, revocations.

use std::collections::HashMap;

/// How the authorization response reaches the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseMode {
    Query,
    FormPost,
}

/// A validated authorization request.
#[derive(Debug, Clone)]
pub struct AuthRequest {
    pub tenant_segment: String,
    pub client_id: String,
    pub redirect_uri: String,
    pub scopes: Vec<String>,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub code_challenge: Option<(String, String)>,
    pub response_mode: ResponseMode,
    pub client_info: bool,
}

/// A sign-in in progress (one browser tab).
#[derive(Debug, Clone)]
pub struct Flow {
    pub request: AuthRequest,
    pub user_id: Option<String>,
    pub password_ok: bool,
    pub created: i64,
    /// Set when this sign-in approves a device code instead of redirecting.
    pub device: Option<String>,
}

/// An authorization code issued at the end of a sign-in, until it is redeemed at `/token`.
#[derive(Debug, Clone)]
pub struct Code {
    pub request: AuthRequest,
    pub user_id: String,
    pub issued: i64,
    pub redeemed: bool,
}

/// Where a device code is: waiting for the person at the browser, approved by a user (its
/// object ID), declined, or already exchanged for tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeviceState {
    Pending,
    Approved(String),
    Declined,
    Redeemed,
}

/// A device code flow: what the client asked for, and the code the person types in.
#[derive(Debug, Clone)]
pub struct Device {
    pub client_id: String,
    pub scopes: Vec<String>,
    pub user_code: String,
    pub issued: i64,
    pub state: DeviceState,
    pub tenant_segment: String,
}

/// Sign-ins, authorization and device codes, refresh-token revocations. Revocation is per
/// user: every refresh token issued to the user before the revocation time stops working.
#[derive(Debug, Default)]
pub struct IdentityState {
    pub flows: HashMap<String, Flow>,
    pub codes: HashMap<String, Code>,
    pub revoked_before: HashMap<String, i64>,
    pub devices: HashMap<String, Device>,
    /// Sign-ins started at the admin consent endpoint (flow ID → whether the administrator has
    /// finished signing in and sees the consent page).
    pub admin_consents: HashMap<String, bool>,
    /// `/authorize` sign-ins showing an administrator the consent prompt.
    pub consent_prompts: std::collections::HashSet<String>,
}
