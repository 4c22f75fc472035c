//! Finding elements, always by waiting for them rather than assuming they are there.

use super::{App, Result, UI_TIMEOUT};
use fantoccini::Locator;
use fantoccini::elements::Element;

/// The element with this DOM id, once it exists.
pub async fn by_id(app: &App, id: &str) -> Result<Element> {
    let css = format!("#{id}");
    app.client
        .wait()
        .at_most(UI_TIMEOUT)
        .for_element(Locator::Css(&css))
        .await
        .map_err(|e| format!("waiting for #{id}: {e:?}").into())
}

/// The element matching a CSS selector, once it exists.
pub async fn by_css(app: &App, css: &str) -> Result<Element> {
    app.client
        .wait()
        .at_most(UI_TIMEOUT)
        .for_element(Locator::Css(css))
        .await
        .map_err(|e| format!("waiting for {css}: {e:?}").into())
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
