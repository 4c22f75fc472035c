//! The one error type that crosses the IPC boundary.

use serde::{Deserialize, Serialize};
use std::fmt;

/// What went wrong, as a closed set the frontend can act on without matching message text.
///
/// Variants are added only when a consumer (the frontend or the CLI) behaves differently for
/// them; everything else is [`ErrorCode::Internal`] with a message for the admin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The request itself was malformed or failed validation; the message says which field.
    InvalidInput,
    /// The backend could not do its part; the message says what the admin can do about it.
    Internal,
    /// The IPC layer itself failed (command not allowed, backend unreachable, bad payload).
    Ipc,
    /// The database cannot be used (locked, damaged, not a database); the Users area says so.
    DatabaseUnavailable,
    /// Empty, too long or otherwise unusable account name: shown at the account field.
    InvalidAccountName,
    /// The account name belongs to another user (case-insensitively): shown at the field.
    AccountNameTaken,
    /// The new password does not meet the policy: shown at the password field.
    WeakPassword,
    /// The change touches data owned by Entra ID (or the sign-in type of an Azure AD user).
    ReadOnly,
    /// The user (or other object) no longer exists; the view refreshes.
    NotFound,
    /// New…: the tenant is neither a GUID nor a domain (shown at the tenant field).
    InvalidTenant,
    /// New…: the application (client) ID is not a GUID (shown at its field).
    InvalidClientId,
    /// New…: the custom authority is not an https (or loopback http) URL.
    InvalidAuthority,
    /// The saved sign-in is missing, expired or revoked: the wizard shows the sign-in step.
    SignInRequired,
    /// The account signed in but holds none of the accepted administrator roles.
    NotAdministrator,
    /// The admin cancelled the sign-in; nothing to report.
    SignInCancelled,
    /// The OS keyring cannot be used, so no sign-in can be saved.
    KeyringUnavailable,
    /// The admin cancelled a synchronization; nothing was written.
    Cancelled,
    /// The database changed since the preview the admin decided on (another synchronization or
    /// undo, perhaps by the CLI): nothing was written; the view previews again.
    Stale,
    /// The desktop could not do what was asked of it (no file manager answered "Show in
    /// folder"); the message says where the file is.
    DesktopUnavailable,
}

/// An error answered by a backend command: a code to branch on and a message to show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IpcError {
    pub code: ErrorCode,
    /// For people: what happened and what to do next. No trailing period.
    pub message: String,
}

impl IpcError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Internal, message)
    }

    pub fn invalid_input(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidInput, message)
    }
}

impl fmt::Display for IpcError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for IpcError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_shape_is_stable() {
        let err = IpcError::invalid_input("Tenant is not a GUID or a domain");
        let json = serde_json::to_value(&err).ok();
        assert_eq!(
            json,
            Some(
                serde_json::json!({"code": "invalid_input", "message": "Tenant is not a GUID or a domain"})
            )
        );
    }
}
