//! The IPC contract between the desktop backend (`src-tauri`) and the WASM frontend.
//!
//! Every command is a marker type implementing [`Command`]: its wire name, its argument and
//! its output types live together, so the frontend calls `ipc::call::<AppStatus>(&NoArgs)` and
//! the compiler checks both ends. This crate is the only place that defines the wire format
//! (serde only, no Tauri), and [`COMMANDS`] is the single list that the backend registers,
//! that `build.rs` turns into permissions, and that a test checks against the handlers.

mod app;
mod audit;
mod error;
mod orgs;
mod register;
mod registration;
pub mod safeguard;
mod schedule;
mod scope;
mod secret;
mod sync;
mod users;

pub use app::{AppStatus, AppStatusInfo, KeyringState};
pub use audit::{
    BackupNow, BackupView, ExportAudit, ListBackups, ListRuns, Resolution, RestoreBackup,
    RestoreBackupArgs, RunItemView, RunItems, RunRef, RunView, UndoArgs, UndoChoice,
    UndoConflictView, UndoDone, UndoFieldView, UndoPreviewCmd, UndoPreviewView, UndoRun,
};
pub use error::{ErrorCode, IpcError};
pub use orgs::{
    AdminConsentHint, AttemptRef, CancelSignIn, CancelStartingSignIn, CloudName,
    ConnectOrganization, ConnectedOrganization, ConsentHint, DeletionThreshold, DeviceCode,
    FinishSignIn, FlowRef, ListOrganizations, NewOrganization, OrganizationRef,
    OrganizationSummary, RemoveOrganization, SetDeletionThreshold, SignInMethod, SignInRequest,
    SignInStarted, SignInTarget, StartSignIn,
};
pub use register::{
    CancelRegistration, ConfirmRegistration, RegistrationConfirmed, RegistrationPreview,
    RegistrationRef, RegistrationRequest, StartRegistration,
};
pub use registration::{CheckRegistration, RegistrationCheckView, RegistrationFindingView};
pub use safeguard::Safeguard;
pub use schedule::{
    AddSchedule, AttemptOutcome, AttemptView, GetSchedule, INTERVALS, InstalledSchedule,
    NewSchedule, RemoveSchedule, ScheduleNotices, ScheduleView,
};
pub use scope::{SavedRootRow, SavedScope};
pub use secret::Password;
pub use sync::{
    CancelSync, ConflictChoice, ConflictDecision, ConflictRow, Counts, DeletedAction,
    DeletedDecision, DeletedReason, DeletedRow, DirectoryEntry, EntryKind, ExportFormat,
    ExportRequest, ExportRun, ExportedFile, JobRef, ListingPage, ListingPageCmd, ListingRequest,
    Outcome, OutcomeRow, PageRequest, PlanProgress, PlanProgressCmd, PlanRef, PlanRequest,
    PlanSync, RevealExport, RootFlags, StartListing, StartSync, SyncPreview, SyncResult,
    SyncSelection, SyncStatus, SyncStatusCmd, TombstoneRow,
};
pub use users::{
    Authentication, AzureAttributes, CreateLocalUser, DeleteUser, GetUser, GroupMembership,
    ListUsers, NewLocalUser, ReverseDecision, SortColumn, UpdateUser, UserDetails, UserPage,
    UserQuery, UserRef, UserRow, UserUpdate,
};

use serde::{Serialize, de::DeserializeOwned};

/// The git commit this build was made from (see `build.rs`).
pub const BUILD_COMMIT: &str = env!("AADSYNC_BUILD_COMMIT");

/// `<version> (build <commit>)`, as `aadsync --version` and Help → About show it.
pub const VERSION_LINE: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (build ",
    env!("AADSYNC_BUILD_COMMIT"),
    ")"
);

/// One request the frontend can make of the backend.
pub trait Command {
    /// The command's name on the wire; also the Rust name of the backend handler.
    const NAME: &'static str;
    /// What the frontend sends. Always an object (or [`NoArgs`]) so it can grow without breaking.
    type Args: Serialize + DeserializeOwned;
    /// What the backend answers on success.
    type Output: Serialize + DeserializeOwned;
}

/// The key under which a command's [`Command::Args`] travel.
///
/// Tauri maps the keys of the invoke payload to handler parameters, so every handler takes
/// exactly one parameter with this name and the payload is always `{ "args": … }`.
pub const ARGS_KEY: &str = "args";

/// Arguments of a command that takes none.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct NoArgs {}

/// Every command the backend serves, in registration order.
pub const COMMANDS: &[&str] = &[
    AppStatus::NAME,
    GetSchedule::NAME,
    AddSchedule::NAME,
    RemoveSchedule::NAME,
    ScheduleNotices::NAME,
    ListUsers::NAME,
    GetUser::NAME,
    CreateLocalUser::NAME,
    UpdateUser::NAME,
    DeleteUser::NAME,
    ReverseDecision::NAME,
    ListOrganizations::NAME,
    StartSignIn::NAME,
    FinishSignIn::NAME,
    CancelSignIn::NAME,
    CancelStartingSignIn::NAME,
    AdminConsentHint::NAME,
    StartRegistration::NAME,
    ConfirmRegistration::NAME,
    CancelRegistration::NAME,
    ConnectOrganization::NAME,
    CheckRegistration::NAME,
    RemoveOrganization::NAME,
    SetDeletionThreshold::NAME,
    StartListing::NAME,
    ListingPageCmd::NAME,
    SavedScope::NAME,
    PlanSync::NAME,
    PlanProgressCmd::NAME,
    StartSync::NAME,
    SyncStatusCmd::NAME,
    CancelSync::NAME,
    ExportRun::NAME,
    ListRuns::NAME,
    RunItems::NAME,
    UndoPreviewCmd::NAME,
    UndoRun::NAME,
    ListBackups::NAME,
    BackupNow::NAME,
    RestoreBackup::NAME,
    ExportAudit::NAME,
    RevealExport::NAME,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_names_are_unique_snake_case() {
        let mut seen = std::collections::BTreeSet::new();
        for name in COMMANDS {
            assert!(seen.insert(*name), "{name} is listed twice");
            assert!(
                !name.is_empty()
                    && name
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
                "{name} is not snake_case: Tauri derives permission names from it"
            );
        }
    }

    #[test]
    fn no_args_is_an_empty_object() {
        assert_eq!(
            serde_json::to_string(&NoArgs {}).ok().as_deref(),
            Some("{}")
        );
    }
}
