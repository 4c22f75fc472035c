//! Signing an administrator in, the same way for the app and the CLI: start the flow the
//! administrator chose (system browser with a loopback redirect, or a device code), show its
//! [`Prompt`], then wait for it to finish or be cancelled. [`crate::orgs::save`] stores the result.

use crate::orgs::{OrgError, Prepared};
use aadsync_directory::auth::admin::AdminPolicy;
use aadsync_directory::auth::signin::{
    BROWSER_TIMEOUT, DeviceSignIn, Interactive, Scopes, SignedIn, no_redirect_hint,
};
use std::future::Future;
use std::time::Duration;

/// How the administrator signs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// The system browser, redirecting back to a loopback port (PKCE).
    Browser,
    /// A code to enter at the verification page on any device.
    DeviceCode,
}

/// What the administrator has to do while the sign-in waits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Prompt {
    /// Open this address (the front end tries to open it in the system browser). When no
    /// redirect has arrived after [`aadsync_directory::auth::signin::NO_REDIRECT_AFTER`], the
    /// front end shows `no_redirect_hint` (the likely causes, one a line) and keeps waiting.
    Browser {
        url: String,
        no_redirect_hint: String,
    },
    DeviceCode {
        user_code: String,
        verification_uri: String,
        expires_in: Duration,
    },
}

/// A sign-in that started and waits for the administrator.
#[derive(Debug)]
pub struct SignIn {
    flow: Flow,
    hint: String,
}

#[derive(Debug)]
enum Flow {
    Browser(Interactive),
    Device(DeviceSignIn),
}

impl SignIn {
    /// Starts the flow against the prepared target; `hint` pre-fills the account.
    pub async fn start(
        prepared: &Prepared,
        method: Method,
        hint: Option<&str>,
    ) -> Result<Self, OrgError> {
        Self::start_with(prepared, method, hint, Scopes::default()).await
    }

    /// [`Self::start`], asking Microsoft Graph for `scopes` instead of `.default` (the
    /// automatic registration's bootstrap sign-in, `crate::register`).
    pub async fn start_with(
        prepared: &Prepared,
        method: Method,
        hint: Option<&str>,
        scopes: Scopes,
    ) -> Result<Self, OrgError> {
        let target = &prepared.target;
        let flow = match method {
            Method::Browser => {
                Flow::Browser(Interactive::prepare_with(target, hint, scopes).await?)
            }
            Method::DeviceCode => Flow::Device(DeviceSignIn::start_with(target, scopes).await?),
        };
        let target = &prepared.target;
        let hint = no_redirect_hint(target.client_id.as_str(), target.tenant.segment());
        Ok(Self { flow, hint })
    }

    /// Replaces what the front end shows when no redirect comes (a sign-in whose likely
    /// errors are not the app registration's, as the registration's bootstrap sign-in).
    pub fn with_no_redirect_hint(mut self, hint: String) -> Self {
        self.hint = hint;
        self
    }

    pub fn prompt(&self) -> Prompt {
        match &self.flow {
            Flow::Browser(interactive) => Prompt::Browser {
                url: interactive.authorize_url().to_owned(),
                no_redirect_hint: self.hint.clone(),
            },
            Flow::Device(device) => Prompt::DeviceCode {
                user_code: device.user_code().to_owned(),
                verification_uri: device.verification_uri().to_owned(),
                expires_in: device.expires_in(),
            },
        }
    }

    /// Waits for the administrator (the browser flow at most [`BROWSER_TIMEOUT`]); `cancel`
    /// ends the wait. Only an administrator account is accepted.
    pub async fn finish(
        self,
        policy: AdminPolicy,
        cancel: impl Future<Output = ()>,
    ) -> Result<SignedIn, OrgError> {
        let signed_in = match self.flow {
            Flow::Browser(interactive) => {
                interactive.finish(policy, BROWSER_TIMEOUT, cancel).await?
            }
            Flow::Device(device) => device.finish(policy, cancel).await?,
        };
        Ok(signed_in)
    }
}
