//! The authorization code flow with PKCE (S256), state and nonce, using the `oauth2` crate.

use crate::auth::loopback::AuthorizationResponse;
use crate::body::CappedClient;
use crate::target::Target;
use aadsync_keystore::SecretString;
use oauth2::basic::{
    BasicRevocationErrorResponse, BasicTokenIntrospectionResponse, BasicTokenType,
};
use oauth2::{
    AuthUrl, AuthorizationCode, CsrfToken, EndpointNotSet, EndpointSet, ExtraTokenFields,
    PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RequestTokenError, Scope,
    StandardRevocableToken, StandardTokenResponse, TokenResponse, TokenUrl,
};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Entra ID's token response fields beyond RFC 6749. `Debug` redacts the ID token (oauth2
/// prints the whole response, these fields included, when it is debugged).
#[derive(Clone, Default, Serialize, Deserialize)]
pub struct EntraFields {
    pub id_token: Option<String>,
    pub client_info: Option<String>,
    pub ext_expires_in: Option<u64>,
}

impl fmt::Debug for EntraFields {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EntraFields")
            .field("id_token", &self.id_token.as_ref().map(|_| "<redacted>"))
            .field("client_info", &self.client_info)
            .field("ext_expires_in", &self.ext_expires_in)
            .finish()
    }
}

impl ExtraTokenFields for EntraFields {}

pub type EntraTokenResponse = StandardTokenResponse<EntraFields, BasicTokenType>;

/// An error from the token endpoint, with the AADSTS codes Entra adds.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EntraError {
    pub error: String,
    #[serde(default)]
    pub error_description: Option<String>,
    #[serde(default)]
    pub error_codes: Vec<u32>,
    #[serde(default)]
    pub suberror: Option<String>,
    #[serde(default)]
    pub correlation_id: Option<String>,
}

impl EntraError {
    /// The first line of the description ("AADSTS50126: Error validating credentials …").
    pub fn summary(&self) -> String {
        self.error_description
            .as_deref()
            .and_then(|d| d.lines().next())
            .map(str::to_owned)
            .unwrap_or_else(|| self.error.clone())
    }
}

impl fmt::Display for EntraError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.summary())
    }
}

impl oauth2::ErrorResponse for EntraError {}

type EntraClient = oauth2::Client<
    EntraError,
    EntraTokenResponse,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
>;

#[derive(Debug, thiserror::Error)]
pub enum CodeFlowError {
    #[error("the sign-in URLs are invalid: {0}")]
    Url(String),
    #[error("{0}")]
    Entra(EntraError),
    #[error("cannot reach the sign-in service: {0}")]
    Network(String),
    #[error("the sign-in service answered something unexpected: {0}")]
    Protocol(String),
}

/// The tokens a sign-in produced. Secrets are redacted in `Debug`.
#[derive(Debug)]
pub struct Tokens {
    pub access_token: SecretString,
    pub refresh_token: Option<SecretString>,
    pub id_token: Option<SecretString>,
    pub expires_in: Option<std::time::Duration>,
    pub scopes: Vec<String>,
}

/// One interactive sign-in: the URL to open, and what is needed to redeem its code.
#[derive(Debug)]
pub struct CodeFlow {
    client: EntraClient,
    /// The target's client: its timeouts, no redirects, and a cap on the answer.
    http: CappedClient,
    pub authorize_url: url::Url,
    pub state: String,
    pub nonce: String,
    verifier: PkceCodeVerifier,
}

pub(crate) fn random(bytes: usize) -> String {
    // CsrfToken::new_random_len draws from the OS generator and base64url-encodes.
    CsrfToken::new_random_len(bytes as u32).secret().clone()
}

impl CodeFlow {
    /// Prepares a sign-in at `target`, answered at `redirect_uri`.
    pub fn start(
        target: &Target,
        redirect_uri: &str,
        graph_scopes: &[&str],
        login_hint: Option<&str>,
    ) -> Result<Self, CodeFlowError> {
        let url_err = |e: url::ParseError| CodeFlowError::Url(e.to_string());
        let (endpoints, client_id) = (&target.endpoints, &target.client_id);
        let authority = endpoints.authority.as_str().trim_end_matches('/');
        let client = oauth2::Client::new(oauth2::ClientId::new(client_id.as_str().to_owned()))
            .set_auth_uri(
                AuthUrl::new(format!("{authority}/oauth2/v2.0/authorize")).map_err(url_err)?,
            )
            .set_token_uri(
                TokenUrl::new(format!("{authority}/oauth2/v2.0/token")).map_err(url_err)?,
            )
            .set_redirect_uri(RedirectUrl::new(redirect_uri.to_owned()).map_err(url_err)?);
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let state = random(32);
        let nonce = random(32);
        let state_for_url = state.clone();
        let mut request = client
            .authorize_url(move || CsrfToken::new(state_for_url))
            .add_scope(Scope::new("openid".into()))
            .add_scope(Scope::new("profile".into()))
            .add_scope(Scope::new("offline_access".into()))
            .set_pkce_challenge(challenge)
            .add_extra_param("nonce", nonce.clone())
            .add_extra_param("response_mode", "form_post")
            .add_extra_param("client_info", "1")
            .add_extra_param("prompt", "select_account");
        for scope in graph_scopes {
            request =
                request.add_scope(Scope::new(format!("{}/{scope}", endpoints.graph_resource)));
        }
        if let Some(hint) = login_hint {
            request = request.add_extra_param("login_hint", hint.to_owned());
        }
        let (authorize_url, _) = request.url();
        Ok(Self {
            client,
            http: target.oauth(),
            authorize_url,
            state,
            nonce,
            verifier,
        })
    }

    /// Redeems the code the loopback listener received.
    pub async fn redeem(self, response: AuthorizationResponse) -> Result<Tokens, CodeFlowError> {
        // The target's client follows no redirects: one here would carry the code elsewhere.
        let token = self
            .client
            .exchange_code(AuthorizationCode::new(response.code.expose().to_owned()))
            .set_pkce_verifier(self.verifier)
            .add_extra_param("client_info", "1")
            .request_async(&self.http)
            .await
            .map_err(|e| match e {
                RequestTokenError::ServerResponse(err) => CodeFlowError::Entra(err),
                RequestTokenError::Request(err) => CodeFlowError::Network(err.to_string()),
                RequestTokenError::Parse(err, _) => CodeFlowError::Protocol(err.to_string()),
                RequestTokenError::Other(text) => CodeFlowError::Protocol(text),
            })?;
        Ok(Tokens {
            access_token: SecretString::new(token.access_token().secret().clone()),
            refresh_token: token
                .refresh_token()
                .map(|r| SecretString::new(r.secret().clone())),
            id_token: token.extra_fields().id_token.clone().map(SecretString::new),
            expires_in: token.expires_in(),
            scopes: token
                .scopes()
                .map(|s| s.iter().map(|s| s.to_string()).collect())
                .unwrap_or_default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID_TOKEN: &str = "eyJhbGciOiJSUzI1NiJ9.eyJub25jZSI6InNlY3JldCJ9.c2lnbmF0dXJl";

    /// The ID token is as secret as the access token: neither the token response's extra
    /// fields nor the tokens a sign-in returns print it (issue 14, item 8).
    #[test]
    fn debug_never_shows_the_id_token() {
        let fields = EntraFields {
            id_token: Some(ID_TOKEN.to_owned()),
            client_info: Some("eyJ1aWQiOiJ4In0".to_owned()),
            ext_expires_in: Some(3600),
        };
        let tokens = Tokens {
            access_token: SecretString::new("access-1234567890"),
            refresh_token: Some(SecretString::new("refresh-1234567890")),
            id_token: Some(SecretString::new(ID_TOKEN)),
            expires_in: None,
            scopes: vec!["User.Read.All".to_owned()],
        };
        let printed = format!("{fields:?} {fields:#?} {tokens:?} {tokens:#?}");
        for secret in [ID_TOKEN, "access-1234567890", "refresh-1234567890"] {
            assert!(!printed.contains(secret), "{printed}");
        }
        assert!(printed.contains("ext_expires_in: Some(3600)"), "{printed}");
    }
}
