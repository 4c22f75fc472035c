//! Files the admin exports (run results, the audit log): CSV quoting, and saving to the
//! Downloads folder without overwriting anything.

use aadsync_ipc::IpcError;
use std::path::PathBuf;
use tauri::Manager;

/// One CSV field, quoted when it has to be (RFC 4180).
pub fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

/// The Downloads folder (the home folder where there is none).
pub fn downloads<R: tauri::Runtime>(app: &tauri::AppHandle<R>) -> Result<PathBuf, IpcError> {
    app.path()
        .download_dir()
        .or_else(|_| app.path().home_dir())
        .map_err(|e| IpcError::internal(format!("No folder to save to: {e}")))
}

/// Writes `content` to `dir/stem.ext`, or `stem-2.ext`, … if that exists; returns the path.
pub fn save_new(
    dir: &std::path::Path,
    stem: &str,
    ext: &str,
    content: &str,
) -> Result<String, IpcError> {
    std::fs::create_dir_all(dir).map_err(|e| IpcError::internal(e.to_string()))?;
    let mut path = dir.join(format!("{stem}.{ext}"));
    let mut n = 1;
    while path.exists() {
        n += 1;
        path = dir.join(format!("{stem}-{n}.{ext}"));
    }
    std::fs::write(&path, content)
        .map_err(|e| IpcError::internal(format!("Cannot write {}: {e}", path.display())))?;
    Ok(path.display().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_and_new_files() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("Lee, \"Ann\""), "\"Lee, \"\"Ann\"\"\"");
        let dir = std::env::temp_dir().join(format!("aadsync-export-{}", std::process::id()));
        let first = save_new(&dir, "run", "csv", "a").unwrap_or_default();
        let second = save_new(&dir, "run", "csv", "b").unwrap_or_default();
        assert!(
            first.ends_with("run.csv") && second.ends_with("run-2.csv"),
            "{first} {second}"
        );
        assert_eq!(std::fs::read_to_string(&first).ok().as_deref(), Some("a"));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
