//! One administrator sign-in from start to finish, and what it yields: discovery (which also
//! proves the tenant exists), the browser or device code, ID token validation, the
//! administrator and permission checks, and the tenant's name and domain from Graph.
//!
//! Nothing is stored here. A refused account's tokens are dropped with the error; the caller
//! saves the refresh token (keyring) and the organization (database) only after `Ok`.
//!
//! This module strings the steps together; each step lives in a child module below it
//! (`discovery`, `browser`, `consent`, `tenant`), and all of them report through `error`.

mod browser;
mod consent;
mod discovery;
mod error;
mod tenant;

pub use browser::{NO_REDIRECT_AFTER, no_redirect_hint, open_browser};
pub use consent::{GRAPH_SCOPES, REQUIRED_PERMISSIONS, Scopes, missing_permission};
pub use discovery::{Discovery, discover};
pub use error::SignInError;
pub use tenant::{TenantInfo, read_tenant};

use crate::auth::admin::{AdminPolicy, check_roles};
use crate::auth::code::{CodeFlow, Tokens};
use crate::auth::device::{DeviceFlow, DeviceFlowError};
use crate::auth::id_token::{self, Expectations, IdTokenClaims, IdTokenError, Jwks};
use crate::auth::loopback::{LoopbackError, LoopbackListener};
use crate::auth::session::Session;
use crate::clock::unix_seconds;
use crate::target::Target;
use aadsync_keystore::SecretString;
use std::time::Duration;

/// How long an interactive sign-in may take in the browser.
pub const BROWSER_TIMEOUT: Duration = Duration::from_secs(300);

/// The signed-in administrator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub upn: String,
    pub object_id: String,
    pub name: String,
    /// Names of the accepted administrator roles the account holds.
    pub roles: Vec<String>,
}

/// A successful administrator sign-in. The session holds the tokens.
#[derive(Debug)]
pub struct SignedIn {
    pub tenant: TenantInfo,
    pub account: Account,
    pub session: Session,
    /// The token response's `scope`: what the admin consented (see `auth::permissions`).
    pub granted: Vec<String>,
}

/// A prepared interactive sign-in: the URL is known, the listener is waiting to be awaited.
#[derive(Debug)]
pub struct Interactive {
    target: Target,
    discovery: Discovery,
    listener: LoopbackListener,
    flow: CodeFlow,
    scopes: Scopes,
}

/// `Scopes::graph` as the flows take them.
fn graph_scopes(scopes: &Scopes) -> Vec<&str> {
    scopes.graph.iter().map(String::as_str).collect()
}

impl Interactive {
    /// Checks the tenant, binds the loopback listener and builds the authorization URL.
    pub async fn prepare(target: &Target, login_hint: Option<&str>) -> Result<Self, SignInError> {
        Self::prepare_with(target, login_hint, Scopes::default()).await
    }

    /// [`Self::prepare`], asking for `scopes` instead of `.default`.
    pub async fn prepare_with(
        target: &Target,
        login_hint: Option<&str>,
        scopes: Scopes,
    ) -> Result<Self, SignInError> {
        let discovery = discover(target).await?;
        let listener = LoopbackListener::bind().await?;
        let flow = CodeFlow::start(
            target,
            &listener.redirect_uri(),
            &graph_scopes(&scopes),
            login_hint,
        )?;
        Ok(Self {
            target: target.clone(),
            discovery,
            listener,
            flow,
            scopes,
        })
    }

    pub fn authorize_url(&self) -> &str {
        self.flow.authorize_url.as_str()
    }

    /// Waits for the browser's answer, then redeems and checks it. `cancel` stops it at any
    /// stage: while waiting for the browser, during the code exchange and the checks after it
    /// (each of which also has the target's timeout).
    pub async fn finish(
        self,
        policy: AdminPolicy,
        timeout: Duration,
        cancel: impl std::future::Future<Output = ()>,
    ) -> Result<SignedIn, SignInError> {
        let Interactive {
            target,
            discovery,
            listener,
            flow,
            scopes,
        } = self;
        let mut cancel = std::pin::pin!(cancel);
        let response = listener.wait(&flow.state, timeout, cancel.as_mut()).await?;
        let nonce = flow.nonce.clone();
        let redeem_and_check = async {
            let tokens = flow.redeem(response).await?;
            complete_with(&target, &discovery, &policy, &scopes, tokens, Some(&nonce)).await
        };
        tokio::select! {
            outcome = redeem_and_check => outcome,
            () = cancel => Err(SignInError::Loopback(LoopbackError::Cancelled)),
        }
    }
}

/// A started device code sign-in.
#[derive(Debug)]
pub struct DeviceSignIn {
    target: Target,
    discovery: Discovery,
    flow: DeviceFlow,
    scopes: Scopes,
}

impl DeviceSignIn {
    pub async fn start(target: &Target) -> Result<Self, SignInError> {
        Self::start_with(target, Scopes::default()).await
    }

    /// [`Self::start`], asking for `scopes` instead of `.default`.
    pub async fn start_with(target: &Target, scopes: Scopes) -> Result<Self, SignInError> {
        let discovery = discover(target).await?;
        let flow = DeviceFlow::start(target, &graph_scopes(&scopes)).await?;
        Ok(Self {
            target: target.clone(),
            discovery,
            flow,
            scopes,
        })
    }

    pub fn user_code(&self) -> &str {
        self.flow.user_code()
    }

    pub fn verification_uri(&self) -> &str {
        self.flow.verification_uri()
    }

    pub fn expires_in(&self) -> Duration {
        self.flow.expires_in()
    }

    pub async fn finish(
        self,
        policy: AdminPolicy,
        cancel: impl std::future::Future<Output = ()>,
    ) -> Result<SignedIn, SignInError> {
        let mut cancel = std::pin::pin!(cancel);
        let tokens = self.flow.finish(cancel.as_mut()).await?;
        // Cancel still stops the checks after the code was accepted.
        tokio::select! {
            outcome = complete_with(&self.target, &self.discovery, &policy, &self.scopes, tokens, None) => outcome,
            () = cancel => Err(SignInError::Device(DeviceFlowError::Cancelled)),
        }
    }
}

/// Validates what a sign-in produced and checks the account; on any refusal the tokens are
/// dropped here.
pub async fn complete(
    target: &Target,
    discovery: &Discovery,
    policy: &AdminPolicy,
    tokens: Tokens,
    nonce: Option<&str>,
) -> Result<SignedIn, SignInError> {
    complete_with(target, discovery, policy, &Scopes::default(), tokens, nonce).await
}

/// [`complete`] for a sign-in that asked for `scopes`.
pub async fn complete_with(
    target: &Target,
    discovery: &Discovery,
    policy: &AdminPolicy,
    scopes: &Scopes,
    tokens: Tokens,
    nonce: Option<&str>,
) -> Result<SignedIn, SignInError> {
    let id_token = tokens
        .id_token
        .as_ref()
        .map(SecretString::expose)
        .ok_or(SignInError::Missing("an ID token"))?;
    let jwks = signing_keys(target, discovery).await?;
    let claims = check_id_token(target, discovery, &jwks, id_token, nonce)?;
    let account_name = if claims.preferred_username.is_empty() {
        claims.object_id.clone()
    } else {
        claims.preferred_username.clone()
    };
    let access = tokens.access_token.expose();
    // Permissions first: without them the role check's own answer would be misleading.
    let granted = tokens.scopes.clone();
    if let Some(missing) = scopes.missing(&tokens.scopes) {
        let client_id = target.client_id.as_str().to_owned();
        return Err(if scopes.dynamic {
            SignInError::NotGranted { client_id, missing }
        } else {
            SignInError::Consent { client_id, missing }
        });
    }
    let graph = (target.http(), &target.endpoints.graph_root, access);
    let accepted = check_roles(policy, &claims.wids, graph, &account_name).await?;
    let tenant = read_tenant(target.http(), &target.endpoints.graph_root, access).await?;
    if !tenant.tenant_id.eq_ignore_ascii_case(&discovery.tenant_id) {
        return Err(IdTokenError::WrongTenant {
            expected: discovery.tenant_id.clone(),
            found: tenant.tenant_id,
        }
        .into());
    }
    let refresh = tokens
        .refresh_token
        .ok_or(SignInError::Missing("a refresh token (offline_access)"))?;
    let session = Session::signed_in(
        target.clone(),
        tokens.access_token,
        tokens.expires_in,
        refresh,
        claims.wids.clone(),
    );
    Ok(SignedIn {
        tenant,
        account: Account {
            upn: account_name,
            object_id: claims.object_id,
            name: claims.name,
            roles: accepted,
        },
        session,
        granted,
    })
}

/// The tenant's published signing keys (JWKS).
async fn signing_keys(target: &Target, discovery: &Discovery) -> Result<Jwks, SignInError> {
    let response = target
        .http()
        .get(&discovery.jwks_uri)
        .send()
        .await
        .map_err(|e| SignInError::unreachable(&discovery.jwks_uri, e))?;
    let keys = crate::body::read_json(response, target.limits().max_sign_in_body)
        .await
        .map_err(|e| SignInError::Graph(format!("the signing keys are unreadable: {e}")))?;
    serde_json::from_value(keys)
        .map_err(|e| SignInError::Graph(format!("the signing keys are unreadable: {e}")))
}

/// The ID token checked against the tenant's keys, this sign-in's nonce, and the time on the
/// target's clock.
fn check_id_token(
    target: &Target,
    discovery: &Discovery,
    jwks: &Jwks,
    id_token: &str,
    nonce: Option<&str>,
) -> Result<IdTokenClaims, IdTokenError> {
    id_token::validate(
        id_token,
        jwks,
        &Expectations {
            issuer: &discovery.issuer,
            client_id: target.client_id.as_str(),
            nonce: nonce.unwrap_or_default(),
            tenant_id: Some(&discovery.tenant_id),
            now: unix_seconds(target.clock().now()),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The lifetime check runs at the target's clock: five minutes of skew past expiry pass,
    /// a second more does not (the rule itself is table-tested in `tests/auth/id_token_rules.rs`).
    #[test]
    fn the_id_token_lifetime_is_checked_at_the_targets_clock() {
        use crate::clock::FixedClock;
        use crate::cloud::Cloud;
        use crate::ids::{ClientId, TenantRef};
        use aadsync_emulator::keys::SigningKeys;
        use std::sync::Arc;

        const TENANT: &str = "3f1c2e2a-5d0b-4a4f-9f3e-2b8c6a7d9e10";
        const CLIENT: &str = "2f5e7c1a-9b3d-4e8f-a6c2-1d4b8e9f0a37";
        const EXP: u64 = 1_800_003_600;
        let issuer = format!("https://login.microsoftonline.com/{TENANT}/v2.0");
        let keys = SigningKeys::well_known().expect("keys");
        let token = keys.sign(&serde_json::json!({
            "iss": issuer, "aud": CLIENT, "tid": TENANT, "oid": "o", "nonce": "n",
            "preferred_username": "admin@contoso.com", "exp": EXP,
        }));
        let jwks: Jwks = serde_json::from_value(keys.jwks(&issuer)).expect("jwks");
        let discovery = Discovery {
            tenant_id: TENANT.into(),
            jwks_uri: String::new(),
            issuer: issuer.clone(),
        };
        let check = |now: u64| {
            let target = Target::new(
                TenantRef::parse(TENANT).expect("tenant"),
                ClientId::parse(CLIENT).expect("client"),
                &Cloud::Global,
            )
            .expect("target")
            .with_clock(Arc::new(FixedClock::at_unix(now)));
            check_id_token(&target, &discovery, &jwks, &token, Some("n")).map(|c| c.object_id)
        };
        assert_eq!(check(EXP + 300), Ok("o".to_owned()));
        assert_eq!(check(EXP + 301), Err(IdTokenError::Expired));
    }
}
