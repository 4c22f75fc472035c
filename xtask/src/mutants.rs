//! `cargo xtask mutants`: mutation testing of the modules that decide what a sync does, with a
//! per-module score, so that "a test proves something only if it fails when the behaviour
//! breaks" is measured rather than assumed.

use crate::steps::Ctx;
use std::collections::BTreeMap;

/// The modules whose mistakes change what lands in the database or who may sign in, and the
/// file each lives in. Their target is ≥ 90 % of viable mutants caught (TESTING.md).
pub const MODULES: &[(&str, &str)] = &[
    ("store::plan", "crates/store/src/plan.rs"),
    ("store::apply", "crates/store/src/apply/mod.rs"),
    ("store::record", "crates/store/src/record.rs"),
    ("sync::deleted", "crates/sync/src/deleted.rs"),
    ("sync::scope", "crates/sync/src/scope.rs"),
    ("sync::read", "crates/sync/src/read.rs"),
    ("sync::run", "crates/sync/src/run.rs"),
    ("sync::write", "crates/sync/src/write.rs"),
    ("ipc::safeguard", "crates/ipc/src/safeguard.rs"),
    (
        "directory::auth::id_token",
        "crates/directory/src/auth/id_token.rs",
    ),
    (
        "directory::auth::admin",
        "crates/directory/src/auth/admin.rs",
    ),
];

/// Caught, missed, timed out and unviable mutants of one module.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Tally {
    pub caught: usize,
    pub missed: usize,
    pub timeout: usize,
    pub unviable: usize,
}

impl Tally {
    /// Caught among the viable ones (a time-out counts as not caught), in whole percent.
    pub fn score(&self) -> Option<usize> {
        let viable = self.caught + self.missed + self.timeout;
        (viable > 0).then(|| self.caught * 100 / viable)
    }
}

pub fn run(ctx: &mut Ctx, args: &[String]) -> Result<(), String> {
    let chosen: Vec<(&str, &str)> = if args.is_empty() {
        MODULES.to_vec()
    } else {
        args.iter()
            .map(|a| {
                MODULES
                    .iter()
                    .copied()
                    .find(|(name, _)| name == a)
                    .ok_or_else(|| {
                        let names: Vec<_> = MODULES.iter().map(|(n, _)| *n).collect();
                        format!("unknown module {a:?}; one of: {}", names.join(", "))
                    })
            })
            .collect::<Result<_, _>>()?
    };
    let out = ctx.target_dir().join("mutants");
    std::fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    // One invocation for all files: one copy of the tree and one baseline build. Each mutant
    // is tested with the tests of its own package.
    let mut cargo = ctx.cargo();
    cargo
        .args(["mutants", "--no-shuffle", "--output"])
        .arg(&out);
    for (_, file) in &chosen {
        cargo.args(["--file", file]);
    }
    // cargo-mutants exits non-zero when a mutant is missed; the summary says which.
    let status = cargo
        .status()
        .map_err(|e| format!("cannot start cargo mutants: {e}"))?;
    let results = out.join("mutants.out");
    let mut tallies: BTreeMap<&str, Tally> =
        chosen.iter().map(|(n, _)| (*n, Tally::default())).collect();
    for (list, field) in [
        ("caught.txt", 0),
        ("missed.txt", 1),
        ("timeout.txt", 2),
        ("unviable.txt", 3),
    ] {
        // cargo-mutants writes every list, empty or not: a missing one means it did not run.
        let text = std::fs::read_to_string(results.join(list))
            .map_err(|e| format!("{}: {e}", results.join(list).display()))?;
        for (name, file) in &chosen {
            let n = count_in(&text, file);
            if let Some(t) = tallies.get_mut(name) {
                match field {
                    0 => t.caught += n,
                    1 => t.missed += n,
                    2 => t.timeout += n,
                    _ => t.unviable += n,
                }
            }
        }
    }
    let missed = std::fs::read_to_string(results.join("missed.txt"))
        .map_err(|e| format!("missed.txt: {e}"))?;
    let summary = summary(&tallies, &missed);
    println!("\n{summary}");
    let path = out.join("summary.md");
    std::fs::write(&path, &summary).map_err(|e| format!("{}: {e}", path.display()))?;
    println!(
        "(written to {}; cargo mutants exited with {status})",
        path.display()
    );
    if tallies
        .values()
        .all(|t| t.caught + t.missed + t.timeout + t.unviable == 0)
    {
        return Err("cargo mutants produced no results; see its output above".into());
    }
    Ok(())
}

/// Mutants listed in one of cargo-mutants' `*.txt` files (`path:line:col: replace …`) that are
/// in `file`.
fn count_in(list: &str, file: &str) -> usize {
    list.lines()
        .filter(|l| {
            l.strip_prefix(file)
                .is_some_and(|rest| rest.starts_with(':'))
        })
        .count()
}

fn summary(tallies: &BTreeMap<&str, Tally>, missed: &str) -> String {
    let mut out = String::from(
        "| module | caught | missed | timed out | unviable | score |\n|---|---:|---:|---:|---:|---:|\n",
    );
    for (name, t) in tallies {
        let score = t.score().map_or("–".to_owned(), |s| format!("{s} %"));
        out.push_str(&format!(
            "| {name} | {} | {} | {} | {} | {score} |\n",
            t.caught, t.missed, t.timeout, t.unviable
        ));
    }
    if !missed.trim().is_empty() {
        out.push_str("\nMissed:\n\n");
        for line in missed.lines() {
            out.push_str(&format!("- `{line}`\n"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn counts_mutants_per_file_and_scores_viable_ones() {
        let list = "crates/store/src/plan.rs:10:5: replace a with b\n\
                    crates/store/src/plan.rs:12:1: replace c\n\
                    crates/store/src/planner.rs:3:1: replace d\n\
                    crates/ipc/src/safeguard.rs:30:9: replace > with >=\n";
        assert_eq!(count_in(list, "crates/store/src/plan.rs"), 2);
        assert_eq!(count_in(list, "crates/ipc/src/safeguard.rs"), 1);
        assert_eq!(count_in(list, "crates/sync/src/engine.rs"), 0);
        let t = Tally {
            caught: 9,
            missed: 1,
            timeout: 0,
            unviable: 7,
        };
        assert_eq!(t.score(), Some(90));
        assert_eq!(Tally::default().score(), None);
        let timeout = Tally {
            caught: 9,
            missed: 0,
            timeout: 1,
            unviable: 0,
        };
        assert_eq!(timeout.score(), Some(90), "a time-out is not caught");
    }

    #[test]
    fn every_module_file_exists() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        for (name, file) in MODULES {
            assert!(root.join(file).is_file(), "{name}: {file}");
        }
    }
}
