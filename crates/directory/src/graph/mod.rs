//! Microsoft Graph reads for synchronization: users and groups page by page (streamed to the
//! caller), `$search`, group members through `$batch`, users by ID through `$batch`, and
//! change tracking (`delta`); and, for the registration check, the app registration as Graph
//! shows it (`apps`: application object, service principals, admin consent).
//!
//! Every call goes through [`GraphClient`], which retries what is worth retrying. Nothing here
//! issues one request per object when a paged or batched call exists.

mod apps;
mod batch;
mod client;
mod collections;
pub mod delta;
mod model;
pub mod pace;
mod page;
mod recycle_bin;
pub mod retry;

pub use apps::{
    ApplicationObject, GrantObject, MICROSOFT_GRAPH_APP_ID, NamedApplication,
    ServicePrincipalObject,
};
pub use batch::{
    BATCH_SIZE, Expansion, MEMBER_BATCHES_IN_FLIGHT, UsersById, batch_error, members_refused,
};
pub use client::{DEFAULT_CONCURRENCY, GRAPH_REQUEST_TIMEOUT, GraphClient, GraphError, Stats};
pub use collections::{PAGE_SIZE, search_clause};
pub use delta::{DELTA_WINDOW_SECONDS, DeltaKind, DeltaRound, GroupChange, RemovedObject, Stale};
pub use model::{GROUP_SELECT, RemoteGroup, RemoteUser, USER_SELECT};
pub use recycle_bin::parse_iso_seconds;
