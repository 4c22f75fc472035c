//! Saving an export where the admin chooses, and "Show in folder" for it (issue 15, item 6).

use crate::commands::errors::blocking;
use crate::export::{self, Offer};
use crate::state::AppState;
use aadsync_ipc as ipc;
use aadsync_ipc::IpcError;
use tauri::State;

/// Asks where to save `content` (the OS save dialog) and writes it there; `None` when the admin
/// cancelled. The path is remembered for "Show in folder".
pub async fn save_export<R: tauri::Runtime>(
    app: &tauri::AppHandle<R>,
    state: &State<'_, AppState>,
    offer: Offer,
    content: String,
) -> Result<Option<String>, IpcError> {
    let Some(path) = export::ask_path(app, offer).await? else {
        return Ok(None);
    };
    let target = path.clone();
    blocking(move || export::write_replacing(&target, &content)).await?;
    state.exported.remember(&path);
    tracing::info!(path = %path.display(), "exported");
    Ok(Some(path.display().to_string()))
}

#[tauri::command]
pub async fn reveal_export<R: tauri::Runtime>(
    app: tauri::AppHandle<R>,
    state: State<'_, AppState>,
    args: ipc::ExportedFile,
) -> Result<(), IpcError> {
    let path = state.exported.check(&args.path)?;
    blocking(move || export::reveal(&app, &path)).await
}
