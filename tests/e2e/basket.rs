//! The selection basket, in the order an administrator works (issue 15, item 1): Search now
//! for one user and tick it, Search now for another and tick it, then Synchronize. Both are
//! imported — checked in the SQLite file, by object ID — although the second search replaced
//! the rows the first tick was made on. Before anything is ticked, the button that would write
//! says Synchronize and stays disabled with the reason shown (issue 15, item 2).

use crate::signin::{BrowserPlay, launch_with};
use crate::sync::{at_step_3, connect_new};
use aadsync_e2e::support::{App, Result, actions, checks};
use aadsync_emulator::Emulator;
use aadsync_emulator::model::User;
use fantoccini::key::Key;
use std::collections::BTreeSet;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ticks_survive_search_now_and_both_searches_are_imported() -> Result {
    let emulator = Emulator::start_demo().await?;
    let (mut app, _play) = at_step_3(&emulator, "basket", None).await?;
    // Nothing ticked and nothing imported yet: the preview says so and Synchronize waits.
    actions::click(&app, "wizard-next").await?;
    checks::text_becomes(&app, "preview-nothing", "the reason", |t| {
        t.starts_with("Nothing to synchronize yet")
    })
    .await?;
    checks::text_becomes(&app, "wizard-next", "the write's own word", |t| {
        t == "Synchronize"
    })
    .await?;
    checks::enabled_is(&app, "wizard-next", false).await?;
    actions::click(&app, "wizard-back").await?;

    let tenant = aadsync_emulator::demo_tenant().map_err(|e| e.to_string())?;
    let chosen = two_users(&tenant)?;
    for (ticked, user) in chosen.iter().enumerate() {
        search_now_and_tick(&app, user).await?;
        let expected = format!("{} user", ticked + 1);
        checks::text_becomes(&app, "dir-counts", "the basket's count", |t| {
            t.starts_with(&expected)
        })
        .await?;
    }
    // The list shows only the second search, the basket both.
    checks::content_becomes(&app, "dir-basket-list", "both users", |t| {
        chosen.iter().all(|u| t.contains(&u.user_principal_name))
    })
    .await?;
    escape_closes_only_the_innermost_thing(&mut app).await?;
    app.screenshot("basket").await?;
    actions::click(&app, "wizard-next").await?;
    checks::text_becomes(&app, "preview-counts", "the plan", |t| {
        t.contains("2 to create")
    })
    .await?;
    actions::click(&app, "wizard-next").await?;
    checks::text_becomes(&app, "results-totals", "the results", |t| {
        t.contains("2 created")
    })
    .await?;
    let imported = imported_object_ids(&app)?;
    let expected: BTreeSet<String> = chosen.iter().map(|u| u.id.clone()).collect();
    assert_eq!(imported, expected, "exactly the two ticked users");
    app.finish().await
}

/// Escape in the search box empties it; Escape in the context menu closes the menu; then
/// Escape asks before the selection is lost, and Keep working keeps it (issue 15, item 3).
async fn escape_closes_only_the_innermost_thing(app: &mut App) -> Result {
    actions::press(app, "dir-search", Key::Escape).await?;
    checks::value_becomes(app, "dir-search", "an empty search box", |v| v.is_empty()).await?;
    checks::text_becomes(app, "wizard-step-title", "still step 3", |t| {
        t == "Select objects"
    })
    .await?;
    actions::right_click(app, "#dir-list .dir-row[data-index='0']").await?;
    actions::press_on_focused(app, Key::Escape).await?;
    checks::gone(app, "dir-menu").await?;
    checks::text_becomes(app, "wizard-step-title", "still step 3", |t| {
        t == "Select objects"
    })
    .await?;
    actions::press(app, "dir-list", Key::Escape).await?;
    checks::text_becomes(app, "wizard-discard-text", "the question", |t| {
        t.contains("The selection (2 users and 0 groups)")
    })
    .await?;
    app.screenshot("close-would-lose-the-selection").await?;
    actions::click(app, "wizard-keep").await?;
    checks::gone(app, "wizard-discard-question").await?;
    checks::text_becomes(app, "dir-counts", "the selection kept", |t| {
        t.starts_with("2 users")
    })
    .await?;
    Ok(())
}

/// Search now for the part of the user's account before "@" (WebKitWebDriver may type
/// without Shift), wait for the search's own answer, tick the user.
async fn search_now_and_tick(app: &App, user: &User) -> Result {
    let upn = &user.user_principal_name;
    let local = upn.split('@').next().unwrap_or(upn);
    actions::type_into(app, "dir-search", local).await?;
    actions::click(app, "dir-search-now").await?;
    checks::text_becomes(app, "dir-counts", "the search's answer", |t| {
        !t.contains("300 users and 25 groups listed") && !t.contains("loading")
    })
    .await?;
    actions::click_css(app, &format!("#dir-list .dir-row[data-id='{}']", user.id)).await
}

/// Two enabled members whose accounts no search for the other one finds.
fn two_users(tenant: &aadsync_emulator::Tenant) -> Result<Vec<User>> {
    let members: Vec<&User> = tenant
        .users
        .iter()
        .filter(|u| {
            u.account_enabled
                && u.user_type == "Member"
                && !u.user_principal_name.starts_with("admin@")
        })
        .collect();
    let local = |u: &User| {
        u.user_principal_name
            .split('@')
            .next()
            .unwrap_or("")
            .to_lowercase()
    };
    let first = *members.first().ok_or("no member in the demo tenant")?;
    let second = members
        .iter()
        .find(|u| {
            let (a, b) = (local(first), local(u));
            a != b && !a.contains(&b) && !b.contains(&a)
        })
        .ok_or("no second member")?;
    Ok(vec![first.clone(), (*second).clone()])
}

fn imported_object_ids(app: &App) -> Result<BTreeSet<String>> {
    let db = rusqlite::Connection::open_with_flags(
        &app.expected_database,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )?;
    let mut stmt = db.prepare("SELECT object_id FROM azure_users")?;
    let ids = stmt
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(ids)
}

/// Step 3 from the keyboard only (issue 15, item 4): arrows, Space, Shift+arrows, Shift+F10
/// for the menu with arrow keys and Enter in it, Ctrl+A.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_object_list_works_from_the_keyboard() -> Result {
    let emulator = Emulator::start_demo().await?;
    let (mut app, _play) = at_step_3(&emulator, "list_keyboard", Some((1280, 1200))).await?;
    let keys = |ks: &[Key]| ks.iter().map(|k| char::from(*k)).collect::<String>();
    // The list takes the height the window gives it, and draws rows down to its bottom.
    let measure = "const l = document.getElementById('dir-list'); \
                   return [l.clientHeight, l.querySelectorAll('.dir-row').length];";
    let before = app.client.execute(measure, vec![]).await?;
    app.client.set_window_size(1180, 1150).await?;
    let grown = |sizes: &serde_json::Value| sizes[0].as_f64().unwrap_or(0.0);
    let mut after = app.client.execute(measure, vec![]).await?;
    let drawn = |sizes: &serde_json::Value| sizes[1].as_f64().unwrap_or(0.0);
    for _ in 0..50 {
        if grown(&after) > grown(&before) + 100.0 && drawn(&after) * 28.0 >= grown(&after) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        after = app.client.execute(measure, vec![]).await?;
    }
    let (height, drawn) = (grown(&after), drawn(&after));
    assert!(
        height > grown(&before) + 100.0,
        "the list grew with the window: {before} → {after}"
    );
    assert!(drawn * 28.0 >= height, "{drawn} rows drawn for {height}px");
    actions::press(&app, "dir-list", Key::Down).await?;
    checks::focus_is(&app, "the list", "dir-list").await?;
    send(&app, &keys(&[Key::Down, Key::Space])).await?;
    checks::text_becomes(&app, "dir-counts", "Space ticks", |t| {
        t.starts_with("1 user")
    })
    .await?;
    send(&app, &keys(&[Key::Shift, Key::Down, Key::Down, Key::Null])).await?;
    checks::text_becomes(&app, "dir-counts", "a range", |t| t.starts_with("3 users")).await?;
    checks::attr_is(&app, "dir-list", "aria-activedescendant", "dir-row-3").await?;
    app.screenshot("list-keyboard").await?;

    send(&app, &keys(&[Key::Shift, Key::F10, Key::Null])).await?;
    checks::focus_is(&app, "the menu's first item", "dir-select-all").await?;
    send(&app, &keys(&[Key::Down])).await?;
    checks::focus_is(&app, "the next item", "dir-select-none").await?;
    send(&app, &keys(&[Key::Enter])).await?;
    checks::text_becomes(&app, "dir-counts", "Select none", |t| {
        t.starts_with("0 users")
    })
    .await?;
    checks::focus_is(&app, "focus back on the list", "dir-list").await?;
    let ctrl_a = format!("{}a{}", char::from(Key::Control), char::from(Key::Null));
    send(&app, &ctrl_a).await?;
    checks::text_becomes(&app, "dir-counts", "Ctrl+A", |t| {
        t.starts_with("300 users and 25 groups selected")
    })
    .await?;

    // Show only groups, sorted by name: Select all then takes the groups alone (item 5).
    send(&app, &keys(&[Key::Shift, Key::F10, Key::Null])).await?;
    send(&app, &keys(&[Key::Down, Key::Enter])).await?;
    actions::click_css(&app, "#dir-show option[value='groups']").await?;
    actions::click(&app, "dir-sort-name").await?;
    checks::attr_is(&app, "dir-sort-name", "data-sort", "ascending").await?;
    let tenant = aadsync_emulator::demo_tenant().map_err(|e| e.to_string())?;
    let first = tenant
        .groups
        .iter()
        .map(|g| g.display_name.clone())
        .min_by_key(|n| n.to_lowercase())
        .ok_or("no group")?;
    checks::content_becomes(&app, "dir-row-0", "the first group by name", |t| {
        t.contains(&first)
    })
    .await?;
    actions::press(&app, "dir-list", Key::Home).await?;
    send(&app, &ctrl_a).await?;
    checks::text_becomes(&app, "dir-counts", "the groups alone", |t| {
        t.starts_with("0 users and 25 groups selected")
    })
    .await?;
    // The header checkbox says so, and unticks the rows shown.
    checks::attr_is(&app, "dir-check-shown", "aria-label", "Select all shown").await?;
    let checked = "return document.getElementById('dir-check-shown').checked";
    assert_eq!(
        app.client.execute(checked, vec![]).await?,
        serde_json::json!(true)
    );
    actions::click(&app, "dir-check-shown").await?;
    checks::text_becomes(&app, "dir-counts", "the header checkbox", |t| {
        t.starts_with("0 users")
    })
    .await?;
    app.finish().await
}

/// Keys to whatever has focus, as one WebDriver action (modifiers held until `Key::Null`).
async fn send(app: &App, text: &str) -> Result {
    app.client.active_element().await?.send_keys(text).await?;
    Ok(())
}

/// Select all while the list is still loading (issue 15, item 1): every match is selected,
/// rows that arrive later included, and Synchronize waits until the last one has arrived.
/// Entra ID is slow here on purpose: the groups page takes three seconds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn select_all_while_loading_selects_every_match() -> Result {
    let emulator = Emulator::start_demo().await?;
    let slow =
        serde_json::json!({"path": "/v1.0/groups*", "kind": "latency", "millis": 3000, "times": 1});
    let status = reqwest::Client::new()
        .post(format!("{}/_emulator/faults", emulator.base_url()))
        .json(&slow)
        .send()
        .await?
        .status();
    assert!(status.is_success(), "{status}");
    let play = BrowserPlay::new()?;
    play.admin()?;
    let app = launch_with("select_all_loading", &play).await?;
    checks::shell_is_rendered(&app).await?;
    connect_new(&app, &emulator).await?;
    checks::text_becomes(&app, "dir-counts", "the users, groups still loading", |t| {
        t.contains("300 users and 0 groups listed (loading")
    })
    .await?;
    actions::right_click(&app, "#dir-list .dir-row[data-index='1']").await?;
    actions::click(&app, "dir-select-all").await?;
    checks::text_becomes(&app, "dir-counts", "a pending Select all", |t| {
        t.contains("Select all takes every match as it arrives")
    })
    .await?;
    checks::enabled_is(&app, "wizard-next", false).await?;
    checks::text_becomes(&app, "dir-counts", "every match selected", |t| {
        t.starts_with("300 users and 25 groups selected") && !t.contains("loading")
    })
    .await?;
    checks::enabled_is(&app, "wizard-next", true).await?;
    actions::click(&app, "wizard-next").await?;
    checks::text_becomes(&app, "preview-counts", "the plan", |t| {
        t.contains("325 to create")
    })
    .await?;
    app.finish().await
}
