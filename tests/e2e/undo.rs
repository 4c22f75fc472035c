//! Undo by changesets, as an administrator meets it: three users imported, one of them renamed
//! in Entra ID and synchronized again, then the *first* synchronization undone from the Audit
//! log. The undo dialog lists the renamed user as changed since that run; the administrator
//! keeps the newer value. Another writer edits a user while the dialog is open: the Undo is
//! refused as stale, nothing is written, and the dialog previews again. Checked in the SQLite
//! file: the users run 1 created are gone except the renamed one, which keeps the second run's
//! values, and the audit log lost nothing.

use crate::signin::{BrowserPlay, launch_with};
use crate::sync::connect_new;
use aadsync_e2e::support::{App, Result, actions, checks, finders};
use aadsync_emulator::Emulator;
use aadsync_emulator::model::User;
use std::collections::BTreeMap;

/// The run-2 display name of the user renamed in Entra ID.
const RENAMED: &str = "Renamed After Run One";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undoing_an_older_run_keeps_what_changed_since() -> Result {
    let emulator = Emulator::start_demo().await?;
    let play = BrowserPlay::new()?;
    play.admin()?;
    let mut app = launch_with("undo_older_run", &play).await?;
    checks::shell_is_rendered(&app).await?;

    // Run 1: three users, selected one by one.
    let tenant = aadsync_emulator::demo_tenant().map_err(|e| e.to_string())?;
    let chosen = three_users(&tenant)?;
    connect_new(&app, &emulator).await?;
    import_selected(&app, &chosen).await?;
    let db = &app.expected_database.clone();
    assert_eq!(
        users(db)?.len(),
        3,
        "run 1 imported the three: {:?}",
        users(db)?
    );

    // In Entra ID the second is renamed; run 2 (incremental) updates it.
    let renamed = &chosen[1];
    rename_in_entra(&emulator, &renamed.id, RENAMED).await?;
    synchronize_again(&app).await?;
    let after_run_2 = users(db)?;
    assert_eq!(
        after_run_2.get(&renamed.id).map(|u| u.full_name.as_str()),
        Some(RENAMED),
        "run 2 renamed the user: {after_run_2:?}"
    );
    let items_before = items_per_run(db)?;
    assert_eq!(
        items_before.keys().copied().collect::<Vec<_>>(),
        [1, 2],
        "{items_before:?}"
    );

    // Audit log → Undo… on run 1: the renamed user is listed as changed since.
    actions::choose_menu(&app, "tools", "menu-audit-log").await?;
    checks::content_becomes(&app, "audit-runs", "both runs", |t| {
        t.contains("#2 Synchronization") && t.contains("#1 Synchronization")
    })
    .await?;
    actions::click(&app, "audit-undo-1").await?;
    checks::text_becomes(&app, "undo-run", "run 1", |t| t.starts_with("Run #1 ")).await?;
    let conflict = conflict_naming(&app, &renamed.user_principal_name).await?;
    let (problem, fields) = conflict_details(&app, &conflict).await?;
    assert_eq!(problem, "changed since the synchronization");
    assert!(
        fields
            .iter()
            .any(|(field, now, _)| field == "full name" && now == RENAMED),
        "the name now, from run 2: {fields:?}"
    );
    let all = checks::content_becomes(&app, "undo-conflicts", "the conflicts", |_| true).await?;
    for untouched in [&chosen[0], &chosen[2]] {
        assert!(
            !all.contains(&untouched.user_principal_name),
            "{} did not change since run 1: {all:?}",
            untouched.user_principal_name
        );
    }
    let choice = format!("undo-choice-{conflict}");
    checks::value_becomes(&app, &choice, "Keep newer by default", |v| {
        v == "keep_newer"
    })
    .await?;
    app.screenshot("undo-preview-conflict").await?;

    // While the dialog is open another aadsync (a second window, the CLI) edits the first
    // user: the preview is stale, Undo writes nothing and the dialog previews again.
    let edited = &chosen[0];
    let before_stale = aadsync_testenv::db::dump(db)?;
    edit_description(db, &edited.id, "Edited elsewhere")?;
    let edited_dump = aadsync_testenv::db::dump(db)?;
    actions::click_css(&app, &format!("#{choice} option[value='keep_newer']")).await?;
    actions::click(&app, "undo-confirm").await?;
    checks::text_becomes(&app, "undo-stale", "the note", |t| {
        t.starts_with("The database changed since this preview; review it again")
    })
    .await?;
    assert_eq!(
        aadsync_testenv::db::dump(db)?,
        edited_dump,
        "a stale undo writes nothing"
    );
    assert_ne!(before_stale, edited_dump);
    let other = conflict_naming(&app, &edited.user_principal_name).await?;
    let (_, fields) = conflict_details(&app, &other).await?;
    assert!(
        fields
            .iter()
            .any(|(field, now, _)| field == "description" && now == "Edited elsewhere"),
        "{fields:?}"
    );
    app.screenshot("undo-preview-again").await?;

    // The administrator restores the edited user (the undo deletes it after all) and keeps
    // the renamed one's newer values.
    let conflict = conflict_naming(&app, &renamed.user_principal_name).await?;
    let choice = format!("undo-choice-{conflict}");
    actions::click_css(&app, &format!("#{choice} option[value='keep_newer']")).await?;
    checks::value_becomes(&app, &choice, "Keep newer", |v| v == "keep_newer").await?;
    let other_choice = format!("undo-choice-{other}");
    actions::click_css(&app, &format!("#{other_choice} option[value='restore']")).await?;
    checks::value_becomes(&app, &other_choice, "Restore", |v| v == "restore").await?;
    let before_undo = aadsync_testenv::db::dump(db)?;
    actions::click(&app, "undo-confirm").await?;
    checks::text_becomes(&app, "undo-result", "the undo's report", |t| {
        t.starts_with("Run #1 undone (recorded as run #3)") && t.ends_with(", 1 newer value kept")
    })
    .await?;
    checks::gone(&app, "undo-dialog").await?;
    checks::content_becomes(&app, "audit-runs", "the undo run", |t| {
        t.contains("#3 Undo")
    })
    .await?;
    app.screenshot("undo-done").await?;

    // The database: only the renamed user is left, with run 2's values.
    let left = users(db)?;
    assert_eq!(
        left.keys().collect::<Vec<_>>(),
        [&renamed.id],
        "the users only run 1 touched are gone: {left:?}"
    );
    assert_eq!(
        left[&renamed.id], after_run_2[&renamed.id],
        "run 2's values"
    );
    assert_eq!(
        count(db, "SELECT count(*) FROM users")?,
        1,
        "no user without its Entra ID row"
    );
    // The audit log: runs 1 and 2 as they were, with every item; run 3 undid run 1.
    assert_eq!(
        runs(db)?,
        [
            (1, "sync".to_owned(), None),
            (2, "sync".to_owned(), None),
            (3, "undo".to_owned(), Some(1)),
        ]
    );
    let after_undo = aadsync_testenv::db::dump(db)?;
    for table in [
        "sync_runs",
        "sync_run_items",
        "sync_run_changes",
        "sync_run_change_parts",
    ] {
        let lost: Vec<&String> = before_undo
            .rows(table)
            .iter()
            .filter(|r| !after_undo.rows(table).contains(r))
            .collect();
        assert!(lost.is_empty(), "{table} is append-only; lost: {lost:?}");
    }
    let items_after = items_per_run(db)?;
    for run in [1, 2] {
        assert_eq!(
            items_after.get(&run),
            items_before.get(&run),
            "run {run}'s items"
        );
    }
    // The Audit log says so: run 1 undone, run 2 succeeded, run 3 the undo.
    for (run, status) in [
        (1, "Undone by a later run"),
        (2, "Succeeded"),
        (3, "Succeeded"),
    ] {
        let row = finders::by_css(&app, &format!("#audit-runs tr[data-id='{run}']")).await?;
        let cells = row.find_all(fantoccini::Locator::Css("td")).await?;
        assert_eq!(cells[4].text().await?, status, "run {run}");
    }
    // Run 1 is undone: no Undo… on it any more; run 2 keeps its own.
    assert!(!finders::exists_now(&app, "audit-undo-1").await?);
    assert!(finders::exists_now(&app, "audit-undo-2").await?);
    app.finish().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restored_backup_brings_the_users_back_and_the_audit_log_keeps_every_run() -> Result {
    let emulator = Emulator::start_demo().await?;
    let play = BrowserPlay::new()?;
    play.admin()?;
    let mut app = launch_with("undo_restore_backup", &play).await?;
    checks::shell_is_rendered(&app).await?;
    let tenant = aadsync_emulator::demo_tenant().map_err(|e| e.to_string())?;
    let chosen = three_users(&tenant)?;
    connect_new(&app, &emulator).await?;
    import_selected(&app, &chosen).await?;
    let db = &app.expected_database.clone();
    let imported = users(db)?;

    // Back up now, from the Audit log: the file holds the three users.
    actions::choose_menu(&app, "tools", "menu-audit-log").await?;
    actions::click(&app, "backup-now").await?;
    let said = checks::text_becomes(&app, "backup-result", "the backup's path", |t| {
        t.starts_with("Backed up to ")
    })
    .await?;
    let path = said.trim_start_matches("Backed up to ").trim().to_owned();
    assert_eq!(users_in_backup(&path)?, imported, "{path}");
    actions::click(&app, "audit-close").await?;
    checks::gone(&app, "audit").await?;

    // Run 2 renames one of them; then the backup is restored.
    rename_in_entra(&emulator, &chosen[1].id, RENAMED).await?;
    synchronize_again(&app).await?;
    assert_ne!(users(db)?, imported);
    let before = aadsync_testenv::db::dump(db)?;
    actions::choose_menu(&app, "tools", "menu-audit-log").await?;
    actions::click(&app, "backup-restore").await?;
    checks::enabled_is(&app, "restore-confirm", false).await?;
    actions::click_css(&app, &format!("#restore-backups tr[data-path='{path}'] td")).await?;
    checks::text_becomes(&app, "restore-explanation", "what restoring means", |t| {
        t.starts_with("Users, groups and memberships go back")
            && t.contains("The audit log keeps every run")
    })
    .await?;
    app.screenshot("restore-backup").await?;
    actions::click(&app, "restore-confirm").await?;
    checks::text_becomes(&app, "restore-result", "restored", |t| {
        t.starts_with("Restored the backup of ") && t.ends_with("(recorded as run #3)")
    })
    .await?;
    checks::gone(&app, "restore-dialog").await?;

    // The users are the backup's; the audit log kept runs 1 and 2 and records the restore.
    assert_eq!(users(db)?, imported, "the backup's users");
    let after = aadsync_testenv::db::dump(db)?;
    for table in [
        "sync_runs",
        "sync_run_items",
        "sync_run_changes",
        "sync_run_change_parts",
    ] {
        let lost: Vec<&String> = before
            .rows(table)
            .iter()
            .filter(|r| !after.rows(table).contains(r))
            .collect();
        assert!(lost.is_empty(), "{table} is append-only; lost: {lost:?}");
    }
    let restored_from: Vec<(i64, Option<String>)> = {
        let conn = read_only(db)?;
        let mut stmt = conn.prepare("SELECT id, restored_from FROM sync_runs ORDER BY id")?;
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?
    };
    assert_eq!(
        restored_from,
        [(1, None), (2, None), (3, Some(path.clone()))],
        "run 3 names the file restored"
    );
    app.finish().await
}

/// Renames a user in Entra ID through the emulator's control API.
async fn rename_in_entra(emulator: &Emulator, id: &str, name: &str) -> Result {
    let status = reqwest::Client::new()
        .patch(format!("{}/_emulator/users/{id}", emulator.base_url()))
        .json(&serde_json::json!({ "displayName": name }))
        .send()
        .await?
        .status();
    assert!(status.is_success(), "{status}");
    Ok(())
}

/// Three enabled members of the demo tenant (not the administrator).
fn three_users(tenant: &aadsync_emulator::Tenant) -> Result<Vec<User>> {
    let chosen: Vec<User> = tenant
        .users
        .iter()
        .filter(|u| {
            u.account_enabled
                && u.user_type == "Member"
                && !u.user_principal_name.starts_with("admin@")
        })
        .take(3)
        .cloned()
        .collect();
    if chosen.len() < 3 {
        return Err("the demo tenant has three enabled members".into());
    }
    Ok(chosen)
}

/// Step 3 → 7 of the wizard with exactly `users` checked, each found by typing its account.
async fn import_selected(app: &App, users: &[User]) -> Result {
    checks::text_becomes(app, "dir-counts", "the directory", |t| {
        t.contains("300 users and 25 groups listed") && !t.contains("loading")
    })
    .await?;
    for user in users {
        // The part before "@": WebKitWebDriver may type without Shift.
        let upn = &user.user_principal_name;
        let local = upn.split('@').next().unwrap_or(upn);
        actions::type_into(app, "dir-search", local).await?;
        actions::click_css(app, &format!("#dir-list .dir-row[data-id='{}']", user.id)).await?;
    }
    checks::text_becomes(app, "dir-counts", "three selected", |t| {
        t.starts_with("3 users and 0 groups selected")
    })
    .await?;
    actions::click(app, "wizard-next").await?;
    checks::text_becomes(app, "preview-counts", "the plan", |t| {
        t.contains("3 to create")
    })
    .await?;
    actions::click(app, "wizard-next").await?;
    checks::text_becomes(app, "results-totals", "the results", |t| {
        t.contains("3 created")
    })
    .await?;
    actions::click(app, "wizard-cancel").await?;
    checks::gone(app, "wizard").await
}

/// The stored organization again, nothing newly selected: one update.
async fn synchronize_again(app: &App) -> Result {
    actions::choose_menu(app, "tools", "menu-azure-sync").await?;
    checks::enabled_is(app, "wizard-next", true).await?;
    actions::click(app, "wizard-next").await?;
    checks::text_becomes(app, "dir-counts", "the list", |t| {
        t.contains("300 users and 25 groups listed") && !t.contains("loading")
    })
    .await?;
    actions::click(app, "wizard-next").await?;
    checks::text_becomes(app, "preview-counts", "one update", |t| {
        t.contains("0 to create") && t.contains("1 to update")
    })
    .await?;
    actions::click(app, "wizard-next").await?;
    checks::text_becomes(app, "results-totals", "one updated", |t| {
        t.contains("1 updated")
    })
    .await?;
    actions::click(app, "wizard-cancel").await?;
    checks::gone(app, "wizard").await
}

/// The `data-conflict-id` of the undo dialog's conflict that names `object`.
async fn conflict_naming(app: &App, object: &str) -> Result<String> {
    let text = checks::content_becomes(app, "undo-conflicts", "the conflict", |t| {
        t.contains(object)
    })
    .await?;
    for row in app
        .client
        .find_all(fantoccini::Locator::Css("#undo-conflicts .undo-conflict"))
        .await?
    {
        if row
            .prop("textContent")
            .await?
            .unwrap_or_default()
            .contains(object)
        {
            return row
                .attr("data-conflict-id")
                .await?
                .ok_or_else(|| "a conflict without its data-conflict-id".into());
        }
    }
    Err(format!("no conflict row names {object}: {text:?}").into())
}

/// What happened to a conflict's object, and its fields (name, now, restored) as listed.
async fn conflict_details(
    app: &App,
    conflict: &str,
) -> Result<(String, Vec<(String, String, String)>)> {
    let tbody = finders::by_css(app, &format!("#undo-conflict-{conflict}")).await?;
    let problem = tbody
        .find(fantoccini::Locator::Css(".undo-problem"))
        .await?
        .text()
        .await?;
    let mut fields = Vec::new();
    for row in tbody.find_all(fantoccini::Locator::Css("tr")).await? {
        let cells = row
            .find_all(fantoccini::Locator::Css(
                "td.undo-field, td.undo-now, td.undo-restore",
            ))
            .await?;
        if let [field, now, restore] = cells.as_slice() {
            fields.push((
                field.text().await?,
                now.text().await?,
                restore.text().await?,
            ));
        }
    }
    Ok((problem, fields))
}

/// Another writer edits the local description of an imported user (not read-only: it is the
/// server's own field).
fn edit_description(db: &std::path::Path, object_id: &str, text: &str) -> Result {
    let conn = rusqlite::Connection::open(db)?;
    let changed = conn.execute(
        "UPDATE users SET description = ?1
         WHERE id = (SELECT user_id FROM azure_users WHERE object_id = ?2)",
        rusqlite::params![text, object_id],
    )?;
    assert_eq!(changed, 1);
    Ok(())
}

/// A user on the server, as the SQLite file holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct StoredUser {
    account_name: String,
    full_name: String,
    enabled: i64,
    display_name: String,
    user_principal_name: String,
}

/// The imported users by Entra ID object ID.
fn users(db: &std::path::Path) -> Result<BTreeMap<String, StoredUser>> {
    users_in(&read_only(db)?)
}

/// The imported users in a backup file, opened as it is (no WAL or shared memory files).
fn users_in_backup(path: &str) -> Result<BTreeMap<String, StoredUser>> {
    let conn = rusqlite::Connection::open_with_flags(
        format!("file:{path}?immutable=1"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_URI,
    )?;
    users_in(&conn)
}

fn users_in(conn: &rusqlite::Connection) -> Result<BTreeMap<String, StoredUser>> {
    let mut stmt = conn.prepare(
        "SELECT a.object_id, u.account_name, u.full_name, u.enabled, a.display_name,
                a.user_principal_name
         FROM users u JOIN azure_users a ON a.user_id = u.id",
    )?;
    let rows = stmt
        .query_map([], |r| {
            Ok((
                r.get(0)?,
                StoredUser {
                    account_name: r.get(1)?,
                    full_name: r.get(2)?,
                    enabled: r.get(3)?,
                    display_name: r.get(4)?,
                    user_principal_name: r.get(5)?,
                },
            ))
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

/// Every run: id, kind and the run it undid.
fn runs(db: &std::path::Path) -> Result<Vec<(i64, String, Option<i64>)>> {
    let conn = read_only(db)?;
    let mut stmt = conn.prepare("SELECT id, kind, undoes_run FROM sync_runs ORDER BY id")?;
    let rows = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

/// How many audit items each run has.
fn items_per_run(db: &std::path::Path) -> Result<BTreeMap<i64, i64>> {
    let conn = read_only(db)?;
    let mut stmt = conn
        .prepare("SELECT run_id, count(*) FROM sync_run_items GROUP BY run_id ORDER BY run_id")?;
    let rows = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

fn count(db: &std::path::Path, sql: &str) -> Result<i64> {
    Ok(read_only(db)?.query_row(sql, [], |r| r.get(0))?)
}

fn read_only(db: &std::path::Path) -> rusqlite::Result<rusqlite::Connection> {
    rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
}
