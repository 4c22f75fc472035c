//! The tidy test's allowlist: the violations that existed when it came in (issue 16), while
//! other engineers were refactoring the code, each with why it is still here.
//!
//! Only ever delete lines. The test fails on any violation not listed here *and* on a listed
//! one that no longer occurs, so fixing one means deleting its line, and the list can only
//! shrink. Entries match on check and key only; lines and lengths (in the test's message)
//! move with every edit. One entry a line (no rustfmt), so each fix is a one-line diff.
//!
//! Two consequences of matching on keys: a cycle that loses a member but not all of them is
//! a different cycle, so its entry is replaced by the smaller one; and a long-function entry
//! `path:name` also covers another function of that name in the same file (`new` in two
//! `impl`s), which is rare enough not to track impl blocks for.

/// `(check, path or path:fn or cycle, why it is still here)`.
#[rustfmt::skip]
pub const KNOWN: &[(&str, &str, &str)] = &[
    // crate-cycle: none today
    // module-cycle: cycles among modules where neither contains the other (see `modules`)
    // panics: unwrap/expect outside tests
    // file-length: more than 600 lines outside tests
    // long-fn: more than 80 lines; key `path:name`
];
