//! Application-level commands: status and diagnostics shown in the About dialog.

use crate::{Command, NoArgs};
use serde::{Deserialize, Serialize};

/// Reports the app version, where its data lives and whether the OS keyring works.
#[derive(Debug)]
pub enum AppStatus {}

impl Command for AppStatus {
    const NAME: &'static str = "app_status";
    type Args = NoArgs;
    type Output = AppStatusInfo;
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppStatusInfo {
    /// The application version (`CARGO_PKG_VERSION` of the desktop crate).
    pub version: String,
    /// The git commit the app was built from ([`crate::BUILD_COMMIT`]).
    pub build: String,
    /// Absolute path of the SQLite database file the app uses.
    pub database_path: String,
    /// Directory where the rolling log files are written.
    pub log_dir: String,
    /// Result of a write/read/delete round trip through the OS keyring.
    pub keyring: KeyringState,
}

/// The outcome of the keyring round trip.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum KeyringState {
    /// A secret was stored, read back identical and deleted.
    Available {
        /// Which platform store answered, e.g. "Secret Service".
        backend: String,
    },
    /// The keyring could not be used; `message` tells the admin what to do.
    Unavailable { message: String },
}
