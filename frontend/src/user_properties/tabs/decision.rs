//! The Azure AD tab's decision line: what the administrator decided about the user in *Check
//! deleted objects*, and the button that reverses it.

use crate::components::error::{ErrorMessage, failure};
use crate::ipc;
use aadsync_ipc::{ReverseDecision, UserRef};
use leptos::prelude::*;

/// The decision in force (`decision`), with Reverse decision; after a reversal it says what
/// happens next. `user`: the user's id.
#[component]
pub fn DecisionRow(user: i64, decision: String) -> impl IntoView {
    let reverse = Action::new_unsync(move |_: &()| async move {
        ipc::call::<ReverseDecision>(&UserRef { id: user }).await
    });
    let done = move || matches!(reverse.value().get(), Some(Ok(())));
    let pending = reverse.pending();
    view! {
        <dt>"Decision"</dt>
        <dd id="azure-decision">
            <Show
                when=done
                fallback=move || view! {
                    <span class="selectable">{decision.clone()}</span>
                    " "
                    <button
                        id="azure-reverse-decision"
                        type="button"
                        disabled=move || pending.get()
                        on:click=move |_| {
                            reverse.dispatch(());
                        }
                    >
                        "Reverse decision"
                    </button>
                }
            >
                <span id="azure-decision-reversed">
                    "Reversed: the user follows Entra ID again, and Check deleted objects asks about it again"
                </span>
            </Show>
            <ErrorMessage id="azure-decision-error" message=failure(reverse) look=crate::components::error::Look::Inline />
        </dd>
    }
}
