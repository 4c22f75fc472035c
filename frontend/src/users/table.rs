//! The virtualized users table: only the rows in view (plus overscan) are in the DOM.

use super::UsersState;
use super::cells::Cells;
use super::columns;
use super::window::{self, ROW_HEIGHT};
use crate::ipc;
use aadsync_ipc::{ListUsers, SortColumn, UserPage, UserQuery, UserRow};
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

/// The loaded window of rows and the query it answers.
type Page = RwSignal<Option<(Shape, UserPage)>>;

/// The open context menu: where, and for which row.
type ContextMenu = RwSignal<Option<(f64, f64, UserRow)>>;

/// What the table measures for the benchmark (`data-first-paint-ms`, `data-filter-ms`, …).
#[derive(Debug, Clone, Copy)]
struct Timings {
    mounted_at: Option<f64>,
    first_paint: RwSignal<Option<f64>>,
    filter_ms: RwSignal<Option<f64>>,
    /// The IPC part of the last filter (keystroke → answer decoded), to tell IPC from painting.
    filter_ipc_ms: RwSignal<Option<f64>>,
}

impl Timings {
    fn start() -> Self {
        Self {
            mounted_at: now(),
            first_paint: RwSignal::new(None),
            filter_ms: RwSignal::new(None),
            filter_ipc_ms: RwSignal::new(None),
        }
    }
}

/// Where the table body is scrolled to and how tall it is.
#[derive(Debug, Clone, Copy)]
struct Viewport {
    body: NodeRef<html::Div>,
    scroll_top: RwSignal<f64>,
    height: RwSignal<f64>,
}

/// The users table.
///
/// - `state`: filter, sort, selection and reload counter shared with the Users area.
/// - `on_open`: a row was double-clicked or Enter pressed (open its properties).
/// - `on_delete`: Delete was pressed or chosen from the context menu.
#[component]
pub fn UsersTable(
    state: UsersState,
    #[prop(into)] on_open: Callback<i64>,
    #[prop(into)] on_delete: Callback<UserRow>,
) -> impl IntoView {
    let viewport = Viewport {
        body: NodeRef::new(),
        scroll_top: RwSignal::new(0.0),
        height: RwSignal::new(560.0),
    };
    let body = viewport.body;
    let page: Page = RwSignal::new(None);
    let timings = Timings::start();
    let menu: ContextMenu = RwSignal::new(None);
    let widths = RwSignal::new(columns::load());
    let (grid, head) = (NodeRef::<html::Div>::new(), NodeRef::<html::Div>::new());
    columns::apply(grid, widths.into());

    let measure = move || {
        if let Some(el) = body.get_untracked() {
            viewport.height.set(f64::from(el.client_height()));
        }
    };
    let _resize = window_event_listener(leptos::ev::resize, move |_| measure());
    load_rows_in_view(state, page, viewport, timings);

    let total = move || page.with(|p| p.as_ref().map(|(_, pg)| pg.total).unwrap_or(0));
    let ms = |t: RwSignal<Option<f64>>| move || t.get().map(|t| format!("{t:.1}"));

    view! {
        // The grid holds rows only (ARIA); its status and the empty-filter note sit beside it.
        <div class="table-frame">
        <div
            class="table-grid"
            id="users-table"
            node_ref=grid
            role="grid"
            aria-label="Server users"
            aria-rowcount=move || total().to_string()
            data-total=move || total().to_string()
            data-first-paint-ms=ms(timings.first_paint)
            data-filter-ms=ms(timings.filter_ms)
            data-filter-ipc-ms=ms(timings.filter_ipc_ms)
        >
            {head_row(state, widths, head)}
            <div
                class="table-body"
                id="users-rows"
                role="rowgroup"
                node_ref=body
                tabindex="0"
                on:scroll=move |_| {
                    if let Some(el) = body.get_untracked() {
                        viewport.scroll_top.set(f64::from(el.scroll_top()));
                    }
                }
                on:keydown=move |ev| on_key(ev, state, page, viewport, on_open, on_delete)
                on:focus=move |_| measure()
            >
                <div class="table-spacer" style:height=move || format!("{}px", f64::from(total()) * ROW_HEIGHT)>
                    <For
                        each=move || rows_in_view(page, viewport)
                        key=|(i, r)| (*i, r.id, r.account_name.clone(), r.state.clone(), r.full_name.clone(), r.email.clone(), r.department.clone())
                        children=move |(i, row)| row_view(state, menu, on_open, i, row)
                    />
                </div>
            </div>
        </div>
            <Show when=move || page.with(|p| p.as_ref().is_some_and(|(_, pg)| pg.total == 0))>
                <p class="no-match" id="users-no-match">"No user matches the filter"</p>
            </Show>
            <div class="table-status" aria-live="polite" id="users-count">
                {move || count_text(state, total())}
            </div>
        </div>
        {move || context_menu(menu, on_open, on_delete)}
    }
}

/// Keys in the table body: arrows and Page Up/Down move the selection, Enter opens it,
/// Delete asks to delete it.
fn on_key(
    ev: web_sys::KeyboardEvent,
    state: UsersState,
    page: Page,
    viewport: Viewport,
    on_open: Callback<i64>,
    on_delete: Callback<UserRow>,
) {
    let page_rows = (viewport.height.get_untracked() / ROW_HEIGHT) as i64;
    let delta = match ev.key().as_str() {
        "ArrowDown" => 1,
        "ArrowUp" => -1,
        "PageDown" => page_rows,
        "PageUp" => -page_rows,
        "Enter" => {
            if let Some(row) = state.selected.get_untracked() {
                on_open.run(row.id)
            }
            return;
        }
        "Delete" => {
            if let Some(row) = state.selected.get_untracked() {
                on_delete.run(row)
            }
            return;
        }
        _ => return,
    };
    ev.prevent_default();
    select_offset(state, page, viewport.body, delta);
}

/// Fetches whenever the query changes or the viewport leaves the loaded window.
///
/// Not a `LocalResource` or an `Action`: no one clicks for it, a scroll must not drop the rows
/// on screen while the next window loads, a newer request supersedes an older one still in
/// flight, and the benchmark's timings are taken when the answer arrives.
fn load_rows_in_view(state: UsersState, page: Page, viewport: Viewport, timings: Timings) {
    let request = StoredValue::new(0_u64);
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
            viewport.scroll_top.get(),
            viewport.height.get(),
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
            if request.try_get_value() != Some(id) {
                return; // A newer request superseded this one (or the table is gone).
            }
            match answer {
                Ok(result) => {
                    state.error.set(None);
                    state.all.set(Some(result.all));
                    let new_query =
                        page.with_untracked(|p| p.as_ref().is_none_or(|(s, _)| *s != shape));
                    page.set(Some((shape, result)));
                    if new_query {
                        record_timings(state, timings, answered);
                    }
                }
                Err(err) => state.error.set(Some(err.message)),
            }
        });
    });
}

/// A new query's answer arrived at `answered`: its IPC time now, its paint time once painted.
fn record_timings(state: UsersState, timings: Timings, answered: Option<f64>) {
    if let (Some(t), Some(start)) = (answered, state.filter_started.get_untracked()) {
        timings.filter_ipc_ms.set(Some(t - start));
    }
    request_animation_frame(move || {
        let t = now();
        if timings.first_paint.get_untracked().is_none() {
            timings
                .first_paint
                .set(t.zip(timings.mounted_at).map(|(t, m)| t - m));
        }
        if let (Some(t), Some(start)) = (t, state.filter_started.get_untracked()) {
            timings.filter_ms.set(Some(t - start));
            state.filter_started.set(None);
        }
    });
}

/// The loaded rows that intersect the viewport, with their absolute index.
fn rows_in_view(page: Page, viewport: Viewport) -> Vec<(u32, UserRow)> {
    let total = page.with(|p| p.as_ref().map(|(_, pg)| pg.total).unwrap_or(0));
    let (first, end) = window::visible(viewport.scroll_top.get(), viewport.height.get(), total);
    page.with(|p| {
        p.as_ref()
            .map(|(_, pg)| {
                pg.rows
                    .iter()
                    .enumerate()
                    .map(|(i, r)| (pg.offset + i as u32, r))
                    .filter(|(i, _)| *i >= first && *i < end)
                    .map(|(i, r)| (i, r.clone()))
                    .collect()
            })
            .unwrap_or_default()
    })
}

/// Moves the selection by `delta` rows (arrow keys, Page Up/Down) and keeps it in view.
fn select_offset(state: UsersState, page: Page, body: NodeRef<html::Div>, delta: i64) {
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
    let Some((absolute, row)) = next else {
        return;
    };
    state.selected.set(Some(row));
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

/// The header row: a sortable, resizable header per column.
fn head_row(
    state: UsersState,
    widths: RwSignal<columns::Widths>,
    head: NodeRef<html::Div>,
) -> impl IntoView {
    view! {
        <div class="table-head" role="row" node_ref=head>
            {SortColumn::ALL
                .into_iter()
                .enumerate()
                .map(|(i, c)| column_header(state, c, columns::handle(widths, head, i, c.heading())))
                .collect_view()}
        </div>
    }
}

/// A column header: click sorts by it, a second click reverses; `resize` is its width handle.
fn column_header(state: UsersState, column: SortColumn, resize: impl IntoView) -> impl IntoView {
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
            {resize}
        </div>
    }
}

/// One row at absolute index `i`: click selects, double-click opens, right-click the menu.
fn row_view(
    state: UsersState,
    menu: ContextMenu,
    on_open: Callback<i64>,
    i: u32,
    row: UserRow,
) -> impl IntoView {
    let id = row.id;
    let for_click = row.clone();
    let for_menu = row.clone();
    let selected = move || {
        state
            .selected
            .with(|s| s.as_ref().map(|r| r.id) == Some(id))
    };
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

/// "12 users", or "3 of 12 users match" while a filter is typed.
fn count_text(state: UsersState, shown: u32) -> String {
    let all = state.all.get().unwrap_or(0);
    let users = if all == 1 { "user" } else { "users" };
    if state.filter.with(|f| f.trim().is_empty()) {
        format!("{all} {users}")
    } else {
        format!("{shown} of {all} {users} match")
    }
}

/// The right-click menu of a row, while open: Properties, Delete….
fn context_menu(
    menu: ContextMenu,
    on_open: Callback<i64>,
    on_delete: Callback<UserRow>,
) -> Option<impl IntoView> {
    let (x, y, row) = menu.get()?;
    let open_row = row.clone();
    Some(view! {
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
    })
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
