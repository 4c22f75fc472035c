//! What a completed read found, and how it read the objects imported earlier (incremental or
//! a full comparison, and why).

use aadsync_store::{DirectoryChanges, DirectoryUser};

/// What a completed read found.
#[derive(Debug, Clone, Default)]
pub struct Gathered {
    pub changes: DirectoryChanges,
    /// Users imported earlier that Graph answered 404 for (deleted, maybe restorable).
    pub missing_users: Vec<String>,
    /// Groups imported earlier that Graph no longer has.
    pub missing_groups: Vec<String>,
    /// Users the selection would bring back although they were deleted on the server; left
    /// out of `changes` until the admin chooses Re-import.
    pub tombstoned: Vec<DirectoryUser>,
    /// Imported users the scope reached before this run and no longer does (object IDs,
    /// sorted): left as they are unless *Check deleted objects* decides about them. Empty when
    /// the run did not recompute the scope.
    pub leaving_scope: Vec<String>,
    /// How the imported objects were read (`changes.delta` has the links for the next read).
    pub read: ReadMode,
}

impl Gathered {
    /// Imported users and groups Entra ID no longer has (decided about only by "Check deleted
    /// objects").
    pub fn deleted_in_entra(&self) -> usize {
        self.missing_users.len() + self.missing_groups.len()
    }
}

impl Default for ReadMode {
    fn default() -> Self {
        ReadMode::Full(FullReason::Requested)
    }
}

/// How a sync read the objects imported earlier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadMode {
    /// Every imported object was read again.
    Full(FullReason),
    /// Only Graph's changes since the stored links (taken at `since`, seconds since the
    /// epoch) were read.
    Incremental { since: i64 },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FullReason {
    /// No sync stored change-tracking links yet (first sync, or the last one had failures).
    NoLinks,
    /// The links are older than Graph's 7-day window, or Graph no longer has their state.
    Expired,
    /// "Check deleted objects" compares every imported object (it must also find objects
    /// an earlier round of changes reported and the admin chose to keep).
    CheckDeleted,
    /// Asked for (`aadsync sync --full`), or a plain [`gather`].
    Requested,
}

impl ReadMode {
    /// For the preview and the CLI.
    pub fn describe(&self) -> String {
        match self {
            ReadMode::Incremental { .. } => {
                "Incremental: only the changes Entra ID reported since the last synchronization were read".into()
            }
            ReadMode::Full(reason) => format!(
                "Full comparison: {}",
                match reason {
                    FullReason::NoLinks => "no change-tracking link from an earlier synchronization",
                    FullReason::Expired => "the 7-day change-tracking window lapsed",
                    FullReason::CheckDeleted => "Check deleted objects compares every imported object",
                    FullReason::Requested => "requested",
                }
            ),
        }
    }
}
