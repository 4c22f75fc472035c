//! What `aadsync org add` says when a sign-in cannot finish as the README's registration would:
//! the likely causes after 30 s without a redirect (still waiting), and "cannot tell" naming
//! the token configuration when the registration puts no roles in the ID token.

use crate::support::{aadsync, cli, db, with_device_code};
use aadsync_emulator::browser::Person;
use aadsync_emulator::{Emulator, demo};
use aadsync_testenv::{KeyringMode, in_session};
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_redirect_after_30_seconds_lists_the_likely_causes_and_keeps_waiting() {
    if !in_session(
        "signin_hints::no_redirect_after_30_seconds_lists_the_likely_causes_and_keeps_waiting",
        KeyringMode::Unlocked,
    ) {
        return;
    }
    let emulator = Emulator::start_demo().await.expect("emulator");
    let dir = tempfile::tempdir().expect("dir");
    let db_path = dir.path().join("aadsync.sqlite3");
    let mut add = cli(&db_path);
    // A browser that opens and never comes back, as when Entra shows an error page.
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
    ])
    .env("BROWSER", "true")
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = add.spawn().expect("spawn");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let started = std::time::Instant::now();
    let mut seen = String::new();
    let read = tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(line) = lines.next_line().await.expect("read") {
            seen.push_str(&line);
            seen.push('\n');
            if line.contains("keeps waiting") {
                return;
            }
        }
    })
    .await;
    assert!(read.is_ok(), "no hint within 60 s:\n{seen}");
    let waited = started.elapsed();
    for cause in [
        "AADSTS50011",
        "Mobile and desktop applications",
        "http://localhost",
        "AADSTS700016",
        "AADSTS90002",
        "Allow public client flows",
        demo::CLIENT_ID,
    ] {
        assert!(seen.contains(cause), "{cause} missing:\n{seen}");
    }
    assert!(waited >= Duration::from_secs(29), "shown after {waited:?}");
    assert!(
        child.try_wait().expect("status").is_none(),
        "the sign-in must go on waiting"
    );
    child.kill().await.expect("kill");
    assert_eq!(db::organizations(&db_path), []);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registration_without_the_roles_claim_is_told_what_to_add() {
    if !in_session(
        "signin_hints::a_registration_without_the_roles_claim_is_told_what_to_add",
        KeyringMode::Unlocked,
    ) {
        return;
    }
    let emulator = Emulator::start_demo().await.expect("emulator");
    let dir = tempfile::tempdir().expect("dir");
    let db_path = dir.path().join("aadsync.sqlite3");
    let add = aadsync(
        &db_path,
        &[
            "org",
            "add",
            "--tenant",
            "contoso.com",
            "--client-id",
            demo::NO_ROLES_CLAIM_CLIENT_ID,
            "--cloud",
            "custom",
            "--authority",
            emulator.base_url(),
            "--device-code",
        ],
    );
    let (ok, text) = with_device_code(add, Person::demo_admin(emulator.clock().now())).await;
    assert!(!ok, "{text}");
    assert!(
        text.contains("cannot tell whether admin@contoso.com is an administrator")
            && text.contains("Token configuration")
            && text.contains("Directory roles"),
        "{text}"
    );
    assert_eq!(db::organizations(&db_path), []);
}
