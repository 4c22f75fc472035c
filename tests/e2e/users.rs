//! The Users area and the User properties dialog, in the real app.

use aadsync_e2e::support::{App, AppOptions, Result, actions, checks, finders};
use aadsync_keystore::SecretString;
use aadsync_store::{
    DirectoryChanges, DirectoryGroup, DirectoryUser, NewLocalUser, OpenOptions, PasswordPolicy,
    RunInfo, Store,
};
use fantoccini::Locator;
use std::path::Path;

const TENANT: &str = "6e1b4d0c-2f7a-4c55-9d1e-8a3f5b2c7d90";

/// One Azure AD user (through the sync apply path), a group, and a local user with a hostile
/// full name: what a server looks like after a first synchronization.
fn imported_users(path: &Path) -> Result {
    let store = Store::open(path, &OpenOptions::default())?;
    store.writer().create_local_user(
        &NewLocalUser {
            account_name: "svc-backup".into(),
            full_name: "<img src=x onerror=alert(1)> \u{202e}evil".into(),
            email: String::new(),
            phone: String::new(),
            department: "Operations".into(),
            description: String::new(),
            enabled: true,
            password: SecretString::new("Backup-Service-42"),
        },
        &PasswordPolicy::default(),
    )?;
    let megan = DirectoryUser {
        object_id: "48d31887-5fad-4d73-a9f5-3c356e68a038".into(),
        user_principal_name: Some("MeganB@contoso.onmicrosoft.com".into()),
        display_name: "Megan Bowen".into(),
        given_name: Some("Megan".into()),
        surname: Some("Bowen".into()),
        mail: Some("MeganB@contoso.onmicrosoft.com".into()),
        job_title: Some("Marketing Manager".into()),
        department: Some("Marketing".into()),
        office_location: Some("12/1110".into()),
        mobile_phone: None,
        business_phones: vec!["+1 412 555 0109".into()],
        user_type: None,
        account_enabled: true,
        created_in_entra_at: Some("2024-09-10T07:31:27Z".into()),
        on_premises_sync_enabled: None,
        imported_via: "Marketing".into(),
    };
    let group = DirectoryGroup {
        object_id: "02bd9fd6-8f93-4758-87c3-1fb73740a315".into(),
        display_name: "Marketing".into(),
        description: Some("Marketing department".into()),
        mail: Some("marketing@contoso.onmicrosoft.com".into()),
        mail_enabled: true,
        security_enabled: false,
        group_types: vec!["Unified".into()],
        members: Some(vec![megan.object_id.clone()]),
        members_unreadable: None,
    };
    store.writer().apply_directory_changes(
        &RunInfo {
            tenant_id: TENANT.into(),
            started_by: "admin@contoso.onmicrosoft.com".into(),
        },
        &DirectoryChanges {
            users: vec![megan],
            groups: vec![group],
            removals: vec![],
            delta: None,
            ..DirectoryChanges::default()
        },
    )?;
    Ok(())
}

#[tokio::test]
async fn create_find_and_edit_a_local_user() -> Result {
    let mut app = App::launch("users_local_lifecycle", AppOptions::default()).await?;
    checks::shell_is_rendered(&app).await?;

    actions::click(&app, "users-empty-new").await?;
    actions::type_into(&app, "user-full-name", "Ada Lovelace").await?;
    actions::type_into(&app, "user-email", "ada@example.org").await?;
    actions::click(&app, "tab-account").await?;
    // The Azure AD choice is never available by hand.
    assert!(
        !finders::by_id(&app, "auth-azure")
            .await?
            .is_enabled()
            .await?
    );
    actions::type_into(&app, "user-account", "ada").await?;
    actions::type_into(&app, "user-password", "ada").await?;
    actions::type_into(&app, "user-password-confirm", "ada").await?;
    actions::click(&app, "user-save").await?;
    checks::text_becomes(&app, "user-password-error", "the policy message", |t| {
        t.contains("too weak") && t.contains("12 characters")
    })
    .await?;
    app.screenshot("new-user-weak-password").await?;

    actions::type_into(&app, "user-password", "Analytical-Engine-1843").await?;
    actions::type_into(&app, "user-password-confirm", "Analytical-Engine-1843").await?;
    actions::click(&app, "user-save").await?;
    checks::gone(&app, "user-dialog").await?;
    checks::users_total_is(&app, 1).await?;

    // A second user with the same name in another case is refused at the account field.
    actions::click(&app, "users-new").await?;
    actions::click(&app, "tab-account").await?;
    actions::type_into(&app, "user-account", "ADA").await?;
    actions::type_into(&app, "user-password", "Difference-Engine-1822").await?;
    actions::type_into(&app, "user-password-confirm", "Difference-Engine-1822").await?;
    actions::click(&app, "user-save").await?;
    checks::text_becomes(&app, "user-account-error", "the duplicate message", |t| {
        t.contains("already used by another user")
    })
    .await?;
    app.screenshot("new-user-duplicate").await?;
    actions::click(&app, "user-cancel").await?;
    checks::gone(&app, "user-dialog").await?;

    actions::click(&app, "users-new").await?;
    actions::click(&app, "tab-account").await?;
    actions::type_into(&app, "user-account", "charles").await?;
    actions::type_into(&app, "user-password", "Difference-Engine-1822").await?;
    actions::type_into(&app, "user-password-confirm", "Difference-Engine-1822").await?;
    actions::click(&app, "user-save").await?;
    checks::gone(&app, "user-dialog").await?;
    checks::users_total_is(&app, 2).await?;

    // The filter finds one of them.
    actions::type_into(&app, "users-filter", "lovel").await?;
    checks::users_total_is(&app, 1).await?;
    checks::text_becomes(&app, "users-count", "the match count", |t| {
        t == "1 of 2 users match"
    })
    .await?;
    app.screenshot("users-filtered").await?;

    // Double-click opens the properties; change the department.
    actions::double_click(&app, "#users-table .row[data-account='ada']").await?;
    checks::value_becomes(&app, "user-full-name", "the stored name", |v| {
        v == "Ada Lovelace"
    })
    .await?;
    actions::type_into(&app, "user-department", "Mathematics").await?;
    app.screenshot("user-properties-general").await?;
    actions::click(&app, "user-save").await?;
    checks::gone(&app, "user-dialog").await?;
    checks::content_becomes(&app, "users-table", "the new department", |t| {
        t.contains("Mathematics")
    })
    .await?;

    // Sorting by account descending puts charles first once the filter is cleared.
    actions::type_into(&app, "users-filter", "").await?;
    checks::users_total_is(&app, 2).await?;
    actions::click(&app, "sort-account").await?;
    checks::attr_is(&app, "column-account", "aria-sort", "descending").await?;
    checks::content_becomes(
        &app,
        "users-table",
        "charles above ada",
        |t| matches!((t.find("charles"), t.find("ada")), (Some(c), Some(a)) if c < a),
    )
    .await?;
    app.screenshot("users-sorted").await?;

    // Delete with confirmation, from the keyboard selection.
    actions::click_css(&app, "#users-table .row[data-account='charles']").await?;
    actions::click(&app, "users-delete").await?;
    checks::text_becomes(&app, "delete-account", "the account", |t| t == "charles").await?;
    app.screenshot("delete-confirmation").await?;
    actions::click(&app, "delete-confirm").await?;
    checks::gone(&app, "delete-dialog").await?;
    checks::users_total_is(&app, 1).await?;
    app.finish().await
}

#[tokio::test]
async fn an_imported_user_is_read_only_and_hostile_text_stays_text() -> Result {
    let options = AppOptions {
        prepare: Some(imported_users),
        ..AppOptions::default()
    };
    let mut app = App::launch("users_azure_read_only", options).await?;
    checks::users_total_is(&app, 2).await?;
    app.screenshot("users-with-azure-user").await?;
    // The hostile full name is shown as text, not turned into an element.
    checks::content_becomes(&app, "users-table", "the literal markup", |t| {
        t.contains("<img src=x onerror=alert(1)>")
    })
    .await?;
    assert!(
        app.client
            .find_all(Locator::Css("#users-table img"))
            .await?
            .is_empty()
    );

    // Select, then the Properties button.
    actions::click_css(
        &app,
        "#users-table .row[data-account='MeganB@contoso.onmicrosoft.com']",
    )
    .await?;
    actions::click(&app, "users-properties").await?;
    checks::value_becomes(&app, "user-full-name", "Megan's name", |v| {
        v == "Megan Bowen"
    })
    .await?;
    for id in [
        "user-full-name",
        "user-email",
        "user-phone",
        "user-department",
    ] {
        checks::attr_is(&app, id, "readonly", "true").await?;
    }
    app.screenshot("azure-user-general").await?;

    actions::click(&app, "tab-account").await?;
    let azure = finders::by_id(&app, "auth-azure").await?;
    assert_eq!(azure.prop("checked").await?.as_deref(), Some("true"));
    assert!(
        !azure.is_enabled().await?,
        "the Azure AD radio must be locked"
    );
    assert!(
        !finders::by_id(&app, "auth-local")
            .await?
            .is_enabled()
            .await?
    );
    checks::attr_is(&app, "user-account", "readonly", "true").await?;
    app.screenshot("azure-user-account-locked").await?;

    actions::click(&app, "tab-member-of").await?;
    checks::text_becomes(&app, "member-of-tab", "the group", |t| {
        t.contains("Marketing")
    })
    .await?;

    actions::click(&app, "tab-azure-ad").await?;
    let expected = [
        ("azure-upn", "MeganB@contoso.onmicrosoft.com"),
        ("azure-object-id", "48d31887-5fad-4d73-a9f5-3c356e68a038"),
        ("azure-job-title", "Marketing Manager"),
        ("azure-office", "12/1110"),
        ("azure-business-phones", "+1 412 555 0109"),
        ("azure-user-type", "Member"),
        ("azure-imported-via", "Marketing"),
        ("azure-tenant", TENANT),
    ];
    for (id, value) in expected {
        checks::text_becomes(&app, id, value, |t| t.contains(value)).await?;
    }
    // Nothing on the Azure AD tab is editable.
    let editable = app
        .client
        .find_all(Locator::Css(
            "#azure-ad-tab input, #azure-ad-tab textarea, #azure-ad-tab select",
        ))
        .await?;
    assert!(editable.is_empty());
    app.screenshot("azure-ad-tab").await?;

    // The description stays editable and is saved.
    actions::click(&app, "tab-general").await?;
    actions::type_into(&app, "user-description", "Works from the Redmond office").await?;
    actions::click(&app, "user-save").await?;
    checks::gone(&app, "user-dialog").await?;
    // Right-click → Properties shows what was saved. (Last: after a WebDriver right click,
    // WebKitWebDriver types without Shift, so no typing follows it.)
    let row = "#users-table .row[data-account='MeganB@contoso.onmicrosoft.com']";
    actions::right_click(&app, row).await?;
    app.screenshot("context-menu").await?;
    actions::click(&app, "context-properties").await?;
    checks::value_becomes(&app, "user-description", "the saved description", |v| {
        v == "Works from the Redmond office"
    })
    .await?;
    app.finish().await
}

fn not_a_database(path: &Path) -> Result {
    std::fs::write(path, "account;password\nalice;secret\n")?;
    Ok(())
}

#[tokio::test]
async fn a_foreign_file_at_the_database_path_is_reported_and_kept() -> Result {
    let options = AppOptions {
        prepare: Some(not_a_database),
        ..AppOptions::default()
    };
    let mut app = App::launch("users_foreign_database", options).await?;
    checks::text_becomes(&app, "users-error", "an actionable message", |t| {
        t.contains("is not an aadsync database") && t.contains("has not changed it")
    })
    .await?;
    app.screenshot("foreign-database").await?;
    let content = std::fs::read_to_string(&app.expected_database)?;
    assert_eq!(content, "account;password\nalice;secret\n");
    // The rest of the app still works.
    actions::choose_menu(&app, "help", "menu-about").await?;
    checks::attr_is(&app, "about-keyring", "data-state", "available").await?;
    app.finish().await
}

fn one_local_user(path: &Path) -> Result {
    let store = Store::open(path, &OpenOptions::default())?;
    store.writer().create_local_user(
        &NewLocalUser {
            account_name: "first".into(),
            full_name: "First User".into(),
            email: String::new(),
            phone: String::new(),
            department: String::new(),
            description: String::new(),
            enabled: true,
            password: SecretString::new("Correct-Horse-Battery-1"),
        },
        &PasswordPolicy::default(),
    )?;
    Ok(())
}

#[tokio::test]
async fn a_database_locked_by_another_process_is_reported_then_works() -> Result {
    let options = AppOptions {
        prepare: Some(one_local_user),
        ..AppOptions::default()
    };
    let mut app = App::launch("users_locked_database", options).await?;
    checks::users_total_is(&app, 1).await?;

    // This test process is "another program" holding the write lock.
    let other = rusqlite::Connection::open(&app.expected_database)?;
    other.execute_batch("BEGIN EXCLUSIVE")?;

    actions::click(&app, "users-new").await?;
    actions::click(&app, "tab-account").await?;
    actions::type_into(&app, "user-account", "second").await?;
    actions::type_into(&app, "user-password", "Another-Horse-Battery-2").await?;
    actions::type_into(&app, "user-password-confirm", "Another-Horse-Battery-2").await?;
    actions::click(&app, "user-save").await?;
    checks::text_becomes(&app, "user-error", "the lock message", |t| {
        t.contains("locked by another program") && t.contains("Close it and try again")
    })
    .await?;
    app.screenshot("database-locked").await?;

    other.execute_batch("COMMIT")?;
    drop(other);
    actions::click(&app, "user-save").await?;
    checks::gone(&app, "user-dialog").await?;
    checks::users_total_is(&app, 2).await?;
    app.finish().await
}

/// The User properties dialog from the keyboard (issue 15, item 4): arrows move between the
/// tabs (WAI-ARIA tabs), Tab and Shift+Tab stay inside the dialog, and closing it gives the
/// focus back to the button that opened it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_user_dialog_keeps_and_returns_the_focus_and_its_tabs_take_arrows() -> Result {
    use fantoccini::key::Key;
    let app = App::launch("users_dialog_keyboard", AppOptions::default()).await?;
    checks::shell_is_rendered(&app).await?;
    actions::press(&app, "users-empty-new", Key::Enter).await?;
    checks::text_becomes(&app, "tab-general", "the dialog", |t| t == "General").await?;
    actions::press(&app, "tab-general", Key::Right).await?;
    checks::focus_is(&app, "the next tab", "tab-account").await?;
    checks::attr_is(&app, "tab-account", "aria-selected", "true").await?;
    actions::press(&app, "tab-account", Key::End).await?;
    actions::press_on_focused(&app, Key::Home).await?;
    checks::focus_is(&app, "the first tab", "tab-general").await?;

    // Tab from the last button wraps to the first focusable element, Shift+Tab back again.
    actions::press(&app, "user-cancel", Key::Tab).await?;
    let first = finders::focused_id(&app).await?;
    let inside = app
        .client
        .execute(
            "return document.getElementById('user-dialog').contains(document.activeElement)",
            vec![],
        )
        .await?;
    assert_eq!(
        inside,
        serde_json::json!(true),
        "focus left the dialog for #{first}"
    );
    let back = format!(
        "{}{}{}",
        char::from(Key::Shift),
        char::from(Key::Tab),
        char::from(Key::Null)
    );
    app.client.active_element().await?.send_keys(&back).await?;
    checks::focus_is(&app, "Shift+Tab back to the last button", "user-cancel").await?;

    actions::press_on_focused(&app, Key::Escape).await?;
    checks::gone(&app, "user-dialog").await?;
    checks::focus_is(&app, "focus back on the opener", "users-empty-new").await?;
    app.finish().await
}

/// The Users table's columns resize (issue 15, item 5): dragging a header's edge widens that
/// column in the header and the rows alike, the arrow keys on the focused edge move it by 16
/// pixels, and the widths are still there after the app restarts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_users_columns_resize_with_the_pointer_and_the_keys_and_keep_their_width() -> Result {
    use fantoccini::key::Key;
    let mut app = App::launch(
        "users_columns_resize",
        AppOptions {
            prepare: Some(one_local_user),
            ..AppOptions::default()
        },
    )
    .await?;
    checks::content_becomes(&app, "users-table", "the user", |t| t.contains("first")).await?;
    let widths = "const w = e => Math.round(e.getBoundingClientRect().width); \
                  return [w(document.getElementById('column-account')), \
                          w(document.querySelector('#users-table .row .cell'))];";
    let measure = async |app: &App| -> Result<(i64, i64)> {
        let v = app.client.execute(widths, vec![]).await?;
        Ok((v[0].as_i64().unwrap_or(0), v[1].as_i64().unwrap_or(0)))
    };
    let (header, cell) = measure(&app).await?;
    assert_eq!(header, cell, "the header and the rows share their columns");
    // Before any resize the handle tells the width as drawn.
    checks::attr_is(&app, "resize-0", "aria-valuenow", &header.to_string()).await?;

    actions::drag_by(&app, "#resize-0", 90.0).await?;
    let (dragged, dragged_cell) = measure(&app).await?;
    assert!(
        (header + 80..=header + 100).contains(&dragged) && dragged_cell == dragged,
        "dragged 90px: {header} → {dragged} (row cell {dragged_cell})"
    );
    actions::press(&app, "resize-0", Key::Left).await?;
    actions::press(&app, "resize-0", Key::Left).await?;
    let (keyed, _) = measure(&app).await?;
    assert_eq!(keyed, dragged - 32, "two Left presses");
    checks::attr_is(&app, "resize-0", "aria-valuenow", &keyed.to_string()).await?;
    app.screenshot("resized-column").await?;

    app.restart().await?;
    checks::content_becomes(&app, "users-table", "the user", |t| t.contains("first")).await?;
    let (kept, kept_cell) = measure(&app).await?;
    assert_eq!(
        (kept, kept_cell),
        (keyed, keyed),
        "the width survives a restart"
    );
    app.finish().await
}
