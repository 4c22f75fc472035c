//! `cargo xtask dist`: the frontend and the binaries built, then bundled into the platform's
//! packages by `aadsync-dist` (xtask/dist: Tauri's bundler as a library, a crate of its own so
//! that the rest of xtask stays std-only and compiles in seconds).

use crate::steps::{Ctx, build_frontend};
use std::path::PathBuf;
use std::time::Instant;

/// Builds the packages from release binaries (or debug ones) and returns their paths: the
/// platform's usual ones, or only the types in `only` (the bundler's short names, e.g. `deb`).
pub fn run(ctx: &mut Ctx, debug: bool, only: &[&str]) -> Result<Vec<PathBuf>, String> {
    build_frontend(ctx, !debug)?;
    let mut build = ctx.cargo();
    build.args([
        "build",
        "--locked",
        "-p",
        "aadsync-desktop",
        "-p",
        "aadsync-cli",
    ]);
    if !debug {
        build.arg("--release");
    }
    let profile = if debug { "debug" } else { "release" };
    ctx.step(
        &format!("build the app and the CLI ({profile})"),
        &mut build,
    )?;
    // Tauri's bundler is a tool, not the product: as in the clippy of `cargo xtask test`.
    let mut bundler = ctx.cargo_unlinted();
    bundler.args(["build", "--locked", "-p", "aadsync-dist"]);
    ctx.step("build the bundler (xtask/dist)", &mut bundler)?;

    let bin_dir = ctx.target_dir().join(profile);
    let tool = ctx
        .target_dir()
        .join("debug")
        .join(format!("aadsync-dist{}", std::env::consts::EXE_SUFFIX));
    println!("\n── bundle with Tauri's bundler ──");
    let start = Instant::now();
    let output = ctx
        .command(&tool)
        .arg(&ctx.root)
        .arg(&bin_dir)
        .args(only)
        .stderr(std::process::Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot start {}: {e}", tool.display()))?;
    ctx.record("bundle", start.elapsed());
    if !output.status.success() {
        return Err(format!("bundling failed ({})", output.status));
    }
    let packages: Vec<PathBuf> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(PathBuf::from)
        .collect();
    for package in &packages {
        let size = std::fs::metadata(package).map(|m| m.len()).unwrap_or(0);
        println!(
            "{:>8.1} MiB  {}",
            size as f64 / 1048576.0,
            package.display()
        );
    }
    Ok(packages)
}
