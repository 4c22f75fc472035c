//! A modal dialog: title bar, body, Escape to close (only the innermost one, when a dialog
//! opens another), focus moved inside on open, kept inside while open (Tab wraps), and given
//! back to the opener on close.

use crate::components::focus::{focus_later, trap_tab};
use leptos::html;
use leptos::prelude::*;

/// A modal dialog.
///
/// - `id`: DOM id of the dialog element (tests and labels use it).
/// - `title`: text of the title bar.
/// - `on_close`: called on Escape and on the title bar's close button.
/// - `wide`: a larger dialog, for the wizard.
#[component]
pub fn Dialog(
    id: &'static str,
    title: &'static str,
    #[prop(into)] on_close: Callback<()>,
    #[prop(optional)] wide: bool,
    children: Children,
) -> impl IntoView {
    let panel = NodeRef::<html::Div>::new();
    // Put keyboard focus inside the dialog once it is in the document.
    Effect::new(move |_| {
        if let Some(panel) = panel.get() {
            let _ = panel.focus();
        }
    });
    // When the dialog closes, focus goes back to what opened it (by id: elements are not Send).
    let opener = document()
        .active_element()
        .map(|e| e.id())
        .filter(|id| !id.is_empty());
    on_cleanup(move || {
        if let Some(id) = opener {
            focus_later(id);
        }
    });
    let title_id = format!("{id}-title");
    let labelled_by = title_id.clone();
    view! {
        <div class="backdrop">
            <div
                id=id
                node_ref=panel
                class=if wide { "dialog dialog-wide" } else { "dialog" }
                role="dialog"
                aria-modal="true"
                aria-labelledby=labelled_by
                tabindex="-1"
                on:keydown=move |ev| {
                    if let Some(panel) = panel.get_untracked() {
                        trap_tab(&panel, &ev);
                    }
                    if ev.key() == "Escape" {
                        ev.prevent_default();
                        // A dialog opened from another closes alone.
                        ev.stop_propagation();
                        on_close.run(());
                    }
                }
            >
                <div class="dialog-title">
                    <h2 id=title_id>{title}</h2>
                    <button
                        class="icon-button"
                        aria-label="Close"
                        title="Close"
                        on:click=move |_| on_close.run(())
                    >
                        "✕"
                    </button>
                </div>
                {children()}
            </div>
        </div>
    }
}
