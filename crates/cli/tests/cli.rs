//! The `aadsync` binary against the emulator over HTTP, a real database file and the real
//! Secret Service: add (device code), list, whoami, login through $BROWSER, revoked, remove,
//! and a non-administrator refused.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use aadsync_emulator::browser::{Browser, Person};
use aadsync_emulator::{Emulator, demo};
use aadsync_testenv::{KeyringMode, in_session};
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_aadsync");

fn cli(db: &Path) -> Command {
    let mut command = Command::new(BIN);
    command.arg("--db").arg(db).kill_on_drop(true);
    command
}

async fn output(mut command: Command) -> (bool, String) {
    let out = command.output().await.expect("run aadsync");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// Runs a device-code sign-in command, approving the code as `person` when it is shown.
async fn with_device_code(mut command: Command, person: Person<'_>) -> (bool, String) {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut seen = String::new();
    while let Some(line) = lines.next_line().await.expect("read") {
        seen.push_str(&line);
        seen.push('\n');
        if let Some(rest) = line.strip_prefix("To sign in, open ") {
            let (uri, rest) = rest.split_once(" and enter the code ").expect("uri");
            let code = rest.split_whitespace().next().expect("code");
            Browser::new()
                .expect("browser")
                .device_login(uri, code, &person, true)
                .await
                .expect("approve");
            break;
        }
    }
    while let Some(line) = lines.next_line().await.expect("read") {
        seen.push_str(&line);
        seen.push('\n');
    }
    let status = child.wait().await.expect("wait");
    let mut err = String::new();
    if let Some(mut stderr) = child.stderr.take() {
        use tokio::io::AsyncReadExt;
        let _ = stderr.read_to_string(&mut err).await;
    }
    (status.success(), seen + &err)
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
    let mut bad = cli(&db);
    bad.args([
        "org",
        "add",
        "--tenant",
        "contoso",
        "--client-id",
        demo::CLIENT_ID,
    ]);
    let (ok, text) = output(bad).await;
    assert!(
        !ok && text.contains("domain name such as contoso.com"),
        "{text}"
    );

    let add = || {
        let mut c = cli(&db);
        c.args([
            "org",
            "add",
            "--tenant",
            "contoso.com",
            "--client-id",
            demo::CLIENT_ID,
            "--cloud",
            "custom",
            "--authority",
            emulator.base_url(),
            "--device-code",
        ]);
        c
    };
    // A non-administrator is refused and nothing is stored.
    let alex = Person {
        upn: "alex.wilber@contoso.com",
        password: demo::USER_PASSWORD,
        totp_secret: demo::USER_TOTP_SECRET,
        now: now(),
    };
    let (ok, text) = with_device_code(add(), alex).await;
    assert!(
        !ok && text.contains("alex.wilber@contoso.com is not an administrator"),
        "{text}"
    );
    let mut list = cli(&db);
    list.args(["org", "list"]);
    assert!(output(list).await.1.contains("No organizations"));

    let (ok, text) = with_device_code(add(), Person::demo_admin(now())).await;
    assert!(ok, "{text}");
    assert!(
        text.contains(
            "Signed in to Contoso (contoso.com) as admin@contoso.com (Global Administrator)"
        ),
        "{text}"
    );
    let mut list = cli(&db);
    list.args(["org", "list"]);
    let (_, text) = output(list).await;
    assert!(
        text.contains("contoso.com") && text.contains("admin@contoso.com"),
        "{text}"
    );

    let mut whoami = cli(&db);
    whoami.arg("whoami");
    let (ok, text) = output(whoami).await;
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

    // Revoked refresh tokens: whoami says what to do and fails.
    emulator
        .revoke_refresh_tokens("admin@contoso.com")
        .expect("revoke");
    let mut whoami = cli(&db);
    whoami.arg("whoami");
    let (ok, text) = output(whoami).await;
    assert!(!ok && text.contains("aadsync login --org 1"), "{text}");

    let mut remove = cli(&db);
    remove.args(["org", "remove", "contoso.com"]);
    let (ok, text) = output(remove).await;
    assert!(
        ok && text.contains("Users imported from it are kept"),
        "{text}"
    );
    let mut list = cli(&db);
    list.args(["org", "list"]);
    assert!(output(list).await.1.contains("No organizations"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_and_sync_from_the_command_line() {
    if !in_session("list_and_sync_from_the_command_line", KeyringMode::Unlocked) {
        return;
    }
    let emulator = Emulator::start_demo().await.expect("emulator");
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("aadsync.sqlite3");
    let mut add = cli(&db);
    add.args([
        "org",
        "add",
        "--tenant",
        "contoso.com",
        "--client-id",
        demo::CLIENT_ID,
        "--cloud",
        "custom",
        "--authority",
        emulator.base_url(),
        "--device-code",
    ]);
    let (ok, text) = with_device_code(add, Person::demo_admin(emulator.clock().now())).await;
    assert!(ok, "{text}");

    let mut list = cli(&db);
    list.args(["list", "users", "--org", "1", "--json"]);
    let (ok, text) = output(list).await;
    assert!(ok, "{text}");
    let users: Vec<serde_json::Value> = serde_json::from_str(&text).expect("json");
    assert_eq!(users.len(), 300);
    let mut list = cli(&db);
    list.args([
        "list",
        "groups",
        "--org",
        "contoso.com",
        "--search",
        "Marketing",
    ]);
    let (ok, text) = output(list).await;
    assert!(ok && text.contains("Marketing"), "{text}");
    let marketing = text
        .lines()
        .find(|l| l.contains("Marketing"))
        .and_then(|l| l.split_whitespace().next())
        .expect("group id")
        .to_owned();

    // Dry run: the plan, nothing written.
    let sync_args = |dry: bool| {
        let mut c = cli(&db);
        c.args([
            "sync",
            "--org",
            "1",
            "--user",
            "alex.wilber@contoso.com",
            "--group",
            &marketing,
            "--members",
            "--json",
        ]);
        if dry {
            c.arg("--dry-run");
        }
        c
    };
    let (ok, text) = output(sync_args(true)).await;
    assert!(ok, "{text}");
    let plan: serde_json::Value = serde_json::from_str(&text).expect("plan json");
    assert!(
        plan["summary"]
            .as_str()
            .expect("summary")
            .starts_with("Plan (nothing written)"),
        "{plan}"
    );
    let planned = plan["items"].as_array().expect("items").len();
    assert!(planned > 2, "{plan}");

    let (ok, text) = output(sync_args(false)).await;
    assert!(ok, "{text}");
    let report: serde_json::Value = serde_json::from_str(&text).expect("report json");
    assert_eq!(report["items"].as_array().expect("items").len(), planned);
    assert!(
        report["items"]
            .as_array()
            .expect("items")
            .iter()
            .all(|i| i["outcome"] == "created"),
        "{report}"
    );

    // Again, with nothing selected: everything imported is refreshed (from Entra ID's changes
    // since the first sync), nothing changes; --full compares everything, same result.
    for (args, read) in [
        (vec![], "Incremental:"),
        (vec!["--full"], "Full comparison: requested"),
    ] {
        let mut again = cli(&db);
        again.args(["sync", "--org", "1", "--json"]).args(args);
        let (ok, text) = output(again).await;
        let report: serde_json::Value = serde_json::from_str(&text).expect("report json");
        assert!(ok, "{text}");
        assert!(
            report["read"].as_str().expect("read").starts_with(read),
            "{report}"
        );
        assert!(
            report["summary"]
                .as_str()
                .expect("summary")
                .contains(" 0 created, 0 updated"),
            "{report}"
        );
    }

    // Deleted in Entra ID: --check-deleted handles them; a mass deletion stops first (exit 5).
    let imported_users: Vec<String> = report["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|i| i["type"] == "user" && i["id"] != "a34546e6-5f9d-46cd-a270-950da42fb985")
        .map(|i| i["id"].as_str().expect("id").to_owned())
        .collect();
    let http = reqwest::Client::new();
    let delete = |id: String| {
        let http = http.clone();
        let url = format!("{}/_emulator/users/{id}", emulator.base_url());
        async move {
            assert!(
                http.delete(url)
                    .send()
                    .await
                    .expect("delete")
                    .status()
                    .is_success()
            )
        }
    };
    delete(imported_users[0].clone()).await;
    let mut one = cli(&db);
    one.args([
        "sync",
        "--org",
        "1",
        "--check-deleted",
        "--deleted-action",
        "delete",
    ]);
    let (ok, text) = output(one).await;
    // The deleted user, and any account the tenant has disabled, are deleted on the server.
    assert!(
        ok && text.contains("restorable for") && !text.contains(" 0 deleted,"),
        "{text}"
    );
    for id in imported_users
        .iter()
        .skip(1)
        .take(imported_users.len() / 4 + 11)
    {
        delete(id.clone()).await;
    }
    let mut many = cli(&db);
    many.args(["sync", "--org", "1", "--check-deleted"]);
    let out = many.output().await.expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(5), "{stderr}");
    assert!(
        stderr.contains("nothing was written") && stderr.contains("--allow-mass-delete"),
        "{stderr}"
    );
    // The safeguard is the organization's: raised, the same sync goes through.
    let mut raise = cli(&db);
    raise.args([
        "org",
        "set-threshold",
        "1",
        "--count",
        "1000",
        "--percent",
        "50",
    ]);
    let (ok, text) = output(raise).await;
    assert!(
        ok && text.contains("more than 1000 objects and more than 50 %"),
        "{text}"
    );
    let mut list = cli(&db);
    list.args(["org", "list"]);
    let (ok, text) = output(list).await;
    assert!(
        ok && text.contains("Deletion safeguard: more than 1000 objects and more than 50 %.")
            && text.contains("Last synchronized"),
        "{text}"
    );
    let mut raised = cli(&db);
    raised.args(["sync", "--org", "1", "--check-deleted"]);
    let (ok, text) = output(raised).await;
    assert!(ok && !text.contains(" 0 disabled,"), "{text}");
    // Set to 0 and 0, any disable stops the sync, unless --allow-mass-delete.
    let mut strict = cli(&db);
    strict.args([
        "org",
        "set-threshold",
        "1",
        "--count",
        "0",
        "--percent",
        "0",
    ]);
    assert!(output(strict).await.0);
    let mut stopped = cli(&db);
    stopped.args(["sync", "--org", "1", "--check-deleted"]);
    let out = stopped.output().await.expect("run");
    assert_eq!(
        out.status.code(),
        Some(5),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut allowed = cli(&db);
    allowed.args([
        "sync",
        "--org",
        "1",
        "--check-deleted",
        "--allow-mass-delete",
    ]);
    let (ok, text) = output(allowed).await;
    assert!(ok, "{text}");
    let mut bad = cli(&db);
    bad.args([
        "org",
        "set-threshold",
        "1",
        "--count",
        "5",
        "--percent",
        "101",
    ]);
    let out = bad.output().await.expect("run");
    assert_eq!(
        out.status.code(),
        Some(2),
        "a percentage above 100 is a usage error"
    );

    // The audit log, and undoing the last run.
    let mut runs = cli(&db);
    runs.args(["runs", "--json"]);
    let (ok, text) = output(runs).await;
    assert!(ok, "{text}");
    let runs: Vec<serde_json::Value> = serde_json::from_str(&text).expect("runs json");
    let last = runs[0]["id"].as_i64().expect("id");
    let mut ask = cli(&db);
    ask.args(["undo", "--run", &last.to_string()]);
    let (ok, text) = output(ask).await;
    assert!(!ok && text.contains("--yes"), "{text}");
    let mut undo = cli(&db);
    undo.args(["undo", "--run", &last.to_string(), "--yes"]);
    let (ok, text) = output(undo).await;
    assert!(
        ok && text.contains(&format!("Run #{last} undone")),
        "{text}"
    );
    let mut runs = cli(&db);
    runs.arg("runs");
    let (_, text) = output(runs).await;
    assert!(text.contains("undo ") && text.contains("undone"), "{text}");

    // A revoked sign-in: exit code 4 and what to run.
    emulator
        .revoke_refresh_tokens("admin@contoso.com")
        .expect("revoke");
    let mut revoked = cli(&db);
    revoked.args(["sync", "--org", "1"]);
    let out = revoked.output().await.expect("run");
    assert_eq!(out.status.code(), Some(4));
    assert!(String::from_utf8_lossy(&out.stderr).contains("aadsync login --org 1"));
}
