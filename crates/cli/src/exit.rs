//! How a command ends: the exit codes scripts rely on (README, "Exit codes") and the one error
//! type every subcommand returns.

use std::process::ExitCode;

/// The exit codes. 2 (bad command line) is clap's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// 1: nothing was written.
    Failed = 1,
    /// 3: synchronized, but some objects failed (the report says which and why).
    SomeObjectsFailed = 3,
    /// 4: the saved sign-in no longer works: `aadsync login --org …`.
    SignInRequired = 4,
    /// 5: stopped before writing: the deletion safeguard would be exceeded.
    SafeguardExceeded = 5,
    /// 6: only a preview was shown (`undo` or `restore-backup` without `--yes`); nothing was
    /// written.
    PreviewOnly = 6,
    /// 7: `whoami`: at least one organization needs attention (its line says why).
    NeedsAttention = 7,
    /// 8: `org check`: the app registration lacks something aadsync needs (the report names
    /// it and the fix).
    RegistrationIncomplete = 8,
    /// 9: `org register`: the administrator may not register applications or grant consent
    /// (the message names the roles and permissions needed).
    RegistrationRefused = 9,
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> Self {
        ExitCode::from(exit as u8)
    }
}

/// Why a command did not succeed, and with which exit code.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct CliError {
    pub exit: Exit,
    /// Printed after "aadsync: "; empty when the output already said everything.
    pub message: String,
}

impl CliError {
    pub fn new(exit: Exit, message: impl Into<String>) -> Self {
        Self {
            exit,
            message: message.into(),
        }
    }

    /// Exit 1 with `err`'s message.
    pub fn failed(err: impl std::fmt::Display) -> Self {
        Self::new(Exit::Failed, err.to_string())
    }
}

impl From<String> for CliError {
    fn from(message: String) -> Self {
        Self::new(Exit::Failed, message)
    }
}

/// What every subcommand returns.
pub type CliResult = Result<(), CliError>;

#[cfg(test)]
mod tests {
    use super::*;

    /// The numbers the README documents for scripts.
    #[test]
    fn exit_codes_are_the_documented_numbers() {
        assert_eq!(Exit::Failed as u8, 1);
        assert_eq!(Exit::SomeObjectsFailed as u8, 3);
        assert_eq!(Exit::SignInRequired as u8, 4);
        assert_eq!(Exit::SafeguardExceeded as u8, 5);
        assert_eq!(Exit::PreviewOnly as u8, 6);
        assert_eq!(Exit::NeedsAttention as u8, 7);
        assert_eq!(Exit::RegistrationIncomplete as u8, 8);
        assert_eq!(Exit::RegistrationRefused as u8, 9);
    }
}
