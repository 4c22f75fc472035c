//! Accessibility audit (issue 15): axe-core, injected through WebDriver, on every screen of the
//! app in light and in dark mode; no serious or critical violation may remain.
//!
//! axe-core is the npm package `xtask` installs (`AADSYNC_AXE_JS` points at its
//! `axe.min.js`); dark mode is the OS preference WebKitGTK reads from the GTK theme.

use crate::signin::BrowserPlay;
use aadsync_e2e::support::{App, AppOptions, Result, actions, checks};
use aadsync_emulator::Emulator;
use std::path::PathBuf;

/// One violation: the screen, the rule, its impact and the elements it names.
type Finding = String;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_screen_passes_axe_in_light_mode() -> Result {
    audit_every_screen("a11y_light", false).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_screen_passes_axe_in_dark_mode() -> Result {
    audit_every_screen("a11y_dark", true).await
}

async fn audit_every_screen(test: &str, dark: bool) -> Result {
    let emulator = Emulator::start_demo().await?;
    let play = BrowserPlay::new()?;
    play.admin()?;
    let mut env = play.env();
    if dark {
        env.push(("GTK_THEME".into(), "Adwaita:dark".into()));
    }
    let mut app = App::launch(
        test,
        AppOptions {
            env,
            screen: Some((1280, 1000)),
            ..AppOptions::default()
        },
    )
    .await?;
    checks::shell_is_rendered(&app).await?;
    let scheme = app
        .client
        .execute(
            "return matchMedia('(prefers-color-scheme: dark)').matches",
            vec![],
        )
        .await?;
    assert_eq!(
        scheme,
        serde_json::json!(dark),
        "the web view's colour scheme follows the GTK theme"
    );
    let axe = std::fs::read_to_string(axe_js()?)?;
    let mut found = Vec::new();
    let mut audit = async |app: &mut App, screen: &str| -> Result {
        app.screenshot(screen).await?;
        found.extend(run_axe(app, &axe, screen).await?);
        Ok(())
    };
    audit(&mut app, "users-area-empty").await?;
    actions::choose_menu(&app, "help", "menu-about").await?;
    audit(&mut app, "about").await?;
    actions::press_on_focused(&app, fantoccini::key::Key::Escape).await?;

    // A local user holding an Entra user's name (made as another program would, on the same
    // file): the preview shows a conflict with its choices.
    local_alex(&app.expected_database)?;
    actions::choose_menu(&app, "tools", "menu-azure-sync").await?;
    audit(&mut app, "wizard-organization").await?;
    crate::signin::fill_new_form(&app, "contoso.com", emulator.base_url()).await?;
    audit(&mut app, "wizard-new-organization").await?;
    actions::click(&app, "new-sign-in").await?;
    checks::text_becomes(&app, "signin-done", "signed in", |t| {
        t.contains("admin@contoso.com")
    })
    .await?;
    audit(&mut app, "wizard-signed-in").await?;
    actions::click(&app, "wizard-next").await?;
    checks::text_becomes(&app, "dir-counts", "the directory", |t| {
        t.contains("300 users and 25 groups listed") && !t.contains("loading")
    })
    .await?;
    audit(&mut app, "wizard-objects").await?;
    actions::right_click(&app, "#dir-list .dir-row[data-index='1']").await?;
    audit(&mut app, "wizard-objects-menu").await?;
    actions::click(&app, "dir-select-all").await?;
    actions::click(&app, "wizard-next").await?;
    checks::text_becomes(&app, "preview-counts", "the plan", |t| {
        t.contains("324 to create")
    })
    .await?;
    checks::content_becomes(&app, "wizard", "the conflict's choices", |t| {
        t.contains("Link to the local user")
    })
    .await?;
    audit(&mut app, "wizard-preview").await?;
    actions::click(&app, "wizard-next").await?;
    checks::text_becomes(&app, "results-totals", "the results", |t| {
        t.contains("324 created")
    })
    .await?;
    audit(&mut app, "wizard-results").await?;
    actions::click(&app, "wizard-cancel").await?;
    checks::gone(&app, "wizard").await?;

    checks::users_total_is(&app, 300).await?;
    audit(&mut app, "users-area").await?;
    actions::double_click(&app, "#users-table .row[data-account]").await?;
    for tab in ["general", "account", "member-of", "azure-ad"] {
        actions::click(&app, &format!("tab-{tab}")).await?;
        audit(&mut app, &format!("user-properties-{tab}")).await?;
    }
    actions::press_on_focused(&app, fantoccini::key::Key::Escape).await?;
    checks::gone(&app, "user-dialog").await?;
    actions::click(&app, "users-new").await?;
    audit(&mut app, "new-local-user").await?;
    actions::click(&app, "user-cancel").await?;
    actions::choose_menu(&app, "tools", "menu-audit-log").await?;
    checks::content_becomes(&app, "audit-runs", "the run", |t| {
        t.contains("#1 Synchronization")
    })
    .await?;
    audit(&mut app, "audit-log").await?;
    actions::click(&app, "audit-undo-1").await?;
    checks::text_becomes(&app, "undo-run", "run 1", |t| t.starts_with("Run #1 ")).await?;
    audit(&mut app, "undo-run").await?;
    actions::click(&app, "undo-cancel").await?;
    actions::click(&app, "backup-restore").await?;
    checks::text_becomes(&app, "restore-dialog", "the backups", |t| {
        t.contains("backup")
    })
    .await?;
    audit(&mut app, "restore-backup").await?;
    actions::click(&app, "restore-cancel").await?;
    actions::click(&app, "audit-close").await?;
    actions::click_css(&app, "#users-table .row[data-account]").await?;
    actions::click(&app, "users-delete").await?;
    audit(&mut app, "delete-user").await?;
    actions::click(&app, "delete-cancel").await?;
    deleted_objects_step(&app, &emulator).await?;
    // Step 3 again: the organization's saved scope, shown.
    actions::click(&app, "saved-scope-show").await?;
    checks::content_becomes(&app, "saved-scope", "the saved roots", |t| !t.is_empty()).await?;
    audit(&mut app, "wizard-objects-saved-scope").await?;
    on_to_deleted_objects(&app).await?;
    audit(&mut app, "wizard-deleted-objects").await?;

    assert!(
        found.is_empty(),
        "{} serious or critical axe violations ({}):\n{}",
        found.len(),
        if dark { "dark" } else { "light" },
        found.join("\n")
    );
    drop(play);
    app.finish().await
}

fn local_alex(path: &std::path::Path) -> Result {
    let store = aadsync_store::Store::open(path, &aadsync_store::OpenOptions::default())?;
    store.writer().create_local_user(
        &aadsync_store::NewLocalUser {
            account_name: "alex.wilber@contoso.com".into(),
            full_name: "Alex (local)".into(),
            email: String::new(),
            phone: String::new(),
            department: String::new(),
            description: String::new(),
            enabled: true,
            password: aadsync_keystore::SecretString::new("Correct-Horse-Battery-1"),
        },
        &aadsync_store::PasswordPolicy::default(),
    )?;
    Ok(())
}

/// Two users deleted in Entra ID, then the wizard again, up to step 3's list.
async fn deleted_objects_step(app: &App, emulator: &Emulator) -> Result {
    let tenant = aadsync_emulator::demo_tenant().map_err(|e| e.to_string())?;
    let http = reqwest::Client::new();
    for user in tenant
        .users
        .iter()
        .filter(|u| !u.user_principal_name.starts_with("admin@"))
        .take(2)
    {
        let url = format!("{}/_emulator/users/{}", emulator.base_url(), user.id);
        let status = http.delete(url).send().await?.status();
        assert!(status.is_success(), "{status}");
    }
    actions::choose_menu(app, "tools", "menu-azure-sync").await?;
    checks::enabled_is(app, "wizard-next", true).await?;
    actions::click(app, "wizard-next").await?;
    checks::text_becomes(app, "dir-counts", "the list", |t| {
        t.contains("298 users") && !t.contains("loading")
    })
    .await?;
    Ok(())
}

/// From step 3 (opened again after the deletions) to the Deleted objects step.
async fn on_to_deleted_objects(app: &App) -> Result {
    actions::click(app, "opt-check-deleted").await?;
    actions::click(app, "wizard-next").await?;
    checks::text_becomes(app, "preview-deleted", "the deleted objects", |t| {
        t.contains("objects imported earlier are deleted, disabled or out of scope")
    })
    .await?;
    actions::click(app, "wizard-next").await?;
    checks::text_becomes(app, "wizard-step-title", "step 5", |t| {
        t == "Deleted objects"
    })
    .await?;
    Ok(())
}

/// axe-core's serious and critical violations on the page as it is now.
pub(crate) async fn run_axe(app: &App, axe: &str, screen: &str) -> Result<Vec<Finding>> {
    let script = format!(
        "{axe}\n;const done = arguments[arguments.length - 1];\
         axe.run(document, {{resultTypes: ['violations']}})\
           .then(r => done(JSON.stringify(r.violations.map(v => ({{\
              id: v.id, impact: v.impact, help: v.help,\
              nodes: v.nodes.map(n => n.target.join(' ') + ' — ' + n.failureSummary)}})))))\
           .catch(e => done(JSON.stringify([{{id: 'axe-error', impact: 'critical', help: String(e), nodes: []}}])));"
    );
    let answer = app.client.execute_async(&script, vec![]).await?;
    let text = answer.as_str().ok_or("axe answered no text")?;
    let violations: Vec<serde_json::Value> = serde_json::from_str(text)?;
    Ok(violations
        .iter()
        .filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical")))
        .map(|v| {
            format!(
                "[{screen}] {} ({}): {}\n    {}",
                v["id"].as_str().unwrap_or(""),
                v["impact"].as_str().unwrap_or(""),
                v["help"].as_str().unwrap_or(""),
                v["nodes"]
                    .as_array()
                    .map(|n| n
                        .iter()
                        .filter_map(|n| n.as_str())
                        .collect::<Vec<_>>()
                        .join("\n    "))
                    .unwrap_or_default()
            )
        })
        .collect())
}

/// Where `cargo xtask test` installed axe-core: `AADSYNC_AXE_JS`.
pub(crate) fn axe_js() -> Result<PathBuf> {
    let path = std::env::var_os("AADSYNC_AXE_JS").map(PathBuf::from).ok_or(
        "AADSYNC_AXE_JS is not set: run `cargo xtask test`, which installs axe-core and sets it",
    )?;
    if path.is_file() {
        Ok(path)
    } else {
        Err(format!("AADSYNC_AXE_JS: no file at {}", path.display()).into())
    }
}
