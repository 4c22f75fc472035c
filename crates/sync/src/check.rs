//! *Check deleted objects* after a complete read: the recycle bin read (or no decision at
//! all), the triage, and the removals the administrator's actions amount to.

use crate::clock::{Clock, unix_now};
use crate::deleted::{Action, CompleteRead, DeletedObject, Finding, triage};
use crate::gathered::Gathered;
use crate::model::SyncError;
use aadsync_directory::graph::{GraphClient, GraphError};
use aadsync_store::plan::Imported;
use aadsync_store::{DirectoryDeletion, Removal, RemovalAction};
use std::collections::HashMap;

/// What "Check deleted objects" found, and the parts it could not check (with why).
#[derive(Debug, Clone, Default)]
pub struct DeletedCheck {
    pub objects: Vec<DeletedObject>,
    /// One line per part left unchecked ("Deleted groups were not checked: …"); nothing was
    /// decided about the objects of that part.
    pub skipped: Vec<String>,
}

/// The note for deleted groups left unchecked for want of `Group.Read.All`.
pub const GROUPS_SKIPPED: &str = "Deleted groups were not checked: reading Entra ID's deleted groups needs the Microsoft Graph permission Group.Read.All (GroupMember.Read.All is not enough), which this app registration was not granted. Deleted users were checked. Add Group.Read.All and grant admin consent to check groups too";

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
    Ok(check_deleted_noting(graph, imported, gathered, clock)
        .await?
        .objects)
}

/// [`check_deleted`], also saying what it could not check. Deleted groups need
/// `Group.Read.All` ("List deleted items"); without it Graph answers 403, and the check goes on
/// with the users and decides nothing about any group (a group missing from `/groups` may be
/// in the recycle bin or gone for good: only the read that was refused could tell).
pub async fn check_deleted_noting(
    graph: &GraphClient,
    imported: &Imported,
    gathered: &Gathered,
    clock: &dyn Clock,
) -> Result<DeletedCheck, SyncError> {
    let mut recycle_bin = HashMap::new();
    let mut skipped = Vec::new();
    if !gathered.missing_users.is_empty() {
        recycle_bin.extend(graph.recycle_bin_users().await?);
    }
    let mut missing_groups = gathered.missing_groups.clone();
    if !missing_groups.is_empty() {
        match graph.recycle_bin_groups().await {
            Ok(groups) => recycle_bin.extend(groups),
            Err(GraphError::Http { status: 403, .. }) => {
                tracing::warn!("deleted groups not readable (Group.Read.All); groups skipped");
                skipped.push(GROUPS_SKIPPED.to_owned());
                missing_groups.clear();
            }
            Err(e) => return Err(e.into()),
        }
    }
    let read = CompleteRead {
        changes: gathered.changes.clone(),
        missing_users: gathered.missing_users.clone(),
        missing_groups,
        recycle_bin,
    };
    Ok(DeletedCheck {
        objects: triage(imported, &read, unix_now(clock)),
        skipped,
    })
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
