//! This platform's backend behind [`super::Scheduler`]: the one place that chooses by
//! `cfg(target_os)`. Each has the same five functions; the generators they call are
//! compiled everywhere.

#[cfg(not(any(target_os = "macos", windows)))]
pub use self::systemd_user::*;

#[cfg(target_os = "macos")]
pub use self::launchd_agent::*;

#[cfg(windows)]
pub use self::task::*;

#[cfg(not(any(target_os = "macos", windows)))]
mod systemd_user {
    use crate::{Job, Result, systemd};
    use std::path::{Path, PathBuf};

    pub fn dir() -> Result<PathBuf> {
        systemd::unit_dir()
    }

    pub fn files(job: &Job, org_name: &str, log: &Path) -> Vec<(String, String)> {
        let (service, timer) = systemd::units(job, org_name, log);
        let name = job.name();
        vec![
            (format!("{name}.service"), service),
            (format!("{name}.timer"), timer),
        ]
    }

    pub fn install(dir: &Path, job: &Job, org_name: &str, log: &Path) -> Result<()> {
        let (service, timer) = systemd::units(job, org_name, log);
        systemd::install(dir, &job.name(), &service, &timer)
    }

    pub fn remove(dir: &Path, name: &str) -> Result<bool> {
        systemd::uninstall(dir, name)
    }

    pub fn installed(dir: &Path) -> Vec<(String, String)> {
        systemd::installed(dir)
    }
}

#[cfg(target_os = "macos")]
mod launchd_agent {
    use crate::{Job, Result, launchd};
    use std::path::{Path, PathBuf};

    pub fn dir() -> Result<PathBuf> {
        launchd::agent_dir()
    }

    pub fn files(job: &Job, _org_name: &str, log: &Path) -> Vec<(String, String)> {
        vec![(
            format!("{}.plist", launchd::label(&job.name())),
            launchd::plist(job, log),
        )]
    }

    pub fn install(dir: &Path, job: &Job, _org_name: &str, log: &Path) -> Result<()> {
        launchd::install(dir, &job.name(), &launchd::plist(job, log))
    }

    pub fn remove(dir: &Path, name: &str) -> Result<bool> {
        launchd::uninstall(dir, name)
    }

    pub fn installed(dir: &Path) -> Vec<(String, String)> {
        launchd::installed(dir)
    }
}

#[cfg(windows)]
mod task {
    use crate::{Job, Result, task_scheduler};
    use std::path::{Path, PathBuf};
    use std::time::SystemTime;

    /// Task Scheduler keeps its tasks itself: no folder of ours.
    pub fn dir() -> Result<PathBuf> {
        Ok(PathBuf::new())
    }

    fn xml(job: &Job, org_name: &str, log: &Path) -> String {
        let start = task_scheduler::first_start(SystemTime::now());
        let user = match (std::env::var("USERDOMAIN"), std::env::var("USERNAME")) {
            (Ok(domain), Ok(name)) => Some(format!("{domain}\\{name}")),
            _ => None,
        };
        task_scheduler::task_xml(job, org_name, log, start, user.as_deref())
    }

    pub fn files(job: &Job, org_name: &str, log: &Path) -> Vec<(String, String)> {
        vec![(format!("{}.xml", job.name()), xml(job, org_name, log))]
    }

    pub fn install(_dir: &Path, job: &Job, org_name: &str, log: &Path) -> Result<()> {
        task_scheduler::install(&job.name(), &xml(job, org_name, log))
    }

    pub fn remove(_dir: &Path, name: &str) -> Result<bool> {
        task_scheduler::uninstall(name)
    }

    pub fn installed(_dir: &Path) -> Vec<(String, String)> {
        task_scheduler::installed()
    }
}
