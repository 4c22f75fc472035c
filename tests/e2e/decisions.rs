//! An administrator's decision in *Check deleted objects*, followed through: the user deleted
//! in Entra ID is disabled on the server, the User properties dialog says why and by whom, and
//! the administrator reverses it there — checked in the database, not in the app's words.

use crate::signin::{BrowserPlay, launch_with};
use crate::sync::import_everything;
use aadsync_e2e::support::{App, Result, actions, checks};
use aadsync_emulator::Emulator;

/// The user's server account state and the decisions recorded about them, oldest first.
fn account_and_decisions(app: &App, object_id: &str) -> Result<(i64, Vec<String>)> {
    let db = rusqlite::Connection::open_with_flags(
        &app.expected_database,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )?;
    let enabled = db.query_row(
        "SELECT u.enabled FROM users u JOIN azure_users a ON a.user_id = u.id
         WHERE a.object_id = ?1",
        [object_id],
        |r| r.get(0),
    )?;
    let mut stmt = db.prepare(
        "SELECT action || ' ' || finding || ' ' || decided_by FROM azure_decisions
         WHERE object_id = ?1 ORDER BY id",
    )?;
    let decisions = stmt
        .query_map([object_id], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    Ok((enabled, decisions))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_decision_is_shown_on_the_user_and_reversed_there() -> Result {
    let emulator = Emulator::start_demo().await?;
    let play = BrowserPlay::new()?;
    play.admin()?;
    let mut app = launch_with("decision_reversed", &play).await?;
    checks::shell_is_rendered(&app).await?;
    import_everything(&app, &emulator).await?;

    // One enabled user goes to Entra ID's recycle bin.
    let tenant = aadsync_emulator::demo_tenant().map_err(|e| e.to_string())?;
    let user = tenant
        .users
        .iter()
        .find(|u| u.account_enabled && !u.user_principal_name.starts_with("admin@"))
        .ok_or("an enabled user")?;
    let status = reqwest::Client::new()
        .delete(format!(
            "{}/_emulator/users/{}",
            emulator.base_url(),
            user.id
        ))
        .send()
        .await?
        .status();
    assert!(status.is_success(), "{status}");

    // Check deleted objects, proposals as they are (Disable).
    actions::choose_menu(&app, "tools", "menu-azure-sync").await?;
    checks::enabled_is(&app, "wizard-next", true).await?;
    actions::click(&app, "wizard-next").await?;
    checks::text_becomes(&app, "dir-counts", "the list", |t| !t.contains("loading")).await?;
    actions::click(&app, "opt-check-deleted").await?;
    checks::prop_becomes(&app, "opt-check-deleted", "checked", "ticked", |v| {
        v == "true"
    })
    .await?;
    actions::click(&app, "wizard-next").await?;
    checks::text_becomes(&app, "preview-deleted", "the deleted objects", |t| {
        t.contains("objects imported earlier are deleted, disabled or out of scope")
    })
    .await?;
    actions::click(&app, "wizard-next").await?;
    checks::content_becomes(&app, "deleted-rows", "the deleted user", |t| {
        t.contains(&user.user_principal_name) && t.contains("restorable for 30 more days")
    })
    .await?;
    actions::click(&app, "wizard-next").await?;
    checks::text_becomes(&app, "results-totals", "the outcome", |t| {
        t.contains("disabled")
    })
    .await?;
    actions::click(&app, "wizard-cancel").await?;
    checks::gone(&app, "wizard").await?;
    let (enabled, decisions) = account_and_decisions(&app, &user.id)?;
    assert_eq!(enabled, 0, "disabled by the decision");
    assert_eq!(decisions, ["disable soft_deleted admin@contoso.com"]);

    // The user's properties say what was decided, by whom; Reverse decision undoes it.
    let upn = &user.user_principal_name;
    // The part before "@": WebKitWebDriver may type without Shift.
    let local_part = upn.split('@').next().unwrap_or(upn);
    actions::type_into(&app, "users-filter", local_part).await?;
    checks::content_becomes(&app, "users-table", "the user", |t| {
        t.contains(upn.as_str())
    })
    .await?;
    actions::double_click(&app, &format!("#users-table .row[data-account='{upn}']")).await?;
    actions::click(&app, "tab-azure-ad").await?;
    checks::text_becomes(&app, "azure-decision", "the decision", |t| {
        t.contains("Disabled on this server (deleted in Entra ID) by admin@contoso.com")
    })
    .await?;
    checks::text_becomes(&app, "azure-scope", "why in scope", |t| {
        t.contains("Selected directly")
    })
    .await?;
    app.screenshot("azure-ad-tab-decision").await?;
    actions::click(&app, "azure-reverse-decision").await?;
    checks::text_becomes(&app, "azure-decision-reversed", "reversed", |t| {
        t.starts_with("Reversed")
    })
    .await?;
    let (enabled, decisions) = account_and_decisions(&app, &user.id)?;
    assert_eq!(enabled, 1, "follows Entra ID's stored state again");
    assert_eq!(decisions.len(), 2, "{decisions:?}");
    assert!(
        decisions[1].starts_with("reversed soft_deleted "),
        "{decisions:?}"
    );
    app.finish().await
}
