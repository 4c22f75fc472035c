//! One synchronization as the app and the CLI both run it: [`plan_run`] reads and plans,
//! [`PlannedRun::decide`] turns the administrator's decisions about deleted objects into the
//! changes to write (refusing a mass removal that was not confirmed) with the resolutions of
//! account-name conflicts, and [`apply`] writes them.
//! The front ends only translate their input into a [`RunRequest`] and [`Decisions`], and the
//! results into what they show.

use crate::clock::Clock;
use crate::deleted::{Action, DeletedObject, affected, needs_confirmation, safeguard_of};
use crate::engine::{
    self, Cancel, FullReason, Phase, Progress, ReadMode, Selection, SyncError, removals,
};
use aadsync_directory::graph::GraphClient;
use aadsync_ipc::Safeguard;
use aadsync_store::plan::{Imported, Plan};
use aadsync_store::{
    ApplyReport, ConflictResolution, Decision, DecisionAction, DecisionFinding, DeltaLinks,
    DirectoryChanges, DirectoryUser, Lift, Organization, RunInfo, Store, StoreError,
};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;

/// What the administrator asked for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunRequest {
    pub selection: Selection,
    /// "Check deleted objects": compare every imported object and list what Entra ID deleted,
    /// disabled or no longer puts in scope.
    pub check_deleted: bool,
    /// Compare every imported object even when change-tracking links are usable.
    pub full: bool,
}

/// A run that was read and planned, waiting for the administrator's decisions.
#[derive(Debug, Clone)]
pub struct PlannedRun {
    /// The tenant, and who runs the sync.
    pub run: RunInfo,
    /// What Entra ID returned: no removals yet, and without the users deleted on this server
    /// (`tombstoned`).
    pub changes: DirectoryChanges,
    /// What writing `changes` would do now (the preview, before any removal).
    pub plan: Plan,
    /// Found by "Check deleted objects", each with the proposed action (Disable).
    pub deleted: Vec<DeletedObject>,
    /// Users deleted on this server that the selection would bring back; left out unless the
    /// decisions re-import them.
    pub tombstoned: Vec<DirectoryUser>,
    /// Users and groups imported from the tenant before this run.
    pub imported_total: usize,
    /// The organization's deletion safeguard as saved when the run was planned.
    pub safeguard: Safeguard,
    /// How the imported objects were read.
    pub read: ReadMode,
    /// Imported objects Entra ID reports deleted that nobody decides about because "Check
    /// deleted objects" was off (0 when it was on).
    pub deleted_unchecked: usize,
    /// Parts of "Check deleted objects" left unchecked, one line each with why (a missing
    /// permission); nothing in `deleted` comes from them.
    pub deleted_skipped: Vec<String>,
    /// Imported users that leave the scope with this run (object ID, display name): removed
    /// roots no longer reach them, or they left their groups in Entra ID. Only *Check deleted
    /// objects* decides about them; otherwise they stay as they are.
    pub leaving_scope: Vec<(String, String)>,
    /// Roots of the organization's saved scope before this run.
    pub saved_roots: usize,
}

/// Users deleted on this server that a run brings back.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Reimport {
    #[default]
    None,
    All,
    /// These object IDs.
    Only(HashSet<String>),
}

/// What the administrator decided after the preview.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Decisions {
    /// The action per object ID, overriding everything else.
    pub actions: HashMap<String, Action>,
    /// The action for every object `actions` does not name; `None` keeps the proposal.
    pub default_action: Option<Action>,
    pub reimport: Reimport,
    /// The administrator confirmed disabling or deleting more than the safeguard allows.
    pub confirm_mass: bool,
    /// How each account-name conflict of the preview is resolved, by object ID; a conflict
    /// named nowhere is skipped (the user is not imported).
    pub resolutions: BTreeMap<String, ConflictResolution>,
}

/// More objects would be disabled or deleted than the organization's safeguard allows, and
/// the administrator did not confirm it. Nothing was written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{affected} of {total} imported objects would be disabled or deleted")]
pub struct ThresholdExceeded {
    pub affected: usize,
    pub total: usize,
    /// The objects with the actions decided, for the administrator to check.
    pub objects: Vec<DeletedObject>,
}

/// Why a decision is lifted, for the preview ("Ann Lee: back in scope").
/// One line per saved root a run takes out or gives other flags: "Marketing (group with
/// members) taken out", "Sales (group with members and nested groups) becomes a group with
/// members".
pub fn scope_change_lines(changes: &DirectoryChanges) -> Vec<String> {
    changes
        .dropped_roots
        .iter()
        .map(|d| {
            let now = changes
                .roots
                .iter()
                .find(|r| r.object_id == d.root.object_id);
            match now {
                Some(r) => format!(
                    "{} ({}) becomes a {}",
                    d.display_name,
                    d.root.describe(),
                    r.describe()
                ),
                None => format!("{} ({}) taken out", d.display_name, d.root.describe()),
            }
        })
        .collect()
}

pub fn lift_line(lift: &Lift) -> String {
    let why = match lift.finding {
        DecisionFinding::OutOfScope => "back in scope",
        DecisionFinding::SoftDeleted | DecisionFinding::HardDeleted => "restored in Entra ID",
        DecisionFinding::Disabled => "enabled again in Entra ID",
    };
    format!("{}: {why}", lift.display_name)
}

impl PlannedRun {
    /// The decisions this run lifts, one line each.
    pub fn lifted(&self) -> Vec<String> {
        self.changes.lifted.iter().map(lift_line).collect()
    }

    /// The deleted objects with the administrator's actions.
    pub fn decided_objects(&self, decisions: &Decisions) -> Vec<DeletedObject> {
        let mut objects = self.deleted.clone();
        for object in &mut objects {
            if let Some(action) = decisions.actions.get(&object.object_id) {
                object.action = *action;
            } else if let Some(action) = decisions.default_action {
                object.action = action;
            }
        }
        objects
    }

    /// The changes to write after the administrator's decisions; refused above the safeguard
    /// unless confirmed.
    pub fn decide(&self, decisions: &Decisions) -> Result<DirectoryChanges, ThresholdExceeded> {
        let objects = self.decided_objects(decisions);
        if needs_confirmation(&self.safeguard, &objects, self.imported_total)
            && !decisions.confirm_mass
        {
            return Err(ThresholdExceeded {
                affected: affected(&objects),
                total: self.imported_total,
                objects,
            });
        }
        let mut changes = self.changes.clone();
        changes.removals = removals(&objects);
        changes.decisions = objects.iter().map(decision).collect();
        let reimported = self
            .tombstoned
            .iter()
            .filter(|u| match &decisions.reimport {
                Reimport::None => false,
                Reimport::All => true,
                Reimport::Only(ids) => ids.contains(&u.object_id),
            });
        changes.users.extend(reimported.cloned());
        changes.resolutions = decisions.resolutions.clone();
        Ok(changes)
    }

    /// The users the decided `changes` would treat otherwise than the preview showed: one
    /// whose outcome changes, or a resolved conflict that would still fail. E.g. a name chosen
    /// with "import as" that another user of this run also has (the later of the two would
    /// fail). A run with any is refused, so Synchronize never does what the preview did not
    /// show.
    pub fn unpreviewed(
        &self,
        store: &aadsync_store::Store,
        changes: &DirectoryChanges,
    ) -> Result<Vec<String>, crate::model::SyncError> {
        if changes.resolutions.is_empty() {
            return Ok(Vec::new());
        }
        let now = crate::write::preview(store, &self.run.tenant_id, changes)?;
        Ok(now
            .users
            .iter()
            .filter(|item| {
                if changes.resolutions.contains_key(&item.object_id) {
                    return matches!(item.outcome, aadsync_store::ApplyOutcome::Failed { .. });
                }
                self.plan
                    .users
                    .iter()
                    .find(|p| p.object_id == item.object_id)
                    .is_some_and(|p| p.outcome != item.outcome)
            })
            .map(|item| item.display_name.clone())
            .collect())
    }
}

/// An object's decided action, as the run records it.
fn decision(object: &DeletedObject) -> Decision {
    Decision {
        kind: object.kind,
        object_id: object.object_id.clone(),
        display_name: object.display_name.clone(),
        action: match object.action {
            Action::Keep => DecisionAction::Keep,
            Action::Disable => DecisionAction::Disable,
            Action::Delete => DecisionAction::Delete,
        },
        finding: object.finding.decision_finding(),
    }
}

/// Runs `job` on the blocking pool: SQLite calls never run on the async runtime's threads.
async fn blocking<T: Send + 'static>(
    job: impl FnOnce() -> Result<T, SyncError> + Send + 'static,
) -> Result<T, SyncError> {
    tokio::task::spawn_blocking(job).await.map_err(|e| {
        SyncError::Store(StoreError::Invalid(format!("a database task failed: {e}")))
    })?
}

/// What the database holds for the run: the imported objects, the change-tracking links
/// (none when a full comparison is asked for), and the organization as saved now (the
/// administrator may have changed its safeguard since connecting).
async fn stored(
    store: &Arc<Store>,
    organization: &Organization,
    full: bool,
) -> Result<(Arc<Imported>, u64, Option<DeltaLinks>, Organization), SyncError> {
    let (store, tenant, id) = (
        Arc::clone(store),
        organization.tenant_id.clone(),
        organization.id,
    );
    blocking(move || {
        let reader = store.reader();
        let (imported, pinned) = reader.imported_pinned(&tenant)?;
        let links = if full {
            None
        } else {
            reader.delta_links(&tenant)?
        };
        Ok((imported, pinned, links, reader.organization(id)?))
    })
    .await
}

/// Reads what the request needs from Graph and plans it. Nothing is written.
pub async fn plan_run(
    graph: &GraphClient,
    store: &Arc<Store>,
    run: RunInfo,
    organization: &Organization,
    request: &RunRequest,
    clock: &dyn Clock,
    progress: &(dyn Fn(Progress) + Send + Sync),
) -> Result<PlannedRun, SyncError> {
    // What the read starts from (`pinned`): the apply refuses when the database moved on
    // meanwhile.
    let (imported, pinned, links, organization) = stored(store, organization, request.full).await?;
    let forced = match (request.check_deleted, request.full) {
        (true, _) => Some(FullReason::CheckDeleted),
        (false, true) => Some(FullReason::Requested),
        (false, false) => None,
    };
    let selection = &request.selection;
    let gathered = engine::gather_incremental(
        graph,
        &imported,
        selection,
        links.as_ref(),
        forced,
        clock,
        progress,
    )
    .await?;
    let deleted = if request.check_deleted {
        progress(Progress {
            phase: Phase::CheckingDeleted,
            done: 0,
        });
        engine::check_deleted_noting(graph, &imported, &gathered, clock).await?
    } else {
        engine::DeletedCheck::default()
    };
    let deleted_unchecked = if request.check_deleted {
        0
    } else {
        gathered.deleted_in_entra()
    };
    progress(Progress {
        phase: Phase::Planning,
        done: 0,
    });
    let leaving_scope = gathered
        .leaving_scope
        .iter()
        .map(|id| {
            let name = imported
                .users
                .get(id)
                .map_or_else(|| id.clone(), |u| u.directory.display_name.clone());
            (id.clone(), name)
        })
        .collect();
    let (mut changes, plan) = preview(store, &run.tenant_id, gathered.changes).await?;
    // Graph was read relative to `imported` and its links: should the database have changed
    // during the read (an undo putting the links back, another sync), the apply refuses and
    // the run is planned again, rather than writing changes read from links no longer stored.
    changes.based_on = Some(pinned);
    Ok(PlannedRun {
        run,
        changes,
        plan,
        deleted: deleted.objects,
        deleted_skipped: deleted.skipped,
        tombstoned: gathered.tombstoned,
        imported_total: imported.users.len() + imported.groups.len(),
        safeguard: safeguard_of(&organization),
        read: gathered.read,
        deleted_unchecked,
        leaving_scope,
        saved_roots: imported.roots.len(),
    })
}

/// What writing `changes` would do now; the changes come back with the plan.
pub async fn preview(
    store: &Arc<Store>,
    tenant_id: &str,
    changes: DirectoryChanges,
) -> Result<(DirectoryChanges, Plan), SyncError> {
    let (store, tenant) = (Arc::clone(store), tenant_id.to_owned());
    blocking(move || {
        let plan = engine::preview(&store, &tenant, &changes)?;
        Ok((changes, plan))
    })
    .await
}

/// Writes `changes` (from [`PlannedRun::decide`]) in one transaction, refused with
/// [`StoreError::Stale`] when the database changed since the preview; `cancel` rolls it back
/// until the commit. The path is the backup written before an organization's first run.
pub async fn apply(
    store: &Arc<Store>,
    run: &RunInfo,
    changes: Arc<DirectoryChanges>,
    cancel: Arc<Cancel>,
    progress: Arc<dyn Fn(Progress) + Send + Sync>,
) -> Result<(ApplyReport, Option<PathBuf>), SyncError> {
    let (store, run) = (Arc::clone(store), run.clone());
    blocking(move || engine::apply_cancellable(&store, &run, &changes, &*progress, &cancel)).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deleted::Finding;
    use aadsync_ipc::safeguard::BOUNDARIES;
    use aadsync_store::ObjectKind;

    fn planned(objects: u64, imported_total: u64, safeguard: Safeguard) -> PlannedRun {
        PlannedRun {
            run: RunInfo {
                tenant_id: "t".into(),
                started_by: "admin@contoso.com".into(),
            },
            changes: DirectoryChanges::default(),
            plan: Plan::default(),
            deleted: (0..objects)
                .map(|n| DeletedObject {
                    kind: ObjectKind::User,
                    object_id: format!("o-{n}"),
                    display_name: format!("User {n}"),
                    account: format!("u{n}@contoso.com"),
                    finding: Finding::HardDeleted,
                    action: Action::Keep,
                })
                .collect(),
            tombstoned: ["t-1", "t-2"]
                .map(|id| DirectoryUser {
                    object_id: id.into(),
                    ..DirectoryUser::default()
                })
                .to_vec(),
            imported_total: imported_total as usize,
            leaving_scope: Vec::new(),
            saved_roots: 0,
            safeguard,
            read: ReadMode::Full(FullReason::Requested),
            deleted_unchecked: 0,
            deleted_skipped: Vec::new(),
        }
    }

    /// The decisions are checked again against the safeguard, whatever the front end showed:
    /// unconfirmed above it is refused with the numbers; confirmed or below it, every decided
    /// removal is in the changes.
    #[test]
    fn decisions_are_checked_against_the_safeguard() {
        for case in BOUNDARIES.iter().filter(|c| c.affected <= 10_000) {
            // Everything proposed Keep; the admin's decisions disable `affected` of them.
            let plan = planned(case.affected + 2, case.imported_total, case.safeguard);
            let mut decisions = Decisions {
                actions: (0..case.affected)
                    .map(|n| {
                        let action = if n % 2 == 0 {
                            Action::Disable
                        } else {
                            Action::Delete
                        };
                        (format!("o-{n}"), action)
                    })
                    .collect(),
                ..Decisions::default()
            };
            match plan.decide(&decisions) {
                Err(refused) => {
                    assert!(case.exceeded, "{}", case.why);
                    assert_eq!(refused.affected as u64, case.affected, "{}", case.why);
                    assert_eq!(refused.total as u64, case.imported_total, "{}", case.why);
                }
                Ok(changes) => {
                    assert!(!case.exceeded, "{}", case.why);
                    assert_eq!(changes.removals.len() as u64, case.affected, "{}", case.why);
                }
            }
            decisions.confirm_mass = true;
            let confirmed = plan.decide(&decisions).expect(case.why);
            assert_eq!(
                confirmed.removals.len() as u64,
                case.affected,
                "{}",
                case.why
            );
        }
    }

    /// Per-object actions win over the default; objects named nowhere keep the proposal.
    #[test]
    fn per_object_actions_override_the_default_action() {
        let plan = planned(3, 1_000, Safeguard::default());
        let decisions = Decisions {
            actions: HashMap::from([("o-1".to_owned(), Action::Keep)]),
            default_action: Some(Action::Delete),
            ..Decisions::default()
        };
        let actions: Vec<(String, Action)> = plan
            .decided_objects(&decisions)
            .into_iter()
            .map(|o| (o.object_id, o.action))
            .collect();
        assert_eq!(
            actions,
            [
                ("o-0".to_owned(), Action::Delete),
                ("o-1".to_owned(), Action::Keep),
                ("o-2".to_owned(), Action::Delete),
            ]
        );
        let kept = plan.decided_objects(&Decisions::default());
        assert!(kept.iter().all(|o| o.action == Action::Keep));
    }

    /// Users deleted on this server come back only as the decisions say.
    #[test]
    fn tombstoned_users_come_back_only_when_re_imported() {
        let plan = planned(0, 10, Safeguard::default());
        let users = |reimport: Reimport| -> Vec<String> {
            let decisions = Decisions {
                reimport,
                ..Decisions::default()
            };
            let changes = plan.decide(&decisions).expect("nothing removed");
            changes.users.into_iter().map(|u| u.object_id).collect()
        };
        assert_eq!(users(Reimport::None), Vec::<String>::new());
        assert_eq!(users(Reimport::All), ["t-1", "t-2"]);
        assert_eq!(
            users(Reimport::Only(HashSet::from(["t-2".to_owned()]))),
            ["t-2"]
        );
    }
}
