//! Child processes that are stopped politely (SIGTERM, then SIGKILL) when dropped.

use std::process::{Child, Command};
use std::time::Duration;

/// Sends SIGTERM to `pid` through kill(1): std can only SIGKILL, and some daemons
/// (tauri-driver stopping WebKitWebDriver) clean up only on SIGTERM.
pub fn terminate(pid: u32) {
    let _ = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status();
}

/// Owns a child process for the lifetime of a test fixture.
#[derive(Debug)]
pub struct ChildGuard {
    name: String,
    child: Option<Child>,
}

impl ChildGuard {
    pub fn new(name: impl Into<String>, child: Child) -> Self {
        Self {
            name: name.into(),
            child: Some(child),
        }
    }

    pub fn id(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// True while the process has not exited.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.as_mut().map(Child::try_wait), Some(Ok(None)))
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// SIGTERM, wait up to 5 s, then SIGKILL.
    pub fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        terminate(child.id());
        let exited = crate::wait_until(&self.name, Duration::from_secs(5), || {
            matches!(child.try_wait(), Ok(Some(_))).then_some(())
        });
        if exited.is_err() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        self.stop();
    }
}
