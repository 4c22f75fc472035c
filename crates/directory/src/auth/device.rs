//! The device code flow ("Use a device code instead"): show a code and a URL, poll as told.

use crate::auth::code::{EntraError, EntraTokenResponse, Tokens};
use crate::body::CappedClient;
use crate::target::Target;
use aadsync_keystore::SecretString;
use oauth2::basic::{BasicRevocationErrorResponse, BasicTokenIntrospectionResponse};
use oauth2::{
    DeviceAuthorizationUrl, EndpointNotSet, EndpointSet, RequestTokenError, Scope,
    StandardDeviceAuthorizationResponse, StandardRevocableToken, TokenResponse, TokenUrl,
};
use std::time::Duration;

type DeviceClient = oauth2::Client<
    EntraError,
    EntraTokenResponse,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointNotSet,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
>;

#[derive(Debug, thiserror::Error)]
pub enum DeviceFlowError {
    #[error("the sign-in URLs are invalid: {0}")]
    Url(String),
    #[error("{0}")]
    Entra(String),
    #[error("cannot reach the sign-in service: {0}")]
    Network(String),
    #[error("the code expired before sign-in was completed; start again")]
    Expired,
    #[error("sign-in was declined in the browser")]
    Declined,
    #[error(
        "the app registration does not allow public client flows, which device code sign-in needs (AADSTS7000218). In the Microsoft Entra admin center open App registrations → this app → Authentication → Advanced settings, set \"Allow public client flows\" to Yes and save, then sign in again"
    )]
    PublicClientFlowsOff,
    #[error("sign-in was cancelled")]
    Cancelled,
}

/// A started device code sign-in: what to show the admin, and how to finish it.
#[derive(Debug)]
pub struct DeviceFlow {
    client: DeviceClient,
    /// The target's client: its timeouts, no redirects, and a cap on each answer.
    http: CappedClient,
    details: StandardDeviceAuthorizationResponse,
}

impl DeviceFlow {
    pub async fn start(target: &Target, graph_scopes: &[&str]) -> Result<Self, DeviceFlowError> {
        let (endpoints, client_id) = (&target.endpoints, &target.client_id);
        let authority = endpoints.authority.as_str().trim_end_matches('/');
        let url_err = |e: url::ParseError| DeviceFlowError::Url(e.to_string());
        let client = oauth2::Client::new(oauth2::ClientId::new(client_id.as_str().to_owned()))
            .set_device_authorization_url(
                DeviceAuthorizationUrl::new(format!("{authority}/oauth2/v2.0/devicecode"))
                    .map_err(url_err)?,
            )
            .set_token_uri(
                TokenUrl::new(format!("{authority}/oauth2/v2.0/token")).map_err(url_err)?,
            );
        let mut request: oauth2::DeviceAuthorizationRequest<'_, EntraError> =
            client.exchange_device_code();
        for scope in ["openid", "profile", "offline_access"] {
            request = request.add_scope(Scope::new(scope.into()));
        }
        for scope in graph_scopes {
            request =
                request.add_scope(Scope::new(format!("{}/{scope}", endpoints.graph_resource)));
        }
        let http = target.oauth();
        let details: StandardDeviceAuthorizationResponse =
            request.request_async(&http).await.map_err(|e| match e {
                RequestTokenError::ServerResponse(err) => DeviceFlowError::Entra(err.to_string()),
                other => DeviceFlowError::Network(other.to_string()),
            })?;
        Ok(Self {
            client,
            http,
            details,
        })
    }

    /// The code to type in, and where.
    pub fn user_code(&self) -> &str {
        self.details.user_code().secret()
    }

    pub fn verification_uri(&self) -> &str {
        self.details.verification_uri().as_str()
    }

    pub fn expires_in(&self) -> Duration {
        self.details.expires_in()
    }

    /// Polls at the server's interval until sign-in completes, fails, expires, or `cancel` fires.
    pub async fn finish(
        self,
        cancel: impl std::future::Future<Output = ()>,
    ) -> Result<Tokens, DeviceFlowError> {
        let timeout = self.details.expires_in();
        let poll = self
            .client
            .exchange_device_access_token(&self.details)
            .request_async(&self.http, tokio::time::sleep, Some(timeout));
        let token = tokio::select! {
            result = poll => result.map_err(|e| match e {
                RequestTokenError::ServerResponse(err) => match err.error().as_ref() {
                    "expired_token" => DeviceFlowError::Expired,
                    "authorization_declined" | "access_denied" => DeviceFlowError::Declined,
                    // Entra refuses only here, after the admin signed in.
                    _ if err.error_description().is_some_and(|d| d.starts_with("AADSTS7000218")) => {
                        DeviceFlowError::PublicClientFlowsOff
                    }
                    _ => DeviceFlowError::Entra(err.error_description().cloned().unwrap_or_else(|| err.error().as_ref().to_owned())),
                },
                RequestTokenError::Other(text) if text.contains("timeout") || text.contains("Timeout") => DeviceFlowError::Expired,
                other => DeviceFlowError::Network(other.to_string()),
            })?,
            _ = cancel => return Err(DeviceFlowError::Cancelled),
        };
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
