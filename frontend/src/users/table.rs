//! The virtualized users table: only the rows in view (plus overscan) are in the DOM.

use super::UsersState;
use super::window::{self, ROW_HEIGHT};
use crate::ipc;
use aadsync_ipc::{Authentication, ListUsers, SortColumn, UserPage, UserQuery, UserRow};
use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;

/// Milliseconds since the page started (`performance.now()`).
pub fn now() -> Option<f64> {
    web_sys::window()
        .and_then(|w| w.performance())
        .map(|p| p.now())
}

/// The query whose answer is on screen, to tell a scroll from a new query.
#[derive(Debug, Clone, PartialEq)]
struct Shape {
    filter: String,
    sort: (SortColumn, bool),
    revision: u32,
}

#[component]
pub fn UsersTable(
    state: UsersState,
    #[prop(into)] on_open: Callback<i64>,
    #[prop(into)] on_delete: Callback<UserRow>,
) -> impl IntoView {
    let body = NodeRef::<html::Div>::new();
    let scroll_top = RwSignal::new(0.0_f64);
    let viewport = RwSignal::new(560.0_f64);
    let page = RwSignal::new(None::<(Shape, UserPage)>);
    let request = StoredValue::new(0_u64);
    let mounted_at = now();
    let first_paint = RwSignal::new(None::<f64>);
    let filter_ms = RwSignal::new(None::<f64>);
    // The IPC part of the last filter (keystroke → answer decoded), to tell IPC from painting.
    let filter_ipc_ms = RwSignal::new(None::<f64>);
    let menu = RwSignal::new(None::<(f64, f64, UserRow)>);

    let measure = move || {
        if let Some(el) = body.get_untracked() {
            viewport.set(f64::from(el.client_height()));
        }
    };
    let _resize = window_event_listener(leptos::ev::resize, move |_| measure());

    // Fetch whenever the query changes or the viewport leaves the loaded window.
    Effect::new(move |_| {
        let shape = Shape {
            filter: state.filter.get(),
            sort: state.sort.get(),
            revision: state.revision.get(),
        };
        let total_known = page.with(|p| {
            p.as_ref()
                .filter(|(s, _)| *s == shape)
                .map(|(_, pg)| (pg.offset, pg.rows.len() as u32, pg.total))
        });
        let (first, end) = window::visible(
            scroll_top.get(),
            viewport.get(),
            total_known.map(|t| t.2).unwrap_or(u32::MAX),
        );
        if let Some((offset, len, total)) = total_known
            && window::covers(offset, len, total, first, end)
        {
            return;
        }
        let (offset, limit) = window::fetch_window(first, end);
        let id = request.get_value() + 1;
        request.set_value(id);
        let query = UserQuery {
            filter: shape.filter.clone(),
            sort: shape.sort.0,
            descending: shape.sort.1,
            offset,
            limit,
        };
        spawn_local(async move {
            let answer = ipc::call::<ListUsers>(&query).await;
            let answered = now();
            if request.get_value() != id {
                return; // A newer request superseded this one.
            }
            match answer {
                Ok(result) => {
                    state.error.set(None);
                    state.all.set(Some(result.all));
                    let new_query =
                        page.with_untracked(|p| p.as_ref().is_none_or(|(s, _)| *s != shape));
                    page.set(Some((shape, result)));
                    if new_query {
                        if let (Some(t), Some(start)) =
                            (answered, state.filter_started.get_untracked())
                        {
                            filter_ipc_ms.set(Some(t - start));
                        }
                        // Timings, measured after the rows are painted.
                        request_animation_frame(move || {
                            let t = now();
                            if first_paint.get_untracked().is_none() {
                                first_paint.set(t.zip(mounted_at).map(|(t, m)| t - m));
                            }
                            if let (Some(t), Some(start)) =
                                (t, state.filter_started.get_untracked())
                            {
                                filter_ms.set(Some(t - start));
                                state.filter_started.set(None);
                            }
                        });
                    }
                }
                Err(err) => state.error.set(Some(err.message)),
            }
        });
    });

    let total = move || page.with(|p| p.as_ref().map(|(_, pg)| pg.total).unwrap_or(0));
    let rows_in_view = move || {
        let (first, end) = window::visible(scroll_top.get(), viewport.get(), total());
        page.with(|p| {
            p.as_ref()
                .map(|(_, pg)| {
                    pg.rows
                        .iter()
                        .enumerate()
                        .map(|(i, r)| (pg.offset + i as u32, r))
                        .filter(|(i, _)| *i >= first && *i < end)
                        .map(|(i, r)| (i, r.clone()))
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        })
    };

    let select_offset = move |delta: i64| {
        let current = state.selected.get_untracked().map(|r| r.id);
        let next = page.with_untracked(|p| {
            let (_, pg) = p.as_ref()?;
            let pos = current.and_then(|id| pg.rows.iter().position(|r| r.id == id));
            let index = match pos {
                Some(i) => (i as i64 + delta).clamp(0, pg.rows.len() as i64 - 1) as usize,
                None => 0,
            };
            pg.rows
                .get(index)
                .map(|r| (pg.offset + index as u32, r.clone()))
        });
        if let Some((absolute, row)) = next {
            state.selected.set(Some(row));
            // Keep the selection in view.
            if let Some(el) = body.get_untracked() {
                let top = f64::from(absolute) * ROW_HEIGHT;
                let view_h = f64::from(el.client_height());
                let current_top = f64::from(el.scroll_top());
                if top < current_top {
                    el.set_scroll_top(top as i32);
                } else if top + ROW_HEIGHT > current_top + view_h {
                    el.set_scroll_top((top + ROW_HEIGHT - view_h) as i32);
                }
            }
        }
    };

    let header = move |column: SortColumn| {
        let aria = move || match state.sort.get() {
            (c, false) if c == column => "ascending",
            (c, true) if c == column => "descending",
            _ => "none",
        };
        view! {
            <div role="columnheader" class="cell" id=format!("column-{}", column_id(column)) aria-sort=aria>
                <button
                    class="sort"
                    id=format!("sort-{}", column_id(column))
                    on:click=move |_| {
                        state.sort.update(|(c, desc)| {
                            if *c == column { *desc = !*desc } else { *c = column; *desc = false }
                        })
                    }
                >
                    {column.heading()}
                    <span class="sort-mark" aria-hidden="true">
                        {move || match aria() { "ascending" => "▲", "descending" => "▼", _ => "" }}
                    </span>
                </button>
            </div>
        }
    };

    view! {
        <div
            class="table-frame"
            id="users-table"
            role="grid"
            aria-label="Server users"
            aria-rowcount=move || total().to_string()
            data-total=move || total().to_string()
            data-first-paint-ms=move || first_paint.get().map(|t| format!("{t:.1}"))
            data-filter-ms=move || filter_ms.get().map(|t| format!("{t:.1}"))
            data-filter-ipc-ms=move || filter_ipc_ms.get().map(|t| format!("{t:.1}"))
        >
            <div class="table-head" role="row">
                {SortColumn::ALL.into_iter().map(header).collect_view()}
            </div>
            <div
                class="table-body"
                node_ref=body
                tabindex="0"
                on:scroll=move |_| {
                    if let Some(el) = body.get_untracked() {
                        scroll_top.set(f64::from(el.scroll_top()));
                    }
                }
                on:keydown=move |ev| match ev.key().as_str() {
                    "ArrowDown" => { ev.prevent_default(); select_offset(1) }
                    "ArrowUp" => { ev.prevent_default(); select_offset(-1) }
                    "PageDown" => { ev.prevent_default(); select_offset((viewport.get_untracked() / ROW_HEIGHT) as i64) }
                    "PageUp" => { ev.prevent_default(); select_offset(-((viewport.get_untracked() / ROW_HEIGHT) as i64)) }
                    "Enter" => {
                        if let Some(row) = state.selected.get_untracked() { on_open.run(row.id) }
                    }
                    "Delete" => {
                        if let Some(row) = state.selected.get_untracked() { on_delete.run(row) }
                    }
                    _ => {}
                }
                on:focus=move |_| measure()
            >
                <div class="table-spacer" style:height=move || format!("{}px", f64::from(total()) * ROW_HEIGHT)>
                    <For
                        each=rows_in_view
                        key=|(i, r)| (*i, r.id, r.account_name.clone(), r.state.clone(), r.full_name.clone(), r.email.clone(), r.department.clone())
                        children=move |(i, row)| {
                            let id = row.id;
                            let for_click = row.clone();
                            let for_menu = row.clone();
                            let selected = move || state.selected.with(|s| s.as_ref().map(|r| r.id) == Some(id));
                            let account = row.account_name.clone();
                            let enabled = row.enabled;
                            view! {
                                <div
                                    role="row"
                                    class="row"
                                    class:selected=selected
                                    class:disabled=!enabled
                                    aria-selected=move || selected().to_string()
                                    data-user-id=id.to_string()
                                    data-account=account
                                    style:transform=format!("translateY({}px)", f64::from(i) * ROW_HEIGHT)
                                    on:click=move |_| state.selected.set(Some(for_click.clone()))
                                    on:dblclick=move |_| on_open.run(id)
                                    on:contextmenu=move |ev| {
                                        ev.prevent_default();
                                        state.selected.set(Some(for_menu.clone()));
                                        menu.set(Some((f64::from(ev.client_x()), f64::from(ev.client_y()), for_menu.clone())));
                                    }
                                >
                                    <Cells row=row />
                                </div>
                            }
                        }
                    />
                </div>
                <Show when=move || page.with(|p| p.as_ref().is_some_and(|(_, pg)| pg.total == 0))>
                    <p class="no-match" id="users-no-match">"No user matches the filter"</p>
                </Show>
            </div>
            <div class="table-status" aria-live="polite" id="users-count">
                {move || {
                    let all = state.all.get().unwrap_or(0);
                    let shown = total();
                    let users = if all == 1 { "user" } else { "users" };
                    if state.filter.with(|f| f.trim().is_empty()) {
                        format!("{all} {users}")
                    } else {
                        format!("{shown} of {all} {users} match")
                    }
                }}
            </div>
        </div>
        {move || menu.get().map(|(x, y, row)| {
            let open_row = row.clone();
            view! {
                <div class="menu-dismiss" on:click=move |_| menu.set(None) on:contextmenu=move |ev| { ev.prevent_default(); menu.set(None) }></div>
                <div
                    class="menu-list context-menu"
                    role="menu"
                    id="users-context-menu"
                    style:left=format!("{x}px")
                    style:top=format!("{y}px")
                    on:keydown=move |ev| if ev.key() == "Escape" { menu.set(None) }
                >
                    <button class="menu-item" role="menuitem" id="context-properties" on:click=move |_| { menu.set(None); on_open.run(open_row.id) }>
                        "Properties"
                    </button>
                    <button class="menu-item" role="menuitem" id="context-delete" on:click=move |_| { menu.set(None); on_delete.run(row.clone()) }>
                        "Delete…"
                    </button>
                </div>
            }
        })}
    }
}

fn column_id(column: SortColumn) -> &'static str {
    match column {
        SortColumn::Account => "account",
        SortColumn::Authentication => "authentication",
        SortColumn::UserPrincipalName => "upn",
        SortColumn::State => "state",
        SortColumn::FullName => "full-name",
        SortColumn::Email => "email",
        SortColumn::Department => "department",
        SortColumn::LastSynchronized => "last-synchronized",
    }
}

/// "2026-11-26T04:19:06Z" → "2026-11-26 04:19" (UTC, as stored).
pub fn short_time(iso: &str) -> String {
    iso.get(..16)
        .map(|s| s.replace('T', " "))
        .unwrap_or_else(|| iso.to_owned())
}

#[component]
fn Cells(row: UserRow) -> impl IntoView {
    let icon = match (row.authentication, row.guest) {
        (Authentication::AzureActiveDirectory, true) => ("icon-guest", "Guest from Azure AD"),
        (Authentication::AzureActiveDirectory, false) => ("icon-azure", "Azure AD user"),
        (Authentication::ActiveDirectory, _) => ("icon-ad", "Active Directory user"),
        (Authentication::Local, _) => ("icon-local", "Local user"),
    };
    view! {
        <div role="gridcell" class="cell account" title=row.account_name.clone()>
            <span class=format!("type-icon {}", icon.0) title=icon.1 aria-label=icon.1></span>
            {row.account_name.clone()}
        </div>
        <div role="gridcell" class="cell">{row.authentication.label()}</div>
        <div role="gridcell" class="cell" title=row.user_principal_name.clone().unwrap_or_default()>
            {row.user_principal_name.clone().unwrap_or_default()}
        </div>
        <div role="gridcell" class="cell state">{row.state.clone()}</div>
        <div role="gridcell" class="cell" title=row.full_name.clone()>{row.full_name.clone()}</div>
        <div role="gridcell" class="cell" title=row.email.clone()>{row.email.clone()}</div>
        <div role="gridcell" class="cell">{row.department.clone()}</div>
        <div role="gridcell" class="cell">{row.last_synchronized.as_deref().map(short_time).unwrap_or_default()}</div>
    }
}
