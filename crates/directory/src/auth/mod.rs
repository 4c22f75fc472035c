//! Signing an administrator in: the loopback redirect listener, PKCE authorization code and
//! device code flows, ID token validation, the administrator check, and the resulting session;
//! and, above the sign-in, admin consent to a multi-tenant application (`admin_consent`).

pub mod admin;
pub mod admin_consent;
pub mod code;
pub mod device;
pub mod id_token;
pub mod loopback;
pub mod permissions;
pub mod session;
pub mod signin;

pub use admin::{AdminError, AdminPolicy};
pub use admin_consent::{AdminConsent, AdminConsentError, Consented};
pub use code::{CodeFlow, CodeFlowError, EntraError, Tokens};
pub use device::{DeviceFlow, DeviceFlowError};
pub use id_token::{Expectations, IdTokenClaims, IdTokenError, Jwks};
pub use loopback::{AuthorizationResponse, LoopbackError, LoopbackListener, RedirectResponse};
pub use session::{Session, SessionError};
pub use signin::{
    Account, DeviceSignIn, Interactive, SignInError, SignedIn, TenantInfo, open_browser,
};
