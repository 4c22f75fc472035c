//! The Users area: the server's users in a virtualized table, and the actions on them.

mod delete;
pub(crate) mod table;
pub mod window;

use crate::user_properties::UserDialog;
use aadsync_ipc::{SortColumn, UserRow};
use delete::DeleteDialog;
use leptos::prelude::*;
use table::UsersTable;

/// Which dialog of the Users area is open.
#[derive(Debug, Clone, PartialEq)]
enum Open {
    None,
    New,
    Properties(i64),
    Delete(UserRow),
}

/// State shared by the toolbar, the table and the dialogs.
#[derive(Debug, Clone, Copy)]
pub struct UsersState {
    pub filter: RwSignal<String>,
    pub sort: RwSignal<(SortColumn, bool)>,
    pub selected: RwSignal<Option<UserRow>>,
    /// Bumped after every write, so the table reloads.
    pub revision: RwSignal<u32>,
    /// Users in the database (unfiltered); `None` until the first answer.
    pub all: RwSignal<Option<u32>>,
    pub error: RwSignal<Option<String>>,
    /// Performance timestamp of the last filter keystroke, for the filter timing.
    pub filter_started: RwSignal<Option<f64>>,
}

#[component]
pub fn UsersArea(
    #[prop(into)] on_start_sync: Callback<()>,
    #[prop(into)] on_try_demo: Callback<()>,
    data_changed: RwSignal<u32>,
) -> impl IntoView {
    let state = UsersState {
        filter: RwSignal::new(String::new()),
        sort: RwSignal::new((SortColumn::Account, false)),
        selected: RwSignal::new(None),
        revision: RwSignal::new(0),
        all: RwSignal::new(None),
        error: RwSignal::new(None),
        filter_started: RwSignal::new(None),
    };
    // A synchronization elsewhere changed the users: reload (not on the first run).
    Effect::new(move |previous: Option<u32>| {
        let now = data_changed.get();
        if previous.is_some_and(|p| p != now) {
            state.revision.update(|r| *r += 1);
        }
        now
    });
    let open = RwSignal::new(Open::None);
    let close = Callback::new(move |()| open.set(Open::None));
    let saved = Callback::new(move |()| {
        open.set(Open::None);
        state.revision.update(|r| *r += 1);
    });
    let deleted = Callback::new(move |()| {
        open.set(Open::None);
        state.selected.set(None);
        state.revision.update(|r| *r += 1);
    });
    let properties = Callback::new(move |id: i64| open.set(Open::Properties(id)));
    let delete = Callback::new(move |row: UserRow| open.set(Open::Delete(row)));
    let has_selection = move || state.selected.with(Option::is_some);

    view! {
        <section class="users" aria-labelledby="users-heading">
            <div class="area-bar">
                <h1 id="users-heading" class="area-title">"Users"</h1>
                <div class="area-actions" role="toolbar" aria-label="User actions">
                    <button id="users-new" on:click=move |_| open.set(Open::New)>
                        "New user…"
                    </button>
                    <button
                        id="users-properties"
                        disabled=move || !has_selection()
                        on:click=move |_| {
                            if let Some(row) = state.selected.get_untracked() {
                                properties.run(row.id);
                            }
                        }
                    >
                        "Properties"
                    </button>
                    <button
                        id="users-delete"
                        disabled=move || !has_selection()
                        on:click=move |_| {
                            if let Some(row) = state.selected.get_untracked() {
                                delete.run(row);
                            }
                        }
                    >
                        "Delete"
                    </button>
                </div>
                <input
                    id="users-filter"
                    class="filter"
                    type="search"
                    placeholder="Filter users"
                    aria-label="Filter users by account, name, e-mail or department"
                    prop:value=move || state.filter.get()
                    on:input=move |ev| {
                        state.filter_started.set(crate::users::table::now());
                        state.filter.set(event_target_value(&ev));
                    }
                />
            </div>
            <Show when=move || state.error.with(Option::is_some)>
                <div class="banner error" id="users-error" role="alert">
                    <p>{move || state.error.get().unwrap_or_default()}</p>
                    <button id="users-retry" on:click=move |_| state.revision.update(|r| *r += 1)>
                        "Try again"
                    </button>
                </div>
            </Show>
            // The table stays mounted (it is what loads the users); the empty state covers it
            // while the database has none.
            <div class="users-stack">
                <UsersTable state=state on_open=properties on_delete=delete />
                <Show when=move || state.all.get() == Some(0) && state.error.with(Option::is_none)>
                    <EmptyState on_start_sync=on_start_sync on_try_demo=on_try_demo on_new=Callback::new(move |()| open.set(Open::New)) />
                </Show>
            </div>
            {move || match open.get() {
                Open::None => ().into_any(),
                Open::New => view! { <UserDialog user=None on_close=close on_saved=saved /> }.into_any(),
                Open::Properties(id) => {
                    view! { <UserDialog user=Some(id) on_close=close on_saved=saved /> }.into_any()
                }
                Open::Delete(row) => {
                    view! { <DeleteDialog row=row on_close=close on_deleted=deleted /> }.into_any()
                }
            }}
        </section>
    }
}

#[component]
fn EmptyState(
    on_start_sync: Callback<()>,
    on_try_demo: Callback<()>,
    on_new: Callback<()>,
) -> impl IntoView {
    view! {
        <div class="empty-overlay">
            <div class="empty-state" id="users-empty">
                <h2>"No users yet"</h2>
                <p>
                    "Import the people of your Microsoft Entra ID tenant with "
                    <strong>"Tools → Azure AD Synchronization"</strong>
                    ". You sign in with an administrator account, pick users and groups, preview the changes, and synchronize. Users who sign in with a password of this server can be created with New user."
                </p>
                <div class="empty-actions">
                    <button class="primary" id="users-start-sync" on:click=move |_| on_start_sync.run(())>
                        "Start Azure AD Synchronization…"
                    </button>
                    <button id="users-empty-new" on:click=move |_| on_new.run(())>
                        "New local user…"
                    </button>
                    <button id="users-try-demo" on:click=move |_| on_try_demo.run(())>
                        "Try the offline demo (Contoso)"
                    </button>
                </div>
            </div>
        </div>
    }
}
