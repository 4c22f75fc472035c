//! The job files of the other platforms, checked by those platforms' own tools where they run
//! here: the launchd property list parsed by `plistutil` (libplist) and Python's `plistlib`
//! and round-tripped through the binary form; the Task Scheduler XML well-formed for
//! `xmllint` as UTF-16 with its byte order mark, its elements read back with XPath, and its
//! `Arguments` split by an implementation of the documented `CommandLineToArgvW` rules written
//! here (`argv.rs`), independent of the quoting under test.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod argv;
mod launchd;
mod task_scheduler;

use aadsync_ipc::DeletedAction;
use aadsync_schedule::Job;
use std::path::Path;
use std::process::Command;

/// A job whose paths hold everything that needs quoting somewhere.
fn job(program: &str, database: &str) -> Job {
    Job {
        tenant_id: "C1B4BB72-8DD9-4DC3-BC94-D6CBA1D4622C".into(),
        every: "6h".parse().unwrap(),
        deleted: Some(DeletedAction::Disable),
        program: program.into(),
        database: database.into(),
    }
}

/// Runs `program` (a Debian package's tool, named in the message) and returns its stdout.
fn tool(program: &str, package: &str, args: &[&std::ffi::OsStr]) -> String {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program} (Debian package {package}): {e}"));
    assert!(
        out.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write");
    path
}
