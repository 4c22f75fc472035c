//! Account-name conflicts resolved in the wizard's preview (issue 15, item 7), as an
//! administrator meets them: two local users are created in the Users area, Entra ID has two
//! people with the same account names, the administrator selects both in step 3, and in the
//! preview links the first (chosen from the keyboard in its radio group) and imports the
//! second under another name. The results say so, and the SQLite file shows the local user's
//! own row (same users.id) now an Azure AD user with its Entra ID attributes and without its
//! password, and the second person imported beside the untouched local user.

use crate::signin::BrowserPlay;
use crate::sync::connect_new;
use aadsync_e2e::support::{App, AppOptions, Result, actions, checks, finders};
use aadsync_emulator::Emulator;
use fantoccini::key::Key;

const ANN_LEE: &str = "0a1e5c3d-7b2f-4c11-9e8d-5f6a7b8c9d01";
const ANN_BERG: &str = "0a1e5c3d-7b2f-4c11-9e8d-5f6a7b8c9d02";

/// Users area → New…: a local user with `account` and a password.
async fn create_local_user(app: &App, first: bool, account: &str, full_name: &str) -> Result {
    actions::click(
        app,
        if first {
            "users-empty-new"
        } else {
            "users-new"
        },
    )
    .await?;
    actions::type_into(app, "user-full-name", full_name).await?;
    actions::click(app, "tab-account").await?;
    actions::type_into(app, "user-account", account).await?;
    actions::type_into(app, "user-password", "Analytical-Engine-1843").await?;
    actions::type_into(app, "user-password-confirm", "Analytical-Engine-1843").await?;
    actions::click(app, "user-save").await?;
    checks::gone(app, "user-dialog").await
}

/// Waits until the radio button `id` is the selected one of its group.
async fn checked_becomes(app: &App, id: &str) -> Result {
    let start = std::time::Instant::now();
    while start.elapsed() < std::time::Duration::from_secs(10) {
        if finders::by_id(app, id).await?.is_selected().await? {
            return Ok(());
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    Err(format!("#{id} never became the selected choice").into())
}

/// Entra ID gets a person with `upn` (through the emulator's control API).
async fn add_entra_user(emulator: &Emulator, id: &str, upn: &str, name: &str) -> Result {
    let status = reqwest::Client::new()
        .post(format!("{}/_emulator/users", emulator.base_url()))
        .json(&serde_json::json!({
            "id": id,
            "userPrincipalName": upn,
            "displayName": name,
            "mail": upn,
            "jobTitle": "Conflict Analyst",
            "department": "Finance",
        }))
        .send()
        .await?
        .status();
    assert!(status.is_success(), "{status}");
    Ok(())
}

/// (users.id, auth type, has a password, account name) of every server user with an account
/// name starting with "ann", and the Entra ID rows (object ID, users.id, UPN, job title).
type Rows = (
    Vec<(i64, String, bool, String)>,
    Vec<(String, i64, String, Option<String>)>,
);

fn ann_rows(app: &App) -> Result<Rows> {
    let db = rusqlite::Connection::open_with_flags(
        &app.expected_database,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )?;
    let users = db
        .prepare(
            "SELECT id, auth_type, password_hash IS NOT NULL, account_name FROM users
             WHERE account_key LIKE 'ann%' ORDER BY account_key",
        )?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let azure = db
        .prepare(
            "SELECT object_id, user_id, user_principal_name, job_title FROM azure_users
             WHERE object_id LIKE '0a1e5c3d-%' ORDER BY object_id",
        )?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
        .collect::<rusqlite::Result<_>>()?;
    Ok((users, azure))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_conflict_is_linked_and_another_imported_under_another_name() -> Result {
    let emulator = Emulator::start_demo().await?;
    let play = BrowserPlay::new()?;
    play.admin()?;
    let mut app = App::launch(
        "conflicts",
        AppOptions {
            env: play.env(),
            ..AppOptions::default()
        },
    )
    .await?;
    checks::shell_is_rendered(&app).await?;
    create_local_user(&app, true, "ann.lee@contoso.com", "Ann (local)").await?;
    create_local_user(&app, false, "ann.berg@contoso.com", "Ann B (local)").await?;
    checks::users_total_is(&app, 2).await?;
    let (locals, _) = ann_rows(&app)?;
    let local_ids: Vec<i64> = locals.iter().map(|u| u.0).collect();
    assert_eq!(
        locals,
        [
            (
                local_ids[0],
                "local".into(),
                true,
                "ann.berg@contoso.com".into()
            ),
            (
                local_ids[1],
                "local".into(),
                true,
                "ann.lee@contoso.com".into()
            ),
        ],
        "both typed as they are meant"
    );
    add_entra_user(&emulator, ANN_LEE, "ann.lee@contoso.com", "Ann Lee").await?;
    add_entra_user(&emulator, ANN_BERG, "ann.berg@contoso.com", "Ann Berg").await?;

    connect_new(&app, &emulator).await?;
    checks::text_becomes(&app, "dir-counts", "the directory", |t| {
        t.contains("302 users and 25 groups listed") && !t.contains("loading")
    })
    .await?;
    actions::type_into(&app, "dir-search", "ann").await?;
    actions::click(&app, "dir-search-now").await?;
    checks::text_becomes(&app, "dir-counts", "the search's answer", |t| {
        !t.contains("302 users") && !t.contains("loading")
    })
    .await?;
    for id in [ANN_LEE, ANN_BERG] {
        actions::click_css(&app, &format!("#dir-list .dir-row[data-id='{id}']")).await?;
    }
    actions::click(&app, "wizard-next").await?;
    checks::content_becomes(&app, "preview-conflicts", "both conflicts", |t| {
        t.contains("Ann Lee: the account name ann.lee@contoso.com is already used by another user")
            && t.contains("Ann Berg: the account name ann.berg@contoso.com")
    })
    .await?;
    // Skip is the default; from Skip, the Down arrow selects Link (a radio group).
    checked_becomes(&app, &format!("conflict-{ANN_LEE}-skip")).await?;
    actions::click(&app, &format!("conflict-{ANN_LEE}-skip")).await?;
    actions::press_on_focused(&app, Key::Down).await?;
    checks::focus_is(&app, "Link", &format!("conflict-{ANN_LEE}-link")).await?;
    checked_becomes(&app, &format!("conflict-{ANN_LEE}-link")).await?;
    actions::click(&app, &format!("conflict-{ANN_BERG}-import")).await?;
    // Synchronize waits for the other account name.
    checks::enabled_is(&app, "wizard-next", false).await?;
    actions::type_into(
        &app,
        &format!("conflict-{ANN_BERG}-name"),
        "ann.berg2@contoso.com",
    )
    .await?;
    checks::enabled_is(&app, "wizard-next", true).await?;
    app.screenshot("conflicts-resolved").await?;
    actions::click(&app, "wizard-next").await?;
    checks::text_becomes(&app, "results-totals", "the results", |t| {
        t.contains("1 created") && t.contains("1 updated") && t.contains("0 failed")
    })
    .await?;
    checks::content_becomes(&app, "results-rows", "what became of both", |t| {
        t.contains("linked to local user ann.lee@contoso.com")
            && t.contains("imported as ann.berg2@contoso.com")
    })
    .await?;
    app.screenshot("conflicts-results").await?;

    let (users, azure) = ann_rows(&app)?;
    let (berg_local, lee_local) = (local_ids[0], local_ids[1]);
    let berg_new = users
        .iter()
        .find(|u| u.3 == "ann.berg2@contoso.com")
        .map(|u| u.0)
        .ok_or("Ann Berg imported as ann.berg2")?;
    assert_eq!(
        users,
        // By account key: "ann.berg2@…" sorts before "ann.berg@…".
        [
            (
                berg_new,
                "azure_ad".into(),
                false,
                "ann.berg2@contoso.com".into()
            ),
            (
                berg_local,
                "local".into(),
                true,
                "ann.berg@contoso.com".into()
            ),
            (
                lee_local,
                "azure_ad".into(),
                false,
                "ann.lee@contoso.com".into()
            ),
        ]
    );
    assert_eq!(
        azure,
        [
            (
                ANN_LEE.to_owned(),
                lee_local,
                "ann.lee@contoso.com".to_owned(),
                Some("Conflict Analyst".to_owned())
            ),
            (
                ANN_BERG.to_owned(),
                berg_new,
                "ann.berg@contoso.com".to_owned(),
                Some("Conflict Analyst".to_owned())
            ),
        ]
    );
    app.finish().await
}
