//! Step 4, Preview: reads the selection from Entra ID and shows what a synchronization would
//! do (counts, notices, then the rows), before anything is written.

use super::Wizard;
use super::conflicts::ConflictChoices;
use super::outcomes::outcome_table;
use crate::components::error::{ErrorMessage, Look, failure};
use crate::ipc;
use crate::timer::sleep;
use aadsync_ipc::{
    DeletedDecision, IpcError, NoArgs, PlanProgress, PlanProgressCmd, PlanRequest, PlanSync,
    SyncPreview,
};
use leptos::prelude::*;
use leptos::task::spawn_local;

/// Pause between two reads of the plan's progress.
const PROGRESS_POLL_MS: i32 = 250;

/// The Preview step: plans the synchronization as soon as it is shown (the admin's Next).
#[component]
pub fn PreviewStep() -> impl IntoView {
    let wizard = expect_context::<Wizard>();
    let progress = RwSignal::new(None::<PlanProgress>);
    wizard.ready.set(false);
    wizard.preview.set(None);
    let plan = Action::new_unsync(move |request: &PlanRequest| {
        let request = request.clone();
        async move {
            let preview = ipc::call::<PlanSync>(&request).await?;
            adopt(wizard, preview);
            Ok::<(), IpcError>(())
        }
    });
    let planning = plan.pending();
    if let Some(organization) = wizard.organization() {
        let mut selection = wizard.select.with_untracked(|m| {
            m.selection(
                wizard.members.get_untracked(),
                wizard.nested.get_untracked(),
            )
        });
        wizard.saved.with_untracked(|s| s.apply(&mut selection));
        plan.dispatch(PlanRequest {
            organization,
            selection,
            check_deleted: wizard.flow.with_untracked(|f| f.check_deleted()),
        });
        // Show what the read is doing while it runs (it can take a while on a big tenant).
        // A polling timer, not an Action: no one asks for it, and it ends with the plan (or
        // with this step, whose `planning` is then gone).
        spawn_local(async move {
            while planning.try_get_untracked() == Some(true) {
                if let Ok(p) = ipc::call::<PlanProgressCmd>(&NoArgs {}).await {
                    progress.set(Some(p));
                }
                sleep(PROGRESS_POLL_MS).await;
            }
        });
    }
    let error = failure(plan);
    view! {
        <div class="step-preview">
            <ErrorMessage id="preview-replanned" look=Look::Notice message=wizard.replanned />
            {move || match (wizard.preview.get(), error.get()) {
                (_, Some(_)) => view! { <ErrorMessage id="preview-error" message=error /> }.into_any(),
                (None, None) => view! {
                    <p class="progress" role="status" id="preview-loading">
                        {move || loading_text(progress.get())}
                    </p>
                }.into_any(),
                (Some(p), None) => preview_view(wizard, p).into_any(),
            }}
        </div>
    }
}

/// The plan becomes the wizard's: every deleted object starts at its proposed action, and
/// the confirmations of step 5 start unanswered.
fn adopt(wizard: Wizard, preview: SyncPreview) {
    wizard.decisions.set(
        preview
            .deleted
            .iter()
            .map(|d| DeletedDecision {
                id: d.id.clone(),
                action: d.action,
            })
            .collect(),
    );
    wizard.confirm_mass.set(false);
    wizard.reimport.set(Vec::new());
    wizard.resolutions.set(Vec::new());
    let selected = wizard.select.with_untracked(|m| m.counts());
    wizard.ready.set(!nothing_to_synchronize(
        selected,
        preview.imported_total,
        preview.saved_roots,
    ));
    wizard.preview.set(Some(preview));
}

/// Nothing selected, no saved scope and nothing imported from this organization yet: a
/// synchronization would only record an empty run, so Synchronize stays disabled and the
/// preview says why.
pub fn nothing_to_synchronize(
    selected: (usize, usize),
    imported_total: u64,
    saved_roots: u64,
) -> bool {
    selected == (0, 0) && imported_total == 0 && saved_roots == 0
}

/// What the read is doing: "Reading users… 1200 so far".
fn loading_text(progress: Option<PlanProgress>) -> String {
    match progress {
        Some(p) if p.done > 0 => format!("{}… {} so far", p.phase, p.done),
        Some(p) => format!("{}…", p.phase),
        None => "Reading the selection from Entra ID…".to_owned(),
    }
}

/// The counts, the notices about deleted objects, how Entra ID was read, and the rows.
fn preview_view(wizard: Wizard, p: SyncPreview) -> impl IntoView {
    let c = p.counts;
    let check_deleted = wizard.flow.with_untracked(|f| f.check_deleted());
    let selected = wizard.select.with_untracked(|m| m.counts());
    let nothing = nothing_to_synchronize(selected, p.imported_total, p.saved_roots);
    view! {
        <Show when=move || nothing>
            <p class="notice" id="preview-nothing" role="status">
                "Nothing to synchronize yet: go Back to step 3 and tick the users or groups to import (right-click for Select all)."
            </p>
        </Show>
        {(selected == (0, 0) && p.saved_roots > 0).then(|| view! {
            <p class="notice" id="preview-saved-scope" role="status">
                {format!(
                    "Nothing newly selected: the saved scope ({} root{}) is synchronized, so users added to its groups in Entra ID come in too.",
                    p.saved_roots,
                    if p.saved_roots == 1 { "" } else { "s" }
                )}
            </p>
        })}
        {scope_changes(&p, check_deleted)}
        <p id="preview-counts" class="counts" role="status">
            <span>{format!("{} to create", c.create)}</span>
            <span>{format!("{} to update", c.update)}</span>
            <span>{format!("{} unchanged", c.unchanged)}</span>
            <span class:error={c.conflict > 0}>{format!("{} conflicts", c.conflict)}</span>
        </p>
        {(!p.deleted.is_empty()).then(|| view! {
            <p class="notice" id="preview-deleted">
                {format!("{} objects imported earlier are deleted, disabled or out of scope in Entra ID: decide about them in the next step.", p.deleted.len())}
            </p>
        })}
        {(!p.tombstoned.is_empty()).then(|| {
            let text = if check_deleted {
                format!("{} users deleted on this server would come back with this selection: decide in the next step.", p.tombstoned.len())
            } else {
                format!("{} users deleted on this server are left out. Turn on Check deleted objects (step 3) to import them again.", p.tombstoned.len())
            };
            view! { <p class="notice" id="preview-tombstoned">{text}</p> }
        })}
        {(!p.deleted_skipped.is_empty()).then(|| view! {
            <div class="notice" id="preview-deleted-skipped">
                {p.deleted_skipped.iter().map(|line| view! { <p>{line.clone()}</p> }).collect_view()}
            </div>
        })}
        {(p.deleted_unchecked > 0).then(|| view! {
            <p class="notice" id="preview-deleted-unchecked">
                {format!("Entra ID reports {} imported objects as deleted. They are left as they are: turn on Check deleted objects (step 3) to decide about them.", p.deleted_unchecked)}
            </p>
        })}
        {(!p.lifted.is_empty()).then(|| view! {
            <div class="notice" id="preview-lifted">
                <p>"Decisions lifted: what they were about no longer holds, so these users follow Entra ID again."</p>
                <ul>{p.lifted.iter().map(|line| view! { <li>{line.clone()}</li> }).collect_view()}</ul>
            </div>
        })}
        <p class="muted" id="preview-read-mode">{p.read_mode.clone()}</p>
        {(!p.conflicts.is_empty()).then(|| view! {
            <ConflictChoices conflicts=p.conflicts.clone() nothing=nothing />
        })}
        <p class="muted">"Nothing has been written yet. Objects imported earlier from this organization are refreshed too. Conflicts not resolved above are skipped and reported."</p>
        <div class="table-scroll" tabindex="0" role="region" aria-label="Rows of the preview">{outcome_table("preview-rows", p.rows, false)}</div>
    }
}

/// The saved roots this run takes out or changes, and who leaves the scope with it: handled
/// only by Check deleted objects (and its safeguard), else left as they are.
fn scope_changes(p: &SyncPreview, check_deleted: bool) -> impl IntoView + use<> {
    let changes = (!p.scope_changes.is_empty()).then(|| {
        view! {
            <div class="notice" id="preview-scope-changes">
                <p>"Saved scope changed with this synchronization:"</p>
                <ul>{p.scope_changes.iter().map(|line| view! { <li>{line.clone()}</li> }).collect_view()}</ul>
            </div>
        }
    });
    let leaving = (!p.leaving_scope.is_empty()).then(|| {
        let what = if check_deleted {
            "Check deleted objects is on: decide about them in the next step (the deletion safeguard applies)."
        } else {
            "They stay on this server as they are; to disable or delete them, turn on Check deleted objects (step 3)."
        };
        view! {
            <div class="notice" id="preview-leaving">
                <p>{format!("{} imported users leave the scope: {}.", p.leaving_scope.len(), p.leaving_scope.join(", "))}</p>
                <p>{what}</p>
            </div>
        }
    });
    (changes, leaving)
}

#[cfg(test)]
mod tests {
    use super::nothing_to_synchronize;

    #[test]
    fn an_empty_first_synchronization_is_refused_and_a_refresh_is_not() {
        assert!(nothing_to_synchronize((0, 0), 0, 0));
        assert!(
            !nothing_to_synchronize((0, 0), 12, 0),
            "refreshing what was imported"
        );
        assert!(
            !nothing_to_synchronize((0, 0), 0, 1),
            "the saved scope, with nothing imported yet"
        );
        assert!(!nothing_to_synchronize((1, 0), 0, 0));
        assert!(!nothing_to_synchronize((0, 1), 0, 0));
    }
}
