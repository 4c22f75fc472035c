//! Runs one test again as a child process inside an isolated session.
//!
//! Libraries such as `keyring` find the session bus through the environment, which a test cannot
//! change in-process (`set_var` is unsafe and the workspace forbids unsafe code). A test calls
//! [`in_session`] first: in the parent it starts a session, re-runs itself inside it and checks
//! that the child passed; in the child it returns true and the test does the real work.

use crate::{Desktop, DesktopOptions, KeyringMode};
use std::process::Command;

const CHILD: &str = "AADSYNC_TESTENV_CHILD";

/// True in the child (do the work); false in the parent, after the child passed.
///
/// # Panics
/// In the parent, when the session cannot start or the child test fails: that is the test's
/// failure report.
#[allow(clippy::panic)]
pub fn in_session(test: &str, keyring: KeyringMode) -> bool {
    if std::env::var_os(CHILD).is_some() {
        return true;
    }
    let desktop = match Desktop::start(&DesktopOptions {
        display: false,
        keyring,
        ..DesktopOptions::default()
    }) {
        Ok(d) => d,
        Err(e) => panic!(
            "cannot start an isolated session ({e}); `cargo xtask setup` installs dbus and gnome-keyring"
        ),
    };
    let exe = match std::env::current_exe() {
        Ok(exe) => exe,
        Err(e) => panic!("cannot find the test binary: {e}"),
    };
    let mut command = Command::new(exe);
    command
        .args(["--exact", test, "--nocapture", "--test-threads=1"])
        .env(CHILD, "1");
    desktop.apply(&mut command);
    let output = match command.output() {
        Ok(o) => o,
        Err(e) => panic!("cannot run the child test: {e}"),
    };
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !(output.status.success() && stdout.contains("1 passed")) {
        panic!(
            "the test failed inside the isolated session:\n{stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    false
}

const UMASK_CHILD: &str = "AADSYNC_TESTENV_UMASK_022";

/// Like [`in_session`], for file modes: true in a copy of the test binary started under
/// umask 022 (a test cannot set its own umask without unsafe code); false in the parent, after
/// that child passed exactly this test.
///
/// # Panics
/// In the parent, when the child cannot run or its test fails.
#[allow(clippy::panic)]
pub fn under_umask_022(test: &str) -> bool {
    if std::env::var_os(UMASK_CHILD).is_some() {
        return true;
    }
    let exe = match std::env::current_exe() {
        Ok(exe) => exe,
        Err(e) => panic!("cannot find the test binary: {e}"),
    };
    let output = Command::new("sh")
        .args([
            "-c",
            "umask 022 && exec \"$0\" --exact \"$1\" --nocapture --test-threads=1",
        ])
        .arg(exe)
        .arg(test)
        .env(UMASK_CHILD, "1")
        .output();
    let output = match output {
        Ok(o) => o,
        Err(e) => panic!("cannot run the child test: {e}"),
    };
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !(output.status.success() && stdout.contains("1 passed")) {
        panic!(
            "the test failed under umask 022:\n{stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    false
}
