//! A synchronization run, step by step: read from Graph what the selection needs (plus
//! everything imported earlier from the tenant, so its attributes and memberships stay current;
//! [`crate::read`]), plan it purely (`store::plan`), then snapshot the database and apply the
//! plan in one transaction ([`crate::write`]). [`crate::run`] puts the steps together the way
//! the app and the CLI run them. This module is the steps' public surface: it only re-exports
//! them and their vocabulary (`model`).

pub use crate::convert::{to_directory_group, to_directory_user};
pub use crate::model::{LIST_INSTEAD_OF_BATCH, Phase, Progress, Selection, SyncError};
pub use crate::read::{
    DeletedCheck, FullReason, GROUPS_SKIPPED, Gathered, ReadMode, check_deleted,
    check_deleted_noting, gather, gather_incremental, removals,
};
pub use crate::write::{Cancel, apply, apply_cancellable, preview};
