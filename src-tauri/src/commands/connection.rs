//! The organization's live session for the commands that call Graph: resumed from the
//! signed-in sessions, or by a silent sign-in with the refresh token in the keyring.

use crate::commands::errors::{blocking, org_error, to_ipc, with_findings};
use crate::state::AppState;
use aadsync_ipc::IpcError;
use aadsync_store::OrgId;
use aadsync_sync::Connected;
use aadsync_sync::registration_check::after_sign_in_failure;

/// The organization's live session, signing in silently first if needed.
pub(crate) async fn connected(state: &AppState, organization: i64) -> Result<Connected, IpcError> {
    if let Some(c) = state.signins.session(organization) {
        return Ok(c);
    }
    let database = state.database_handle();
    let org = blocking(move || {
        let store = database.store().map_err(to_ipc)?;
        store
            .reader()
            .organization(OrgId(organization))
            .map_err(to_ipc)
    })
    .await?;
    let c = aadsync_sync::orgs::connect(&org, &state.signins.tokens, &state.signins.policy)
        .await
        .map_err(|e| match after_sign_in_failure(&org, &e) {
            Some(report) => with_findings(org_error(e), &report),
            None => org_error(e),
        })?;
    state.signins.connected(c.clone());
    Ok(c)
}
