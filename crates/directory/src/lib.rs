//! The Microsoft Entra ID and Microsoft Graph client of aadsync (no Tauri, no UI).
//!
//! `ids` and `cloud` turn what an admin types into validated values before any network call;
//! `target` is where one organization signs in and reads Graph, with the one HTTP client and
//! the `clock` every time-dependent decision asks (its time limits, and `body`'s size caps on
//! every answer); `paging` checks every `@odata.nextLink` before it is followed; `auth` signs an administrator in and keeps
//! the session's tokens fresh; `graph` reads users, groups and members with paging, batching
//! and retries. The same code talks to a real tenant and to `aadsync-emulator`; only the base
//! URLs differ. `net` makes that client trust the OS trust store and follow the OS proxy
//! settings (never for loopback), and words a refused certificate for the admin.
//!
//! The modules form layers, each using only those below it: `ids`, `cloud`, `clock`, `net` → `body` →
//! `target`, `paging` → `auth` (the flows and checks → `session` → `signin` →
//! `admin_consent`) → `graph`.

pub mod auth;
pub mod body;
pub mod clock;
pub mod cloud;
pub mod graph;
pub mod ids;
pub mod net;
pub mod paging;
pub mod target;

pub use clock::{Clock, FixedClock, SystemClock};
pub use cloud::{Cloud, EndpointError, Endpoints};
pub use ids::{ClientId, IdError, TenantRef};
pub use target::{HttpLimits, Target, TargetError};
