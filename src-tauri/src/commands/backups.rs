//! Backups: adapters over `aadsync_store`'s one full backup, the list of restorable files and
//! Restore backup….

use crate::commands::errors::{blocking, to_ipc};
use crate::state::AppState;
use aadsync_ipc as ipc;
use aadsync_ipc::IpcError;
use aadsync_store::BackupFile;
use std::path::PathBuf;
use tauri::State;

fn view(b: BackupFile) -> ipc::BackupView {
    ipc::BackupView {
        path: b.path.display().to_string(),
        kind: b.kind.as_str().to_owned(),
        taken_at: b.taken_at,
        bytes: b.bytes,
    }
}

#[tauri::command]
pub async fn list_backups(
    state: State<'_, AppState>,
    args: ipc::NoArgs,
) -> Result<Vec<ipc::BackupView>, IpcError> {
    let _ = args;
    let database = state.database_handle();
    blocking(move || {
        let store = database.store().map_err(to_ipc)?;
        Ok(store
            .backups()
            .map_err(to_ipc)?
            .into_iter()
            .map(view)
            .collect())
    })
    .await
}

#[tauri::command]
pub async fn backup_now(state: State<'_, AppState>, args: ipc::NoArgs) -> Result<String, IpcError> {
    let _ = args;
    let database = state.database_handle();
    blocking(move || {
        let store = database.store().map_err(to_ipc)?;
        let path = store.writer().backup().map_err(to_ipc)?;
        Ok(path.display().to_string())
    })
    .await
}

#[tauri::command]
pub async fn restore_backup(
    state: State<'_, AppState>,
    args: ipc::RestoreBackupArgs,
) -> Result<i64, IpcError> {
    let database = state.database_handle();
    // A restore is about the whole database, not one organization: who the operating system
    // says runs the app.
    let by = state.signins.actor(None);
    blocking(move || {
        let store = database.store().map_err(to_ipc)?;
        let run = store
            .writer()
            .restore_backup(&PathBuf::from(args.path), &by)
            .map_err(to_ipc)?;
        database.changed();
        Ok(run)
    })
    .await
}
