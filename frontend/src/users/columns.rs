//! Resizable Users table columns (issue 15, item 5): a handle at each header's right edge,
//! dragged with the pointer or moved with the arrow keys, the widths kept across restarts.

use aadsync_ipc::SortColumn;
use leptos::html;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

/// How many columns the table has.
pub const COUNT: usize = SortColumn::ALL.len();

/// The narrowest a column gets: its heading's first letters and the sort mark stay visible.
pub const MIN_WIDTH: f64 = 56.0;

/// How far one arrow key press moves a column's edge.
pub const KEY_STEP: f64 = 16.0;

/// Where the widths are kept (the web view's local storage; widths only, nothing about users).
const STORAGE_KEY: &str = "aadsync.users.column-widths";

/// Column widths in CSS pixels; `None` until the admin resizes one (the stylesheet's
/// proportions apply until then).
pub type Widths = Option<[f64; COUNT]>;

/// `widths` with column `i` made `delta` pixels wider (narrower when negative), never below
/// [`MIN_WIDTH`]; the other columns keep theirs, the table scrolls sideways if it must.
pub fn resized(widths: [f64; COUNT], i: usize, delta: f64) -> [f64; COUNT] {
    let mut out = widths;
    if let Some(w) = out.get_mut(i) {
        *w = (*w + delta).max(MIN_WIDTH).round();
    }
    out
}

/// The `grid-template-columns` for `widths`: fixed widths, the last column taking what is left.
pub fn template(widths: &[f64; COUNT]) -> String {
    let last = COUNT - 1;
    widths
        .iter()
        .enumerate()
        .map(|(i, w)| {
            if i == last {
                format!("minmax({w}px, 1fr)")
            } else {
                format!("{w}px")
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Widths as stored: pixels separated by commas.
pub fn format(widths: &[f64; COUNT]) -> String {
    widths
        .iter()
        .map(f64::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// Widths read back from storage; anything else than `COUNT` sane numbers is ignored.
pub fn parse(text: &str) -> Widths {
    let values: Vec<f64> = text
        .split(',')
        .map(|v| v.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .ok()?;
    let widths: [f64; COUNT] = values.try_into().ok()?;
    widths
        .iter()
        .all(|w| w.is_finite() && (MIN_WIDTH..=4000.0).contains(w))
        .then_some(widths)
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

/// The widths saved by an earlier session.
pub fn load() -> Widths {
    parse(&storage()?.get_item(STORAGE_KEY).ok()??)
}

fn save(widths: &[f64; COUNT]) {
    if let Some(storage) = storage() {
        let _ = storage.set_item(STORAGE_KEY, &format(widths));
    }
}

/// The header cells' widths as drawn now (the starting point of a first resize).
fn measured(head: NodeRef<html::Div>) -> Option<[f64; COUNT]> {
    let cells = head
        .get_untracked()?
        .query_selector_all("[role=columnheader]")
        .ok()?;
    let widths: Vec<f64> = (0..cells.length())
        .filter_map(|i| cells.item(i))
        .filter_map(|n| n.dyn_into::<web_sys::Element>().ok())
        .map(|e| e.get_bounding_client_rect().width().round())
        .collect();
    widths.try_into().ok()
}

/// Applies `widths` to the table through its `--users-columns` and `--users-width` custom
/// properties (the CSP allows no inline style attribute; the CSSOM is fine). Wider than the
/// window, the table scrolls sideways, header and rows together.
pub fn apply(grid: NodeRef<html::Div>, widths: Signal<Widths>) {
    Effect::new(move || {
        let Some(grid) = grid.get() else { return };
        let style = web_sys::HtmlElement::style(&grid);
        let _ = match widths.get() {
            Some(w) => style
                .set_property("--users-columns", &template(&w))
                .and_then(|()| {
                    style.set_property("--users-width", &format!("{}px", w.iter().sum::<f64>()))
                }),
            None => style
                .remove_property("--users-columns")
                .and_then(|_| style.remove_property("--users-width"))
                .map(|_| ()),
        };
    });
}

/// The handle at the right edge of column `i`'s header.
pub fn handle(
    widths: RwSignal<Widths>,
    head: NodeRef<html::Div>,
    i: usize,
    heading: &'static str,
) -> impl IntoView {
    // The pointer's x and the widths when the drag started.
    let drag = StoredValue::new(None::<(f64, [f64; COUNT])>);
    // Before any resize the width is the stylesheet's: measured once the header is drawn.
    let drawn = RwSignal::new(MIN_WIDTH);
    Effect::new(move || {
        if head.get().is_some()
            && let Some(w) = measured(head)
        {
            drawn.set(w[i]);
        }
    });
    let current = move || widths.get().map_or_else(|| drawn.get(), |w| w[i]);
    let change = move |delta: f64, from: Option<[f64; COUNT]>| {
        if let Some(base) = from
            .or_else(|| widths.get_untracked())
            .or_else(|| measured(head))
        {
            let next = resized(base, i, delta);
            widths.set(Some(next));
            save(&next);
        }
    };
    view! {
        <span
            class="col-resize"
            id=format!("resize-{i}")
            role="separator"
            aria-orientation="vertical"
            aria-label=format!("Width of the {heading} column")
            aria-valuemin=MIN_WIDTH.to_string()
            aria-valuemax="4000"
            aria-valuenow=move || current().to_string()
            tabindex="0"
            title="Drag, or use the arrow keys, to resize the column"
            on:pointerdown=move |ev: web_sys::PointerEvent| {
                ev.prevent_default();
                if let Some(el) = ev.target().and_then(|t| t.dyn_into::<web_sys::Element>().ok()) {
                    let _ = el.set_pointer_capture(ev.pointer_id());
                }
                let base = widths.get_untracked().or_else(|| measured(head));
                drag.set_value(base.map(|b| (f64::from(ev.client_x()), b)));
            }
            on:pointermove=move |ev: web_sys::PointerEvent| {
                if let Some((x, base)) = drag.get_value() {
                    change(f64::from(ev.client_x()) - x, Some(base));
                }
            }
            on:pointerup=move |_| drag.set_value(None)
            on:pointercancel=move |_| drag.set_value(None)
            on:lostpointercapture=move |_| drag.set_value(None)
            on:click=move |ev| ev.stop_propagation()
            on:keydown=move |ev: web_sys::KeyboardEvent| {
                let delta = match ev.key().as_str() {
                    "ArrowLeft" => -KEY_STEP,
                    "ArrowRight" => KEY_STEP,
                    _ => return,
                };
                ev.prevent_default();
                change(delta, None);
            }
        ></span>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: [f64; COUNT] = [160.0, 120.0, 180.0, 100.0, 130.0, 160.0, 110.0, 120.0];

    #[test]
    fn a_column_grows_and_shrinks_alone_and_never_below_the_minimum() {
        let wider = resized(BASE, 2, 40.4);
        assert_eq!(wider[2], 220.0);
        assert_eq!(
            [wider[..2].to_vec(), wider[3..].to_vec()],
            [BASE[..2].to_vec(), BASE[3..].to_vec()]
        );
        assert_eq!(resized(BASE, 3, -500.0)[3], MIN_WIDTH);
        assert_eq!(resized(BASE, COUNT, 10.0), BASE, "no such column");
    }

    #[test]
    fn the_last_column_takes_the_rest() {
        let t = template(&BASE);
        assert!(t.starts_with("160px 120px 180px "), "{t}");
        assert!(t.ends_with(" minmax(120px, 1fr)"), "{t}");
        assert_eq!(t.split(' ').count(), COUNT + 1);
    }

    #[test]
    fn only_sane_saved_widths_come_back() {
        assert_eq!(parse(&format(&BASE)), Some(BASE));
        for bad in [
            "",
            "1,2,3",
            "a,b",
            "160,120,180,100,130,160,110,1e9",
            "160,120,180,100,130,160,110,-5",
            "160,120,180,100,130,160,110,120,90",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }
}
