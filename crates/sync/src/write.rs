//! The write side of a run: the preview (the pure plan on what the database holds now), and
//! the apply: the plan in one transaction that also records the run's changeset (what an undo
//! reverts), which a Cancel rolls back.

use crate::model::{Phase, Progress, SyncError};
use aadsync_store::plan::Plan;
use aadsync_store::{ApplyReport, DirectoryChanges, RunInfo, Store, StoreError};
use std::path::PathBuf;

/// The preview: what applying `changes` would do now.
pub fn preview(
    store: &Store,
    tenant_id: &str,
    changes: &DirectoryChanges,
) -> Result<Plan, SyncError> {
    let imported = store.reader().imported(tenant_id)?;
    Ok(aadsync_store::plan::plan(&imported, changes))
}

/// Applies `changes` in one transaction. Before an organization's first synchronization, the
/// one full backup is written first (its path comes back).
pub fn apply(
    store: &Store,
    run: &RunInfo,
    changes: &DirectoryChanges,
    progress: &(dyn Fn(Progress) + Send + Sync),
) -> Result<(ApplyReport, Option<PathBuf>), SyncError> {
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
) -> Result<(ApplyReport, Option<PathBuf>), SyncError> {
    if cancel.is_requested() {
        return Err(SyncError::Cancelled);
    }
    // One write handle for both: nothing can be written between the backup and the apply.
    let mut writer = store.writer();
    let backup = if writer.first_sync(&run.tenant_id)? {
        progress(Progress {
            phase: Phase::Backup,
            done: 0,
        });
        Some(writer.backup()?)
    } else {
        None
    };
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
    drop(writer);
    Ok((report, backup))
}
