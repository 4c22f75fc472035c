//! Assertions that wait: a condition must become true within the UI timeout.

use super::{App, Result, UI_TIMEOUT, finders};
use aadsync_testenv::wait_until;
use std::time::{Duration, Instant};

/// Waits until the element's text satisfies `accept`; returns the text.
pub async fn text_becomes(
    app: &App,
    id: &str,
    what: &str,
    accept: impl Fn(&str) -> bool,
) -> Result<String> {
    let start = Instant::now();
    let mut last = String::new();
    while start.elapsed() < UI_TIMEOUT {
        // Found again each time: a re-render may replace the element.
        let element = finders::by_id(app, id).await?;
        last = match element.text().await {
            Ok(text) => text,
            // Replaced between finding and reading: find it again.
            Err(e) if format!("{e:?}").contains("StaleElementReference") => continue,
            Err(e) => return Err(format!("reading the text of #{id}: {e:?}").into()),
        };
        if accept(&last) {
            return Ok(last);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Err(format!("#{id} never showed {what}; last text: {last:?}").into())
}

/// Waits until the attribute has the expected value.
pub async fn attr_is(app: &App, id: &str, attr: &str, expected: &str) -> Result {
    let start = Instant::now();
    let mut last = None;
    while start.elapsed() < UI_TIMEOUT {
        let element = finders::by_id(app, id).await?;
        last = element
            .attr(attr)
            .await
            .map_err(|e| format!("reading #{id}[{attr}]: {e:?}"))?;
        if last.as_deref() == Some(expected) {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Err(format!("#{id}[{attr}] was {last:?}, expected {expected:?}").into())
}

/// Waits until no element with this id is in the document.
pub async fn gone(app: &App, id: &str) -> Result {
    let start = Instant::now();
    while start.elapsed() < UI_TIMEOUT {
        if !finders::exists_now(app, id)
            .await
            .map_err(|e| format!("looking for #{id}: {e}"))?
        {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Err(format!("#{id} is still shown after {UI_TIMEOUT:?}").into())
}

/// Waits until the element is enabled (`true`) or disabled (`false`).
pub async fn enabled_is(app: &App, id: &str, expected: bool) -> Result {
    let start = Instant::now();
    while start.elapsed() < UI_TIMEOUT {
        let element = finders::by_id(app, id).await?;
        if element
            .is_enabled()
            .await
            .map_err(|e| format!("reading whether #{id} is enabled: {e:?}"))?
            == expected
        {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Err(format!("#{id} enabled was never {expected}").into())
}

/// The app rendered its shell: a blank window (broken wasm, CSP block) fails here.
pub async fn shell_is_rendered(app: &App) -> Result {
    text_becomes(app, "users-empty", "the empty-state text", |t| {
        t.contains("No users yet")
    })
    .await?;
    Ok(())
}

/// Blocking variant for conditions outside the browser (files, processes).
pub fn eventually(what: &str, mut check: impl FnMut() -> bool) -> Result {
    wait_until(what, UI_TIMEOUT, || check().then_some(()))?;
    Ok(())
}

/// Waits until the element with `id` has keyboard focus.
pub async fn focus_is(app: &App, what: &str, id: &str) -> Result {
    let start = Instant::now();
    let mut last = String::new();
    while start.elapsed() < UI_TIMEOUT {
        last = finders::focused_id(app).await?;
        if last == id {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Err(format!("{what}: focus stayed on {last:?}").into())
}

/// Waits until the users table reports `total` matching users.
pub async fn users_total_is(app: &App, total: u32) -> Result {
    attr_is(app, "users-table", "data-total", &total.to_string()).await
}

/// Waits until a DOM property of the element (`value`, `textContent`, …) satisfies `accept`.
pub async fn prop_becomes(
    app: &App,
    id: &str,
    prop: &str,
    what: &str,
    accept: impl Fn(&str) -> bool,
) -> Result<String> {
    let start = Instant::now();
    let mut last = String::new();
    while start.elapsed() < UI_TIMEOUT {
        let element = finders::by_id(app, id).await?;
        last = element
            .prop(prop)
            .await
            .map_err(|e| format!("reading {prop} of #{id}: {e:?}"))?
            .unwrap_or_default();
        if accept(&last) {
            return Ok(last);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Err(format!("#{id}.{prop} never showed {what}; last: {last:?}").into())
}

/// Waits until the value of an input satisfies `accept`.
pub async fn value_becomes(
    app: &App,
    id: &str,
    what: &str,
    accept: impl Fn(&str) -> bool,
) -> Result<String> {
    prop_becomes(app, id, "value", what, accept).await
}

/// Like [`text_becomes`], but on the DOM's `textContent`: WebKitWebDriver's rendered text of a
/// CSS-grid table leaves out all but the first cell of each row.
pub async fn content_becomes(
    app: &App,
    id: &str,
    what: &str,
    accept: impl Fn(&str) -> bool,
) -> Result<String> {
    prop_becomes(app, id, "textContent", what, accept).await
}
