//! One menu of the menu bar: its button and, while open, its list of items.

use super::{Menu, focus_after_key};
use leptos::html;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

/// A menu button and its list.
///
/// - `open`/`set_open`: which menu of the bar is open (shared, so opening one closes another).
#[component]
pub fn MenuButton(
    menu: Menu,
    open: ReadSignal<Option<&'static str>>,
    set_open: WriteSignal<Option<&'static str>>,
) -> impl IntoView {
    let Menu { id, label, items } = menu;
    let button = NodeRef::<html::Button>::new();
    let list = NodeRef::<html::Div>::new();
    let is_open = move || open.get() == Some(id);

    let focus_item = move |index: usize| focus_item(list, index);
    let close_and_refocus = move || {
        set_open.set(None);
        if let Some(button) = button.get_untracked() {
            let _ = button.focus();
        }
    };
    let count = items.len();
    let open_and_focus = move |index: usize| {
        set_open.set(Some(id));
        // The list renders on the next tick; focus after it exists.
        request_animation_frame(move || focus_item(index));
    };

    view! {
        <div class="menu">
            <button
                id=format!("menu-{id}")
                node_ref=button
                class="menu-button"
                role="menuitem"
                aria-haspopup="menu"
                aria-expanded=move || is_open().to_string()
                on:click=move |_| {
                    if is_open() { set_open.set(None) } else { set_open.set(Some(id)) }
                }
                on:keydown=move |ev| match ev.key().as_str() {
                    "ArrowDown" | "Enter" | " " => {
                        ev.prevent_default();
                        open_and_focus(0);
                    }
                    "ArrowUp" => {
                        ev.prevent_default();
                        open_and_focus(count.saturating_sub(1));
                    }
                    _ => {}
                }
            >
                {label}
            </button>
            <Show when=is_open>
                <div
                    class="menu-list"
                    role="menu"
                    aria-label=label
                    node_ref=list
                    on:keydown=move |ev| {
                        let key = ev.key();
                        if key == "Escape" || key == "Tab" {
                            ev.prevent_default();
                            close_and_refocus();
                        } else if let Some(next) = focus_after_key(focused_index(list), count, &key) {
                            ev.prevent_default();
                            focus_item(next);
                        }
                    }
                >
                    {item_buttons(&items, set_open)}
                </div>
            </Show>
        </div>
    }
}

/// The items of an open menu; choosing one closes the menu first, then runs its action.
fn item_buttons(
    items: &[super::MenuItem],
    set_open: WriteSignal<Option<&'static str>>,
) -> impl IntoView + use<> {
    items
        .iter()
        .cloned()
        .map(|item| {
            view! {
                <button
                    id=item.id
                    class="menu-item"
                    role="menuitem"
                    tabindex="-1"
                    on:click=move |_| {
                        set_open.set(None);
                        item.action.run(());
                    }
                >
                    {item.label}
                </button>
            }
        })
        .collect_view()
}

/// Moves keyboard focus to item `index` of the open list.
fn focus_item(list: NodeRef<html::Div>, index: usize) {
    if let Some(list) = list.get_untracked()
        && let Ok(nodes) = list.query_selector_all("[role=menuitem]")
        && let Some(node) = nodes.get(index as u32)
        && let Ok(el) = node.dyn_into::<web_sys::HtmlElement>()
    {
        let _ = el.focus();
    }
}

/// Which item of the open list has keyboard focus.
fn focused_index(list: NodeRef<html::Div>) -> Option<usize> {
    let list = list.get_untracked()?;
    let active = web_sys::window()?.document()?.active_element()?;
    let nodes = list.query_selector_all("[role=menuitem]").ok()?;
    (0..nodes.length()).find_map(|i| {
        let node = nodes.get(i)?;
        node.is_same_node(Some(active.as_ref()))
            .then_some(i as usize)
    })
}
