//! Why the emulator could not start, or could not do what its Rust API was asked.

use std::net::SocketAddr;

/// Why the emulator could not start.
#[derive(Debug, thiserror::Error)]
pub enum EmulatorError {
    #[error("the tenant is invalid: {0}")]
    InvalidTenant(String),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("the token signing key is unusable: {0}")]
    Keys(String),
    #[error("cannot set up TLS: {0}")]
    Tls(String),
    #[error("no user {0:?} in the tenant")]
    UnknownUser(String),
}
