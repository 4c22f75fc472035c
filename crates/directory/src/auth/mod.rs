//! Signing an administrator in: the loopback redirect listener (more pieces follow: PKCE
//! authorization code exchange, device code, ID token validation, the admin check).

pub mod loopback;

pub use loopback::{AuthorizationResponse, LoopbackError, LoopbackListener};
