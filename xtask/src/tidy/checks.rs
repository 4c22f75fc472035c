//! The per-file checks: module docs, panicking calls, file length and function length.
//!
//! Each takes a path (relative to the workspace root, with `/`) and a [`Source`], so unit tests
//! can feed it a sample; which files a check applies to is decided by the caller
//! (`super::scope`).

use super::Violation;
use super::source::{Source, is_ident_byte};

/// Longest file, in lines outside `#[cfg(test)]` items.
pub const MAX_FILE_LINES: usize = 600;
/// Longest function, in lines from `fn` to its closing brace.
pub const MAX_FUNCTION_LINES: usize = 80;

/// Methods that panic on the unexpected case. `unwrap_or`, `unwrap_or_else`,
/// `unwrap_or_default` are other identifiers and do not match. Matching clippy's `unwrap_used`
/// and `expect_used`, the `_err` forms count too.
const PANICKING: &[&str] = &["unwrap", "expect", "unwrap_err", "expect_err"];

/// A module says what it is for in a `//!` comment before anything else. Blank lines and inner
/// attributes (`#![…]`, which rustfmt keeps in place) may come first: the comment is still the
/// module's documentation then. An empty file fails too.
pub fn module_docs(path: &str, source: &Source) -> Option<Violation> {
    let first = source
        .raw
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with("#!["));
    match first {
        Some(line) if line.starts_with("//!") => None,
        _ => Some(Violation::new(
            "module-docs",
            path,
            "does not start with a `//!` comment saying what the module is for".into(),
        )),
    }
}

/// Calls of `unwrap`/`expect` (and the `_err` forms), as `.name(` or `::name` (a path such as
/// `Option::unwrap` passed to `map`), outside `#[cfg(test)]` items: 1-based line and name.
pub fn panicking_calls(source: &Source) -> Vec<(usize, &'static str)> {
    let text = source.masked.as_bytes();
    let mut found = Vec::new();
    for &name in PANICKING {
        for (at, _) in source.masked.match_indices(name) {
            let end = at + name.len();
            if text.get(end).is_some_and(|&b| is_ident_byte(b)) {
                continue;
            }
            let before = source.masked[..at].trim_end();
            let after = source.masked[end..].trim_start();
            let method = before.ends_with('.') && !before.ends_with("..") && after.starts_with('(');
            let path = before.ends_with("::");
            let line = source.line_of(at);
            if (method || path) && !source.in_test_region(line) {
                found.push((line + 1, name));
            }
        }
    }
    found.sort_unstable();
    found
}

/// Production code returns errors instead of panicking (the workspace also warns through
/// clippy's `unwrap_used`/`expect_used`, but a warning can be `#[allow]`ed away quietly).
pub fn panics(path: &str, source: &Source) -> Option<Violation> {
    let calls = panicking_calls(source);
    if calls.is_empty() {
        return None;
    }
    let lines: Vec<String> = calls.iter().map(|(l, n)| format!("{l} ({n})")).collect();
    Some(Violation::new(
        "panics",
        path,
        format!("unwrap/expect outside tests at lines {}", lines.join(", ")),
    ))
}

/// A file this long does more than one thing; tests inside it do not count.
pub fn file_length(path: &str, source: &Source) -> Option<Violation> {
    let lines = source.non_test_line_count();
    (lines > MAX_FILE_LINES).then(|| {
        Violation::new(
            "file-length",
            path,
            format!("{lines} lines outside tests (at most {MAX_FILE_LINES})"),
        )
    })
}

/// Functions longer than [`MAX_FUNCTION_LINES`] outside `#[cfg(test)]` items. The key is
/// `path:name`, so an allowed function keeps its entry while lines above it move.
pub fn long_functions(path: &str, source: &Source) -> Vec<Violation> {
    source
        .functions()
        .into_iter()
        .filter(|f| f.lines > MAX_FUNCTION_LINES && !source.in_test_region(f.line))
        .map(|f| {
            Violation::new(
                "long-fn",
                &format!("{path}:{}", f.name),
                format!(
                    "line {}: {} lines (at most {MAX_FUNCTION_LINES})",
                    f.line + 1,
                    f.lines
                ),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_docs_first_thing_in_the_file() {
        let ok = [
            "//! Does x.\nfn a() {}\n",
            "\n#![allow(dead_code)]\n//! Does x.\n",
        ];
        for sample in ok {
            assert_eq!(
                module_docs("a.rs", &Source::new(sample)),
                None,
                "{sample:?}"
            );
        }
        let bad = [
            "use x;\n//! Late.\n",
            "/// Item doc.\nfn a() {}\n",
            "// Plain.\n",
            "",
        ];
        for sample in bad {
            let v = module_docs("a.rs", &Source::new(sample));
            assert_eq!(v.map(|v| v.key), Some("a.rs".into()), "{sample:?}");
        }
    }

    #[test]
    fn panics_found_in_code_but_not_in_tests_comments_or_strings() {
        let src = r#"//! m
fn a(x: Option<u8>) -> u8 {
    let y = x.unwrap_or(0) + x.unwrap_or_else(|| 1) + x.unwrap_or_default();
    // x.unwrap() in a comment
    let s = "x.expect(\"in a string\")";
    x.map(Some).map(Option::unwrap);
    x
        .expect("real")
}
#[expect(clippy::all)]
fn b() { r.unwrap_err(); r.unwrap() }
#[cfg(test)]
mod tests {
    fn t() { None::<u8>.unwrap(); }
}
"#;
        let source = Source::new(src);
        assert_eq!(
            panicking_calls(&source),
            [
                (6, "unwrap"),
                (8, "expect"),
                (11, "unwrap"),
                (11, "unwrap_err")
            ]
        );
        let v = panics("a.rs", &source).map(|v| v.detail);
        assert_eq!(
            v.as_deref(),
            Some(
                "unwrap/expect outside tests at lines 6 (unwrap), 8 (expect), 11 (unwrap), 11 (unwrap_err)"
            )
        );
        let clean = "//! m\nfn a(x: Option<u8>) -> u8 { x.unwrap_or(0) }\n";
        assert_eq!(panics("a.rs", &Source::new(clean)), None);
    }

    #[test]
    fn file_length_counts_lines_outside_tests() {
        let body = "fn f() {}\n".repeat(MAX_FILE_LINES - 1);
        let tests = format!("#[cfg(test)]\nmod tests {{\n{body}}}\n");
        let at_limit = format!("//! m\n{body}{tests}");
        assert_eq!(file_length("a.rs", &Source::new(&at_limit)), None);
        let over = format!("//! m\n\n{body}{tests}");
        let v = file_length("a.rs", &Source::new(&over)).map(|v| v.detail);
        assert_eq!(v.as_deref(), Some("601 lines outside tests (at most 600)"));
    }

    #[test]
    fn long_functions_reported_with_line_and_length_outside_tests() {
        let body = "    step();\n".repeat(MAX_FUNCTION_LINES - 2);
        let src = format!(
            "//! m\nfn fits() {{\n{body}}}\nfn long() {{\n{body}\n}}\n#[cfg(test)]\nmod tests {{\n    fn long_test() {{\n{body}\n    }}\n}}\n"
        );
        let found = long_functions("a.rs", &Source::new(&src));
        let found: Vec<_> = found.iter().map(|v| (&*v.key, &*v.detail)).collect();
        assert_eq!(found, [("a.rs:long", "line 82: 81 lines (at most 80)")]);
    }
}
