//! The whole of an administrator's work from the keyboard alone (issue 15, item 4): the
//! demo sign-in, the wizard up to Synchronize, an imported user's properties, and a new local
//! user — keys only, sent to whatever has focus; no click, and no focus set by script.

use crate::signin::{BrowserPlay, launch_with};
use aadsync_e2e::support::{App, Result, checks, finders};
use fantoccini::key::Key;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_wizard_and_the_user_dialogs_work_with_the_keyboard_alone() -> Result {
    let play = BrowserPlay::new()?;
    play.admin()?;
    let mut app = launch_with("keyboard_only", &play).await?;
    checks::shell_is_rendered(&app).await?;

    // The empty Users area's one-click demo, then Synchronize everything.
    tab_to(&app, "users-try-demo").await?;
    keys(&app, &[Key::Enter]).await?;
    checks::text_becomes(&app, "signin-done", "signed in", |t| {
        t.contains("admin@contoso.com")
    })
    .await?;
    tab_to(&app, "wizard-next").await?;
    keys(&app, &[Key::Enter]).await?;
    checks::text_becomes(&app, "dir-counts", "the directory", |t| {
        t.contains("300 users and 25 groups listed") && !t.contains("loading")
    })
    .await?;
    tab_to(&app, "dir-list").await?;
    let ctrl_a = format!("{}a{}", char::from(Key::Control), char::from(Key::Null));
    type_text(&app, &ctrl_a).await?;
    checks::text_becomes(&app, "dir-counts", "Ctrl+A", |t| {
        t.starts_with("300 users and 25 groups selected")
    })
    .await?;
    tab_to(&app, "wizard-next").await?;
    keys(&app, &[Key::Enter]).await?;
    checks::text_becomes(&app, "preview-counts", "the plan", |t| {
        t.contains("325 to create")
    })
    .await?;
    tab_to(&app, "wizard-next").await?;
    checks::text_becomes(&app, "wizard-next", "the button that writes", |t| {
        t == "Synchronize"
    })
    .await?;
    keys(&app, &[Key::Enter]).await?;
    checks::text_becomes(&app, "results-totals", "the results", |t| {
        t.contains("325 created")
    })
    .await?;
    app.screenshot("results").await?;
    tab_to(&app, "wizard-cancel").await?;
    keys(&app, &[Key::Enter]).await?;
    checks::gone(&app, "wizard").await?;
    checks::users_total_is(&app, 300).await?;

    // An imported user's properties: the list, Enter, the tabs' arrows, Escape.
    tab_to(&app, "users-rows").await?;
    keys(&app, &[Key::Down, Key::Enter]).await?;
    checks::text_becomes(&app, "tab-general", "the dialog", |t| t == "General").await?;
    tab_to(&app, "tab-general").await?;
    keys(&app, &[Key::End]).await?;
    checks::focus_is(&app, "the last tab", "tab-azure-ad").await?;
    checks::attr_is(&app, "tab-azure-ad", "aria-selected", "true").await?;
    checks::content_becomes(&app, "user-dialog", "the Entra attributes", |t| {
        t.contains("Object ID") && t.contains("@contoso.com")
    })
    .await?;
    app.screenshot("azure-ad-tab").await?;
    keys(&app, &[Key::Escape]).await?;
    checks::gone(&app, "user-dialog").await?;
    checks::focus_is(&app, "focus back on the list", "users-rows").await?;

    // A new local user, every field typed, saved with Enter on Save.
    tab_to(&app, "users-new").await?;
    keys(&app, &[Key::Enter]).await?;
    tab_to(&app, "user-full-name").await?;
    type_text(&app, "Grace Hopper").await?;
    tab_to(&app, "tab-general").await?;
    keys(&app, &[Key::Right]).await?;
    checks::attr_is(&app, "tab-account", "aria-selected", "true").await?;
    for (field, text) in [
        ("user-account", "grace"),
        ("user-password", "Compiler-A-0-1952"),
        ("user-password-confirm", "Compiler-A-0-1952"),
    ] {
        tab_to(&app, field).await?;
        type_text(&app, text).await?;
    }
    tab_to(&app, "user-save").await?;
    keys(&app, &[Key::Enter]).await?;
    checks::gone(&app, "user-dialog").await?;
    checks::users_total_is(&app, 301).await?;
    let db = rusqlite::Connection::open(&app.expected_database)?;
    let (name, local): (String, bool) = db.query_row(
        "SELECT full_name, auth_type = 'local' FROM users WHERE account_name = 'grace'",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    assert_eq!((name.as_str(), local), ("Grace Hopper", true));
    drop(db);
    drop(play);
    app.finish().await
}

/// Tab (forward) until `id` has focus, as a keyboard user reaches it.
async fn tab_to(app: &App, id: &str) -> Result {
    for _ in 0..60 {
        if finders::focused_id(app).await? == id {
            return Ok(());
        }
        keys(app, &[Key::Tab]).await?;
    }
    Err(format!(
        "#{id} is not reachable with Tab (focus is on #{})",
        finders::focused_id(app).await?
    )
    .into())
}

/// Keys to whatever has focus, as one WebDriver action (modifiers held until `Key::Null`).
async fn keys(app: &App, keys: &[Key]) -> Result {
    let text: String = keys.iter().map(|k| char::from(*k)).collect();
    app.client.active_element().await?.send_keys(&text).await?;
    Ok(())
}

/// Text typed into whatever has focus.
async fn type_text(app: &App, text: &str) -> Result {
    app.client.active_element().await?.send_keys(text).await?;
    Ok(())
}
