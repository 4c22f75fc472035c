//! Snapshots through SQLite's online backup API: a consistent copy while the app runs, and a
//! restore that replaces the live database in place (used by "Undo last synchronization").

use crate::users::WriteHandle;
use crate::{Result, StoreError};
use rusqlite::backup::Backup;
use rusqlite::{Connection, OpenFlags};
use std::path::Path;
use std::time::Duration;

impl WriteHandle<'_> {
    /// Writes a consistent copy of the database to `dest` (which must not exist yet).
    pub fn snapshot_to(&self, dest: &Path) -> Result<()> {
        let fail = |detail: String| StoreError::Snapshot {
            path: dest.to_path_buf(),
            detail,
        };
        if dest.exists() {
            return Err(fail(
                "the file already exists; snapshots are never overwritten".into(),
            ));
        }
        if let Some(parent) = dest.parent() {
            std::fs::create_dir_all(parent).map_err(|e| fail(e.to_string()))?;
        }
        let mut target = Connection::open(dest).map_err(|e| fail(e.to_string()))?;
        let backup = Backup::new(&self.conn, &mut target).map_err(|e| fail(e.to_string()))?;
        backup
            .run_to_completion(1024, Duration::ZERO, None)
            .map_err(|e| fail(e.to_string()))?;
        drop(backup);
        // A snapshot is a single self-contained file, not a WAL pair.
        target
            .query_row("PRAGMA journal_mode = DELETE", [], |_| Ok(()))
            .map_err(|e| fail(e.to_string()))?;
        Ok(())
    }

    /// Replaces the whole database with the snapshot at `source`, in place.
    pub fn restore_from(&mut self, source: &Path) -> Result<()> {
        let fail = |detail: String| StoreError::Snapshot {
            path: source.to_path_buf(),
            detail,
        };
        let snapshot = Connection::open_with_flags(source, OpenFlags::SQLITE_OPEN_READ_ONLY)
            .map_err(|e| fail(e.to_string()))?;
        let version: i64 = snapshot
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|e| fail(format!("not a readable aadsync snapshot ({e})")))?;
        if version < 1 {
            return Err(fail("not an aadsync snapshot (no schema)".into()));
        }
        let backup = Backup::new(&snapshot, &mut self.conn).map_err(|e| fail(e.to_string()))?;
        backup
            .run_to_completion(1024, Duration::ZERO, None)
            .map_err(|e| fail(e.to_string()))?;
        drop(backup);
        self.conn
            .pragma_update(None, "foreign_keys", true)
            .map_err(|e| fail(e.to_string()))?;
        tracing::info!(snapshot = %source.display(), "database restored from snapshot");
        Ok(())
    }
}
