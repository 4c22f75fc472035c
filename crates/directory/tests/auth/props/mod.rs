//! Property tests of the sign-in's parsers of outside data (issue 14): ID tokens and the
//! request the browser sends to the loopback redirect listener. Arbitrary input, valid input
//! with arbitrary values, valid input cut short or changed: no panic, and either exactly the
//! input's values or a refusal.
//!
//! `PROPTEST_CASES=N` runs N cases per property instead of the default.

use proptest::prelude::*;
use proptest::test_runner::Config;

mod id_token;
mod loopback;

/// Cases per property: 256 unless `PROPTEST_CASES` says otherwise.
pub fn config() -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(256);
    Config::with_cases(cases)
}

/// Text a claim or a parameter may hold: any Unicode, often short and plain.
pub fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "[a-zA-Z0-9 ._@/:-]{0,12}",
        2 => any::<String>(),
        1 => Just(String::new()),
        1 => "[\"\\\\/&=+%#?\u{0}-\u{1f}\r\n\u{7f}\u{ffff}\u{10ffff}é漢😀]{0,6}",
    ]
}
