//! An application menu bar in the webview, keyboard accessible like a native one.
//!
//! Native Tauri menus cannot be driven by WebDriver and differ per OS; this one follows the
//! WAI-ARIA menubar pattern: Enter/Space/ArrowDown open a menu, arrows move, Escape closes
//! and returns focus to the menu's button.

mod menu_button;

use leptos::prelude::*;
use menu_button::MenuButton;

/// One entry of a menu: its DOM id, its text, what choosing it does.
#[derive(Debug, Clone)]
pub struct MenuItem {
    pub id: &'static str,
    pub label: &'static str,
    pub action: Callback<()>,
}

/// A top-level menu: its button's id suffix (`menu-<id>`) and label, and its items.
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

/// The menu bar; at most one of its menus is open, and a click outside closes it.
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
