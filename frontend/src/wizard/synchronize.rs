//! Step 6, Synchronize: runs the previewed plan with the admin's decisions, shows its
//! progress, and offers Cancel while it runs.

use super::flow::Flow;
use super::{Closing, Wizard};
use crate::components::error::{ErrorMessage, failure};
use crate::ipc;
use crate::timer::sleep;
use aadsync_ipc::{
    CancelSync, ErrorCode, IpcError, JobRef, PlanRef, StartSync, SyncResult, SyncStatusCmd,
};
use leptos::prelude::*;

/// Pause between two reads of the run's status.
const STATUS_POLL_MS: i32 = 150;

/// Phase text and percentage of the running synchronization.
#[derive(Debug, Clone, Copy)]
struct Progress {
    phase: RwSignal<String>,
    percent: RwSignal<u8>,
}

/// The Synchronize step: starts the run as soon as it is shown (the admin's Next); when the
/// run succeeded, moves on to Results.
#[component]
pub fn SynchronizeStep() -> impl IntoView {
    let wizard = expect_context::<Wizard>();
    let progress = Progress {
        phase: RwSignal::new("Starting…".to_owned()),
        percent: RwSignal::new(0),
    };
    let job = RwSignal::new(None::<u64>);
    wizard.ready.set(false);
    let run = Action::new_unsync(move |plan: &PlanRef| {
        let plan = plan.clone();
        async move {
            wizard.replanned.set(None);
            let started = ipc::call::<StartSync>(&plan).await?.job;
            job.set(Some(started));
            wizard.running_job.set(Some(started));
            let followed = follow(started, progress).await;
            wizard.running_job.set(None);
            // The run ended while the question was open: nothing is left to stop.
            if wizard.closing.get_untracked() == Closing::Asked {
                wizard.closing.set(Closing::No);
            }
            let result = match followed {
                Err(e) if e.code == ErrorCode::Stale => {
                    wizard.replanned.set(Some(e.message));
                    wizard.flow.update(Flow::replan);
                    return Ok(());
                }
                other => other?,
            };
            wizard.result.set(Some(result));
            wizard.data_changed.update(|v| *v += 1);
            wizard.flow.update(|f| {
                f.next();
            });
            Ok::<(), IpcError>(())
        }
    });
    let cancel = Action::new_unsync(|job: &u64| {
        let job = JobRef { job: *job };
        async move { ipc::call::<CancelSync>(&job).await }
    });
    if let Some(plan) = wizard.preview.get_untracked().map(|p| p.plan) {
        run.dispatch(PlanRef {
            plan,
            decisions: wizard.decisions.get_untracked(),
            confirm_mass: wizard.confirm_mass.get_untracked(),
            reimport: wizard.reimport.get_untracked(),
            resolutions: wizard.resolutions.get_untracked(),
        });
    }
    let error = failure(run);
    view! {
        <div class="step-synchronize">
            <p id="sync-phase" role="status">{move || progress.phase.get()}</p>
            <p class="muted" id="sync-counts">{move || counts_text(wizard)}</p>
            <div class="progress-bar" id="sync-progress" role="progressbar" aria-valuemin="0" aria-valuemax="100" aria-valuenow=move || progress.percent.get().to_string()>
                <div class="progress-fill" style:width=move || format!("{}%", progress.percent.get())></div>
            </div>
            <ErrorMessage id="sync-error" message=error />
            {close_question(wizard, job, cancel)}
            <button
                id="sync-cancel"
                disabled=move || job.get().is_none() || error.with(Option::is_some)
                on:click=move |_| {
                    if let Some(j) = job.get_untracked() {
                        cancel.dispatch(j);
                    }
                }
            >
                "Cancel"
            </button>
            <p class="muted">"The changes are written in one transaction (with the record an undo needs), so a cancelled or failed run leaves the database as it was."</p>
        </div>
    }
}

/// Asked when the wizard is closed while the run is being written: stop it (it rolls back, the
/// database stays as it was) and close, or keep it running.
fn close_question(
    wizard: Wizard,
    job: RwSignal<Option<u64>>,
    cancel: Action<u64, Result<(), IpcError>>,
) -> impl IntoView {
    view! {
        <Show when=move || wizard.closing.get() != Closing::No>
            <div class="notice" id="sync-close-question" role="alertdialog" aria-labelledby="sync-close-text">
                <p id="sync-close-text">
                    {move || if wizard.closing.get() == Closing::Stopping {
                        "Stopping the synchronization; the wizard closes when it has stopped…"
                    } else {
                        "The synchronization is still being written. Stop it and close (nothing of it is written: the database stays as it was), keep it here, or close and let it finish in the background?"
                    }}
                </p>
                <button
                    id="sync-stop-close"
                    disabled=move || wizard.closing.get() == Closing::Stopping
                    on:click=move |_| {
                        wizard.closing.set(Closing::Stopping);
                        if let Some(j) = job.get_untracked() {
                            cancel.dispatch(j);
                        }
                    }
                >
                    "Stop and close"
                </button>
                <button
                    id="sync-keep"
                    disabled=move || wizard.closing.get() == Closing::Stopping
                    on:click=move |_| wizard.closing.set(Closing::No)
                >
                    "Keep synchronizing"
                </button>
                <button
                    id="sync-background"
                    disabled=move || wizard.closing.get() == Closing::Stopping
                    on:click=move |_| wizard.closing.set(Closing::Background)
                >
                    "Close, finish in the background"
                </button>
            </div>
        </Show>
    }
}

/// Follows run `job` until it finished, showing its phase and percentage. A polling loop,
/// part of the run's Action: the backend runs the job in the background and is asked about
/// it rather than pushing events (see ARCHITECTURE.md).
async fn follow(job: u64, progress: Progress) -> Result<SyncResult, IpcError> {
    loop {
        let status = ipc::call::<SyncStatusCmd>(&JobRef { job }).await?;
        progress.phase.set(status.phase);
        progress.percent.set(status.percent);
        match status.finished {
            Some(finished) => return finished,
            None => sleep(STATUS_POLL_MS).await,
        }
    }
}

/// "325 objects: 325 to create, 0 to update, 0 unchanged, 0 conflicts to skip".
fn counts_text(wizard: Wizard) -> Option<String> {
    wizard.preview.get().map(|p| {
        let c = p.counts;
        format!(
            "{} objects: {} to create, {} to update, {} unchanged, {} conflicts to skip",
            c.create + c.update + c.unchanged + c.conflict,
            c.create,
            c.update,
            c.unchanged,
            c.conflict
        )
    })
}
