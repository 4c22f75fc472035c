//! Signing an administrator in on the terminal: the keyring and the rule for who may sign in,
//! the prompt (browser or device code) with Ctrl+C as cancel and the likely causes when no
//! redirect comes, and the save — shared by `org add`, `login` and `org register`.

use crate::exit::{CliError, CliResult};
use aadsync_directory::auth::admin::AdminPolicy;
use aadsync_directory::auth::signin::{NO_REDIRECT_AFTER, open_browser};
use aadsync_keystore::TokenStore;
use aadsync_store::{Organization, Store};
use aadsync_sync::orgs::{self, OrgError, Prepared};
use aadsync_sync::signin::{Method, Prompt, SignIn};
use std::sync::Arc;

/// The keyring and the rule for who may sign in, the same for every subcommand.
pub struct Signins {
    pub tokens: TokenStore,
    pub policy: AdminPolicy,
}

impl Signins {
    pub fn platform() -> Self {
        Self {
            tokens: TokenStore::platform(),
            policy: AdminPolicy::default(),
        }
    }
}

/// An organization as the terminal names it: its display name and primary domain.
pub fn name(org: &Organization) -> String {
    match (org.display_name.is_empty(), org.primary_domain.is_empty()) {
        (true, _) => org.tenant_id.clone(),
        (false, true) => org.display_name.clone(),
        (false, false) => format!("{} ({})", org.display_name, org.primary_domain),
    }
}

pub(crate) fn method(device_code: bool) -> Method {
    if device_code {
        Method::DeviceCode
    } else {
        Method::Browser
    }
}

/// Shows a started sign-in's prompt (`ask`: what to do in the browser) and waits for it, with
/// Ctrl+C as cancel; after a while without a redirect, the likely causes.
pub(crate) async fn wait_for(
    sign_in: SignIn,
    policy: AdminPolicy,
    ask: &str,
) -> Result<aadsync_directory::auth::signin::SignedIn, OrgError> {
    let cancel = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    match sign_in.prompt() {
        Prompt::DeviceCode {
            user_code,
            verification_uri,
            expires_in,
        } => say!(
            "To sign in, open {verification_uri} and enter the code {user_code} (valid for {} minutes). Press Ctrl+C to cancel.",
            expires_in.as_secs() / 60
        ),
        Prompt::Browser { url, .. } => match open_browser(&url) {
            Ok(()) => say!(
                "{ask} in the browser window that opened. If none opened, visit:\n{url}\nPress Ctrl+C to cancel."
            ),
            Err(err) => say!("{err}\nOpen this address to sign in:\n{url}"),
        },
    }
    let hint = match sign_in.prompt() {
        Prompt::Browser {
            no_redirect_hint, ..
        } => Some(no_redirect_hint),
        Prompt::DeviceCode { .. } => None,
    };
    let finishing = sign_in.finish(policy, cancel);
    tokio::pin!(finishing);
    // After a while without a redirect, the likely causes; the sign-in goes on waiting.
    tokio::select! {
        outcome = &mut finishing => outcome,
        () = tokio::time::sleep(NO_REDIRECT_AFTER), if hint.is_some() => {
            say!("{}", hint.unwrap_or_default());
            finishing.await
        }
    }
}

pub(crate) async fn sign_in_and_save(
    store: &Arc<Store>,
    signins: &Signins,
    prepared: &Prepared,
    hint: Option<&str>,
    device_code: bool,
) -> CliResult {
    let sign_in = SignIn::start(prepared, method(device_code), hint)
        .await
        .map_err(CliError::failed)?;
    let signed_in = wait_for(
        sign_in,
        signins.policy.clone(),
        "Sign in with your administrator account",
    )
    .await
    .map_err(CliError::failed)?;
    let connected = orgs::save(store, &signins.tokens, prepared, signed_in)
        .await
        .map_err(CliError::failed)?;
    say!(
        "Signed in to {} as {} ({}). Organization #{} saved.",
        name(&connected.organization),
        connected.account.upn,
        connected.account.roles.join(", "),
        connected.organization.id.0
    );
    // Per feature, the Graph permission the admin did not grant and what aadsync does without.
    for line in &connected.missing_features {
        say!("Permission missing: {line}");
    }
    Ok(())
}
