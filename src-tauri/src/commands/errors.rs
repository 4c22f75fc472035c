//! The one boundary where errors become `IpcError`s: each library error's variants map to the
//! closed `ErrorCode` set the UI acts on, with the message capitalised for display. Also the
//! one way commands run blocking store work.

use aadsync_directory::graph::GraphError;
use aadsync_ipc::{ErrorCode, IpcError};
use aadsync_store::StoreError;
use aadsync_sync::engine::SyncError;
use aadsync_sync::orgs::{Connected, OrgError};
use aadsync_sync::registration::RegistrationReport;
use aadsync_sync::registration_check::{after_graph_failure, after_sync_failure};

/// Runs blocking store work off the main thread.
pub(crate) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, IpcError> + Send + 'static,
) -> Result<T, IpcError> {
    tauri::async_runtime::spawn_blocking(work)
        .await
        .map_err(|err| {
            IpcError::internal(format!("The database task stopped unexpectedly: {err}"))
        })?
}

pub(crate) fn to_ipc(err: StoreError) -> IpcError {
    let code = match &err {
        StoreError::NotADatabase { .. }
        | StoreError::NotOurs { .. }
        | StoreError::Corrupt { .. }
        | StoreError::Locked { .. }
        | StoreError::TooNew { .. }
        | StoreError::Open { .. } => ErrorCode::DatabaseUnavailable,
        StoreError::EmptyAccountName | StoreError::InvalidAccountName(..) => {
            ErrorCode::InvalidAccountName
        }
        StoreError::AccountNameTaken(_) => ErrorCode::AccountNameTaken,
        StoreError::WeakPassword(_) => ErrorCode::WeakPassword,
        StoreError::ReadOnly(_) => ErrorCode::ReadOnly,
        // A backup that is no longer there (or never was one): the list refreshes.
        StoreError::UserNotFound(_)
        | StoreError::OrganizationNotFound(_)
        | StoreError::NotABackup { .. } => ErrorCode::NotFound,
        StoreError::Invalid(_) => ErrorCode::InvalidInput,
        StoreError::AnotherAuthority { .. } => ErrorCode::InvalidAuthority,
        StoreError::Interrupted => ErrorCode::Cancelled,
        StoreError::Stale(_) => ErrorCode::Stale,
        // The message says what to do (update aadsync, choose another backup).
        StoreError::BackupTooNew { .. } => ErrorCode::Internal,
        StoreError::Backup { .. }
        | StoreError::Snapshot { .. }
        | StoreError::Sqlite(_)
        | StoreError::Migration(_) => {
            tracing::error!(error = %err, "database error");
            ErrorCode::Internal
        }
    };
    IpcError::new(code, capitalize(&err.to_string()))
}

pub(crate) fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

pub(crate) fn graph_error(err: GraphError) -> IpcError {
    match err {
        GraphError::Session(e) if e.needs_sign_in() => {
            IpcError::new(ErrorCode::SignInRequired, capitalize(&e.to_string()))
        }
        other => {
            tracing::warn!(error = %other, "Microsoft Graph request failed");
            IpcError::internal(capitalize(&other.to_string()))
        }
    }
}

pub(crate) fn sync_error(err: SyncError) -> IpcError {
    match err {
        SyncError::Graph(e) => graph_error(e),
        SyncError::Store(e) => to_ipc(e),
        SyncError::NotFound { .. } => {
            IpcError::new(ErrorCode::NotFound, capitalize(&err.to_string()))
        }
        SyncError::Cancelled => IpcError::new(ErrorCode::Cancelled, capitalize(&err.to_string())),
    }
}

/// A failed Graph call through `connected`'s session, with the registration check's findings
/// when the registration can cause the failure (`registration_check::after_graph_failure`).
pub(crate) async fn graph_failure(connected: &Connected, err: GraphError) -> IpcError {
    match after_graph_failure(connected, &err).await {
        Some(report) => with_findings(graph_error(err), &report),
        None => graph_error(err),
    }
}

/// [`graph_failure`] for a synchronization's plan.
pub(crate) async fn sync_failure(connected: &Connected, err: SyncError) -> IpcError {
    match after_sync_failure(connected, &err).await {
        Some(report) => with_findings(sync_error(err), &report),
        None => sync_error(err),
    }
}

/// The error's message followed by the findings, one a line (the views keep line breaks in
/// errors); the code stays, so the view acts on the failure as before.
pub(crate) fn with_findings(mut err: IpcError, report: &RegistrationReport) -> IpcError {
    err.message = format!("{}\n{}", err.message, report.explain());
    err
}

/// Organization and sign-in errors: what the wizard's steps 1–2 act on.
pub(crate) fn org_error(err: OrgError) -> IpcError {
    let err = match err {
        OrgError::Store(e) => return to_ipc(e),
        other => other,
    };
    let code = match &err {
        OrgError::Tenant(_) => ErrorCode::InvalidTenant,
        OrgError::ClientId(_) => ErrorCode::InvalidClientId,
        OrgError::Authority(_) => ErrorCode::InvalidAuthority,
        e if e.not_administrator() => ErrorCode::NotAdministrator,
        e if e.cancelled() => ErrorCode::SignInCancelled,
        e if e.keyring_unavailable() => ErrorCode::KeyringUnavailable,
        e if e.needs_sign_in() => ErrorCode::SignInRequired,
        _ => ErrorCode::Internal,
    };
    if code == ErrorCode::Internal {
        tracing::warn!(error = %err, "organization operation failed");
    }
    IpcError::new(code, capitalize(&err.to_string()))
}
