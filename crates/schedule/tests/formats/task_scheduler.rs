//! The Task Scheduler task: well-formed UTF-16 XML for `xmllint`, its elements (schema 1.2,
//! as Microsoft documents them) read back with XPath, and `Arguments` split by the documented
//! `CommandLineToArgvW` rules into exactly the command line. With `AADSYNC_TASK_XSD` naming
//! the schema of Microsoft's "Task Scheduler Schema" page, also valid against it.

use super::{argv, job, tool, write};
use aadsync_schedule::{marker, task_scheduler};
use std::ffi::OsStr;
use std::path::Path;
use std::time::{Duration, UNIX_EPOCH};

const NS: &str = "http://schemas.microsoft.com/windows/2004/02/mit/task";

/// The text of the element at `path` (names in the task namespace), as xmllint reads it.
fn xpath(file: &Path, path: &str) -> String {
    let steps: String = path
        .split('/')
        .map(|step| format!("/*[local-name()='{step}' and namespace-uri()='{NS}']"))
        .collect();
    let text = tool(
        "xmllint",
        "libxml2-utils",
        &[
            OsStr::new("--xpath"),
            OsStr::new(&format!("string({steps})")),
            file.as_os_str(),
        ],
    );
    // xmllint ends what it prints with a line feed of its own.
    text.strip_suffix('\n').unwrap_or(&text).to_owned()
}

#[test]
fn arguments_reach_aadsync_as_written_by_the_documented_rules() {
    for arg in [
        "plain",
        "",
        "two words",
        "tab\there",
        "say \"hi\"",
        r"C:\Program Files\aadsync\",
        r"C:\data\\",
        r#"ends with \""#,
        r#"\\server\share\"quoted\\"#,
        "100% %USERPROFILE% $HOME",
        "Zoë 日本 😀",
        r"a\\\b",
    ] {
        let line = format!(
            "{} {}",
            task_scheduler::quote_argument(arg),
            task_scheduler::quote_argument("next")
        );
        assert_eq!(argv::split(&line), [arg, "next"], "{arg:?} as {line}");
    }
}

#[test]
fn the_task_runs_the_command_line_every_interval_in_the_users_session() {
    let dir = tempfile::tempdir().unwrap();
    let database = r#"C:\Users\Zoë Lee\100% "quoted" data\aadsync.sqlite3"#;
    let log = Path::new(r"C:\Users\Zoë Lee\AppData\Roaming\com.aadsync.desktop\logs\");
    let job = job(r"C:\Program Files\aadsync\aadsync.exe", database);
    let start = UNIX_EPOCH + Duration::from_secs(1_796_103_000);
    let text = task_scheduler::task_xml(
        &job,
        "Contoso & <Partners>\u{7}\r\n",
        log,
        start,
        Some(r"CONTOSO\zoë"),
    );
    let bytes = task_scheduler::encode(&text);
    assert_eq!(
        bytes[..2],
        [0xFF, 0xFE],
        "UTF-16 little-endian with its byte order mark"
    );
    let file = write(dir.path(), "task.xml", &bytes);
    tool(
        "xmllint",
        "libxml2-utils",
        &[OsStr::new("--noout"), file.as_os_str()],
    );

    let expected = [
        (
            "RegistrationInfo/Description",
            "aadsync: synchronize Contoso & <Partners>    from Microsoft Entra ID every 6h",
        ),
        ("Triggers/TimeTrigger/StartBoundary", "2026-12-01T05:30:00Z"),
        ("Triggers/TimeTrigger/Repetition/Interval", "PT6H"),
        ("Principals/Principal/UserId", r"CONTOSO\zoë"),
        ("Principals/Principal/LogonType", "InteractiveToken"),
        ("Settings/MultipleInstancesPolicy", "IgnoreNew"),
        ("Settings/StartWhenAvailable", "true"),
        ("Settings/DisallowStartIfOnBatteries", "false"),
        ("Settings/StopIfGoingOnBatteries", "false"),
        (
            "Actions/Exec/Command",
            r#""C:\Program Files\aadsync\aadsync.exe""#,
        ),
    ];
    for (path, value) in expected {
        assert_eq!(
            xpath(&file, &format!("Task/{path}")),
            value,
            "{path}\n{text}"
        );
    }
    let arguments = xpath(&file, "Task/Actions/Exec/Arguments");
    assert_eq!(
        argv::split(&arguments),
        [
            "--db",
            database,
            "--log",
            log.to_str().unwrap(),
            "sync",
            "--org",
            "C1B4BB72-8DD9-4DC3-BC94-D6CBA1D4622C",
            "--scheduled",
            "--check-deleted",
            "--deleted-action",
            "disable",
        ],
        "{arguments}"
    );
    let documentation = xpath(&file, "Task/RegistrationInfo/Documentation");
    assert_eq!(
        marker::read(&documentation),
        Some((
            "C1B4BB72-8DD9-4DC3-BC94-D6CBA1D4622C".into(),
            "6h".into(),
            "disable".into()
        ))
    );
    if let Some(xsd) = std::env::var_os("AADSYNC_TASK_XSD") {
        validate(dir.path(), Path::new(&xsd), &file);
    }
}

/// Against Microsoft's published schema. It fixes the optional `version` attribute to its
/// newest value, 1.3; the schema's versions only add elements, and a task declares the
/// oldest it needs (1.2, Windows Vista and later), so that one attribute is relaxed.
fn validate(dir: &Path, xsd: &Path, file: &Path) {
    let schema = std::fs::read_to_string(xsd).expect("the schema");
    let relaxed = schema.replace(r#"use="optional" fixed="1.3""#, r#"use="optional""#);
    assert_ne!(
        relaxed, schema,
        "the schema's version attribute changed: look again"
    );
    let relaxed = write(dir, "task.xsd", relaxed.as_bytes());
    tool(
        "xmllint",
        "libxml2-utils",
        &[
            OsStr::new("--noout"),
            OsStr::new("--schema"),
            relaxed.as_os_str(),
            file.as_os_str(),
        ],
    );
}

#[test]
fn intervals_are_iso_8601_durations() {
    for (minutes, text) in [
        (15, "PT15M"),
        (90, "PT1H30M"),
        (360, "PT6H"),
        (1440, "P1D"),
        (1530, "P1DT1H30M"),
        (10080, "P7D"),
    ] {
        assert_eq!(task_scheduler::duration(minutes), text);
    }
}
