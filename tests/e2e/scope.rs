//! The saved scope as an administrator meets it: a group synchronized with its members is,
//! when the wizard opens again, summarised and marked "in scope" in step 3's list; taken out
//! there with Check deleted objects on, the Preview names what changes and who leaves the
//! scope, the deletion safeguard asks, and the users are disabled; undoing that run from the
//! Audit log puts the scope root back and enables them again. Checked in the SQLite file.

use crate::signin::{BrowserPlay, launch_with};
use crate::sync::connect_new;
use aadsync_e2e::support::{App, Result, actions, checks, finders};
use aadsync_emulator::Emulator;
use std::path::Path;

/// (object ID, members, nested) of every saved root.
fn roots(db: &Path) -> Result<Vec<(String, bool, bool)>> {
    let db = rusqlite::Connection::open(db)?;
    let mut stmt =
        db.prepare("SELECT object_id, members, nested FROM azure_scope_roots ORDER BY object_id")?;
    let rows = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

/// How many of `ids` are imported and enabled on the server.
fn enabled(db: &Path, ids: &[String]) -> Result<usize> {
    let db = rusqlite::Connection::open(db)?;
    let mut n = 0;
    for id in ids {
        let on: i64 = db.query_row(
            "SELECT u.enabled FROM users u JOIN azure_users a ON a.user_id = u.id
             WHERE a.object_id = ?1",
            [id],
            |r| r.get(0),
        )?;
        n += usize::try_from(on)?;
    }
    Ok(n)
}

/// Step 3 of the stored organization, listed.
async fn reopen_at_step_3(app: &App) -> Result {
    actions::choose_menu(app, "tools", "menu-azure-sync").await?;
    checks::enabled_is(app, "wizard-next", true).await?;
    actions::click(app, "wizard-next").await?;
    checks::text_becomes(app, "dir-counts", "the list", |t| {
        t.contains("300 users and 25 groups listed") && !t.contains("loading")
    })
    .await?;
    Ok(())
}

/// Step 3's list: only the groups whose text has `name` (the virtualized list draws the rows
/// in view only).
pub(crate) async fn show_groups_named(app: &App, name: &str) -> Result {
    actions::click_css(app, "#dir-show option[value='groups']").await?;
    actions::type_into(app, "dir-search", name).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_saved_group_is_shown_taken_out_with_its_users_disabled_and_undo_puts_it_back() -> Result
{
    let emulator = Emulator::start_demo().await?;
    let play = BrowserPlay::new()?;
    play.admin()?;
    let mut app = launch_with("saved_scope", &play).await?;
    checks::shell_is_rendered(&app).await?;
    let tenant = aadsync_emulator::demo_tenant().map_err(|e| e.to_string())?;
    let marketing = tenant
        .groups
        .iter()
        .find(|g| g.display_name == "Marketing")
        .ok_or("the demo's Marketing group")?;
    let members: Vec<String> = marketing
        .members
        .iter()
        .filter(|id| tenant.users.iter().any(|u| &u.id == *id))
        .cloned()
        .collect();
    assert!(members.len() > 10, "enough members for the safeguard");
    let db = app.expected_database.clone();

    // Run 1: Marketing with its members.
    connect_new(&app, &emulator).await?;
    checks::text_becomes(&app, "dir-counts", "the directory", |t| {
        t.contains("300 users and 25 groups listed") && !t.contains("loading")
    })
    .await?;
    show_groups_named(&app, "Marketing").await?;
    let row = format!("#dir-list .dir-row[data-id='{}']", marketing.id);
    actions::click_css(&app, &row).await?;
    actions::click(&app, "wizard-next").await?;
    let created = format!("{} to create", members.len() + 1);
    checks::text_becomes(&app, "preview-counts", "the plan", |t| t.contains(&created)).await?;
    actions::click(&app, "wizard-next").await?;
    checks::text_becomes(&app, "results-totals", "the results", |t| {
        t.contains(&format!("{} created", members.len() + 1))
    })
    .await?;
    actions::click(&app, "wizard-cancel").await?;
    checks::gone(&app, "wizard").await?;
    assert_eq!(roots(&db)?, [(marketing.id.clone(), true, false)]);
    // As Entra ID has them (the demo disables a few of its users).
    let enabled_before = enabled(&db, &members)?;
    assert!(enabled_before > 10, "{enabled_before} enabled");

    // Reopened: the saved scope is summarised, and Marketing is marked in the list.
    reopen_at_step_3(&app).await?;
    checks::text_becomes(&app, "saved-scope-summary", "the saved scope", |t| {
        t == "Saved scope: 1 group with members"
    })
    .await?;
    show_groups_named(&app, "Marketing").await?;
    let listed = checks::content_becomes(&app, "dir-list", "Marketing in scope", |t| {
        t.contains("in scope")
    })
    .await?;
    assert_eq!(
        listed.matches("in scope").count(),
        1,
        "only the root: {listed}"
    );
    let marked = finders::by_css(&app, &row)
        .await?
        .prop("textContent")
        .await?
        .unwrap_or_default();
    assert!(marked.contains("in scope"), "the Marketing row: {marked}");
    app.screenshot("saved-scope-in-list").await?;

    // Shown, taken out, with Check deleted objects: the Preview says what changes.
    actions::click(&app, "saved-scope-show").await?;
    checks::content_becomes(&app, "saved-scope-roots", "the root", |t| {
        t.contains("Marketing") && t.contains(&members.len().to_string())
    })
    .await?;
    actions::click(&app, &format!("saved-root-remove-{}", marketing.id)).await?;
    checks::text_becomes(&app, "saved-scope-changed", "the change noted", |t| {
        t.starts_with("Saved scope changed")
    })
    .await?;
    app.screenshot("saved-scope-taken-out").await?;
    actions::click(&app, "opt-check-deleted").await?;
    actions::click(&app, "wizard-next").await?;
    checks::content_becomes(&app, "preview-scope-changes", "the change", |t| {
        t.contains("Marketing (group with members) taken out")
    })
    .await?;
    checks::content_becomes(&app, "preview-leaving", "who leaves", |t| {
        t.contains(&format!("{} imported users leave the scope", members.len()))
            && t.contains("Check deleted objects is on")
    })
    .await?;
    checks::text_becomes(
        &app,
        "preview-saved-scope",
        "the saved scope synchronized",
        |t| t.starts_with("Nothing newly selected: the saved scope (1 root)"),
    )
    .await?;
    app.screenshot("saved-scope-preview").await?;
    actions::click(&app, "wizard-next").await?;
    checks::content_becomes(&app, "deleted-rows", "the users out of scope", |t| {
        t.contains("no longer in scope (imported through Marketing)")
    })
    .await?;
    // More than 10 objects and 10 %: the safeguard asks first.
    checks::enabled_is(&app, "wizard-next", false).await?;
    actions::click(&app, "deleted-confirm").await?;
    actions::click(&app, "wizard-next").await?;
    checks::text_becomes(&app, "results-totals", "the users disabled", |t| {
        t.contains(&format!("{} disabled", members.len()))
    })
    .await?;
    actions::click(&app, "wizard-cancel").await?;
    checks::gone(&app, "wizard").await?;
    assert_eq!(roots(&db)?, [], "the run took the root out");
    assert_eq!(enabled(&db, &members)?, 0, "Disable, as proposed");

    // Undo of run 2 from the Audit log: the root and the accounts come back.
    actions::choose_menu(&app, "tools", "menu-audit-log").await?;
    checks::content_becomes(&app, "audit-runs", "both runs", |t| {
        t.contains("#2 Synchronization")
    })
    .await?;
    actions::click(&app, "audit-undo-2").await?;
    checks::text_becomes(&app, "undo-run", "run 2", |t| t.starts_with("Run #2 ")).await?;
    actions::click(&app, "undo-confirm").await?;
    checks::text_becomes(&app, "undo-result", "the undo", |t| {
        t.starts_with("Run #2 undone")
    })
    .await?;
    assert_eq!(roots(&db)?, [(marketing.id.clone(), true, false)], "back");
    assert_eq!(enabled(&db, &members)?, enabled_before, "enabled again");
    app.finish().await
}
