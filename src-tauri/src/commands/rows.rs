//! The sync use case's results as the wizard's rows: outcomes, counts, deleted objects and
//! users deleted on this server.

use aadsync_ipc as ipc;
use aadsync_store::{
    ApplyOutcome, ChangedField, ConflictResolution, Counts, DirectoryUser, ObjectKind, OutcomeItem,
};
use aadsync_sync::deleted::{Action, DeletedObject, Finding};
use aadsync_sync::run::PlannedRun;
use std::collections::BTreeMap;

pub(crate) fn entry_kind(kind: ObjectKind) -> ipc::EntryKind {
    match kind {
        ObjectKind::User => ipc::EntryKind::User,
        ObjectKind::Group => ipc::EntryKind::Group,
    }
}

pub(crate) fn outcome_row(item: &OutcomeItem) -> ipc::OutcomeRow {
    let (outcome, detail) = match &item.outcome {
        ApplyOutcome::Created => (ipc::Outcome::Create, String::new()),
        ApplyOutcome::CreatedAs { .. } => (
            ipc::Outcome::Create,
            item.outcome.resolution_note().unwrap_or_default(),
        ),
        ApplyOutcome::Linked { .. } => (
            ipc::Outcome::Update,
            item.outcome.resolution_note().unwrap_or_default(),
        ),
        ApplyOutcome::Updated { fields } => (ipc::Outcome::Update, ChangedField::join(fields)),
        ApplyOutcome::Unchanged => (ipc::Outcome::Unchanged, String::new()),
        ApplyOutcome::Disabled { reason } => (ipc::Outcome::Disable, reason.clone()),
        ApplyOutcome::Deleted { reason } => (ipc::Outcome::Delete, reason.clone()),
        ApplyOutcome::Failed { reason } => (ipc::Outcome::Conflict, reason.clone()),
    };
    ipc::OutcomeRow {
        kind: entry_kind(item.kind),
        id: item.object_id.clone(),
        display_name: item.display_name.clone(),
        outcome,
        detail,
    }
}

pub(crate) fn counts(c: &Counts) -> ipc::Counts {
    ipc::Counts {
        create: c.created,
        update: c.updated,
        unchanged: c.unchanged,
        disable: c.disabled,
        delete: c.deleted,
        conflict: c.failed,
    }
}

/// The preview's conflicts as the administrator resolved them: a link names the local user
/// holding the conflict's account name; a decision for an object that is no conflict of this
/// plan is ignored.
pub(crate) fn resolutions(
    planned: &PlannedRun,
    decided: &[ipc::ConflictDecision],
) -> BTreeMap<String, ConflictResolution> {
    decided
        .iter()
        .filter_map(|d| {
            let conflict = planned
                .plan
                .conflicts
                .iter()
                .find(|c| c.object_id == d.id)?;
            let resolution = match &d.choice {
                ipc::ConflictChoice::Link => ConflictResolution::Link {
                    local_account: conflict.account_name.clone(),
                },
                ipc::ConflictChoice::ImportAs { account_name } => ConflictResolution::ImportAs {
                    account_name: account_name.clone(),
                },
            };
            Some((d.id.clone(), resolution))
        })
        .collect()
}

pub(crate) fn deleted_action(action: Action) -> ipc::DeletedAction {
    match action {
        Action::Keep => ipc::DeletedAction::Keep,
        Action::Disable => ipc::DeletedAction::Disable,
        Action::Delete => ipc::DeletedAction::Delete,
    }
}

pub(crate) fn action(action: ipc::DeletedAction) -> Action {
    match action {
        ipc::DeletedAction::Keep => Action::Keep,
        ipc::DeletedAction::Disable => Action::Disable,
        ipc::DeletedAction::Delete => Action::Delete,
    }
}

fn deleted_row(o: &DeletedObject) -> ipc::DeletedRow {
    ipc::DeletedRow {
        id: o.object_id.clone(),
        display_name: o.display_name.clone(),
        kind: entry_kind(o.kind),
        account: o.account.clone(),
        reason: match o.finding {
            Finding::SoftDeleted { .. } => ipc::DeletedReason::SoftDeleted,
            Finding::HardDeleted => ipc::DeletedReason::HardDeleted,
            Finding::DisabledInEntra => ipc::DeletedReason::Disabled,
            Finding::OutOfScope { .. } => ipc::DeletedReason::OutOfScope,
        },
        detail: o.finding.describe(),
        action: deleted_action(o.action),
    }
}

fn tombstone_row(u: &DirectoryUser) -> ipc::TombstoneRow {
    ipc::TombstoneRow {
        id: u.object_id.clone(),
        display_name: u.display_name.clone(),
        account: u.user_principal_name.clone().unwrap_or_default(),
    }
}

/// Step 4 and 5: the preview of a planned run, stored under `plan`.
pub(crate) fn preview(plan: u64, planned: &PlannedRun) -> ipc::SyncPreview {
    ipc::SyncPreview {
        plan,
        counts: counts(&planned.plan.counts),
        rows: planned.plan.items().map(outcome_row).collect(),
        deleted: planned.deleted.iter().map(deleted_row).collect(),
        imported_total: planned.imported_total as u64,
        threshold_count: planned.safeguard.count,
        threshold_percent: planned.safeguard.percent,
        tombstoned: planned.tombstoned.iter().map(tombstone_row).collect(),
        read_mode: planned.read.describe(),
        deleted_unchecked: planned.deleted_unchecked as u64,
        deleted_skipped: planned.deleted_skipped.clone(),
        lifted: planned.lifted(),
        conflicts: planned
            .plan
            .conflicts
            .iter()
            .map(|c| ipc::ConflictRow {
                id: c.object_id.clone(),
                display_name: c.display_name.clone(),
                account: c.account_name.clone(),
                linkable: c.linkable,
            })
            .collect(),
        saved_roots: planned.saved_roots as u64,
        scope_changes: aadsync_sync::run::scope_change_lines(&planned.changes),
        leaving_scope: planned
            .leaving_scope
            .iter()
            .map(|(_, name)| name.clone())
            .collect(),
    }
}
