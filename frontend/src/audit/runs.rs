//! The Audit log's list of runs: who synchronized or undid what, when, with what result.

use crate::components::error::ErrorMessage;
use aadsync_ipc::{IpcError, RunView};
use leptos::prelude::*;

/// "3 created, 1 updated, 0 unchanged" plus the disabled, deleted and failed counts that
/// are not zero.
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

/// The runs, newest first as the backend lists them.
///
/// - `runs`: the loaded list (`None` while loading).
/// - `selected`: the run whose items are shown; a click on a row selects it.
#[component]
pub fn RunsTable(
    #[prop(into)] runs: Signal<Option<Result<Vec<RunView>, IpcError>>>,
    selected: RwSignal<Option<i64>>,
) -> impl IntoView {
    view! {
        <div class="table-scroll">
            <table class="outcomes" id="audit-runs">
                <thead><tr><th>"Run"</th><th>"When"</th><th>"Organization"</th><th>"By"</th><th>"Status"</th><th>"Result"</th></tr></thead>
                <tbody>
                    {move || match runs.get() {
                        None => view! { <tr><td colspan="6">"Loading…"</td></tr> }.into_any(),
                        Some(Err(err)) => view! {
                            <tr><td colspan="6"><ErrorMessage id="audit-runs-error" message=Some(err.message) /></td></tr>
                        }.into_any(),
                        Some(Ok(list)) if list.is_empty() => view! { <tr><td colspan="6" class="muted">"No synchronizations yet."</td></tr> }.into_any(),
                        Some(Ok(list)) => list.into_iter().map(|r| run_row(r, selected)).collect_view().into_any(),
                    }}
                </tbody>
            </table>
        </div>
    }
}

/// One run; an undo run shows its message instead of counts.
fn run_row(r: RunView, selected: RwSignal<Option<i64>>) -> impl IntoView {
    let id = r.id;
    let result = if r.kind == "undo" {
        r.message.clone()
    } else {
        counts(&r)
    };
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
}
