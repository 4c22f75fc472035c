//! Isolated desktop environments for tests: a display, a session bus, a keyring, XDG dirs.
//!
//! Every test that needs the desktop gets its own Xvfb display, its own D-Bus session bus
//! (without service activation, so nothing starts behind the test's back), optionally its own
//! gnome-keyring unlocked with a throwaway password, and fresh `XDG_*` directories. Nothing
//! touches the developer's home, keyring or display. Children are stopped with SIGTERM on
//! drop, so daemons that clean up after themselves (tauri-driver) get the chance to.

mod process;
mod session;
mod wait;

mod rerun;
pub use process::{ChildGuard, terminate};
pub use rerun::in_session;
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

/// Finds a free TCP port on 127.0.0.1 by binding port 0 and releasing it.
pub fn free_port() -> Result<u16, EnvError> {
    std::net::TcpListener::bind(("127.0.0.1", 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|source| EnvError::Io {
            what: "reserving a loopback port".into(),
            source,
        })
}
