//! Closing the wizard while a synchronization is being written (issue 15, item 3): the wizard
//! does not vanish with the run going on unseen. It asks; "Stop and close" cancels the run and
//! closes once it has ended, and the database is as it was — checked in the SQLite file.
//! "Close, finish in the background" closes the wizard and the Users area follows the run to
//! its end, which is then written whole. Another program holds the database's write lock
//! meanwhile, so the write is certainly still running when the administrator closes.

use crate::sync::at_step_3;
use aadsync_e2e::support::{App, Result, actions, checks, finders};
use aadsync_emulator::Emulator;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closing_during_the_write_asks_and_stopping_leaves_the_database_as_it_was() -> Result {
    let emulator = Emulator::start_demo().await?;
    let (mut app, _play) = at_step_3(&emulator, "cancel_write", None).await?;
    select_all_to_preview(&app).await?;

    let holder = rusqlite::Connection::open(&app.expected_database)?;
    holder.execute_batch("BEGIN IMMEDIATE")?;
    actions::click(&app, "wizard-next").await?;
    checks::enabled_is(&app, "sync-cancel", true).await?;
    actions::click(&app, "wizard-cancel").await?;
    checks::text_becomes(&app, "sync-close-text", "the question", |t| {
        t.contains("Stop it and close")
    })
    .await?;
    app.screenshot("close-during-write").await?;
    // "Keep synchronizing" keeps the wizard; asking again, then stopping, closes it.
    actions::click(&app, "sync-keep").await?;
    checks::gone(&app, "sync-close-question").await?;
    actions::click(&app, "wizard-cancel").await?;
    actions::click(&app, "sync-stop-close").await?;
    holder.execute_batch("ROLLBACK")?;
    drop(holder);
    checks::gone(&app, "wizard").await?;

    let db = rusqlite::Connection::open_with_flags(
        &app.expected_database,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )?;
    let count = |sql: &str| db.query_row(sql, [], |r| r.get::<_, i64>(0));
    assert_eq!(
        count("SELECT count(*) FROM azure_users")?,
        0,
        "no user written"
    );
    assert_eq!(
        count("SELECT count(*) FROM azure_groups")?,
        0,
        "no group written"
    );
    assert_eq!(count("SELECT count(*) FROM users")?, 0, "no server user");
    drop(db);

    // Again, and this time closed with "finish in the background": the wizard goes, the Users
    // area follows the run, and once the lock is released the run is written whole.
    actions::choose_menu(&app, "tools", "menu-azure-sync").await?;
    checks::enabled_is(&app, "wizard-next", true).await?;
    actions::click(&app, "wizard-next").await?;
    checks::text_becomes(&app, "dir-counts", "the list", |t| {
        t.contains("300 users and 25 groups listed") && !t.contains("loading")
    })
    .await?;
    select_all_to_preview(&app).await?;
    let holder = rusqlite::Connection::open(&app.expected_database)?;
    holder.execute_batch("BEGIN IMMEDIATE")?;
    actions::click(&app, "wizard-next").await?;
    checks::enabled_is(&app, "sync-cancel", true).await?;
    actions::click(&app, "wizard-cancel").await?;
    actions::click(&app, "sync-background").await?;
    checks::gone(&app, "wizard").await?;
    checks::text_becomes(&app, "background-sync", "the run's progress", |t| {
        t.starts_with("Synchronizing in the background")
    })
    .await?;
    let shown = finders::by_id(&app, "background-sync")
        .await?
        .is_displayed()
        .await?;
    assert!(shown, "the status line is visible in the Users area");
    app.screenshot("finishing-in-the-background").await?;
    holder.execute_batch("ROLLBACK")?;
    drop(holder);
    checks::text_becomes(&app, "background-sync-done", "the run's outcome", |t| {
        t.contains("325 created") && t.contains("0 failed")
    })
    .await?;
    checks::users_total_is(&app, 300).await?;
    let db = rusqlite::Connection::open_with_flags(
        &app.expected_database,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )?;
    let count = |sql: &str| db.query_row(sql, [], |r| r.get::<_, i64>(0));
    assert_eq!(count("SELECT count(*) FROM azure_users")?, 300);
    assert_eq!(count("SELECT count(*) FROM azure_groups")?, 25);
    app.finish().await
}

/// Step 3's right-click Select all, then Next to the Preview of all 325 objects.
async fn select_all_to_preview(app: &App) -> Result {
    actions::right_click(app, "#dir-list .dir-row[data-index='1']").await?;
    actions::click(app, "dir-select-all").await?;
    actions::click(app, "wizard-next").await?;
    checks::text_becomes(app, "preview-counts", "the plan", |t| {
        t.contains("325 to create")
    })
    .await?;
    Ok(())
}
