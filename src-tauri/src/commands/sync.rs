//! Wizard steps 3–7: adapters over `aadsync_directory::graph` and `aadsync_sync::engine`.

use crate::commands::users::{blocking, capitalize, to_ipc};
use crate::jobs::{self, PlannedSync};
use crate::state::AppState;
use aadsync_directory::graph::{GraphClient, GraphError};
use aadsync_ipc as ipc;
use aadsync_ipc::{ErrorCode, IpcError};
use aadsync_store::{ApplyOutcome, DirectoryChanges, OrgId};
use aadsync_sync::Connected;
use aadsync_sync::deleted::{Action, DeletedObject, Finding};
use aadsync_sync::engine::{self, Selection, SyncError};
use std::collections::HashSet;
use std::sync::Arc;
use tauri::State;

fn graph_error(err: GraphError) -> IpcError {
    match err {
        GraphError::Session(e) if e.needs_sign_in() => {
            IpcError::new(ErrorCode::SignInRequired, capitalize(&e.to_string()))
        }
        other => {
            tracing::warn!(error = %other, "Microsoft Graph request failed");
            IpcError::internal(capitalize(&other.to_string()))
        }
    }
}

fn sync_error(err: SyncError) -> IpcError {
    match err {
        SyncError::Graph(e) => graph_error(e),
        SyncError::Store(e) => to_ipc(e),
        SyncError::NotFound { .. } => {
            IpcError::new(ErrorCode::NotFound, capitalize(&err.to_string()))
        }
        SyncError::Cancelled => IpcError::new(ErrorCode::Cancelled, capitalize(&err.to_string())),
    }
}

/// The organization's live session, signing in silently first if needed.
async fn connected(state: &AppState, organization: i64) -> Result<Connected, IpcError> {
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
        .map_err(|e| {
            let code = if e.needs_sign_in() {
                ErrorCode::SignInRequired
            } else {
                ErrorCode::Internal
            };
            IpcError::new(code, capitalize(&e.to_string()))
        })?;
    state.signins.connected(c.clone());
    Ok(c)
}

fn user_entry(u: aadsync_directory::graph::RemoteUser, imported: bool) -> ipc::DirectoryEntry {
    ipc::DirectoryEntry {
        guest: u.is_guest(),
        disabled: u.account_enabled == Some(false),
        id: u.id,
        kind: ipc::EntryKind::User,
        display_name: u.display_name,
        principal: u.user_principal_name.unwrap_or_default(),
        department: u.department.unwrap_or_default(),
        imported,
    }
}

fn group_entry(g: aadsync_directory::graph::RemoteGroup, imported: bool) -> ipc::DirectoryEntry {
    let principal = match &g.mail {
        Some(mail) if !mail.is_empty() => mail.clone(),
        _ if g.group_types.iter().any(|t| t == "Unified") => "Microsoft 365 group".into(),
        _ if g.security_enabled => "Security group".into(),
        _ => "Distribution group".into(),
    };
    ipc::DirectoryEntry {
        id: g.id,
        kind: ipc::EntryKind::Group,
        display_name: g.display_name,
        principal,
        department: String::new(),
        guest: false,
        disabled: false,
        imported,
    }
}

#[tauri::command]
pub async fn start_listing(
    state: State<'_, AppState>,
    args: ipc::ListingRequest,
) -> Result<ipc::JobRef, IpcError> {
    let connection = connected(&state, args.organization).await?;
    let graph = GraphClient::new(Arc::clone(&connection.session)).map_err(graph_error)?;
    let database = state.database_handle();
    let tenant = connection.organization.tenant_id.clone();
    let known: HashSet<String> = blocking(move || {
        let store = database.store().map_err(to_ipc)?;
        let imported = store.reader().imported(&tenant).map_err(to_ipc)?;
        Ok(imported
            .users
            .into_keys()
            .chain(imported.groups.into_keys())
            .collect())
    })
    .await?;
    let (job, listing) = state.jobs.new_listing();
    let search = args.search.trim().to_owned();
    tauri::async_runtime::spawn(async move {
        let search = (!search.is_empty()).then_some(search);
        let users = graph
            .users(search.as_deref(), |page| {
                let rows = page
                    .into_iter()
                    .map(|u| {
                        let imported = known.contains(&u.id);
                        user_entry(u, imported)
                    })
                    .collect();
                jobs::listing_push(&listing, rows);
            })
            .await;
        let result = match users {
            Ok(()) => {
                graph
                    .groups(search.as_deref(), |page| {
                        let rows = page
                            .into_iter()
                            .map(|g| {
                                let imported = known.contains(&g.id);
                                group_entry(g, imported)
                            })
                            .collect();
                        jobs::listing_push(&listing, rows);
                    })
                    .await
            }
            Err(e) => Err(e),
        };
        jobs::listing_end(&listing, result.err().map(graph_error));
    });
    Ok(ipc::JobRef { job })
}

#[tauri::command]
pub async fn listing_page(
    state: State<'_, AppState>,
    args: ipc::PageRequest,
) -> Result<ipc::ListingPage, IpcError> {
    let listing = state
        .jobs
        .listing(args.job)
        .ok_or_else(|| IpcError::new(ErrorCode::NotFound, "This list is no longer loading"))?;
    Ok(jobs::listing_page(&listing, args.offset))
}

fn outcome_row(item: &aadsync_store::plan::PlanItem) -> ipc::OutcomeRow {
    let (outcome, detail) = match &item.outcome {
        ApplyOutcome::Created => (ipc::Outcome::Create, String::new()),
        ApplyOutcome::Updated { fields } => (ipc::Outcome::Update, fields.join(", ")),
        ApplyOutcome::Unchanged => (ipc::Outcome::Unchanged, String::new()),
        ApplyOutcome::Disabled { reason } => (ipc::Outcome::Disable, reason.clone()),
        ApplyOutcome::Deleted { reason } => (ipc::Outcome::Delete, reason.clone()),
        ApplyOutcome::Failed { reason } => (ipc::Outcome::Conflict, reason.clone()),
    };
    ipc::OutcomeRow {
        kind: if item.object_type == "group" {
            ipc::EntryKind::Group
        } else {
            ipc::EntryKind::User
        },
        id: item.object_id.clone(),
        display_name: item.display_name.clone(),
        outcome,
        detail,
    }
}

fn counts(rows: &[ipc::OutcomeRow]) -> ipc::Counts {
    let mut c = ipc::Counts::default();
    for row in rows {
        match row.outcome {
            ipc::Outcome::Create => c.create += 1,
            ipc::Outcome::Update => c.update += 1,
            ipc::Outcome::Unchanged => c.unchanged += 1,
            ipc::Outcome::Disable => c.disable += 1,
            ipc::Outcome::Delete => c.delete += 1,
            ipc::Outcome::Conflict => c.conflict += 1,
        }
    }
    c
}

#[tauri::command]
pub async fn plan_sync(
    state: State<'_, AppState>,
    args: ipc::PlanRequest,
) -> Result<ipc::SyncPreview, IpcError> {
    let connection = connected(&state, args.organization).await?;
    let graph = GraphClient::new(Arc::clone(&connection.session)).map_err(graph_error)?;
    let tenant = connection.organization.tenant_id.clone();
    let database = state.database_handle();
    let store = blocking(move || database.store().map_err(to_ipc)).await?;
    let imported = {
        let (store, tenant) = (Arc::clone(&store), tenant.clone());
        blocking(move || store.reader().imported(&tenant).map_err(to_ipc)).await?
    };
    let selection = Selection {
        users: args.selection.users,
        groups: args.selection.groups,
        members: args.selection.members,
        nested: args.selection.nested,
    };
    let jobs = Arc::clone(&state.jobs);
    jobs.set_plan_progress("Starting", 0);
    let progress = move |p: engine::Progress| jobs.set_plan_progress(p.phase.label(), p.done);
    let links = {
        let (store, tenant) = (Arc::clone(&store), tenant.clone());
        blocking(move || store.reader().delta_links(&tenant).map_err(to_ipc)).await?
    };
    let gathered = engine::gather_incremental(
        &graph,
        &imported,
        &selection,
        links.as_ref(),
        args.check_deleted
            .then_some(engine::FullReason::CheckDeleted),
        &progress,
    )
    .await
    .map_err(sync_error)?;
    let deleted = if args.check_deleted {
        state
            .jobs
            .set_plan_progress("Checking for deleted objects", 0);
        engine::check_deleted(&graph, &imported, &gathered, &selection)
            .await
            .map_err(sync_error)?
    } else {
        Vec::new()
    };
    let imported_total = imported.users.len() + imported.groups.len();
    let read_mode = gathered.read.describe();
    let deleted_unchecked = if args.check_deleted {
        0
    } else {
        gathered.deleted_in_entra() as u64
    };
    let tombstoned = gathered.tombstoned;
    let changes = gathered.changes;
    state
        .jobs
        .set_plan_progress(engine::Phase::Planning.label(), 0);
    let changes = Arc::new(changes);
    let plan = {
        let (store, tenant, changes) = (Arc::clone(&store), tenant.clone(), Arc::clone(&changes));
        blocking(move || engine::preview(&store, &tenant, &changes).map_err(sync_error)).await?
    };
    let rows: Vec<ipc::OutcomeRow> = plan.items.iter().map(outcome_row).collect();
    let deleted_rows: Vec<ipc::DeletedRow> = deleted.iter().map(deleted_row).collect();
    let tombstone_rows: Vec<ipc::TombstoneRow> = tombstoned
        .iter()
        .map(|u| ipc::TombstoneRow {
            id: u.object_id.clone(),
            display_name: u.display_name.clone(),
            account: u.user_principal_name.clone().unwrap_or_default(),
        })
        .collect();
    // Read now rather than at connect time: the admin may have changed it since.
    let safeguard = {
        let (store, id) = (Arc::clone(&store), connection.organization.id);
        let org = blocking(move || store.reader().organization(id).map_err(to_ipc)).await?;
        aadsync_sync::deleted::safeguard_of(&org)
    };
    let id = state.jobs.add_plan(PlannedSync {
        tenant_id: tenant,
        started_by: connection.account.upn.clone(),
        changes,
        deleted,
        imported_total,
        safeguard,
        tombstoned,
    });
    Ok(ipc::SyncPreview {
        plan: id,
        counts: counts(&rows),
        rows,
        deleted: deleted_rows,
        imported_total: imported_total as u64,
        threshold_count: safeguard.count,
        threshold_percent: safeguard.percent,
        tombstoned: tombstone_rows,
        read_mode,
        deleted_unchecked,
    })
}

fn deleted_row(o: &DeletedObject) -> ipc::DeletedRow {
    ipc::DeletedRow {
        id: o.object_id.clone(),
        display_name: o.display_name.clone(),
        kind: match o.kind {
            aadsync_store::ObjectKind::User => ipc::EntryKind::User,
            aadsync_store::ObjectKind::Group => ipc::EntryKind::Group,
        },
        account: o.account.clone(),
        reason: match o.finding {
            Finding::SoftDeleted { .. } => ipc::DeletedReason::SoftDeleted,
            Finding::HardDeleted => ipc::DeletedReason::HardDeleted,
            Finding::DisabledInEntra => ipc::DeletedReason::Disabled,
            Finding::OutOfScope { .. } => ipc::DeletedReason::OutOfScope,
        },
        detail: o.finding.describe(),
        action: match o.action {
            Action::Keep => ipc::DeletedAction::Keep,
            Action::Disable => ipc::DeletedAction::Disable,
            Action::Delete => ipc::DeletedAction::Delete,
        },
    }
}

/// The planned removals after the admin's decisions; refused above the threshold unless
/// confirmed.
fn decided_changes(plan: &PlannedSync, args: &ipc::PlanRef) -> Result<DirectoryChanges, IpcError> {
    let mut objects = plan.deleted.clone();
    for object in &mut objects {
        if let Some(d) = args.decisions.iter().find(|d| d.id == object.object_id) {
            object.action = match d.action {
                ipc::DeletedAction::Keep => Action::Keep,
                ipc::DeletedAction::Disable => Action::Disable,
                ipc::DeletedAction::Delete => Action::Delete,
            };
        }
    }
    if aadsync_sync::deleted::needs_confirmation(&plan.safeguard, &objects, plan.imported_total)
        && !args.confirm_mass
    {
        let affected = aadsync_sync::deleted::affected(&objects);
        return Err(IpcError::invalid_input(format!(
            "{affected} of {} imported objects would be disabled or deleted: confirm this in the Deleted objects step",
            plan.imported_total
        )));
    }
    let mut changes = (*plan.changes).clone();
    changes.removals = engine::removals(&objects);
    changes.users.extend(
        plan.tombstoned
            .iter()
            .filter(|u| args.reimport.contains(&u.object_id))
            .cloned(),
    );
    Ok(changes)
}

#[tauri::command]
pub async fn plan_progress(
    state: State<'_, AppState>,
    args: ipc::NoArgs,
) -> Result<ipc::PlanProgress, IpcError> {
    let _ = args;
    Ok(state.jobs.plan_progress())
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
    let changes = Arc::new(decided_changes(&plan, &args)?);
    let database = state.database_handle();
    let (job, sync) = state.jobs.new_sync();
    let app = Arc::clone(&state.jobs);
    tauri::async_runtime::spawn_blocking(move || {
        let started = std::time::Instant::now();
        let result = (|| -> Result<ipc::SyncResult, IpcError> {
            let store = database.store().map_err(to_ipc)?;
            let run = aadsync_store::RunInfo {
                tenant_id: plan.tenant_id.clone(),
                started_by: plan.started_by.clone(),
            };
            let progress = |p: engine::Progress| {
                let percent = match p.phase {
                    engine::Phase::Snapshot => 20,
                    engine::Phase::Writing => 60,
                    _ => 10,
                };
                sync.set_phase(p.phase.label(), percent);
            };
            let applied =
                engine::apply_cancellable(&store, &run, &changes, &progress, &sync.cancel);
            let (report, _snapshot) = applied.map_err(sync_error)?;
            database.changed();
            let rows: Vec<ipc::OutcomeRow> = report
                .items
                .iter()
                .map(|i| {
                    outcome_row(&aadsync_store::plan::PlanItem {
                        object_type: i.object_type,
                        object_id: i.object_id.clone(),
                        display_name: i.display_name.clone(),
                        outcome: i.outcome.clone(),
                    })
                })
                .collect();
            Ok(ipc::SyncResult {
                run_id: report.run_id,
                counts: counts(&rows),
                duration_ms: started.elapsed().as_millis() as u64,
                rows,
            })
        })();
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
) -> Result<String, IpcError> {
    let result = state.jobs.result(args.run_id).ok_or_else(|| {
        IpcError::new(
            ErrorCode::NotFound,
            "This run's results are no longer in memory",
        )
    })?;
    let (extension, content) = match args.format {
        ipc::ExportFormat::Csv => ("csv", jobs::to_csv(&result)),
        ipc::ExportFormat::Json => (
            "json",
            serde_json::to_string_pretty(&result).map_err(|e| IpcError::internal(e.to_string()))?,
        ),
    };
    let dir = crate::export::downloads(&app)?;
    let stem = format!("aadsync-run-{}", result.run_id);
    blocking(move || crate::export::save_new(&dir, &stem, extension, &content)).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use aadsync_ipc::safeguard::BOUNDARIES;

    fn planned(objects: u64, case: &aadsync_ipc::safeguard::SafeguardCase) -> PlannedSync {
        PlannedSync {
            tenant_id: "t".into(),
            started_by: "admin@contoso.com".into(),
            changes: Arc::new(DirectoryChanges::default()),
            deleted: (0..objects)
                .map(|n| DeletedObject {
                    kind: aadsync_store::ObjectKind::User,
                    object_id: format!("o-{n}"),
                    display_name: format!("User {n}"),
                    account: format!("u{n}@contoso.com"),
                    finding: Finding::HardDeleted,
                    action: Action::Keep,
                })
                .collect(),
            imported_total: case.imported_total as usize,
            safeguard: case.safeguard,
            tombstoned: Vec::new(),
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
            };
            let unconfirmed = decided_changes(&plan, &args);
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
            let confirmed = decided_changes(&plan, &args).expect(case.why);
            assert_eq!(
                confirmed.removals.len() as u64,
                case.affected,
                "{}",
                case.why
            );
        }
    }
}
