//! aadsync's use cases on top of `directory` (Entra ID, Graph), `store` (SQLite) and `keystore`
//! (OS keyring), shared by the desktop app and the CLI so both behave the same.
//!
//! `orgs` connects organizations: sign-in is saved only when everything succeeded, a stored
//! organization resumes silently, removal deletes its keyring entries and keeps imported users.
//! `demo` runs the offline demo tenant inside the process. `engine` reads what a selection
//! needs from Graph, previews the pure plan and applies it after a snapshot. `deleted` sorts
//! what Entra ID no longer has (the "Check deleted objects" triage, pure). `freshness` says how
//! long ago an organization synchronized and whether its next sync can be incremental.

pub mod deleted;
pub mod demo;
pub mod engine;
pub mod freshness;
pub mod orgs;

pub use orgs::{CloudChoice, Connected, NewOrganizationInput, OrgError, Prepared};
