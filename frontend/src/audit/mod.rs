//! The Audit log dialog: synchronization runs (who, when, organization, counts), their items,
//! undo of the last synchronization after a confirmation, export.

mod items;
mod runs;

use crate::components::dialog::Dialog;
use crate::components::error::ErrorMessage;
use crate::ipc;
use aadsync_ipc::{ExportAudit, ListRuns, NoArgs, RunItems, RunRef, UndoPreviewCmd, UndoRun};
use items::ItemsTable;
use leptos::prelude::*;
use runs::RunsTable;

/// The run Undo would undo and what undoing it means, while the confirmation is shown.
type Confirm = RwSignal<Option<(i64, String)>>;

/// The dialog's one status line: what the last command did, or why it failed.
type Message = RwSignal<Option<Result<String, String>>>;

/// The Audit log dialog.
///
/// - `on_close`: Close or Escape.
/// - `data_changed`: bumped after an undo, so the Users area reloads.
#[component]
pub fn AuditDialog(
    #[prop(into)] on_close: Callback<()>,
    data_changed: RwSignal<u32>,
) -> impl IntoView {
    let version = RwSignal::new(0u32);
    let runs = LocalResource::new(move || {
        version.track();
        async move { ipc::call::<ListRuns>(&NoArgs {}).await }
    });
    let selected = RwSignal::new(None::<i64>);
    let items = LocalResource::new(move || {
        let run = selected.get();
        async move {
            match run {
                Some(run) => ipc::call::<RunItems>(&RunRef { run }).await.map(Some),
                None => Ok(None),
            }
        }
    });
    let confirm: Confirm = RwSignal::new(None);
    let message: Message = RwSignal::new(None);
    let last_sync = move || {
        runs.get()
            .and_then(Result::ok)
            .and_then(|list| {
                list.into_iter()
                    .find(|r| r.kind == "sync" && r.status == "succeeded")
            })
            .map(|r| r.id)
    };
    let Commands {
        ask_undo,
        undo,
        export,
    } = commands(confirm, message, version, data_changed);
    let exporting = export.pending();

    view! {
        <Dialog id="audit" title="Audit log" on_close=on_close wide=true>
            <div class="dialog-body audit">
                <RunsTable runs=Signal::derive(move || runs.get()) selected=selected />
                <ItemsTable items=Signal::derive(move || items.get().and_then(Result::ok).flatten()) selected=selected />
                {undo_confirmation(confirm, undo)}
                {move || status_line(message)}
            </div>
            <div class="dialog-buttons">
                <button
                    id="audit-undo"
                    disabled=move || last_sync().is_none()
                    on:click=move |_| {
                        if let Some(run) = last_sync() {
                            ask_undo.dispatch(run);
                        }
                    }
                >
                    "Undo last synchronization…"
                </button>
                <button id="audit-export" disabled=move || exporting.get() on:click=move |_| { export.dispatch(()); }>
                    "Export CSV"
                </button>
                <button id="audit-close" class="primary" on:click=move |_| on_close.run(())>"Close"</button>
            </div>
        </Dialog>
    }
}

/// What the last undo or export did; a failure goes through [`ErrorMessage`].
fn status_line(message: Message) -> Option<AnyView> {
    message.get().map(|m| match m {
        Ok(text) => {
            view! { <p class="success" id="audit-message" role="status">{text}</p> }.into_any()
        }
        Err(text) => view! { <ErrorMessage id="audit-message" message=Some(text) /> }.into_any(),
    })
}

/// Undo's confirmation, while asked: what undoing means, Undo and Keep.
fn undo_confirmation(confirm: Confirm, undo: Action<i64, ()>) -> impl IntoView {
    view! {
    <Show when=move || confirm.with(Option::is_some)>
        <div class="confirm" role="alertdialog" id="audit-undo-confirm">
            <p>{move || confirm.get().map(|(_, text)| text)}</p>
            <button
                id="audit-undo-yes"
                class="danger"
                on:click=move |_| {
                    if let Some((run, _)) = confirm.get_untracked() {
                        confirm.set(None);
                        undo.dispatch(run);
                    }
                }
            >
                "Undo"
            </button>
            <button id="audit-undo-no" on:click=move |_| confirm.set(None)>"Keep"</button>
        </div>
    </Show>
    }
}

/// The dialog's commands; each reports on the status line.
struct Commands {
    /// Asks the backend what undoing a run means, then shows the confirmation.
    ask_undo: Action<i64, ()>,
    undo: Action<i64, ()>,
    export: Action<(), ()>,
}

fn commands(
    confirm: Confirm,
    message: Message,
    version: RwSignal<u32>,
    data_changed: RwSignal<u32>,
) -> Commands {
    let ask_undo = Action::new_unsync(move |run: &i64| {
        let run = *run;
        async move {
            match ipc::call::<UndoPreviewCmd>(&RunRef { run }).await {
                Ok(text) => confirm.set(Some((run, text))),
                Err(err) => message.set(Some(Err(err.message))),
            }
        }
    });
    let undo = Action::new_unsync(move |run: &i64| {
        let run = *run;
        async move {
            let answer = ipc::call::<UndoRun>(&RunRef { run }).await;
            if answer.is_ok() {
                version.update(|v| *v += 1);
                data_changed.update(|v| *v += 1);
            }
            message.set(Some(
                answer
                    .map(|undo| format!("Run #{run} was undone (recorded as run #{undo})."))
                    .map_err(|e| e.message),
            ));
        }
    });
    let export = Action::new_unsync(move |()| async move {
        let answer = ipc::call::<ExportAudit>(&NoArgs {}).await;
        message.set(Some(
            answer
                .map(|p| format!("Saved to {p}"))
                .map_err(|e| e.message),
        ));
    });
    Commands {
        ask_undo,
        undo,
        export,
    }
}
