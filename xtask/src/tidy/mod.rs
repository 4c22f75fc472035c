//! The tidy test: rules about the code's shape that the compiler and clippy do not enforce,
//! checked over the whole workspace by `workspace_is_tidy` (run by `cargo test --workspace`,
//! hence by CI) and printed in full by `cargo xtask tidy`.
//!
//! The rules, each reported with the offending path (and line where there is one):
//! - `module-docs`: every `.rs` file starts with a `//!` comment saying what it is for.
//! - `panics`: no `unwrap`/`expect` outside tests (`#[cfg(test)]` items, `tests/` and
//!   `benches/` directories, the `testenv` test-infrastructure crate and xtask may panic).
//! - `file-length`: at most 600 lines outside tests; `tests/` and `benches/` are exempt.
//! - `long-fn`: functions at most 80 lines, outside tests.
//! - `crate-cycle`: no dependency cycle among workspace packages, dev-dependencies included.
//! - `module-cycle`: no cycle among a crate's modules (see `modules` for what counts).
//!
//! Today's violations are listed in [`KNOWN`] (`known.rs`), each with its reason. The test
//! fails on a violation that is not listed, and also on a listed one that no longer occurs, so
//! the list can only shrink: whoever fixes one deletes its line.
//!
//! The checks scan masked source text (see `source`) instead of parsing it with `syn`: xtask
//! is std-only and builds in seconds on the 2-core CI machine, and every rule here is about
//! lines, braces and paths, which scanning with comments and literals blanked out gets right
//! for this workspace. Each scanner's limits are documented where it is defined.

mod checks;
mod deps;
mod graph;
mod json;
mod known;
mod modules;
#[cfg(test)]
mod shipped;
mod source;

use known::KNOWN;
use source::Source;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// One broken rule.
#[derive(Debug, PartialEq)]
pub struct Violation {
    /// The rule's name, as in [`KNOWN`].
    pub check: &'static str,
    /// What [`KNOWN`] matches on: a path, `path:function`, or a cycle's members.
    pub key: String,
    /// Lines, lengths, the concrete cycle: for the reader, not for matching (they move).
    pub detail: String,
}

impl Violation {
    pub fn new(check: &'static str, key: &str, detail: String) -> Violation {
        Violation {
            check,
            key: key.to_owned(),
            detail,
        }
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}: {}", self.check, self.key, self.detail)
    }
}

/// `cargo xtask tidy`: every violation, the known ones marked, then the verdict.
pub fn run(root: &Path) -> Result<(), String> {
    let found = check_workspace(root)?;
    for violation in &found {
        let mark = if is_known(violation, KNOWN) {
            "known"
        } else {
            "NEW  "
        };
        println!("{mark} {violation}");
    }
    let summary = verdict(&found, KNOWN)?;
    println!("\n{summary}");
    Ok(())
}

/// Compares what was found with the allowlist: the summary when every violation is listed
/// and every listed one still occurs, else a message naming each difference.
fn verdict(found: &[Violation], known: &[(&str, &str, &str)]) -> Result<String, String> {
    let new: Vec<String> = found
        .iter()
        .filter(|v| !is_known(v, known))
        .map(|v| format!("  {v}"))
        .collect();
    let gone: Vec<String> = known
        .iter()
        .filter(|(check, key, _)| !found.iter().any(|v| v.check == *check && v.key == *key))
        .map(|(check, key, _)| format!("  {check}: {key}"))
        .collect();
    let mut message = String::new();
    if !new.is_empty() {
        message += &format!(
            "tidy: {} new violation(s); fix them (the allowlist is for violations that \
             predate the tidy test):\n{}\n",
            new.len(),
            new.join("\n")
        );
    }
    if !gone.is_empty() {
        message += &format!(
            "tidy: {} allowlisted violation(s) no longer occur; delete them from KNOWN in \
             xtask/src/tidy/known.rs:\n{}\n",
            gone.len(),
            gone.join("\n")
        );
    }
    if message.is_empty() {
        Ok(format!(
            "tidy: ok ({} known violation(s) allowlisted)",
            found.len()
        ))
    } else {
        Err(message)
    }
}

fn is_known(violation: &Violation, known: &[(&str, &str, &str)]) -> bool {
    known
        .iter()
        .any(|(check, key, _)| *check == violation.check && *key == violation.key)
}

/// Runs every check over the workspace at `root`.
fn check_workspace(root: &Path) -> Result<Vec<Violation>, String> {
    let metadata = cargo_metadata(root)?;
    let packages = deps::packages(&metadata);
    let mut found: Vec<Violation> = deps::crate_cycles(&packages)
        .into_iter()
        .map(|(key, detail)| Violation::new("crate-cycle", &key, detail))
        .collect();

    let mut test_files = Vec::new();
    let mut roots: Vec<&PathBuf> = packages.iter().flat_map(|p| &p.roots).collect();
    roots.sort();
    roots.dedup();
    for crate_root in roots {
        let krate = modules::Crate::load(crate_root, &|p| std::fs::read_to_string(p).ok());
        for cycle in krate.cycles() {
            let files: Vec<String> = cycle.files.iter().map(|f| relative(root, f)).collect();
            let mut steps: Vec<String> = cycle
                .example
                .iter()
                .map(|(file, line)| format!("{}:{line}", relative(root, file)))
                .collect();
            steps.extend(files.first().cloned());
            let detail = format!("uses: {}", steps.join(" -> "));
            found.push(Violation::new("module-cycle", &files.join(" <-> "), detail));
        }
        test_files.extend(krate.test_files.iter().map(|f| relative(root, f)));
    }

    for file in rust_files(root)? {
        let path = relative(root, &file);
        let text = std::fs::read_to_string(&file)
            .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
        let source = Source::new(&text);
        if !source.balanced() {
            return Err(format!(
                "tidy misread {path}: its brackets do not balance once comments and literals \
                 are blanked; teach `source::mask` the construct it missed"
            ));
        }
        let test_code = is_test_path(&path) || test_files.contains(&path);
        found.extend(checks::module_docs(&path, &source));
        if !(test_code || may_panic(&path)) {
            found.extend(checks::panics(&path, &source));
        }
        if !test_code {
            found.extend(checks::file_length(&path, &source));
            found.extend(checks::long_functions(&path, &source));
        }
    }
    Ok(found)
}

/// Test code by location: integration tests, their support modules, and benchmarks.
fn is_test_path(path: &str) -> bool {
    path.split('/').any(|c| c == "tests" || c == "benches")
}

/// Code whose panics are test failures or a developer's tool stopping, not a user's crash.
fn may_panic(path: &str) -> bool {
    path.starts_with("crates/testenv/") || path.starts_with("xtask/")
}

/// `path` relative to `root`, with `/` separators (the form the allowlist uses).
fn relative(root: &Path, path: &Path) -> String {
    let path = path.strip_prefix(root).unwrap_or(path);
    path.to_string_lossy().replace('\\', "/")
}

/// Every `.rs` file of the workspace's members, in a stable order. Build output (`target`,
/// `frontend/dist`), generated Tauri files (`gen`) and hidden directories are skipped.
fn rust_files(root: &Path) -> Result<Vec<PathBuf>, String> {
    let mut files = Vec::new();
    let mut dirs: Vec<PathBuf> = ["crates", "src-tauri", "frontend", "tests", "xtask"]
        .iter()
        .map(|d| root.join(d))
        .collect();
    while let Some(dir) = dirs.pop() {
        let entries =
            std::fs::read_dir(&dir).map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
        for entry in entries {
            let path = entry
                .map_err(|e| format!("cannot list {}: {e}", dir.display()))?
                .path();
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
            let name = name.unwrap_or_default();
            if path.is_dir() {
                let skip = ["target", "dist", "gen", "node_modules"].contains(&name.as_str());
                if !skip && !name.starts_with('.') {
                    dirs.push(path);
                }
            } else if name.ends_with(".rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}

/// `cargo metadata --no-deps` for the workspace, parsed.
fn cargo_metadata(root: &Path) -> Result<json::Json, String> {
    // Under `cargo test`/`cargo run`, CARGO is the cargo running us (the right toolchain).
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .arg("--manifest-path")
        .arg(root.join("Cargo.toml"))
        .output()
        .map_err(|e| format!("cannot run cargo metadata: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "cargo metadata failed: {}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    json::parse(&String::from_utf8_lossy(&output.stdout))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn workspace_root() -> PathBuf {
        // xtask's manifest is <root>/xtask/Cargo.toml.
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .unwrap()
            .to_path_buf()
    }

    /// The tidy test itself.
    #[test]
    fn workspace_is_tidy() {
        let found = check_workspace(&workspace_root()).unwrap();
        if let Err(message) = verdict(&found, KNOWN) {
            panic!("\n{message}\nRun `cargo xtask tidy` for the full list.");
        }
    }

    #[test]
    fn allowlist_entries_are_unique_and_name_real_checks() {
        let checks = [
            "module-docs",
            "panics",
            "file-length",
            "long-fn",
            "crate-cycle",
            "module-cycle",
        ];
        for (i, (check, key, why)) in KNOWN.iter().enumerate() {
            assert!(checks.contains(check), "unknown check {check:?}");
            assert!(!why.is_empty(), "{check} {key}: say why it is allowed");
            let twice = KNOWN[..i].iter().any(|(c, k, _)| c == check && k == key);
            assert!(!twice, "{check} {key} is listed twice");
        }
    }

    #[test]
    fn verdict_fails_on_new_violations_and_on_fixed_allowlist_entries() {
        let v = |key: &str| Violation::new("panics", key, "line 3".into());
        let known = [("panics", "a.rs", "why"), ("panics", "b.rs", "why")];

        let same = verdict(&[v("a.rs"), v("b.rs")], &known);
        assert_eq!(
            same,
            Ok("tidy: ok (2 known violation(s) allowlisted)".into())
        );

        let new = verdict(&[v("a.rs"), v("b.rs"), v("c.rs")], &known).unwrap_err();
        assert!(new.contains("1 new violation(s)") && new.contains("panics: c.rs: line 3"));

        let fixed = verdict(&[v("a.rs")], &known).unwrap_err();
        assert!(fixed.contains("1 allowlisted violation(s) no longer occur"));
        assert!(fixed.contains("  panics: b.rs") && !fixed.contains("new"));
    }

    #[test]
    fn test_and_tool_code_is_recognised_by_path() {
        assert!(is_test_path("crates/store/tests/store/support.rs"));
        assert!(is_test_path("tests/support/app.rs"));
        assert!(is_test_path("crates/store/benches/store_bench.rs"));
        assert!(!is_test_path("crates/store/src/plan.rs"));
        assert!(may_panic("crates/testenv/src/db.rs") && may_panic("xtask/src/steps.rs"));
        assert!(!may_panic("crates/sync/src/engine.rs"));
    }
}
