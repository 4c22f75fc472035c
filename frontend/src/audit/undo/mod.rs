//! The undo dialog: what undoing one synchronization reverts, the rows changed since (the
//! conflicts) with a choice each, and Undo. A preview the database has moved past is refused
//! by the backend (`ErrorCode::Stale`); the dialog then previews again and says so.

mod choices;
mod conflicts;

pub use choices::done_text;

use crate::components::dialog::Dialog;
use crate::components::error::ErrorMessage;
use crate::ipc;
use aadsync_ipc::{
    ErrorCode, IpcError, RunRef, UndoArgs, UndoDone, UndoPreviewCmd, UndoPreviewView, UndoRun,
};
use choices::Choices;
use conflicts::ConflictsTable;
use leptos::prelude::*;

/// Shown above a preview fetched again because the one decided on was stale.
const REVIEW_AGAIN: &str = "The database changed since this preview; review it again";

/// Asks what undoing run `run` means and undoes it with the administrator's choices.
///
/// - `run`: the synchronization to undo.
/// - `on_close`: Cancel, Escape or the close button.
/// - `on_done`: the undo was written (with what it did); the caller closes the dialog.
#[component]
pub fn UndoDialog(
    run: i64,
    #[prop(into)] on_close: Callback<()>,
    #[prop(into)] on_done: Callback<UndoDone>,
) -> impl IntoView {
    // Each preview is fetched for a version; one for an older version is never acted on.
    let version = RwSignal::new(0u32);
    let preview = LocalResource::new(move || {
        let v = version.get();
        async move { (v, ipc::call::<UndoPreviewCmd>(&RunRef { run }).await) }
    });
    let current = Memo::new(move |_| {
        preview
            .get()
            .filter(|(v, _)| *v == version.get())
            .map(|(_, answer)| answer)
    });
    let choices = RwSignal::new(Choices::default());
    // The backend's words when the last Undo met a changed database.
    let stale = RwSignal::new(None::<String>);
    let undo = Action::new_unsync(move |args: &UndoArgs| {
        let args = args.clone();
        async move {
            let answer = ipc::call::<UndoRun>(&args).await;
            match &answer {
                Ok(done) => on_done.run(*done),
                Err(err) if err.code == ErrorCode::Stale => {
                    stale.set(Some(err.message.clone()));
                    choices.set(Choices::default());
                    version.update(|v| *v += 1);
                }
                Err(_) => {}
            }
            answer
        }
    });
    let pending = undo.pending();
    let error = undo_error(undo);
    let ready = move || matches!(current.get(), Some(Ok(_)));

    view! {
        <Dialog id="undo-dialog" title="Undo synchronization" on_close=on_close wide=true>
            <div class="dialog-body undo">
                <Show when=move || stale.with(Option::is_some)>
                    <p class="notice" id="undo-stale" role="alert">
                        {REVIEW_AGAIN}
                        <br />
                        <span class="muted" id="undo-stale-reason">{move || stale.get()}</span>
                    </p>
                </Show>
                {move || match current.get() {
                    None => view! { <p class="muted" id="undo-loading">"Reading what the undo would change…"</p> }.into_any(),
                    Some(Err(err)) => view! { <ErrorMessage id="undo-preview-error" message=Some(err.message) /> }.into_any(),
                    Some(Ok(p)) => preview_view(p, choices).into_any(),
                }}
                <ErrorMessage id="undo-error" message=error />
            </div>
            <div class="dialog-buttons">
                <button
                    id="undo-confirm"
                    class="danger"
                    disabled=move || pending.get() || !ready()
                    on:click=move |_| {
                        if let Some(Ok(p)) = current.get_untracked() {
                            undo.dispatch(choices.with_untracked(|c| c.args(&p)));
                        }
                    }
                >
                    "Undo"
                </button>
                <button id="undo-cancel" on:click=move |_| on_close.run(())>"Cancel"</button>
            </div>
        </Dialog>
    }
}

/// The last Undo's failure, unless it was a stale preview (said above the fresh one instead).
fn undo_error(undo: Action<UndoArgs, Result<UndoDone, IpcError>>) -> Signal<Option<String>> {
    let value = undo.value();
    Signal::derive(move || {
        value.with(|answer| match answer {
            Some(Err(err)) if err.code != ErrorCode::Stale => Some(err.message.clone()),
            _ => None,
        })
    })
}

/// The run, the summary (which counts the row changes reverted), and the conflicts with their
/// choices (or that there are none).
fn preview_view(p: UndoPreviewView, choices: RwSignal<Choices>) -> impl IntoView {
    let r = &p.run;
    let when = crate::time::local(&r.started_at);
    let heading = format!(
        "Run #{} · {} · {} by {}",
        r.id, r.organization, when, r.started_by
    );
    let conflicts = p.conflicts;
    view! {
        <p class="lead" id="undo-run"><strong>{heading}</strong></p>
        <p id="undo-summary">{p.summary}</p>
        {if conflicts.is_empty() {
            view! {
                <p id="undo-no-conflicts">
                    "Nothing undo reverts changed since this synchronization."
                </p>
            }
            .into_any()
        } else {
            view! { <ConflictsTable conflicts=conflicts choices=choices /> }.into_any()
        }}
        <p class="note" id="undo-audit-note">
            "The audit log keeps this run and records the undo as a new run."
        </p>
    }
}
