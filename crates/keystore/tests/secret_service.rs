//! Refresh tokens in the real Secret Service (gnome-keyring on a private D-Bus session).
//!
//! Each test re-runs itself inside an isolated session (`aadsync_testenv::in_session`).
#![cfg(target_os = "linux")]
// A failed expectation in a test is the failure report.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use aadsync_keystore::{
    KeyringProbe, PART_UTF16_UNITS, ProbeError, SecretString, TokenError, TokenKey, TokenStore,
};
use aadsync_testenv::{KeyringMode, in_session};

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
