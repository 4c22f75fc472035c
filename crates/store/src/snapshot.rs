//! The imported state last loaded, kept for the next load of the same commit: a run loads
//! what its tenant imported to read Graph, again for the preview, and a third time inside the
//! apply's transaction; when nothing was committed in between, the three are one load.
//!
//! "Nothing was committed" is the read connection's `PRAGMA data_version`, which changes
//! whenever another connection — this store's writer, or another process — commits. The read
//! connection never writes, so every commit changes it.

use crate::imported::Imported;
use rusqlite::Connection;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

/// One load of one tenant's imported state, at one version of the database.
#[derive(Debug)]
pub(crate) struct Snapshot {
    tenant_id: String,
    version: i64,
    pub(crate) imported: Arc<Imported>,
    /// The preview's pin, computed once however many times it is asked for.
    digest: OnceLock<u64>,
}

impl Snapshot {
    pub(crate) fn new(tenant_id: &str, version: i64, imported: Imported) -> Self {
        Self {
            tenant_id: tenant_id.to_owned(),
            version,
            imported: Arc::new(imported),
            digest: OnceLock::new(),
        }
    }

    pub(crate) fn version(&self) -> i64 {
        self.version
    }

    pub(crate) fn digest(&self) -> u64 {
        *self.digest.get_or_init(|| self.imported.digest())
    }
}

/// The last snapshot loaded (one: a run works on one tenant at a time).
#[derive(Debug, Default)]
pub(crate) struct Snapshots {
    last: Mutex<Option<Arc<Snapshot>>>,
}

impl Snapshots {
    fn last(&self) -> std::sync::MutexGuard<'_, Option<Arc<Snapshot>>> {
        self.last.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The snapshot of `tenant_id` at `version`, if that is the one kept.
    pub(crate) fn get(&self, tenant_id: &str, version: i64) -> Option<Arc<Snapshot>> {
        self.last()
            .as_ref()
            .filter(|s| s.tenant_id == tenant_id && s.version == version)
            .cloned()
    }

    /// The snapshot kept for `tenant_id`, whatever its version.
    pub(crate) fn kept(&self, tenant_id: &str) -> Option<Arc<Snapshot>> {
        self.last()
            .as_ref()
            .filter(|s| s.tenant_id == tenant_id)
            .cloned()
    }

    pub(crate) fn keep(&self, snapshot: Arc<Snapshot>) {
        *self.last() = Some(snapshot);
    }

    /// Lets the memory go once a write made the snapshot out of date anyway.
    pub(crate) fn clear(&self) {
        *self.last() = None;
    }
}

/// The read connection's count of commits it has seen (by any other connection).
pub(crate) fn data_version(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("PRAGMA data_version", [], |r| r.get(0))
}
