//! Step 3, Select objects: search and Search now, the virtualized list with checkboxes,
//! Shift-click ranges, the right-click menu (Select all / Select none / Invert), options.

use super::Wizard;
use super::list_view::{Column, Show};
use super::scope_panel::SavedScopePanel;
use super::select::{ListKey, SelectModel, plural};
use crate::components::error::{ErrorMessage, failure};
use crate::components::focus::{Axis, focus_later, roving};
use crate::users::window::{self, ROW_HEIGHT};
use aadsync_ipc::{DirectoryEntry, EntryKind};
use leptos::html;
use leptos::prelude::*;

/// The list viewport's smallest height in CSS pixels (the stylesheet's `min-height`); it grows
/// with the window, and the rows drawn follow its measured height.
const LIST_HEIGHT: f64 = 252.0;

/// Keeps `height` equal to the list's laid-out height (the window, and with it the wizard,
/// may be resized at any time).
fn watch_height(list: NodeRef<html::Div>, height: RwSignal<f64>) {
    use leptos::__reexports::send_wrapper::SendWrapper;
    use wasm_bindgen::JsCast;
    use wasm_bindgen::closure::Closure;
    let changed = Closure::<dyn FnMut()>::new(move || height.set(measured(list)));
    let Ok(observer) = web_sys::ResizeObserver::new(changed.as_ref().unchecked_ref()) else {
        return;
    };
    let watch = SendWrapper::new(Watch {
        observer,
        _callback: changed,
    });
    Effect::new(move |_| {
        if let Some(el) = list.get() {
            watch.observer.observe(&el);
        }
    });
}

/// An observer and the callback it calls: disconnected before the callback is freed.
struct Watch {
    observer: web_sys::ResizeObserver,
    /// Kept alive while the observer may call it.
    _callback: wasm_bindgen::closure::Closure<dyn FnMut()>,
}

impl Drop for Watch {
    fn drop(&mut self) {
        self.observer.disconnect();
    }
}

/// The list's height now, as laid out.
fn measured(list: NodeRef<html::Div>) -> f64 {
    list.get_untracked().map_or(LIST_HEIGHT, |el| {
        f64::from(el.client_height()).max(LIST_HEIGHT)
    })
}

/// The Select objects step; lists the whole directory the first time it is shown.
#[component]
pub fn SelectObjectsStep() -> impl IntoView {
    let wizard = expect_context::<Wizard>();
    let list = NodeRef::<html::Div>::new();
    let scroll_top = RwSignal::new(0.0_f64);
    let search = RwSignal::new(String::new());
    let menu = RwSignal::new(None::<(i32, i32)>);

    let loading = wizard.listing.pending();
    // Shown once the listing ended: a new Search now clears the last one's error.
    let listing_failure = failure(wizard.listing);
    let listing_error = Signal::derive(move || {
        if loading.get() {
            None
        } else {
            listing_failure.get()
        }
    });
    if wizard.select.with_untracked(|m| m.loaded() == 0) && !loading.get_untracked() {
        wizard.listing.dispatch(String::new());
    }
    // Synchronize waits while a Select all still takes rows that are loading.
    Effect::new(move |_| {
        wizard
            .ready
            .set(!wizard.select.with(SelectModel::all_pending))
    });

    view! {
        <div
            class="step-objects"
            on:keydown=move |ev| {
                // Escape closes the open context menu, not the wizard.
                if ev.key() == "Escape" && menu.get_untracked().is_some() {
                    ev.prevent_default();
                    ev.stop_propagation();
                    menu.set(None);
                    focus_later("dir-list");
                }
            }
        >
            <p class="muted" id="wizard-connected">
                {move || connected_text(wizard)}
            </p>
            {missing_permissions(wizard)}
            <SavedScopePanel />
            {search_row(wizard, search, list, scroll_top)}
            <ErrorMessage id="dir-error" message=listing_error />
            {list_header(wizard)}
            {dir_list(wizard, list, scroll_top, menu)}
            <p class="muted hint" id="dir-keys-hint">
                "Arrows move, Space ticks, Shift+arrows tick a range, Ctrl+A selects all; right-click or Shift+F10 for Select all, Select none, Invert."
            </p>
            <p class="muted" id="dir-counts" role="status">{move || counts_text(wizard, loading.get())}</p>
            {basket(wizard)}
            {options(wizard)}
            {move || select_menu(wizard, menu)}
        </div>
    }
}

/// Above the list: which kind of rows to show, and the column headers, which sort.
fn list_header(wizard: Wizard) -> impl IntoView {
    let header = move |column: Column, id: &'static str, title: &'static str| {
        view! {
            <button
                id=id
                data-sort=move || wizard.select.with(|m| m.sort().aria(column))
                title="Sort by this column (again: reverse, a third time: as Entra ID listed)"
                on:click=move |_| wizard.select.update(|m| m.set_sort(m.sort().clicked(column)))
            >
                {title}
                <span class="visually-hidden">
                    {move || match wizard.select.with(|m| m.sort().aria(column)) {
                        "ascending" => ", sorted ascending",
                        "descending" => ", sorted descending",
                        _ => "",
                    }}
                </span>
            </button>
        }
    };
    view! {
        <div class="dir-show">
            <label for="dir-show">"Show"</label>
            <select
                id="dir-show"
                prop:value=move || wizard.select.with(|m| m.show().value())
                on:change=move |ev| wizard.select.update(|m| m.set_show(Show::from_value(&event_target_value(&ev))))
            >
                {Show::ALL.map(|s| view! { <option value=s.value()>{s.label()}</option> }).into_iter().collect_view()}
            </select>
        </div>
        <div class="dir-header" role="presentation">
            <input
                type="checkbox"
                id="dir-check-shown"
                aria-label="Select all shown"
                title="Select or unselect every row shown (rows not loaded yet too)"
                prop:checked=move || wizard.select.with(|m| m.shown_checked().0)
                prop:indeterminate=move || wizard.select.with(|m| { let (all, some) = m.shown_checked(); some && !all })
                on:change=move |_| {
                    let loading = wizard.listing.pending().get_untracked();
                    wizard.select.update(|m| match (m.shown_checked().0, loading) {
                        (true, _) => m.unselect_shown(),
                        (false, true) => m.select_all_while_loading(),
                        (false, false) => m.select_all(),
                    });
                }
            />
            <span></span>
            {header(Column::Name, "dir-sort-name", "Name")}
            {header(Column::Principal, "dir-sort-principal", "Account or mail")}
            {header(Column::Department, "dir-sort-department", "Department")}
            <span>"Imported"</span>
        </div>
    }
}

/// The virtualized list of users and groups: a multi-select listbox (mouse and keyboard).
fn dir_list(
    wizard: Wizard,
    list: NodeRef<html::Div>,
    scroll_top: RwSignal<f64>,
    menu: RwSignal<Option<(i32, i32)>>,
) -> impl IntoView {
    let total = move || wizard.select.with(|m| m.visible_len());
    // Measured once laid out and again when the window (and with it the wizard) is resized.
    let height = RwSignal::new(LIST_HEIGHT);
    Effect::new(move |_| {
        if list.get().is_some() {
            height.set(measured(list));
        }
    });
    watch_height(list, height);
    let rows = move || {
        let (first, end) = window::visible(scroll_top.get(), height.get(), total() as u32);
        wizard.select.with(|m| {
            (first..end)
                .filter_map(|i| {
                    m.row(i as usize)
                        .map(|r| (i, r.clone(), m.is_checked(&r.id)))
                })
                .collect::<Vec<_>>()
        })
    };

    view! {
            <div
                class="dir-list"
                id="dir-list"
                role="listbox"
                aria-multiselectable="true"
                aria-label="Users and groups"
                tabindex="0"
                node_ref=list
                on:scroll=move |_| {
                    if let Some(el) = list.get_untracked() {
                        scroll_top.set(f64::from(el.scroll_top()));
                    }
                }
                on:contextmenu=move |ev| {
                    ev.prevent_default();
                    menu.set(Some((ev.client_x(), ev.client_y())));
                }
                aria-activedescendant=move || wizard.select.with(|m| m.active().map(|i| format!("dir-row-{i}")))
                on:keydown=move |ev| list_key(wizard, list, scroll_top, menu, &ev)
            >
                <div class="table-spacer" style:height=move || format!("{}px", total() as f64 * ROW_HEIGHT)>
                    <For
                        each=rows
                        key=|(i, r, c)| (*i, r.id.clone(), *c)
                        children=move |(i, row, checked)| dir_row(wizard, i, row, checked)
                    />
                </div>
            </div>
    }
}

/// One listed user or group at index `i`: a click checks it, Shift-click a range.
fn dir_row(wizard: Wizard, i: u32, row: DirectoryEntry, checked: bool) -> impl IntoView {
    let icon = match (row.kind, row.guest, row.disabled) {
        (EntryKind::Group, _, _) => ("icon-group", "Group"),
        (_, _, true) => ("icon-disabled", "Disabled user"),
        (_, true, _) => ("icon-guest", "Guest"),
        _ => ("icon-user", "User"),
    };
    view! {
        <div
            class="dir-row"
            class:checked=checked
            class:active=move || wizard.select.with(|m| m.active() == Some(i as usize))
            id=format!("dir-row-{i}")
            role="option"
            aria-selected=checked.to_string()
            data-index=i.to_string()
            data-id=row.id.clone()
            style:transform=format!("translateY({}px)", f64::from(i) * ROW_HEIGHT)
            on:click=move |ev| {
                wizard.select.update(|m| m.click(i as usize, ev.shift_key()));
            }
        >
            <span class="tick" aria-hidden="true"></span>
            <span class=format!("type-icon {}", icon.0) title=icon.1 aria-label=icon.1></span>
            // Cut-off text is readable in full on hover.
            <span class="dir-name" title=row.display_name.clone()>{row.display_name.clone()}</span>
            <span class="dir-principal" title=row.principal.clone()>{row.principal.clone()}</span>
            <span class="dir-department" title=row.department.clone()>{row.department.clone()}</span>
            <span class="dir-imported">
                {
                    let id = row.id.clone();
                    move || wizard.saved.with(|s| s.contains(&id)).then(|| view! { <span class="badge in-scope">"in scope"</span> " " })
                }
                {if row.imported { "imported" } else { "" }}
            </span>
        </div>
    }
}

/// What is imported with the selection, and whether deleted objects are checked.
fn options(wizard: Wizard) -> impl IntoView {
    view! {
    <div class="options">
        <label class="check">
            <input
                type="checkbox"
                id="opt-members"
                prop:checked=move || wizard.members.get()
                on:change=move |ev| wizard.members.set(event_target_checked(&ev))
            />
            "Import members of selected groups"
        </label>
        <label class="check indent">
            <input
                type="checkbox"
                id="opt-nested"
                disabled=move || !wizard.members.get()
                prop:checked=move || wizard.nested.get()
                on:change=move |ev| wizard.nested.set(event_target_checked(&ev))
            />
            "Include nested groups"
        </label>
        <label class="check">
            <input
                type="checkbox"
                id="opt-check-deleted"
                prop:checked=move || wizard.flow.with(|f| f.check_deleted())
                on:change=move |ev| {
                    let on = event_target_checked(&ev);
                    wizard.flow.update(|f| f.set_check_deleted(on));
                }
            />
            "Check deleted objects"
        </label>
    </div>
    }
}

/// The list's keys: the listbox pattern (see [`ListKey`]) and the context-menu key or
/// Shift+F10, which open the menu at the active row with its first item focused.
fn list_key(
    wizard: Wizard,
    list: NodeRef<html::Div>,
    scroll_top: RwSignal<f64>,
    menu: RwSignal<Option<(i32, i32)>>,
    ev: &web_sys::KeyboardEvent,
) {
    let Some(el) = list.get_untracked() else {
        return;
    };
    if ev.key() == "ContextMenu" || (ev.shift_key() && ev.key() == "F10") {
        ev.prevent_default();
        let rect = el.get_bounding_client_rect();
        let row = wizard.select.with_untracked(|m| m.active().unwrap_or(0)) as f64;
        let y =
            rect.top() + (row * ROW_HEIGHT - scroll_top.get_untracked()).clamp(0.0, measured(list));
        menu.set(Some(((rect.left() + 24.0) as i32, (y + ROW_HEIGHT) as i32)));
        focus_later("dir-select-all");
        return;
    }
    let Some(key) = ListKey::from_event(&ev.key(), ev.ctrl_key() || ev.meta_key()) else {
        return;
    };
    ev.prevent_default();
    let viewport = measured(list);
    let page = (viewport / ROW_HEIGHT) as usize;
    wizard.select.update(|m| {
        m.key(key, ev.shift_key(), page);
    });
    // Keep the active row in view.
    if let Some(active) = wizard.select.with_untracked(|m| m.active()) {
        let (top, bottom) = (active as f64 * ROW_HEIGHT, (active + 1) as f64 * ROW_HEIGHT);
        let now = f64::from(el.scroll_top());
        let wanted = if top < now {
            top
        } else if bottom > now + viewport {
            bottom - viewport
        } else {
            now
        };
        if wanted != now {
            el.set_scroll_top(wanted as i32);
            scroll_top.set(wanted);
        }
    }
}

/// Arrow keys move between the menu's items; Escape (handled by the step) closes it.
fn menu_key(ev: &web_sys::KeyboardEvent) {
    let items = ["dir-select-all", "dir-select-none", "dir-invert"];
    let now = document()
        .active_element()
        .map(|e| e.id())
        .and_then(|id| items.iter().position(|i| *i == id))
        .unwrap_or(0);
    if let Some(next) = roving(&ev.key(), now, items.len(), Axis::Vertical) {
        ev.prevent_default();
        focus_later(items[next]);
    }
}

/// The right-click menu of the list, while open: Select all, Select none, Invert selection.
fn select_menu(wizard: Wizard, menu: RwSignal<Option<(i32, i32)>>) -> Option<impl IntoView> {
    let (x, y) = menu.get()?;
    let act = move |f: fn(&mut SelectModel)| {
        wizard.select.update(f);
        menu.set(None);
        focus_later("dir-list");
    };
    Some(view! {
        <div class="menu-dismiss" on:click=move |_| menu.set(None) on:contextmenu=move |ev| { ev.prevent_default(); menu.set(None) }></div>
        <div class="menu-list context-menu" role="menu" id="dir-menu" style:left=format!("{x}px") style:top=format!("{y}px") on:keydown=move |ev| menu_key(&ev)>
            <button class="menu-item" role="menuitem" id="dir-select-all" on:click=move |_| {
                if wizard.listing.pending().get_untracked() {
                    act(SelectModel::select_all_while_loading)
                } else {
                    act(SelectModel::select_all)
                }
            }>"Select all"</button>
            <button class="menu-item" role="menuitem" id="dir-select-none" on:click=move |_| act(|m| m.select_none())>"Select none"</button>
            <button class="menu-item" role="menuitem" id="dir-invert" on:click=move |_| act(|m| m.invert())>"Invert selection"</button>
        </div>
    })
}

/// After any sign-in, silent ones included: the features whose Graph permission this app
/// registration lacks, folded.
fn missing_permissions(wizard: Wizard) -> impl IntoView {
    move || {
        let lines = wizard
            .connected
            .with(|c| c.as_ref().map(|c| c.missing_permissions.clone()))
            .filter(|lines| !lines.is_empty())?;
        Some(view! {
            <details class="notice" id="dir-permissions">
                <summary>{format!("{} feature(s) need a permission this app registration was not granted", lines.len())}</summary>
                <ul>{lines.into_iter().map(|line| view! { <li>{line}</li> }).collect_view()}</ul>
            </details>
        })
    }
}

/// "Contoso (contoso.com) — signed in as admin@contoso.com (Global Administrator)".
fn connected_text(wizard: Wizard) -> Option<String> {
    wizard.connected.get().map(|c| {
        format!(
            "{} ({}) — signed in as {} ({})",
            c.organization.display_name,
            c.organization.primary_domain,
            c.account,
            c.roles.join(", ")
        )
    })
}

/// What is selected, whatever search listed it: folded, with a way to empty it.
fn basket(wizard: Wizard) -> impl IntoView {
    let empty = move || wizard.select.with(|m| m.counts() == (0, 0));
    view! {
        <Show when=move || !empty()>
            <details class="basket" id="dir-basket">
                <summary>"Show the selection"</summary>
                <ul id="dir-basket-list">
                    {move || wizard.select.with(|m| {
                        m.basket()
                            .into_iter()
                            .map(|e| view! { <li data-id=e.id.clone()>{e.display_name.clone()}" — "{e.principal.clone()}</li> })
                            .collect_view()
                    })}
                </ul>
                <button id="dir-basket-clear" on:click=move |_| wizard.select.update(|m| m.select_none())>
                    "Clear the selection"
                </button>
            </details>
        </Show>
    }
}

/// "3 users selected · 300 users and 25 groups listed (loading…)".
fn counts_text(wizard: Wizard, loading: bool) -> String {
    let (u, g) = wizard.select.with(|m| m.counts());
    let (lu, lg) = wizard.select.with(|m| m.loaded_counts());
    let loading = match (loading, wizard.select.with(SelectModel::all_pending)) {
        (true, true) => " (loading… Select all takes every match as it arrives)",
        (true, false) => " (loading…)",
        _ => "",
    };
    format!(
        "{} selected · {} listed{loading}",
        plural(u, g),
        plural(lu, lg)
    )
}

/// The search box (typing filters the loaded rows) and Search now (Entra ID searches).
fn search_row(
    wizard: Wizard,
    search: RwSignal<String>,
    list: NodeRef<html::Div>,
    scroll_top: RwSignal<f64>,
) -> impl IntoView {
    view! {
    <div class="field-row">
        <label for="dir-search" class="visually-hidden">"Search users and groups"</label>
        <input
            id="dir-search"
            type="search"
            placeholder="Filter the list, or search Entra ID with Search now"
            autocomplete="off"
            spellcheck="false"
            prop:value=move || search.get()
            on:input=move |ev| {
                let text = event_target_value(&ev);
                wizard.select.update(|m| m.set_filter(&text));
                search.set(text);
                scroll_top.set(0.0);
                if let Some(el) = list.get_untracked() {
                    el.set_scroll_top(0);
                }
            }
            on:keydown=move |ev| {
                if ev.key() == "Enter" {
                    let text = search.get_untracked();
                    wizard.select.update(|m| m.set_filter(""));
                    wizard.listing.dispatch(text);
                }
                // Escape empties the search text first; only an empty box lets the wizard see it.
                if ev.key() == "Escape" && !search.get_untracked().is_empty() {
                    ev.prevent_default();
                    ev.stop_propagation();
                    wizard.select.update(|m| m.set_filter(""));
                    search.set(String::new());
                }
            }
        />
        <button
            id="dir-search-now"
            on:click=move |_| {
                let text = search.get_untracked();
                // The server did the searching: show all it returned.
                wizard.select.update(|m| m.set_filter(""));
                wizard.listing.dispatch(text);
            }
        >
            "Search now"
        </button>
    </div>
    }
}
