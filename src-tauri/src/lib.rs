//! The aadsync desktop app: Tauri wiring around the `aadsync-*` crates.
//!
//! This crate is the only one that knows Tauri. It parses the launch options, builds the
//! application state once in `setup`, and registers the command adapters of [`commands`],
//! each a few lines that call into a library crate and map its error to [`aadsync_ipc::IpcError`].

mod commands;
mod database;
mod export;
mod jobs;
mod launch;
mod logging;
mod signins;
mod state;

pub use launch::{LaunchError, LaunchOptions};

use tauri::Manager;

/// Runs the app until its last window closes. Exits the process with status 1 on a start-up
/// failure, after saying why on stderr (and in the log, when logging is already up).
pub fn run() {
    let options = match LaunchOptions::from_env_and_args(std::env::args_os().skip(1)) {
        Ok(options) => options,
        Err(err) => {
            eprintln!("aadsync: {err}");
            eprintln!("{}", LaunchOptions::USAGE);
            std::process::exit(2);
        }
    };
    let builder = tauri::Builder::default()
        // Used from the backend only (the save dialog, "Show in folder"): the web view is
        // granted none of their commands (capabilities/main.json).
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_opener::init())
        .setup(move |app| {
            let state = state::AppState::init(app.handle(), &options)?;
            app.manage(state);
            Ok(())
        })
        .invoke_handler(commands::handler());
    if let Err(err) = builder.run(tauri::generate_context!("../tauri.conf.json")) {
        tracing::error!(error = %err, "the app stopped with an error");
        eprintln!("aadsync: {err}");
        std::process::exit(1);
    }
}
