//! The Users area: the server's users in a virtualized table, and the actions on them.

mod background;
pub(crate) mod cells;
mod columns;
mod delete;
mod empty;
mod schedule_notice;
pub(crate) mod table;
pub mod window;

use crate::components::error::{ErrorMessage, Look};
use crate::user_properties::UserDialog;
use aadsync_ipc::{SortColumn, UserRow};
use delete::DeleteDialog;
use empty::EmptyState;
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
    /// Why the users could not be listed, shown above the table with Try again.
    pub error: RwSignal<Option<String>>,
    /// Performance timestamp of the last filter keystroke, for the filter timing.
    pub filter_started: RwSignal<Option<f64>>,
}

/// The Users area: its toolbar, the table, the empty state and the user dialogs.
///
/// - `on_start_sync`/`on_try_demo`: the empty state's buttons, which open the wizard.
/// - `data_changed`: bumped elsewhere when the database changed; the table reloads.
#[component]
pub fn UsersArea(
    #[prop(into)] on_start_sync: Callback<()>,
    #[prop(into)] on_try_demo: Callback<()>,
    data_changed: RwSignal<u32>,
    /// A synchronization left to finish in the background, by job number.
    background: RwSignal<Option<u64>>,
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
    let properties = Callback::new(move |id: i64| open.set(Open::Properties(id)));
    let delete = Callback::new(move |row: UserRow| open.set(Open::Delete(row)));

    view! {
        <section class="users" aria-labelledby="users-heading">
            {area_bar(state, open, properties, delete)}
            <background::BackgroundSync background=background data_changed=data_changed />
            <schedule_notice::ScheduleNotice data_changed=data_changed />
            <ErrorMessage id="users-error" message=state.error look=Look::Banner>
                <button id="users-retry" on:click=move |_| state.revision.update(|r| *r += 1)>
                    "Try again"
                </button>
            </ErrorMessage>
            // The table stays mounted (it is what loads the users); the empty state covers it
            // while the database has none.
            <div class="users-stack">
                <UsersTable state=state on_open=properties on_delete=delete />
                <Show when=move || state.all.get() == Some(0) && state.error.with(Option::is_none)>
                    <EmptyState on_start_sync=on_start_sync on_try_demo=on_try_demo on_new=Callback::new(move |()| open.set(Open::New)) />
                </Show>
            </div>
            {open_dialog(state, open)}
        </section>
    }
}

/// The title, the New/Properties/Delete buttons and the filter.
fn area_bar(
    state: UsersState,
    open: RwSignal<Open>,
    properties: Callback<i64>,
    delete: Callback<UserRow>,
) -> impl IntoView {
    let has_selection = move || state.selected.with(Option::is_some);
    view! {
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
                    state.filter_started.set(table::now());
                    state.filter.set(event_target_value(&ev));
                }
            />
        </div>
    }
}

/// The open dialog, if any; a save or delete closes it and reloads the table.
fn open_dialog(state: UsersState, open: RwSignal<Open>) -> impl IntoView {
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
    move || match open.get() {
        Open::None => ().into_any(),
        Open::New => view! { <UserDialog user=None on_close=close on_saved=saved /> }.into_any(),
        Open::Properties(id) => {
            view! { <UserDialog user=Some(id) on_close=close on_saved=saved /> }.into_any()
        }
        Open::Delete(row) => {
            view! { <DeleteDialog row=row on_close=close on_deleted=deleted /> }.into_any()
        }
    }
}
