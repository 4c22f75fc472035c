//! The Audit log dialog: synchronization runs (who, when, organization, counts), their items,
//! undo of the last synchronization after a confirmation, export.

use crate::components::dialog::Dialog;
use crate::ipc;
use aadsync_ipc::{
    ExportAudit, ListRuns, NoArgs, RunItems, RunRef, RunView, UndoPreviewCmd, UndoRun,
};
use leptos::prelude::*;
use leptos::task::spawn_local;

fn counts(r: &RunView) -> String {
    let mut parts = vec![
        format!("{} created", r.created),
        format!("{} updated", r.updated),
        format!("{} unchanged", r.unchanged),
    ];
    if r.disabled > 0 {
        parts.push(format!("{} disabled", r.disabled));
    }
    if r.deleted > 0 {
        parts.push(format!("{} deleted", r.deleted));
    }
    if r.failed > 0 {
        parts.push(format!("{} failed", r.failed));
    }
    parts.join(", ")
}

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
    let confirm = RwSignal::new(None::<(i64, String)>);
    let message = RwSignal::new(None::<Result<String, String>>);

    let last_sync = move || {
        runs.get()
            .and_then(Result::ok)
            .and_then(|list| {
                list.into_iter()
                    .find(|r| r.kind == "sync" && r.status == "succeeded")
            })
            .map(|r| r.id)
    };
    let ask_undo = move |_| {
        let Some(run) = last_sync() else {
            return;
        };
        spawn_local(async move {
            match ipc::call::<UndoPreviewCmd>(&RunRef { run }).await {
                Ok(text) => {
                    let _ = confirm.try_set(Some((run, text)));
                }
                Err(err) => {
                    let _ = message.try_set(Some(Err(err.message)));
                }
            }
        });
    };
    let undo = move |_| {
        let Some((run, _)) = confirm.get_untracked() else {
            return;
        };
        confirm.set(None);
        spawn_local(async move {
            match ipc::call::<UndoRun>(&RunRef { run }).await {
                Ok(undo) => {
                    let _ = message.try_set(Some(Ok(format!(
                        "Run #{run} was undone (recorded as run #{undo})."
                    ))));
                    let _ = version.try_update(|v| *v += 1);
                    let _ = data_changed.try_update(|v| *v += 1);
                }
                Err(err) => {
                    let _ = message.try_set(Some(Err(err.message)));
                }
            }
        });
    };
    let export = move |_| {
        spawn_local(async move {
            let answer = ipc::call::<ExportAudit>(&NoArgs {}).await;
            let _ = message.try_set(Some(
                answer
                    .map(|p| format!("Saved to {p}"))
                    .map_err(|e| e.message),
            ));
        });
    };

    view! {
        <Dialog id="audit" title="Audit log" on_close=on_close wide=true>
            <div class="dialog-body audit">
                <div class="table-scroll">
                    <table class="outcomes" id="audit-runs">
                        <thead><tr><th>"Run"</th><th>"When"</th><th>"Organization"</th><th>"By"</th><th>"Status"</th><th>"Result"</th></tr></thead>
                        <tbody>
                            {move || match runs.get() {
                                None => view! { <tr><td colspan="6">"Loading…"</td></tr> }.into_any(),
                                Some(Err(err)) => view! { <tr><td colspan="6" class="error">{err.message}</td></tr> }.into_any(),
                                Some(Ok(list)) if list.is_empty() => view! { <tr><td colspan="6" class="muted">"No synchronizations yet."</td></tr> }.into_any(),
                                Some(Ok(list)) => list.into_iter().map(|r| {
                                    let id = r.id;
                                    let result = if r.kind == "undo" { r.message.clone() } else { counts(&r) };
                                    view! {
                                        <tr
                                            class="selectable"
                                            class:selected=move || selected.get() == Some(id)
                                            data-id=id.to_string()
                                            on:click=move |_| selected.set(Some(id))
                                        >
                                            <td>{format!("#{id} {}", r.kind)}</td>
                                            <td>{r.started_at.replace('T', " ").trim_end_matches('Z').to_owned()}</td>
                                            <td>{r.organization}</td>
                                            <td>{r.started_by}</td>
                                            <td>{r.status}</td>
                                            <td>{result}</td>
                                        </tr>
                                    }
                                }).collect_view().into_any(),
                            }}
                        </tbody>
                    </table>
                </div>
                {move || items.get().and_then(Result::ok).flatten().map(|list| {
                    let n = list.len();
                    view! {
                    <h4 id="audit-items-title">{move || selected.get().map(|id| format!("Run #{id}: {n} objects"))}</h4>
                    <div class="table-scroll">
                        <table class="outcomes" id="audit-items">
                            <thead><tr><th>"Type"</th><th>"Name"</th><th>"Outcome"</th><th>"Details"</th></tr></thead>
                            <tbody>
                                {list.iter().take(2000).map(|i| view! {
                                    <tr><td>{i.object_type.clone()}</td><td>{i.display_name.clone()}</td><td>{i.outcome.clone()}</td><td>{i.detail.clone()}</td></tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                    }
                })}
                <Show when=move || confirm.with(Option::is_some)>
                    <div class="confirm" role="alertdialog" id="audit-undo-confirm">
                        <p>{move || confirm.get().map(|(_, text)| text)}</p>
                        <button id="audit-undo-yes" class="danger" on:click=undo>"Undo"</button>
                        <button id="audit-undo-no" on:click=move |_| confirm.set(None)>"Keep"</button>
                    </div>
                </Show>
                {move || message.get().map(|m| match m {
                    Ok(text) => view! { <p class="success" id="audit-message" role="status">{text}</p> }.into_any(),
                    Err(text) => view! { <p class="error" id="audit-message" role="alert">{text}</p> }.into_any(),
                })}
            </div>
            <div class="dialog-buttons">
                <button id="audit-undo" disabled=move || last_sync().is_none() on:click=ask_undo>
                    "Undo last synchronization…"
                </button>
                <button id="audit-export" on:click=export>"Export CSV"</button>
                <button id="audit-close" class="primary" on:click=move |_| on_close.run(())>"Close"</button>
            </div>
        </Dialog>
    }
}
