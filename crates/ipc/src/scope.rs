//! The organization's saved scope, as the wizard's step 3 shows it and lets the admin change it.

use crate::Command;
use crate::sync::EntryKind;
use serde::{Deserialize, Serialize};

/// One saved scope root.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedRootRow {
    pub id: String,
    pub kind: EntryKind,
    /// As imported; empty when never imported.
    pub display_name: String,
    pub members: bool,
    pub nested: bool,
    /// Imported users the last synchronization found in scope through this root.
    pub users_reached: u64,
}

/// The saved scope of a stored organization (`OrganizationRef`), groups first.
#[derive(Debug)]
pub enum SavedScope {}

impl Command for SavedScope {
    const NAME: &'static str = "saved_scope";
    type Args = crate::OrganizationRef;
    type Output = Vec<SavedRootRow>;
}
