//! The User properties dialog (and New user): tabs General, Account, Member of, Azure AD.
//!
//! The tabs share one [`form::UserForm`] through a context; the form's rules (which tabs,
//! which checks, where an error goes) are plain Rust in `form.rs`.

mod form;
mod tabs;

use crate::components::dialog::Dialog;
use crate::ipc;
use aadsync_ipc::{CreateLocalUser, GetUser, UpdateUser, UserRef};
use form::{FormErrors, Tab, UserForm};
use leptos::prelude::*;
use leptos::task::spawn_local;

/// What the tabs share.
#[derive(Debug, Clone, Copy)]
pub struct FormContext {
    pub form: RwSignal<UserForm>,
    pub errors: RwSignal<FormErrors>,
}

/// `user`: `None` for New user, else the id of the user to show.
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
                        <div class="dialog-body"><p class="error" role="alert" id="user-load-error">{err.message}</p></div>
                        <div class="dialog-buttons"><button on:click=move |_| on_close.run(())>"Close"</button></div>
                    }.into_any(),
                })}
            </Suspense>
        </Dialog>
    }
}

#[component]
fn Editor(form: UserForm, on_close: Callback<()>, on_saved: Callback<()>) -> impl IntoView {
    let tabs = form.tabs();
    let ctx = FormContext {
        form: RwSignal::new(form),
        errors: RwSignal::new(FormErrors::default()),
    };
    provide_context(ctx);
    let active = RwSignal::new(Tab::General);
    // Switching to the tab that is already shown must not rebuild it (and lose focus).
    let show = move |tab: Tab| {
        if active.get_untracked() != tab {
            active.set(tab);
        }
    };
    let busy = RwSignal::new(false);

    let save = move |_| {
        let form = ctx.form.get_untracked();
        let (errors, tab) = form.check();
        if let Some(tab) = tab {
            ctx.errors.set(errors);
            show(tab);
            return;
        }
        ctx.errors.set(FormErrors::default());
        busy.set(true);
        spawn_local(async move {
            let result = match form.id {
                None => ipc::call::<CreateLocalUser>(&form.to_new())
                    .await
                    .map(|_| ()),
                Some(id) => ipc::call::<UpdateUser>(&form.to_update(id)).await,
            };
            busy.set(false);
            match result {
                Ok(()) => on_saved.run(()),
                Err(err) => {
                    let (errors, tab) = UserForm::place(&err);
                    ctx.errors.set(errors);
                    show(tab);
                }
            }
        });
    };

    view! {
        <div class="tabs" role="tablist" aria-label="User properties">
            {tabs.into_iter().map(|tab| view! {
                <button
                    role="tab"
                    id=tab.id()
                    class="tab"
                    aria-selected=move || (active.get() == tab).to_string()
                    tabindex=move || if active.get() == tab { "0" } else { "-1" }
                    on:click=move |_| active.set(tab)
                >
                    {tab.title()}
                </button>
            }).collect_view()}
        </div>
        <div class="dialog-body tab-panel" role="tabpanel" aria-labelledby=move || active.get().id()>
            {move || match active.get() {
                Tab::General => view! { <tabs::General /> }.into_any(),
                Tab::Account => view! { <tabs::Account /> }.into_any(),
                Tab::MemberOf => view! { <tabs::MemberOf /> }.into_any(),
                Tab::AzureAd => view! { <tabs::AzureAd /> }.into_any(),
            }}
            <Show when=move || ctx.errors.with(|e| e.general.is_some())>
                <p class="error" role="alert" id="user-error">
                    {move || ctx.errors.with(|e| e.general.clone())}
                </p>
            </Show>
        </div>
        <div class="dialog-buttons">
            <button id="user-save" class="primary" disabled=move || busy.get() on:click=save>
                "OK"
            </button>
            <button id="user-cancel" on:click=move |_| on_close.run(())>"Cancel"</button>
        </div>
    }
}
