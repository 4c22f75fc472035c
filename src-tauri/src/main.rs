//! Entry point of the aadsync desktop app.

// Without a console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    aadsync_desktop::run();
}
