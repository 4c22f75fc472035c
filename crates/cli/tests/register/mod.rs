//! `aadsync org register` against the emulator over HTTP: the bootstrap sign-in with the
//! publisher's application (dynamic consent to Application.ReadWrite.All and
//! DelegatedPermissionGrant.ReadWrite.All), the preview, the writes through Graph, then the
//! sign-in with the new client ID and the save. The browser is played through `$BROWSER` (the
//! recording script of `consent`); the tenant is checked through the control API's
//! `/_emulator/registrations`, the database through SQL.

use crate::ALEX;
use crate::consent::{nth_url, query, recording_browser, signed_in_page};
use crate::support::{aadsync, cli, db, run, sync_imports_alex};
use aadsync_emulator::browser::{Browser, Person, Redirect, parse_form};
use aadsync_emulator::model::{RoleAssignment, roles};
use aadsync_emulator::{Emulator, EmulatorConfig, demo};
use aadsync_testenv::{KeyringMode, in_session};
use serde_json::Value;
use std::path::Path;
use std::process::Stdio;

/// What the registration must hold: every feature's permission, by Microsoft Graph's IDs
/// ("Microsoft Graph permissions reference").
const PERMISSIONS: [(&str, &str); 5] = [
    ("Group.Read.All", "5f8c59db-677d-491f-a6b8-5f174b11ec1d"),
    (
        "GroupMember.Read.All",
        "bc024368-1153-4739-b217-4326f2e966d0",
    ),
    ("Member.Read.Hidden", "f6a3db3e-f7e8-4ed2-a414-557c8c9830be"),
    ("User.Read", "e1fe6dd8-ba31-4d61-89e7-88639da4683d"),
    ("User.Read.All", "a154be20-db9c-4678-8ab7-66f6cc099a59"),
];

async fn registrations(emulator: &Emulator) -> Value {
    reqwest::get(format!("{}/_emulator/registrations", emulator.base_url()))
        .await
        .expect("registrations")
        .json()
        .await
        .expect("registrations json")
}

/// The dump without what the bootstrap sign-in's consent records: the publisher's service
/// principal and its grants (the consent page, not aadsync, creates them).
fn without_bootstrap_consent(mut all: Value) -> Value {
    let publisher_sp: Vec<Value> = all["servicePrincipals"]
        .as_array()
        .expect("servicePrincipals")
        .iter()
        .filter(|s| s["appId"] == demo::PUBLISHER_CLIENT_ID)
        .map(|s| s["id"].clone())
        .collect();
    if let Some(list) = all["servicePrincipals"].as_array_mut() {
        list.retain(|s| s["appId"] != demo::PUBLISHER_CLIENT_ID);
    }
    if let Some(list) = all["oauth2PermissionGrants"].as_array_mut() {
        list.retain(|g| !publisher_sp.contains(&g["clientId"]));
    }
    all
}

/// aadsync's registration in the tenant: its applications (by `uniqueName`), their service
/// principals, and those principals' grants.
fn aadsync_registration(all: &Value) -> (Vec<Value>, Vec<Value>, Vec<Value>) {
    let list = |key: &str| all[key].as_array().expect(key).clone();
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

/// `aadsync org register` for the emulator's tenant with the recording browser, and `extra`.
fn register(
    emulator: &Emulator,
    db: &Path,
    browser: &Path,
    extra: &[&str],
) -> tokio::process::Command {
    let mut command = cli(db);
    command
        .args([
            "org",
            "register",
            "--tenant",
            "contoso.com",
            "--cloud",
            "custom",
            "--authority",
            emulator.base_url(),
        ])
        .args(extra)
        .env("BROWSER", browser)
        .env_remove("AADSYNC_PUBLISHER_CLIENT_ID")
        // Not a terminal: without --yes the command must refuse, never wait for an answer.
        .stdin(Stdio::null());
    command
}

/// Plays the browser for the `n`th URL the command opened, as `person`.
async fn sign_in_at(urls: &Path, n: usize, person: &Person<'_>) -> String {
    let url = nth_url(urls, n);
    let browser = Browser::new().expect("browser");
    let redirect = browser.sign_in(&url, person).await.expect("sign-in pages");
    browser.deliver(&redirect).await.expect("deliver");
    url
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_previews_creates_once_and_the_organization_synchronizes() {
    if !in_session(
        "register::register_previews_creates_once_and_the_organization_synchronizes",
        KeyringMode::Unlocked,
    ) {
        return;
    }
    let emulator = Emulator::start_demo().await.expect("emulator");
    let dir = tempfile::tempdir().expect("dir");
    let db_path = dir.path().join("aadsync.sqlite3");
    let (script, urls) = recording_browser(dir.path());
    let admin = || Person::demo_admin(emulator.clock().now());
    let before = without_bootstrap_consent(registrations(&emulator).await);

    // --dry-run: the bootstrap sign-in asks for the registration's permissions by name, then
    // the preview, and nothing is created or stored.
    let running = tokio::spawn(run(register(&emulator, &db_path, &script, &["--dry-run"])));
    let bootstrap = sign_in_at(&urls, 1, &admin()).await;
    let params = query(&bootstrap);
    assert_eq!(params["client_id"], demo::PUBLISHER_CLIENT_ID);
    let scope = &params["scope"];
    for wanted in [
        "https://graph.microsoft.com/Application.ReadWrite.All",
        "https://graph.microsoft.com/DelegatedPermissionGrant.ReadWrite.All",
        "https://graph.microsoft.com/User.Read",
    ] {
        assert!(scope.split(' ').any(|s| s == wanted), "{scope}");
    }
    assert!(!scope.contains(".default"), "{scope}");
    let dry = running.await.expect("join");
    assert_eq!(dry.code, Some(0), "{dry}");
    for line in [
        "Create the application \"aadsync\" (uniqueName aadsync)",
        "redirect URI http://localhost under Mobile and desktop applications",
        "Create its enterprise application (service principal)",
        "tenant-wide (AllPrincipals) delegated grant to Microsoft Graph of User.Read User.Read.All GroupMember.Read.All Member.Read.Hidden Group.Read.All",
        "Dry run: nothing was created",
    ] {
        assert!(dry.stdout.contains(line), "{line}: {dry}");
    }
    assert_eq!(
        without_bootstrap_consent(registrations(&emulator).await),
        before
    );
    assert_eq!(db::organizations(&db_path), []);

    // Without --yes and without a terminal: the preview, a refusal (exit 6), nothing created.
    let running = tokio::spawn(run(register(&emulator, &db_path, &script, &[])));
    sign_in_at(&urls, 2, &admin()).await;
    let unconfirmed = running.await.expect("join");
    assert_eq!(unconfirmed.code, Some(6), "{unconfirmed}");
    assert!(
        unconfirmed
            .stderr
            .contains("run the command again with --yes"),
        "{unconfirmed}"
    );
    assert_eq!(
        without_bootstrap_consent(registrations(&emulator).await),
        before
    );
    assert_eq!(db::organizations(&db_path), []);

    // --yes: created, then the sign-in with the new client ID stores the organization.
    let running = tokio::spawn(run(register(&emulator, &db_path, &script, &["--yes"])));
    sign_in_at(&urls, 3, &admin()).await;
    let sign_in = sign_in_at(&urls, 4, &admin()).await;
    let registered = running.await.expect("join");
    assert_eq!(registered.code, Some(0), "{registered}");
    let (apps, sps, grants) = aadsync_registration(&registrations(&emulator).await);
    assert_eq!(
        (apps.len(), sps.len(), grants.len()),
        (1, 1, 1),
        "{apps:?} {sps:?} {grants:?}"
    );
    let app = &apps[0];
    let client_id = app["appId"].as_str().expect("appId").to_owned();
    assert_eq!(query(&sign_in)["client_id"], client_id);
    assert_eq!(
        app["publicClient"]["redirectUris"],
        serde_json::json!(["http://localhost"])
    );
    assert_eq!(app["isFallbackPublicClient"], true);
    assert_eq!(app["signInAudience"], "AzureADMyOrg");
    assert_eq!(app["groupMembershipClaims"], "DirectoryRole");
    let required = app["requiredResourceAccess"].as_array().expect("required");
    assert_eq!(required.len(), 1, "{required:?}");
    assert_eq!(
        required[0]["resourceAppId"],
        "00000003-0000-0000-c000-000000000000"
    );
    let mut ids: Vec<(String, String)> = required[0]["resourceAccess"]
        .as_array()
        .expect("resourceAccess")
        .iter()
        .map(|a| {
            (
                a["id"].as_str().expect("id").to_owned(),
                a["type"].as_str().expect("type").to_owned(),
            )
        })
        .collect();
    ids.sort();
    let mut wanted: Vec<(String, String)> = PERMISSIONS
        .iter()
        .map(|(_, id)| ((*id).to_owned(), "Scope".to_owned()))
        .collect();
    wanted.sort();
    assert_eq!(ids, wanted);
    let grant = &grants[0];
    assert_eq!(grant["consentType"], "AllPrincipals");
    assert_eq!(grant["principalId"], Value::Null);
    let mut scopes: Vec<&str> = grant["scope"].as_str().expect("scope").split(' ').collect();
    scopes.sort_unstable();
    assert_eq!(scopes, PERMISSIONS.map(|(name, _)| name));
    assert_eq!(db::client_ids(&db_path), std::slice::from_ref(&client_id));
    assert_eq!(
        db::organizations(&db_path),
        [(
            emulator.tenant_id(),
            "contoso.com".to_owned(),
            Some("admin@contoso.com".to_owned())
        )]
    );
    assert!(
        registered.stdout.contains(&format!(
            "Registered aadsync in contoso.com: application (client) ID {client_id}"
        )) && registered.stdout.contains("Organization #1 saved"),
        "{registered}"
    );

    // The registration check finds nothing missing, and a synchronization imports.
    let check = run(aadsync(&db_path, &["org", "check", "--org", "1"])).await;
    assert_eq!(check.code, Some(0), "{check}");
    assert!(
        check.stdout.contains("The registration is complete"),
        "{check}"
    );
    sync_imports_alex(&emulator, &db_path).await;

    // Again: everything is present, nothing is created twice, the organization is the same.
    let running = tokio::spawn(run(register(&emulator, &db_path, &script, &["--yes"])));
    sign_in_at(&urls, 5, &admin()).await;
    sign_in_at(&urls, 6, &admin()).await;
    let again = running.await.expect("join");
    assert_eq!(again.code, Some(0), "{again}");
    assert_eq!(
        again.stdout.matches("- Already present").count(),
        3,
        "{again}"
    );
    assert!(again.stdout.contains("nothing was created"), "{again}");
    let (apps_after, sps_after, grants_after) =
        aadsync_registration(&registrations(&emulator).await);
    assert_eq!((apps_after, sps_after, grants_after), (apps, sps, grants));
    assert_eq!(db::client_ids(&db_path), [client_id]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_administrator_without_an_application_role_creates_and_stores_nothing() {
    if !in_session(
        "register::an_administrator_without_an_application_role_creates_and_stores_nothing",
        KeyringMode::Unlocked,
    ) {
        return;
    }
    // Alex is Privileged Role Administrator: he may consent to the bootstrap permissions, but
    // not create service principals (Graph would refuse half-way, after the application).
    let mut tenant = aadsync_emulator::demo_tenant().expect("demo tenant");
    tenant.role_assignments.push(RoleAssignment {
        role_template_id: roles::PRIVILEGED_ROLE_ADMINISTRATOR.into(),
        members: vec![ALEX.into()],
        eligible: Vec::new(),
    });
    let emulator = Emulator::start(EmulatorConfig::new(tenant))
        .await
        .expect("emulator");
    let dir = tempfile::tempdir().expect("dir");
    let db_path = dir.path().join("aadsync.sqlite3");
    let (script, urls) = recording_browser(dir.path());
    let before = without_bootstrap_consent(registrations(&emulator).await);

    let running = tokio::spawn(run(register(&emulator, &db_path, &script, &["--yes"])));
    let alex = Person {
        upn: "alex.wilber@contoso.com",
        password: demo::USER_PASSWORD,
        totp_secret: demo::USER_TOTP_SECRET,
        now: emulator.clock().now(),
    };
    sign_in_at(&urls, 1, &alex).await;
    let refused = running.await.expect("join");
    assert_eq!(refused.code, Some(9), "{refused}");
    for named in [
        "alex.wilber@contoso.com",
        "Global Administrator, Application Administrator, Cloud Application Administrator",
    ] {
        assert!(refused.stderr.contains(named), "{named}: {refused}");
    }
    assert_eq!(
        without_bootstrap_consent(registrations(&emulator).await),
        before
    );
    assert_eq!(db::organizations(&db_path), []);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn declining_the_permissions_creates_and_stores_nothing() {
    if !in_session(
        "register::declining_the_permissions_creates_and_stores_nothing",
        KeyringMode::Unlocked,
    ) {
        return;
    }
    let emulator = Emulator::start_demo().await.expect("emulator");
    let dir = tempfile::tempdir().expect("dir");
    let db_path = dir.path().join("aadsync.sqlite3");
    let (script, urls) = recording_browser(dir.path());
    let before = registrations(&emulator).await;

    let running = tokio::spawn(run(register(&emulator, &db_path, &script, &["--yes"])));
    let browser = Browser::new().expect("browser");
    let page = signed_in_page(
        &browser,
        &nth_url(&urls, 1),
        &Person::demo_admin(emulator.clock().now()),
    )
    .await;
    assert_eq!(page.step(), Some("consent"), "{}", page.html);
    // Cancel on the permissions page: the error response goes to aadsync's redirect URI.
    let html = browser
        .submit(&page, "", true)
        .await
        .expect("cancel")
        .text()
        .await
        .expect("page");
    let (action, fields) = parse_form(&html);
    browser
        .deliver(&Redirect::FormPost {
            action,
            fields,
            html,
        })
        .await
        .expect("deliver");
    let declined = running.await.expect("join");
    assert_eq!(declined.code, Some(1), "{declined}");
    assert!(
        declined.stderr.contains("AADSTS65004")
            && declined
                .stderr
                .contains("The permissions were declined, so nothing was created"),
        "{declined}"
    );
    // Not even the consent: the tenant is as it was.
    assert_eq!(registrations(&emulator).await, before);
    assert_eq!(db::organizations(&db_path), []);
}
