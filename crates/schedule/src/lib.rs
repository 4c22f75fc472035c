//! Scheduled synchronization: the OS-native job that runs `aadsync sync` for one organization
//! with its saved scope and stored sign-in, unattended. Linux: a systemd user timer; macOS: a
//! launchd user agent; Windows: a Task Scheduler task. The job's files are generated here
//! (pure, [`Job`] → text, compiled and tested on every platform) and installed, listed and
//! removed through [`Scheduler`], the same code for `aadsync schedule` and the desktop app;
//! only that last step picks the platform's backend.

pub mod every;
pub mod launchd;
pub mod marker;
mod native;
pub mod systemd;
pub mod task_scheduler;
pub mod utc;

use aadsync_ipc::DeletedAction;
use every::Every;
use std::path::{Path, PathBuf};

/// The folder, under the user data directory, the desktop app and the CLI share.
pub const APP_IDENTIFIER: &str = "com.aadsync.desktop";

/// What a scheduled run appends to its `started_by`: `aadsync runs` and the app tell
/// schedules from administrators by it.
pub const STARTED_BY_SCHEDULE: &str = " (schedule)";

#[derive(Debug, thiserror::Error)]
pub enum ScheduleError {
    #[error("cannot find the user's {0} folder")]
    NoFolder(&'static str),
    #[error("cannot write to {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot run {program}: {source}")]
    Spawn {
        program: &'static str,
        source: std::io::Error,
    },
    #[error(
        "`systemctl --user {args}` failed: {stderr}. A schedule needs the user's systemd \
         instance: log in graphically or over SSH, or on a server run `loginctl enable-linger \
         $USER` once"
    )]
    Systemctl { args: String, stderr: String },
    #[error(
        "cannot find the aadsync command-line program (a schedule runs it): it is neither next \
         to this app nor on PATH. Install the aadsync package, which contains both, or from \
         source build it with `cargo build -p aadsync-cli`"
    )]
    NoCli,
    #[error(
        "`launchctl {args}` failed: {stderr}. A schedule is a launchd agent of the logged-in \
         user: add it from the user's own session (not over SSH or with sudo)"
    )]
    Launchctl { args: String, stderr: String },
    #[error(
        "`schtasks {args}` failed: {stderr}. A schedule is a Task Scheduler task of the \
         logged-in user: add it from the user's own session, without elevation"
    )]
    Schtasks { args: String, stderr: String },
}

pub type Result<T> = std::result::Result<T, ScheduleError>;

/// One scheduled synchronization, as it was asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    /// The job's name is made from the tenant ID, which never changes.
    pub tenant_id: String,
    pub every: Every,
    /// `--check-deleted --deleted-action …` for the scheduled runs; the deletion safeguard
    /// applies (no `--allow-mass-delete` is ever scheduled).
    pub deleted: Option<DeletedAction>,
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
            args.push(word(action).into());
        }
        args
    }

    /// The command line the OS job runs: [`command_line`](Self::command_line) with
    /// `--log <log>`, so that the run appends its output to the log file itself, the same way
    /// on every platform (Task Scheduler redirects nothing).
    pub fn scheduled_command(&self, log: &Path) -> Vec<String> {
        let mut args = self.command_line();
        args.splice(3..3, ["--log".to_owned(), log.display().to_string()]);
        args
    }
}

/// The command-line word of a deleted-objects action.
pub fn word(action: DeletedAction) -> &'static str {
    match action {
        DeletedAction::Keep => "keep",
        DeletedAction::Disable => "disable",
        DeletedAction::Delete => "delete",
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
    format!("{upn}{STARTED_BY_SCHEDULE}")
}

/// Whether a run's `started_by` is a schedule's.
pub fn by_schedule(started_by: &str) -> bool {
    started_by.ends_with(STARTED_BY_SCHEDULE)
}

/// Where scheduled runs append their output: the app's log folder (created, owner-only).
pub fn log_file() -> Result<PathBuf> {
    let dir = dirs::data_dir()
        .map(|d| d.join(APP_IDENTIFIER).join("logs"))
        .ok_or(ScheduleError::NoFolder("data"))?;
    aadsync_store::private::own_dir(&dir).map_err(|source| ScheduleError::Io {
        path: dir.clone(),
        source,
    })?;
    Ok(dir.join("scheduled-sync.log"))
}

/// An installed schedule, as read back from its job files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Installed {
    pub name: String,
    pub tenant_id: String,
    /// As it was given (`6h`).
    pub every: String,
    /// `keep`, `disable`, `delete`, or `none` without Check deleted objects.
    pub deleted: String,
}

/// The user's scheduled jobs on this system: systemd user units on Linux (and any other
/// Unix), launchd agents on macOS, Task Scheduler tasks on Windows.
#[derive(Debug, Clone)]
pub struct Scheduler {
    /// Where the job files live (unused on Windows: the scheduler keeps its tasks).
    dir: PathBuf,
}

impl Scheduler {
    /// The current user's jobs (`~/.config/systemd/user`, `~/Library/LaunchAgents`, or the
    /// Task Scheduler's root folder).
    pub fn for_user() -> Result<Self> {
        Ok(Self {
            dir: native::dir()?,
        })
    }

    /// The job files of `job`, by file name, as [`install`](Self::install) writes them.
    pub fn files(&self, job: &Job, org_name: &str, log: &Path) -> Vec<(String, String)> {
        native::files(job, org_name, log)
    }

    /// Installs and enables `job`; on any failure the files are as they were (an earlier
    /// schedule of the same name stays, a new one is not left behind).
    pub fn install(&self, job: &Job, org_name: &str, log: &Path) -> Result<()> {
        native::install(&self.dir, job, org_name, log)
    }

    /// Removes the schedule of `tenant_id` on `database`. `Ok(false)`: there was none.
    pub fn remove(&self, tenant_id: &str, database: &Path) -> Result<bool> {
        native::remove(&self.dir, &name(tenant_id, database))
    }

    /// The schedules of `database` (absolute): a schedule names its database in its name.
    pub fn list(&self, database: &Path) -> Vec<Installed> {
        native::installed(&self.dir)
            .into_iter()
            .filter_map(|(job_name, text)| {
                let (tenant_id, every, deleted) = marker::read(&text)?;
                (job_name == name(&tenant_id, database)).then_some(Installed {
                    name: job_name,
                    tenant_id,
                    every,
                    deleted,
                })
            })
            .collect()
    }
}

/// The deleted-objects action a listed schedule's word names (`none`: not checked).
pub fn action_of(word: &str) -> Option<DeletedAction> {
    [
        DeletedAction::Keep,
        DeletedAction::Disable,
        DeletedAction::Delete,
    ]
    .into_iter()
    .find(|a| self::word(*a) == word)
}

/// The file name of the command-line program a job runs.
pub const CLI_FILE: &str = if cfg!(windows) {
    "aadsync.exe"
} else {
    "aadsync"
};

/// The `aadsync` program a schedule the desktop app installs runs: the one next to `beside`
/// (the desktop binary: the packages install both in one folder, and a development build
/// has both in `target/debug`), else the first on `path` (`PATH`'s value).
pub fn cli_program(beside: &Path, path: Option<&std::ffi::OsStr>) -> Result<PathBuf> {
    let next_to = beside.parent().map(|dir| dir.join(CLI_FILE));
    let on_path = path
        .into_iter()
        .flat_map(std::env::split_paths)
        .filter(|dir| dir.is_absolute())
        .map(|dir| dir.join(CLI_FILE));
    next_to
        .into_iter()
        .chain(on_path)
        .find(|candidate| candidate.is_file())
        .ok_or(ScheduleError::NoCli)
}

#[cfg(test)]
mod program_tests {
    use super::*;

    #[test]
    fn the_cli_beside_the_app_comes_first_then_path_then_a_clear_error() {
        let dir = tempfile::tempdir().expect("dir");
        let app_dir = dir.path().join("app");
        let bin = dir.path().join("bin");
        std::fs::create_dir_all(&app_dir).expect("app");
        std::fs::create_dir_all(&bin).expect("bin");
        let app = app_dir.join("aadsync-desktop");
        let path = std::env::join_paths([Path::new("relative"), &bin]).expect("path");
        let find = || cli_program(&app, Some(&path));
        assert!(
            matches!(find(), Err(ScheduleError::NoCli)),
            "nowhere: {:?}",
            find()
        );
        std::fs::write(bin.join(CLI_FILE), "").expect("on PATH");
        assert_eq!(find().ok(), Some(bin.join(CLI_FILE)));
        std::fs::write(app_dir.join(CLI_FILE), "").expect("beside");
        assert_eq!(find().ok(), Some(app_dir.join(CLI_FILE)));
    }

    #[test]
    fn listed_words_name_their_actions() {
        for action in [
            DeletedAction::Keep,
            DeletedAction::Disable,
            DeletedAction::Delete,
        ] {
            assert_eq!(action_of(word(action)), Some(action));
        }
        assert_eq!(action_of("none"), None);
    }
}
