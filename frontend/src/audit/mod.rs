//! The Audit log dialog: synchronization runs (who, when, organization, counts), their items,
//! undo of any synchronization (with its conflicts), the full backup (Back up now, Restore
//! backup…), export.

mod items;
mod restore;
mod runs;
mod undo;

use crate::components::dialog::Dialog;
use crate::components::error::ErrorMessage;
use crate::components::exported::exported_note;
use crate::ipc;
use aadsync_ipc::{
    BackupNow, BackupView, ExportAudit, ListRuns, NoArgs, RunItems, RunRef, UndoDone,
};
use items::ItemsTable;
use leptos::prelude::*;
use restore::RestoreDialog;
use runs::RunsTable;
use undo::UndoDialog;

/// The dialog's one status line: the id it is shown with (`undo-result`, `backup-result`,
/// `restore-result`, `audit-message`) and what the last command did, or why it failed.
type Message = RwSignal<Option<(&'static str, Result<String, String>)>>;

/// The Audit log dialog.
///
/// - `on_close`: Close or Escape.
/// - `data_changed`: bumped after an undo or a restore, so the Users area reloads.
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
        version.track();
        async move {
            match run {
                Some(run) => ipc::call::<RunItems>(&RunRef { run }).await.map(Some),
                None => Ok(None),
            }
        }
    });
    let message: Message = RwSignal::new(None);
    // The run whose undo dialog is open; whether Restore backup… is open.
    let undoing = RwSignal::new(None::<i64>);
    let restoring = RwSignal::new(false);
    let changed = move || {
        version.update(|v| *v += 1);
        data_changed.update(|v| *v += 1);
    };
    let undone = Callback::new(move |done: UndoDone| {
        if let Some(run) = undoing.get_untracked() {
            message.set(Some(("undo-result", Ok(undo::done_text(run, &done)))));
        }
        undoing.set(None);
        changed();
    });
    let restored = Callback::new(move |(backup, run): (BackupView, i64)| {
        let text = format!(
            "Restored the backup of {} (recorded as run #{run})",
            crate::time::local(&backup.taken_at)
        );
        message.set(Some(("restore-result", Ok(text))));
        restoring.set(false);
        changed();
    });
    let commands = commands(message);
    let export = commands.export;

    view! {
        <Dialog id="audit" title="Audit log" on_close=on_close wide=true>
            <div class="dialog-body audit">
                <RunsTable
                    runs=Signal::derive(move || runs.get())
                    selected=selected
                    on_undo=move |run| {
                        message.set(None);
                        undoing.set(Some(run));
                    }
                />
                <ItemsTable items=Signal::derive(move || items.get().and_then(Result::ok).flatten()) selected=selected />
                {move || status_line(message)}
                {move || exported_note("audit-message", export.value().get())}
            </div>
            {buttons(commands, message, restoring, on_close)}
            {move || undoing.get().map(|run| view! {
                <UndoDialog run=run on_close=move || undoing.set(None) on_done=undone />
            })}
            <Show when=move || restoring.get()>
                <RestoreDialog on_close=move || restoring.set(false) on_restored=restored />
            </Show>
        </Dialog>
    }
}

/// Back up now, Restore backup…, Export CSV and Close.
fn buttons(
    Commands { backup, export }: Commands,
    message: Message,
    restoring: RwSignal<bool>,
    on_close: Callback<()>,
) -> impl IntoView {
    let (exporting, backing_up) = (export.pending(), backup.pending());
    view! {
        <div class="dialog-buttons">
            <button id="backup-now" disabled=move || backing_up.get() on:click=move |_| { backup.dispatch(()); }>
                "Back up now"
            </button>
            <button
                id="backup-restore"
                on:click=move |_| {
                    message.set(None);
                    restoring.set(true);
                }
            >
                "Restore backup…"
            </button>
            <button id="audit-export" disabled=move || exporting.get() on:click=move |_| { export.dispatch(()); }>
                "Export CSV"
            </button>
            <button id="audit-close" class="primary" on:click=move |_| on_close.run(())>"Close"</button>
        </div>
    }
}

/// What the last undo, backup, restore or export did; a failure goes through [`ErrorMessage`].
fn status_line(message: Message) -> Option<AnyView> {
    message.get().map(|(id, m)| match m {
        Ok(text) => view! { <p class="success" id=id role="status">{text}</p> }.into_any(),
        Err(text) => view! { <ErrorMessage id=id message=Some(text) /> }.into_any(),
    })
}

/// The dialog's own commands; each reports on the status line.
#[derive(Clone, Copy)]
struct Commands {
    /// Back up now: writes the full backup.
    backup: Action<(), ()>,
    /// Export CSV: the OS save dialog; its answer is shown by [`exported_note`].
    export: Action<(), Result<Option<String>, aadsync_ipc::IpcError>>,
}

fn commands(message: Message) -> Commands {
    let backup = Action::new_unsync(move |()| async move {
        let answer = ipc::call::<BackupNow>(&NoArgs {}).await;
        message.set(Some((
            "backup-result",
            answer
                .map(|p| format!("Backed up to {p}"))
                .map_err(|e| e.message),
        )));
    });
    let export = Action::new_unsync(move |()| async move {
        message.set(None);
        ipc::call::<ExportAudit>(&NoArgs {}).await
    });
    Commands { backup, export }
}
