//! "Register aadsync in my tenant" in the real app (issue 20): New…, the tenant, the third
//! choice, the bootstrap sign-in in the browser (the publisher's application, accepting
//! Application.ReadWrite.All and DelegatedPermissionGrant.ReadWrite.All on the consent page),
//! the preview — with nothing created yet, as the emulator's control API shows — then Create
//! and sign in: the application, its service principal and the tenant-wide grant in the
//! tenant, the usual sign-in with the new client ID, the organization stored with it, and one
//! synchronization through the wizard. Then Cancel at the preview: nothing created, nothing
//! stored. The system browser is `browser-helper`.

use crate::signin::{BrowserPlay, fill_custom_authority, keyring_secrets, launch_with};
use aadsync_e2e::support::{App, Result, actions, checks};
use aadsync_emulator::{Emulator, demo};
use serde_json::Value;

async fn registrations(emulator: &Emulator) -> Result<Value> {
    Ok(
        reqwest::get(format!("{}/_emulator/registrations", emulator.base_url()))
            .await?
            .json()
            .await?,
    )
}

/// The dump without what the bootstrap sign-in's consent page records (the publisher's
/// service principal and its grants): the identity platform's doing, not aadsync's.
fn without_bootstrap_consent(mut all: Value) -> Value {
    let publisher: Vec<Value> = all["servicePrincipals"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|s| s["appId"] == demo::PUBLISHER_CLIENT_ID)
        .map(|s| s["id"].clone())
        .collect();
    if let Some(list) = all["servicePrincipals"].as_array_mut() {
        list.retain(|s| s["appId"] != demo::PUBLISHER_CLIENT_ID);
    }
    if let Some(list) = all["oauth2PermissionGrants"].as_array_mut() {
        list.retain(|g| !publisher.contains(&g["clientId"]));
    }
    all
}

/// aadsync's registration in the dump: the applications named `aadsync`, their service
/// principals and those principals' grants.
fn aadsync_registration(all: &Value) -> (Vec<Value>, Vec<Value>, Vec<Value>) {
    let list = |key: &str| all[key].as_array().cloned().unwrap_or_default();
    let apps: Vec<Value> = list("applications")
        .into_iter()
        .filter(|a| a["uniqueName"] == "aadsync")
        .collect();
    let sps: Vec<Value> = list("servicePrincipals")
        .into_iter()
        .filter(|s| apps.iter().any(|a| a["appId"] == s["appId"]))
        .collect();
    let grants = list("oauth2PermissionGrants")
        .into_iter()
        .filter(|g| sps.iter().any(|s| s["id"] == g["clientId"]))
        .collect();
    (apps, sps, grants)
}

/// The stored organizations as (tenant ID, client ID, administrator).
fn organizations(app: &App) -> Result<Vec<(String, String, Option<String>)>> {
    if !app.expected_database.exists() {
        return Ok(Vec::new());
    }
    let db = rusqlite::Connection::open(&app.expected_database)?;
    let mut stmt =
        db.prepare("SELECT tenant_id, client_id, admin_upn FROM organizations ORDER BY id")?;
    let rows = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// The query parameter `name` of `url`.
fn param(url: &str, name: &str) -> Result<String> {
    let url = reqwest::Url::parse(url)?;
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
        .ok_or_else(|| format!("no {name} in {url}").into())
}

/// New… with the tenant typed, the third choice and the emulator as the authority, then the
/// bootstrap sign-in up to the preview (the browser signs in as the demo administrator).
async fn register_up_to_the_preview(app: &App, emulator: &Emulator) -> Result {
    checks::shell_is_rendered(app).await?;
    actions::choose_menu(app, "tools", "menu-azure-sync").await?;
    actions::type_into(app, "new-tenant", "contoso.com").await?;
    actions::click(app, "new-register-app").await?;
    checks::text_becomes(app, "new-sign-in", "the registration button", |t| {
        t == "Register aadsync…"
    })
    .await?;
    fill_custom_authority(app, emulator.base_url()).await?;
    actions::click(app, "new-sign-in").await?;
    checks::content_becomes(app, "register-preview", "the preview", |t| {
        t.contains("Signed in as admin@contoso.com")
    })
    .await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn preview_then_create_registers_once_signs_in_and_syncs() -> Result {
    let emulator = Emulator::start_demo().await?;
    let play = BrowserPlay::new()?;
    play.admin()?;
    let mut app = launch_with("register", &play).await?;
    let before = without_bootstrap_consent(registrations(&emulator).await?);
    assert_eq!(
        aadsync_registration(&before),
        (Vec::new(), Vec::new(), Vec::new())
    );
    register_up_to_the_preview(&app, &emulator).await?;

    // The preview names the three parts, all to be created.
    checks::content_becomes(&app, "register-preview-lines", "the plan", |t| {
        t.contains("Create the application \"aadsync\" (uniqueName aadsync)")
            && t.contains("Create its enterprise application (service principal)")
            && t.contains("Grant admin consent for the organization: a tenant-wide (AllPrincipals)")
    })
    .await?;
    // The panel under the form, whole, for the README's screenshot.
    app.client
        .execute(
            "document.getElementById('register-preview').scrollIntoView({block: 'end'})",
            vec![],
        )
        .await?;
    app.screenshot("register-preview").await?;
    // The panel is new to the New… form: axe-core audits it as `a11y::` audits the form.
    let axe = std::fs::read_to_string(crate::a11y::axe_js()?)?;
    let found = crate::a11y::run_axe(&app, &axe, "register-preview").await?;
    assert!(found.is_empty(), "{}", found.join("\n"));
    // Keyboard users land on the preview.
    let focused = app
        .client
        .execute(
            "return document.activeElement && document.activeElement.id",
            vec![],
        )
        .await?;
    assert_eq!(focused, serde_json::json!("register-preview-title"));
    // Nothing was created by the preview, and nothing stored.
    assert_eq!(
        without_bootstrap_consent(registrations(&emulator).await?),
        before,
        "the preview wrote to the tenant"
    );
    assert_eq!(organizations(&app)?, Vec::new());

    actions::click(&app, "register-confirm").await?;
    checks::text_becomes(&app, "signin-done", "the signed-in administrator", |t| {
        t.contains("Signed in to Contoso (contoso.com) as admin@contoso.com (Global Administrator)")
    })
    .await?;

    // The tenant: exactly one registration as aadsync needs it.
    let (apps, sps, grants) = aadsync_registration(&registrations(&emulator).await?);
    assert_eq!(apps.len(), 1, "{apps:?}");
    let app_id = apps[0]["appId"].as_str().ok_or("no appId")?.to_owned();
    assert_eq!(apps[0]["isFallbackPublicClient"], true, "{apps:?}");
    assert_eq!(
        apps[0]["publicClient"]["redirectUris"],
        serde_json::json!(["http://localhost"]),
        "{apps:?}"
    );
    assert_eq!(sps.len(), 1, "{sps:?}");
    assert_eq!(grants.len(), 1, "{grants:?}");
    assert_eq!(grants[0]["consentType"], "AllPrincipals", "{grants:?}");
    assert_ne!(app_id, demo::PUBLISHER_CLIENT_ID);

    // The browser: the bootstrap sign-in with the publisher's application, then the sign-in
    // with the new client ID.
    let urls = play.opened_urls();
    assert_eq!(urls.len(), 2, "{urls:?}");
    assert_eq!(param(&urls[0], "client_id")?, demo::PUBLISHER_CLIENT_ID);
    assert!(
        param(&urls[0], "scope")?.contains("Application.ReadWrite.All"),
        "{urls:?}"
    );
    assert_eq!(param(&urls[1], "client_id")?, app_id);

    // The database: the organization with the new client ID.
    assert_eq!(
        organizations(&app)?,
        [(
            emulator.tenant_id(),
            app_id.clone(),
            Some("admin@contoso.com".to_owned())
        )]
    );
    assert!(!keyring_secrets(&app)?.is_empty(), "no saved sign-in");

    // One synchronization through the wizard imports with the new registration.
    actions::click(&app, "wizard-next").await?;
    crate::sync::import_all_listed(&app).await?;
    let db = rusqlite::Connection::open(&app.expected_database)?;
    let alex: i64 = db.query_row(
        "SELECT COUNT(*) FROM users WHERE account_name = 'alex.wilber@contoso.com'",
        [],
        |r| r.get(0),
    )?;
    assert_eq!(alex, 1, "Alex was not imported");
    crate::signin::no_tokens_in_files(&app)?;
    app.finish().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_at_the_preview_creates_and_stores_nothing() -> Result {
    let emulator = Emulator::start_demo().await?;
    let play = BrowserPlay::new()?;
    play.admin()?;
    let app = launch_with("register_cancel", &play).await?;
    let before = without_bootstrap_consent(registrations(&emulator).await?);
    register_up_to_the_preview(&app, &emulator).await?;
    actions::click(&app, "register-cancel").await?;
    checks::gone(&app, "register-preview").await?;
    checks::text_becomes(&app, "new-sign-in", "the form ready again", |t| {
        t == "Register aadsync…"
    })
    .await?;
    assert_eq!(
        without_bootstrap_consent(registrations(&emulator).await?),
        before,
        "Cancel left something in the tenant"
    );
    assert_eq!(organizations(&app)?, Vec::new());
    assert_eq!(keyring_secrets(&app)?, Vec::<String>::new());
    let urls = play.opened_urls();
    assert_eq!(
        urls.len(),
        1,
        "a sign-in was started after Cancel: {urls:?}"
    );
    app.finish().await
}
