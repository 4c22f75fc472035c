//! End-to-end tests: the real aadsync binary in WebKitGTK, driven through tauri-driver.

// A failed expectation in a test is the failure report.
#![allow(clippy::expect_used, clippy::unwrap_used)]
//!
//! Each test gets its own Xvfb display, D-Bus session, keyring and XDG directories (see
//! `aadsync-testenv`), so tests can run in parallel and never touch the developer's desktop.
//! Screenshots of every screen a test visits land in `target/e2e/screenshots/<test>/`.
//! Run with `cargo xtask test`, or after `cargo build -p aadsync-desktop` with
//! `cargo test -p aadsync-e2e` (tauri-driver and WebKitWebDriver on PATH).

mod a11y;
mod about;
mod basket;
mod cancel_write;
mod conflicts;
mod consent;
mod decisions;
mod https;
mod installed;
mod keyboard;
mod register;
mod registration;
mod schedule;
mod scope;
mod shell;
mod signin;
mod sync;
mod undo;
mod users;
