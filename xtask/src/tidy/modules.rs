//! A crate's module graph, for the module-cycle check: which file's module refers to which.
//!
//! The tree comes from `mod name;` declarations from the crate root (`name.rs` or
//! `name/mod.rs`). Module `A` depends on module `B` when code in A (outside `#[cfg(test)]`
//! items) names a path that leads into B: `crate::b::…`, `super::b::…`, `self::…`, or a `use`
//! of any of these. A path is followed through the crate's own `use` declarations, so
//! `crate::Plan` where the root has `pub use plan::Plan` is a dependency on `plan`, not on
//! the root: a re-export must not hide a real dependency.
//!
//! What counts as a cycle: a dependency between a module and one of its ancestors or
//! descendants is not part of the graph. A parent declares and re-exports its children, and a
//! child uses what its parent defines or re-exports (`use super::*`, `crate::Error`); that is
//! how Rust modules are built, not a tangle. Cycles among the remaining edges — between
//! modules where neither contains the other, like `store::plan` ↔ `store::apply` — mean the
//! two cannot be understood, tested or split apart separately.
//!
//! Limits (none occur in the workspace today): `#[path]` attributes and `mod` declarations
//! inside inline `mod x { … }` blocks are not followed, and `super` inside an inline module is
//! read as if written at file level; glob imports (`use x::*`) do not bind names for
//! re-export resolution; paths produced by macros are invisible.

use super::graph::Graph;
use super::source::{Source, is_ident_byte};
use std::path::{Path, PathBuf};

/// One module with its own file.
#[derive(Debug)]
struct Module {
    file: PathBuf,
    /// Segments from the crate root (empty for the root).
    path: Vec<String>,
    children: Vec<String>,
    /// Module-level `use` bindings: the name bound and the path as written.
    imports: Vec<(String, Vec<String>)>,
    /// Every path that may lead to another module, as written, with its 0-based line.
    references: Vec<(Vec<String>, usize)>,
}

/// The modules of one crate (one lib or bin target), as files.
#[derive(Debug)]
pub struct Crate {
    modules: Vec<Module>,
    /// Files declared under `#[cfg(test)]` (`#[cfg(test)] mod tests;`): test code, whatever
    /// their path.
    pub test_files: Vec<PathBuf>,
}

/// A module cycle: the files of one strongly connected component, and one concrete cycle
/// through them with the line of each reference, for the report.
#[derive(Debug, PartialEq)]
pub struct Cycle {
    pub files: Vec<PathBuf>,
    pub example: Vec<(PathBuf, usize)>,
}

impl Crate {
    /// Reads the crate from its root file, through `read` (a file's text, or `None` when it
    /// does not exist), so tests can use in-memory files.
    pub fn load(root: &Path, read: &dyn Fn(&Path) -> Option<String>) -> Crate {
        let mut krate = Crate {
            modules: Vec::new(),
            test_files: Vec::new(),
        };
        // (file, module path, whether it owns its directory, whether it is test-only)
        let mut queue = vec![(root.to_path_buf(), Vec::new(), true, false)];
        while let Some((file, path, owns_dir, test)) = queue.pop() {
            let Some(text) = read(&file) else { continue };
            let source = Source::new(&text);
            let dir = match (owns_dir, file.parent()) {
                (true, Some(parent)) => parent.to_path_buf(),
                _ => file.with_extension(""),
            };
            let mut children = Vec::new();
            for (name, test_child) in mod_declarations(&source) {
                let flat = dir.join(format!("{name}.rs"));
                let nested = dir.join(&name).join("mod.rs");
                let (child, owns) = if read(&flat).is_some() {
                    (flat, false)
                } else {
                    (nested, true)
                };
                let mut child_path = path.clone();
                child_path.push(name.clone());
                if !(test || test_child) {
                    children.push(name);
                }
                queue.push((child, child_path, owns, test || test_child));
            }
            if test {
                krate.test_files.push(file);
                continue;
            }
            let (imports, references) = paths(&source);
            krate.modules.push(Module {
                file,
                path,
                children,
                imports,
                references,
            });
        }
        krate
    }

    /// The module cycles, each as its files.
    pub fn cycles(&self) -> Vec<Cycle> {
        let mut graph = Graph::new(self.modules.len());
        let mut lines = std::collections::HashMap::new();
        for (from, module) in self.modules.iter().enumerate() {
            for (written, line) in &module.references {
                let Some(to) = self
                    .absolute(from, written, 0)
                    .and_then(|p| self.resolve(&p, 0))
                else {
                    continue;
                };
                if self.related(from, to) {
                    continue;
                }
                graph.add_edge(from, to);
                lines.entry((from, to)).or_insert(*line);
            }
        }
        graph
            .cycles()
            .into_iter()
            .map(|mut component| {
                // By file, so the report and the allowlist key do not depend on load order.
                component.sort_by(|&a, &b| self.modules[a].file.cmp(&self.modules[b].file));
                let path = graph.cycle_in(&component);
                Cycle {
                    files: component
                        .iter()
                        .map(|&m| self.modules[m].file.clone())
                        .collect(),
                    example: path
                        .windows(2)
                        .map(|w| (self.modules[w[0]].file.clone(), lines[&(w[0], w[1])] + 1))
                        .collect(),
                }
            })
            .collect()
    }

    /// Whether one module contains the other (or they are the same).
    fn related(&self, a: usize, b: usize) -> bool {
        let (a, b) = (&self.modules[a].path, &self.modules[b].path);
        a.starts_with(b) || b.starts_with(a)
    }

    fn index_of(&self, path: &[String]) -> Option<usize> {
        self.modules.iter().position(|m| m.path == path)
    }

    /// A path as written in `module`, from the crate root; `None` for other crates' paths.
    fn absolute(&self, module: usize, written: &[String], depth: usize) -> Option<Vec<String>> {
        let (first, rest) = written.split_first()?;
        let here = &self.modules[module];
        let mut base = match first.as_str() {
            "crate" => Vec::new(),
            "self" => here.path.clone(),
            "super" => here.path[..here.path.len().checked_sub(1)?].to_vec(),
            name if here.children.iter().any(|c| c == name) => {
                let mut base = here.path.clone();
                base.push(name.to_owned());
                base
            }
            name if depth < 8 => {
                let (_, target) = here.imports.iter().find(|(bound, _)| bound == name)?;
                self.absolute(module, target, depth + 1)?
            }
            _ => return None,
        };
        let mut rest = rest;
        while rest.first().is_some_and(|s| s == "super") {
            base.pop()?;
            rest = &rest[1..];
        }
        base.extend(rest.iter().cloned());
        Some(base)
    }

    /// The deepest module an absolute path leads into, following `use` bindings of the
    /// modules on the way (re-exports).
    fn resolve(&self, path: &[String], depth: usize) -> Option<usize> {
        let mut current = self.index_of(&[])?;
        for (i, segment) in path.iter().enumerate() {
            let mut child = self.modules[current].path.clone();
            child.push(segment.clone());
            if let Some(next) = self.index_of(&child) {
                current = next;
                continue;
            }
            let import = self.modules[current]
                .imports
                .iter()
                .find(|(bound, _)| bound == segment);
            if let Some((_, target)) = import
                && depth < 8
                && let Some(mut target) = self.absolute(current, target, 0)
            {
                target.extend(path[i + 1..].iter().cloned());
                return self.resolve(&target, depth + 1).or(Some(current));
            }
            break;
        }
        Some(current)
    }
}

/// `mod name;` at the top level of a file, and whether it is under `#[cfg(test)]`.
fn mod_declarations(source: &Source) -> Vec<(String, bool)> {
    let text = source.masked.as_bytes();
    let mut depth = 0usize;
    let mut found = Vec::new();
    for (i, &b) in text.iter().enumerate() {
        match b {
            b'{' => depth += 1,
            b'}' => depth = depth.saturating_sub(1),
            b'm' if depth == 0 && starts_token(text, i, "mod") => {
                let rest = &source.masked[i + 3..];
                let name = identifier(rest.trim_start());
                let after = rest.trim_start()[name.len()..].trim_start();
                if !name.is_empty()
                    && rest.starts_with(char::is_whitespace)
                    && after.starts_with(';')
                {
                    found.push((name.to_owned(), source.in_test_region(source.line_of(i))));
                }
            }
            _ => {}
        }
    }
    found
}

/// Whether `word` starts at `i` as a whole token.
fn starts_token(text: &[u8], i: usize, word: &str) -> bool {
    text[i..].starts_with(word.as_bytes())
        && (i == 0 || !is_ident_byte(text[i - 1]) && text[i - 1] != b'$')
        && !text.get(i + word.len()).is_some_and(|&b| is_ident_byte(b))
}

fn identifier(text: &str) -> &str {
    let end = text
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(text.len());
    &text[..end]
}

type Imports = Vec<(String, Vec<String>)>;
type References = Vec<(Vec<String>, usize)>;

/// The module-level `use` bindings, and every path (in `use` trees and in code) outside
/// `#[cfg(test)]` items.
fn paths(source: &Source) -> (Imports, References) {
    let text = source.masked.as_bytes();
    let mut imports = Vec::new();
    let mut references = Vec::new();
    let mut depth = 0usize;
    for (i, &b) in text.iter().enumerate() {
        match b {
            b'{' => depth += 1,
            b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        if !matches!(b, b'u' | b'c' | b's') {
            continue;
        }
        let line = source.line_of(i);
        if source.in_test_region(line) {
            continue;
        }
        if starts_token(text, i, "use") {
            let end = source.masked[i..].find(';').map_or(text.len(), |e| i + e);
            for (path, bound) in use_tree(&source.masked[i + 3..end]) {
                if depth == 0
                    && let Some(bound) = bound
                {
                    imports.push((bound, path.clone()));
                }
                references.push((path, line));
            }
        } else if ["crate", "super", "self"]
            .iter()
            .any(|w| starts_token(text, i, w))
            && !(i >= 2 && &text[i - 2..i] == b"::")
        {
            references.push((path_at(&source.masked[i..]), line));
        }
    }
    (imports, references)
}

/// `a::b::c` at the start of `text`, as segments (stops at `::{`, `::<`, `::*`).
fn path_at(text: &str) -> Vec<String> {
    let mut segments = Vec::new();
    let mut rest = text;
    loop {
        let name = identifier(rest);
        if name.is_empty() {
            break;
        }
        segments.push(name.to_owned());
        rest = &rest[name.len()..];
        match rest.strip_prefix("::") {
            Some(next) => rest = next,
            None => break,
        }
    }
    segments
}

/// The paths a `use` tree names (the text between `use` and `;`), each with the name it binds
/// (`None` for globs and `_`): `crate::{a::{self, B as C}, d::*}` gives `crate::a` (binds
/// `a`), `crate::a::B` (binds `C`) and `crate::d` (glob).
pub fn use_tree(text: &str) -> Vec<(Vec<String>, Option<String>)> {
    let tokens = tokenize(text);
    let mut out = Vec::new();
    let mut pos = 0;
    tree(&tokens, &mut pos, Vec::new(), &mut out);
    out
}

fn tokenize(text: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    let mut rest = text.trim_start();
    while !rest.is_empty() {
        let len = match rest.as_bytes()[0] {
            b'{' | b'}' | b',' | b'*' => 1,
            b':' if rest.starts_with("::") => 2,
            _ => identifier(rest).len().max(1),
        };
        tokens.push(rest[..len].to_owned());
        rest = rest[len..].trim_start();
    }
    tokens
}

fn tree(
    tokens: &[String],
    pos: &mut usize,
    mut prefix: Vec<String>,
    out: &mut Vec<(Vec<String>, Option<String>)>,
) {
    // `pub use`, `pub(crate) use` were cut before `use`; a leading `::` names an extern crate.
    while let Some(token) = tokens.get(*pos) {
        *pos += 1;
        match token.as_str() {
            "{" => {
                while tokens.get(*pos).is_some_and(|t| t != "}") {
                    tree(tokens, pos, prefix.clone(), out);
                    if tokens.get(*pos).is_some_and(|t| t == ",") {
                        *pos += 1;
                    }
                }
                *pos += 1;
                return;
            }
            "*" => {
                out.push((prefix, None));
                return;
            }
            "::" if prefix.is_empty() => return,
            name if name.starts_with(|c: char| c.is_alphanumeric() || c == '_') => {
                prefix.push(name.to_owned());
                if tokens.get(*pos).is_some_and(|t| t == "::") {
                    *pos += 1;
                    continue;
                }
                let mut bound = prefix.last().cloned();
                if prefix.last().is_some_and(|s| s == "self") {
                    prefix.pop();
                    bound = prefix.last().cloned();
                }
                if tokens.get(*pos).is_some_and(|t| t == "as") {
                    bound = tokens.get(*pos + 1).cloned().filter(|b| b != "_");
                    *pos += 2;
                }
                out.push((prefix, bound));
                return;
            }
            _ => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn load(files: &[(&str, &str)]) -> Crate {
        let files: HashMap<PathBuf, String> = files
            .iter()
            .map(|(p, t)| (PathBuf::from(p), format!("//! m\n{t}")))
            .collect();
        Crate::load(Path::new("src/lib.rs"), &|p| files.get(p).cloned())
    }

    fn cycle_files(krate: &Crate) -> Vec<Vec<String>> {
        let cycles = krate.cycles();
        let files = cycles.iter().map(|c| &c.files);
        files
            .map(|f| f.iter().map(|p| p.display().to_string()).collect())
            .collect()
    }

    #[test]
    fn use_trees_expand_to_paths_and_bindings() {
        let s = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            use_tree(" crate::{a::{self, B as C}, d::*, e::F as _}"),
            [
                (s(&["crate", "a"]), Some("a".into())),
                (s(&["crate", "a", "B"]), Some("C".into())),
                (s(&["crate", "d"]), None),
                (s(&["crate", "e", "F"]), None),
            ]
        );
        assert_eq!(use_tree(" ::std::fmt"), []);
        assert_eq!(
            use_tree(" std::fmt"),
            [(s(&["std", "fmt"]), Some("fmt".into()))]
        );
    }

    #[test]
    fn sibling_modules_using_each_other_are_a_cycle() {
        let krate = load(&[
            ("src/lib.rs", "mod plan;\nmod apply;\nmod model;\n"),
            (
                "src/plan.rs",
                "use crate::model::User;\nfn f() { crate::apply::run(); }\n",
            ),
            ("src/apply.rs", "\nuse super::plan::{Plan, self};\n"),
            ("src/model.rs", "pub struct User;\n"),
        ]);
        assert_eq!(cycle_files(&krate), [["src/apply.rs", "src/plan.rs"]]);
        let cycles = krate.cycles();
        let example: Vec<_> = cycles[0]
            .example
            .iter()
            .map(|(f, l)| (f.display().to_string(), *l))
            .collect();
        assert_eq!(
            example,
            [("src/apply.rs".into(), 3), ("src/plan.rs".into(), 3)]
        );
    }

    #[test]
    fn a_cycle_through_a_re_export_is_found() {
        let krate = load(&[
            ("src/lib.rs", "mod plan;\nmod apply;\npub use plan::Plan;\n"),
            ("src/plan.rs", "use crate::apply;\n"),
            ("src/apply.rs", "fn f(p: crate::Plan) {}\n"),
        ]);
        assert_eq!(cycle_files(&krate), [["src/apply.rs", "src/plan.rs"]]);
    }

    #[test]
    fn parents_children_tests_and_other_crates_are_not_cycles() {
        let krate = load(&[
            (
                "src/lib.rs",
                "mod graph;\nmod error;\npub use error::Error;\nuse graph::query;\n",
            ),
            ("src/error.rs", "pub struct Error;\n"),
            (
                "src/graph/mod.rs",
                "mod query;\nuse crate::Error;\npub use query::run;\n",
            ),
            (
                "src/graph/query.rs",
                "use super::*;\nuse crate::error;\nuse other_crate::graph;\n#[cfg(test)]\nmod tests {\n    use crate::graph::query;\n}\n",
            ),
        ]);
        assert_eq!(cycle_files(&krate), Vec::<Vec<String>>::new());
        // query -> error and graph -> error are edges, but error uses nobody.
        assert_eq!(krate.modules.len(), 4);
    }

    #[test]
    fn modules_declared_for_tests_are_test_files() {
        let krate = load(&[
            ("src/lib.rs", "mod a;\n#[cfg(test)]\nmod tests;\n"),
            ("src/a/mod.rs", "mod b;\n"),
            ("src/a/b.rs", "use crate::tests;\n"),
            ("src/tests.rs", "use crate::a::b;\nmod fixtures;\n"),
            ("src/tests/fixtures.rs", "\n"),
        ]);
        let mut test_files = krate.test_files.clone();
        test_files.sort();
        // Path order is by component: `tests` < `tests.rs`.
        assert_eq!(
            test_files,
            [
                PathBuf::from("src/tests/fixtures.rs"),
                "src/tests.rs".into()
            ]
        );
        assert_eq!(krate.modules.len(), 3);
        assert_eq!(cycle_files(&krate), Vec::<Vec<String>>::new());
    }
}
