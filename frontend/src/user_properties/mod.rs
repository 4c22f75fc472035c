//! The User properties dialog (and New user): tabs General, Account, Member of, Azure AD.
//!
//! The tabs share one [`form::UserForm`] through a context; the form's rules (which tabs,
//! which checks, where an error goes) are plain Rust in `form.rs`.

mod editor;
mod form;
mod tabs;

use crate::components::dialog::Dialog;
use crate::components::error::ErrorMessage;
use crate::ipc;
use aadsync_ipc::{GetUser, UserRef};
use editor::Editor;
use form::{FormErrors, UserForm};
use leptos::prelude::*;

/// What the tabs share.
#[derive(Debug, Clone, Copy)]
pub struct FormContext {
    pub form: RwSignal<UserForm>,
    pub errors: RwSignal<FormErrors>,
}

/// The dialog: loads the user, then shows the [`Editor`].
///
/// - `user`: `None` for New user, else the id of the user to show.
/// - `on_close`: Cancel, Close or Escape.
/// - `on_saved`: the backend saved the user.
#[component]
pub fn UserDialog(
    user: Option<i64>,
    #[prop(into)] on_close: Callback<()>,
    #[prop(into)] on_saved: Callback<()>,
) -> impl IntoView {
    let loaded = LocalResource::new(move || async move {
        match user {
            None => Ok(UserForm::new_local()),
            Some(id) => ipc::call::<GetUser>(&UserRef { id })
                .await
                .map(UserForm::from_details),
        }
    });
    let title = if user.is_some() {
        "User properties"
    } else {
        "New user"
    };
    view! {
        <Dialog id="user-dialog" title=title on_close=on_close wide=true>
            <Suspense fallback=|| view! { <p class="dialog-body muted">"Loading…"</p> }>
                {move || loaded.get().map(|answer| match answer {
                    Ok(form) => view! { <Editor form=form on_close=on_close on_saved=on_saved /> }.into_any(),
                    Err(err) => view! {
                        <div class="dialog-body"><ErrorMessage id="user-load-error" message=Some(err.message) /></div>
                        <div class="dialog-buttons"><button on:click=move |_| on_close.run(())>"Close"</button></div>
                    }.into_any(),
                })}
            </Suspense>
        </Dialog>
    }
}
