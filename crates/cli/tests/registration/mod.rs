//! `aadsync org check` against the emulator: the organization signed in once, then its app
//! registration broken through the control API as an administrator would break it in the admin
//! center (redirect URI removed, public client flows off, a permission removed, a permission not
//! consented, no admin consent, no service principal), each checked, then restored. Asserted:
//! the registration as the control API shows it (the break is in place), the finding, its fix
//! and the exit code (8 when aadsync needs the fix), and that the check wrote nothing to the
//! database nor to the registration.

use crate::support::tenant::Tenant;
use crate::support::{Ran, aadsync, add_organization, db, run};
use aadsync_emulator::{Emulator, demo};
use aadsync_testenv::{KeyringMode, in_session};
use reqwest::Method;
use serde_json::{Value, json};
use std::path::Path;

/// The README's permissions (the two optional ones included), and what lets the check read the
/// whole registration: Application.Read.All (application object, service principals) and, for
/// the grants, DelegatedPermissionGrant.ReadWrite.All rather than Directory.Read.All, which would
/// also stand in for User.Read.All and so hide the missing permission this test removes.
const FULL: &[&str] = &[
    "User.Read",
    "User.Read.All",
    "GroupMember.Read.All",
    "Group.Read.All",
    "Member.Read.Hidden",
    "Application.Read.All",
    "DelegatedPermissionGrant.ReadWrite.All",
];
const README: &[&str] = &[
    "User.Read",
    "User.Read.All",
    "GroupMember.Read.All",
    "Group.Read.All",
    "Member.Read.Hidden",
];

/// Microsoft Learn's IDs of those delegated permissions ("Microsoft Graph permissions
/// reference").
fn scope_id(name: &str) -> &'static str {
    match name {
        "User.Read" => "e1fe6dd8-ba31-4d61-89e7-88639da4683d",
        "User.Read.All" => "a154be20-db9c-4678-8ab7-66f6cc099a59",
        "GroupMember.Read.All" => "bc024368-1153-4739-b217-4326f2e966d0",
        "Group.Read.All" => "5f8c59db-677d-491f-a6b8-5f174b11ec1d",
        "Member.Read.Hidden" => "f6a3db3e-f7e8-4ed2-a414-557c8c9830be",
        "Application.Read.All" => "c79f8feb-a9db-4090-85f9-90d820caa0eb",
        "DelegatedPermissionGrant.ReadWrite.All" => "41ce6ca6-6826-4807-84f1-1c82854f7ee5",
        other => panic!("no ID for {other}"),
    }
}

fn without(names: &[&str], left_out: &str) -> Vec<&'static str> {
    FULL.iter()
        .copied()
        .filter(|n| names.contains(n) && *n != left_out)
        .collect()
}

struct Env {
    emulator: Emulator,
    tenant: Tenant,
    db: std::path::PathBuf,
}

impl Env {
    /// The demo tenant with the whole registration ([`FULL`]) and organization #1 signed in;
    /// the directory holds the database.
    async fn signed_in() -> (Env, tempfile::TempDir) {
        let emulator = Emulator::start_demo().await.expect("emulator");
        let dir = tempfile::tempdir().expect("dir");
        let env = Env {
            tenant: Tenant::new(&emulator),
            db: dir.path().join("aadsync.sqlite3"),
            emulator,
        };
        env.permissions(FULL, FULL).await;
        add_organization(&env.emulator, &env.db).await;
        (env, dir)
    }

    fn app(&self) -> String {
        format!("applications/{}", demo::CLIENT_ID)
    }

    /// The application requests `requested` and the tenant-wide grant holds `consented`.
    async fn permissions(&self, requested: &[&str], consented: &[&str]) {
        let access: Vec<Value> = requested
            .iter()
            .map(|n| json!({"id": scope_id(n), "type": "Scope"}))
            .collect();
        self.tenant
            .control(
                Method::PATCH,
                &self.app(),
                json!({"requiredResourceAccess": [{
                    "resourceAppId": "00000003-0000-0000-c000-000000000000",
                    "resourceAccess": access,
                }]}),
            )
            .await;
        self.tenant
            .control(
                Method::PUT,
                &format!("{}/grant", self.app()),
                json!({"scope": consented.join(" ")}),
            )
            .await;
    }

    async fn patch_app(&self, body: Value) {
        self.tenant.control(Method::PATCH, &self.app(), body).await;
    }

    async fn registrations(&self) -> Value {
        reqwest::get(format!(
            "{}/_emulator/registrations",
            self.emulator.base_url()
        ))
        .await
        .expect("dump")
        .json()
        .await
        .expect("json")
    }

    /// The demo application as the control API shows it.
    async fn application(&self) -> Value {
        let dump = self.registrations().await;
        dump["applications"]
            .as_array()
            .expect("applications")
            .iter()
            .find(|a| a["appId"] == demo::CLIENT_ID)
            .cloned()
            .expect("the demo application")
    }

    /// Whether the demo application has a service principal, and the scopes of its grants.
    async fn principal_and_grants(&self) -> (bool, Vec<String>) {
        let dump = self.registrations().await;
        let sp = dump["servicePrincipals"]
            .as_array()
            .expect("principals")
            .iter()
            .find(|s| s["appId"] == demo::CLIENT_ID)
            .map(|s| s["id"].clone());
        let scopes = dump["oauth2PermissionGrants"]
            .as_array()
            .expect("grants")
            .iter()
            .filter(|g| sp.as_ref().is_some_and(|id| g["clientId"] == *id))
            .flat_map(|g| {
                g["scope"]
                    .as_str()
                    .expect("scope")
                    .split_whitespace()
                    .map(str::to_owned)
                    .collect::<Vec<_>>()
            })
            .collect();
        (sp.is_some(), scopes)
    }

    /// `aadsync org check` (text, then JSON): the text run and the JSON report. Neither may
    /// change the database or the registration.
    async fn check(&self) -> (Ran, Value) {
        let before = (db::dump(&self.db), self.registrations().await);
        let text = run(aadsync(&self.db, &["org", "check", "--org", "1"])).await;
        let ran = run(aadsync(&self.db, &["org", "check", "--org", "1", "--json"])).await;
        assert_eq!(ran.code, text.code, "{ran}\n{text}");
        let after = (db::dump(&self.db), self.registrations().await);
        db::assert_same(&before.0, &after.0, "org check");
        assert_eq!(before.1, after.1, "org check changed the registration");
        (text, ran.json())
    }
}

/// The findings of a JSON report as (area, feature, needed).
fn areas(report: &Value) -> Vec<(String, Option<String>, bool)> {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["area"].as_str().expect("area").to_owned(),
                f["feature"].as_str().map(str::to_owned),
                f["needed"].as_bool().expect("needed"),
            )
        })
        .collect()
}

fn area(name: &str, feature: Option<&str>, needed: bool) -> (String, Option<String>, bool) {
    (name.to_owned(), feature.map(str::to_owned), needed)
}

/// The first finding's text (problem and fix) in the JSON report.
fn first(report: &Value) -> (String, String) {
    let f = &report["findings"][0];
    (
        f["problem"].as_str().expect("problem").to_owned(),
        f["fix"].as_str().expect("fix").to_owned(),
    )
}

#[track_caller]
fn complete(env_db: &Path, text: &Ran, report: &Value) {
    assert_eq!(text.code, Some(0), "{text}");
    assert!(
        text.stdout.contains("The registration is complete"),
        "{text}"
    );
    assert_eq!(report["findings"], json!([]), "{report}");
    assert_eq!(report["unchecked"], json!([]), "{report}");
    assert_eq!(report["blocking"], json!(false));
    assert!(env_db.exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_broken_registration_is_found_with_its_fix_and_exit_code() {
    if !in_session(
        "registration::each_broken_registration_is_found_with_its_fix_and_exit_code",
        KeyringMode::Unlocked,
    ) {
        return;
    }
    let (env, _dir) = Env::signed_in().await;

    // Complete: nothing to report.
    let (text, report) = env.check().await;
    complete(&env.db, &text, &report);

    // The README's permissions only: the application and the grants cannot be read. The check
    // says what it did not check and takes the consent from the sign-in.
    env.permissions(README, README).await;
    let (text, report) = env.check().await;
    assert_eq!(text.code, Some(0), "{text}");
    assert_eq!(areas(&report), [], "{report}");
    let unchecked = report["unchecked"].to_string();
    for part in [
        "Allow public client flows were not checked",
        "Application.Read.All",
        "Admin consent was not read from Graph",
        "Directory.Read.All",
    ] {
        assert!(unchecked.contains(part), "{part}: {report}");
    }
    assert!(text.stdout.contains("Not checked: "), "{text}");
    env.permissions(FULL, FULL).await;

    // The redirect URI removed.
    env.patch_app(json!({"publicClient": {"redirectUris": []}}))
        .await;
    assert_eq!(
        env.application().await["publicClient"]["redirectUris"],
        json!([])
    );
    let (text, report) = env.check().await;
    assert_eq!(text.code, Some(8), "{text}");
    assert_eq!(areas(&report), [area("redirect_uri", None, true)]);
    let (problem, fix) = first(&report);
    assert!(problem.contains("AADSTS50011"), "{problem}");
    assert!(
        fix.contains("Mobile and desktop applications") && fix.contains("http://localhost"),
        "{fix}"
    );
    assert!(text.stdout.contains(&format!("  Fix: {fix}")), "{text}");
    assert_eq!(report["blocking"], json!(true));
    env.patch_app(json!({"publicClient": {"redirectUris": ["http://localhost"]}}))
        .await;

    // Public client flows off.
    env.patch_app(json!({"isFallbackPublicClient": false}))
        .await;
    assert_eq!(
        env.application().await["isFallbackPublicClient"],
        json!(false)
    );
    let (text, report) = env.check().await;
    assert_eq!(text.code, Some(8), "{text}");
    assert_eq!(areas(&report), [area("public_client_flows", None, true)]);
    let (problem, fix) = first(&report);
    assert!(problem.contains("AADSTS7000218"), "{problem}");
    assert!(
        fix.contains("set Allow public client flows to Yes"),
        "{fix}"
    );
    env.patch_app(json!({"isFallbackPublicClient": true})).await;

    // User.Read.All removed from the registration (and so from the consent).
    let left = without(FULL, "User.Read.All");
    env.permissions(&left, &left).await;
    assert!(
        !env.principal_and_grants()
            .await
            .1
            .contains(&"User.Read.All".to_owned())
    );
    let (text, report) = env.check().await;
    assert_eq!(text.code, Some(8), "{text}");
    assert_eq!(
        areas(&report),
        [
            area("permission", Some("import_users"), true),
            area("permission", Some("check_deleted_users"), false),
        ]
    );
    assert_eq!(report["findings"][0]["permission"], "User.Read.All");
    let (_, fix) = first(&report);
    assert!(
        fix.contains("Delegated permissions, add User.Read.All")
            && fix.contains("Grant admin consent"),
        "{fix}"
    );

    // Member.Read.Hidden requested but not consented: optional, so exit 0.
    let left = without(FULL, "Member.Read.Hidden");
    env.permissions(FULL, &left).await;
    let (text, report) = env.check().await;
    assert_eq!(text.code, Some(0), "{text}");
    assert_eq!(
        areas(&report),
        [area("consent", Some("hidden_membership_groups"), false)]
    );
    assert!(first(&report).1.contains("Grant admin consent"), "{report}");
    assert!(text.stdout.contains("(optional)"), "{text}");
    env.permissions(FULL, FULL).await;

    // No admin consent, then no service principal: Entra ID refuses the saved sign-in
    // (AADSTS65001), so nothing can be read; the check says so and names the fix.
    for break_path in ["grant", "servicePrincipal"] {
        env.tenant
            .control(
                Method::DELETE,
                &format!("{}/{break_path}", env.app()),
                json!({}),
            )
            .await;
        let (principal, grants) = env.principal_and_grants().await;
        assert!(grants.is_empty(), "{break_path}: {grants:?}");
        assert_eq!(principal, break_path == "grant", "{break_path}");
        let (text, report) = env.check().await;
        assert_eq!(text.code, Some(8), "{break_path}: {text}");
        assert_eq!(
            areas(&report),
            [area("sign_in", None, true)],
            "{break_path}"
        );
        let (problem, fix) = first(&report);
        assert!(problem.contains("AADSTS65001"), "{problem}");
        assert!(fix.contains("Grant admin consent"), "{fix}");
        assert!(
            report["unchecked"][0]
                .as_str()
                .expect("note")
                .contains("Entra ID refused"),
            "{report}"
        );
        // Restored: the grant (with the service principal when it was removed).
        env.permissions(FULL, FULL).await;
    }

    // Everything restored: complete again, with the same saved sign-in.
    let (text, report) = env.check().await;
    complete(&env.db, &text, &report);
    assert_eq!(db::organizations(&env.db).len(), 1);
}

/// The registration check runs on its own when a command fails in a way the registration
/// causes: a read Graph refuses because a permission was taken out of the registration and its
/// consent, then a saved sign-in Entra ID refuses because the admin consent is gone. The
/// failure comes with the finding and its fix, nothing is written, and a failure the
/// registration does not cause (an object that does not exist) comes without a check.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_command_the_registration_refuses_says_what_to_fix() {
    if !in_session(
        "registration::a_command_the_registration_refuses_says_what_to_fix",
        KeyringMode::Unlocked,
    ) {
        return;
    }
    let (env, _dir) = Env::signed_in().await;
    let someone = env.tenant.graph("/users?$top=1&$select=id").await["value"][0]["id"]
        .as_str()
        .expect("a user")
        .to_owned();
    let before = db::dump(&env.db);

    // An object that is not there: a failure of another kind, no check.
    let missing = "00000000-0000-4000-8000-0000000000aa";
    let ran = run(aadsync(&env.db, &["sync", "--org", "1", "--user", missing])).await;
    assert_eq!(ran.code, Some(1), "{ran}");
    assert!(ran.stderr.contains(missing), "{ran}");
    assert!(!ran.stderr.contains("registration check"), "{ran}");

    // User.Read.All out of the registration and the consent: Graph refuses to list users.
    let left = without(FULL, "User.Read.All");
    env.permissions(&left, &left).await;
    for args in [
        &["list", "users", "--org", "1"][..],
        &["sync", "--org", "1", "--user", someone.as_str()][..],
    ] {
        let ran = run(aadsync(&env.db, args)).await;
        assert_eq!(ran.code, Some(1), "{args:?}: {ran}");
        assert!(ran.stderr.contains("403"), "{args:?}: {ran}");
        assert!(
            ran.stderr.contains("The registration check found:"),
            "{args:?}: {ran}"
        );
        assert!(
            ran.stderr
                .contains("Delegated permissions, add User.Read.All")
                && ran.stderr.contains("Grant admin consent"),
            "{args:?}: {ran}"
        );
    }
    db::assert_same(&before, &db::dump(&env.db), "refused by Graph");

    // No admin consent at all: Entra ID refuses to renew the saved sign-in (AADSTS65001).
    env.tenant
        .control(Method::DELETE, &format!("{}/grant", env.app()), json!({}))
        .await;
    let ran = run(aadsync(
        &env.db,
        &["sync", "--org", "1", "--user", someone.as_str()],
    ))
    .await;
    assert_eq!(ran.code, Some(4), "{ran}");
    assert!(
        ran.stderr.contains("The registration check found:"),
        "{ran}"
    );
    assert!(
        ran.stderr.contains("AADSTS65001") && ran.stderr.contains("Grant admin consent"),
        "{ran}"
    );
    db::assert_same(&before, &db::dump(&env.db), "refused by Entra ID");

    // Fixed: the same command imports the user.
    env.permissions(FULL, FULL).await;
    let ran = run(aadsync(
        &env.db,
        &["sync", "--org", "1", "--user", someone.as_str()],
    ))
    .await;
    assert_eq!(ran.code, Some(0), "{ran}");
    let expected = env.tenant.users([&someone]).await;
    assert_eq!(db::imported_users(&env.db), expected);
}
