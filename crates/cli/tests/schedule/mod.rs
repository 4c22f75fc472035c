//! `aadsync schedule` (issue 18): the systemd units it generates pass `systemd-analyze
//! verify` without a warning, and the command line they run, executed by hand as the timer
//! would, synchronizes the organization's saved scope as the schedule (in the audit log), and
//! stops with nothing written when Entra ID deleted more than the deletion safeguard allows;
//! every attempt leaves one `scheduled_attempts` row, or, when the database cannot take it, a
//! log line saying the log is the record.

use crate::support::db;
use crate::support::tenant::Tenant;
use crate::support::{aadsync, add_organization, run};
use aadsync_emulator::Emulator;
use aadsync_testenv::{KeyringMode, in_session};
use reqwest::Method;
use serde_json::json;
use std::path::Path;

/// `# <name>.service` / `# <name>.timer` sections of `schedule add --print`.
fn sections(printed: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in printed.lines() {
        match line
            .strip_prefix("# ")
            .filter(|l| l.starts_with("aadsync-sync-"))
        {
            Some(name) => out.push((name.to_owned(), String::new())),
            None => {
                if let Some((_, text)) = out.last_mut() {
                    text.push_str(line);
                    text.push('\n');
                }
            }
        }
    }
    out
}

/// `ExecStart=` split as systemd splits it (double quotes, `\` escapes, `%%`, `$$`).
fn exec_start(service: &str) -> Vec<String> {
    let line = service
        .lines()
        .find_map(|l| l.strip_prefix("ExecStart="))
        .expect("ExecStart");
    let mut args = Vec::new();
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '"' {
            assert_eq!(c, ' ', "unquoted text in {line}");
            continue;
        }
        let mut arg = String::new();
        while let Some(c) = chars.next() {
            match c {
                '"' => break,
                '\\' => arg.push(chars.next().expect("escape")),
                '%' | '$' => {
                    assert_eq!(chars.next(), Some(c), "{c} not doubled in {line}");
                    arg.push(c);
                }
                c => arg.push(c),
            }
        }
        args.push(arg);
    }
    args
}

fn verify(dir: &Path, units: &[(String, String)]) {
    let mut paths = Vec::new();
    for (name, text) in units {
        let path = dir.join(name);
        std::fs::write(&path, text).expect("unit");
        paths.push(path);
    }
    let out = std::process::Command::new("systemd-analyze")
        .args(["verify", "--man=no"])
        .args(&paths)
        .output()
        .expect("systemd-analyze (Debian package systemd)");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stderr.trim().is_empty(),
        "systemd-analyze verify: {stderr}\n{units:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scheduled_run_is_the_generated_command_line_with_the_safeguard() {
    if !in_session(
        "schedule::a_scheduled_run_is_the_generated_command_line_with_the_safeguard",
        KeyringMode::Unlocked,
    ) {
        return;
    }
    let emulator = Emulator::start_demo().await.expect("emulator");
    let tenant = Tenant::new(&emulator);
    let dir = tempfile::tempdir().expect("dir");
    // A path systemd would misread unless quoted and escaped.
    let data = dir.path().join("100% $HOME data");
    std::fs::create_dir_all(&data).expect("data");
    let db = data.join("aadsync.sqlite3");
    add_organization(&emulator, &db).await;
    let marketing = tenant.group_id("Marketing").await;
    let first = run(aadsync(
        &db,
        &["sync", "--org", "1", "--group", &marketing, "--members"],
    ))
    .await;
    assert_eq!(first.code, Some(0), "{first}");

    let printed = run(aadsync(
        &db,
        &[
            "schedule",
            "add",
            "--org",
            "contoso.com",
            "--every",
            "6h",
            "--check-deleted",
            "--print",
        ],
    ))
    .await;
    assert_eq!(printed.code, Some(0), "{printed}");
    let units = sections(&printed.stdout);
    let names: Vec<&str> = units.iter().map(|(n, _)| n.as_str()).collect();
    let job = names[0]
        .strip_suffix(".service")
        .unwrap_or_default()
        .to_owned();
    assert!(
        job.starts_with(&format!(
            "aadsync-sync-{}-",
            emulator.tenant_id().to_ascii_lowercase()
        )),
        "{names:?}"
    );
    assert_eq!(names, [format!("{job}.service"), format!("{job}.timer")]);
    let unit_dir = dir.path().join("units");
    std::fs::create_dir_all(&unit_dir).expect("units");
    verify(&unit_dir, &units);
    assert!(
        units[1].1.contains("OnUnitActiveSec=360min"),
        "{}",
        units[1].1
    );

    // Installing needs the user's systemd instance, which this session has not: a clear
    // error, and nothing left behind.
    let user_units = dirs_config().join("systemd").join("user");
    let add = run(aadsync(
        &db,
        &["schedule", "add", "--org", "1", "--every", "6h"],
    ))
    .await;
    assert_eq!(add.code, Some(1), "{add}");
    assert!(add.stderr.contains("loginctl enable-linger"), "{add}");
    let left = std::fs::read_dir(&user_units).map_or(0, |d| d.flatten().count());
    assert_eq!(left, 0, "files left in {}", user_units.display());

    // Installed (as systemd would find them), listed with this database's runs, removed.
    std::fs::create_dir_all(&user_units).expect("unit dir");
    for (name, text) in &units {
        std::fs::write(user_units.join(name), text).expect("unit");
    }
    let other_db = dir.path().join("other.sqlite3");
    let listed = run(aadsync(&other_db, &["schedule", "list", "--json"])).await;
    assert_eq!(
        listed.json(),
        json!([]),
        "another database has no schedule: {listed}"
    );

    // The timer's command, run by hand: the saved scope (Marketing and its members) again.
    let args = exec_start(&units[0].1);
    assert_eq!(args[1..3], ["--db".to_owned(), db.display().to_string()]);
    // The run writes its own log (as on macOS and Windows): the app's log folder.
    let log = dirs_data()
        .join("com.aadsync.desktop")
        .join("logs")
        .join("scheduled-sync.log");
    assert_eq!(args[3..5], ["--log".to_owned(), log.display().to_string()]);
    assert!(!args.iter().any(|a| a == "--allow-mass-delete"));
    let scheduled = |args: &[String]| {
        let mut command = tokio::process::Command::new(&args[0]);
        command.args(&args[1..]).kill_on_drop(true);
        command
    };
    let ran = run(scheduled(&args)).await;
    assert_eq!(ran.code, Some(0), "{ran}");
    assert_eq!(
        (ran.stdout.as_str(), ran.stderr.as_str()),
        ("", ""),
        "all of it in the log"
    );
    let first_log = std::fs::read_to_string(&log).expect("the log");
    assert!(
        first_log.contains("sync --org") && first_log.contains("finished with exit code 0"),
        "the run in the log: {first_log}"
    );
    let runs = db::runs(&db);
    let last = runs.last().expect("a run");
    let last_id = last.id;
    assert_eq!(last.started_by, "admin@contoso.com (schedule)", "{runs:?}");
    assert_eq!(
        db::attempts(&db),
        [("succeeded".to_owned(), String::new(), Some(last_id))],
        "the attempt, with the run it wrote"
    );
    let by = run(aadsync(&db, &["runs", "--json"])).await.json();
    let starters: Vec<(&serde_json::Value, &serde_json::Value)> = by
        .as_array()
        .expect("runs")
        .iter()
        .map(|r| (&r["started_by"], &r["started_by_schedule"]))
        .collect();
    assert_eq!(
        starters,
        [
            (&json!("admin@contoso.com (schedule)"), &json!(true)),
            (&json!("admin@contoso.com"), &json!(false)),
        ],
        "newest first: the schedule's run, then the administrator's"
    );
    let text = run(aadsync(&db, &["runs"])).await.stdout;
    assert!(
        text.contains("by the schedule (signed in as admin@contoso.com)")
            && text.contains("by admin@contoso.com:"),
        "{text}"
    );
    let members = tenant.user_members(&marketing).await;
    let imported: std::collections::BTreeSet<String> =
        db::imported_users(&db).keys().cloned().collect();
    assert_eq!(imported, members, "the saved scope, nothing else");

    // Another program holds the database: the attempt cannot be written, nor its record; the
    // run's line in the log says the log is the record.
    let read_log = || std::fs::read_to_string(&log).expect("the log");
    let appended = |earlier: &str| {
        read_log()
            .strip_prefix(earlier)
            .expect("appended, not rewritten")
            .to_owned()
    };
    let log_before = read_log();
    let holder = rusqlite::Connection::open(&db).expect("open");
    holder
        .execute_batch("BEGIN IMMEDIATE")
        .expect("hold the write lock");
    let before = db::dump(&db);
    let locked = run(scheduled(&args)).await;
    assert_eq!(locked.code, Some(1), "{locked}");
    let added = appended(&log_before);
    assert!(
        added.contains("locked")
            && added.contains("could not be recorded in the database")
            && added.contains("this log is its record"),
        "{added}"
    );
    holder.execute_batch("ROLLBACK").expect("release");
    drop(holder);
    db::assert_same(
        &before,
        &db::dump(&db),
        "a scheduled run on a locked database",
    );

    // A database that cannot be opened (not an SQLite file): the log line is the record.
    let junk = dir.path().join("junk.sqlite3");
    std::fs::write(&junk, b"not a database").expect("junk");
    let mut on_junk = args.clone();
    on_junk[2] = junk.display().to_string();
    let log_before = read_log();
    let unopened = run(scheduled(&on_junk)).await;
    assert_eq!(unopened.code, Some(1), "{unopened}");
    let added = appended(&log_before);
    assert!(
        added.contains("not an aadsync database") && added.contains("this log is its record"),
        "{added}"
    );
    assert_eq!(std::fs::read(&junk).expect("junk"), b"not a database");

    // Entra ID deletes most of them: the scheduled run stops at the safeguard, writes nothing
    // but its attempt, which names who would have gone.
    let imported_rows = db::imported_users(&db);
    let gone: Vec<String> = members
        .iter()
        .take(members.len() - 1)
        .map(|id| imported_rows[id].account_name.clone())
        .collect();
    for id in members.iter().take(members.len() - 1) {
        tenant
            .control(Method::DELETE, &format!("users/{id}"), json!({}))
            .await;
    }
    let before = db::dump(&db);
    let first_log = read_log();
    let stopped = run(scheduled(&args)).await;
    assert_eq!(stopped.code, Some(5), "{stopped}");
    let logged = std::fs::read_to_string(&log).expect("the log");
    let added = logged
        .strip_prefix(&first_log)
        .expect("appended, not rewritten");
    assert!(added.contains("nothing was written"), "{added}");
    assert!(added.contains("finished with exit code 5"), "{added}");
    for line in added.lines() {
        // `2026-12-01T06:30:00Z <message>`: every line says when.
        let (stamp, _) = line.split_once(' ').unwrap_or_default();
        assert!(
            stamp.len() == 20 && stamp.ends_with('Z') && stamp.as_bytes()[10] == b'T',
            "{line}"
        );
    }
    let only_attempts = |dump: &db::Dump| db::without(dump, &["scheduled_attempts"]);
    let after = db::dump(&db);
    db::assert_same(
        &only_attempts(&before),
        &only_attempts(&after),
        "a scheduled run stopped by the safeguard",
    );
    let attempts = db::attempts(&db);
    assert_eq!(attempts.len(), 2, "one more attempt: {attempts:?}");
    let (outcome, reason, run_id) = &attempts[1];
    assert_eq!((outcome.as_str(), *run_id), ("safeguard", None), "{reason}");
    assert!(
        reason.contains("would have been disabled or deleted")
            && reason.contains("nothing was written")
            && gone.iter().any(|name| reason.contains(name.as_str())),
        "{reason} names one of {gone:?}"
    );

    // The administrator's sign-in revoked: the attempt needs a new sign-in, and says so.
    emulator
        .revoke_refresh_tokens("admin@contoso.com")
        .expect("revoke");
    let before = db::dump(&db);
    let revoked = run(scheduled(&args)).await;
    assert_eq!(revoked.code, Some(4), "{revoked}");
    db::assert_same(
        &only_attempts(&before),
        &only_attempts(&db::dump(&db)),
        "a scheduled run that needs a new sign-in",
    );
    let attempts = db::attempts(&db);
    assert_eq!(attempts.len(), 3, "one more attempt: {attempts:?}");
    let (outcome, reason, run_id) = &attempts[2];
    assert_eq!((outcome.as_str(), *run_id), ("sign_in", None), "{reason}");
    assert!(reason.contains("aadsync login --org 1"), "{reason}");

    let listed = run(aadsync(&db, &["schedule", "list", "--json"]))
        .await
        .json();
    assert_eq!(listed[0]["every"], "6h", "{listed}");
    assert_eq!(listed[0]["deleted_action"], "disable", "{listed}");
    assert_eq!(listed[0]["last_run"]["id"], json!(last_id), "{listed}");
    assert_eq!(listed[0]["last_attempt"]["outcome"], "sign_in", "{listed}");
    let text = run(aadsync(&db, &["schedule", "list"])).await;
    assert!(
        text.stdout.contains("sign in") && text.stdout.contains("aadsync login --org 1"),
        "{text}"
    );
    let removed = run(aadsync(
        &db,
        &["schedule", "remove", "--org", "contoso.com"],
    ))
    .await;
    assert_eq!(removed.code, Some(0), "{removed}");
    assert_eq!(std::fs::read_dir(&user_units).expect("dir").count(), 0);
    let again = run(aadsync(
        &db,
        &["schedule", "remove", "--org", "contoso.com"],
    ))
    .await;
    assert_eq!(again.code, Some(1), "{again}");
}

/// `~/.local/share` of this test's session.
fn dirs_data() -> std::path::PathBuf {
    std::env::var_os("XDG_DATA_HOME")
        .map(std::path::PathBuf::from)
        .expect("the session sets XDG_DATA_HOME")
}

/// `~/.config` of this test's session.
fn dirs_config() -> std::path::PathBuf {
    std::env::var_os("XDG_CONFIG_HOME")
        .map(std::path::PathBuf::from)
        .expect("the session sets XDG_CONFIG_HOME")
}
