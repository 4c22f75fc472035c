//! Integration tests of the user database on real temporary files.

mod apply;
mod files;
mod guards;
mod local_users;
mod snapshot;
mod support;
