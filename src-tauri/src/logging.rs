//! Logging to a daily rolling file in the app's log directory.

use std::path::Path;
use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;

/// Environment variable with a `tracing` filter, e.g. `AADSYNC_LOG=aadsync=debug`.
pub const LOG_ENV: &str = "AADSYNC_LOG";

/// Installs the global subscriber. The returned guard flushes the file on drop, so it lives
/// in the app state for the life of the process.
pub fn init(log_dir: &Path) -> std::io::Result<WorkerGuard> {
    std::fs::create_dir_all(log_dir)?;
    let appender = tracing_appender::rolling::Builder::new()
        .rotation(tracing_appender::rolling::Rotation::DAILY)
        .filename_prefix("aadsync")
        .filename_suffix("log")
        .max_log_files(14)
        .build(log_dir)
        .map_err(std::io::Error::other)?;
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
