//! "Add the aadsync application to my tenant" from New…: the tenant's admin consent to the
//! publisher's multi-tenant application, run by `start_sign_in` before the usual sign-in, in
//! the order `aadsync org add --consent` runs it (`crates/cli/src/orgs.rs`).
//!
//! Nothing is stored here: the sign-in that follows stores the organization, so a refused or
//! cancelled consent leaves the database and the keyring as they were.

use crate::commands::errors::{capitalize, org_error};
use aadsync_directory::auth::admin_consent::AdminConsent;
use aadsync_directory::auth::signin::{BROWSER_TIMEOUT, open_browser};
use aadsync_ipc::IpcError;
use aadsync_sync::orgs::{OrgError, Prepared};

/// Opens the tenant's admin consent page for `prepared`'s application (the publisher's) in the
/// system browser and waits until an administrator accepted it; a refusal is the error, with
/// what to do next. The caller stops it (Cancel) by dropping the future, which closes the
/// loopback listener.
pub(crate) async fn admin_consent(prepared: &Prepared) -> Result<(), IpcError> {
    let target = &prepared.target;
    // An unknown tenant or cloud fails here, before any browser opens.
    let consent = AdminConsent::prepare(target)
        .await
        .map_err(|e| org_error(OrgError::from(e)))?;
    if let Err(err) = open_browser(consent.url()) {
        // The wizard shows no address while it waits for the consent, so without a browser the
        // administrator could not reach the page: say where else to do it instead of waiting.
        return Err(IpcError::internal(format!(
            "{}. Add the aadsync application from a computer with a browser (`aadsync org add --consent --tenant {}`), or choose \"I registered my own app\"",
            capitalize(&err.to_string()),
            target.tenant.segment()
        )));
    }
    // The outer select! of `start_sign_in` handles Cancel; the answer's `tenant` is not trusted
    // (Microsoft warns it can be forged): the sign-in that follows proves the tenant.
    consent
        .finish(BROWSER_TIMEOUT, std::future::pending())
        .await
        .map(|consented| {
            tracing::info!(scope = %consented.scope, "admin consent given");
        })
        .map_err(|e| org_error(OrgError::from(e)))
}
