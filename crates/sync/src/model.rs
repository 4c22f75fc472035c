//! The vocabulary every step of a run shares: what the admin selected, where a run is
//! (progress phases), how it fails, and the read's cost limits.

use aadsync_directory::graph::GraphError;
use aadsync_store::{ScopeRoot, StoreError};

/// Above this many users to read by ID, listing everything is cheaper than `$batch`es (2,000
/// IDs are 100 batches, about what listing a 100k-user tenant at 999 per page costs).
pub const LIST_INSTEAD_OF_BATCH: usize = 2_000;

/// What the admin picked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    /// User object IDs (or UPNs: Graph resolves both).
    pub users: Vec<String>,
    /// Group object IDs.
    pub groups: Vec<String>,
    /// Import the user members of the selected groups.
    pub members: bool,
    /// …and of the groups inside them.
    pub nested: bool,
    /// Saved scope roots (object IDs) to take out of the scope with this run.
    pub remove: Vec<String>,
    /// Saved group roots whose *members*/*nested* flags this run sets anew (they may shrink).
    pub reflag: Vec<ScopeRoot>,
}

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("{0}")]
    Graph(#[from] GraphError),
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("the selected {kind} {id} does not exist in Entra ID (any more)")]
    NotFound { kind: &'static str, id: String },
    #[error("the synchronization was cancelled; the database is unchanged")]
    Cancelled,
}

/// Where a run is, for progress bars.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    ReadingChanges,
    ReadingUsers,
    ReadingGroups,
    ReadingMembers,
    CheckingDeleted,
    Planning,
    /// The one full backup, before an organization's first synchronization.
    Backup,
    Writing,
}

impl Phase {
    pub fn label(self) -> &'static str {
        match self {
            Phase::ReadingChanges => "Reading the changes since the last synchronization",
            Phase::ReadingUsers => "Reading users from Entra ID",
            Phase::ReadingGroups => "Reading groups from Entra ID",
            Phase::ReadingMembers => "Reading group members",
            Phase::CheckingDeleted => "Checking for deleted objects",
            Phase::Planning => "Comparing with the database",
            Phase::Backup => "Saving a backup of the database (first synchronization)",
            Phase::Writing => "Writing to the database",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub phase: Phase,
    /// Objects read so far in this phase.
    pub done: u64,
}
