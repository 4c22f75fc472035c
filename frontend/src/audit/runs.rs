//! The Audit log's list of runs: who synchronized or undid what, when, with what result, and
//! Undo… on each synchronization that can still be undone.

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

/// Whether Undo… is offered on the run: every synchronization that succeeded and is not
/// undone yet (the backend refuses what it cannot undo, with its reason).
pub fn undoable(r: &RunView) -> bool {
    r.kind == "sync" && r.status == "succeeded"
}

/// The runs, newest first as the backend lists them.
///
/// - `runs`: the loaded list (`None` while loading).
/// - `selected`: the run whose items are shown; a click on a row selects it.
/// - `on_undo`: Undo… on a run.
#[component]
pub fn RunsTable(
    #[prop(into)] runs: Signal<Option<Result<Vec<RunView>, IpcError>>>,
    selected: RwSignal<Option<i64>>,
    #[prop(into)] on_undo: Callback<i64>,
) -> impl IntoView {
    view! {
        <div class="table-scroll" tabindex="0" role="region" aria-label="Runs">
            <table class="outcomes" id="audit-runs">
                <thead><tr><th>"Run"</th><th>"When"</th><th>"Organization"</th><th>"By"</th><th>"Status"</th><th>"Result"</th><th></th></tr></thead>
                <tbody>
                    {move || match runs.get() {
                        None => view! { <tr><td colspan="7">"Loading…"</td></tr> }.into_any(),
                        Some(Err(err)) => view! {
                            <tr><td colspan="7"><ErrorMessage id="audit-runs-error" message=Some(err.message) /></td></tr>
                        }.into_any(),
                        Some(Ok(list)) if list.is_empty() => view! { <tr><td colspan="7" class="muted">"No synchronizations yet."</td></tr> }.into_any(),
                        Some(Ok(list)) => list.into_iter().map(|r| run_row(r, selected, on_undo)).collect_view().into_any(),
                    }}
                </tbody>
            </table>
        </div>
    }
}

/// One run; an undo or restore shows its message instead of counts.
fn run_row(r: RunView, selected: RwSignal<Option<i64>>, on_undo: Callback<i64>) -> impl IntoView {
    let id = r.id;
    let result = if r.kind == "sync" {
        counts(&r)
    } else {
        r.message.clone()
    };
    let undo = undoable(&r).then(|| {
        view! {
            <button
                class="undo-run"
                id=format!("audit-undo-{id}")
                title=format!("Undo run #{id}")
                on:click=move |_| on_undo.run(id)
            >
                "Undo…"
            </button>
        }
    });
    view! {
        <tr
            class="selectable"
            class:selected=move || selected.get() == Some(id)
            data-id=id.to_string()
            on:click=move |_| selected.set(Some(id))
        >
            <td>{format!("#{id} {}", kind_words(&r.kind))}</td>
            <td>{crate::time::local(&r.started_at)}</td>
            <td>{r.organization}</td>
            <td>{r.started_by}</td>
            <td>{status_words(&r.status)}</td>
            <td>{result}</td>
            <td class="actions">{undo}</td>
        </tr>
    }
}

/// A run's kind as the administrator reads it.
fn kind_words(kind: &str) -> String {
    match kind {
        "sync" => "Synchronization".to_owned(),
        "undo" => "Undo".to_owned(),
        "restore" => "Backup restored".to_owned(),
        other => other.to_owned(),
    }
}

/// A run's status as the administrator reads it.
fn status_words(status: &str) -> String {
    match status {
        "running" => "Running".to_owned(),
        "succeeded" => "Succeeded".to_owned(),
        "failed" => "Failed".to_owned(),
        "cancelled" => "Cancelled (nothing written)".to_owned(),
        "undone" => "Undone by a later run".to_owned(),
        other => other.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_and_statuses_are_words_not_codes() {
        for code in ["sync", "undo", "restore"] {
            assert_ne!(kind_words(code), code);
        }
        for code in ["running", "succeeded", "failed", "cancelled", "undone"] {
            assert_ne!(status_words(code), code);
            assert!(status_words(code).starts_with(char::is_uppercase));
        }
    }

    #[test]
    fn undo_is_offered_on_every_succeeded_synchronization() {
        let run = |kind: &str, status: &str| RunView {
            id: 1,
            kind: kind.into(),
            organization: String::new(),
            started_by: String::new(),
            started_at: String::new(),
            status: status.into(),
            created: 0,
            updated: 0,
            unchanged: 0,
            disabled: 0,
            deleted: 0,
            failed: 0,
            message: String::new(),
        };
        for (kind, status, expected) in [
            ("sync", "succeeded", true),
            ("sync", "undone", false),
            ("sync", "failed", false),
            ("sync", "cancelled", false),
            ("sync", "running", false),
            ("undo", "succeeded", false),
            ("restore", "succeeded", false),
        ] {
            assert_eq!(undoable(&run(kind, status)), expected, "{kind} {status}");
        }
    }
}
