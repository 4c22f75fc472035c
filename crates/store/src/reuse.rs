//! A tenant's imported state loaded through the kept snapshot (`snapshot.rs`): by the read
//! and the preview on the read connection, and by the apply inside its write transaction.

use crate::Result;
use crate::imported::{Imported, load_imported};
use crate::snapshot::{Snapshot, Snapshots, data_version};
use crate::users::ReadHandle;
use std::sync::{Arc, Mutex};

impl ReadHandle<'_> {
    /// What `tenant_id` imported so far, as the sync plan needs it.
    pub fn imported(&self, tenant_id: &str) -> Result<Arc<Imported>> {
        Ok(Arc::clone(&self.snapshot(tenant_id)?.imported))
    }

    /// [`Self::imported`] with its digest: the pin an apply checks the database against.
    pub fn imported_pinned(&self, tenant_id: &str) -> Result<(Arc<Imported>, u64)> {
        let snapshot = self.snapshot(tenant_id)?;
        Ok((Arc::clone(&snapshot.imported), snapshot.digest()))
    }

    /// The kept snapshot when nothing was committed since it was loaded, else a new load.
    pub(crate) fn snapshot(&self, tenant_id: &str) -> Result<Arc<Snapshot>> {
        let conn = self.connection();
        // One read transaction: the version and the rows loaded are of the same commit.
        let tx = conn.unchecked_transaction().map_err(|e| self.error(e))?;
        let version = data_version(&tx).map_err(|e| self.error(e))?;
        if let Some(kept) = self.snapshots.get(tenant_id, version) {
            return Ok(kept);
        }
        let imported = load_imported(&tx, tenant_id).map_err(|e| self.error(e))?;
        drop(tx);
        let snapshot = Arc::new(Snapshot::new(tenant_id, version, imported));
        self.snapshots.keep(Arc::clone(&snapshot));
        Ok(snapshot)
    }
}

/// Inside a write transaction (which holds the write lock, so nothing else commits): the
/// kept snapshot of `tenant_id` if no commit happened since it was loaded. None when the read
/// connection is in use elsewhere (the caller loads instead of waiting for it).
pub(crate) fn unchanged_snapshot(
    reader: &Mutex<rusqlite::Connection>,
    snapshots: &Snapshots,
    tenant_id: &str,
) -> Option<Arc<Snapshot>> {
    // Nothing kept (outside a run): the read connection is not touched at all.
    let kept = snapshots.kept(tenant_id)?;
    let reader = reader.try_lock().ok()?;
    let version = data_version(&reader).ok()?;
    (version == kept.version()).then_some(kept)
}
