//! "Add the aadsync application to my tenant" in the real app (issue 20): New…, the tenant, the
//! first choice, the tenant's admin consent page accepted in the browser, then the usual
//! sign-in with the publisher's client ID, and the organization signed in. Asserted beyond the
//! window: the tenant as the emulator's control API dumps it (the publisher application's
//! service principal and one tenant-wide grant), the SQLite file (the organization stored with
//! the publisher's client ID) and the keyring (`secret-tool`). Then the refusals: Cancel on the
//! consent page (the message in the window) and Cancel in the app, each leaving the database,
//! the keyring and the tenant as they were. The system browser is `browser-helper`, or, for the
//! refusal, the test itself on the emulator's pages.

use crate::signin::{BrowserPlay, fill_custom_authority, keyring_secrets, launch_with};
use aadsync_e2e::support::{App, Result, actions, checks};
use aadsync_emulator::browser::{Browser, Person};
use aadsync_emulator::identity::totp;
use aadsync_emulator::{Emulator, demo};
use serde_json::Value;

/// The publisher application's service principal in the tenant (if any) and its grants as
/// (consent type, scopes sorted), from the control API's dump.
async fn publisher_in_tenant(
    emulator: &Emulator,
) -> Result<(Option<Value>, Vec<(String, String)>)> {
    let dump: Value = reqwest::get(format!("{}/_emulator/registrations", emulator.base_url()))
        .await?
        .json()
        .await?;
    let sp = dump["servicePrincipals"]
        .as_array()
        .ok_or("no servicePrincipals in the dump")?
        .iter()
        .find(|s| s["appId"] == demo::PUBLISHER_CLIENT_ID)
        .cloned();
    let Some(sp_id) = sp.as_ref().map(|s| s["id"].clone()) else {
        return Ok((None, Vec::new()));
    };
    let grants = dump["oauth2PermissionGrants"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|g| g["clientId"] == sp_id)
        .map(|g| {
            let mut scopes: Vec<&str> =
                g["scope"].as_str().unwrap_or_default().split(' ').collect();
            scopes.sort_unstable();
            (
                g["consentType"].as_str().unwrap_or_default().to_owned(),
                scopes.join(" "),
            )
        })
        .collect();
    Ok((sp, grants))
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

/// What `secret-tool` lists for aadsync, attributes included.
fn keyring_listing(app: &App) -> Result<String> {
    let mut command = std::process::Command::new("secret-tool");
    command.args(["search", "--all", "--unlock", "service", "aadsync"]);
    app.desktop.apply(&mut command);
    let output = command.output()?;
    Ok(String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr))
}

/// The query parameter `name` of `url`.
fn param(url: &str, name: &str) -> Result<String> {
    let url = reqwest::Url::parse(url)?;
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
        .ok_or_else(|| format!("no {name} in {url}").into())
}

/// Step 1 with New… open, the tenant typed and the emulator as the authority; the first
/// choice, the publisher's application, left as it is.
async fn new_with_publisher_app(app: &mut App, emulator: &Emulator) -> Result {
    checks::shell_is_rendered(app).await?;
    actions::choose_menu(app, "tools", "menu-azure-sync").await?;
    checks::prop_becomes(
        app,
        "new-publisher-app",
        "checked",
        "the first choice",
        |v| v == "true",
    )
    .await?;
    actions::type_into(app, "new-tenant", "contoso.com").await?;
    checks::text_becomes(app, "new-sign-in", "the consent button", |t| {
        t == "Add the aadsync application…"
    })
    .await?;
    app.screenshot("consent-choice").await?;
    fill_custom_authority(app, emulator.base_url()).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_consent_then_sign_in_stores_the_publishers_application() -> Result {
    let emulator = Emulator::start_demo().await?;
    let play = BrowserPlay::new()?;
    play.admin()?;
    let mut app = launch_with("consent", &play).await?;
    assert_eq!(publisher_in_tenant(&emulator).await?, (None, Vec::new()));
    new_with_publisher_app(&mut app, &emulator).await?;

    actions::click(&app, "new-sign-in").await?;
    checks::text_becomes(&app, "signin-done", "the signed-in administrator", |t| {
        t.contains("Signed in to Contoso (contoso.com) as admin@contoso.com (Global Administrator)")
    })
    .await?;
    app.screenshot("consent-signed-in").await?;

    // The browser got the tenant's admin consent page, then the sign-in, both for the
    // publisher's application.
    let urls = play.opened_urls();
    assert_eq!(urls.len(), 2, "{urls:?}");
    assert!(
        urls[0].starts_with(&format!(
            "{}/contoso.com/v2.0/adminconsent?",
            emulator.base_url()
        )),
        "{urls:?}"
    );
    assert_eq!(param(&urls[0], "client_id")?, demo::PUBLISHER_CLIENT_ID);
    assert_eq!(
        param(&urls[0], "scope")?,
        "https://graph.microsoft.com/.default"
    );
    assert!(urls[1].contains("/oauth2/v2.0/authorize?"), "{urls:?}");
    assert_eq!(param(&urls[1], "client_id")?, demo::PUBLISHER_CLIENT_ID);

    // The tenant: the publisher's service principal (owned by its home tenant) and one
    // tenant-wide grant of the permissions its registration lists.
    let (sp, grants) = publisher_in_tenant(&emulator).await?;
    let sp = sp.ok_or("no service principal of the publisher's application in the tenant")?;
    assert_eq!(sp["appOwnerOrganizationId"], demo::PUBLISHER_TENANT_ID);
    assert_eq!(
        grants,
        [(
            "AllPrincipals".to_owned(),
            "GroupMember.Read.All User.Read User.Read.All".to_owned()
        )]
    );
    // The database: the organization, signed in through the publisher's application.
    assert_eq!(
        organizations(&app)?,
        [(
            emulator.tenant_id(),
            demo::PUBLISHER_CLIENT_ID.to_owned(),
            Some("admin@contoso.com".to_owned())
        )]
    );
    // The keyring: the saved sign-in, under the tenant.
    assert!(!keyring_secrets(&app)?.is_empty(), "no saved sign-in");
    let listing = keyring_listing(&app)?;
    assert!(listing.contains(&emulator.tenant_id()), "{listing}");

    // Step 1 lists it as signed in by the administrator.
    actions::click(&app, "wizard-back").await?;
    checks::content_becomes(&app, "org-select", "the new organization", |t| {
        t.contains("Contoso (contoso.com) — admin@contoso.com, never synchronized")
    })
    .await?;
    crate::signin::no_tokens_in_files(&app)?;
    app.finish().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_declined_or_cancelled_consent_stores_nothing() -> Result {
    let emulator = Emulator::start_demo().await?;
    let play = BrowserPlay::new()?;
    play.hold()?;
    let mut app = launch_with("consent_refused", &play).await?;
    new_with_publisher_app(&mut app, &emulator).await?;

    // Cancel on the permissions page: the endpoint's error response reaches the app.
    actions::click(&app, "new-sign-in").await?;
    checks::text_becomes(&app, "new-consent-progress", "the wait", |t| {
        t.contains("Accept the permissions in your browser")
    })
    .await?;
    checks::text_becomes(&app, "new-sign-in", "waiting", |t| {
        t == "Waiting for the consent…"
    })
    .await?;
    checks::eventually("the consent page opened", || play.opened() == 1)?;
    let url = play.opened_urls().pop().ok_or("no page opened")?;
    assert!(url.contains("/v2.0/adminconsent?"), "{url}");
    let browser = Browser::new()?;
    let admin = Person::demo_admin(emulator.clock().now());
    let secret = totp::base32_decode(admin.totp_secret).ok_or("the demo TOTP secret")?;
    let page = browser.open(&url).await?;
    let page = browser.next(&page, admin.upn).await?;
    let page = browser.next(&page, admin.password).await?;
    let page = browser
        .next(&page, &totp::code_at(&secret, admin.now))
        .await?;
    assert_eq!(page.step(), Some("consent"), "{}", page.html);
    let cancelled = browser.submit(&page, "", true).await?;
    let location = cancelled
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .ok_or("Cancel did not redirect")?
        .to_owned();
    assert_eq!(param(&location, "error")?, "consent_required");
    browser.client().get(&location).send().await?;
    checks::text_becomes(&app, "new-error", "the refusal", |t| {
        t.contains("declined in the browser (AADSTS65004:") && t.contains("choose Accept")
    })
    .await?;
    app.screenshot("consent-declined").await?;
    nothing_stored(&app, &emulator, &play).await?;

    // Cancel in the app while the browser waits: nothing to report, the form ready again.
    actions::click(&app, "new-sign-in").await?;
    checks::text_becomes(&app, "new-consent-progress", "the wait", |t| {
        t.contains("Accept the permissions in your browser")
    })
    .await?;
    checks::eventually("the consent page opened again", || play.opened() == 2)?;
    actions::click(&app, "new-cancel-start").await?;
    checks::text_becomes(&app, "new-sign-in", "the form ready again", |t| {
        t == "Add the aadsync application…"
    })
    .await?;
    checks::gone(&app, "new-error").await?;
    checks::gone(&app, "new-consent-progress").await?;
    // The consent page's redirect URI no longer answers: the listener closed with the Cancel
    // (its server stops on a signal, so give it a moment).
    let redirect = param(&play.opened_urls()[1], "redirect_uri")?;
    let asked = std::time::Instant::now();
    while reqwest::get(&redirect).await.is_ok() {
        if asked.elapsed() > std::time::Duration::from_secs(5) {
            return Err("the loopback listener still answers after Cancel".into());
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    nothing_stored(&app, &emulator, &play).await?;
    app.finish().await
}

/// No organization in the database, no secret in the keyring, nothing added to the tenant, and
/// no sign-in page opened (only consent pages).
async fn nothing_stored(app: &App, emulator: &Emulator, play: &BrowserPlay) -> Result {
    assert_eq!(organizations(app)?, Vec::new());
    assert_eq!(keyring_secrets(app)?, Vec::<String>::new());
    assert_eq!(publisher_in_tenant(emulator).await?, (None, Vec::new()));
    let urls = play.opened_urls();
    assert!(
        urls.iter().all(|u| u.contains("/v2.0/adminconsent?")),
        "a sign-in was started after a refusal: {urls:?}"
    );
    Ok(())
}
