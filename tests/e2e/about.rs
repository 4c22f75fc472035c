//! The About dialog shows what the backend's `app_status` command found.

use aadsync_e2e::support::{App, AppOptions, Result, actions, checks};
use aadsync_testenv::KeyringMode;
use fantoccini::key::Key;

#[tokio::test]
async fn about_shows_version_database_and_a_working_keyring() -> Result {
    let mut app = App::launch("about_working_keyring", AppOptions::default()).await?;
    checks::shell_is_rendered(&app).await?;
    app.screenshot("main-window").await?;

    actions::choose_menu(&app, "help", "menu-about").await?;
    let version = env!("CARGO_PKG_VERSION");
    checks::text_becomes(&app, "about-version", "the app version", |t| t == version).await?;
    // The commit this checkout is at, as git says it (not as the app's build script did).
    let head = std::process::Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .output()?;
    let head = String::from_utf8_lossy(&head.stdout).trim().to_owned();
    checks::text_becomes(&app, "about-build", "the build's commit", |t| t == head).await?;
    let database = app.expected_database.display().to_string();
    checks::text_becomes(&app, "about-database", "the --db/AADSYNC_DB path", |t| {
        t == database
    })
    .await?;
    // "available" is only set after a real store/read/delete through the Secret Service.
    checks::attr_is(&app, "about-keyring", "data-state", "available").await?;
    checks::text_becomes(&app, "about-keyring", "the keyring backend", |t| {
        t.contains("Secret Service")
    })
    .await?;
    let logs = app
        .desktop
        .data_home()
        .join("com.aadsync.desktop")
        .join("logs");
    checks::text_becomes(&app, "about-logs", "the log directory", |t| {
        t == logs.display().to_string()
    })
    .await?;
    app.screenshot("about-dialog").await?;

    // The app really writes its log there.
    checks::eventually("a log file in the app's log directory", || {
        std::fs::read_dir(&logs)
            .map(|mut entries| entries.next().is_some())
            .unwrap_or(false)
    })?;

    actions::press(&app, "about-dialog", Key::Escape).await?;
    checks::gone(&app, "about-dialog").await?;
    app.finish().await
}

#[tokio::test]
async fn about_explains_a_missing_keyring_and_the_app_still_works() -> Result {
    let options = AppOptions {
        keyring: KeyringMode::Absent,
        explicit_database: false,
        ..AppOptions::default()
    };
    let mut app = App::launch("about_missing_keyring", options).await?;
    checks::shell_is_rendered(&app).await?;

    actions::choose_menu(&app, "help", "menu-about").await?;
    checks::attr_is(&app, "about-keyring", "data-state", "unavailable").await?;
    checks::text_becomes(&app, "about-keyring", "an actionable message", |t| {
        t.contains("No keyring service is running") && t.contains("Start one")
    })
    .await?;
    // Without --db the database goes to the OS app-data directory (XDG_DATA_HOME here).
    let database = app.expected_database.display().to_string();
    checks::text_becomes(&app, "about-database", "the default database path", |t| {
        t == database
    })
    .await?;
    app.screenshot("about-without-keyring").await?;

    actions::click(&app, "about-close").await?;
    checks::gone(&app, "about-dialog").await?;
    checks::shell_is_rendered(&app).await?;
    app.finish().await
}
