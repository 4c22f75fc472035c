//! `aadsync org add --consent` against the emulator over HTTP: admin consent to the publisher's
//! multi-tenant application in the browser, then the usual sign-in with its client ID. The test
//! plays the browser through `$BROWSER` (a script recording each URL it is given) and checks
//! what the tenant holds afterwards through the emulator's control API, and what the database
//! holds through SQL.

use crate::support::{cli, db, output, run, sync_imports_alex};
use aadsync_emulator::browser::{Browser, Page, Person, Redirect};
use aadsync_emulator::identity::totp;
use aadsync_emulator::{Emulator, demo};
use aadsync_testenv::{KeyringMode, in_session};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

/// A `$BROWSER` that appends each URL it is given to a file, one a line: (script, file).
pub(crate) fn recording_browser(dir: &Path) -> (PathBuf, PathBuf) {
    let urls = dir.join("urls");
    let script = dir.join("browser.sh");
    std::fs::write(
        &script,
        format!("#!/bin/sh\nprintf '%s\\n' \"$1\" >> '{}'\n", urls.display()),
    )
    .expect("script");
    std::process::Command::new("chmod")
        .arg("+x")
        .arg(&script)
        .status()
        .expect("chmod");
    (script, urls)
}

/// Every URL handed to the browser so far.
fn urls_opened(file: &Path) -> Vec<String> {
    std::fs::read_to_string(file)
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect()
}

/// The `n`th URL handed to the browser (1-based), once it is there.
pub(crate) fn nth_url(file: &Path, n: usize) -> String {
    tokio::task::block_in_place(|| {
        aadsync_testenv::wait_until("the browser script", Duration::from_secs(30), || {
            urls_opened(file).get(n - 1).cloned()
        })
    })
    .expect("URL handed to $BROWSER")
}

/// `aadsync org add --consent` for the emulator's tenant, with the recording browser.
fn add_with_consent(emulator: &Emulator, db: &Path, browser: &Path) -> tokio::process::Command {
    let mut add = cli(db);
    add.args([
        "org",
        "add",
        "--consent",
        "--tenant",
        "contoso.com",
        "--cloud",
        "custom",
        "--authority",
        emulator.base_url(),
    ])
    .env("BROWSER", browser)
    .env_remove("AADSYNC_PUBLISHER_CLIENT_ID");
    add
}

/// What the tenant holds for the publisher's application, from the control API: its service
/// principal (if any) and its grants as (consent type, scopes in order).
async fn publisher_in_tenant(emulator: &Emulator) -> (Option<Value>, Vec<(String, String)>) {
    let all: Value = reqwest::get(format!("{}/_emulator/registrations", emulator.base_url()))
        .await
        .expect("registrations")
        .json()
        .await
        .expect("registrations json");
    let sp = all["servicePrincipals"]
        .as_array()
        .expect("servicePrincipals")
        .iter()
        .find(|s| s["appId"] == demo::PUBLISHER_CLIENT_ID)
        .cloned();
    let Some(sp_id) = sp.as_ref().and_then(|s| s["id"].as_str()) else {
        return (None, Vec::new());
    };
    let grants = all["oauth2PermissionGrants"]
        .as_array()
        .expect("grants")
        .iter()
        .filter(|g| g["clientId"] == sp_id)
        .map(|g| {
            let mut scopes: Vec<&str> = g["scope"].as_str().expect("scope").split(' ').collect();
            scopes.sort_unstable();
            (
                g["consentType"].as_str().expect("consentType").to_owned(),
                scopes.join(" "),
            )
        })
        .collect();
    (sp, grants)
}

pub(crate) fn query(url: &str) -> std::collections::HashMap<String, String> {
    reqwest::Url::parse(url)
        .expect("url")
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// Signs `person` in on the pages of `url` and stops on the page after the second factor.
pub(crate) async fn signed_in_page(browser: &Browser, url: &str, person: &Person<'_>) -> Page {
    let page = browser.open(url).await.expect("open");
    let page = browser.next(&page, person.upn).await.expect("account");
    let page = browser
        .next(&page, person.password)
        .await
        .expect("password");
    let secret = totp::base32_decode(person.totp_secret).expect("secret");
    browser
        .next(&page, &totp::code_at(&secret, person.now))
        .await
        .expect("second factor")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consent_then_sign_in_stores_the_publishers_application_and_syncs() {
    if !in_session(
        "consent::consent_then_sign_in_stores_the_publishers_application_and_syncs",
        KeyringMode::Unlocked,
    ) {
        return;
    }
    let emulator = Emulator::start_demo().await.expect("emulator");
    let dir = tempfile::tempdir().expect("dir");
    let db_path = dir.path().join("aadsync.sqlite3");
    let (script, urls) = recording_browser(dir.path());
    assert_eq!(publisher_in_tenant(&emulator).await, (None, Vec::new()));

    let running = tokio::spawn(output(add_with_consent(&emulator, &db_path, &script)));
    // First the tenant's admin consent page for the publisher's application.
    let consent_url = nth_url(&urls, 1);
    let params = query(&consent_url);
    assert!(
        consent_url.starts_with(&format!(
            "{}/contoso.com/v2.0/adminconsent?",
            emulator.base_url()
        )),
        "{consent_url}"
    );
    assert_eq!(params["client_id"], demo::PUBLISHER_CLIENT_ID);
    assert_eq!(params["scope"], "https://graph.microsoft.com/.default");
    assert!(
        params["redirect_uri"].starts_with("http://localhost:"),
        "{params:?}"
    );
    let browser = Browser::new().expect("browser");
    let now = || emulator.clock().now();
    let redirect = browser
        .sign_in(&consent_url, &Person::demo_admin(now()))
        .await
        .expect("consent pages");
    assert_eq!(
        redirect.params().get("admin_consent").map(String::as_str),
        Some("True")
    );
    let page = browser.deliver(&redirect).await.expect("deliver");
    assert!(
        page.text()
            .await
            .expect("page")
            .contains("The aadsync application was added to your organization")
    );
    // Consent alone stores nothing; the tenant now has the application.
    assert_eq!(db::organizations(&db_path), []);

    // Then the usual sign-in, with the publisher's client ID.
    let sign_in_url = nth_url(&urls, 2);
    assert!(
        sign_in_url.contains("/oauth2/v2.0/authorize?"),
        "{sign_in_url}"
    );
    assert_eq!(query(&sign_in_url)["client_id"], demo::PUBLISHER_CLIENT_ID);
    let redirect = browser
        .sign_in(&sign_in_url, &Person::demo_admin(now()))
        .await
        .expect("sign-in pages");
    assert!(
        matches!(redirect, Redirect::FormPost { .. }),
        "{redirect:?}"
    );
    browser.deliver(&redirect).await.expect("deliver");
    let (ok, text) = running.await.expect("join");
    assert!(ok, "{text}");
    assert!(
        text.contains("Admin consent given")
            && text.contains(
                "Signed in to Contoso (contoso.com) as admin@contoso.com (Global Administrator)"
            )
            && text.contains("Organization #1 saved"),
        "{text}"
    );

    // The tenant: the publisher's service principal (owned by its home tenant) and one
    // tenant-wide grant of the permissions its registration lists.
    let (sp, grants) = publisher_in_tenant(&emulator).await;
    let sp = sp.expect("the publisher's service principal");
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
        db::organizations(&db_path),
        [(
            emulator.tenant_id(),
            "contoso.com".to_owned(),
            Some("admin@contoso.com".to_owned())
        )]
    );
    assert_eq!(db::client_ids(&db_path), [demo::PUBLISHER_CLIENT_ID]);

    // A synchronization resumes that sign-in from the keyring and imports what Graph shows.
    sync_imports_alex(&emulator, &db_path).await;
    assert_eq!(db::runs(&db_path).len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_who_may_not_consent_is_stopped_and_nothing_is_stored() {
    if !in_session(
        "consent::a_user_who_may_not_consent_is_stopped_and_nothing_is_stored",
        KeyringMode::Unlocked,
    ) {
        return;
    }
    let emulator = Emulator::start_demo().await.expect("emulator");
    let dir = tempfile::tempdir().expect("dir");
    let db_path = dir.path().join("aadsync.sqlite3");
    let (script, urls) = recording_browser(dir.path());

    // A publisher client ID that is not one is refused before anything opens.
    let mut bad = add_with_consent(&emulator, &db_path, &script);
    bad.env("AADSYNC_PUBLISHER_CLIENT_ID", "aadsync-app");
    let bad = run(bad).await;
    assert_eq!(bad.code, Some(1), "{bad}");
    assert!(
        bad.stderr
            .contains("AADSYNC_PUBLISHER_CLIENT_ID is \"aadsync-app\""),
        "{bad}"
    );
    assert_eq!(urls_opened(&urls), Vec::<String>::new());

    let mut add = add_with_consent(&emulator, &db_path, &script);
    add.stdout(Stdio::piped()).stderr(Stdio::piped());
    let child = add.spawn().expect("spawn");
    let pid = child.id().expect("pid");
    let consent_url = nth_url(&urls, 1);
    // A user without a role that may consent: Entra stops him in the browser with
    // AADSTS90094 ("Need admin approval") and never redirects to aadsync.
    let alex = Person {
        upn: "alex.wilber@contoso.com",
        password: demo::USER_PASSWORD,
        totp_secret: demo::USER_TOTP_SECRET,
        now: emulator.clock().now(),
    };
    let browser = Browser::new().expect("browser");
    let page = signed_in_page(&browser, &consent_url, &alex).await;
    assert!(page.html.contains("AADSTS90094"), "{}", page.html);
    assert_eq!(publisher_in_tenant(&emulator).await, (None, Vec::new()));

    // aadsync is still waiting for the consent; the administrator gives up (Ctrl+C).
    let status = std::process::Command::new("kill")
        .args(["-INT", &pid.to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let out = tokio::time::timeout(Duration::from_secs(30), child.wait_with_output())
        .await
        .expect("exits after Ctrl+C")
        .expect("output");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("admin consent was cancelled"), "{text}");
    // No sign-in was started, nothing is stored and the tenant is as before.
    assert_eq!(urls_opened(&urls).len(), 1, "{text}");
    assert_eq!(db::organizations(&db_path), []);
    assert_eq!(publisher_in_tenant(&emulator).await, (None, Vec::new()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_declined_consent_stores_nothing() {
    if !in_session(
        "consent::a_declined_consent_stores_nothing",
        KeyringMode::Unlocked,
    ) {
        return;
    }
    let emulator = Emulator::start_demo().await.expect("emulator");
    let dir = tempfile::tempdir().expect("dir");
    let db_path = dir.path().join("aadsync.sqlite3");
    let (script, urls) = recording_browser(dir.path());
    let browser = Browser::new().expect("browser");

    // Cancel on the permissions page: the endpoint's documented error response,
    // `error=consent_required` with AADSTS65004 (and `admin_consent=True`).
    let running = tokio::spawn(output(add_with_consent(&emulator, &db_path, &script)));
    let consent_url = nth_url(&urls, 1);
    let page = signed_in_page(
        &browser,
        &consent_url,
        &Person::demo_admin(emulator.clock().now()),
    )
    .await;
    assert_eq!(page.step(), Some("consent"), "{}", page.html);
    let cancelled = browser.submit(&page, "", true).await.expect("cancel");
    let location = cancelled.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    assert_eq!(query(&location)["error"], "consent_required");
    browser
        .client()
        .get(&location)
        .send()
        .await
        .expect("deliver");
    let (ok, text) = running.await.expect("join");
    assert!(!ok, "{text}");
    assert!(
        text.contains("admin consent was declined in the browser (AADSTS65004:")
            && text.contains("choose Accept"),
        "{text}"
    );
    assert_eq!(urls_opened(&urls).len(), 1, "no sign-in after a refusal");
    assert_eq!(db::organizations(&db_path), []);
    assert_eq!(publisher_in_tenant(&emulator).await, (None, Vec::new()));

    // `access_denied`, RFC 6749's "the resource owner denied the request" (what /authorize
    // sends for Cancel), to the same redirect URI with this request's state.
    std::fs::remove_file(&urls).expect("reset");
    let running = tokio::spawn(output(add_with_consent(&emulator, &db_path, &script)));
    let params = query(&nth_url(&urls, 1));
    let mut denied = reqwest::Url::parse(&params["redirect_uri"]).expect("redirect URI");
    denied
        .query_pairs_mut()
        .append_pair("admin_consent", "True")
        .append_pair("error", "access_denied")
        .append_pair(
            "error_description",
            "AADSTS65004: User declined to consent to access the app.",
        )
        .append_pair("state", &params["state"]);
    let answer = browser
        .client()
        .get(denied.as_str())
        .send()
        .await
        .expect("deliver");
    assert!(
        answer
            .text()
            .await
            .expect("page")
            .contains("Admin consent was not completed")
    );
    let (ok, text) = running.await.expect("join");
    assert!(
        !ok && text.contains("admin consent was declined in the browser"),
        "{text}"
    );
    assert_eq!(urls_opened(&urls).len(), 1);
    assert_eq!(db::organizations(&db_path), []);
    assert_eq!(publisher_in_tenant(&emulator).await, (None, Vec::new()));
}
