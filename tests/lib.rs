//! The end-to-end test fixture: the real app in an isolated desktop, driven over WebDriver.
//!
//! `support` is shared by the end-to-end tests (`e2e/`) and the UI benchmarks (`benches/`).

pub mod support;
