//! Signing an administrator in: the loopback redirect listener (more pieces follow: PKCE
//! authorization code exchange, device code, ID token validation, the admin check).

pub mod admin;
pub mod code;
pub mod device;
pub mod id_token;
pub mod loopback;

pub use admin::{AdminError, AdminPolicy};
pub use code::{CodeFlow, CodeFlowError, EntraError, Tokens};
pub use device::{DeviceFlow, DeviceFlowError};
pub use id_token::{Expectations, IdTokenClaims, IdTokenError, Jwks};
pub use loopback::{AuthorizationResponse, LoopbackError, LoopbackListener};
