//! The launchd agent: what launchd reads (the keys of launchd.plist(5)) as libplist and
//! Python's plistlib parse it, from the XML and from its binary form.

use super::{job, tool, write};
use aadsync_schedule::{launchd, marker};
use serde_json::{Value, json};
use std::ffi::OsStr;
use std::path::Path;

/// The property list as Python's plistlib loads it (XML or binary, told apart by itself).
fn plistlib(path: &Path) -> Value {
    let script = "import json, plistlib, sys\n\
                  print(json.dumps(plistlib.load(open(sys.argv[1], 'rb'))))";
    let text = tool(
        "python3",
        "python3",
        &[OsStr::new("-c"), OsStr::new(script), path.as_os_str()],
    );
    serde_json::from_str(&text).expect("JSON")
}

#[test]
fn the_agent_runs_the_command_line_as_written_every_interval() {
    let dir = tempfile::tempdir().unwrap();
    let database = "/Users/Zoë Lee/My \"Data\" & <more>/100% $HOME users.sqlite3";
    let log = Path::new(
        "/Users/Zoë Lee/Library/Application Support/com.aadsync.desktop/logs/scheduled-sync.log",
    );
    let job = job("/Applications/aadsync.app/Contents/MacOS/aadsync", database);
    let text = launchd::plist(&job, log);
    let xml = write(dir.path(), "agent.plist", text.as_bytes());

    // libplist reads it and writes it back as binary and as XML again.
    let binary = dir.path().join("agent.bin");
    let again = dir.path().join("again.plist");
    let plistutil = |args: &[&OsStr]| tool("plistutil", "libplist-utils", args);
    plistutil(&[
        "-i".as_ref(),
        xml.as_os_str(),
        "-o".as_ref(),
        binary.as_os_str(),
        "-f".as_ref(),
        "bin".as_ref(),
    ]);
    plistutil(&[
        "-i".as_ref(),
        binary.as_os_str(),
        "-o".as_ref(),
        again.as_os_str(),
        "-f".as_ref(),
        "xml".as_ref(),
    ]);

    let expected = json!({
        "Label": "com.aadsync.desktop.aadsync-sync-c1b4bb72-8dd9-4dc3-bc94-d6cba1d4622c-c44b7e03",
        "ProgramArguments": [
            "/Applications/aadsync.app/Contents/MacOS/aadsync",
            "--db", database,
            "--log", log.to_str().unwrap(),
            "sync", "--org", "C1B4BB72-8DD9-4DC3-BC94-D6CBA1D4622C", "--scheduled",
            "--check-deleted", "--deleted-action", "disable",
        ],
        "StartInterval": 21600,
        "RunAtLoad": true,
        "ProcessType": "Background",
        "StandardOutPath": log.to_str().unwrap(),
        "StandardErrorPath": log.to_str().unwrap(),
    });
    for path in [&xml, &binary, &again] {
        assert_eq!(plistlib(path), expected, "{}\n{text}", path.display());
    }
    // The marker `schedule list` reads is a comment, which launchd's parser skips.
    assert_eq!(
        marker::read(&text),
        Some((
            "C1B4BB72-8DD9-4DC3-BC94-D6CBA1D4622C".into(),
            "6h".into(),
            "disable".into()
        ))
    );
}
