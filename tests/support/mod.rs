//! Test support: the app fixture, and helpers split into actions, finders and checks.

// A failed expectation in a test is the failure report.
#![allow(clippy::expect_used, clippy::unwrap_used)]

pub mod actions;
pub mod app;
pub mod checks;
pub mod desktop;
pub mod finders;
pub mod trust;

pub use app::{App, AppOptions};

/// Errors in E2E tests carry their context as text; a failing test prints it.
pub type Result<T = ()> = std::result::Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// How long any single UI condition may take. Generous: a cold debug build under Xvfb on a
/// 2-core machine can take several seconds to paint its first frame.
pub const UI_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(45);
