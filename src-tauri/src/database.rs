//! The app's handle on the user database: opened on first use, retried after a failure, with
//! the Users area's in-memory index cached until the next write.

use aadsync_store::view::UserIndex;
use aadsync_store::{OpenOptions, Store, StoreError};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

#[derive(Debug)]
pub struct Database {
    path: PathBuf,
    store: Mutex<Option<Arc<Store>>>,
    index: Mutex<Option<Arc<UserIndex>>>,
}

impl Database {
    pub fn new(path: PathBuf) -> Self {
        Self {
            path,
            store: Mutex::new(None),
            index: Mutex::new(None),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The open store. A failed open is not remembered: once the admin has closed the program
    /// holding the lock (or moved the foreign file away), the next call succeeds.
    pub fn store(&self) -> Result<Arc<Store>, StoreError> {
        let mut slot = self.store.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(store) = slot.as_ref() {
            return Ok(Arc::clone(store));
        }
        let store = Arc::new(Store::open(&self.path, &OpenOptions::default())?);
        *slot = Some(Arc::clone(&store));
        Ok(store)
    }

    /// All users, indexed for the Users area; loaded once per write.
    pub fn index(&self) -> Result<Arc<UserIndex>, StoreError> {
        let mut slot = self.index.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(index) = slot.as_ref() {
            return Ok(Arc::clone(index));
        }
        let index = Arc::new(self.store()?.reader().user_index()?);
        index.warm();
        *slot = Some(Arc::clone(&index));
        Ok(index)
    }

    /// Opens the database and builds the Users area's index in the background, so the first
    /// paint of the Users area does not wait for them. Errors are reported when the UI asks.
    pub fn preload(self: &Arc<Self>) {
        let database = Arc::clone(self);
        let spawned = std::thread::Builder::new()
            .name("database-preload".into())
            .spawn(move || {
                if let Err(err) = database.index() {
                    tracing::warn!(error = %err, "database not available at start-up");
                }
            });
        if let Err(err) = spawned {
            tracing::warn!(error = %err, "cannot preload the database");
        }
    }

    /// Drops the cached index after a write.
    pub fn changed(&self) {
        *self.index.lock().unwrap_or_else(PoisonError::into_inner) = None;
    }
}
