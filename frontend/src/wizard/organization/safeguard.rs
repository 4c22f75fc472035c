//! The organization's deletion safeguard: when a synchronization must ask before disabling
//! or deleting, and its Save.

use crate::components::error::ErrorMessage;
use crate::ipc;
use aadsync_ipc::{DeletionThreshold, OrganizationSummary, SetDeletionThreshold};
use leptos::prelude::*;

/// What the last Save said: `(failed, text)`. Owned by step 1, because a save re-lists the
/// organizations, which renders this view anew.
pub type SafeguardMessage = RwSignal<Option<(bool, String)>>;

/// The safeguard of `org`, folded in a `<details>`.
///
/// - `on_saved`: the backend stored new values (step 1 re-lists the organizations).
/// - `message`: what the last Save said.
/// - `open`: whether the details are unfolded (kept across the re-render, like `message`).
#[component]
pub fn Safeguard(
    org: OrganizationSummary,
    on_saved: Callback<()>,
    message: SafeguardMessage,
    open: RwSignal<bool>,
) -> impl IntoView {
    let count = RwSignal::new(org.threshold_count.to_string());
    let percent = RwSignal::new(org.threshold_percent.to_string());
    let id = org.id;
    let save = Action::new_unsync(move |request: &DeletionThreshold| {
        let request = request.clone();
        async move {
            match ipc::call::<SetDeletionThreshold>(&request).await {
                Ok(org) => {
                    message.set(Some((false, saved_text(&org))));
                    on_saved.run(());
                }
                Err(err) => message.set(Some((true, err.message))),
            }
        }
    });
    let on_save = move |_| {
        let parsed = (
            count.get_untracked().trim().parse::<u32>(),
            percent.get_untracked().trim().parse::<u32>(),
        );
        let (Ok(count), Ok(percent)) = parsed else {
            message.set(Some((
                true,
                "Enter whole numbers: a count of objects and a percentage from 0 to 100.".into(),
            )));
            return;
        };
        save.dispatch(DeletionThreshold {
            organization: id,
            count,
            percent,
        });
    };
    view! {
        <details id="org-safeguard" class="safeguard" prop:open=move || open.get()
            on:toggle=move |ev| {
                use wasm_bindgen::JsCast;
                if let Some(d) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlDetailsElement>().ok()) {
                    open.set(d.open());
                }
            }>
            <summary id="org-safeguard-summary">
                {format!(
                    "Deletion safeguard: ask before disabling or deleting more than {} objects and more than {} %",
                    org.threshold_count, org.threshold_percent
                )}
            </summary>
            <div class="field-row">
                <label for="org-threshold-count">"More than"</label>
                <input id="org-threshold-count" type="number" min="0" max="1000000"
                    prop:value=move || count.get()
                    on:input=move |ev| count.set(event_target_value(&ev)) />
                <label for="org-threshold-percent">"objects and more than"</label>
                <input id="org-threshold-percent" type="number" min="0" max="100"
                    prop:value=move || percent.get()
                    on:input=move |ev| percent.set(event_target_value(&ev)) />
                <span>"% of the imported objects"</span>
                <button id="org-threshold-save" on:click=on_save>"Save"</button>
            </div>
            {move || message.get().map(|(failed, text)| if failed {
                view! { <ErrorMessage id="org-threshold-message" message=Some(text) /> }.into_any()
            } else {
                view! { <p id="org-threshold-message" class="muted" role="status">{text}</p> }.into_any()
            })}
        </details>
    }
}

/// What a successful Save says.
fn saved_text(org: &OrganizationSummary) -> String {
    format!(
        "Saved. A synchronization of this organization asks for confirmation before disabling or deleting more than {} objects and more than {} % of its imported objects.",
        org.threshold_count, org.threshold_percent
    )
}
