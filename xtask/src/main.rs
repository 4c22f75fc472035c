//! `cargo xtask`: the project's two entry points, `run` and `test`, plus their parts.
//!
//! Both commands first install what is missing (system packages on Debian/Ubuntu, the wasm32
//! target, version-pinned cargo tools in a cache outside the repository), so a fresh machine
//! needs only a Rust toolchain and this repository. Std only, so it compiles in seconds.

mod dist;
mod dist_test;
mod mutants;
mod prereqs;
mod screenshots;
mod steps;
mod targets;
mod tidy;

use prereqs::Purpose;
use std::process::ExitCode;
use steps::Ctx;

const USAGE: &str = "\
usage: cargo xtask <command>

  run [--release] [-- APP-ARGS]   install what is missing, build the frontend and the app, launch it
  test [--no-e2e] [--no-install-test]
                                  install what is missing, then fmt, clippy (native + wasm32),
                                  unit/integration tests, the end-to-end tests and (Linux, as
                                  root) the install test, dist-test
  bench [--scale 100k|1m]         release build, then the benchmarks (store, emulator, sync, Users area UI);
                                  --scale 1m: 1,000,000 users and 50,000 groups instead of 100,000 and 5,000
  screenshots                     run the wizard's end-to-end tests and copy their screenshots to docs/screenshots
  compat                          drive the emulator with Microsoft's own MSAL Python (needs python3)
  mutants [MODULE…]               mutation testing of the decision-making modules (cargo-mutants);
                                  MODULE is e.g. store::plan; summary in target/mutants/summary.md
  tidy                            check the code's shape: module docs, no unwrap/expect outside tests,
                                  file and function length, crate and module cycles (also a test)
  check-targets                   type-check the default members for Windows (x86_64-pc-windows-gnu;
                                  installs the target and MinGW); macOS cannot be checked here
  setup [--test]                  only install what `run` (or `test`) needs
  frontend [--release]            only build the frontend into frontend/dist
  dist [--debug]                  installable packages with Tauri's bundler (Linux: .deb and .rpm,
                                  Windows: NSIS .exe, macOS: .app and .dmg) in target/<profile>/bundle
  dist-test                       Linux, root: the .deb (debug build) installed on a clean Debian 12
                                  (debootstrap), its version, the E2E smoke test against the
                                  installed app, and removal keeping the user's data

environment:
  AADSYNC_TOOLS_DIR   where cargo-installed tools are cached (default: the user cache dir)";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("run") => cmd_run(&args[1..]),
        Some("test") => cmd_test(&args[1..]),
        Some("bench") => steps::Scale::parse(&args[1..]).and_then(|scale| {
            let mut ctx = Ctx::new()?;
            prereqs::ensure(&mut ctx, Purpose::Test)?;
            steps::bench(&mut ctx, scale)
        }),
        Some("screenshots") => Ctx::new().and_then(|mut ctx| {
            prereqs::ensure(&mut ctx, Purpose::Test)?;
            screenshots::screenshots(&mut ctx)
        }),
        Some("compat") => Ctx::new().and_then(|mut ctx| steps::compat(&mut ctx, true)),
        Some("mutants") => Ctx::new().and_then(|mut ctx| {
            prereqs::ensure_mutants(&mut ctx)?;
            mutants::run(&mut ctx, &args[1..])
        }),
        Some("check-targets") => Ctx::new().and_then(|mut ctx| targets::run(&mut ctx)),
        Some("tidy") => Ctx::new().and_then(|ctx| tidy::run(&ctx.root)),
        Some("setup") => {
            let purpose = if args.iter().any(|a| a == "--test") {
                Purpose::Test
            } else {
                Purpose::Run
            };
            Ctx::new().and_then(|mut ctx| prereqs::ensure(&mut ctx, purpose))
        }
        Some("dist") => cmd_dist(&args[1..]),
        Some("dist-test") if args.get(1).is_some_and(|a| a == "--inside") => {
            Ctx::new().and_then(|mut ctx| {
                prereqs::ensure(&mut ctx, Purpose::Test)?;
                dist_test::inside(&mut ctx, &args[2..])
            })
        }
        Some("dist-test") => Ctx::new().and_then(|mut ctx| {
            prereqs::ensure(&mut ctx, Purpose::Test)?;
            let outcome = dist_test::start(&ctx).and_then(|d| dist_test::run(&mut ctx, d));
            ctx.print_timings();
            outcome
        }),
        Some("frontend") => Ctx::new().and_then(|mut ctx| {
            prereqs::ensure(&mut ctx, Purpose::Run)?;
            steps::build_frontend(&mut ctx, args.iter().any(|a| a == "--release"))
        }),
        Some("help" | "--help" | "-h") | None => {
            println!("{USAGE}");
            Ok(())
        }
        Some(other) => Err(format!("unknown command {other:?}\n\n{USAGE}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("\nxtask: error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn cmd_run(args: &[String]) -> Result<(), String> {
    let (ours, app_args) = match args.iter().position(|a| a == "--") {
        Some(i) => (&args[..i], &args[i + 1..]),
        None => (args, &[][..]),
    };
    let release = ours.iter().any(|a| a == "--release");
    if let Some(bad) = ours.iter().find(|a| *a != "--release") {
        return Err(format!("unknown option {bad:?} for run\n\n{USAGE}"));
    }
    prereqs::check_display()?;
    let mut ctx = Ctx::new()?;
    prereqs::ensure(&mut ctx, Purpose::Run)?;
    steps::build_frontend(&mut ctx, release)?;
    let mut cargo = ctx.cargo();
    cargo.args(["run", "--locked", "-p", "aadsync-desktop"]);
    if release {
        cargo.arg("--release");
    }
    cargo.arg("--").args(app_args);
    ctx.step("build and launch the app", &mut cargo)
}

fn cmd_test(args: &[String]) -> Result<(), String> {
    let e2e = !args.iter().any(|a| a == "--no-e2e");
    let install = e2e && !args.iter().any(|a| a == "--no-install-test");
    if let Some(bad) = args
        .iter()
        .find(|a| *a != "--no-e2e" && *a != "--no-install-test")
    {
        return Err(format!("unknown option {bad:?} for test\n\n{USAGE}"));
    }
    let mut ctx = Ctx::new()?;
    prereqs::ensure(&mut ctx, Purpose::Test)?;
    // The install test's clean Debian root downloads while everything else builds and runs.
    let install = install && dist_test::possible();
    let debootstrap = if install {
        dist_test::start(&ctx)?
    } else {
        None
    };
    let outcome = steps::test_all(&mut ctx, e2e).and_then(|()| {
        if install {
            dist_test::run(&mut ctx, debootstrap)
        } else {
            println!(
                "\n(install test skipped: --no-e2e or --no-install-test, or not root on Linux)"
            );
            Ok(())
        }
    });
    ctx.print_timings();
    let counts = ctx.test_counts();
    // The last line is the machine-readable verdict.
    println!("tests: {} passed, {} failed", counts.passed, counts.failed);
    outcome
}

fn cmd_dist(args: &[String]) -> Result<(), String> {
    let debug = args.iter().any(|a| a == "--debug");
    if let Some(bad) = args.iter().find(|a| *a != "--debug") {
        return Err(format!("unknown option {bad:?} for dist\n\n{USAGE}"));
    }
    let mut ctx = Ctx::new()?;
    prereqs::ensure(&mut ctx, Purpose::Run)?;
    let outcome = dist::run(&mut ctx, debug, &[]).map(drop);
    ctx.print_timings();
    outcome
}
