//! Finding elements, always by waiting for them rather than assuming they are there.

use super::{App, Result, UI_TIMEOUT};
use fantoccini::Locator;
use fantoccini::elements::Element;

/// The element with this DOM id, once it exists.
pub async fn by_id(app: &App, id: &str) -> Result<Element> {
    by_css(app, &format!("#{id}")).await
}

/// The element matching a CSS selector, once it exists.
pub async fn by_css(app: &App, css: &str) -> Result<Element> {
    match app
        .client
        .wait()
        .at_most(UI_TIMEOUT)
        .for_element(Locator::Css(css))
        .await
    {
        Ok(element) => Ok(element),
        Err(e) => Err(format!(
            "waiting for {css}: {e:?}; the window showed: {}",
            window_text(app).await
        )
        .into()),
    }
}

/// What the window shows, shortened, for a wait that ran out: a failure in CI is then explained
/// by its log (an error message, a step still loading) instead of only "timed out". With the
/// page's age, so a page that was loaded again (the whole app starting over) tells itself apart
/// from a dialog that closed.
async fn window_text(app: &App) -> String {
    const MAX: usize = 2_000;
    match app
        .client
        .execute(
            "return [document.body ? document.body.innerText : '', performance.now()];",
            vec![],
        )
        .await
    {
        Ok(serde_json::Value::Array(parts)) => {
            let text = parts.first().and_then(|t| t.as_str()).unwrap_or_default();
            let age = parts
                .get(1)
                .and_then(serde_json::Value::as_f64)
                .unwrap_or(-1.0);
            let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
            let text = match text.char_indices().nth(MAX) {
                Some((cut, _)) => format!("{}…", &text[..cut]),
                None => text,
            };
            format!("(page loaded {:.1} s ago) {text}", age / 1000.0)
        }
        Ok(other) => format!("(not text: {other})"),
        Err(e) => format!("(could not read it: {e:?})"),
    }
}

/// Whether an element with this id exists right now (no waiting).
pub async fn exists_now(app: &App, id: &str) -> Result<bool> {
    Ok(!app
        .client
        .find_all(Locator::Css(&format!("#{id}")))
        .await?
        .is_empty())
}

/// The id of the element that has keyboard focus.
pub async fn focused_id(app: &App) -> Result<String> {
    let value = app
        .client
        .execute(
            "return document.activeElement ? document.activeElement.id : ''",
            vec![],
        )
        .await?;
    Ok(value.as_str().unwrap_or_default().to_owned())
}
