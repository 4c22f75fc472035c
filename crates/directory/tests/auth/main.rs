//! Sign-in pieces against real HTTP: the loopback listener, fed by the emulator's login.

// A failed expectation in a test is the failure report.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod admin_check;
mod code_flow;
mod device_admin;
mod id_token_rules;
mod limits;
mod loopback;
mod network;
mod props;
mod signin;
