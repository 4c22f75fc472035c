//! Moving keyboard focus to an element the view is about to render, and the WAI-ARIA
//! roving-focus step (arrows, Home, End) that tab lists and menus share.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

/// Focuses element `id` once the view that adds it has rendered.
pub fn focus_later(id: impl Into<String>) {
    let id = id.into();
    leptos::task::spawn_local(async move {
        crate::timer::sleep(0).await;
        if let Some(el) = document().get_element_by_id(&id)
            && let Ok(el) = el.dyn_into::<web_sys::HtmlElement>()
        {
            let _ = el.focus();
        }
    });
}

/// Keeps Tab and Shift+Tab inside `panel` (a modal dialog): from its last focusable element
/// Tab goes to the first, from the first (or the panel itself) Shift+Tab to the last.
pub fn trap_tab(panel: &web_sys::HtmlElement, ev: &web_sys::KeyboardEvent) {
    // WebKit reports Shift+Tab from a WebDriver as key "Unidentified"; the code and the key
    // code still say Tab.
    if ev.key() != "Tab" && ev.code() != "Tab" && ev.key_code() != 9 {
        return;
    }
    // An inner dialog keeps its own Tab; the outer one must not act on it again.
    ev.stop_propagation();
    let Ok(found) = panel.query_selector_all(FOCUSABLE) else {
        return;
    };
    let items: Vec<web_sys::HtmlElement> = (0..found.length())
        .filter_map(|i| found.item(i))
        .filter_map(|n| n.dyn_into::<web_sys::HtmlElement>().ok())
        .filter(|e| e.offset_parent().is_some())
        .collect();
    let (Some(first), Some(last)) = (items.first(), items.last()) else {
        return;
    };
    let active = document().active_element();
    let is = |e: &web_sys::HtmlElement| {
        active
            .as_ref()
            .is_some_and(|a| a == e.as_ref() as &web_sys::Element)
    };
    let at_panel = active
        .as_ref()
        .is_some_and(|a| a == panel.as_ref() as &web_sys::Element);
    if ev.shift_key() && (is(first) || at_panel) {
        ev.prevent_default();
        let _ = last.focus();
    } else if !ev.shift_key() && is(last) {
        ev.prevent_default();
        let _ = first.focus();
    }
}

/// What Tab can reach.
const FOCUSABLE: &str = "button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), a[href], summary, [tabindex]:not([tabindex='-1'])";

/// Where `key` moves from position `now` among `len` items arranged along `axis`
/// (wrapping at the ends, as the tabs and menu patterns do); `None` for other keys.
pub fn roving(key: &str, now: usize, len: usize, axis: Axis) -> Option<usize> {
    if len == 0 {
        return None;
    }
    let (back, forward) = match axis {
        Axis::Horizontal => ("ArrowLeft", "ArrowRight"),
        Axis::Vertical => ("ArrowUp", "ArrowDown"),
    };
    Some(match key {
        k if k == forward => (now + 1) % len,
        k if k == back => (now + len - 1) % len,
        "Home" => 0,
        "End" => len - 1,
        _ => return None,
    })
}

/// How a widget's items are laid out, which decides its arrow keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Axis {
    Horizontal,
    Vertical,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arrows_wrap_and_home_end_jump() {
        let h = Axis::Horizontal;
        assert_eq!(roving("ArrowRight", 0, 4, h), Some(1));
        assert_eq!(roving("ArrowRight", 3, 4, h), Some(0));
        assert_eq!(roving("ArrowLeft", 0, 4, h), Some(3));
        assert_eq!(roving("End", 1, 4, h), Some(3));
        assert_eq!(roving("Home", 2, 4, h), Some(0));
        assert_eq!(roving("ArrowDown", 0, 4, h), None, "not this widget's axis");
        assert_eq!(roving("ArrowDown", 2, 3, Axis::Vertical), Some(0));
        assert_eq!(roving("ArrowRight", 0, 0, h), None);
    }
}
