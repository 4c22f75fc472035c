//! The workspace's packages as `cargo metadata --no-deps` describes them, and the crate-cycle
//! check over their dependencies on each other.
//!
//! `cargo metadata` rather than reading the `Cargo.toml`s: it applies workspace inheritance,
//! renames and target-specific tables, and gives each target's root file. `--no-deps`
//! resolves nothing, so it needs no network and no lock.
//!
//! Cargo itself refuses a cycle of normal dependencies, but not one that closes through a
//! dev-dependency (`a` dev-depends on `b`, `b` depends on `a`): that builds, and then `a`'s
//! tests link two copies of `a` whose types do not match. So dev- and build-dependencies count.
//! A package's dev-dependency on itself (to turn on a feature for its benchmarks, as
//! `aadsync-store` does) is no cycle.

use super::graph::Graph;
use super::json::Json;
use std::path::PathBuf;

/// A workspace package.
#[derive(Debug, PartialEq)]
pub struct Package {
    pub name: String,
    /// Root files of its library and binary targets (not tests, benches, examples, build.rs).
    pub roots: Vec<PathBuf>,
    /// Dependencies on other workspace packages: package name and kind (`normal`, `dev`,
    /// `build`).
    pub deps: Vec<(String, String)>,
}

/// The workspace packages from `cargo metadata --format-version 1 --no-deps` output.
pub fn packages(metadata: &Json) -> Vec<Package> {
    let listed = metadata.get("packages").map_or(&[][..], Json::items);
    let names: Vec<&str> = listed
        .iter()
        .filter_map(|p| p.get("name")?.as_str())
        .collect();
    listed
        .iter()
        .filter_map(|p| {
            let name = p.get("name")?.as_str()?.to_owned();
            let roots = p
                .get("targets")
                .map_or(&[][..], Json::items)
                .iter()
                .filter(|t| {
                    let kinds = t.get("kind").map_or(&[][..], Json::items);
                    kinds.iter().filter_map(Json::as_str).any(|k| {
                        matches!(k, "lib" | "rlib" | "dylib" | "cdylib" | "staticlib")
                            || matches!(k, "proc-macro" | "bin")
                    })
                })
                .filter_map(|t| t.get("src_path")?.as_str().map(PathBuf::from))
                .collect();
            let deps = p
                .get("dependencies")
                .map_or(&[][..], Json::items)
                .iter()
                .filter(|d| d.get("source") == Some(&Json::Null))
                .filter_map(|d| {
                    let dep = d.get("name")?.as_str()?;
                    let kind = d.get("kind").and_then(Json::as_str).unwrap_or("normal");
                    names
                        .contains(&dep)
                        .then(|| (dep.to_owned(), kind.to_owned()))
                })
                .collect();
            Some(Package { name, roots, deps })
        })
        .collect()
}

/// Each cycle among the packages: the allowlist key (its package names, sorted, joined by
/// ` <-> `) and one concrete cycle with the dependency kinds.
pub fn crate_cycles(packages: &[Package]) -> Vec<(String, String)> {
    let index = |name: &str| packages.iter().position(|p| p.name == name);
    let mut graph = Graph::new(packages.len());
    for (from, package) in packages.iter().enumerate() {
        for (dep, _) in &package.deps {
            if let Some(to) = index(dep) {
                graph.add_edge(from, to);
            }
        }
    }
    graph
        .cycles()
        .into_iter()
        .map(|mut component| {
            component.sort_by(|&a, &b| packages[a].name.cmp(&packages[b].name));
            let key: Vec<&str> = component.iter().map(|&p| &*packages[p].name).collect();
            let path = graph.cycle_in(&component);
            let steps: Vec<String> = path
                .windows(2)
                .map(|w| {
                    let (from, to) = (&packages[w[0]], &packages[w[1]].name);
                    let kinds: Vec<&str> = from
                        .deps
                        .iter()
                        .filter(|(d, _)| d == to)
                        .map(|(_, k)| &**k)
                        .collect();
                    format!("{} -[{}]-> {to}", from.name, kinds.join("+"))
                })
                .collect();
            (key.join(" <-> "), steps.join(", "))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::json;
    use super::*;

    const METADATA: &str = r#"{"packages": [
      {"name": "a", "targets": [{"kind": ["lib"], "src_path": "/w/a/src/lib.rs"},
                                {"kind": ["test"], "src_path": "/w/a/tests/t.rs"},
                                {"kind": ["custom-build"], "src_path": "/w/a/build.rs"}],
       "dependencies": [{"name": "b", "source": null, "kind": null},
                        {"name": "serde", "source": "registry+https://github.com/rust-lang/crates.io-index", "kind": null},
                        {"name": "a", "source": null, "kind": "dev"}]},
      {"name": "b", "targets": [{"kind": ["staticlib", "cdylib", "rlib"], "src_path": "/w/b/src/lib.rs"},
                                {"kind": ["bin"], "src_path": "/w/b/src/main.rs"}],
       "dependencies": [{"name": "c", "source": null, "kind": "build"}]},
      {"name": "c", "targets": [], "dependencies": []}
    ]}"#;

    fn sample() -> Vec<Package> {
        packages(&json::parse(METADATA).unwrap())
    }

    #[test]
    fn packages_have_their_roots_and_workspace_dependencies() {
        let packages = sample();
        assert_eq!(packages[0].roots, [PathBuf::from("/w/a/src/lib.rs")]);
        assert_eq!(packages[1].roots.len(), 2);
        let deps = |i: usize| packages[i].deps.clone();
        assert_eq!(
            deps(0),
            [("b".into(), "normal".into()), ("a".into(), "dev".into())]
        );
        assert_eq!(deps(1), [("c".into(), "build".into())]);
    }

    #[test]
    fn a_self_dev_dependency_is_no_cycle_but_a_dev_dependency_back_is() {
        let mut packages = sample();
        assert_eq!(crate_cycles(&packages), []);
        packages[2].deps.push(("a".into(), "dev".into()));
        assert_eq!(
            crate_cycles(&packages),
            [(
                "a <-> b <-> c".into(),
                "a -[normal]-> b, b -[build]-> c, c -[dev]-> a".into()
            )]
        );
    }
}
