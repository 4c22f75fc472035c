//! `aadsync sync --link` and `--import-as`: a dry run names each account-name conflict with the
//! flags that resolve it and writes nothing; the flags link the Entra ID user to the local user
//! (same server ID, now an Azure AD user without a password) or import it under another name,
//! which the next run keeps. Checked on the SQLite file.

use crate::support::db::{self, UserRow};
use crate::support::tenant::Tenant;
use crate::support::{aadsync, add_organization, run};
use crate::{ALEX, items};
use aadsync_emulator::Emulator;
use aadsync_testenv::{KeyringMode, in_session};
use std::path::Path;

fn create_local(db: &Path, account: &str) -> i64 {
    let store =
        aadsync_store::Store::open(db, &aadsync_store::OpenOptions::default()).expect("store");
    let id = store
        .writer()
        .create_local_user(
            &aadsync_store::NewLocalUser {
                account_name: account.into(),
                full_name: "Local person".into(),
                email: String::new(),
                phone: String::new(),
                department: String::new(),
                description: String::new(),
                enabled: true,
                password: aadsync_keystore::SecretString::new("Local-Password-2026!"),
            },
            &aadsync_store::PasswordPolicy::default(),
        )
        .expect("local user");
    id.0
}

/// (id, auth type, has a password) of the server user with account key `key`.
fn server_user(db: &Path, key: &str) -> (i64, String, bool) {
    rusqlite::Connection::open(db)
        .expect("open")
        .query_row(
            "SELECT id, auth_type, password_hash IS NOT NULL FROM users WHERE account_key = ?1",
            [key],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .expect("user")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conflicts_are_named_in_a_dry_run_and_resolved_by_link_and_import_as() {
    if !in_session(
        "conflicts::conflicts_are_named_in_a_dry_run_and_resolved_by_link_and_import_as",
        KeyringMode::Unlocked,
    ) {
        return;
    }
    let emulator = Emulator::start_demo().await.expect("emulator");
    let tenant = Tenant::new(&emulator);
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("aadsync.sqlite3");
    add_organization(&emulator, &db).await;
    let alex = tenant.user(ALEX).await;
    let listed = tenant.graph("/users?$top=3&$select=id").await;
    let other_id = listed["value"]
        .as_array()
        .expect("users")
        .iter()
        .map(|u| u["id"].as_str().expect("id").to_owned())
        .find(|id| id != ALEX)
        .expect("another user");
    let other = tenant.user(&other_id).await;
    // Local users hold both names (Alex's in other letter case).
    let local_alex = create_local(&db, &alex.user_principal_name.to_uppercase());
    create_local(&db, &other.user_principal_name);
    let sync = |extra: &[&str]| {
        let mut args = vec![
            "sync", "--org", "1", "--user", ALEX, "--user", &other_id, "--json",
        ];
        args.extend_from_slice(extra);
        aadsync(&db, &args)
    };

    // A dry run: both conflicts with their flags (Alex's link by name), nothing written.
    let before = db::dump(&db);
    let ran = run(sync(&["--dry-run"])).await;
    assert_eq!(ran.code, Some(3), "{ran}");
    let conflicts: Vec<String> = ran.json()["conflicts"]
        .as_array()
        .expect("conflicts")
        .iter()
        .map(|c| c.as_str().expect("line").to_owned())
        .collect();
    assert_eq!(conflicts.len(), 2, "{conflicts:?}");
    let upn = &alex.user_principal_name;
    assert!(
        conflicts
            .iter()
            .any(|c| c.contains(&format!("--link {upn}={upn}"))),
        "{conflicts:?}"
    );
    assert!(
        conflicts
            .iter()
            .any(|c| c.contains(&format!("--import-as {other_id}=<another account name>"))),
        "{conflicts:?}"
    );
    db::assert_same(&before, &db::dump(&db), "a dry run writes nothing");

    // A flag on a user without a conflict is refused: it would rename a user the admin did
    // not mean to rename.
    let third = listed["value"]
        .as_array()
        .expect("users")
        .iter()
        .filter_map(|u| u["id"].as_str())
        .find(|id| *id != ALEX && *id != other_id)
        .expect("a third user")
        .to_owned();
    let renamed = format!("{third}=someone.else@contoso.com");
    let refused = run(aadsync(
        &db,
        &[
            "sync",
            "--org",
            "1",
            "--user",
            &third,
            "--import-as",
            &renamed,
        ],
    ))
    .await;
    assert_eq!(refused.code, Some(1), "{refused}");
    assert!(
        refused.stderr.contains("no account-name conflict"),
        "{refused}"
    );
    db::assert_same(&before, &db::dump(&db), "a refused flag writes nothing");

    // The resolutions, Alex named by UPN, the other user by object ID.
    let link = format!("{}={}", upn.to_uppercase(), upn.to_uppercase());
    let import_as = format!("{other_id}=second.name@contoso.com");
    let ran = run(sync(&["--link", &link, "--import-as", &import_as])).await;
    assert_eq!(ran.code, Some(0), "{ran}");
    let mut reported: Vec<(String, String, String)> = items(&ran.json())
        .into_iter()
        .map(|(_, id, outcome, detail)| (id, outcome, detail))
        .collect();
    reported.sort();
    let mut expected = vec![
        (
            ALEX.to_owned(),
            "linked".to_owned(),
            format!("linked to local user {}", upn.to_uppercase()),
        ),
        (
            other_id.clone(),
            "created".to_owned(),
            "imported as second.name@contoso.com".to_owned(),
        ),
    ];
    expected.sort();
    assert_eq!(reported, expected);
    let rows = || db::imported_users(&db);
    let expected_rows = [
        (ALEX.to_owned(), alex.clone()),
        (
            other_id.clone(),
            UserRow {
                account_name: "second.name@contoso.com".into(),
                ..other.clone()
            },
        ),
    ]
    .into_iter()
    .collect();
    assert_eq!(rows(), expected_rows);
    assert_eq!(
        server_user(&db, &upn.to_lowercase()),
        (local_alex, "azure_ad".to_owned(), false),
        "the local user's row, an Azure AD user without its password"
    );
    assert_eq!(
        server_user(&db, &other.user_principal_name.to_lowercase()).1,
        "local",
        "the other local user stays"
    );

    // The next run reads no flag: the link and the chosen name hold, nothing fails.
    let ran = run(aadsync(&db, &["sync", "--org", "1", "--json"])).await;
    assert_eq!(ran.code, Some(0), "{ran}");
    assert_eq!(rows(), expected_rows);
}
