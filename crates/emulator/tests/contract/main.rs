//! Contract tests: the emulator over real HTTP, against the shapes in
//! `shared/reference/entra-graph-contract.md`.

// A failed expectation in a test is the failure report.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod consent;
mod control;
mod delta;
mod graph;
mod host;
mod identity;
mod memberships;
mod registrations;
mod shapes;
mod strict;
mod support;
mod throttling;
