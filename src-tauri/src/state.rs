//! Application state, built once in Tauri's `setup` and shared by every command.

use crate::LaunchOptions;
use crate::database::Database;
use crate::jobs::Jobs;
use crate::signins::SignIns;
use std::path::PathBuf;
use std::sync::Arc;
use tauri::{AppHandle, Manager, Runtime};

/// File name of the database inside the app-data directory.
const DATABASE_FILE: &str = "aadsync.sqlite3";

#[derive(Debug)]
pub struct AppState {
    pub database: Arc<Database>,
    pub signins: Arc<SignIns>,
    pub jobs: Arc<Jobs>,
    pub log_dir: PathBuf,
    /// What this session exported: the files "Show in folder" may open a file manager on.
    pub exported: crate::export::Exported,
    _log_guard: Option<tracing_appender::non_blocking::WorkerGuard>,
}

impl AppState {
    pub fn init<R: Runtime>(
        app: &AppHandle<R>,
        options: &LaunchOptions,
    ) -> Result<Self, Box<dyn std::error::Error>> {
        let paths = app.path();
        let log_dir = paths.app_log_dir()?;
        let log_guard = match crate::logging::init(&log_dir) {
            Ok(guard) => Some(guard),
            Err(err) => {
                // Logging is not worth refusing to start over; say so where it can be seen.
                eprintln!("aadsync: cannot write logs to {}: {err}", log_dir.display());
                None
            }
        };
        let database_path = match &options.database {
            Some(path) => std::path::absolute(path)?,
            None => paths.app_data_dir()?.join(DATABASE_FILE),
        };
        tracing::info!(
            version = env!("CARGO_PKG_VERSION"),
            database = %database_path.display(),
            log_dir = %log_dir.display(),
            "aadsync started"
        );
        let database = Arc::new(Database::new(database_path));
        database.preload();
        Ok(Self {
            database,
            signins: Arc::new(SignIns::default()),
            jobs: Arc::new(Jobs::default()),
            log_dir,
            exported: crate::export::Exported::default(),
            _log_guard: log_guard,
        })
    }
}

impl AppState {
    /// A handle to move into blocking database work.
    pub fn database_handle(&self) -> Arc<Database> {
        Arc::clone(&self.database)
    }
}
