//! The write side of a run: the preview (the pure plan on what the database holds now), and
//! the apply: a snapshot for undo, then the plan in one transaction, which a Cancel rolls back.

use crate::model::{Phase, Progress, SNAPSHOTS_KEPT, SyncError};
use aadsync_store::plan::Plan;
use aadsync_store::{ApplyReport, DirectoryChanges, RunInfo, Store, StoreError};
use std::path::{Path, PathBuf};

/// The preview: what applying `changes` would do now.
pub fn preview(
    store: &Store,
    tenant_id: &str,
    changes: &DirectoryChanges,
) -> Result<Plan, SyncError> {
    let imported = store.reader().imported(tenant_id)?;
    Ok(aadsync_store::plan::plan(&imported, changes))
}

/// Where the snapshot before a run goes: `<db dir>/snapshots/<db name>.<unix time>.sqlite3`.
fn snapshot_path(db: &Path) -> PathBuf {
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or_default();
    let name = db
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "aadsync".into());
    db.parent()
        .unwrap_or_else(|| Path::new("."))
        .join("snapshots")
        .join(format!("{name}.{stamp}.sqlite3"))
}

/// Snapshots the database, then applies `changes` in one transaction. Old snapshots beyond
/// [`SNAPSHOTS_KEPT`] are removed afterwards.
pub fn apply(
    store: &Store,
    run: &RunInfo,
    changes: &DirectoryChanges,
    progress: &(dyn Fn(Progress) + Send + Sync),
) -> Result<(ApplyReport, PathBuf), SyncError> {
    apply_cancellable(store, run, changes, progress, &Cancel::default())
}

/// A Cancel button for [`apply_cancellable`]: before the transaction it stops the run; during
/// it, it interrupts SQLite, which rolls the transaction back; after the commit it does nothing,
/// so a late Cancel can never turn a committed run into an error.
#[derive(Default)]
pub struct Cancel {
    requested: std::sync::atomic::AtomicBool,
    /// Set only while the apply's transaction may be running.
    armed: std::sync::Mutex<Option<std::sync::Arc<aadsync_store::InterruptHandle>>>,
}

impl std::fmt::Debug for Cancel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cancel")
            .field("requested", &self.is_requested())
            .finish_non_exhaustive()
    }
}

impl Cancel {
    pub fn cancel(&self) {
        self.requested
            .store(true, std::sync::atomic::Ordering::SeqCst);
        if let Some(handle) = self.armed().as_ref() {
            handle.interrupt();
        }
    }

    pub fn is_requested(&self) -> bool {
        self.requested.load(std::sync::atomic::Ordering::SeqCst)
    }

    fn armed(
        &self,
    ) -> std::sync::MutexGuard<'_, Option<std::sync::Arc<aadsync_store::InterruptHandle>>> {
        self.armed
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// [`apply`] with a Cancel: the database is unchanged when it returns [`SyncError::Cancelled`].
pub fn apply_cancellable(
    store: &Store,
    run: &RunInfo,
    changes: &DirectoryChanges,
    progress: &(dyn Fn(Progress) + Send + Sync),
    cancel: &Cancel,
) -> Result<(ApplyReport, PathBuf), SyncError> {
    if cancel.is_requested() {
        return Err(SyncError::Cancelled);
    }
    progress(Progress {
        phase: Phase::Snapshot,
        done: 0,
    });
    let snapshot = snapshot_path(store.path());
    if let Some(dir) = snapshot.parent() {
        std::fs::create_dir_all(dir).map_err(|e| StoreError::Snapshot {
            path: dir.to_path_buf(),
            detail: e.to_string(),
        })?;
    }
    // One write handle for both: nothing can be written between the snapshot and the apply.
    let mut writer = store.writer();
    writer.snapshot_to(&snapshot)?;
    progress(Progress {
        phase: Phase::Writing,
        done: 0,
    });
    *cancel.armed() = Some(store.interrupt_handle());
    let applied = if cancel.is_requested() {
        Err(StoreError::Interrupted)
    } else {
        writer.apply_directory_changes_until(run, changes, &|| cancel.is_requested())
    };
    // Disarmed before anything else is written: the run is committed (or rolled back) now.
    *cancel.armed() = None;
    let report = applied.map_err(|e| match e {
        StoreError::Interrupted => SyncError::Cancelled,
        other => other.into(),
    })?;
    writer.set_run_snapshot(report.run_id, &snapshot)?;
    drop(writer);
    prune_snapshots(&snapshot);
    Ok((report, snapshot))
}

fn prune_snapshots(latest: &Path) {
    let Some(dir) = latest.parent() else {
        return;
    };
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut files: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "sqlite3"))
        .collect();
    files.sort();
    let excess = files.len().saturating_sub(SNAPSHOTS_KEPT);
    for old in files.into_iter().take(excess) {
        if let Err(err) = std::fs::remove_file(&old) {
            tracing::warn!(error = %err, file = %old.display(), "could not remove an old snapshot");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The 5 newest snapshots stay; older ones go; files that are not snapshots stay.
    #[test]
    fn old_snapshots_are_pruned() {
        let dir = tempfile::tempdir().expect("dir");
        let names: Vec<String> = (1..=7)
            .map(|n| format!("aadsync.2026113015000{n}.sqlite3"))
            .collect();
        for name in names.iter().map(String::as_str).chain(["notes.txt"]) {
            std::fs::write(dir.path().join(name), b"x").expect("write");
        }
        prune_snapshots(&dir.path().join(&names[6]));
        let mut left: Vec<String> = std::fs::read_dir(dir.path())
            .expect("list")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        let mut expected: Vec<String> = names[2..].to_vec();
        expected.push("notes.txt".into());
        assert_eq!(left, expected);
    }

    #[test]
    fn a_cancel_shows_whether_it_was_requested() {
        let cancel = Cancel::default();
        assert_eq!(format!("{cancel:?}"), "Cancel { requested: false, .. }");
        cancel.cancel();
        assert_eq!(format!("{cancel:?}"), "Cancel { requested: true, .. }");
    }
}
