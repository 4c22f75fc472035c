//! A write/read/delete round trip that proves the OS keyring really works.
//!
//! "The crate compiled" is not evidence: keyring without platform features, a session without
//! a Secret Service, or a locked collection all look fine until a token has to be saved. The
//! probe stores a throwaway secret, reads it back, compares and deletes it, with a timeout,
//! because a locked keyring may pop up an unlock prompt that blocks the calling thread.

use crate::SecretString;
use std::sync::mpsc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Name of the platform store this build talks to.
pub fn backend_name() -> &'static str {
    if cfg!(target_os = "linux") {
        "Secret Service"
    } else if cfg!(target_os = "macos") {
        "macOS Keychain"
    } else if cfg!(windows) {
        "Windows Credential Manager"
    } else {
        "platform keyring"
    }
}

/// Why the keyring cannot be used, phrased for the admin.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ProbeError {
    #[error(
        "No keyring service is running ({detail}). Start one in your desktop session (GNOME Keyring, KWallet or KeePassXC with Secret Service enabled) and restart aadsync"
    )]
    NoService { detail: String },
    #[error(
        "The keyring is locked or has no default collection. Unlock it (for example in Seahorse, \"Passwords and Keys\") and try again"
    )]
    Locked,
    #[error(
        "The keyring did not answer within {seconds} s. An unlock prompt may be waiting on your desktop: answer it and try again"
    )]
    TimedOut { seconds: u64 },
    #[error(
        "The keyring returned a different secret than was stored; it cannot be trusted with sign-in tokens"
    )]
    Mismatch,
    #[error("The keyring refused the request: {detail}")]
    Other { detail: String },
}

/// Options for [`KeyringProbe::run`].
#[derive(Debug, Clone)]
pub struct ProbeOptions {
    /// Keyring service name; entries are created and removed under it.
    pub service: String,
    /// How long to wait for the platform store before reporting [`ProbeError::TimedOut`].
    pub timeout: Duration,
}

impl Default for ProbeOptions {
    fn default() -> Self {
        Self {
            service: crate::DEFAULT_SERVICE.to_owned(),
            timeout: Duration::from_secs(10),
        }
    }
}

/// Runs the keyring round trip.
#[derive(Debug, Default)]
pub struct KeyringProbe {
    options: ProbeOptions,
}

impl KeyringProbe {
    pub fn new(options: ProbeOptions) -> Self {
        Self { options }
    }

    /// Stores, reads back and deletes a throwaway secret. Blocks for at most the timeout.
    pub fn run(&self) -> Result<(), ProbeError> {
        let (tx, rx) = mpsc::channel();
        let service = self.options.service.clone();
        // The platform call may block on an unlock prompt; it runs on its own thread so the
        // caller gets an answer on time. A thread stuck on a prompt ends when the prompt does.
        let spawned = std::thread::Builder::new()
            .name("keyring-probe".into())
            .spawn(move || {
                let _ = tx.send(round_trip(&service));
            });
        if let Err(err) = spawned {
            return Err(ProbeError::Other {
                detail: format!("could not start the probe thread: {err}"),
            });
        }
        match rx.recv_timeout(self.options.timeout) {
            Ok(result) => result,
            Err(_) => Err(ProbeError::TimedOut {
                seconds: self.options.timeout.as_secs(),
            }),
        }
    }
}

fn round_trip(service: &str) -> Result<(), ProbeError> {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let user = format!("keyring-probe-{}-{nanos}", std::process::id());
    let secret = SecretString::new(format!("probe-{nanos:x}"));

    let entry = keyring::Entry::new(service, &user).map_err(classify)?;
    entry.set_password(secret.expose()).map_err(classify)?;
    let read = entry.get_password().map(SecretString::new);
    // Delete even when the read failed, so a half-working keyring does not collect probes.
    let deleted = entry.delete_credential();
    let read = read.map_err(classify)?;
    deleted.map_err(classify)?;
    if read != secret {
        return Err(ProbeError::Mismatch);
    }
    tracing::debug!(backend = backend_name(), "keyring round trip succeeded");
    Ok(())
}

pub(crate) fn classify(err: keyring::Error) -> ProbeError {
    match err {
        keyring::Error::NoStorageAccess(_) => ProbeError::Locked,
        keyring::Error::PlatformFailure(inner) => ProbeError::NoService {
            detail: first_line(&inner.to_string()),
        },
        other => ProbeError::Other {
            detail: first_line(&other.to_string()),
        },
    }
}

fn first_line(text: &str) -> String {
    let line = text.lines().next().unwrap_or_default().trim();
    let mut out: String = line.chars().take(200).collect();
    if out.len() < line.len() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_say_what_to_do() {
        for err in [
            ProbeError::NoService {
                detail: "dbus".into(),
            },
            ProbeError::Locked,
            ProbeError::TimedOut { seconds: 10 },
        ] {
            let text = err.to_string();
            assert!(!text.ends_with('.'), "{text}");
            assert!(
                text.contains("Start") || text.contains("Unlock") || text.contains("answer it"),
                "{text}"
            );
        }
    }

    #[test]
    fn first_line_is_bounded() {
        let long = "x".repeat(500) + "\nsecond";
        let line = first_line(&long);
        assert_eq!(line.chars().count(), 201);
        assert!(!line.contains("second"));
    }
}
