//! Confirmation before deleting a user.

use crate::components::dialog::Dialog;
use crate::components::error::{ErrorMessage, failure};
use crate::ipc;
use aadsync_ipc::{Authentication, DeleteUser, UserRef, UserRow};
use leptos::prelude::*;

/// Asks before deleting `row`; `on_deleted` runs once the backend deleted it.
#[component]
pub fn DeleteDialog(
    row: UserRow,
    #[prop(into)] on_close: Callback<()>,
    #[prop(into)] on_deleted: Callback<()>,
) -> impl IntoView {
    let id = row.id;
    let azure = row.authentication == Authentication::AzureActiveDirectory;
    let delete = Action::new_unsync(move |id: &i64| {
        let user = UserRef { id: *id };
        async move {
            let answer = ipc::call::<DeleteUser>(&user).await;
            if answer.is_ok() {
                on_deleted.run(());
            }
            answer
        }
    });
    let pending = delete.pending();
    view! {
        <Dialog id="delete-dialog" title="Delete user" on_close=on_close>
            <div class="dialog-body">
                <p>
                    "Delete the user "
                    <strong id="delete-account">{row.account_name.clone()}</strong>
                    " from this server? This cannot be undone."
                </p>
                <Show when=move || azure>
                    <p class="muted">
                        "The user stays in Microsoft Entra ID. A later synchronization lists them as deleted on the server and asks before importing them again."
                    </p>
                </Show>
                <ErrorMessage id="delete-error" message=failure(delete) />
            </div>
            <div class="dialog-buttons">
                <button
                    id="delete-confirm"
                    class="danger"
                    disabled=move || pending.get()
                    on:click=move |_| {
                        delete.dispatch(id);
                    }
                >
                    "Delete"
                </button>
                <button id="delete-cancel" on:click=move |_| on_close.run(())>"Cancel"</button>
            </div>
        </Dialog>
    }
}
