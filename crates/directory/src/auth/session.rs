//! A signed-in organization's tokens: the access token only in memory, renewed shortly before
//! it expires, and the refresh token rotated into the OS keyring at every renewal.

use crate::auth::admin::{AdminError, AdminPolicy, check_roles};
use crate::auth::code::{EntraError, EntraTokenResponse};
use crate::target::Target;
use aadsync_keystore::{SecretString, TokenError, TokenKey, TokenStore};
use oauth2::basic::{BasicRevocationErrorResponse, BasicTokenIntrospectionResponse};
use oauth2::{
    EndpointNotSet, EndpointSet, RefreshToken, RequestTokenError, Scope, StandardRevocableToken,
    TokenResponse, TokenUrl,
};
use std::time::{Duration, SystemTime};
use tokio::sync::Mutex;

/// Renew this long before the access token expires, so a request never starts with a token
/// that runs out on the way.
pub const RENEW_BEFORE: Duration = Duration::from_secs(300);

type RefreshClient = oauth2::Client<
    EntraError,
    EntraTokenResponse,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
>;

#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error("the saved sign-in is no longer valid ({reason}). Sign in again")]
    SignInAgain { reason: String },
    #[error("cannot reach the sign-in service: {0}")]
    Network(String),
    #[error("the sign-in service refused to renew the sign-in: {0}")]
    Service(String),
    #[error("cannot save the renewed sign-in in the keyring: {0}")]
    Keyring(#[from] TokenError),
    #[error("{0}")]
    NotAdmin(#[from] AdminError),
}

impl SessionError {
    pub fn needs_sign_in(&self) -> bool {
        matches!(
            self,
            SessionError::SignInAgain { .. } | SessionError::NotAdmin(_)
        )
    }
}

struct Access {
    token: SecretString,
    renew_at: SystemTime,
}

impl Access {
    /// A token received at `now` that lives `expires_in` (an hour when the server did not say).
    fn new(token: SecretString, now: SystemTime, expires_in: Option<Duration>) -> Self {
        let lifetime = expires_in.unwrap_or(Duration::from_secs(3600));
        Self {
            token,
            renew_at: now + lifetime.saturating_sub(RENEW_BEFORE),
        }
    }

    /// Still good enough to send at `now`, or due for renewal.
    fn is_fresh(&self, now: SystemTime) -> bool {
        now < self.renew_at
    }
}

struct State {
    access: Option<Access>,
    refresh: Option<SecretString>,
    /// The directory roles of the last ID token (`wids`; empty when the registration does not
    /// put them there), for the administrator re-check.
    wids: Vec<String>,
    /// The Graph permissions the last token answer said were granted (its `scope`), for the
    /// per-feature permission check after a silent sign-in; `None` before a renewal.
    granted: Option<Vec<String>>,
}

/// Tokens of one organization + account.
pub struct Session {
    target: Target,
    client: RefreshClient,
    state: Mutex<State>,
    keyring: Option<(TokenStore, TokenKey)>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("target", &self.target)
            .finish_non_exhaustive()
    }
}

impl Session {
    fn new(
        target: Target,
        refresh: Option<SecretString>,
        access: Option<Access>,
        wids: Vec<String>,
    ) -> Self {
        let authority = target.endpoints.authority.as_str().trim_end_matches('/');
        let token_url = TokenUrl::new(format!("{authority}/oauth2/v2.0/token"));
        let client =
            oauth2::Client::new(oauth2::ClientId::new(target.client_id.as_str().to_owned()));
        // The authority was validated as a URL; the joined path cannot make it invalid.
        let client = match token_url {
            Ok(url) => client.set_token_uri(url),
            Err(_) => client.set_token_uri(TokenUrl::from_url(target.endpoints.authority.clone())),
        };
        Self {
            target,
            client,
            state: Mutex::new(State {
                access,
                refresh,
                wids,
                granted: None,
            }),
            keyring: None,
        }
    }

    /// The session an interactive or device code sign-in produced.
    pub(crate) fn signed_in(
        target: Target,
        access: SecretString,
        expires_in: Option<Duration>,
        refresh: SecretString,
        wids: Vec<String>,
    ) -> Self {
        let access = Access::new(access, target.clock().now(), expires_in);
        Self::new(target, Some(refresh), Some(access), wids)
    }

    /// A session from tokens obtained elsewhere (another client, a test's minted token).
    pub fn with_tokens(
        target: Target,
        access: SecretString,
        expires_in: Duration,
        refresh: Option<SecretString>,
    ) -> Self {
        let access = Access::new(access, target.clock().now(), Some(expires_in));
        Self::new(target, refresh, Some(access), Vec::new())
    }

    /// A session from a refresh token read from the keyring; nothing is checked until
    /// [`Session::access_token`] (or [`Session::verify_admin`]) runs.
    pub fn resume(target: Target, refresh: SecretString) -> Self {
        Self::new(target, Some(refresh), None, Vec::new())
    }

    /// Saves every rotated refresh token under `key`.
    pub fn persist_to(&mut self, store: TokenStore, key: TokenKey) {
        self.keyring = Some((store, key));
    }

    pub fn target(&self) -> &Target {
        &self.target
    }

    /// Writes the current refresh token to the keyring (after an interactive sign-in).
    pub async fn save_refresh_token(&self) -> Result<(), SessionError> {
        let state = self.state.lock().await;
        match &state.refresh {
            Some(token) => self.store(token).await,
            None => Ok(()),
        }
    }

    async fn store(&self, token: &SecretString) -> Result<(), SessionError> {
        let Some((store, key)) = &self.keyring else {
            return Ok(());
        };
        let (store, key, token) = (
            store.clone(),
            key.clone(),
            SecretString::new(token.expose()),
        );
        tokio::task::spawn_blocking(move || store.save(&key, &token))
            .await
            .map_err(|e| SessionError::Service(e.to_string()))??;
        Ok(())
    }

    /// A valid access token for Microsoft Graph, renewed first when it is about to expire.
    pub async fn access_token(&self) -> Result<SecretString, SessionError> {
        let mut state = self.state.lock().await;
        if let Some(access) = &state.access
            && access.is_fresh(self.target.clock().now())
        {
            return Ok(SecretString::new(access.token.expose()));
        }
        self.renew(&mut state).await
    }

    /// Renews now, e.g. after Graph answered 401 to a token this session thought valid.
    pub async fn renew_now(&self) -> Result<SecretString, SessionError> {
        let mut state = self.state.lock().await;
        self.renew(&mut state).await
    }

    async fn renew(&self, state: &mut State) -> Result<SecretString, SessionError> {
        let Some(refresh) = &state.refresh else {
            return Err(SessionError::SignInAgain {
                reason: "no saved sign-in".into(),
            });
        };
        let resource = &self.target.endpoints.graph_resource;
        let token = self
            .client
            .exchange_refresh_token(&RefreshToken::new(refresh.expose().to_owned()))
            .add_scope(Scope::new(format!("{resource}/.default")))
            .add_scope(Scope::new("offline_access".into()))
            .add_scope(Scope::new("openid".into()))
            .add_scope(Scope::new("profile".into()))
            .request_async(&self.target.oauth())
            .await
            .map_err(|e| match e {
                RequestTokenError::ServerResponse(err)
                    if err.error == "invalid_grant" || err.error == "interaction_required" =>
                {
                    SessionError::SignInAgain {
                        reason: err.summary(),
                    }
                }
                RequestTokenError::ServerResponse(err) => SessionError::Service(err.summary()),
                RequestTokenError::Request(err) => SessionError::Network(err.to_string()),
                other => SessionError::Service(other.to_string()),
            })?;
        let access = SecretString::new(token.access_token().secret().as_str());
        if let Some(id_token) = &token.extra_fields().id_token {
            state.wids = crate::auth::id_token::wids_from_token_endpoint(id_token);
        }
        if let Some(scopes) = token.scopes() {
            state.granted = Some(scopes.iter().map(|s| s.to_string()).collect());
        }
        if let Some(rotated) = token.refresh_token() {
            let rotated = SecretString::new(rotated.secret().as_str());
            // Saved before use: if the keyring fails, the old refresh token (still valid at
            // Entra) stays in both places and the next start works.
            self.store(&rotated).await?;
            state.refresh = Some(rotated);
        }
        state.access = Some(Access::new(
            SecretString::new(access.expose()),
            self.target.clock().now(),
            token.expires_in(),
        ));
        Ok(access)
    }

    /// The Graph permissions the last renewal was granted (`None` before one, or when Entra
    /// sent no `scope`).
    pub async fn granted(&self) -> Option<Vec<String>> {
        self.state.lock().await.granted.clone()
    }

    /// Re-checks that the account still holds an accepted administrator role.
    pub async fn verify_admin(
        &self,
        policy: &AdminPolicy,
        account: &str,
    ) -> Result<Vec<String>, SessionError> {
        let access = self.access_token().await?;
        let wids = self.state.lock().await.wids.clone();
        let graph = (
            self.target.http(),
            &self.target.endpoints.graph_root,
            access.expose(),
        );
        Ok(check_roles(policy, &wids, graph, account).await?)
    }

    /// Forgets the tokens held in memory (the keyring entry is the caller's to delete).
    pub async fn forget(&self) {
        let mut state = self.state.lock().await;
        state.access = None;
        state.refresh = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::{Clock, FixedClock};
    use crate::cloud::Cloud;
    use crate::ids::{ClientId, TenantRef};
    use std::sync::Arc;

    const ISSUED: u64 = 1_800_000_000;

    fn target(clock: Arc<FixedClock>) -> Target {
        Target::new(
            TenantRef::parse("contoso.com").expect("tenant"),
            ClientId::parse("2f5e7c1a-9b3d-4e8f-a6c2-1d4b8e9f0a37").expect("client"),
            &Cloud::Global,
        )
        .expect("target")
        .with_clock(clock)
    }

    #[test]
    fn renewal_is_due_five_minutes_before_expiry() {
        let issued = FixedClock::at_unix(ISSUED).now();
        let at = |seconds: u64| issued + Duration::from_secs(seconds);
        let cases = [
            (Some(3600), 3299, true, "a second before the renewal point"),
            (Some(3600), 3300, false, "five minutes before expiry"),
            (None, 3299, true, "no lifetime given: an hour assumed"),
            (
                None,
                3300,
                false,
                "no lifetime given: renewed at 55 minutes",
            ),
            (
                Some(120),
                0,
                false,
                "shorter than the margin: renewed at once",
            ),
        ];
        for (lifetime, elapsed, fresh, why) in cases {
            let access = Access::new(
                SecretString::new("t"),
                issued,
                lifetime.map(Duration::from_secs),
            );
            assert_eq!(access.is_fresh(at(elapsed)), fresh, "{why}");
        }
    }

    /// The session asks its clock: the token in memory is handed out until the renewal point,
    /// then a renewal is attempted (which, without a refresh token, asks for a new sign-in).
    #[tokio::test]
    async fn the_session_renews_when_its_clock_says_so() {
        let clock = Arc::new(FixedClock::at_unix(ISSUED));
        let session = Session::with_tokens(
            target(Arc::clone(&clock)),
            SecretString::new("first"),
            Duration::from_secs(3600),
            None,
        );
        clock.advance(Duration::from_secs(3299));
        let token = session.access_token().await.expect("still fresh");
        assert_eq!(token.expose(), "first");
        clock.advance(Duration::from_secs(1));
        let err = session.access_token().await.expect_err("renewal due");
        assert!(
            matches!(&err, SessionError::SignInAgain { reason } if reason == "no saved sign-in"),
            "{err:?}"
        );
    }
}
