//! What the build and the tests need, and installing what is missing.
//!
//! Debian/Ubuntu: apt packages (as root, or with passwordless sudo). Everywhere: rustc ≥ the
//! workspace's rust-version, the wasm32 target, and cargo tools pinned to exact versions and
//! installed under `<tools dir>/<crate>-<version>/`, so a second run installs nothing and a
//! version bump installs side by side.

use crate::steps::Ctx;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Run,
    Test,
}

/// Minimum rustc: rusqlite_migration 2.6 needs 1.95.
const MIN_RUSTC: (u32, u32) = (1, 95);

/// Debian packages to build and run a Tauri 2 app on WebKitGTK 4.1.
const APT_RUN: &[&str] = &[
    "build-essential",
    "pkg-config",
    "libssl-dev",
    "file",
    "libwebkit2gtk-4.1-dev",
    "libgtk-3-dev",
    "libsoup-3.0-dev",
    "librsvg2-dev",
    "libayatana-appindicator3-dev",
    "libxdo-dev",
    "libdbus-1-dev",
    // bindgen for rusqlite's `session` feature (the changesets undo applies), which builds
    // SQLite's bindings at build time.
    "libclang-dev",
];

/// Extra packages for the tests: virtual display, WebDriver for WebKitGTK, a session bus
/// (`dbus-send` comes with `dbus`), and a Secret Service implementation.
const APT_TEST: &[&str] = &[
    "xvfb",
    "xauth",
    "webkit2gtk-driver",
    "dbus",
    "dbus-x11",
    "gnome-keyring",
    // `secret-tool`: the end-to-end tests read the keyring to look for its secrets elsewhere.
    "libsecret-tools",
    // `update-ca-certificates`: the HTTPS sign-in test puts the emulator's CA in the OS trust
    // store, and only there (tests/support/trust.rs).
    "ca-certificates",
    // The CLI's generated man page is rendered with man's own checks (crates/cli/tests).
    "man-db",
    // The end-to-end tests type into GTK's save dialog with real key events (XTEST).
    "xdotool",
    // The MSAL Python compatibility check of the emulator; Python's plistlib reads the
    // launchd agents the schedule crate generates (crates/schedule/tests/formats).
    "python3",
    "python3-venv",
    // `plistutil` (libplist) parses and converts the launchd agents, `xmllint` the Task
    // Scheduler XML (crates/schedule/tests/formats).
    "libplist-utils",
    "libxml2-utils",
];

/// The axe-core release the accessibility audit runs (npm registry).
const AXE_VERSION: &str = "4.14.1";

/// A cargo-installed tool pinned to one version.
struct Tool {
    krate: &'static str,
    version: String,
    bin: &'static str,
    /// `--locked`, except where the crate's own lock file pins a yanked dependency.
    locked: bool,
}

impl Tool {
    fn root(&self, tools_dir: &Path) -> PathBuf {
        tools_dir.join(format!("{}-{}", self.krate, self.version))
    }

    fn bin_dir(&self, tools_dir: &Path) -> PathBuf {
        self.root(tools_dir).join("bin")
    }
}

/// Fails early when there is no display to show the app on.
pub fn check_display() -> Result<(), String> {
    if cfg!(target_os = "linux")
        && std::env::var_os("DISPLAY").is_none_or(|d| d.is_empty())
        && std::env::var_os("WAYLAND_DISPLAY").is_none_or(|d| d.is_empty())
    {
        return Err("no display: run this from a desktop session (DISPLAY or WAYLAND_DISPLAY), or under `xvfb-run -a cargo xtask run` on a headless machine".into());
    }
    Ok(())
}

/// Installs whatever `purpose` needs and is missing, and puts the tools on the context's PATH.
pub fn ensure(ctx: &mut Ctx, purpose: Purpose) -> Result<(), String> {
    let start = Instant::now();
    println!("── prerequisites ({purpose:?}) ──");
    check_platform()?;
    check_rustc()?;
    if cfg!(target_os = "linux") {
        ensure_linux_packages(purpose)?;
    }
    ensure_wasm_target()?;
    for tool in tools(ctx, purpose)? {
        ensure_tool(ctx, &tool)?;
    }
    if purpose == Purpose::Test && cfg!(target_os = "linux") {
        ctx.axe_js = Some(ensure_axe(ctx)?);
    }
    ctx.record("prerequisites (including installs above)", start.elapsed());
    Ok(())
}

fn check_platform() -> Result<(), String> {
    if cfg!(any(target_os = "linux", target_os = "macos", windows)) {
        Ok(())
    } else {
        Err(format!(
            "{} is not supported: aadsync builds on Linux, macOS and Windows",
            std::env::consts::OS
        ))
    }
}

fn output(program: &str, args: &[&str]) -> Option<String> {
    Command::new(program)
        .args(args)
        .stderr(Stdio::null())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
}

fn check_rustc() -> Result<(), String> {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let text = output(&rustc, &["--version"])
        .ok_or("rustc is not installed: install Rust with rustup (https://rustup.rs) first")?;
    let version = parse_rustc_version(&text)
        .ok_or_else(|| format!("cannot read the rustc version from {text:?}"))?;
    if version < MIN_RUSTC {
        return Err(format!(
            "rustc {}.{} is too old: aadsync needs {}.{} or newer (`rustup update stable`)",
            version.0, version.1, MIN_RUSTC.0, MIN_RUSTC.1
        ));
    }
    Ok(())
}

pub fn parse_rustc_version(text: &str) -> Option<(u32, u32)> {
    let version = text.split_whitespace().nth(1)?;
    let mut parts = version.split(['.', '-']);
    Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
}

fn ensure_wasm_target() -> Result<(), String> {
    ensure_rust_target("wasm32-unknown-unknown")
}

/// `rustup target add TARGET` unless it is installed.
pub fn ensure_rust_target(target: &str) -> Result<(), String> {
    let installed = output("rustup", &["target", "list", "--installed"]).ok_or_else(|| {
        format!("rustup is not available: install the {target} target for your toolchain by hand")
    })?;
    if installed.lines().any(|l| l.trim() == target) {
        return Ok(());
    }
    println!("installing the {target} target");
    let ok = Command::new("rustup")
        .args(["target", "add", target])
        .status()
        .is_ok_and(|s| s.success());
    if ok {
        Ok(())
    } else {
        Err(format!("`rustup target add {target}` failed"))
    }
}

fn is_debian_like() -> bool {
    let release = std::fs::read_to_string("/etc/os-release").unwrap_or_default();
    release.lines().any(|l| {
        (l.starts_with("ID=") || l.starts_with("ID_LIKE="))
            && (l.contains("debian") || l.contains("ubuntu"))
    }) && output("dpkg-query", &["--version"]).is_some()
}

fn missing_debs(packages: &[&str]) -> Vec<String> {
    let mut args = vec!["-W", "-f", "${Package} ${db:Status-Status}\n"];
    args.extend_from_slice(packages);
    // dpkg-query exits 1 when some package is unknown, but still prints the known ones.
    let text = Command::new("dpkg-query")
        .args(&args)
        .stderr(Stdio::null())
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    packages
        .iter()
        .filter(|p| {
            !text.lines().any(|l| {
                let mut words = l.split_whitespace();
                words.next().map(|n| n.split(':').next() == Some(**p)) == Some(true)
                    && words.next() == Some("installed")
            })
        })
        .map(|p| (*p).to_owned())
        .collect()
}

fn ensure_linux_packages(purpose: Purpose) -> Result<(), String> {
    let mut wanted: Vec<&str> = APT_RUN.to_vec();
    if purpose == Purpose::Test {
        wanted.extend_from_slice(APT_TEST);
    }
    if !is_debian_like() {
        return check_linux_without_apt(purpose);
    }
    let missing = missing_debs(&wanted);
    if missing.is_empty() {
        return Ok(());
    }
    apt_install(&missing)?;
    let still = missing_debs(&wanted);
    if still.is_empty() {
        Ok(())
    } else {
        Err(format!("apt-get did not install: {}", still.join(" ")))
    }
}

/// `apt-get install` of `missing`, as root or through passwordless sudo.
pub fn apt_install(missing: &[String]) -> Result<(), String> {
    println!("installing Debian packages: {}", missing.join(" "));
    let is_root = output("id", &["-u"]).is_some_and(|id| id.trim() == "0");
    let sudo: &[&str] = if is_root {
        &[]
    } else if Command::new("sudo")
        .args(["-n", "true"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
    {
        &["sudo", "-n"]
    } else {
        return Err(format!(
            "these Debian packages are missing and this user cannot install them:\n  sudo apt-get install --no-install-recommends {}",
            missing.join(" ")
        ));
    };
    let apt = |args: &[&str]| -> Result<(), String> {
        let mut full: Vec<&str> = sudo.to_vec();
        full.push("apt-get");
        full.extend_from_slice(args);
        let status = Command::new(full[0])
            .args(&full[1..])
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status()
            .map_err(|e| format!("cannot run apt-get: {e}"))?;
        if status.success() {
            Ok(())
        } else {
            Err(format!("`{}` failed ({status})", full.join(" ")))
        }
    };
    apt(&["update", "-q"])?;
    let mut install = vec!["install", "-y", "-q", "--no-install-recommends"];
    install.extend(missing.iter().map(String::as_str));
    apt(&install)
}

/// axe-core, the accessibility engine the end-to-end audit injects (tests/e2e/a11y.rs), from
/// the npm registry, once; returns its `axe.min.js`. npm is the machine's (Node.js ships it),
/// or Debian's when there is none.
fn ensure_axe(ctx: &mut Ctx) -> Result<PathBuf, String> {
    let root = ctx.tools_dir.join(format!("axe-core-{AXE_VERSION}"));
    let script = root.join("node_modules/axe-core/axe.min.js");
    if script.is_file() {
        return Ok(script);
    }
    if find_on_path("npm").is_none() {
        if !is_debian_like() {
            return Err(
                "npm is needed for the accessibility audit's axe-core: install Node.js".into(),
            );
        }
        apt_install(&["npm".to_owned()])?;
    }
    std::fs::create_dir_all(&root).map_err(|e| format!("{}: {e}", root.display()))?;
    let mut npm = ctx.command("npm");
    npm.args([
        "install",
        "--no-save",
        "--no-audit",
        "--no-fund",
        "--prefix",
    ])
    .arg(&root)
    .arg(format!("axe-core@{AXE_VERSION}"));
    ctx.step(&format!("install axe-core {AXE_VERSION} (once)"), &mut npm)?;
    if script.is_file() {
        Ok(script)
    } else {
        Err(format!("npm did not produce {}", script.display()))
    }
}

/// `program` on PATH, installing the Debian package `deb` for it when missing (Debian and
/// Ubuntu), or saying what to install elsewhere.
pub fn ensure_program(program: &str, deb: &str) -> Result<(), String> {
    if find_on_path(program).is_some() {
        return Ok(());
    }
    if !is_debian_like() {
        return Err(format!(
            "`{program}` is missing: install it (Debian: {deb})"
        ));
    }
    apt_install(&[deb.to_owned()])?;
    match find_on_path(program) {
        Some(_) => Ok(()),
        None => Err(format!(
            "apt-get installed {deb} but `{program}` is still missing"
        )),
    }
}

/// Other distributions: check for what we cannot install, and say what to install.
fn check_linux_without_apt(purpose: Purpose) -> Result<(), String> {
    let mut missing = Vec::new();
    if output("pkg-config", &["--exists", "webkit2gtk-4.1"]).is_none() {
        missing.push("the WebKitGTK 4.1 and GTK 3 development packages (see https://v2.tauri.app/start/prerequisites/)".to_owned());
    }
    if purpose == Purpose::Test {
        for bin in [
            "Xvfb",
            "WebKitWebDriver",
            "dbus-daemon",
            "dbus-send",
            "gnome-keyring-daemon",
            "secret-tool",
        ] {
            if find_on_path(bin).is_none() {
                missing.push(format!("`{bin}`"));
            }
        }
    }
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "this is not Debian/Ubuntu, so nothing was installed automatically; install: {}",
            missing.join(", ")
        ))
    }
}

pub fn find_on_path(bin: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|d| d.join(bin))
        .find(|p| p.is_file())
}

/// The wasm-bindgen version in Cargo.lock, which wasm-bindgen-cli must equal.
fn locked_version(root: &Path, krate: &str) -> Result<String, String> {
    let lock = std::fs::read_to_string(root.join("Cargo.lock"))
        .map_err(|e| format!("cannot read Cargo.lock ({e}); it is part of the repository"))?;
    let needle = format!("name = \"{krate}\"");
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == needle
            && let Some(version) = lines
                .next()
                .and_then(|l| l.trim().strip_prefix("version = \""))
                .and_then(|v| v.strip_suffix('"'))
        {
            return Ok(version.to_owned());
        }
    }
    Err(format!("{krate} is not in Cargo.lock"))
}

fn tools(ctx: &Ctx, purpose: Purpose) -> Result<Vec<Tool>, String> {
    let mut tools = vec![Tool {
        krate: "wasm-bindgen-cli",
        version: locked_version(&ctx.root, "wasm-bindgen")?,
        bin: "wasm-bindgen",
        // Its published lock file pins a yanked crate; a fresh resolution builds fine.
        locked: false,
    }];
    if purpose == Purpose::Test && cfg!(target_os = "linux") {
        tools.push(Tool {
            krate: "tauri-driver",
            version: "2.1.0".into(),
            bin: "tauri-driver",
            locked: true,
        });
    }
    Ok(tools)
}

/// cargo-mutants for `cargo xtask mutants` only: not part of `run` or `test`.
pub fn ensure_mutants(ctx: &mut Ctx) -> Result<(), String> {
    ensure(ctx, Purpose::Test)?;
    ensure_tool(
        ctx,
        &Tool {
            krate: "cargo-mutants",
            version: "27.1.0".into(),
            bin: "cargo-mutants",
            locked: true,
        },
    )
}

fn ensure_tool(ctx: &mut Ctx, tool: &Tool) -> Result<(), String> {
    let bin_dir = tool.bin_dir(&ctx.tools_dir);
    let exe = bin_dir.join(format!("{}{}", tool.bin, std::env::consts::EXE_SUFFIX));
    if !exe.is_file() {
        println!(
            "installing {} {} into {} (once; later runs reuse it)",
            tool.krate,
            tool.version,
            tool.root(&ctx.tools_dir).display()
        );
        let mut cargo = ctx.cargo_unlinted();
        cargo
            .arg("install")
            .arg(format!("{}@{}", tool.krate, tool.version))
            .arg("--root")
            .arg(tool.root(&ctx.tools_dir))
            // Never build tools into the workspace's target dir (and never lock it).
            .env_remove("CARGO_TARGET_DIR")
            // Unoptimized: each runs for seconds per build, and compiles in half the time
            // (wasm-bindgen-cli: 57 s against 116 s on a 2-core machine; it then takes 6 s
            // instead of 1.3 s on the debug frontend). What it writes is the same.
            .arg("--debug");
        if tool.locked {
            cargo.arg("--locked");
        }
        let name = format!("install {} {}", tool.krate, tool.version);
        ctx.step(&name, &mut cargo)?;
        if !exe.is_file() {
            return Err(format!("{name} did not produce {}", exe.display()));
        }
    }
    ctx.path_front.push(bin_dir);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_rustc_versions() {
        let cases = [
            ("rustc 1.95.0 (59807616e 2026-04-14)", Some((1, 95))),
            ("rustc 1.90.0-nightly (abc 2025-01-01)", Some((1, 90))),
            ("rustc", None),
        ];
        for (text, expect) in cases {
            assert_eq!(parse_rustc_version(text), expect, "{text}");
        }
    }

    #[test]
    fn finds_the_locked_wasm_bindgen() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let version = locked_version(&root, "wasm-bindgen");
        assert!(
            version.as_ref().is_ok_and(|v| v.starts_with("0.2.")),
            "{version:?}"
        );
    }
}
