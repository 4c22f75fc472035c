//! Names from the directory reach the admin's terminal escaped (issue 14): a display name or an
//! administrator's name holding ESC, BEL or CR prints as `\u{1b}`, `\u{7}`, `\u{d}`, never as
//! the control character; JSON output keeps the exact text. And the preview-only exit code.

use crate::support::{aadsync, run};
use aadsync_store::{DirectoryChanges, DirectoryUser, OpenOptions, RunInfo, Store};
use std::path::Path;

/// Retitles the terminal, rings, clears the screen and returns to the start of the line.
const EVIL: &str = "Ann\u{1b}]0;pwned\u{7}\u{1b}[2J\rLee";
const ESCAPED: &str = "Ann\\u{1b}]0;pwned\\u{7}\\u{1b}[2J\\u{d}Lee";

/// One synchronization of ann (by `admin`) with `display_name`.
fn import(db: &Path, admin: &str, display_name: &str) {
    let store = Store::open(db, &OpenOptions::default()).expect("open");
    let changes = DirectoryChanges {
        users: vec![DirectoryUser {
            object_id: "o-ann".into(),
            user_principal_name: Some("ann@contoso.com".into()),
            display_name: display_name.into(),
            account_enabled: true,
            ..DirectoryUser::default()
        }],
        ..DirectoryChanges::default()
    };
    let run = RunInfo {
        tenant_id: "3f1c2e2a-5d0b-4a4f-9f3e-2b8c6a7d9e10".into(),
        started_by: admin.into(),
    };
    store
        .writer()
        .apply_directory_changes(&run, &changes)
        .expect("import");
}

fn assert_no_control_characters(text: &str) {
    assert!(
        !text.contains(['\u{1b}', '\u{7}', '\r']),
        "a control character reached the terminal: {text:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_with_control_characters_are_escaped_on_the_terminal() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("aadsync.sqlite3");
    import(&db, "admin@contoso.com", "Ann Lee");
    import(&db, EVIL, EVIL);

    let runs = run(aadsync(&db, &["runs"])).await;
    assert_eq!(runs.code, Some(0), "{runs}");
    assert_no_control_characters(&format!("{}{}", runs.stdout, runs.stderr));
    assert!(runs.stdout.contains(&format!("by {ESCAPED}")), "{runs}");
    let json = run(aadsync(&db, &["runs", "--json"])).await;
    assert_eq!(json.json()[0]["started_by"], EVIL, "{json}");

    // Undoing the first run: ann's display name changed since, shown escaped; preview only.
    let preview = run(aadsync(&db, &["undo", "--run", "1"])).await;
    assert_eq!(preview.code, Some(6), "{preview}");
    assert_no_control_characters(&format!("{}{}", preview.stdout, preview.stderr));
    assert!(preview.stdout.contains(ESCAPED), "{preview}");
}
