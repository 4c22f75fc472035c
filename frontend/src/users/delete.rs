//! Confirmation before deleting a user.

use crate::components::dialog::Dialog;
use crate::ipc;
use aadsync_ipc::{Authentication, DeleteUser, UserRef, UserRow};
use leptos::prelude::*;
use leptos::task::spawn_local;

#[component]
pub fn DeleteDialog(
    row: UserRow,
    #[prop(into)] on_close: Callback<()>,
    #[prop(into)] on_deleted: Callback<()>,
) -> impl IntoView {
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let id = row.id;
    let azure = row.authentication == Authentication::AzureActiveDirectory;
    let confirm = move |_| {
        busy.set(true);
        spawn_local(async move {
            match ipc::call::<DeleteUser>(&UserRef { id }).await {
                Ok(()) => on_deleted.run(()),
                Err(err) => {
                    busy.set(false);
                    error.set(Some(err.message));
                }
            }
        });
    };
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
                <Show when=move || error.with(Option::is_some)>
                    <p class="error" role="alert" id="delete-error">{move || error.get()}</p>
                </Show>
            </div>
            <div class="dialog-buttons">
                <button id="delete-confirm" class="danger" disabled=move || busy.get() on:click=confirm>
                    "Delete"
                </button>
                <button id="delete-cancel" on:click=move |_| on_close.run(())>"Cancel"</button>
            </div>
        </Dialog>
    }
}
