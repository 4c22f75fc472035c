//! The demo tenant's documented accounts and app registration.
//!
//! These credentials are public on purpose: they sign in to the offline demo tenant and to
//! emulator-backed tests, nowhere else. The emulator's login page shows them (and the current
//! second-factor code) so a newcomer can try everything.

use crate::model::{Application, User};

/// Application (client) ID of the demo app registration.
pub const CLIENT_ID: &str = "2f5e7c1a-9b3d-4e8f-a6c2-1d4b8e9f0a37";
/// The administrator (Global Administrator).
pub const ADMIN_LOCAL_PART: &str = "admin";
pub const ADMIN_PASSWORD: &str = "Demo-Admin-2026!";
/// Base32 TOTP secret of the administrator (RFC 6238, SHA-1, 6 digits, 30 s).
pub const ADMIN_TOTP_SECRET: &str = "JBSWY3DPEHPK3PXPJBSWY3DP";
/// A user without any directory role: sign-in works, aadsync refuses them.
pub const USER_LOCAL_PART: &str = "alex.wilber";
pub const USER_PASSWORD: &str = "Demo-User-2026!";
pub const USER_TOTP_SECRET: &str = "KRSXG5CTMVRXEZLUKRSXG5CT";

/// Application (client) ID of a second registration, identical except that its token
/// configuration has no groups claim: no `wids`, so the administrator check must ask Graph.
pub const NO_ROLES_CLAIM_CLIENT_ID: &str = "7c0d4b2e-3f6a-4e19-8b5d-9a2c1e7f4d63";

/// Delegated Graph permissions granted (with admin consent) to the demo app: exactly what
/// README "Connecting your own tenant" tells an administrator to grant.
pub const GRANTED_SCOPES: &[&str] = &["User.Read", "User.Read.All", "GroupMember.Read.All"];

pub fn admin(id: String, created: String, domain: &str) -> User {
    User {
        id,
        user_principal_name: format!("{ADMIN_LOCAL_PART}@{domain}"),
        display_name: "Megan Bowen (Admin)".into(),
        given_name: Some("Megan".into()),
        surname: Some("Bowen".into()),
        mail: Some(format!("{ADMIN_LOCAL_PART}@{domain}")),
        job_title: Some("IT Administrator".into()),
        department: Some("IT".into()),
        office_location: Some("Redmond 18/2111".into()),
        mobile_phone: None,
        business_phones: vec!["+1 425 555 0100".into()],
        preferred_language: Some("en-US".into()),
        user_type: "Member".into(),
        account_enabled: true,
        created_date_time: created,
        on_premises_sync_enabled: None,
        password: Some(ADMIN_PASSWORD.into()),
        totp_secret: Some(ADMIN_TOTP_SECRET.into()),
        deleted_date_time: None,
    }
}

pub fn regular_user(id: String, created: String, domain: &str) -> User {
    User {
        id,
        user_principal_name: format!("{USER_LOCAL_PART}@{domain}"),
        display_name: "Alex Wilber".into(),
        given_name: Some("Alex".into()),
        surname: Some("Wilber".into()),
        mail: Some(format!("{USER_LOCAL_PART}@{domain}")),
        job_title: Some("Marketing Assistant".into()),
        department: Some("Marketing".into()),
        office_location: Some("Seattle 12/1110".into()),
        mobile_phone: Some("+1 206 555 0110".into()),
        business_phones: vec!["+1 425 555 0109".into()],
        preferred_language: Some("en-US".into()),
        user_type: "Member".into(),
        account_enabled: true,
        created_date_time: created,
        on_premises_sync_enabled: None,
        password: Some(USER_PASSWORD.into()),
        totp_secret: Some(USER_TOTP_SECRET.into()),
        deleted_date_time: None,
    }
}

/// The registration README "Connecting your own tenant" describes: `http://localhost` under
/// "Mobile and desktop applications", public client flows on, the README's permissions, and
/// Token configuration → groups claim → "Directory roles" (`wids`).
pub fn application() -> Application {
    Application {
        client_id: CLIENT_ID.into(),
        display_name: "aadsync (demo)".into(),
        redirect_uris: vec!["http://localhost".into()],
        public_client_flows: true,
        granted_scopes: GRANTED_SCOPES.iter().map(|s| (*s).to_owned()).collect(),
        wids_in_tokens: true,
    }
}

/// The README's registration with its token configuration step skipped: the administrator
/// check cannot tell from the token and asks Graph, which lists roles with limited information.
pub fn application_without_roles_claim() -> Application {
    Application {
        client_id: NO_ROLES_CLAIM_CLIENT_ID.into(),
        display_name: "aadsync (no groups claim)".into(),
        wids_in_tokens: false,
        ..application()
    }
}

/// Application (client) ID of the publisher's multi-tenant application ("the aadsync
/// application"): registered in the publisher's own tenant, not in the demo tenant, so it
/// signs in here only after an administrator consented to it (admin consent endpoint).
pub const PUBLISHER_CLIENT_ID: &str = "5d2b9e40-7c1f-4a83-b6e2-0f9a4c3d8e71";
/// The publisher's tenant, where that application object lives.
pub const PUBLISHER_TENANT_ID: &str = "a3c6e9f2-1b4d-4e7a-9c2f-5d8b1e4a7c30";

/// The publisher's application: multi-tenant, `http://localhost` for desktop sign-ins, public
/// client flows on, asking for the README's permissions, groups claim "Directory roles".
pub fn publisher_application() -> Application {
    Application {
        client_id: PUBLISHER_CLIENT_ID.into(),
        display_name: "aadsync".into(),
        ..application()
    }
}
