//! Why a sign-in failed, in words an administrator can act on. Below every other part of the
//! sign-in, which all report through it.

use crate::auth::admin::AdminError;
use crate::auth::code::CodeFlowError;
use crate::auth::device::DeviceFlowError;
use crate::auth::id_token::IdTokenError;
use crate::auth::loopback::LoopbackError;

#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    #[error("{0}")]
    UnknownTenant(String),
    #[error("cannot reach {host}: {detail}. Check the network connection and the cloud setting")]
    Unreachable { host: String, detail: String },
    #[error(
        "cannot connect securely to {host}: {} ({verdict})",
        crate::net::UNTRUSTED_CERTIFICATE
    )]
    UntrustedCertificate { host: String, verdict: String },
    #[error("{0}")]
    Loopback(#[from] LoopbackError),
    #[error("{0}")]
    Code(#[from] CodeFlowError),
    #[error("{0}")]
    Device(#[from] DeviceFlowError),
    #[error("the sign-in cannot be trusted: {0}")]
    IdToken(#[from] IdTokenError),
    #[error("{0}")]
    NotAdmin(#[from] AdminError),
    #[error(
        "could not open a web browser ({0}). Use a device code instead, or set the BROWSER environment variable"
    )]
    Browser(String),
    #[error(
        "the app registration {client_id} lacks the delegated Microsoft Graph permission {missing} with admin consent. In the Microsoft Entra admin center open App registrations → this app → API permissions, add it and choose \"Grant admin consent\""
    )]
    Consent { client_id: String, missing: String },
    /// A sign-in that asked for permissions by name came back without one of them.
    #[error(
        "the sign-in with the application {client_id} was not granted the delegated Microsoft Graph permission {missing} it asked for. Sign in again and accept the permissions on the consent page (as an administrator who may consent for the organization)"
    )]
    NotGranted { client_id: String, missing: String },
    #[error("Microsoft Graph did not answer as expected: {0}")]
    Graph(String),
    #[error("the sign-in service answered without {0}")]
    Missing(&'static str),
}

impl SignInError {
    /// True when the admin simply stopped (Cancel), which is not worth an error banner.
    pub fn is_cancelled(&self) -> bool {
        matches!(
            self,
            SignInError::Loopback(LoopbackError::Cancelled)
                | SignInError::Device(DeviceFlowError::Cancelled)
        )
    }

    /// `url` could not be reached (or its answer broke off): named by host, without the URL,
    /// whose query may carry more than the admin needs to see. A certificate this computer
    /// does not trust is its own case: the network is fine, the trust store is not.
    pub(crate) fn unreachable(url: &str, error: reqwest::Error) -> Self {
        let host = host_of(url);
        if let Some(verdict) = crate::net::untrusted_certificate(&error) {
            return SignInError::UntrustedCertificate { host, verdict };
        }
        SignInError::Unreachable {
            host,
            detail: error.without_url().to_string(),
        }
    }
}

fn host_of(url: &str) -> String {
    url::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_else(|| url.to_owned())
}
