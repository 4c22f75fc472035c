//! Integration tests of the user database on real temporary files.

// A failed expectation in a test is the failure report.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod apply;
mod attempts;
mod backup;
mod backup_kill;
mod conflicts;
mod files;
mod guards;
mod kill;
mod local_users;
mod orgs;
mod pause;
mod scope;
mod secrets;
mod snapshot;
mod support;
mod undo;
mod undo_edges;
