//! Wizard steps 4–7: adapters over the synchronization use case (`aadsync_sync::run`): plan,
//! decide, apply with progress and Cancel, export the results.

use crate::commands::connection::connected;
use crate::commands::errors::{blocking, graph_error, sync_error, sync_failure, to_ipc};
use crate::commands::rows;
use crate::jobs;
use crate::state::AppState;
use aadsync_directory::graph::GraphClient;
use aadsync_ipc as ipc;
use aadsync_ipc::{ErrorCode, IpcError};
use aadsync_store::{DirectoryChanges, ObjectKind, RunInfo, ScopeRoot};
use aadsync_sync::clock::SystemClock;
use aadsync_sync::engine::{self, Selection};
use aadsync_sync::run::{self, Decisions, PlannedRun, Reimport, RunRequest};
use std::sync::Arc;
use tauri::State;

#[tauri::command]
pub async fn plan_sync(
    state: State<'_, AppState>,
    args: ipc::PlanRequest,
) -> Result<ipc::SyncPreview, IpcError> {
    let connection = connected(&state, args.organization).await?;
    let graph = GraphClient::new(Arc::clone(&connection.session)).map_err(graph_error)?;
    let database = state.database_handle();
    let store = blocking(move || database.store().map_err(to_ipc)).await?;
    let request = RunRequest {
        selection: Selection {
            users: args.selection.users,
            groups: args.selection.groups,
            members: args.selection.members,
            nested: args.selection.nested,
            remove: args.selection.remove,
            reflag: args
                .selection
                .reflag
                .into_iter()
                .map(|f| ScopeRoot {
                    kind: ObjectKind::Group,
                    object_id: f.id,
                    members: f.members,
                    nested: f.nested,
                })
                .collect(),
        },
        check_deleted: args.check_deleted,
        full: false,
    };
    let run = RunInfo {
        tenant_id: connection.organization.tenant_id.clone(),
        started_by: connection.account.upn.clone(),
    };
    let jobs = Arc::clone(&state.jobs);
    jobs.set_plan_progress("Starting", 0);
    let progress = move |p: engine::Progress| jobs.set_plan_progress(p.phase.label(), p.done);
    let planned = run::plan_run(
        &graph,
        &store,
        run,
        &connection.organization,
        &request,
        &SystemClock,
        &progress,
    )
    .await;
    let planned = match planned {
        Ok(planned) => planned,
        Err(e) => return Err(sync_failure(&connection, e).await),
    };
    let planned = Arc::new(planned);
    let id = state.jobs.add_plan(Arc::clone(&planned));
    Ok(rows::preview(id, &planned))
}

/// The changes the admin's decisions amount to; refused above the safeguard unless confirmed.
fn decide(plan: &PlannedRun, args: &ipc::PlanRef) -> Result<DirectoryChanges, IpcError> {
    let decisions = Decisions {
        actions: args
            .decisions
            .iter()
            .map(|d| (d.id.clone(), rows::action(d.action)))
            .collect(),
        default_action: None,
        reimport: Reimport::Only(args.reimport.iter().cloned().collect()),
        confirm_mass: args.confirm_mass,
        resolutions: rows::resolutions(plan, &args.resolutions),
    };
    plan.decide(&decisions).map_err(|refused| {
        IpcError::invalid_input(format!(
            "{} of {} imported objects would be disabled or deleted: confirm this in the Deleted objects step",
            refused.affected, refused.total
        ))
    })
}

#[tauri::command]
pub async fn plan_progress(
    state: State<'_, AppState>,
    args: ipc::NoArgs,
) -> Result<ipc::PlanProgress, IpcError> {
    let _ = args;
    Ok(state.jobs.plan_progress())
}

/// Step 6's progress bar: where the write is.
fn percent(phase: engine::Phase) -> u8 {
    match phase {
        engine::Phase::Backup => 20,
        engine::Phase::Writing => 60,
        _ => 10,
    }
}

#[tauri::command]
pub async fn start_sync(
    state: State<'_, AppState>,
    args: ipc::PlanRef,
) -> Result<ipc::JobRef, IpcError> {
    let plan = state.jobs.plan(args.plan).ok_or_else(|| {
        IpcError::new(
            ErrorCode::NotFound,
            "This preview is no longer current: go back to Preview",
        )
    })?;
    let changes = Arc::new(decide(&plan, &args)?);
    let database = state.database_handle();
    if !changes.resolutions.is_empty() {
        let (database, plan, changes) = (
            Arc::clone(&database),
            Arc::clone(&plan),
            Arc::clone(&changes),
        );
        let others = blocking(move || {
            let store = database.store().map_err(to_ipc)?;
            plan.unpreviewed(&store, &changes).map_err(sync_error)
        })
        .await?;
        if !others.is_empty() {
            return Err(IpcError::invalid_input(format!(
                "A name chosen for a conflict is also the account name of {} in this synchronization: choose another name",
                others.join(", ")
            )));
        }
    }
    let (job, sync) = state.jobs.new_sync();
    let app = Arc::clone(&state.jobs);
    tauri::async_runtime::spawn(async move {
        let started = std::time::Instant::now();
        let progress = {
            let sync = Arc::clone(&sync);
            Arc::new(move |p: engine::Progress| sync.set_phase(p.phase.label(), percent(p.phase)))
        };
        let result = async {
            let store = {
                let database = Arc::clone(&database);
                blocking(move || database.store().map_err(to_ipc)).await?
            };
            let cancel = Arc::clone(&sync.cancel);
            let applied = run::apply(&store, &plan.run, changes, cancel, progress).await;
            let (report, _snapshot) = applied.map_err(sync_error)?;
            database.changed();
            Ok(ipc::SyncResult {
                run_id: report.run_id,
                counts: rows::counts(&report.counts),
                duration_ms: started.elapsed().as_millis() as u64,
                rows: report.items.iter().map(rows::outcome_row).collect(),
            })
        }
        .await;
        if let Ok(r) = &result {
            app.keep_result(r);
            sync.set_phase("Done", 100);
        }
        sync.finish(result);
    });
    Ok(ipc::JobRef { job })
}

#[tauri::command]
pub async fn sync_status(
    state: State<'_, AppState>,
    args: ipc::JobRef,
) -> Result<ipc::SyncStatus, IpcError> {
    let job = state
        .jobs
        .sync(args.job)
        .ok_or_else(|| IpcError::new(ErrorCode::NotFound, "No such synchronization"))?;
    Ok(job.status())
}

#[tauri::command]
pub async fn cancel_sync(state: State<'_, AppState>, args: ipc::JobRef) -> Result<(), IpcError> {
    if let Some(job) = state.jobs.sync(args.job) {
        job.cancel();
    }
    Ok(())
}

#[tauri::command]
pub async fn export_run<R: tauri::Runtime>(
    app: tauri::AppHandle<R>,
    state: State<'_, AppState>,
    args: ipc::ExportRequest,
) -> Result<Option<String>, IpcError> {
    let result = state.jobs.result(args.run_id).ok_or_else(|| {
        IpcError::new(
            ErrorCode::NotFound,
            "This run's results are no longer in memory",
        )
    })?;
    let (extension, type_label, content) = match args.format {
        ipc::ExportFormat::Csv => ("csv", "CSV", jobs::to_csv(&result)),
        ipc::ExportFormat::Json => ("json", "JSON", jobs::to_json(&result)?),
    };
    let offer = crate::export::Offer {
        file_name: format!("aadsync-run-{}.{extension}", result.run_id),
        type_label,
        extension,
    };
    crate::commands::exports::save_export(&app, &state, offer, content).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use aadsync_ipc::safeguard::{BOUNDARIES, SafeguardCase};
    use aadsync_store::plan::Plan;
    use aadsync_sync::deleted::{Action, DeletedObject, Finding};
    use aadsync_sync::engine::{FullReason, ReadMode};

    fn planned(objects: u64, case: &SafeguardCase) -> PlannedRun {
        PlannedRun {
            run: RunInfo {
                tenant_id: "t".into(),
                started_by: "admin@contoso.com".into(),
            },
            changes: DirectoryChanges::default(),
            plan: Plan::default(),
            deleted: (0..objects)
                .map(|n| DeletedObject {
                    kind: ObjectKind::User,
                    object_id: format!("o-{n}"),
                    display_name: format!("User {n}"),
                    account: format!("u{n}@contoso.com"),
                    finding: Finding::HardDeleted,
                    action: Action::Keep,
                })
                .collect(),
            tombstoned: Vec::new(),
            imported_total: case.imported_total as usize,
            safeguard: case.safeguard,
            read: ReadMode::Full(FullReason::Requested),
            deleted_unchecked: 0,
            deleted_skipped: Vec::new(),
            leaving_scope: Vec::new(),
            saved_roots: 0,
        }
    }

    /// The backend decides again what the wizard showed: a wizard that let a mass deletion
    /// through without the confirmation is refused here, naming the numbers.
    #[test]
    fn synchronize_re_checks_the_safeguard_on_the_admins_decisions() {
        for case in BOUNDARIES.iter().filter(|c| c.affected <= 10_000) {
            // Everything proposed Keep; the admin's decisions disable `affected` of them.
            let plan = planned(case.affected + 2, case);
            let decisions = (0..case.affected)
                .map(|n| ipc::DeletedDecision {
                    id: format!("o-{n}"),
                    action: if n % 2 == 0 {
                        ipc::DeletedAction::Disable
                    } else {
                        ipc::DeletedAction::Delete
                    },
                })
                .collect();
            let mut args = ipc::PlanRef {
                plan: 1,
                decisions,
                confirm_mass: false,
                reimport: Vec::new(),
                resolutions: Vec::new(),
            };
            let unconfirmed = decide(&plan, &args);
            if case.exceeded {
                let err = unconfirmed.expect_err(case.why);
                assert_eq!(err.code, ErrorCode::InvalidInput, "{}", case.why);
                assert_eq!(
                    err.message,
                    format!(
                        "{} of {} imported objects would be disabled or deleted: confirm this in the Deleted objects step",
                        case.affected, case.imported_total
                    )
                );
            } else {
                let changes = unconfirmed.expect(case.why);
                assert_eq!(changes.removals.len() as u64, case.affected, "{}", case.why);
            }
            args.confirm_mass = true;
            let confirmed = decide(&plan, &args).expect(case.why);
            assert_eq!(
                confirmed.removals.len() as u64,
                case.affected,
                "{}",
                case.why
            );
        }
    }
}
