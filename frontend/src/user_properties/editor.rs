//! The loaded User properties form: its tabs, its OK (save) and Cancel.

use super::FormContext;
use super::form::{FormErrors, Tab, UserForm};
use super::tabs;
use crate::components::error::ErrorMessage;
use crate::components::focus::{Axis, focus_later, roving};
use crate::ipc;
use aadsync_ipc::{CreateLocalUser, IpcError, UpdateUser};
use leptos::prelude::*;

/// The tabs over `form`; OK checks it, then creates or updates the user.
///
/// A failed check or a backend refusal shows its message where [`UserForm::check`] and
/// [`UserForm::place`] put it, and switches to that tab.
#[component]
pub fn Editor(form: UserForm, on_close: Callback<()>, on_saved: Callback<()>) -> impl IntoView {
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
    let save = Action::new_unsync(move |form: &UserForm| {
        let form = form.clone();
        async move {
            let answer = save_user(&form).await;
            match &answer {
                Ok(()) => on_saved.run(()),
                Err(err) => {
                    let (errors, tab) = UserForm::place(err);
                    ctx.errors.set(errors);
                    show(tab);
                }
            }
            answer
        }
    });
    let saving = save.pending();
    let ok = move |_| {
        let form = ctx.form.get_untracked();
        let (errors, tab) = form.check();
        ctx.errors.set(errors);
        match tab {
            Some(tab) => show(tab),
            None => {
                save.dispatch(form);
            }
        }
    };

    view! {
        {tab_list(tabs, active)}
        <div class="dialog-body tab-panel" role="tabpanel" tabindex="0" aria-labelledby=move || active.get().id()>
            {move || match active.get() {
                Tab::General => view! { <tabs::General /> }.into_any(),
                Tab::Account => view! { <tabs::Account /> }.into_any(),
                Tab::MemberOf => view! { <tabs::MemberOf /> }.into_any(),
                Tab::AzureAd => view! { <tabs::AzureAd /> }.into_any(),
            }}
            <ErrorMessage
                id="user-error"
                message=Signal::derive(move || ctx.errors.with(|e| e.general.clone()))
            />
        </div>
        <div class="dialog-buttons">
            <button id="user-save" class="primary" disabled=move || saving.get() on:click=ok>
                "OK"
            </button>
            <button id="user-cancel" on:click=move |_| on_close.run(())>"Cancel"</button>
        </div>
    }
}

/// Creates the user (New user) or saves the changes (an existing one).
async fn save_user(form: &UserForm) -> Result<(), IpcError> {
    match form.id {
        None => ipc::call::<CreateLocalUser>(&form.to_new())
            .await
            .map(|_| ()),
        Some(id) => ipc::call::<UpdateUser>(&form.to_update(id)).await,
    }
}

/// The tabs (WAI-ARIA tabs pattern): a click or the arrows, Home and End choose one.
fn tab_list(tabs: Vec<Tab>, active: RwSignal<Tab>) -> impl IntoView {
    view! {
        <div
            class="tabs"
            role="tablist"
            aria-label="User properties"
            on:keydown={
                let order = tabs.clone();
                move |ev| {
                    let tabs = &order;
                    let now = tabs.iter().position(|t| *t == active.get_untracked()).unwrap_or(0);
                    if let Some(next) = roving(&ev.key(), now, tabs.len(), Axis::Horizontal) {
                        ev.prevent_default();
                        active.set(tabs[next]);
                        focus_later(tabs[next].id());
                    }
                }
            }
        >
            {tabs.iter().copied().map(|tab| view! {
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
    }
}
