//! Refresh tokens in the real Secret Service (gnome-keyring on a private D-Bus session).
//!
//! The keyring crate finds the session bus through the environment, which a test cannot change
//! in-process (`set_var` is unsafe and the workspace forbids unsafe code). Each test therefore
//! starts an isolated session and re-runs itself inside it as a child process; the child, seeing
//! `AADSYNC_KEYSTORE_CHILD`, does the real work.
#![cfg(target_os = "linux")]
// A failed expectation in a test is the failure report.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use aadsync_keystore::{
    KeyringProbe, PART_UTF16_UNITS, ProbeError, SecretString, TokenError, TokenKey, TokenStore,
};
use aadsync_testenv::{Desktop, DesktopOptions, KeyringMode};
use std::process::Command;

const CHILD: &str = "AADSYNC_KEYSTORE_CHILD";

/// Runs `test` in a child process inside a fresh session; returns true in the child.
fn in_session(test: &str, keyring: KeyringMode) -> bool {
    if std::env::var_os(CHILD).is_some() {
        return true;
    }
    let desktop = Desktop::start(&DesktopOptions {
        display: false,
        keyring,
        ..DesktopOptions::default()
    })
    .expect("an isolated D-Bus session with gnome-keyring (cargo xtask setup installs it)");
    let exe = std::env::current_exe().expect("test binary");
    let mut command = Command::new(exe);
    command
        .args(["--exact", test, "--nocapture", "--test-threads=1"])
        .env(CHILD, "1");
    desktop.apply(&mut command);
    let output = command.output().expect("run the child test");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.contains("1 passed"),
        "child test failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    false
}

fn token(len: usize) -> SecretString {
    // Base64url-like, as real refresh tokens are, and different at every position.
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    SecretString::new(
        (0..len)
            .map(|i| alphabet[(i * 7 + i / 64) % 64] as char)
            .collect::<String>(),
    )
}

#[test]
fn a_6_kb_refresh_token_rotates_and_is_removed_in_the_secret_service() {
    if !in_session(
        "a_6_kb_refresh_token_rotates_and_is_removed_in_the_secret_service",
        KeyringMode::Unlocked,
    ) {
        return;
    }
    let store = TokenStore::platform();
    let key = TokenKey::new(
        "a1b2c3d4-0000-4000-8000-000000000001",
        "0f0e0d0c-0000-4000-8000-000000000002",
    );
    assert_eq!(store.load(&key), Ok(None));
    let big = token(6 * 1024);
    assert!(
        big.len() > PART_UTF16_UNITS * 2 * 2,
        "bigger than any one entry may be"
    );
    store.save(&key, &big).expect("save 6 KB");
    assert_eq!(store.load(&key).expect("load"), Some(big));

    // A fresh store object (as after an app restart) reads the same token.
    let rotated = token(2000);
    store.save(&key, &rotated).expect("rotate");
    assert_eq!(
        TokenStore::platform().load(&key).expect("load"),
        Some(rotated)
    );

    // Another account of the same tenant is separate.
    let other = TokenKey::new(
        "a1b2c3d4-0000-4000-8000-000000000001",
        "0f0e0d0c-0000-4000-8000-000000000003",
    );
    store.save(&other, &token(100)).expect("save other");
    store.delete(&key).expect("delete");
    assert_eq!(store.load(&key), Ok(None));
    assert_eq!(store.load(&other).expect("other kept"), Some(token(100)));
    store.delete(&other).expect("delete other");

    // Nothing of ours is left behind: the probe's service is the same, and it still works.
    KeyringProbe::default()
        .run()
        .expect("keyring still healthy");
}

#[test]
fn without_a_secret_service_the_error_says_what_to_do() {
    if !in_session(
        "without_a_secret_service_the_error_says_what_to_do",
        KeyringMode::Absent,
    ) {
        return;
    }
    let store = TokenStore::platform();
    let key = TokenKey::new("t", "a");
    let err = store.save(&key, &token(10)).expect_err("no keyring");
    assert!(
        matches!(err, TokenError::Keyring(ProbeError::NoService { .. })),
        "{err:?}"
    );
    assert!(err.to_string().contains("Start one"), "{err}");
    assert!(matches!(store.load(&key), Err(TokenError::Keyring(_))));
}
