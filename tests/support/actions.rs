//! Things a user does: click, type keys, pick menu items.

use super::{App, Result, finders};
use fantoccini::actions::{
    InputSource, MOUSE_BUTTON_LEFT, MOUSE_BUTTON_RIGHT, MouseActions, PointerAction,
};
use fantoccini::key::Key;

pub async fn click(app: &App, id: &str) -> Result {
    let mut attempt = 1;
    loop {
        let clicked = finders::by_id(app, id).await?.click().await;
        match clicked {
            Ok(()) => return Ok(()),
            // WebKitWebDriver's click first asks the page whether the element is a file input;
            // when the view re-renders at that moment the question fails with this message and
            // nothing was clicked. The element is found again and clicked again.
            Err(e) if attempt < 3 && format!("{e:?}").contains(DRIVER_HICCUP) => attempt += 1,
            Err(e) => return Err(format!("clicking #{id}: {e:?}").into()),
        }
    }
}

/// The message of WebKitWebDriver's transient click failure (see [`click`]).
const DRIVER_HICCUP: &str = "Could not parse element file upload information";

/// Opens a top-level menu with the mouse and clicks one of its items.
pub async fn choose_menu(app: &App, menu: &str, item: &str) -> Result {
    click(app, &format!("menu-{menu}")).await?;
    click(app, item).await
}

/// Sends one special key (arrow, Enter, Escape) to the element with this id.
pub async fn press(app: &App, id: &str, key: Key) -> Result {
    let element = finders::by_id(app, id).await?;
    element
        .send_keys(&char::from(key).to_string())
        .await
        .map_err(|e| format!("pressing {key:?} on #{id}: {e:?}"))?;
    Ok(())
}

/// Sends a key to whatever has focus, as a user typing would.
pub async fn press_on_focused(app: &App, key: Key) -> Result {
    let focused = app.client.active_element().await?;
    focused.send_keys(&char::from(key).to_string()).await?;
    Ok(())
}

/// Types text into an input (after clearing it), as key presses.
pub async fn type_into(app: &App, id: &str, text: &str) -> Result {
    let element = finders::by_id(app, id).await?;
    // WebKitWebDriver scrolls a field into view itself but can leave it at the wizard's
    // scrollport edge and refuse it as "not interactable" (which field depends on the form's
    // length): centred first, it is always reachable, as for a person scrolling to it.
    app.client
        .execute(
            "const e = document.getElementById(arguments[0]); if (e) e.scrollIntoView({block: 'center'});",
            vec![serde_json::json!(id)],
        )
        .await
        .map_err(|e| format!("scrolling to #{id}: {e:?}"))?;
    element
        .clear()
        .await
        .map_err(|e| format!("clearing #{id}: {e:?}"))?;
    // `clear()` fires no input event; typing does, so an emptied field is typed empty.
    let keys = if text.is_empty() {
        format!(" {}", char::from(Key::Backspace))
    } else {
        text.to_owned()
    };
    element
        .send_keys(&keys)
        .await
        .map_err(|e| format!("typing into #{id}: {e:?}"))?;
    Ok(())
}

async fn mouse(app: &App, css: &str, button: u64, clicks: usize) -> Result {
    let element = finders::by_css(app, css).await?;
    let mut actions = MouseActions::new("mouse".into()).then(PointerAction::MoveToElement {
        element,
        duration: None,
        x: 0.0,
        y: 0.0,
    });
    for _ in 0..clicks {
        actions = actions
            .then(PointerAction::Down { button })
            .then(PointerAction::Up { button });
    }
    app.client
        .perform_actions(actions)
        .await
        .map_err(|e| format!("mouse on {css}: {e:?}"))?;
    // WebKitWebDriver otherwise keeps input state that later drops Shift from typed text.
    app.client
        .release_actions()
        .await
        .map_err(|e| format!("releasing the mouse: {e:?}"))?;
    Ok(())
}

/// A real double click (two clicks within the double-click time).
pub async fn double_click(app: &App, css: &str) -> Result {
    mouse(app, css, MOUSE_BUTTON_LEFT, 2).await
}

/// A real right click, which opens context menus.
pub async fn right_click(app: &App, css: &str) -> Result {
    mouse(app, css, MOUSE_BUTTON_RIGHT, 1).await
}

/// Drags the element matching `css` by `dx` pixels sideways with the left button held.
pub async fn drag_by(app: &App, css: &str, dx: f64) -> Result {
    let element = finders::by_css(app, css).await?;
    let button = MOUSE_BUTTON_LEFT;
    let actions = MouseActions::new("mouse".into())
        .then(PointerAction::MoveToElement {
            element,
            duration: None,
            x: 0.0,
            y: 0.0,
        })
        .then(PointerAction::Down { button })
        .then(PointerAction::MoveBy {
            duration: Some(std::time::Duration::from_millis(200)),
            x: dx / 2.0,
            y: 0.0,
        })
        .then(PointerAction::MoveBy {
            duration: Some(std::time::Duration::from_millis(200)),
            x: dx / 2.0,
            y: 0.0,
        })
        .then(PointerAction::Up { button });
    app.client
        .perform_actions(actions)
        .await
        .map_err(|e| format!("dragging {css}: {e:?}"))?;
    app.client
        .release_actions()
        .await
        .map_err(|e| format!("releasing the mouse: {e:?}"))?;
    Ok(())
}

/// Clicks the first element matching a CSS selector.
pub async fn click_css(app: &App, css: &str) -> Result {
    finders::by_css(app, css)
        .await?
        .click()
        .await
        .map_err(|e| format!("clicking {css}: {e:?}"))?;
    Ok(())
}
