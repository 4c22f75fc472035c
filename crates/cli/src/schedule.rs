//! `aadsync schedule add|list|remove`: the scheduled synchronization of an organization
//! (aadsync-schedule generates and installs the OS job); each run records itself as the
//! schedule's.

use crate::args::ScheduleCommand;
use crate::exit::{CliError, CliResult};
use aadsync_schedule::{Job, Scheduler};
use aadsync_store::Store;
use std::path::{Path, PathBuf};

/// `aadsync schedule …`.
pub fn schedule(store: &Store, database: &Path, command: ScheduleCommand) -> CliResult {
    let scheduler = Scheduler::for_user().map_err(CliError::failed)?;
    match command {
        ScheduleCommand::Add {
            org,
            every,
            check_deleted,
            deleted_action,
            print,
        } => {
            let found = crate::orgs::find(store, &org)?;
            let job = Job {
                tenant_id: found.tenant_id.clone(),
                every,
                deleted: check_deleted.then_some(crate::deleted_action(deleted_action)),
                program: std::env::current_exe()
                    .map_err(|e| format!("cannot tell where aadsync is installed: {e}"))?,
                database: absolute(database)?,
            };
            let log = aadsync_schedule::log_file().map_err(CliError::failed)?;
            if print {
                for (file, text) in scheduler.files(&job, &found.display_name, &log) {
                    say!("# {file}\n{text}");
                }
                return Ok(());
            }
            scheduler
                .install(&job, &found.display_name, &log)
                .map_err(CliError::failed)?;
            say!(
                "Scheduled: {} is synchronized every {every} ({}). Runs append to {}.",
                found.display_name,
                job.name(),
                log.display()
            );
            Ok(())
        }
        ScheduleCommand::List { json } => list(store, &scheduler, &absolute(database)?, json),
        ScheduleCommand::Remove { org } => {
            // An organization removed from aadsync can still have a schedule: its tenant ID
            // (as `schedule list` shows it) names it then.
            let (tenant, shown) = match crate::orgs::find(store, &org) {
                Ok(found) => (found.tenant_id, found.display_name),
                Err(_) => (org.trim().to_owned(), org.trim().to_owned()),
            };
            if scheduler
                .remove(&tenant, &absolute(database)?)
                .map_err(CliError::failed)?
            {
                say!("Removed the schedule of {shown}.");
                Ok(())
            } else {
                Err(
                    format!("{shown} has no schedule on this database; see: aadsync schedule list")
                        .into(),
                )
            }
        }
    }
}

fn absolute(database: &Path) -> Result<PathBuf, CliError> {
    std::path::absolute(database).map_err(|e| format!("{}: {e}", database.display()).into())
}

/// The schedules of this database (a schedule names its database in its job name).
fn list(store: &Store, scheduler: &Scheduler, database: &Path, json: bool) -> CliResult {
    let runs = store.reader().runs().map_err(CliError::failed)?;
    let orgs = store.reader().organizations().map_err(CliError::failed)?;
    let attempts = store
        .reader()
        .last_scheduled_attempts()
        .map_err(CliError::failed)?;
    let mut rows = Vec::new();
    for installed in scheduler.list(database) {
        let tenant = installed.tenant_id;
        let org = orgs
            .iter()
            .find(|o| o.tenant_id.eq_ignore_ascii_case(&tenant))
            .map_or_else(|| tenant.clone(), |o| o.display_name.clone());
        // Newest first: the first scheduled run of this tenant is the last one.
        let last = runs.iter().find(|r| {
            r.tenant_id.eq_ignore_ascii_case(&tenant)
                && aadsync_schedule::by_schedule(&r.started_by)
        });
        let attempt = attempts
            .iter()
            .find(|a| a.tenant_id.eq_ignore_ascii_case(&tenant));
        rows.push(serde_json::json!({
            "name": installed.name,
            "organization": org,
            "tenant_id": tenant,
            "every": installed.every,
            "deleted_action": installed.deleted,
            "last_run": last.map(|r| serde_json::json!({
                "id": r.id, "started_at": r.started_at, "status": r.status.to_string(),
            })),
            // Every attempt, also one that wrote no run (the safeguard, a sign-in to renew).
            "last_attempt": attempt.map(|a| serde_json::json!({
                "started_at": a.started_at, "finished_at": a.finished_at,
                "outcome": a.outcome.as_str(), "reason": a.reason, "run_id": a.run_id,
            })),
        }));
    }
    if json {
        say!(
            "{}",
            serde_json::to_string_pretty(&rows).map_err(CliError::failed)?
        );
        return Ok(());
    }
    if rows.is_empty() {
        say!("No schedules. Add one with: aadsync schedule add --org X --every 6h");
    }
    for row in rows {
        let text = |k: &str| row[k].as_str().unwrap_or_default().to_owned();
        let last = match &row["last_attempt"] {
            serde_json::Value::Null => "no attempt yet".to_owned(),
            a => {
                let reason = a["reason"].as_str().unwrap_or_default();
                format!(
                    "last attempt at {}: {}{}{}",
                    a["started_at"].as_str().unwrap_or_default(),
                    a["outcome"].as_str().unwrap_or_default().replace('_', " "),
                    a["run_id"]
                        .as_i64()
                        .map(|id| format!(" (run #{id})"))
                        .unwrap_or_default(),
                    if reason.is_empty() {
                        String::new()
                    } else {
                        format!(" — {reason}")
                    }
                )
            }
        };
        say!(
            "{:<24} every {:<4} deleted objects: {:<8} {last}",
            text("organization"),
            text("every"),
            text("deleted_action")
        );
    }
    Ok(())
}
