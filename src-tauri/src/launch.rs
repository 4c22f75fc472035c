//! Launch options: where the database lives, from `--db` or `AADSYNC_DB`.

use std::ffi::OsString;
use std::path::PathBuf;

/// Environment variable that overrides the database path (the `--db` flag wins over it).
pub const DB_ENV: &str = "AADSYNC_DB";

/// What the app was asked to do at start-up.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LaunchOptions {
    /// Explicit SQLite database path; `None` means the OS app-data directory.
    pub database: Option<PathBuf>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum LaunchError {
    #[error("--db needs a file path, e.g. --db /srv/aadsync/users.sqlite3")]
    MissingDbPath,
    #[error("unknown argument {0:?}")]
    Unknown(String),
}

impl LaunchOptions {
    pub const USAGE: &'static str = "usage: aadsync-desktop [--db PATH]\n  --db PATH  SQLite database file to use (default: the app-data directory; env AADSYNC_DB)";

    /// Reads `AADSYNC_DB`, then the command line.
    pub fn from_env_and_args(
        args: impl IntoIterator<Item = OsString>,
    ) -> Result<Self, LaunchError> {
        let env_db = std::env::var_os(DB_ENV).filter(|v| !v.is_empty());
        Self::parse(env_db, args)
    }

    fn parse(
        env_db: Option<OsString>,
        args: impl IntoIterator<Item = OsString>,
    ) -> Result<Self, LaunchError> {
        let mut options = Self {
            database: env_db.map(PathBuf::from),
        };
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            let text = arg.to_string_lossy();
            if text == "--db" {
                let path = args
                    .next()
                    .filter(|p| !p.is_empty())
                    .ok_or(LaunchError::MissingDbPath)?;
                options.database = Some(PathBuf::from(path));
            } else if let Some(path) = text.strip_prefix("--db=") {
                if path.is_empty() {
                    return Err(LaunchError::MissingDbPath);
                }
                options.database = Some(PathBuf::from(path));
            } else if text.starts_with("-psn_") {
                // macOS Finder adds a process serial number when launching an app bundle.
            } else {
                return Err(LaunchError::Unknown(text.into_owned()));
            }
        }
        Ok(options)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(env: Option<&str>, args: &[&str], expect: Result<Option<&str>, LaunchError>) {
        let got = LaunchOptions::parse(env.map(OsString::from), args.iter().map(OsString::from))
            .map(|o| o.database);
        assert_eq!(
            got,
            expect.map(|p| p.map(PathBuf::from)),
            "env={env:?} args={args:?}"
        );
    }

    #[test]
    fn database_path_sources() {
        check(None, &[], Ok(None));
        check(Some("/env.db"), &[], Ok(Some("/env.db")));
        check(Some("/env.db"), &["--db", "/flag.db"], Ok(Some("/flag.db")));
        check(None, &["--db=/eq.db"], Ok(Some("/eq.db")));
        check(None, &["-psn_0_12345"], Ok(None));
    }

    #[test]
    fn bad_arguments() {
        check(None, &["--db"], Err(LaunchError::MissingDbPath));
        check(None, &["--db", ""], Err(LaunchError::MissingDbPath));
        check(None, &["--db="], Err(LaunchError::MissingDbPath));
        check(
            None,
            &["--verbose"],
            Err(LaunchError::Unknown("--verbose".into())),
        );
    }
}
