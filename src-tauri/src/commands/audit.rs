//! The audit log view: adapters over `aadsync_store`'s runs, items and undo.

use crate::commands::errors::{blocking, to_ipc};
use crate::state::AppState;
use aadsync_ipc as ipc;
use aadsync_ipc::IpcError;
use aadsync_store::{Resolution, RunItem, RunSummary, UndoChoices, UndoPlan};
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

fn undo_view(plan: UndoPlan) -> ipc::UndoPreviewView {
    let r = &plan.run;
    let summary = format!(
        "Undo run #{} ({}, {}): {} changes it made are reverted (the users, groups and memberships it created, updated, disabled or deleted), and the decisions it recorded are withdrawn. Nothing else changes. The next synchronization reads Entra ID again from before this run, so what Entra ID still holds comes back then.",
        r.id,
        r.organization.clone().unwrap_or(r.tenant_id.clone()),
        r.started_at,
        plan.changes
    );
    ipc::UndoPreviewView {
        summary,
        changes: u32::try_from(plan.changes).unwrap_or(u32::MAX),
        conflicts: plan
            .conflicts
            .into_iter()
            .map(|c| ipc::UndoConflictView {
                id: c.id,
                object_type: c.object_type.to_owned(),
                object: c.object,
                problem: c.problem.describe(),
                fields: c
                    .fields
                    .into_iter()
                    .map(|f| ipc::UndoFieldView {
                        field: f.field,
                        now: f.now,
                        restore: f.restore,
                    })
                    .collect(),
                restorable: c.restorable,
            })
            .collect(),
        token: plan.token,
        run: view(plan.run),
    }
}

fn resolution(r: ipc::Resolution) -> Resolution {
    match r {
        ipc::Resolution::KeepNewer => Resolution::KeepNewer,
        ipc::Resolution::Restore => Resolution::Restore,
    }
}

#[tauri::command]
pub async fn undo_preview(
    state: State<'_, AppState>,
    args: ipc::RunRef,
) -> Result<ipc::UndoPreviewView, IpcError> {
    let database = state.database_handle();
    blocking(move || {
        let store = database.store().map_err(to_ipc)?;
        let plan = store.writer().undo_preview(args.run).map_err(to_ipc)?;
        Ok(undo_view(plan))
    })
    .await
}

#[tauri::command]
pub async fn undo_run(
    state: State<'_, AppState>,
    args: ipc::UndoArgs,
) -> Result<ipc::UndoDone, IpcError> {
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
    let choices = UndoChoices {
        all: resolution(args.all),
        each: args
            .choices
            .iter()
            .map(|c| (c.id, resolution(c.resolution)))
            .collect(),
    };
    blocking(move || {
        let store = database.store().map_err(to_ipc)?;
        let done = store
            .writer()
            .undo_run(args.run, &args.token, &choices, &by, &|| false)
            .map_err(to_ipc)?;
        database.changed();
        Ok(ipc::UndoDone {
            undo_run: done.undo_run,
            reverted: u32::try_from(done.reverted).unwrap_or(u32::MAX),
            kept: u32::try_from(done.kept).unwrap_or(u32::MAX),
        })
    })
    .await
}

#[tauri::command]
pub async fn export_audit<R: tauri::Runtime>(
    app: tauri::AppHandle<R>,
    state: State<'_, AppState>,
    args: ipc::NoArgs,
) -> Result<Option<String>, IpcError> {
    let _ = args;
    let database = state.database_handle();
    let csv = blocking(move || {
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
        Ok(csv)
    })
    .await?;
    let offer = crate::export::Offer {
        file_name: "aadsync-audit-log.csv".to_owned(),
        type_label: "CSV",
        extension: "csv",
    };
    super::exports::save_export(&app, &state, offer, csv).await
}
