//! Scheduled synchronization as the administrator meets it in the app (issue 18): a
//! scheduled attempt the real `aadsync` CLI ran through the command line its job would run
//! (`schedule add --print`'s `ExecStart`), stopped by the deletion safeguard, is in the
//! database; when the app starts, the Users area says so with the reason and the fix; step 1
//! shows the organization's schedule and that last attempt, and Add schedule fails with the
//! library's clear error because this session has no systemd user instance — leaving no file.
//! With the units `schedule add` writes placed where the user manager reads them, step 1 shows
//! the installed schedule, and Remove schedule takes them away.

use crate::scope::show_groups_named;
use crate::signin::{BrowserPlay, launch_with};
use crate::sync::connect_new;
use aadsync_e2e::support::app::target_dir;
use aadsync_e2e::support::{App, Result, actions, checks};
use aadsync_emulator::Emulator;
use std::path::Path;

/// `ExecStart=` of a printed service, split as systemd does (double quotes, `\` escapes).
fn exec_start(printed: &str) -> Result<Vec<String>> {
    let line = printed
        .lines()
        .find_map(|l| l.strip_prefix("ExecStart="))
        .ok_or("no ExecStart in the printed units")?;
    let mut args = Vec::new();
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c != '"' {
            continue;
        }
        let mut arg = String::new();
        while let Some(c) = chars.next() {
            match c {
                '"' => break,
                '\\' => arg.extend(chars.next()),
                '%' | '$' => {
                    chars.next();
                    arg.push(c);
                }
                c => arg.push(c),
            }
        }
        args.push(arg);
    }
    Ok(args)
}

/// `# <name>.service` / `# <name>.timer` sections of `schedule add --print`: (file, text).
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

/// The `aadsync` CLI inside the app's session (its keyring, its XDG folders).
fn cli(app: &App, program: &Path, args: &[&str]) -> Result<std::process::Output> {
    let mut command = std::process::Command::new(program);
    command.args(args);
    app.desktop.apply(&mut command);
    Ok(command.output()?)
}

/// Waits until the web view painted what the DOM holds: a screenshot right after a change
/// otherwise shows an earlier frame (seen: the add's error missing from its screenshot).
pub(crate) async fn painted(app: &App) -> Result {
    app.client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             requestAnimationFrame(() => requestAnimationFrame(() => done()));",
            vec![],
        )
        .await
        .map_err(|e| format!("waiting for a paint: {e:?}"))?;
    Ok(())
}

/// (outcome, reason) of every recorded scheduled attempt.
fn attempts(db: &Path) -> Result<Vec<(String, String)>> {
    let db = rusqlite::Connection::open(db)?;
    let mut stmt = db.prepare("SELECT outcome, reason FROM scheduled_attempts ORDER BY id")?;
    let rows = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_scheduled_attempt_is_noticed_and_step_1_shows_the_schedule() -> Result {
    let cli_program = target_dir().join("debug").join("aadsync");
    assert!(
        cli_program.is_file(),
        "{}: build the CLI first (cargo build -p aadsync-cli)",
        cli_program.display()
    );
    let emulator = Emulator::start_demo().await?;
    let play = BrowserPlay::new()?;
    play.admin()?;
    let mut app = launch_with("schedule", &play).await?;
    checks::shell_is_rendered(&app).await?;
    let db = app.expected_database.clone();
    let tenant = aadsync_emulator::demo_tenant().map_err(|e| e.to_string())?;
    let marketing = tenant
        .groups
        .iter()
        .find(|g| g.display_name == "Marketing")
        .ok_or("the demo's Marketing group")?;
    let members: Vec<String> = marketing
        .members
        .iter()
        .filter(|id| tenant.users.iter().any(|u| &u.id == *id))
        .cloned()
        .collect();

    // Marketing with its members, synchronized in the app: the saved scope.
    connect_new(&app, &emulator).await?;
    checks::text_becomes(&app, "dir-counts", "the directory", |t| {
        t.contains("300 users and 25 groups listed") && !t.contains("loading")
    })
    .await?;
    show_groups_named(&app, "Marketing").await?;
    actions::click_css(
        &app,
        &format!("#dir-list .dir-row[data-id='{}']", marketing.id),
    )
    .await?;
    actions::click(&app, "wizard-next").await?;
    checks::text_becomes(&app, "preview-counts", "the plan", |t| {
        t.contains("to create")
    })
    .await?;
    actions::click(&app, "wizard-next").await?;
    checks::text_becomes(&app, "results-totals", "the results", |t| {
        t.contains("created")
    })
    .await?;
    actions::click(&app, "wizard-cancel").await?;
    checks::gone(&app, "wizard").await?;

    // Entra ID deletes all members but one; the schedule's own command line runs.
    let http = reqwest::Client::new();
    for id in members.iter().take(members.len() - 1) {
        let url = format!("{}/_emulator/users/{id}", emulator.base_url());
        let status = http.delete(url).send().await?.status();
        assert!(status.is_success(), "{status}");
    }
    let db_arg = db.display().to_string();
    let printed = cli(
        &app,
        &cli_program,
        &[
            "--db",
            &db_arg,
            "schedule",
            "add",
            "--org",
            "1",
            "--every",
            "6h",
            "--check-deleted",
            "--print",
        ],
    )?;
    assert!(printed.status.success(), "{printed:?}");
    let args = exec_start(&String::from_utf8_lossy(&printed.stdout))?;
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let ran = cli(&app, Path::new(argv[0]), &argv[1..])?;
    assert_eq!(ran.status.code(), Some(5), "{ran:?}");
    let recorded = attempts(&db)?;
    assert_eq!(recorded.len(), 1, "{recorded:?}");
    assert_eq!(recorded[0].0, "safeguard");

    // The app starts again: the Users area says what happened, why, and what to do.
    app.restart().await?;
    let notice = checks::content_becomes(&app, "schedule-notice-1", "the schedule's notice", |t| {
        t.contains("stopped by the deletion safeguard")
    })
    .await?;
    assert!(
        notice.contains("would have been disabled or deleted")
            && notice.contains("nothing was written")
            && notice.contains("--check-deleted --dry-run")
            && notice.contains("Contoso"),
        "{notice}"
    );
    painted(&app).await?;
    app.screenshot("schedule-notice").await?;

    // Step 1: the organization's schedule (none installed) and its last attempt.
    actions::choose_menu(&app, "tools", "menu-azure-sync").await?;
    checks::text_becomes(&app, "org-schedule-summary", "the schedule", |t| {
        t.starts_with("No schedule")
    })
    .await?;
    actions::click(&app, "org-schedule-summary").await?;
    checks::text_becomes(&app, "org-schedule-last", "the last attempt", |t| {
        t.contains("stopped by the deletion safeguard")
    })
    .await?;
    actions::click(&app, "org-schedule-check-deleted").await?;
    actions::click(&app, "org-schedule-add").await?;
    let error = checks::text_becomes(&app, "org-schedule-error", "the add's error", |t| {
        !t.is_empty()
    })
    .await?;
    assert!(
        error.contains("systemctl --user") && error.contains("loginctl enable-linger"),
        "{error}"
    );
    painted(&app).await?;
    app.screenshot("schedule-add-error").await?;
    let units = app
        .desktop
        .env()
        .into_iter()
        .find(|(k, _)| k == "XDG_CONFIG_HOME")
        .map(|(_, v)| Path::new(&v).join("systemd").join("user"))
        .ok_or("the session's XDG_CONFIG_HOME")?;
    let left = std::fs::read_dir(&units).map_or(0, |d| d.flatten().count());
    assert_eq!(left, 0, "files left in {}", units.display());
    assert_eq!(
        attempts(&db)?.len(),
        1,
        "adding a schedule records no attempt"
    );

    // The units `schedule add` installs, where the user manager reads them (as on a system
    // that has one; nothing here pretends systemctl succeeded): step 1 shows the schedule,
    // and Remove schedule takes its files away.
    std::fs::create_dir_all(&units)?;
    for (name, text) in sections(&String::from_utf8_lossy(&printed.stdout)) {
        std::fs::write(units.join(name), text)?;
    }
    actions::click(&app, "wizard-cancel").await?;
    checks::gone(&app, "wizard").await?;
    actions::choose_menu(&app, "tools", "menu-azure-sync").await?;
    checks::text_becomes(&app, "org-schedule-summary", "the installed schedule", |t| {
        t == "Scheduled: Every 6 hours; deleted objects are checked and disabled. The deletion safeguard always applies."
    })
    .await?;
    actions::click(&app, "org-schedule-summary").await?;
    checks::text_becomes(&app, "org-schedule-last", "the last attempt", |t| {
        t.contains("stopped by the deletion safeguard")
    })
    .await?;
    // The form starts from the installed schedule.
    checks::text_becomes(&app, "org-schedule-add", "Replace", |t| {
        t == "Replace schedule"
    })
    .await?;
    checks::prop_becomes(
        &app,
        "org-schedule-check-deleted",
        "checked",
        "checked",
        |v| v == "true",
    )
    .await?;
    painted(&app).await?;
    app.screenshot("schedule-step-1").await?;
    checks::enabled_is(&app, "org-schedule-remove", true).await?;
    actions::click(&app, "org-schedule-remove").await?;
    checks::text_becomes(&app, "org-schedule-summary", "no schedule", |t| {
        t.starts_with("No schedule")
    })
    .await?;
    let left = std::fs::read_dir(&units).map_or(0, |d| d.flatten().count());
    assert_eq!(left, 0, "Remove schedule left files in {}", units.display());
    app.finish().await
}
