//! The OS trust store, changed the way an administrator changes it on Debian: a CA file in
//! `/usr/local/share/ca-certificates/` and `update-ca-certificates`. The HTTPS sign-in test
//! hands the emulator's CA to the app this way and no other.
//!
//! Needs root or passwordless `sudo` (CI runs as root; `cargo xtask setup` installs the
//! `ca-certificates` package). Each CA gets a file name of its own, and the guard takes it out
//! again, so tests of other runs on the same computer are not affected.

use super::Result;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

const LOCAL_CA_DIR: &str = "/usr/local/share/ca-certificates";
/// `update-ca-certificates` writes its bundle through one fixed temporary file: two runs at
/// once would interleave, so every run here takes this lock.
const LOCK: &str = "/tmp/aadsync-e2e-update-ca-certificates.lock";

/// A CA in the OS trust store until dropped.
#[derive(Debug)]
pub struct InstalledCa {
    path: PathBuf,
}

impl InstalledCa {
    /// Installs `pem` under a unique name and rebuilds the system bundle.
    pub fn install(pem: &str) -> Result<Self> {
        let unique = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        let name = format!("aadsync-e2e-{}-{unique}.crt", std::process::id());
        let staged = tempfile::NamedTempFile::new()?;
        std::fs::write(staged.path(), pem)?;
        let path = Path::new(LOCAL_CA_DIR).join(name);
        let guard = Self { path };
        privileged(&[
            "install".as_ref(),
            "-D".as_ref(),
            "-m".as_ref(),
            "0644".as_ref(),
            staged.path().as_os_str(),
            guard.path.as_os_str(),
        ])?;
        update_bundle(false)?;
        Ok(guard)
    }
}

impl Drop for InstalledCa {
    fn drop(&mut self) {
        let removed = privileged(&["rm".as_ref(), "-f".as_ref(), self.path.as_os_str()])
            .and_then(|()| update_bundle(true));
        if let Err(e) = removed {
            eprintln!(
                "could not take {} out of the OS trust store: {e}",
                self.path.display()
            );
        }
    }
}

/// Rebuilds the bundle and the hashed links. A removal needs `--fresh`: without it the
/// script drops the certificate from the bundle but leaves its links in `/etc/ssl/certs`.
fn update_bundle(fresh: bool) -> Result {
    let mut args: Vec<&std::ffi::OsStr> = vec![
        "flock".as_ref(),
        LOCK.as_ref(),
        "update-ca-certificates".as_ref(),
    ];
    if fresh {
        args.push("--fresh".as_ref());
    }
    privileged(&args)
}

/// Runs `args` as root: directly when this is root, else through `sudo -n`.
fn privileged(args: &[&std::ffi::OsStr]) -> Result {
    let is_root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    let mut command = if is_root {
        let mut c = Command::new(args[0]);
        c.args(&args[1..]);
        c
    } else {
        let mut c = Command::new("sudo");
        c.arg("-n").args(args);
        c
    };
    let output = command.output().map_err(|e| {
        format!("cannot run {:?} ({e}); the HTTPS test changes the OS trust store and needs root or passwordless sudo", args[0])
    })?;
    if !output.status.success() {
        return Err(format!(
            "{:?} failed ({}): {}; the HTTPS test changes the OS trust store and needs root or passwordless sudo",
            args,
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        )
        .into());
    }
    Ok(())
}
