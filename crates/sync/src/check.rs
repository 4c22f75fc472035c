//! *Check deleted objects* after a complete read: the recycle bin read (or no decision at
//! all), the triage, and the removals the administrator's actions amount to.

use crate::clock::{Clock, unix_now};
use crate::deleted::{Action, CompleteRead, DeletedObject, Finding, triage};
use crate::gathered::Gathered;
use crate::model::SyncError;
use aadsync_directory::graph::GraphClient;
use aadsync_store::plan::Imported;
use aadsync_store::{DirectoryDeletion, Removal, RemovalAction};
use std::collections::HashMap;

/// "Check deleted objects": reads the recycle bin (a complete read, or an error and no
/// decision), then sorts every imported user Entra ID no longer has, has disabled, or no longer
/// puts in scope, and every imported group it no longer has. Each gets the proposed action
/// (Disable).
pub async fn check_deleted(
    graph: &GraphClient,
    imported: &Imported,
    gathered: &Gathered,
    clock: &dyn Clock,
) -> Result<Vec<DeletedObject>, SyncError> {
    let mut recycle_bin = HashMap::new();
    if !gathered.missing_users.is_empty() {
        recycle_bin.extend(graph.recycle_bin_users().await?);
    }
    if !gathered.missing_groups.is_empty() {
        recycle_bin.extend(graph.recycle_bin_groups().await?);
    }
    let read = CompleteRead {
        changes: gathered.changes.clone(),
        missing_users: gathered.missing_users.clone(),
        missing_groups: gathered.missing_groups.clone(),
        recycle_bin,
    };
    Ok(triage(imported, &read, unix_now(clock)))
}

/// The removals the admin's decisions amount to (Keep is no removal).
pub fn removals(objects: &[DeletedObject]) -> Vec<Removal> {
    objects
        .iter()
        .filter_map(|o| {
            let action = match o.action {
                Action::Keep => return None,
                Action::Disable => RemovalAction::Disable,
                Action::Delete => RemovalAction::Delete,
            };
            let deletion = match o.finding {
                Finding::SoftDeleted { .. } => Some(DirectoryDeletion::SoftDeleted),
                Finding::HardDeleted => Some(DirectoryDeletion::HardDeleted),
                _ => None,
            };
            Some(Removal {
                kind: o.kind,
                object_id: o.object_id.clone(),
                action,
                deletion,
                reason: o.finding.describe(),
            })
        })
        .collect()
}
