//! Store errors, each with a message that tells the admin what to do.

use crate::password::PasswordProblem;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{} is not an aadsync database (it is not an SQLite file). aadsync has not changed it: choose another file with --db, or move this one away", path.display())]
    NotADatabase { path: PathBuf },
    #[error("{} is another program's SQLite database, not an aadsync database. aadsync has not changed it: choose another file with --db, or move this one away", path.display())]
    NotOurs { path: PathBuf },
    #[error("the database {} is damaged ({detail}). aadsync has not changed it: restore it from a backup or a snapshot", path.display())]
    Corrupt { path: PathBuf, detail: String },
    #[error("the database {} is locked by another program (another aadsync, a backup tool or an SQLite browser). Close it and try again", path.display())]
    Locked { path: PathBuf },
    #[error("the database {} was written by a newer aadsync (schema {found}, this version knows {known}). Update aadsync", path.display())]
    TooNew {
        path: PathBuf,
        found: usize,
        known: usize,
    },
    #[error("cannot open the database {}: {source}", path.display())]
    Open {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the account name is empty")]
    EmptyAccountName,
    #[error("the account name {0:?} is not allowed: {1}")]
    InvalidAccountName(String, &'static str),
    #[error("the account name {0:?} is already used by another user")]
    AccountNameTaken(String),
    #[error("the password is too weak: {0}")]
    WeakPassword(PasswordProblem),
    #[error("{0}")]
    ReadOnly(String),
    #[error("no user with id {0}")]
    UserNotFound(i64),
    #[error("no organization with id {0} (it may have been removed)")]
    OrganizationNotFound(i64),
    /// A sign-in to a stored tenant came through another authority than the stored one.
    #[error(
        "the tenant {tenant} is stored as an organization signed in through {stored}, but this sign-in came through {offered}. aadsync has not changed the organization or its saved sign-in. If the organization really moved, remove it in step 1 (or `aadsync org remove`) and add it again"
    )]
    AnotherAuthority {
        tenant: String,
        stored: String,
        offered: String,
    },
    #[error("{0}")]
    Invalid(String),
    #[error("{} is not one of this database's backups: only a backup or snapshot aadsync wrote for it can be restored (aadsync backups lists them)", path.display())]
    NotABackup { path: PathBuf },
    #[error("the backup {} was written by a newer aadsync (schema {found}, this version knows {known}). Update aadsync to restore it; the database is unchanged", path.display())]
    BackupTooNew {
        path: PathBuf,
        found: usize,
        known: usize,
    },
    #[error("backup {}: {detail}", path.display())]
    Backup { path: PathBuf, detail: String },
    #[error("snapshot {}: {detail}", path.display())]
    Snapshot { path: PathBuf, detail: String },
    #[error("the write was stopped before it finished; the database is unchanged")]
    Interrupted,
    /// The database changed since the preview the administrator decided on.
    #[error("{0}")]
    Stale(String),
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("migrating the database failed: {0}")]
    Migration(#[from] rusqlite_migration::Error),
}

impl StoreError {
    /// Classifies an SQLite error that happened while working on `path`.
    pub(crate) fn from_sqlite(path: &std::path::Path, err: rusqlite::Error) -> Self {
        use rusqlite::ErrorCode as C;
        if let rusqlite::Error::SqliteFailure(failure, message) = &err {
            match failure.code {
                C::DatabaseBusy | C::DatabaseLocked => {
                    return Self::Locked {
                        path: path.to_path_buf(),
                    };
                }
                C::NotADatabase => {
                    return Self::NotADatabase {
                        path: path.to_path_buf(),
                    };
                }
                C::OperationInterrupted => return Self::Interrupted,
                C::DatabaseCorrupt => {
                    return Self::Corrupt {
                        path: path.to_path_buf(),
                        detail: message.clone().unwrap_or_else(|| failure.to_string()),
                    };
                }
                C::ConstraintViolation => {
                    if let Some(text) = message.as_deref()
                        && let Some(rest) = text.strip_prefix("aadsync: ")
                    {
                        return Self::ReadOnly(rest.to_owned());
                    }
                }
                _ => {}
            }
        }
        Self::Sqlite(err)
    }

    /// True for errors where retrying later may succeed (a lock held by someone else).
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Locked { .. })
    }
}
