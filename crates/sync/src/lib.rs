//! aadsync's use cases on top of `directory` (Entra ID, Graph), `store` (SQLite) and `keystore`
//! (OS keyring), shared by the desktop app and the CLI so both behave the same.
//!
//! `orgs` connects organizations: sign-in is saved only when everything succeeded, a stored
//! organization resumes silently, removal deletes its keyring entries and keeps imported users;
//! `signin` is the interactive sign-in both front ends drive; `publisher` is the client ID of
//! the publisher's multi-tenant application that "Add the aadsync application to my tenant"
//! consents to (a default, or `AADSYNC_PUBLISHER_CLIENT_ID`). `demo` runs the offline demo
//! tenant inside the process (feature `demo`). `run` is one synchronization as both front ends
//! run it: `plan_run` (read with `read`/`fetch`, scope with `scope`, plan with `store::plan`),
//! the administrator's `Decisions`, and `apply` (`write`: snapshot, one transaction, Cancel);
//! `engine` re-exports the steps and their vocabulary. `clock` is where decisions take the time
//! from. `deleted` sorts what Entra ID no longer has (the "Check deleted objects" triage, pure;
//! `check` reads for it). `freshness` says how long ago an organization synchronized and
//! whether its next sync can be incremental. `registration` is the registration check, pure:
//! what Graph shows of an app registration → what each feature lacks, with the fix;
//! `registration_check` runs it for a stored organization (saved sign-in → Graph reads →
//! findings), the one function the CLI and the app call. `register` is the automatic
//! registration: a bootstrap sign-in with the publisher's application, what Graph shows →
//! a pure plan (the preview) → apply, then the usual sign-in with the new client ID.

mod check;
pub mod clock;
mod convert;
pub mod deleted;
pub mod demo;
pub mod engine;
mod fetch;
pub mod freshness;
mod gathered;
mod model;
pub mod orgs;
pub mod publisher;
pub mod read;
pub mod register;
pub mod registration;
pub mod registration_check;
pub mod run;
pub mod scope;
pub mod signin;
pub mod write;

pub use orgs::{CloudChoice, Connected, NewOrganizationInput, OrgError, Prepared, stored_cloud};
