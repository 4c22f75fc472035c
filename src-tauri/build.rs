//! Build script: Tauri's code generation from the root `tauri.conf.json`, and one generated
//! permission per app command, taken from the IPC contract's command list.

fn main() {
    let manifest = tauri_build::AppManifest::new().commands(aadsync_ipc::COMMANDS);
    let attributes = tauri_build::Attributes::new()
        .config_path("../tauri.conf.json")
        .app_manifest(manifest);
    if let Err(err) = tauri_build::try_build(attributes) {
        // build.rs has no caller to return to: report and fail the build.
        eprintln!("tauri-build failed: {err:#}");
        std::process::exit(1);
    }
}
