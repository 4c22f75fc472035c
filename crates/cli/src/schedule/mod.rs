//! Scheduled synchronization (`aadsync schedule add|list|remove`): an OS-native job that runs
//! `aadsync sync` for one organization with its saved scope and stored sign-in. Linux: a
//! systemd user timer. The job files are generated here (pure, [`Job`] → text) and installed
//! by [`systemd`]; a scheduled run records itself as started by the schedule.

pub mod every;
pub mod systemd;

use crate::args::{DeletedArg, ScheduleCommand};
use crate::exit::{CliError, CliResult};
use aadsync_store::Store;
use every::Every;
use std::path::{Path, PathBuf};

/// One scheduled synchronization, as `schedule add` was given it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    /// The organization as the admin named it (number, tenant ID, domain or name); the
    /// job's name is made from the tenant ID, which never changes.
    pub org: String,
    pub tenant_id: String,
    pub every: Every,
    /// `--check-deleted --deleted-action …` for the scheduled runs; the deletion safeguard
    /// applies (no `--allow-mass-delete` is ever scheduled).
    pub deleted: Option<DeletedArg>,
    /// The `aadsync` binary to run (absolute).
    pub program: PathBuf,
    /// The database (absolute).
    pub database: PathBuf,
}

impl Job {
    /// The job's name: `aadsync-sync-<tenant ID>-<database>`, the database as a short hash
    /// of its absolute path: two databases (staging, production) with one tenant get a
    /// schedule each.
    pub fn name(&self) -> String {
        name(&self.tenant_id, &self.database)
    }

    /// The command line a run executes, one argument per item.
    pub fn command_line(&self) -> Vec<String> {
        let mut args = vec![
            self.program.display().to_string(),
            "--db".into(),
            self.database.display().to_string(),
            "sync".into(),
            "--org".into(),
            self.tenant_id.clone(),
            "--scheduled".into(),
        ];
        if let Some(action) = self.deleted {
            args.push("--check-deleted".into());
            args.push("--deleted-action".into());
            args.push(action.word().into());
        }
        args
    }
}

/// The name of the schedule of `tenant_id` on `database` (absolute).
pub fn name(tenant_id: &str, database: &Path) -> String {
    format!(
        "aadsync-sync-{}-{:08x}",
        tenant_id.to_ascii_lowercase(),
        fnv1a(database.display().to_string().as_bytes()) as u32
    )
}

/// FNV-1a (64-bit): a hash that stays the same across Rust versions, unlike std's.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, b| {
        (hash ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// What a scheduled run records as its starter: the administrator whose sign-in it uses,
/// marked as the schedule's.
pub fn started_by(upn: &str) -> String {
    format!("{upn} (schedule)")
}

/// Where scheduled runs append their output: the app's log folder.
fn log_file() -> Result<PathBuf, CliError> {
    let dir = dirs::data_dir()
        .map(|d| d.join(crate::APP_IDENTIFIER).join("logs"))
        .ok_or_else(|| "cannot find the user data directory for the log".to_owned())?;
    aadsync_store::private::own_dir(&dir)
        .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    Ok(dir.join("scheduled-sync.log"))
}

/// `aadsync schedule …`.
pub fn schedule(store: &Store, database: &Path, command: ScheduleCommand) -> CliResult {
    let dir = systemd::unit_dir()?;
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
                org,
                tenant_id: found.tenant_id.clone(),
                every,
                deleted: check_deleted.then_some(deleted_action),
                program: std::env::current_exe()
                    .map_err(|e| format!("cannot tell where aadsync is installed: {e}"))?,
                database: absolute(database)?,
            };
            let (service, timer) = systemd::units(&job, &found.display_name, &log_file()?);
            if print {
                say!(
                    "# {}.service\n{service}\n# {}.timer\n{timer}",
                    job.name(),
                    job.name()
                );
                return Ok(());
            }
            systemd::install(&dir, &job.name(), &service, &timer)?;
            say!(
                "Scheduled: {} is synchronized every {every} ({}.timer). Runs append to {}.",
                found.display_name,
                job.name(),
                log_file()?.display()
            );
            Ok(())
        }
        ScheduleCommand::List { json } => list(store, &dir, &absolute(database)?, json),
        ScheduleCommand::Remove { org } => {
            // An organization removed from aadsync can still have a schedule: its tenant ID
            // (as `schedule list` shows it) names it then.
            let (tenant, shown) = match crate::orgs::find(store, &org) {
                Ok(found) => (found.tenant_id, found.display_name),
                Err(_) => (org.trim().to_owned(), org.trim().to_owned()),
            };
            if systemd::uninstall(&dir, &name(&tenant, &absolute(database)?))? {
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
fn list(store: &Store, dir: &Path, database: &Path, json: bool) -> CliResult {
    let runs = store.reader().runs().map_err(CliError::failed)?;
    let orgs = store.reader().organizations().map_err(CliError::failed)?;
    let mut rows = Vec::new();
    for (name, timer) in systemd::installed(dir) {
        let Some((tenant, every, deleted)) = systemd::read_marker(&timer) else {
            continue;
        };
        if name != self::name(&tenant, database) {
            continue;
        }
        let org = orgs
            .iter()
            .find(|o| o.tenant_id.eq_ignore_ascii_case(&tenant))
            .map_or_else(|| tenant.clone(), |o| o.display_name.clone());
        // Newest first: the first scheduled run of this tenant is the last one.
        let last = runs.iter().find(|r| {
            r.tenant_id.eq_ignore_ascii_case(&tenant) && r.started_by.ends_with(" (schedule)")
        });
        rows.push(serde_json::json!({
            "name": name,
            "organization": org,
            "tenant_id": tenant,
            "every": every,
            "deleted_action": deleted,
            "last_run": last.map(|r| serde_json::json!({
                "id": r.id, "started_at": r.started_at, "status": r.status.to_string(),
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
        let last = match &row["last_run"] {
            serde_json::Value::Null => "no run yet".to_owned(),
            r => format!(
                "last run #{} at {}: {}",
                r["id"],
                r["started_at"].as_str().unwrap_or_default(),
                r["status"].as_str().unwrap_or_default()
            ),
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
