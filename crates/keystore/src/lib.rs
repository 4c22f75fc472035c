//! The OS keyring, as aadsync uses it: a reachability probe and redacting secret types.
//!
//! Refresh tokens are the only long-lived secrets aadsync keeps, and they live only here
//! (Secret Service on Linux, Keychain on macOS, Credential Manager on Windows). The platform
//! backend is chosen at compile time by target; there is deliberately no mock in this crate.

mod probe;
mod secret;
mod tokens;

pub use probe::{KeyringProbe, ProbeError, ProbeOptions, backend_name};
pub use secret::SecretString;
pub use tokens::{
    Backend, PART_UTF16_UNITS, PlatformKeyring, TokenError, TokenKey, TokenStore, split_utf16,
};

/// The keyring "service" under which every aadsync entry is stored.
pub const DEFAULT_SERVICE: &str = "aadsync";
