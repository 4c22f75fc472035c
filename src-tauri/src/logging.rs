//! Logging to a daily rolling file in the app's log directory.

use std::path::Path;
use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;

/// Environment variable with a `tracing` filter, e.g. `AADSYNC_LOG=aadsync=debug`.
pub const LOG_ENV: &str = "AADSYNC_LOG";

/// Installs the global subscriber. The returned guard flushes the file on drop, so it lives
/// in the app state for the life of the process.
///
/// The folder is made 0700 and its log files 0600 (Unix; see `aadsync_store::private`): the
/// appender creates a day's file with the umask's mode, but in a folder no one else can enter.
pub fn init(log_dir: &Path) -> std::io::Result<WorkerGuard> {
    let appender = appender(log_dir)?;
    let (writer, guard) = tracing_appender::non_blocking(appender);
    let filter = EnvFilter::try_from_env(LOG_ENV).unwrap_or_else(|_| EnvFilter::new("info"));
    // A second init (tests, a re-entered setup) keeps the first subscriber; that is fine.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(false)
        .with_target(true)
        .try_init();
    Ok(guard)
}

/// The daily rolling file appender in `log_dir`, with the folder and its files private.
fn appender(log_dir: &Path) -> std::io::Result<tracing_appender::rolling::RollingFileAppender> {
    aadsync_store::private::own_dir(log_dir)?;
    let appender = tracing_appender::rolling::Builder::new()
        .rotation(tracing_appender::rolling::Rotation::DAILY)
        .filename_prefix("aadsync")
        .filename_suffix("log")
        .max_log_files(14)
        .build(log_dir)
        .map_err(std::io::Error::other)?;
    for entry in std::fs::read_dir(log_dir)? {
        aadsync_store::private::restrict(&entry?.path())?;
    }
    Ok(appender)
}
