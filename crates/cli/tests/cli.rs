//! The `aadsync` binary against the emulator over HTTP, a real database file and the real
//! Secret Service: organizations (add by device code, list, whoami, login through $BROWSER,
//! revoked, remove, a non-administrator refused; added through admin consent to the
//! publisher's application, `consent`), then synchronizations checked against the
//! rows in the SQLite file, with the expected rows read from the tenant's Graph: exit 0, 3
//! (failed objects), 1 (a failed read writes nothing), 5 (safeguard, nothing written), undo,
//! and an undo racing a synchronization in another process (`undo_race`); names with control
//! characters escaped on the terminal (`terminal`); `org check` on broken app registrations
//! (`registration`); `org register`, the automatic registration (`register`).
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod conflicts;
mod consent;
mod register;
mod registration;
mod schedule;
mod scope;
mod signin_hints;
mod support;
mod terminal;
mod undo_race;

use aadsync_emulator::browser::{Browser, Person};
use aadsync_emulator::{Emulator, demo};
use aadsync_testenv::{KeyringMode, in_session};
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::Duration;
use support::db::{self, AUDIT_TABLES};
use support::tenant::Tenant;
use support::{aadsync, add_organization, cli, output, run, with_device_code};

const ALEX: &str = "a34546e6-5f9d-46cd-a270-950da42fb985";

/// The report's items as (type, id, outcome, detail), in report order.
fn items(report: &Value) -> Vec<(String, String, String, String)> {
    report["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| {
            let text = |k: &str| i[k].as_str().expect(k).to_owned();
            (text("type"), text("id"), text("outcome"), text("detail"))
        })
        .collect()
}

/// Object IDs with each outcome in a report.
fn by_outcome(report: &Value) -> BTreeMap<String, BTreeSet<String>> {
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (_, id, outcome, _) in items(report) {
        out.entry(outcome).or_default().insert(id);
    }
    out
}

fn memberships_of(group: &str, users: &BTreeSet<String>) -> BTreeSet<(String, String)> {
    users
        .iter()
        .map(|u| (group.to_owned(), u.clone()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn organizations_from_the_command_line() {
    if !in_session("organizations_from_the_command_line", KeyringMode::Unlocked) {
        return;
    }
    let emulator = Emulator::start_demo().await.expect("emulator");
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("aadsync.sqlite3");
    let now = || emulator.clock().now();

    // Validation before any network call.
    let bad = run(aadsync(
        &db,
        &[
            "org",
            "add",
            "--tenant",
            "contoso",
            "--client-id",
            demo::CLIENT_ID,
        ],
    ))
    .await;
    assert_eq!(bad.code, Some(1), "{bad}");
    assert!(
        bad.stderr.contains("domain name such as contoso.com"),
        "{bad}"
    );
    assert_eq!(db::organizations(&db), []);

    let add = || aadsync(&db, &support::org_add_args(&emulator));
    // A non-administrator is refused and nothing is stored.
    let alex = Person {
        upn: "alex.wilber@contoso.com",
        password: demo::USER_PASSWORD,
        totp_secret: demo::USER_TOTP_SECRET,
        now: now(),
    };
    let (ok, text) = with_device_code(add(), alex).await;
    assert!(
        !ok && text.contains("alex.wilber@contoso.com is not an administrator")
            && text.contains("Privileged Identity Management"),
        "{text}"
    );
    assert_eq!(db::organizations(&db), []);
    let (ok, text) = output(aadsync(&db, &["org", "list"])).await;
    assert!(ok && text.contains("No organizations"), "{text}");

    let (ok, text) = with_device_code(add(), Person::demo_admin(now())).await;
    assert!(ok, "{text}");
    assert!(
        text.contains(
            "Signed in to Contoso (contoso.com) as admin@contoso.com (Global Administrator)"
        ),
        "{text}"
    );
    let stored = vec![(
        emulator.tenant_id(),
        "contoso.com".to_owned(),
        Some("admin@contoso.com".to_owned()),
    )];
    assert_eq!(db::organizations(&db), stored);
    let (ok, text) = output(aadsync(&db, &["org", "list"])).await;
    assert!(
        ok && text.contains(&emulator.tenant_id()) && text.contains("admin@contoso.com"),
        "{text}"
    );

    let (ok, text) = output(aadsync(&db, &["whoami"])).await;
    assert!(
        ok && text.contains("admin@contoso.com (Global Administrator)"),
        "{text}"
    );

    // login through $BROWSER: a script records the URL; this test plays the browser.
    let url_file = dir.path().join("url");
    let script = dir.path().join("browser.sh");
    std::fs::write(
        &script,
        format!("#!/bin/sh\nprintf '%s' \"$1\" > '{}'\n", url_file.display()),
    )
    .expect("script");
    std::process::Command::new("chmod")
        .arg("+x")
        .arg(&script)
        .status()
        .expect("chmod");
    let mut login = cli(&db);
    login
        .args(["login", "--org", "Contoso"])
        .env("BROWSER", &script);
    let running = tokio::spawn(output(login));
    let url = tokio::task::block_in_place(|| {
        aadsync_testenv::wait_until("the browser script", Duration::from_secs(30), || {
            std::fs::read_to_string(&url_file)
                .ok()
                .filter(|u| !u.is_empty())
        })
    })
    .expect("URL handed to $BROWSER");
    assert!(url.contains("login_hint=admin%40contoso.com"), "{url}");
    let browser = Browser::new().expect("browser");
    let redirect = browser
        .sign_in(&url, &Person::demo_admin(now()))
        .await
        .expect("sign-in pages");
    browser.deliver(&redirect).await.expect("deliver");
    let (ok, text) = running.await.expect("join");
    assert!(ok && text.contains("Organization #1 saved"), "{text}");
    // Signing in again updates the same organization in place.
    assert_eq!(db::organizations(&db), stored);

    // Revoked refresh tokens: whoami says what to do and fails.
    emulator
        .revoke_refresh_tokens("admin@contoso.com")
        .expect("revoke");
    let whoami = run(aadsync(&db, &["whoami"])).await;
    assert_eq!(whoami.code, Some(7), "{whoami}");
    assert!(whoami.stdout.contains("aadsync login --org 1"), "{whoami}");

    let (ok, text) = output(aadsync(&db, &["org", "remove", "contoso.com"])).await;
    assert!(
        ok && text.contains("Users imported from it are kept"),
        "{text}"
    );
    assert_eq!(db::organizations(&db), []);
    let (ok, text) = output(aadsync(&db, &["org", "list"])).await;
    assert!(ok && text.contains("No organizations"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_and_sync_from_the_command_line() {
    if !in_session("list_and_sync_from_the_command_line", KeyringMode::Unlocked) {
        return;
    }
    let emulator = Emulator::start_demo().await.expect("emulator");
    let tenant = Tenant::new(&emulator);
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("aadsync.sqlite3");
    add_organization(&emulator, &db).await;

    let list = run(aadsync(&db, &["list", "users", "--org", "1", "--json"])).await;
    assert_eq!(list.code, Some(0), "{list}");
    let listed: BTreeSet<String> = list
        .json()
        .as_array()
        .expect("users")
        .iter()
        .map(|u| u["id"].as_str().expect("id").to_owned())
        .collect();
    let all = tenant.graph("/users?$select=id&$top=999").await;
    let all: BTreeSet<String> = all["value"]
        .as_array()
        .expect("users")
        .iter()
        .map(|u| u["id"].as_str().expect("id").to_owned())
        .collect();
    assert_eq!(listed, all);
    assert_eq!(listed.len(), 300);
    let list = run(aadsync(
        &db,
        &[
            "list",
            "groups",
            "--org",
            "contoso.com",
            "--search",
            "Marketing",
        ],
    ))
    .await;
    assert_eq!(list.code, Some(0), "{list}");
    let marketing = list
        .stdout
        .lines()
        .find(|l| l.contains("Marketing  "))
        .and_then(|l| l.split_whitespace().next())
        .expect("group id")
        .to_owned();
    assert_eq!(marketing, tenant.group_id("Marketing").await);

    // What the selection means, from Graph: Alex and Marketing's direct user members (Alex is
    // one of them), Marketing, and its memberships.
    let members = tenant.user_members(&marketing).await;
    let mut selected = members.clone();
    selected.insert(ALEX.to_owned());
    let expected_users = tenant.users(&selected).await;
    assert_eq!(expected_users.len(), 38, "the demo tenant changed");

    // Dry run: the plan, nothing written.
    let sync_args = |dry: bool| {
        let mut c = aadsync(
            &db,
            &[
                "sync",
                "--org",
                "1",
                "--user",
                "alex.wilber@contoso.com",
                "--group",
                &marketing,
                "--members",
                "--json",
            ],
        );
        if dry {
            c.arg("--dry-run");
        }
        c
    };
    let before = db::dump(&db);
    let plan = run(sync_args(true)).await;
    assert_eq!(plan.code, Some(0), "{plan}");
    db::assert_same(&before, &db::dump(&db), "--dry-run");
    let plan = plan.json();
    assert_eq!(
        plan["summary"],
        "Plan (nothing written): 39 to create, 0 to update, 0 unchanged, 0 to disable, 0 to delete, 0 conflicts"
    );
    let mut everything = selected.clone();
    everything.insert(marketing.clone());
    assert_eq!(
        by_outcome(&plan),
        BTreeMap::from([("create".to_owned(), everything.clone())])
    );

    let first = run(sync_args(false)).await;
    assert_eq!(first.code, Some(0), "{first}");
    let report = first.json();
    assert_eq!(
        by_outcome(&report),
        BTreeMap::from([("created".to_owned(), everything.clone())])
    );
    // The database holds exactly the users, group and memberships Graph has.
    assert_eq!(db::imported_users(&db), expected_users);
    assert_eq!(db::other_users(&db), BTreeSet::new());
    assert_eq!(
        db::imported_groups(&db),
        BTreeMap::from([(
            marketing.clone(),
            ("Marketing".to_owned(), "azure_ad".to_owned())
        )])
    );
    assert_eq!(db::memberships(&db), memberships_of(&marketing, &members));

    // Again, with nothing selected: everything imported is refreshed from Entra ID's changes
    // since the first sync (none, so no object is even read); --full compares everything and
    // finds every object unchanged. The rows stay as Graph has them.
    for (args, read, outcomes) in [
        (vec![], "Incremental:", BTreeMap::new()),
        (
            vec!["--full"],
            "Full comparison: requested",
            BTreeMap::from([("unchanged".to_owned(), everything.clone())]),
        ),
    ] {
        let mut again = aadsync(&db, &["sync", "--org", "1", "--json"]);
        again.args(args);
        let again = run(again).await;
        assert_eq!(again.code, Some(0), "{again}");
        let report = again.json();
        assert!(
            report["read"].as_str().expect("read").starts_with(read),
            "{report}"
        );
        assert_eq!(by_outcome(&report), outcomes);
        assert_eq!(db::imported_users(&db), expected_users);
        assert_eq!(db::memberships(&db), memberships_of(&marketing, &members));
    }

    // Deleted in Entra ID: --check-deleted handles them; a mass deletion stops first (exit 5).
    let others: Vec<String> = members.iter().filter(|id| *id != ALEX).cloned().collect();
    tenant
        .control(Method::DELETE, &format!("users/{}", others[0]), json!({}))
        .await;
    let one = run(aadsync(
        &db,
        &[
            "sync",
            "--org",
            "1",
            "--check-deleted",
            "--deleted-action",
            "delete",
        ],
    ))
    .await;
    assert_eq!(one.code, Some(0), "{one}");
    assert!(one.stdout.contains("restorable for"), "{one}");
    // The deleted user, and every account the tenant has disabled, are deleted on the server
    // (leaving tombstones); the rest stay as they were.
    let mut gone: BTreeSet<String> = expected_users
        .values()
        .filter(|u| !u.enabled)
        .map(|u| u.object_id.clone())
        .collect();
    assert!(
        !gone.is_empty(),
        "the demo's Marketing has disabled accounts"
    );
    gone.insert(others[0].clone());
    let mut kept = expected_users.clone();
    kept.retain(|id, _| !gone.contains(id));
    assert_eq!(db::imported_users(&db), kept);
    assert_eq!(db::tombstones(&db), gone);
    let still: BTreeSet<String> = members.difference(&gone).cloned().collect();
    assert_eq!(db::memberships(&db), memberships_of(&marketing, &still));

    let soft_deleted: Vec<String> = kept
        .keys()
        .filter(|id| *id != ALEX)
        .take(kept.len() / 4 + 11)
        .cloned()
        .collect();
    for id in &soft_deleted {
        tenant
            .control(Method::DELETE, &format!("users/{id}"), json!({}))
            .await;
    }
    let before = db::dump(&db);
    let many = run(aadsync(&db, &["sync", "--org", "1", "--check-deleted"])).await;
    assert_eq!(many.code, Some(5), "{many}");
    assert!(
        many.stderr.contains(&format!(
            "{} of the {} objects imported from this organization would be disabled or deleted; nothing was written",
            soft_deleted.len(),
            kept.len() + 1
        )) && many.stderr.contains("--allow-mass-delete"),
        "{many}"
    );
    db::assert_same(&before, &db::dump(&db), "exit 5");
    // The safeguard is the organization's: raised, the same sync goes through.
    let (ok, text) = output(aadsync(
        &db,
        &[
            "org",
            "set-threshold",
            "1",
            "--count",
            "1000",
            "--percent",
            "50",
        ],
    ))
    .await;
    assert!(
        ok && text.contains("more than 1000 objects and more than 50 %"),
        "{text}"
    );
    let (ok, text) = output(aadsync(&db, &["org", "list"])).await;
    assert!(
        ok && text.contains("Deletion safeguard: more than 1000 objects and more than 50 %.")
            && text.contains("Last synchronized"),
        "{text}"
    );
    let raised = run(aadsync(&db, &["sync", "--org", "1", "--check-deleted"])).await;
    assert_eq!(raised.code, Some(0), "{raised}");
    // Exactly the users deleted in Entra ID are disabled, marked soft-deleted, and kept.
    let mut disabled = kept.clone();
    for id in &soft_deleted {
        let user = disabled.get_mut(id).expect("kept");
        user.enabled = false;
        user.deleted_in_directory = Some("soft_deleted".into());
    }
    assert_eq!(db::imported_users(&db), disabled);
    // Graph no longer lists deleted users as members, so their memberships went too; the
    // members deleted on the server earlier stay out.
    let listed: BTreeSet<String> = tenant
        .user_members(&marketing)
        .await
        .into_iter()
        .filter(|id| disabled.contains_key(id))
        .collect();
    assert_eq!(
        listed,
        still
            .iter()
            .filter(|id| !soft_deleted.contains(id))
            .cloned()
            .collect()
    );
    assert_eq!(db::memberships(&db), memberships_of(&marketing, &listed));

    // Set to 0 and 0, any disable stops the sync, unless --allow-mass-delete.
    assert!(
        output(aadsync(
            &db,
            &[
                "org",
                "set-threshold",
                "1",
                "--count",
                "0",
                "--percent",
                "0",
            ],
        ))
        .await
        .0
    );
    let before = db::dump(&db);
    let stopped = run(aadsync(&db, &["sync", "--org", "1", "--check-deleted"])).await;
    assert_eq!(stopped.code, Some(5), "{stopped}");
    db::assert_same(&before, &db::dump(&db), "exit 5 with a 0/0 safeguard");
    let allowed = run(aadsync(
        &db,
        &[
            "sync",
            "--org",
            "1",
            "--check-deleted",
            "--allow-mass-delete",
        ],
    ))
    .await;
    assert_eq!(allowed.code, Some(0), "{allowed}");
    assert_eq!(db::imported_users(&db), disabled);

    // One of them reversed by UPN: he follows Entra ID's stored state again (enabled); the
    // others stay disabled; a second reversal finds nothing in force.
    let reversed = &soft_deleted[0];
    let upn = disabled[reversed].user_principal_name.clone();
    let back = run(aadsync(
        &db,
        &["reverse-decision", "--org", "1", "--user", &upn],
    ))
    .await;
    assert_eq!(back.code, Some(0), "{back}");
    let mut expected = disabled.clone();
    expected.get_mut(reversed).expect("reversed").enabled = true;
    assert_eq!(db::imported_users(&db), expected);
    let again = run(aadsync(
        &db,
        &["reverse-decision", "--org", "1", "--user", &upn],
    ))
    .await;
    assert_eq!(again.code, Some(1), "{again}");
    assert!(again.stderr.contains("no decision in force"), "{again}");
    let nobody = run(aadsync(
        &db,
        &[
            "reverse-decision",
            "--org",
            "1",
            "--user",
            "nobody@contoso.com",
        ],
    ))
    .await;
    assert_eq!(nobody.code, Some(1), "{nobody}");
    assert_eq!(db::imported_users(&db), expected);
    let bad = run(aadsync(
        &db,
        &[
            "org",
            "set-threshold",
            "1",
            "--count",
            "5",
            "--percent",
            "101",
        ],
    ))
    .await;
    assert_eq!(bad.code, Some(2), "a percentage above 100 is a usage error");

    // A revoked sign-in: exit code 4, what to run, nothing written.
    emulator
        .revoke_refresh_tokens("admin@contoso.com")
        .expect("revoke");
    let before = db::dump(&db);
    let revoked = run(aadsync(&db, &["sync", "--org", "1"])).await;
    assert_eq!(revoked.code, Some(4), "{revoked}");
    assert!(
        revoked.stderr.contains("aadsync login --org 1"),
        "{revoked}"
    );
    db::assert_same(&before, &db::dump(&db), "exit 4");
}

/// Exit 3: a local user holding an Entra user's account name (in another case), a user whose
/// UPN is empty and a group without a name fail; everything else is imported.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn objects_that_fail_are_reported_and_left_out() {
    if !in_session(
        "objects_that_fail_are_reported_and_left_out",
        KeyringMode::Unlocked,
    ) {
        return;
    }
    let emulator = Emulator::start_demo().await.expect("emulator");
    let tenant = Tenant::new(&emulator);
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("aadsync.sqlite3");
    add_organization(&emulator, &db).await;

    // The server already has a local account "Alex.Wilber@CONTOSO.com".
    {
        let store =
            aadsync_store::Store::open(&db, &aadsync_store::OpenOptions::default()).expect("store");
        store
            .writer()
            .create_local_user(
                &aadsync_store::NewLocalUser {
                    account_name: "Alex.Wilber@CONTOSO.com".into(),
                    full_name: "Alex (local)".into(),
                    email: String::new(),
                    phone: String::new(),
                    department: String::new(),
                    description: String::new(),
                    enabled: true,
                    password: aadsync_keystore::SecretString::new("Local-Password-2026!"),
                },
                &aadsync_store::PasswordPolicy::default(),
            )
            .expect("local user");
    }
    let local = BTreeSet::from([(
        "Alex.Wilber@CONTOSO.com".to_owned(),
        "local".to_owned(),
        true,
    )]);
    // In Entra ID, one member of a small group loses its UPN, another group its name.
    let group = tenant.group_id("Finance Ember 13").await;
    let members = tenant.user_members(&group).await;
    let nameless = members.first().expect("a member").clone();
    tenant
        .control(
            Method::PATCH,
            &format!("users/{nameless}"),
            json!({"userPrincipalName": ""}),
        )
        .await;
    let unnamed = tenant.group_id("Legal Ember 5").await;
    let unnamed_members = tenant.user_members(&unnamed).await;
    tenant
        .control(
            Method::PATCH,
            &format!("groups/{unnamed}"),
            json!({"displayName": ""}),
        )
        .await;

    let ran = run(aadsync(
        &db,
        &[
            "sync",
            "--org",
            "1",
            "--user",
            ALEX,
            "--group",
            &group,
            "--group",
            &unnamed,
            "--members",
            "--json",
        ],
    ))
    .await;
    assert_eq!(ran.code, Some(3), "{ran}");
    let report = ran.json();
    let failed: BTreeSet<(String, String, String)> = items(&report)
        .into_iter()
        .filter(|(_, _, outcome, _)| outcome == "failed")
        .map(|(kind, id, _, detail)| (kind, id, detail))
        .collect();
    let expected_failures = [
        (
            "user",
            ALEX,
            "the account name alex.wilber@contoso.com is already used by another user",
        ),
        (
            "user",
            nameless.as_str(),
            "Entra ID returned no user principal name for this user",
        ),
        (
            "group",
            unnamed.as_str(),
            "Entra ID returned no display name for this group",
        ),
    ];
    assert_eq!(
        failed,
        expected_failures
            .iter()
            .map(|(k, i, d)| (k.to_string(), i.to_string(), d.to_string()))
            .collect()
    );

    // The database: the failed objects are not there, the local account is untouched, the
    // others are imported with Graph's values.
    let mut imported: BTreeSet<String> = members.union(&unnamed_members).cloned().collect();
    imported.remove(&nameless);
    assert!(!imported.contains(ALEX));
    assert_eq!(db::imported_users(&db), tenant.users(&imported).await);
    assert_eq!(db::other_users(&db), local);
    assert_eq!(
        db::imported_groups(&db),
        BTreeMap::from([(
            group.clone(),
            ("Finance Ember 13".to_owned(), "azure_ad".to_owned())
        )])
    );
    let joined: BTreeSet<String> = members
        .difference(&[nameless.clone()].into())
        .cloned()
        .collect();
    assert_eq!(db::memberships(&db), memberships_of(&group, &joined));
    // The audit log records the failures with their reasons, and a run with failures does not
    // move the change-tracking position (the next sync reads everything again).
    let runs = db::runs(&db);
    assert_eq!(runs.len(), 1, "{runs:?}");
    let logged: BTreeSet<(String, String, String)> = db::run_items(&db, runs[0].id)
        .into_iter()
        .filter(|(_, _, outcome, _)| outcome == "failed")
        .map(|(kind, id, _, reason)| (kind, id, reason.unwrap_or_default()))
        .collect();
    assert_eq!(logged, failed);
    assert_eq!(db::users_delta_link(&db), None);
}

/// Exit 1: a Graph that stays down while a sync reads leaves the database file as it was.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_read_writes_nothing() {
    if !in_session("a_failed_read_writes_nothing", KeyringMode::Unlocked) {
        return;
    }
    let emulator = Emulator::start_demo().await.expect("emulator");
    let tenant = Tenant::new(&emulator);
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("aadsync.sqlite3");
    add_organization(&emulator, &db).await;
    let first = run(aadsync(&db, &["sync", "--org", "1", "--user", ALEX])).await;
    assert_eq!(first.code, Some(0), "{first}");
    assert_eq!(
        db::imported_users(&db),
        tenant.users([&ALEX.to_owned()]).await
    );

    // A change waiting in Entra ID, and the change-tracking reads failing for good.
    tenant
        .control(
            Method::PATCH,
            &format!("users/{ALEX}"),
            json!({"displayName": "Alex Renamed", "department": "Sales"}),
        )
        .await;
    tenant
        .control(
            Method::POST,
            "faults",
            json!({"path": "/v1.0/*/delta", "kind": "unavailable", "retryAfter": "0.05"}),
        )
        .await;
    let before = db::dump(&db);
    let bytes = std::fs::read(&db).expect("db file");
    let snapshots = files_beside(&db);
    let failed = run(aadsync(&db, &["sync", "--org", "1"])).await;
    assert_eq!(failed.code, Some(1), "{failed}");
    assert!(failed.stderr.contains("did not recover"), "{failed}");
    db::assert_same(&before, &db::dump(&db), "exit 1");
    assert!(
        std::fs::read(&db).expect("db file") == bytes,
        "the database file changed"
    );
    assert_eq!(files_beside(&db), snapshots, "no snapshot is taken");

    // Once Graph answers again, the same sync writes the change.
    tenant.control(Method::DELETE, "faults", json!({})).await;
    let again = run(aadsync(&db, &["sync", "--org", "1"])).await;
    assert_eq!(again.code, Some(0), "{again}");
    assert_eq!(
        db::imported_users(&db),
        tenant.users([&ALEX.to_owned()]).await
    );
    assert_ne!(before.rows("users"), db::dump(&db).rows("users"));
}

/// Every file under the database's directory (snapshots included), for "nothing was written".
fn files_beside(db: &Path) -> BTreeSet<String> {
    fn walk(dir: &Path, out: &mut BTreeSet<String>) {
        for entry in std::fs::read_dir(dir).expect("dir").flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, out);
            } else {
                out.insert(path.display().to_string());
            }
        }
    }
    let mut out = BTreeSet::new();
    walk(db.parent().expect("dir"), &mut out);
    out
}

/// Two synchronizations of Marketing with changes in Entra ID between them.
struct TwoRuns {
    _emulator: Emulator,
    _dir: tempfile::TempDir,
    db: std::path::PathBuf,
    /// Before the first run.
    before_first: db::Dump,
    /// Before and after the second run.
    before: db::Dump,
    after: db::Dump,
    first: i64,
    second: i64,
    /// Each run's items after the second run: (type, object ID, outcome, reason).
    items: BTreeMap<i64, db::RunItems>,
}

async fn two_runs() -> TwoRuns {
    let emulator = Emulator::start_demo().await.expect("emulator");
    let tenant = Tenant::new(&emulator);
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("aadsync.sqlite3");
    add_organization(&emulator, &db).await;
    let before_first = db::dump(&db);
    let marketing = tenant.group_id("Marketing").await;
    let first = run(aadsync(
        &db,
        &["sync", "--org", "1", "--group", &marketing, "--members"],
    ))
    .await;
    assert_eq!(first.code, Some(0), "{first}");
    let members = tenant.user_members(&marketing).await;

    // Entra ID changes: Alex renamed, another member disabled, a third leaves the group.
    let mut others = members.iter().filter(|id| *id != ALEX);
    let disabled = others.next().expect("member").clone();
    let leaver = others.next().expect("member").clone();
    tenant
        .control(
            Method::PATCH,
            &format!("users/{ALEX}"),
            json!({"userPrincipalName": "alex.renamed@contoso.com"}),
        )
        .await;
    tenant
        .control(
            Method::PATCH,
            &format!("users/{disabled}"),
            json!({"accountEnabled": false}),
        )
        .await;
    tenant
        .control(
            Method::POST,
            &format!("groups/{marketing}/members"),
            json!({"remove": [leaver]}),
        )
        .await;

    let before = db::dump(&db);
    let second = run(aadsync(&db, &["sync", "--org", "1"])).await;
    assert_eq!(second.code, Some(0), "{second}");
    let after = db::dump(&db);
    // The run really changed the rows, as Graph has them (so an undo restoring nothing would
    // be seen).
    let still = tenant.user_members(&marketing).await;
    let users = db::imported_users(&db);
    assert_eq!(users, tenant.users(&members).await);
    assert_eq!(users[ALEX].account_name, "alex.renamed@contoso.com");
    assert!(!users[&disabled].enabled);
    assert!(!still.contains(&leaver));
    assert_eq!(db::memberships(&db), memberships_of(&marketing, &still));
    let runs = db::runs(&db);
    assert_eq!(
        runs.iter()
            .map(|r| (r.kind.as_str(), r.status.as_str()))
            .collect::<Vec<_>>(),
        [("sync", "succeeded"), ("sync", "succeeded")]
    );
    let items = runs
        .iter()
        .map(|r| (r.id, db::run_items(&db, r.id)))
        .collect::<BTreeMap<_, _>>();
    assert_eq!(items[&runs[0].id].len(), 39);
    assert_eq!(items[&runs[1].id].len(), 3);
    TwoRuns {
        _emulator: emulator,
        _dir: dir,
        db,
        before_first,
        before,
        after,
        first: runs[0].id,
        second: runs[1].id,
        items,
    }
}

/// The token `undo --run N` printed for `--yes --token`.
fn token_in(preview: &str) -> String {
    preview
        .split("--token ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no token in {preview}"))
        .to_owned()
}

/// `undo --run N` shows what undoing any run would do, with what changed since as conflicts
/// named by user, and writes nothing; `--yes` undoes it (every table but the append-only log
/// as before the run); a `--token` from a preview the database no longer matches is refused
/// and writes nothing; both runs undone, newest first, leave the database as before both.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undo_restores_the_database_as_it_was_before_the_run() {
    if !in_session(
        "undo_restores_the_database_as_it_was_before_the_run",
        KeyringMode::Unlocked,
    ) {
        return;
    }
    // Bound whole: the emulator and the directory must outlive the checks.
    let setup = two_runs().await;
    let TwoRuns {
        db,
        before_first,
        before,
        after,
        first,
        second,
        items,
        ..
    } = &setup;
    let (first, second) = (first.to_string(), second.to_string());

    // The older run can be undone too: what the newer run changed is a conflict, by name.
    let older = run(aadsync(db, &["undo", "--run", &first])).await;
    assert_eq!(older.code, Some(6), "{older}");
    assert!(
        older.stdout.contains("Changed since the run (2;")
            && older
                .stdout
                .contains("user alex.renamed@contoso.com: changed since"),
        "{older}"
    );
    let older_token = token_in(&older.stdout);
    let ask = run(aadsync(db, &["undo", "--run", &second])).await;
    assert_eq!(ask.code, Some(6), "{ask}");
    assert!(
        ask.stdout.contains("Nothing it changed was changed since.")
            && ask.stdout.contains("Run again with --yes --token "),
        "{ask}"
    );
    db::assert_same(after, &db::dump(db), "previews write nothing");

    let undo = run(aadsync(db, &["undo", "--run", &second, "--yes"])).await;
    assert_eq!(undo.code, Some(0), "{undo}");
    db::assert_same(
        &db::without(before, AUDIT_TABLES),
        &db::without(&db::dump(db), AUDIT_TABLES),
        "undo",
    );
    // The preview of the older run was taken before that undo: refused, nothing written.
    let undone_once = db::dump(db);
    let stale = run(aadsync(
        db,
        &["undo", "--run", &first, "--yes", "--token", &older_token],
    ))
    .await;
    assert_eq!(stale.code, Some(1), "{stale}");
    assert!(
        stale.stderr.contains(&format!(
            "the database changed since the undo of run #{first} was previewed"
        )),
        "{stale}"
    );
    db::assert_same(&undone_once, &db::dump(db), "stale token");
    let undo = run(aadsync(db, &["undo", "--run", &first, "--yes"])).await;
    assert_eq!(undo.code, Some(0), "{undo}");
    db::assert_same(
        &db::without(before_first, AUDIT_TABLES),
        &db::without(&db::dump(db), AUDIT_TABLES),
        "both undone",
    );

    let runs = db::runs(db);
    let (first, second): (i64, i64) = (first.parse().expect("id"), second.parse().expect("id"));
    // Append-only: the undone runs keep their row as it was; each undo names its run.
    assert_eq!(
        runs.iter()
            .map(|r| (r.id, r.kind.as_str(), r.status.as_str(), r.undoes_run))
            .collect::<Vec<_>>(),
        [
            (first, "sync", "succeeded", None),
            (second, "sync", "succeeded", None),
            (second + 1, "undo", "succeeded", Some(second)),
            (second + 2, "undo", "succeeded", Some(first))
        ]
    );
    for (undo, undone) in [(2, second), (3, first)] {
        assert!(
            runs[undo]
                .message
                .as_deref()
                .is_some_and(|m| m.starts_with(&format!("undid run #{undone}: "))),
            "{runs:?}"
        );
    }
    // The undone runs' items stay in the audit log, and `runs` shows the table with each run
    // an undo names as undone.
    assert_eq!(db::run_items(db, second), items[&second]);
    assert_eq!(db::run_items(db, first), items[&first]);
    let listed = run(aadsync(db, &["runs", "--json"])).await;
    assert_eq!(listed.code, Some(0), "{listed}");
    let listed: Vec<(i64, String, String)> = listed
        .json()
        .as_array()
        .expect("runs")
        .iter()
        .map(|r| {
            (
                r["id"].as_i64().expect("id"),
                r["kind"].as_str().expect("kind").to_owned(),
                r["status"].as_str().expect("status").to_owned(),
            )
        })
        .collect();
    let undone: Vec<i64> = runs.iter().filter_map(|r| r.undoes_run).collect();
    let mut stored: Vec<(i64, String, String)> = runs
        .into_iter()
        .map(|r| {
            let status = if undone.contains(&r.id) {
                "undone".to_owned()
            } else {
                r.status
            };
            (r.id, r.kind, status)
        })
        .collect();
    stored.reverse();
    assert_eq!(listed, stored, "newest first");
}

/// Undo keeps the audit log of the runs before the undone one: it only ever appends.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undo_keeps_the_items_of_earlier_runs() {
    if !in_session(
        "undo_keeps_the_items_of_earlier_runs",
        KeyringMode::Unlocked,
    ) {
        return;
    }
    let setup = two_runs().await;
    let TwoRuns {
        db,
        first,
        second,
        items,
        ..
    } = &setup;
    let (first, second) = (*first, *second);
    let undo = run(aadsync(
        db,
        &["undo", "--run", &second.to_string(), "--yes"],
    ))
    .await;
    assert_eq!(undo.code, Some(0), "{undo}");
    assert_eq!(
        db::run_items(db, first).len(),
        items[&first].len(),
        "the items of run #{first} were lost by undoing run #{second}"
    );
    assert_eq!(db::run_items(db, first), items[&first]);
}

/// The directory data and local users: what a restore replaces with the backup's.
const RESTORED_TABLES: &[&str] = &[
    "users",
    "azure_users",
    "groups",
    "azure_groups",
    "memberships",
    "azure_user_tombstones",
    "azure_scope_roots",
    "azure_scope_reasons",
];

/// A database written through the store (no Graph needed): a local user, and a run that
/// imported `users` with a group holding them all.
fn write_database(db: &Path, local: &str, users: &[(&str, &str)]) {
    use aadsync_store::{DirectoryChanges, DirectoryGroup, DirectoryUser, NewLocalUser, RunInfo};
    let store =
        aadsync_store::Store::open(db, &aadsync_store::OpenOptions::default()).expect("open");
    store
        .writer()
        .create_local_user(
            &NewLocalUser {
                account_name: local.into(),
                full_name: format!("{local} Example"),
                email: String::new(),
                phone: String::new(),
                department: String::new(),
                description: String::new(),
                enabled: true,
                password: aadsync_keystore::SecretString::new("Correct-Horse-9"),
            },
            &aadsync_store::PasswordPolicy::default(),
        )
        .expect("local user");
    let changes = DirectoryChanges {
        users: users
            .iter()
            .map(|(id, upn)| DirectoryUser {
                object_id: (*id).into(),
                user_principal_name: Some((*upn).into()),
                display_name: (*upn).into(),
                account_enabled: true,
                ..DirectoryUser::default()
            })
            .collect(),
        groups: vec![DirectoryGroup {
            object_id: "g-team".into(),
            display_name: "Team".into(),
            security_enabled: true,
            members: Some(users.iter().map(|(id, _)| (*id).to_owned()).collect()),
            ..DirectoryGroup::default()
        }],
        ..DirectoryChanges::default()
    };
    let run = RunInfo {
        tenant_id: "3f1c2e2a-5d0b-4a4f-9f3e-2b8c6a7d9e10".into(),
        started_by: "admin@contoso.com".into(),
    };
    store
        .writer()
        .apply_directory_changes(&run, &changes)
        .expect("import");
}

/// `backup` prints the one backup's path; `backups` lists it; `restore-backup` without --yes
/// says what it would do and writes nothing, refuses a file that is not one of the backups,
/// and with --yes brings back the directory data and local users of the backup exactly, while
/// the audit log keeps every run and item and records the restore.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_and_restore_backup_from_the_command_line() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("aadsync.sqlite3");
    write_database(
        &db,
        "carl",
        &[("o-ann", "ann@contoso.com"), ("o-bob", "bob@contoso.com")],
    );

    let none = run(aadsync(&db, &["backups"])).await;
    assert_eq!(none.code, Some(0), "{none}");
    assert!(none.stdout.contains("No backups yet"), "{none}");
    let backup = run(aadsync(&db, &["backup"])).await;
    assert_eq!(backup.code, Some(0), "{backup}");
    let path = backup.stdout.trim().to_owned();
    assert_eq!(
        Path::new(&path),
        dir.path()
            .join("aadsync.sqlite3.backups")
            .join("aadsync.backup.sqlite3")
    );
    let in_backup = db::dump(Path::new(&path));
    let listed = run(aadsync(&db, &["backups", "--json"])).await;
    assert_eq!(listed.code, Some(0), "{listed}");
    let listed = listed.json();
    let listed = listed.as_array().expect("list");
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["path"], path.as_str());
    assert_eq!(listed[0]["kind"], "backup");
    assert_eq!(
        listed[0]["bytes"].as_u64(),
        Some(std::fs::metadata(&path).expect("size").len())
    );

    // Later: another local user, ann gone from the import, cy imported.
    write_database(
        &db,
        "dave",
        &[("o-bob", "bob@contoso.com"), ("o-cy", "cy@contoso.com")],
    );
    let before = db::dump(&db);
    let items_before: BTreeMap<i64, db::RunItems> = db::runs(&db)
        .iter()
        .map(|r| (r.id, db::run_items(&db, r.id)))
        .collect();
    assert_ne!(
        db::dump(&db).rows("users"),
        in_backup.rows("users"),
        "the database changed since the backup"
    );

    let ask = run(aadsync(&db, &["restore-backup", &path])).await;
    assert_eq!(ask.code, Some(6), "{ask}");
    assert!(
        ask.stdout.contains("Run again with --yes") && ask.stdout.contains(&path),
        "{ask}"
    );
    let copy = dir.path().join("copy.sqlite3");
    std::fs::copy(&path, &copy).expect("copy");
    let foreign = run(aadsync(
        &db,
        &["restore-backup", &copy.display().to_string(), "--yes"],
    ))
    .await;
    assert_eq!(foreign.code, Some(1), "{foreign}");
    assert!(
        foreign
            .stderr
            .contains("is not one of this database's backups"),
        "{foreign}"
    );
    db::assert_same(&before, &db::dump(&db), "not restored");

    let restore = run(aadsync(&db, &["restore-backup", &path, "--yes"])).await;
    assert_eq!(restore.code, Some(0), "{restore}");
    let after = db::dump(&db);
    for table in RESTORED_TABLES {
        assert_eq!(after.rows(table), in_backup.rows(table), "{table}");
    }
    let runs = db::runs(&db);
    assert_eq!(
        runs.iter()
            .map(|r| (r.kind.as_str(), r.status.as_str()))
            .collect::<Vec<_>>(),
        [
            ("sync", "succeeded"),
            ("sync", "succeeded"),
            ("undo", "succeeded")
        ]
    );
    assert!(
        runs[2]
            .message
            .as_deref()
            .is_some_and(|m| m.starts_with(&format!("restored the backup {path} (taken "))),
        "{runs:?}"
    );
    for (run_id, items) in items_before {
        assert_eq!(db::run_items(&db, run_id), items, "run #{run_id} kept");
    }
    assert!(
        restore
            .stdout
            .contains(&format!("recorded as run #{}", runs[2].id)),
        "{restore}"
    );
}

/// `aadsync --version` names the version and the commit it was built from (issue 18), as git
/// reports this checkout's.
#[tokio::test]
async fn version_names_the_build_commit() {
    let dir = tempfile::tempdir().expect("dir");
    let ran = run(aadsync(&dir.path().join("x.sqlite3"), &["--version"])).await;
    let head = std::process::Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .output()
        .expect("git");
    let head = String::from_utf8_lossy(&head.stdout).trim().to_owned();
    assert_eq!(head.len(), 12, "a git checkout");
    assert_eq!(
        ran.stdout.trim(),
        format!("aadsync {} (build {head})", env!("CARGO_PKG_VERSION")),
        "{ran}"
    );
}

/// Shell completions and the man page come from the command line's own definitions (issue
/// 18): bash accepts the script and it completes the subcommands and their options; `man`
/// renders the page without a warning, and it documents every subcommand.
#[tokio::test]
async fn completions_and_the_man_page_cover_every_subcommand() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("x.sqlite3");
    let bash = run(aadsync(&db, &["completions", "bash"])).await;
    assert_eq!(bash.code, Some(0), "{bash}");
    let script = dir.path().join("aadsync.bash");
    std::fs::write(&script, &bash.stdout).expect("script");
    let syntax = std::process::Command::new("bash")
        .arg("-n")
        .arg(&script)
        .output()
        .expect("bash");
    assert!(
        syntax.status.success(),
        "{}",
        String::from_utf8_lossy(&syntax.stderr)
    );
    for word in [
        "schedule",
        "--every",
        "--check-deleted",
        "restore-backup",
        "completions",
    ] {
        assert!(bash.stdout.contains(word), "{word} is not completed");
    }
    assert!(!db.exists(), "generating opens no database");

    let man = run(aadsync(&db, &["man"])).await;
    assert_eq!(man.code, Some(0), "{man}");
    let page = dir.path().join("aadsync.1");
    std::fs::write(&page, &man.stdout).expect("page");
    let rendered = std::process::Command::new("man")
        .args(["--warnings", "-l"])
        .arg(&page)
        .env("MANPAGER", "cat")
        .env("MANWIDTH", "100")
        .output()
        .expect("man (Debian package man-db)");
    let text = String::from_utf8_lossy(&rendered.stdout);
    let warnings = String::from_utf8_lossy(&rendered.stderr);
    assert!(
        rendered.status.success() && warnings.trim().is_empty(),
        "{warnings}"
    );
    for subcommand in [
        "org",
        "sync",
        "schedule",
        "undo",
        "backup",
        "restore-backup",
        "runs",
    ] {
        assert!(
            text.contains(&format!("aadsync-{subcommand}(1)")),
            "{subcommand} missing from:\n{text}"
        );
    }
}
