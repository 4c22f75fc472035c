//! Isolated desktop environments for tests: a display, a session bus, a keyring, XDG dirs.
//!
//! Every test that needs the desktop gets its own Xvfb display, its own D-Bus session bus
//! (without service activation, so nothing starts behind the test's back), optionally its own
//! gnome-keyring unlocked with a throwaway password, and fresh `XDG_*` directories. Nothing
//! touches the developer's home, keyring or display. Children are stopped with SIGTERM on
//! drop, so daemons that clean up after themselves (tauri-driver) get the chance to.

pub mod db;
mod process;
mod session;
mod wait;

mod rerun;
pub use process::{ChildGuard, terminate};
pub use rerun::{in_session, under_umask_022};
pub use session::{Desktop, DesktopOptions, KeyringMode};
pub use wait::{WaitError, wait_until};

/// Failure to set up a piece of the test environment, with the tool that is missing or broken.
#[derive(Debug, thiserror::Error)]
pub enum EnvError {
    #[error(
        "{tool} is not installed or not on PATH ({source}); run `cargo xtask test`, which installs it"
    )]
    MissingTool {
        tool: &'static str,
        source: std::io::Error,
    },
    #[error("{what}: {source}")]
    Io {
        what: String,
        source: std::io::Error,
    },
    #[error("{what} did not become ready: {detail}")]
    NotReady { what: String, detail: String },
}

/// `N` distinct free TCP ports on 127.0.0.1: all are bound at once (so no two are the same)
/// and released together. Another process can still take one before the caller binds it, so a
/// caller that hands them to a child process must retry with new ports when the child cannot
/// listen (as the end-to-end tests do for tauri-driver).
pub fn free_ports<const N: usize>() -> Result<[u16; N], EnvError> {
    let io = |source| EnvError::Io {
        what: "reserving a loopback port".into(),
        source,
    };
    let listeners = (0..N)
        .map(|_| std::net::TcpListener::bind(("127.0.0.1", 0)))
        .collect::<std::io::Result<Vec<_>>>()
        .map_err(io)?;
    let mut ports = [0; N];
    for (port, listener) in ports.iter_mut().zip(&listeners) {
        *port = listener.local_addr().map_err(io)?.port();
    }
    Ok(ports)
}
