//! Wizard step 1's "Check registration": an adapter over
//! `aadsync_sync::registration_check` (the same check as `aadsync org check`).

use crate::commands::errors::{blocking, capitalize, org_error, to_ipc};
use crate::state::AppState;
use aadsync_ipc as ipc;
use aadsync_ipc::IpcError;
use aadsync_store::OrgId;
use aadsync_sync::registration_check::{CheckError, check_organization};
use tauri::State;

#[tauri::command]
pub async fn check_registration(
    state: State<'_, AppState>,
    args: ipc::OrganizationRef,
) -> Result<ipc::RegistrationCheckView, IpcError> {
    let database = state.inner().database_handle();
    let org = blocking(move || {
        let store = database.store().map_err(to_ipc)?;
        store.reader().organization(OrgId(args.id)).map_err(to_ipc)
    })
    .await?;
    let report = check_organization(&org, &state.signins.tokens)
        .await
        .map_err(|e| match e {
            CheckError::SignIn(e) => org_error(e),
            other => IpcError::internal(capitalize(&other.to_string())),
        })?;
    Ok(ipc::RegistrationCheckView {
        blocking: report.blocks(),
        findings: report
            .findings
            .into_iter()
            .map(|f| ipc::RegistrationFindingView {
                about: f.area.label().to_owned(),
                needed: f.needed,
                problem: f.problem,
                fix: f.fix,
            })
            .collect(),
        unchecked: report.unchecked,
    })
}
