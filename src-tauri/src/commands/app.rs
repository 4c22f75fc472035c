//! Commands about the app itself: status for the About dialog.

use crate::state::AppState;
use aadsync_ipc::{AppStatusInfo, IpcError, KeyringState, NoArgs};
use aadsync_keystore::{KeyringProbe, ProbeOptions, backend_name};
use tauri::State;

#[tauri::command]
pub async fn app_status(
    state: State<'_, AppState>,
    args: NoArgs,
) -> Result<AppStatusInfo, IpcError> {
    let NoArgs {} = args;
    // The keyring may block on an unlock prompt: never on the main thread.
    let probe =
        tauri::async_runtime::spawn_blocking(|| KeyringProbe::new(ProbeOptions::default()).run())
            .await
            .map_err(|err| {
                IpcError::internal(format!("The keyring check stopped unexpectedly: {err}"))
            })?;
    let keyring = match probe {
        Ok(()) => KeyringState::Available {
            backend: backend_name().to_owned(),
        },
        Err(err) => {
            tracing::warn!(error = %err, "keyring unavailable");
            KeyringState::Unavailable {
                message: err.to_string(),
            }
        }
    };
    Ok(AppStatusInfo {
        version: env!("CARGO_PKG_VERSION").to_owned(),
        build: aadsync_ipc::BUILD_COMMIT.to_owned(),
        database_path: state.database.path().display().to_string(),
        log_dir: state.log_dir.display().to_string(),
        keyring,
    })
}
