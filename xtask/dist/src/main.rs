//! `aadsync-dist`: bundles the built app and CLI into the platform's packages with Tauri's
//! bundler. `cargo xtask dist` builds the binaries first and then runs this.
//!
//! Usage: `aadsync-dist <repository root> <binaries folder> [deb|rpm|nsis|app|dmg …]`; prints
//! each package's path. Naming package types builds only those (the install test needs only the
//! `.deb`).

mod error;
mod extras;
mod settings;

use error::DistError;
use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    let [root, bin_dir, only @ ..] = args.as_slice() else {
        eprintln!(
            "usage: aadsync-dist <repository root> <binaries folder, e.g. target/release> [TYPE…]"
        );
        return ExitCode::FAILURE;
    };
    let only: Vec<String> = only
        .iter()
        .map(|t| t.to_string_lossy().into_owned())
        .collect();
    match run(root, bin_dir, &only) {
        Ok(packages) => {
            for package in packages {
                println!("{}", package.display());
            }
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("aadsync-dist: {err}");
            ExitCode::FAILURE
        }
    }
}

fn run(
    root: &std::path::Path,
    bin_dir: &std::path::Path,
    only: &[String],
) -> Result<Vec<PathBuf>, DistError> {
    let extras = extras::generate(bin_dir)?;
    let settings = settings::build(root, bin_dir, &extras, only)?;
    let bundles = tauri_bundler::bundle_project(&settings)?;
    Ok(bundles.into_iter().flat_map(|b| b.bundle_paths).collect())
}
