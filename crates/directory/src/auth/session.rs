//! A signed-in organization's tokens: the access token only in memory, renewed shortly before
//! it expires, and the refresh token rotated into the OS keyring at every renewal.

use crate::auth::admin::{AdminError, AdminPolicy, roles_from_graph};
use crate::auth::code::{EntraError, EntraTokenResponse};
use crate::target::Target;
use aadsync_keystore::{SecretString, TokenError, TokenKey, TokenStore};
use oauth2::basic::{BasicRevocationErrorResponse, BasicTokenIntrospectionResponse};
use oauth2::{
    EndpointNotSet, EndpointSet, RefreshToken, RequestTokenError, Scope, StandardRevocableToken,
    TokenResponse, TokenUrl,
};
use std::time::{Duration, Instant};
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
    renew_at: Instant,
}

struct State {
    access: Option<Access>,
    refresh: Option<SecretString>,
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

fn renew_at(expires_in: Option<Duration>) -> Instant {
    let lifetime = expires_in.unwrap_or(Duration::from_secs(3600));
    Instant::now() + lifetime.saturating_sub(RENEW_BEFORE)
}

impl Session {
    fn new(target: Target, refresh: Option<SecretString>, access: Option<Access>) -> Self {
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
            state: Mutex::new(State { access, refresh }),
            keyring: None,
        }
    }

    /// The session an interactive or device code sign-in produced.
    pub(crate) fn signed_in(
        target: Target,
        access: SecretString,
        expires_in: Option<Duration>,
        refresh: SecretString,
    ) -> Self {
        let access = Access {
            token: access,
            renew_at: renew_at(expires_in),
        };
        Self::new(target, Some(refresh), Some(access))
    }

    /// A session from tokens obtained elsewhere (another client, a test's minted token).
    pub fn with_tokens(
        target: Target,
        access: SecretString,
        expires_in: Duration,
        refresh: Option<SecretString>,
    ) -> Self {
        let access = Access {
            token: access,
            renew_at: renew_at(Some(expires_in)),
        };
        Self::new(target, refresh, Some(access))
    }

    /// A session from a refresh token read from the keyring; nothing is checked until
    /// [`Session::access_token`] (or [`Session::verify_admin`]) runs.
    pub fn resume(target: Target, refresh: SecretString) -> Self {
        Self::new(target, Some(refresh), None)
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
            && Instant::now() < access.renew_at
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
            .request_async(self.target.http())
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
        if let Some(rotated) = token.refresh_token() {
            let rotated = SecretString::new(rotated.secret().as_str());
            // Saved before use: if the keyring fails, the old refresh token (still valid at
            // Entra) stays in both places and the next start works.
            self.store(&rotated).await?;
            state.refresh = Some(rotated);
        }
        state.access = Some(Access {
            token: SecretString::new(access.expose()),
            renew_at: renew_at(token.expires_in()),
        });
        Ok(access)
    }

    /// Re-checks that the account still holds an accepted administrator role.
    pub async fn verify_admin(
        &self,
        policy: &AdminPolicy,
        account: &str,
    ) -> Result<Vec<String>, SessionError> {
        let access = self.access_token().await?;
        let roles = roles_from_graph(
            self.target.http(),
            &self.target.endpoints.graph_root,
            access.expose(),
            account,
        )
        .await?;
        Ok(policy.decide(account, &roles)?)
    }

    /// Forgets the tokens held in memory (the keyring entry is the caller's to delete).
    pub async fn forget(&self) {
        let mut state = self.state.lock().await;
        state.access = None;
        state.refresh = None;
    }
}
