//! What the shipped binaries link: the app and the CLI carry the emulator only through their
//! `demo` feature, and never its test-only `control` API. Read from `cargo tree`, so a
//! dependency added anywhere in the graph is caught, not only one in a front end's manifest.

use std::path::Path;
use std::process::Command;

/// A shipped package and the features it is built with for the check.
pub struct Build {
    pub package: &'static str,
    /// `None`: the default features; else exactly these (no defaults).
    pub features: Option<&'static str>,
}

/// The builds to check and whether each may contain the emulator.
pub const BUILDS: &[(Build, bool)] = &[
    (
        Build {
            package: "aadsync-cli",
            features: None,
        },
        true,
    ),
    (
        Build {
            package: "aadsync-desktop",
            features: None,
        },
        true,
    ),
    (
        Build {
            package: "aadsync-cli",
            features: Some(""),
        },
        false,
    ),
    (
        Build {
            package: "aadsync-desktop",
            features: Some("custom-protocol"),
        },
        false,
    ),
];

/// `cargo tree -e normal,features` of one build (its normal dependencies and their features).
pub fn tree(root: &Path, build: &Build) -> Result<String, String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .current_dir(root)
        .args(["tree", "--offline", "--locked", "-e", "normal,features"])
        .args(["--prefix", "none", "-p", build.package]);
    if let Some(features) = build.features {
        command.arg("--no-default-features");
        if !features.is_empty() {
            command.args(["--features", features]);
        }
    }
    let output = command
        .output()
        .map_err(|e| format!("cannot run cargo tree: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "cargo tree -p {} failed: {}",
            build.package,
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// What is wrong with one build's tree.
pub fn problems(tree: &str, emulator_allowed: bool) -> Vec<String> {
    let mut found = Vec::new();
    let emulator = tree.lines().any(|l| l.starts_with("aadsync-emulator v"));
    if emulator && !emulator_allowed {
        found.push("links aadsync-emulator without the demo feature".to_owned());
    }
    if tree
        .lines()
        .any(|l| l.starts_with("aadsync-emulator feature \"control\""))
    {
        found.push("links the emulator's control API (feature \"control\")".to_owned());
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_builds_link_the_emulator_only_for_the_demo_and_never_its_control_api() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("repository root");
        let mut failures = Vec::new();
        for (build, emulator_allowed) in BUILDS {
            let tree = tree(root, build).expect("cargo tree");
            for problem in problems(&tree, *emulator_allowed) {
                failures.push(format!(
                    "{} ({}): {problem}",
                    build.package,
                    build.features.map_or("default features".to_owned(), |f| {
                        format!("--no-default-features --features {f:?}")
                    })
                ));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn problems_are_found_in_a_tree() {
        let with_control = "aadsync-cli v0.1.0\naadsync-emulator v0.1.0 (/x)\naadsync-emulator feature \"control\"\n";
        assert_eq!(problems(with_control, true).len(), 1);
        assert_eq!(problems(with_control, false).len(), 2);
        let plain = "aadsync-cli v0.1.0\naadsync-emulator v0.1.0 (/x)\n";
        assert!(problems(plain, true).is_empty());
        assert_eq!(problems(plain, false).len(), 1);
        assert!(problems("aadsync-cli v0.1.0\n", false).is_empty());
    }
}
