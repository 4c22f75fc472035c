//! The smoke test of an installed package: `cargo xtask dist-test` runs it inside a clean
//! Debian against `/usr/bin/aadsync-desktop` as the package installed it. The offline demo one
//! click away, one synchronization, and the users in the database the app keeps by default
//! (the user's data folder, not a test's `AADSYNC_DB`). Elsewhere it runs against the build.
//!
//! `AADSYNC_E2E_DATA_HOME`, when set, is the data folder to use and keep: the install test
//! removes the package afterwards and checks that the database is still there.

use crate::signin::{BrowserPlay, try_the_demo};
use crate::sync::import_all_listed;
use aadsync_e2e::support::{App, AppOptions, Result, actions, checks};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_signs_in_and_one_sync_writes_the_default_database() -> Result {
    let play = BrowserPlay::new()?;
    play.admin()?;
    let app = App::launch(
        "installed_smoke",
        AppOptions {
            env: play.env(),
            explicit_database: false,
            data_home: std::env::var_os("AADSYNC_E2E_DATA_HOME").map(Into::into),
            ..AppOptions::default()
        },
    )
    .await?;
    checks::shell_is_rendered(&app).await?;
    try_the_demo(&app).await?;
    actions::click(&app, "wizard-next").await?;
    import_all_listed(&app).await?;

    let db = rusqlite::Connection::open_with_flags(
        &app.expected_database,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )?;
    let alex: (String, String) = db.query_row(
        "SELECT users.auth_type, azure_users.user_principal_name FROM users
         JOIN azure_users ON azure_users.user_id = users.id
         WHERE users.account_key = 'alex.wilber@contoso.com'",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    assert_eq!(alex, ("azure_ad".into(), "alex.wilber@contoso.com".into()));
    let imported: i64 = db.query_row("SELECT count(*) FROM azure_users", [], |r| r.get(0))?;
    assert_eq!(imported, 300, "every user of the demo tenant");
    let logs = app.expected_database.with_file_name("logs");
    let written = std::fs::read_dir(&logs)?.flatten().count();
    assert!(written > 0, "no log file in {}", logs.display());
    app.finish().await
}
