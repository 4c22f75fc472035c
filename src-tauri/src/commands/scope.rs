//! Wizard step 3's saved scope: an adapter over the store's read of the organization's scope
//! roots (changing them is a synchronization's part, through `plan_sync`'s selection).

use crate::commands::errors::{blocking, to_ipc};
use crate::state::AppState;
use aadsync_ipc as ipc;
use aadsync_ipc::IpcError;
use aadsync_store::{ObjectKind, OrgId};
use tauri::State;

#[tauri::command]
pub async fn saved_scope(
    state: State<'_, AppState>,
    args: ipc::OrganizationRef,
) -> Result<Vec<ipc::SavedRootRow>, IpcError> {
    let database = state.inner().database_handle();
    blocking(move || {
        let store = database.store().map_err(to_ipc)?;
        let org = store
            .reader()
            .organization(OrgId(args.id))
            .map_err(to_ipc)?;
        let roots = store.reader().saved_scope(&org.tenant_id).map_err(to_ipc)?;
        Ok(roots
            .into_iter()
            .map(|r| ipc::SavedRootRow {
                id: r.object_id,
                kind: match r.kind {
                    ObjectKind::User => ipc::EntryKind::User,
                    ObjectKind::Group => ipc::EntryKind::Group,
                },
                display_name: r.display_name,
                members: r.members,
                nested: r.nested,
                users_reached: r.users_reached,
            })
            .collect())
    })
    .await
}
