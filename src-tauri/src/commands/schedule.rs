//! Wizard step 1's schedule and the Users area's notice: adapters over `aadsync_schedule`
//! (the same job files and systemd calls as `aadsync schedule`) and the store's record of
//! scheduled attempts. The job runs the `aadsync` CLI found beside this app or on PATH.

use crate::commands::errors::{blocking, capitalize, to_ipc};
use crate::database::Database;
use crate::state::AppState;
use aadsync_ipc as ipc;
use aadsync_ipc::IpcError;
use aadsync_schedule::{Job, ScheduleError, Scheduler};
use aadsync_store::{AttemptOutcome, OrgId, Organization, ScheduledAttempt, Store};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tauri::State;

/// The store, the organization `id` and the database's absolute path (what names a schedule).
fn open(database: &Database, id: i64) -> Result<(Arc<Store>, Organization, PathBuf), IpcError> {
    let store = database.store().map_err(to_ipc)?;
    let org = store.reader().organization(OrgId(id)).map_err(to_ipc)?;
    let absolute =
        std::path::absolute(database.path()).map_err(|e| IpcError::internal(e.to_string()))?;
    Ok((store, org, absolute))
}

fn schedule_error(err: ScheduleError) -> IpcError {
    IpcError::internal(capitalize(&err.to_string()))
}

fn outcome(outcome: AttemptOutcome) -> ipc::AttemptOutcome {
    match outcome {
        AttemptOutcome::Succeeded => ipc::AttemptOutcome::Succeeded,
        AttemptOutcome::SomeFailed => ipc::AttemptOutcome::SomeFailed,
        AttemptOutcome::Safeguard => ipc::AttemptOutcome::Safeguard,
        AttemptOutcome::SignIn => ipc::AttemptOutcome::SignIn,
        AttemptOutcome::Failed => ipc::AttemptOutcome::Failed,
    }
}

fn attempt_view(a: ScheduledAttempt, orgs: &[Organization]) -> ipc::AttemptView {
    let org = orgs
        .iter()
        .find(|o| o.tenant_id.eq_ignore_ascii_case(&a.tenant_id));
    ipc::AttemptView {
        id: a.id,
        organization_id: org.map(|o| o.id.0),
        organization: org.map_or(a.organization, |o| o.display_name.clone()),
        tenant_id: a.tenant_id,
        started_at: a.started_at,
        finished_at: a.finished_at,
        outcome: outcome(a.outcome),
        reason: a.reason,
        run_id: a.run_id,
    }
}

/// The organization's schedule on `database` and its last attempt.
fn view(store: &Store, database: &Path, org: &Organization) -> Result<ipc::ScheduleView, IpcError> {
    let database = std::path::absolute(database)
        .map_err(|e| IpcError::internal(format!("{}: {e}", database.display())))?;
    let installed = Scheduler::for_user()
        .map_err(schedule_error)?
        .list(&database)
        .into_iter()
        .find(|s| s.tenant_id.eq_ignore_ascii_case(&org.tenant_id))
        .map(|s| ipc::InstalledSchedule {
            deleted_action: aadsync_schedule::action_of(&s.deleted),
            every: s.every,
        });
    let last_attempt = store
        .reader()
        .last_scheduled_attempts()
        .map_err(to_ipc)?
        .into_iter()
        .find(|a| a.tenant_id.eq_ignore_ascii_case(&org.tenant_id))
        .map(|a| attempt_view(a, std::slice::from_ref(org)));
    Ok(ipc::ScheduleView {
        installed,
        last_attempt,
    })
}

#[tauri::command]
pub async fn get_schedule(
    state: State<'_, AppState>,
    args: ipc::OrganizationRef,
) -> Result<ipc::ScheduleView, IpcError> {
    let database = state.inner().database_handle();
    blocking(move || {
        let (store, org, _) = open(&database, args.id)?;
        view(&store, database.path(), &org)
    })
    .await
}

#[tauri::command]
pub async fn add_schedule(
    state: State<'_, AppState>,
    args: ipc::NewSchedule,
) -> Result<ipc::ScheduleView, IpcError> {
    let database = state.inner().database_handle();
    blocking(move || {
        let (store, org, absolute) = open(&database, args.organization_id)?;
        let every = args.every.parse().map_err(IpcError::invalid_input)?;
        let app = std::env::current_exe().map_err(|e| {
            IpcError::internal(format!("Cannot tell where aadsync is installed: {e}"))
        })?;
        let program = aadsync_schedule::cli_program(&app, std::env::var_os("PATH").as_deref())
            .map_err(schedule_error)?;
        let job = Job {
            tenant_id: org.tenant_id.clone(),
            every,
            deleted: args.deleted_action,
            program,
            database: absolute,
        };
        let log = aadsync_schedule::log_file().map_err(schedule_error)?;
        Scheduler::for_user()
            .map_err(schedule_error)?
            .install(&job, &org.display_name, &log)
            .map_err(schedule_error)?;
        view(&store, database.path(), &org)
    })
    .await
}

#[tauri::command]
pub async fn remove_schedule(
    state: State<'_, AppState>,
    args: ipc::OrganizationRef,
) -> Result<ipc::ScheduleView, IpcError> {
    let database = state.inner().database_handle();
    blocking(move || {
        let (store, org, absolute) = open(&database, args.id)?;
        Scheduler::for_user()
            .map_err(schedule_error)?
            .remove(&org.tenant_id, &absolute)
            .map_err(schedule_error)?;
        view(&store, database.path(), &org)
    })
    .await
}

#[tauri::command]
pub async fn schedule_notices(
    state: State<'_, AppState>,
    args: ipc::NoArgs,
) -> Result<Vec<ipc::AttemptView>, IpcError> {
    let ipc::NoArgs {} = args;
    let database = state.inner().database_handle();
    blocking(move || {
        let store = database.store().map_err(to_ipc)?;
        let orgs = store.reader().organizations().map_err(to_ipc)?;
        // The last attempt per organization: a later success ends the notice.
        Ok(store
            .reader()
            .last_scheduled_attempts()
            .map_err(to_ipc)?
            .into_iter()
            .map(|a| attempt_view(a, &orgs))
            .filter(|a| a.outcome.needs_attention())
            .collect())
    })
    .await
}
