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
        self.command(cargo)
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

/// Builds `frontend/dist` with trunk (offline: a wasm-bindgen-cli mismatch must be an error).
pub fn build_frontend(ctx: &mut Ctx, release: bool) -> Result<(), String> {
    let mut trunk = ctx.command("trunk");
    trunk
        .current_dir(ctx.root.join("frontend"))
        .args(["build", "--offline", "--locked"])
        .env("CARGO_TARGET_DIR", ctx.target_dir())
        .env_remove("NO_COLOR");
    if release {
        trunk.arg("--release");
    }
    ctx.step("frontend (trunk build)", &mut trunk)
}

/// Everything `cargo xtask test` checks, in an order where cheap failures come first.
pub fn test_all(ctx: &mut Ctx, e2e: bool) -> Result<(), String> {
    let mut fmt = ctx.cargo();
    fmt.args(["fmt", "--all", "--", "--check"]);
    ctx.step("cargo fmt --check", &mut fmt)?;

    // The app embeds frontend/dist at compile time, so the frontend comes before clippy.
    build_frontend(ctx, false)?;

    let mut clippy = ctx.cargo();
    clippy.args([
        "clippy",
        "--locked",
        "--workspace",
        // Tauri's bundler (xtask/dist) is only built by `cargo xtask dist` and `dist-test`.
        "--exclude",
        "aadsync-dist",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]);
    ctx.step("clippy (native)", &mut clippy)?;

    let mut clippy_wasm = ctx.cargo();
    clippy_wasm.args([
        "clippy",
        "--locked",
        "--target",
        "wasm32-unknown-unknown",
        "-p",
        "aadsync-frontend",
        "-p",
        "aadsync-ipc",
        "--",
        "-D",
        "warnings",
    ]);
    ctx.step("clippy (wasm32: frontend, ipc)", &mut clippy_wasm)?;

    let mut unit = ctx.cargo();
    unit.args([
        "test",
        "--locked",
        "--workspace",
        "--exclude",
        "aadsync-e2e",
        "--exclude",
        "aadsync-dist",
    ]);
    ctx.test_step("unit and integration tests", &mut unit)?;

    if cfg!(target_os = "linux") {
        compat(ctx)?;
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
    let mut build = ctx.cargo();
    build.args(["build", "--locked", "-p", "aadsync-desktop"]);
    ctx.step("build the app for end-to-end tests", &mut build)?;

    let app = ctx.target_dir().join("debug").join("aadsync-desktop");
    let mut e2e = ctx.cargo();
    e2e.args(["test", "--locked", "-p", "aadsync-e2e"])
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
/// an emulator started with TLS: what Microsoft's own client libraries make of it.
pub fn compat(ctx: &mut Ctx) -> Result<(), String> {
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

/// The benchmarks, on release builds (numbers from debug builds mean little).
pub fn bench(ctx: &mut Ctx) -> Result<(), String> {
    let mut store = ctx.cargo();
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
    emulator.args([
        "bench",
        "--locked",
        "-p",
        "aadsync-emulator",
        "--bench",
        "emulator_bench",
    ]);
    ctx.step("emulator benchmark", &mut emulator)?;

    let mut sync = ctx.cargo();
    sync.args([
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
    ui.args([
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

/// Screenshots for the README: the E2E tests that walk the wizard, then the chosen pictures
/// copied to `docs/screenshots/` under stable names.
pub fn screenshots(ctx: &mut Ctx) -> Result<(), String> {
    build_frontend(ctx, false)?;
    let mut build = ctx.cargo();
    build.args(["build", "--locked", "-p", "aadsync-desktop"]);
    ctx.step("build the app", &mut build)?;
    let app = ctx.target_dir().join("debug").join("aadsync-desktop");
    let mut e2e = ctx.cargo();
    e2e.args([
        "test",
        "--locked",
        "-p",
        "aadsync-e2e",
        "--test",
        "e2e",
        "--",
    ])
    .args(SCREENSHOT_TESTS)
    .env("AADSYNC_APP_BIN", &app);
    ctx.test_step(
        "end-to-end tests that take the README's screenshots",
        &mut e2e,
    )?;
    let shots = ctx.target_dir().join("e2e").join("screenshots");
    let docs = ctx.root.join("docs").join("screenshots");
    std::fs::create_dir_all(&docs).map_err(|e| format!("{}: {e}", docs.display()))?;
    for (test, shot, to) in SCREENSHOTS {
        let source = find_shot(&shots.join(test), shot)?;
        std::fs::copy(&source, docs.join(to))
            .map_err(|e| format!("copying {}: {e}", source.display()))?;
        println!("docs/screenshots/{to}");
    }
    Ok(())
}

/// `dir/NN-shot.png`: a test numbers its screenshots in the order it takes them, so the
/// number changes when a test takes one more; the name does not.
fn find_shot(dir: &Path, shot: &str) -> Result<PathBuf, String> {
    let suffix = format!("-{shot}.png");
    std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.strip_suffix(&suffix))
                .is_some_and(|number| {
                    !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit())
                })
        })
        .ok_or_else(|| format!("no screenshot {shot:?} in {}", dir.display()))
}

/// The end-to-end tests (filters) that take the README's screenshots.
const SCREENSHOT_TESTS: &[&str] = &[
    "signin::",
    "sync::",
    "undo::",
    "scope::",
    "conflicts::",
    "schedule::",
    "registration::",
    "consent::admin_consent_then_sign_in",
    "register::preview_then_create",
    "a11y::every_screen_passes_axe_in_dark_mode",
];

/// (test's screenshot folder, screenshot name, README file name).
const SCREENSHOTS: &[(&str, &str, &str)] = &[
    ("signin_demo", "empty-users-area", "1-users-area-empty.png"),
    (
        "signin_new_organization",
        "new-organization-invalid-tenant",
        "2-organization-new.png",
    ),
    (
        "signin_new_organization",
        "device-code",
        "3-sign-in-device-code.png",
    ),
    (
        "signin_new_organization",
        "non-admin-refused",
        "4-sign-in-refused.png",
    ),
    ("sync_wizard", "select-objects", "5-select-objects.png"),
    ("sync_wizard", "preview", "6-preview.png"),
    ("sync_wizard", "results", "7-results.png"),
    ("sync_wizard", "azure-ad-tab", "8-azure-ad-tab.png"),
    (
        "sync_wizard",
        "organization-last-synchronized",
        "9-organization-last-synchronized.png",
    ),
    (
        "sync_deleted_objects",
        "deletion-safeguard",
        "10-deletion-safeguard.png",
    ),
    (
        "sync_deleted_objects",
        "deleted-objects-threshold",
        "11-deleted-objects.png",
    ),
    ("sync_deleted_objects", "audit-log", "12-audit-log.png"),
    (
        "undo_older_run",
        "undo-preview-conflict",
        "13-undo-conflict.png",
    ),
    (
        "saved_scope",
        "saved-scope-preview",
        "14-saved-scope-preview.png",
    ),
    ("conflicts", "conflicts-resolved", "15-conflicts.png"),
    (
        "a11y_dark",
        "wizard-preview",
        "16-dark-preview-conflict.png",
    ),
    ("a11y_dark", "wizard-objects", "17-dark-select-objects.png"),
    (
        "a11y_dark",
        "user-properties-azure-ad",
        "18-dark-azure-ad-tab.png",
    ),
    (
        "schedule",
        "schedule-step-1",
        "19-organization-schedule.png",
    ),
    ("schedule", "schedule-notice", "20-schedule-notice.png"),
    (
        "registration_check",
        "registration-check",
        "21-registration-check.png",
    ),
    ("consent", "consent-choice", "22-consent-choice.png"),
    ("register", "register-preview", "23-register-preview.png"),
];

#[cfg(test)]
mod tests {
    use super::*;

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
