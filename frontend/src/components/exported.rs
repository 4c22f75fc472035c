//! Where an export was saved, and "Show in folder" for it (issue 15, item 6).

use crate::components::error::{ErrorMessage, Look};
use crate::ipc;
use aadsync_ipc::{ExportedFile, IpcError, RevealExport};
use leptos::prelude::*;

/// What an export answered: the path it was saved to (with "Show in folder"), nothing when
/// the admin cancelled the save dialog, or the error. `id` names the note; the button is
/// `{id}-reveal`.
pub fn exported_note(
    id: &'static str,
    answer: Option<Result<Option<String>, IpcError>>,
) -> Option<AnyView> {
    let view = match answer? {
        Ok(Some(path)) => saved(id, path).into_any(),
        Ok(None) => view! { <span class="muted" id=id role="status">"Not exported: the save dialog was cancelled"</span> }.into_any(),
        Err(err) => view! { <ErrorMessage id=id message=Some(err.message) look=Look::Inline /> }.into_any(),
    };
    Some(view)
}

fn saved(id: &'static str, path: String) -> impl IntoView {
    let reveal = Action::new_unsync(|path: &String| {
        let file = ExportedFile { path: path.clone() };
        async move { ipc::call::<RevealExport>(&file).await }
    });
    let failed = move || {
        reveal
            .value()
            .get()
            .and_then(Result::err)
            .map(|e| e.message)
    };
    let shown = path.clone();
    view! {
        <span class="export-note" role="status">
            <span class="muted" id=id>{format!("Saved to {shown}")}</span>
            <button
                id=format!("{id}-reveal")
                disabled=move || reveal.pending().get()
                on:click=move |_| { reveal.dispatch(path.clone()); }
            >
                "Show in folder"
            </button>
            <ErrorMessage id="export-reveal-error" message=Signal::derive(failed) look=Look::Inline />
        </span>
    }
}
