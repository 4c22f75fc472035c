//! `cargo xtask check-targets`: type-checks the default members for the other desktop
//! platforms that can be checked from here, so that code behind `cfg(windows)` (the keyring's
//! Credential Manager backend, the Task Scheduler schedules, file permissions) does not rot
//! unseen. Windows: the `x86_64-pc-windows-gnu` standard library (rustup) and the MinGW C
//! compiler (Debian `gcc-mingw-w64-x86-64`) for the C inside aws-lc-sys, ring and SQLite.
//! macOS is not checked: its C dependencies need Apple's SDK, which no package registry
//! serves; that needs a macOS runner.

use crate::prereqs::{self, Purpose};
use crate::steps::{self, Ctx};

const WINDOWS: &str = "x86_64-pc-windows-gnu";
const MINGW_DEB: &str = "gcc-mingw-w64-x86-64";
const MINGW_GCC: &str = "x86_64-w64-mingw32-gcc";

pub fn run(ctx: &mut Ctx) -> Result<(), String> {
    prereqs::ensure(ctx, Purpose::Run)?;
    prereqs::ensure_rust_target(WINDOWS)?;
    prereqs::ensure_program(MINGW_GCC, MINGW_DEB)?;
    // Tauri's generate_context! embeds frontend/dist, so it must exist to type-check the app.
    steps::build_frontend(ctx, false)?;
    let mut cargo = ctx.cargo();
    cargo
        .args(["check", "--locked", "--target", WINDOWS])
        // Its own folder: the native build's artifacts stay as they are.
        .env("CARGO_TARGET_DIR", ctx.target_dir().join("check-targets"))
        .env("RUSTFLAGS", "-D warnings");
    ctx.step(&format!("cargo check --target {WINDOWS}"), &mut cargo)?;
    println!(
        "\nmacOS (x86_64-apple-darwin, aarch64-apple-darwin) is not checked here: its C \
         dependencies need Apple's SDK. Check it on a macOS machine with `cargo check`."
    );
    ctx.print_timings();
    Ok(())
}
