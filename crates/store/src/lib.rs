//! The server's user database: SQLite schema, local users, the sync apply path, backups.
//!
//! [`Store::open`] checks the file before writing to it (a non-SQLite file is refused, never
//! overwritten), sets WAL, foreign keys and a busy timeout, and migrates. Reads and writes go
//! through separate connections ([`Store::reader`], [`Store::writer`]) so a long read never
//! waits for a write. Azure AD users and groups have no create or edit API here except
//! [`WriteHandle::apply_directory_changes`], and the database itself refuses other writes to
//! them (triggers in `migrations/0001_init.sql`).

mod apply;
mod attempts;
mod audit;
mod backup;
#[cfg(feature = "baseline")]
pub mod baseline;
mod changes;
mod changeset;
mod decisions;
mod error;
mod ids;
mod imported;
mod model;
mod open;
mod orgs;
mod password;
pub mod plan;
pub mod private;
mod record;
mod reuse;
mod saved_scope;
mod scope;
mod snapshot;
mod undo;
mod users;
pub mod view;

pub use attempts::{AttemptOutcome, NewAttempt, ScheduledAttempt};
pub use audit::{RunItem, RunKind, RunStatus, RunSummary};
pub use backup::{BackupFile, BackupKind};
pub use changes::{
    ApplyOutcome, ApplyReport, ChangedField, ConflictResolution, Counts, Decision, DecisionAction,
    DecisionFinding, DeltaLinks, DirectoryChanges, DirectoryGroup, DirectoryUser, DroppedRoot,
    Lift, ObjectKind, OutcomeItem, Reason, Removal, RemovalAction, RunInfo, ScopeRoot,
    StandingDecision,
};
pub use decisions::DecisionEntry;
pub use error::StoreError;
pub use model::{
    AuthType, AzureUserAttributes, DirectoryDeletion, GroupRef, LocalUserEdit, NewLocalUser,
    UserDetails, UserId, UserRow, UserType,
};
pub use open::{APPLICATION_ID, MIGRATIONS, OpenOptions, Store, schema_version};
pub use orgs::{CloudKind, MAX_THRESHOLD_COUNT, NewOrganization, OrgId, Organization};
pub use password::{PasswordPolicy, PasswordProblem};
/// Stops the write connection's running statement (see [`Store::interrupt_handle`]).
pub use rusqlite::InterruptHandle;
pub use saved_scope::SavedRoot;
pub use undo::{
    FieldConflict, Problem, Resolution, UndoChoices, UndoConflict, UndoOutcome, UndoPlan,
};
pub use users::{ReadHandle, WriteHandle};

/// `Result` with [`StoreError`].
pub type Result<T, E = StoreError> = std::result::Result<T, E>;
