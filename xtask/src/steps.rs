//! Running build and test steps: PATH with the cached tools, timings, test counts.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The cache directory for cargo-installed tools.
pub fn tools_dir() -> Result<PathBuf, String> {
    if let Some(dir) = std::env::var_os("AADSYNC_TOOLS_DIR").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    let home = || std::env::var_os("HOME").map(PathBuf::from);
    let base = if cfg!(windows) {
        std::env::var_os("LOCALAPPDATA").map(PathBuf::from)
    } else if cfg!(target_os = "macos") {
        home().map(|h| h.join("Library").join("Caches"))
    } else {
        std::env::var_os("XDG_CACHE_HOME")
            .filter(|d| !d.is_empty())
            .map(PathBuf::from)
            .or_else(|| home().map(|h| h.join(".cache")))
    };
    base.map(|b| b.join("aadsync").join("tools"))
        .ok_or_else(|| "cannot find a cache directory: set AADSYNC_TOOLS_DIR".to_owned())
}

/// The clippy-driver of the toolchain running us (beside `$CARGO`, as `cargo clippy` finds
/// it), else the one on PATH.
fn clippy_driver() -> PathBuf {
    let name = format!("clippy-driver{}", std::env::consts::EXE_SUFFIX);
    std::env::var_os("CARGO")
        .map(|cargo| Path::new(&cargo).with_file_name(&name))
        .filter(|driver| driver.is_file())
        .unwrap_or_else(|| PathBuf::from(name))
}

/// Passed/failed totals parsed from libtest's `test result:` lines.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub passed: u64,
    pub failed: u64,
}

#[derive(Debug)]
pub struct Ctx {
    pub root: PathBuf,
    pub tools_dir: PathBuf,
    /// Directories put in front of PATH for every child (the cached tools' `bin`s).
    pub path_front: Vec<PathBuf>,
    /// axe-core's `axe.min.js` once the test prerequisites installed it: every child gets it
    /// as `AADSYNC_AXE_JS` (the end-to-end accessibility audit).
    pub axe_js: Option<PathBuf>,
    /// Whether the workspace's own crates are compiled by clippy-driver with `-D warnings`
    /// ([`Ctx::lint_while_building`]).
    lint: bool,
    timings: Vec<(String, Duration)>,
    counts: Counts,
    started: Instant,
}

impl Ctx {
    pub fn new() -> Result<Self, String> {
        // xtask's manifest is <root>/xtask/Cargo.toml.
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .map(Path::to_path_buf)
            .ok_or("cannot find the repository root")?;
        Ok(Self {
            tools_dir: tools_dir()?,
            root,
            path_front: Vec::new(),
            axe_js: None,
            lint: false,
            timings: Vec::new(),
            counts: Counts::default(),
            started: Instant::now(),
        })
    }

    fn path_env(&self) -> std::ffi::OsString {
        let rest = std::env::var_os("PATH").unwrap_or_default();
        let dirs = self
            .path_front
            .iter()
            .cloned()
            .chain(std::env::split_paths(&rest));
        std::env::join_paths(dirs).unwrap_or(rest)
    }

    /// A command with the tools on PATH, run from the repository root.
    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut command = Command::new(program);
        command.current_dir(&self.root).env("PATH", self.path_env());
        if let Some(axe) = &self.axe_js {
            command.env("AADSYNC_AXE_JS", axe);
        }
        command
    }

    pub fn cargo(&self) -> Command {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut command = self.command(cargo);
        if self.lint {
            // What `cargo clippy` itself sets: clippy-driver compiles the workspace's crates
            // (dependencies are untouched) and reads its arguments from CLIPPY_ARGS.
            command.env("RUSTC_WORKSPACE_WRAPPER", clippy_driver()).env(
                "CLIPPY_ARGS",
                "-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__",
            );
        }
        command
    }

    /// From now on every build of the workspace's crates is also their clippy run, with
    /// `-D warnings`: one compilation of each crate instead of a `cargo clippy` check and then
    /// the build, with dependencies checked once and built once (a clean machine spent
    /// minutes checking every dependency for clippy alone). Every later cargo command must
    /// keep it: switching the wrapper rebuilds the workspace's crates.
    pub fn lint_while_building(&mut self) {
        self.lint = true;
    }

    /// A cargo command for what is not the workspace's code (`cargo install`), or is
    /// deliberately not linted.
    pub fn cargo_unlinted(&self) -> Command {
        let mut command = self.cargo();
        command
            .env_remove("RUSTC_WORKSPACE_WRAPPER")
            .env_remove("CLIPPY_ARGS");
        command
    }

    pub fn target_dir(&self) -> PathBuf {
        std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| self.root.join("target"))
    }

    /// Runs a step, failing with its name if it fails.
    pub fn step(&mut self, name: &str, command: &mut Command) -> Result<(), String> {
        announce(name);
        let start = Instant::now();
        let status = command
            .status()
            .map_err(|e| format!("{name}: cannot start {:?}: {e}", command.get_program()))?;
        self.timings.push((name.to_owned(), start.elapsed()));
        if status.success() {
            Ok(())
        } else {
            Err(format!("{name} failed ({status})"))
        }
    }

    /// Runs a `cargo test` step, echoing its output and adding up its results.
    pub fn test_step(&mut self, name: &str, command: &mut Command) -> Result<(), String> {
        announce(name);
        let start = Instant::now();
        let mut child = command
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("{name}: cannot start cargo: {e}"))?;
        let mut counts = Counts::default();
        if let Some(stdout) = child.stdout.take() {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                println!("{line}");
                if let Some(c) = parse_test_result(&line) {
                    counts.passed += c.passed;
                    counts.failed += c.failed;
                }
            }
        }
        let status = child.wait().map_err(|e| format!("{name}: {e}"))?;
        self.timings.push((name.to_owned(), start.elapsed()));
        self.counts.passed += counts.passed;
        self.counts.failed += counts.failed;
        if status.success() {
            Ok(())
        } else {
            Err(format!("{name} failed ({status})"))
        }
    }

    pub fn record(&mut self, name: &str, took: Duration) {
        self.timings.push((name.to_owned(), took));
    }

    pub fn test_counts(&self) -> Counts {
        self.counts
    }

    pub fn print_timings(&self) {
        println!("\n── timings ──");
        for (name, took) in &self.timings {
            println!("{:>8.1} s  {name}", took.as_secs_f64());
        }
        println!(
            "{:>8.1} s  wall clock",
            self.started.elapsed().as_secs_f64()
        );
    }
}

fn announce(name: &str) {
    println!("\n── {name} ──");
}

/// `test result: ok. 12 passed; 0 failed; 0 ignored; …` → counts.
pub fn parse_test_result(line: &str) -> Option<Counts> {
    let rest = line.trim().strip_prefix("test result: ")?;
    let number_before = |word: &str| -> Option<u64> {
        rest.split(';').find_map(|part| {
            part.trim()
                .strip_suffix(word)?
                .trim()
                .rsplit(' ')
                .next()?
                .parse()
                .ok()
        })
    };
    Some(Counts {
        passed: number_before("passed")?,
        failed: number_before("failed")?,
    })
}

/// Builds `frontend/dist`: the Leptos app for wasm32 with cargo, its JavaScript glue with
/// wasm-bindgen-cli (the version in `Cargo.lock`, so the two agree), then the page, its loader,
/// the style sheet and the icon copied beside them. What trunk did for this one page, without
/// the 7.5 minutes trunk takes to install on every fresh machine (ARCHITECTURE.md, "Build tool
/// for the frontend").
pub fn build_frontend(ctx: &mut Ctx, release: bool) -> Result<(), String> {
    let mut cargo = ctx.cargo();
    cargo.args([
        "build",
        "--locked",
        "-p",
        "aadsync-frontend",
        "--bin",
        "aadsync-frontend",
        "--target",
        "wasm32-unknown-unknown",
    ]);
    if release {
        cargo.arg("--release");
    }
    ctx.step("frontend (cargo build, wasm32)", &mut cargo)?;
    let profile = if release { "release" } else { "debug" };
    let wasm = ctx
        .target_dir()
        .join("wasm32-unknown-unknown")
        .join(profile)
        .join("aadsync-frontend.wasm");
    let source = ctx.root.join("frontend");
    let dist = source.join("dist");
    // A dist left by an earlier build (or by trunk) must not leave stale files to embed.
    if dist.exists() {
        std::fs::remove_dir_all(&dist)
            .map_err(|e| format!("cannot empty {}: {e}", dist.display()))?;
    }
    std::fs::create_dir_all(&dist).map_err(|e| format!("cannot create {}: {e}", dist.display()))?;
    let mut bindgen = ctx.command("wasm-bindgen");
    bindgen
        .args([
            "--target",
            "web",
            "--no-typescript",
            "--out-name",
            "aadsync-frontend",
            "--out-dir",
        ])
        .arg(&dist)
        .arg(&wasm);
    ctx.step("frontend (wasm-bindgen)", &mut bindgen)?;
    for (from, to) in [
        (source.join("index.html"), "index.html"),
        (source.join("main.js"), "main.js"),
        (source.join("style.css"), "style.css"),
        (ctx.root.join("icons").join("32x32.png"), "icon.png"),
    ] {
        std::fs::copy(&from, dist.join(to)).map_err(|e| {
            format!(
                "cannot copy {} into {}: {e}",
                from.display(),
                dist.display()
            )
        })?;
    }
    Ok(())
}

/// The packages of the unit and integration tests: the workspace less the end-to-end tests
/// and Tauri's bundler. The build that lints them and the test run name the same ones, so
/// cargo resolves the same features and the tests compile nothing again.
const UNIT_PACKAGES: &[&str] = &[
    "--workspace",
    "--exclude",
    "aadsync-e2e",
    "--exclude",
    "aadsync-dist",
];

/// The packages of the build that lints everything and of the end-to-end tests: the unit
/// tests' with the end-to-end tests, which turn on no feature of a shared dependency that the
/// unit tests' build does not (xtask's tests check it), so one build serves both.
pub const E2E_PACKAGES: &[&str] = &["--workspace", "--exclude", "aadsync-dist"];

/// The first build: the end-to-end tests' packages less xtask, whose binary is running (its
/// code is linted by its unit tests' build).
const FIRST_BUILD: &[&str] = &[
    "--workspace",
    "--exclude",
    "aadsync-dist",
    "--exclude",
    "xtask",
];

/// Everything `cargo xtask test` checks, in an order where cheap failures come first.
pub fn test_all(ctx: &mut Ctx, e2e: bool) -> Result<(), String> {
    let mut fmt = ctx.cargo();
    fmt.args(["fmt", "--all", "--", "--check"]);
    ctx.step("cargo fmt --check", &mut fmt)?;

    // Clippy with -D warnings is the compiler of every build from here on (wasm32 included).
    ctx.lint_while_building();
    // The app embeds frontend/dist at compile time, so the frontend comes first.
    build_frontend(ctx, false)?;

    // Every target, benches and the end-to-end tests included (as clippy --all-targets did).
    let mut build = ctx.cargo();
    build
        .args(["build", "--locked", "--all-targets"])
        .args(FIRST_BUILD);
    ctx.step("build and clippy -D warnings (all targets)", &mut build)?;

    let mut unit = ctx.cargo();
    unit.args(["test", "--locked"]).args(UNIT_PACKAGES);
    ctx.test_step("unit and integration tests", &mut unit)?;

    if cfg!(target_os = "linux") {
        compat(ctx, false)?;
    }

    if !e2e {
        println!("\n(end-to-end tests skipped: --no-e2e)");
        return Ok(());
    }
    if !cfg!(target_os = "linux") {
        println!(
            "\n(end-to-end tests skipped: they drive WebKitGTK under Xvfb and run on Linux only)"
        );
        return Ok(());
    }
    // The product's own build (its features alone: no test-only control API in the demo),
    // not the one the unit tests linked; it shares every registry dependency with it.
    let mut build = ctx.cargo();
    build.args(["build", "--locked", "-p", "aadsync-desktop"]);
    ctx.step("build the app for end-to-end tests", &mut build)?;

    let app = ctx.target_dir().join("debug").join("aadsync-desktop");
    let mut e2e = ctx.cargo();
    // Built by the first build: named with the same packages, nothing is compiled again.
    e2e.args(["test", "--locked"])
        .args(E2E_PACKAGES)
        .args(["--test", "e2e"])
        .env("AADSYNC_APP_BIN", &app)
        .args(["--", "--test-threads=2"]); // apps still queue one at a time inside
    ctx.test_step("end-to-end tests (real app, WebKitGTK, Xvfb)", &mut e2e)
}

/// MSAL Python signs in against the emulator at `authority` and writes a token; Microsoft's
/// Graph SDK for Python then reads the emulator with it.
fn client_checks(
    ctx: &mut Ctx,
    python: &Path,
    compat: &Path,
    authority: &str,
    ca: &Path,
    scratch: &Path,
) -> Result<(), String> {
    let token = scratch.join("graph-token");
    let mut check = ctx.command(python);
    // requests lets REQUESTS_CA_BUNDLE override `verify=`, so set it to the emulator's CA.
    check
        .arg(compat.join("msal_check.py"))
        .arg(authority)
        .arg(ca)
        .arg(&token)
        .env("REQUESTS_CA_BUNDLE", ca);
    ctx.step("MSAL Python against the emulator", &mut check)?;
    let mut sdk = ctx.command(python);
    sdk.arg(compat.join("graph_sdk_check.py"))
        .arg(authority)
        .arg(ca)
        .arg(&token);
    let result = ctx.step(
        "Microsoft Graph SDK (Python) against the emulator",
        &mut sdk,
    );
    let _ = std::fs::remove_file(&token);
    // msal_check.py's second token (admin consent to the registration permissions).
    let _ = std::fs::remove_file(scratch.join("graph-token.registrations"));
    result
}

/// Runs `crates/emulator/compat/msal_check.py` with the pinned MSAL Python, then
/// `graph_sdk_check.py` with Microsoft's Graph SDK for Python on the token MSAL got, against
/// an emulator started with TLS: what Microsoft's own client libraries make of it. The SDK
/// check changes the tenant between `groups/delta` rounds through the control API, which the
/// emulator's default feature `control` serves (both builds keep default features). `build`
/// when nothing built the emulator yet (`cargo xtask test` built it with everything else).
pub fn compat(ctx: &mut Ctx, build: bool) -> Result<(), String> {
    let compat = ctx.root.join("crates/emulator/compat");
    // Named for its requirements: a new set gets a new folder, so it is installed once.
    let venv = ctx.tools_dir.join("msal-1.39.0-msgraph-sdk-1.65.0");
    let python = venv.join(if cfg!(windows) {
        "Scripts/python.exe"
    } else {
        "bin/python"
    });
    if !python.is_file() {
        let mut create = ctx.command("python3");
        create.arg("-m").arg("venv").arg(&venv);
        ctx.step("python venv for MSAL and the Graph SDK (once)", &mut create)?;
        let mut pip = ctx.command(&python);
        pip.args(["-m", "pip", "install", "-q", "-r"])
            .arg(compat.join("requirements.txt"));
        ctx.step("install MSAL and the Graph SDK for Python (once)", &mut pip)?;
    }
    if build {
        let mut build = ctx.cargo();
        build.args([
            "build",
            "--locked",
            "-p",
            "aadsync-emulator",
            "--bin",
            "entra-emulator",
        ]);
        ctx.step("build entra-emulator", &mut build)?;
    }
    let scratch = ctx.target_dir().join("compat");
    std::fs::create_dir_all(&scratch).map_err(|e| e.to_string())?;
    let ca = scratch.join("ca.pem");
    let mut emulator = ctx
        .command(
            ctx.target_dir()
                .join("debug")
                .join(format!("entra-emulator{}", std::env::consts::EXE_SUFFIX)),
        )
        .args(["--tls", "--port", "0", "--ca-file"])
        .arg(&ca)
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("starting entra-emulator: {e}"))?;
    let mut authority = None;
    if let Some(stdout) = emulator.stdout.take() {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(rest) = line.strip_prefix("authority") {
                authority = Some(rest.trim().to_owned());
            }
            if line.starts_with("press Ctrl-C") {
                break;
            }
        }
    }
    let result = match authority {
        Some(authority) => client_checks(ctx, &python, &compat, &authority, &ca, &scratch),
        None => Err("entra-emulator did not print its authority".into()),
    };
    let _ = emulator.kill();
    let _ = emulator.wait();
    result
}

/// The tenant size of the benchmarks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    /// 100,000 users and 5,000 groups: every benchmark's own default.
    Default,
    /// 1,000,000 users and 50,000 groups (issue 17's next order of magnitude).
    Million,
}

impl Scale {
    pub fn parse(args: &[String]) -> Result<Scale, String> {
        match args {
            [] => Ok(Scale::Default),
            [flag, value] if flag == "--scale" => match value.as_str() {
                "100k" => Ok(Scale::Default),
                "1m" => Ok(Scale::Million),
                other => Err(format!("--scale takes 100k or 1m, not {other:?}")),
            },
            _ => Err(format!(
                "bench takes only --scale 100k|1m\n\n{}",
                crate::USAGE
            )),
        }
    }

    /// What every benchmark reads its size from (`BENCH_USERS`, `BENCH_GROUPS`); none for
    /// the default, so a size set in the environment by hand still counts.
    fn env(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Scale::Default => &[],
            Scale::Million => &[("BENCH_USERS", "1000000"), ("BENCH_GROUPS", "50000")],
        }
    }
}

/// The benchmarks, on release builds (numbers from debug builds mean little).
pub fn bench(ctx: &mut Ctx, scale: Scale) -> Result<(), String> {
    let mut store = ctx.cargo();
    store.envs(scale.env().iter().copied());
    store.args([
        "bench",
        "--locked",
        "-p",
        "aadsync-store",
        "--bench",
        "store_bench",
    ]);
    ctx.step("store benchmark", &mut store)?;

    let mut emulator = ctx.cargo();
    emulator.envs(scale.env().iter().copied()).args([
        "bench",
        "--locked",
        "-p",
        "aadsync-emulator",
        "--bench",
        "emulator_bench",
    ]);
    ctx.step("emulator benchmark", &mut emulator)?;

    let mut sync = ctx.cargo();
    sync.envs(scale.env().iter().copied()).args([
        "bench",
        "--locked",
        "-p",
        "aadsync-sync",
        "--bench",
        "sync_bench",
    ]);
    ctx.step("synchronization benchmark", &mut sync)?;

    build_frontend(ctx, true)?;
    let mut app = ctx.cargo();
    app.args(["build", "--locked", "--release", "-p", "aadsync-desktop"]);
    ctx.step("release app", &mut app)?;
    let binary = ctx
        .target_dir()
        .join("release")
        .join(format!("aadsync-desktop{}", std::env::consts::EXE_SUFFIX));
    let mut ui = ctx.cargo();
    ui.envs(scale.env().iter().copied())
        .args([
            "bench",
            "--locked",
            "-p",
            "aadsync-e2e",
            "--bench",
            "users_area",
        ])
        .env("AADSYNC_APP_BIN", &binary);
    ctx.step("Users area benchmark (release app, Xvfb)", &mut ui)?;
    ctx.print_timings();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::collections::{BTreeMap, BTreeSet};

    /// Every registry dependency's feature sets, as `cargo tree` resolves them for `selection`:
    /// one set per build of the package (a package built for the host and for the target
    /// with different features is compiled twice, once with each set).
    fn resolved_features(selection: &[&str], edges: &str) -> Features {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let output = Command::new(cargo)
            .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(".."))
            .args([
                "tree", "--locked", "--prefix", "none", "-f", "{p} {f}", "-e", edges,
            ])
            .args(selection)
            .output()
            .expect("cargo tree");
        assert!(output.status.success(), "{output:?}");
        parse_tree(&String::from_utf8_lossy(&output.stdout))
    }

    type Features = BTreeMap<String, BTreeSet<BTreeSet<String>>>;

    fn parse_tree(tree: &str) -> Features {
        tree.lines()
            .filter_map(|line| {
                let mut words = line.split_whitespace();
                let (name, version) = (words.next()?, words.next()?);
                // A package shown before is marked `(*)`, in place of empty features.
                let features = words.next().filter(|w| *w != "(*)").unwrap_or("");
                // Workspace crates show their path here: their own features may differ.
                (!features.starts_with('(')).then(|| (format!("{name} {version}"), features))
            })
            .fold(BTreeMap::new(), |mut all, (package, features)| {
                all.entry(package).or_default().insert(
                    features
                        .split(',')
                        .filter(|f| !f.is_empty())
                        .map(str::to_owned)
                        .collect(),
                );
                all
            })
    }

    /// Fails naming every package `later` builds with features no build before it used for
    /// that package: cargo would compile it (and everything that depends on it) again.
    fn assert_built_before(before: &[&Features], later: &Features, label: &str) {
        let again: Vec<String> = later
            .iter()
            .filter_map(|(package, sets)| {
                let built: BTreeSet<&BTreeSet<String>> = before
                    .iter()
                    .filter_map(|features| features.get(package))
                    .flatten()
                    .collect();
                let new: Vec<_> = sets.iter().filter(|set| !built.contains(set)).collect();
                (!built.is_empty() && !new.is_empty())
                    .then(|| format!("{package}: built before {built:?}, {label} {new:?}"))
            })
            .collect();
        assert!(
            again.is_empty(),
            "turn these features on in src-tauri/Cargo.toml too:\n{}",
            again.join("\n")
        );
    }

    /// The pipeline's builds in their order — the first one (everything linted), the unit
    /// tests, the end-to-end tests, the app's own — compile no shared registry dependency
    /// again: each resolves it with features a build before it used (src-tauri/Cargo.toml
    /// turns on what the tests' dev-dependencies and the WebDriver client turn on).
    #[test]
    fn no_build_compiles_a_dependency_of_a_build_before_it_again() {
        let all = "normal,build,dev";
        let first = resolved_features(FIRST_BUILD, all);
        let unit = resolved_features(UNIT_PACKAGES, all);
        assert_built_before(&[&first], &unit, "the unit tests");
        let e2e = resolved_features(E2E_PACKAGES, all);
        assert_built_before(&[&first, &unit], &e2e, "the end-to-end tests");
        let app = resolved_features(
            &["-p", "aadsync-desktop", "-p", "aadsync-cli"],
            "normal,build",
        );
        assert_built_before(&[&first, &unit, &e2e], &app, "the app");
    }

    /// The check above sees a package built with other features, the empty set included
    /// (which `cargo tree` prints as nothing, or as `(*)` when repeated).
    #[test]
    fn a_feature_set_no_build_before_used_is_a_second_compilation() {
        let first = parse_tree(
            "yoke v0.7.5 alloc,derive\nstable_deref_trait v1.2.1 alloc\nstable_deref_trait v1.2.1 alloc,std\naadsync-e2e v0.1.0 (/w/tests)\n",
        );
        let same = parse_tree(
            "stable_deref_trait v1.2.1 alloc,std\nstable_deref_trait v1.2.1 alloc (*)\n",
        );
        assert_built_before(&[&first], &same, "same");
        let unit = parse_tree(
            "stable_deref_trait v1.2.1 \nstable_deref_trait v1.2.1 alloc,std\nstable_deref_trait v1.2.1 (*)\nurl v2 std\n",
        );
        assert_eq!(unit["stable_deref_trait v1.2.1"].len(), 2);
        let caught = std::panic::catch_unwind(|| assert_built_before(&[&first], &unit, "unit"));
        assert!(
            caught.is_err(),
            "the empty feature set is a build of its own"
        );
    }

    #[test]
    fn the_bench_scale_is_100k_or_1m() {
        let args = |a: &[&str]| a.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(Scale::parse(&args(&[])), Ok(Scale::Default));
        assert_eq!(
            Scale::parse(&args(&["--scale", "100k"])),
            Ok(Scale::Default)
        );
        assert_eq!(Scale::parse(&args(&["--scale", "1m"])), Ok(Scale::Million));
        for bad in [&["--scale"][..], &["--scale", "10m"], &["1m"]] {
            assert!(Scale::parse(&args(bad)).is_err(), "{bad:?}");
        }
        assert!(Scale::Default.env().is_empty());
        assert_eq!(
            Scale::Million.env(),
            &[("BENCH_USERS", "1000000"), ("BENCH_GROUPS", "50000")]
        );
    }

    #[test]
    fn parses_libtest_summaries() {
        let cases = [
            (
                "test result: ok. 12 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.01s",
                Some(Counts {
                    passed: 12,
                    failed: 0,
                }),
            ),
            (
                "test result: FAILED. 3 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out",
                Some(Counts {
                    passed: 3,
                    failed: 1,
                }),
            ),
            ("running 3 tests", None),
            ("test foo ... ok", None),
        ];
        for (line, expect) in cases {
            assert_eq!(parse_test_result(line), expect, "{line}");
        }
    }
}
