//! The audit log view: adapters over `aadsync_store`'s runs, items and undo.

use crate::commands::errors::{blocking, to_ipc};
use crate::state::AppState;
use aadsync_ipc as ipc;
use aadsync_ipc::IpcError;
use aadsync_store::{RunItem, RunSummary};
use tauri::State;

fn view(r: RunSummary) -> ipc::RunView {
    ipc::RunView {
        id: r.id,
        kind: r.kind.as_str().to_owned(),
        organization: r.organization.unwrap_or(r.tenant_id),
        started_by: r.started_by,
        started_at: r.started_at,
        status: r.status.as_str().to_owned(),
        created: r.created,
        updated: r.updated,
        unchanged: r.unchanged,
        disabled: r.disabled,
        deleted: r.deleted,
        failed: r.failed,
        message: r.message.unwrap_or_default(),
    }
}

fn item(i: RunItem) -> ipc::RunItemView {
    let fields: Vec<String> = serde_json::from_str(&i.changed_fields).unwrap_or_default();
    ipc::RunItemView {
        object_type: i.kind.as_str().to_owned(),
        object_id: i.object_id,
        display_name: i.display_name,
        outcome: i.outcome,
        detail: i.reason.unwrap_or_else(|| fields.join(", ")),
    }
}

#[tauri::command]
pub async fn list_runs(
    state: State<'_, AppState>,
    args: ipc::NoArgs,
) -> Result<Vec<ipc::RunView>, IpcError> {
    let _ = args;
    let database = state.database_handle();
    blocking(move || {
        let store = database.store().map_err(to_ipc)?;
        Ok(store
            .reader()
            .runs()
            .map_err(to_ipc)?
            .into_iter()
            .map(view)
            .collect())
    })
    .await
}

#[tauri::command]
pub async fn run_items(
    state: State<'_, AppState>,
    args: ipc::RunRef,
) -> Result<Vec<ipc::RunItemView>, IpcError> {
    let database = state.database_handle();
    blocking(move || {
        let store = database.store().map_err(to_ipc)?;
        Ok(store
            .reader()
            .run_items(args.run)
            .map_err(to_ipc)?
            .into_iter()
            .map(item)
            .collect())
    })
    .await
}

#[tauri::command]
pub async fn undo_preview(
    state: State<'_, AppState>,
    args: ipc::RunRef,
) -> Result<String, IpcError> {
    let database = state.database_handle();
    blocking(move || {
        let store = database.store().map_err(to_ipc)?;
        let p = store.writer().undo_preview(args.run).map_err(to_ipc)?;
        let mut text = format!(
            "Undo run #{} ({}, {}): the database goes back to how it was before it — {} created, {} updated, {} disabled and {} deleted users and groups are undone.",
            p.run.id,
            p.run.organization.unwrap_or(p.run.tenant_id),
            p.run.started_at,
            p.run.created,
            p.run.updated,
            p.run.disabled,
            p.run.deleted
        );
        if p.later_user_changes > 0 {
            text.push_str(&format!(
                " {} user(s) created or edited on the server since then will be lost too.",
                p.later_user_changes
            ));
        } else {
            text.push_str(" Nothing changed on the server since then.");
        }
        Ok(text)
    })
    .await
}

#[tauri::command]
pub async fn undo_run(state: State<'_, AppState>, args: ipc::RunRef) -> Result<i64, IpcError> {
    let database = state.database_handle();
    // Who undid it, for the audit log: the signed-in administrator of the run's organization,
    // else the operating-system account.
    let tenant = {
        let database = state.database_handle();
        blocking(move || {
            let store = database.store().map_err(to_ipc)?;
            Ok(store
                .reader()
                .runs()
                .map_err(to_ipc)?
                .into_iter()
                .find(|r| r.id == args.run)
                .map(|r| r.tenant_id))
        })
        .await?
    };
    let by = state.signins.actor(tenant.as_deref());
    blocking(move || {
        let store = database.store().map_err(to_ipc)?;
        let undo = store.writer().undo_run(args.run, &by).map_err(to_ipc)?;
        database.changed();
        Ok(undo)
    })
    .await
}

#[tauri::command]
pub async fn export_audit<R: tauri::Runtime>(
    app: tauri::AppHandle<R>,
    state: State<'_, AppState>,
    args: ipc::NoArgs,
) -> Result<String, IpcError> {
    let _ = args;
    let dir = crate::export::downloads(&app)?;
    let database = state.database_handle();
    blocking(move || {
        let store = database.store().map_err(to_ipc)?;
        let reader = store.reader();
        let quote = crate::export::csv_field;
        let mut csv = String::from(
            "run,kind,status,organization,started_by,started_at,object_type,object_id,display_name,outcome,detail\r\n",
        );
        for run in reader.runs().map_err(to_ipc)? {
            let items = reader.run_items(run.id).map_err(to_ipc)?;
            let org = run.organization.clone().unwrap_or(run.tenant_id.clone());
            let head = format!(
                "{},{},{},{},{},{}",
                run.id,
                run.kind,
                run.status,
                quote(&org),
                quote(&run.started_by),
                run.started_at
            );
            if items.is_empty() {
                csv.push_str(&format!(
                    "{head},,,,,{}\r\n",
                    quote(run.message.as_deref().unwrap_or(""))
                ));
            }
            for it in items.into_iter().map(item) {
                csv.push_str(&format!(
                    "{head},{},{},{},{},{}\r\n",
                    it.object_type,
                    quote(&it.object_id),
                    quote(&it.display_name),
                    it.outcome,
                    quote(&it.detail)
                ));
            }
        }
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default();
        crate::export::save_new(&dir, &format!("aadsync-audit-{stamp}"), "csv", &csv)
    })
    .await
}
