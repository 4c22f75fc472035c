//! An application menu bar in the webview, keyboard accessible like a native one.
//!
//! Native Tauri menus cannot be driven by WebDriver and differ per OS; this one follows the
//! WAI-ARIA menubar pattern: Enter/Space/ArrowDown open a menu, arrows move, Escape closes
//! and returns focus to the menu's button.

use leptos::html;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

#[derive(Debug, Clone)]
pub struct MenuItem {
    pub id: &'static str,
    pub label: &'static str,
    pub action: Callback<()>,
}

#[derive(Debug, Clone)]
pub struct Menu {
    pub id: &'static str,
    pub label: &'static str,
    pub items: Vec<MenuItem>,
}

/// Where focus goes inside an open menu of `len` items after `key`; `None` for other keys.
pub fn focus_after_key(current: Option<usize>, len: usize, key: &str) -> Option<usize> {
    if len == 0 {
        return None;
    }
    match (key, current) {
        ("ArrowDown", None) | ("Home", _) => Some(0),
        ("ArrowDown", Some(i)) => Some((i + 1) % len),
        ("ArrowUp", None) | ("End", _) => Some(len - 1),
        ("ArrowUp", Some(i)) => Some((i + len - 1) % len),
        _ => None,
    }
}

#[component]
pub fn MenuBar(menus: Vec<Menu>) -> impl IntoView {
    let (open, set_open) = signal::<Option<&'static str>>(None);
    view! {
        <nav class="menubar" role="menubar" aria-label="Main menu">
            {menus
                .into_iter()
                .map(|menu| view! { <MenuButton menu=menu open=open set_open=set_open /> })
                .collect_view()}
        </nav>
        <Show when=move || open.get().is_some()>
            <div class="menu-dismiss" on:click=move |_| set_open.set(None)></div>
        </Show>
    }
}

#[component]
fn MenuButton(
    menu: Menu,
    open: ReadSignal<Option<&'static str>>,
    set_open: WriteSignal<Option<&'static str>>,
) -> impl IntoView {
    let Menu { id, label, items } = menu;
    let button = NodeRef::<html::Button>::new();
    let list = NodeRef::<html::Div>::new();
    let is_open = move || open.get() == Some(id);

    let focus_item = move |index: usize| {
        if let Some(list) = list.get_untracked()
            && let Ok(nodes) = list.query_selector_all("[role=menuitem]")
            && let Some(node) = nodes.get(index as u32)
            && let Ok(el) = node.dyn_into::<web_sys::HtmlElement>()
        {
            let _ = el.focus();
        }
    };
    let focused_index = move || -> Option<usize> {
        let list = list.get_untracked()?;
        let active = web_sys::window()?.document()?.active_element()?;
        let nodes = list.query_selector_all("[role=menuitem]").ok()?;
        (0..nodes.length()).find_map(|i| {
            let node = nodes.get(i)?;
            node.is_same_node(Some(active.as_ref()))
                .then_some(i as usize)
        })
    };
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
                        } else if let Some(next) = focus_after_key(focused_index(), count, &key) {
                            ev.prevent_default();
                            focus_item(next);
                        }
                    }
                >
                    {items
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
                        .collect_view()}
                </div>
            </Show>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::focus_after_key;

    #[test]
    fn arrow_keys_wrap_around() {
        let cases = [
            (None, 3, "ArrowDown", Some(0)),
            (Some(0), 3, "ArrowDown", Some(1)),
            (Some(2), 3, "ArrowDown", Some(0)),
            (None, 3, "ArrowUp", Some(2)),
            (Some(0), 3, "ArrowUp", Some(2)),
            (Some(1), 3, "Home", Some(0)),
            (Some(1), 3, "End", Some(2)),
            (Some(1), 3, "a", None),
            (None, 0, "ArrowDown", None),
        ];
        for (current, len, key, expect) in cases {
            assert_eq!(
                focus_after_key(current, len, key),
                expect,
                "{current:?} {len} {key}"
            );
        }
    }
}
