//! Things a user does: click, type keys, pick menu items.

use super::{App, Result, finders};
use fantoccini::key::Key;

pub async fn click(app: &App, id: &str) -> Result {
    finders::by_id(app, id)
        .await?
        .click()
        .await
        .map_err(|e| format!("clicking #{id}: {e:?}"))?;
    Ok(())
}

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
