//! The OS keyring, as aadsync uses it: a reachability probe and redacting secret types.
//!
//! Refresh tokens are the only long-lived secrets aadsync keeps, and they live only here
//! (Secret Service on Linux, Keychain on macOS, Credential Manager on Windows). The platform
//! backend is chosen at compile time by target; there is deliberately no mock in this crate.

mod probe;
mod secret;

pub use probe::{KeyringProbe, ProbeError, ProbeOptions, backend_name};
pub use secret::SecretString;

/// The keyring "service" under which every aadsync entry is stored.
pub const DEFAULT_SERVICE: &str = "aadsync";
