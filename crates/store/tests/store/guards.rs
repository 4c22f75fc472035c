//! Azure AD users are written only by the sync apply path; the database enforces it.

use crate::support::*;
use aadsync_store::{AuthType, LocalUserEdit, PasswordPolicy, StoreError};

#[test]
fn store_api_refuses_edits_of_directory_fields() {
    let db = fresh();
    let report = db
        .store
        .writer()
        .apply_directory_changes(
            &run(),
            &changes(
                vec![entra_user("o-1", "ann@contoso.com", "Ann Lee")],
                vec![],
            ),
        )
        .expect("apply");
    let id = db.store.reader().user_rows().expect("rows")[0].id;
    assert_eq!(report.counts.created, 1);
    let base = || {
        let u = db.store.reader().user(id).expect("user");
        LocalUserEdit {
            account_name: u.account_name,
            full_name: u.full_name,
            email: u.email,
            phone: u.phone,
            department: u.department,
            description: u.description,
            enabled: u.enabled,
            auth_type: u.auth_type,
            new_password: None,
        }
    };
    let policy = PasswordPolicy::default();
    let edits: Vec<(&str, LocalUserEdit, &str)> = vec![
        (
            "full name",
            LocalUserEdit {
                full_name: "Mallory".into(),
                ..base()
            },
            "the full name of an Azure AD user comes from Entra ID and is read-only; change it in Entra ID and synchronize",
        ),
        (
            "account",
            LocalUserEdit {
                account_name: "mallory".into(),
                ..base()
            },
            "the account name of an Azure AD user comes from Entra ID and is read-only; change it in Entra ID and synchronize",
        ),
        (
            "e-mail",
            LocalUserEdit {
                email: "m@evil.test".into(),
                ..base()
            },
            "the e-mail address of an Azure AD user comes from Entra ID and is read-only; change it in Entra ID and synchronize",
        ),
        (
            "department",
            LocalUserEdit {
                department: "Evil".into(),
                ..base()
            },
            "the department of an Azure AD user comes from Entra ID and is read-only; change it in Entra ID and synchronize",
        ),
        (
            "enabled",
            LocalUserEdit {
                enabled: false,
                ..base()
            },
            "whether an Azure AD user is enabled follows Entra ID; disable the account there and synchronize",
        ),
        (
            "to local",
            LocalUserEdit {
                auth_type: AuthType::Local,
                ..base()
            },
            "an Azure AD user always signs in with Azure Active Directory",
        ),
    ];
    for (what, edit, refusal) in edits {
        let err = db.store.writer().update_user(id, &edit, &policy).err();
        assert!(
            matches!(&err, Some(StoreError::ReadOnly(m)) if m == refusal),
            "{what}: {err:?}"
        );
    }
    // Description stays editable.
    let edit = LocalUserEdit {
        description: "Works remotely".into(),
        ..base()
    };
    db.store
        .writer()
        .update_user(id, &edit, &policy)
        .expect("description");
    assert_eq!(
        db.store.reader().user(id).expect("u").description,
        "Works remotely"
    );
}

#[test]
fn database_refuses_raw_sql_that_bypasses_the_api() {
    let db = fresh();
    db.store
        .writer()
        .apply_directory_changes(
            &run(),
            &changes(
                vec![entra_user("o-1", "ann@contoso.com", "Ann Lee")],
                vec![],
            ),
        )
        .expect("apply");
    let policy = PasswordPolicy::default();
    db.store
        .writer()
        .create_local_user(&local("carl"), &policy)
        .expect("local");
    let writer = db.store.writer();
    let conn = writer.connection();
    let attempts = [
        (
            "azure → local",
            "UPDATE users SET auth_type = 'local', password_hash = '$argon2id$x' WHERE auth_type = 'azure_ad'",
            "aadsync: the authentication type of an Azure AD user cannot be changed, and no user can become one except through synchronization",
        ),
        (
            "local → azure",
            "UPDATE users SET auth_type = 'azure_ad', password_hash = NULL WHERE account_name = 'carl'",
            "aadsync: the authentication type of an Azure AD user cannot be changed, and no user can become one except through synchronization",
        ),
        (
            "edit full name",
            "UPDATE users SET full_name = 'Mallory' WHERE auth_type = 'azure_ad'",
            "aadsync: this field of an Azure AD user comes from Entra ID and is read-only",
        ),
        (
            "enable/disable",
            "UPDATE users SET enabled = 0 WHERE auth_type = 'azure_ad'",
            "aadsync: this field of an Azure AD user comes from Entra ID and is read-only",
        ),
        (
            "forge azure user",
            "INSERT INTO users (account_name, account_key, auth_type) VALUES ('x@y', 'x@y', 'azure_ad')",
            "aadsync: Azure AD users are created only by synchronization",
        ),
        (
            "edit attributes",
            "UPDATE azure_users SET display_name = 'Mallory'",
            "aadsync: Entra ID attributes are written only by synchronization",
        ),
        (
            "forge membership",
            "INSERT INTO groups (name, source) VALUES ('g', 'local'); INSERT INTO memberships VALUES (last_insert_rowid(), 1, 'azure_ad')",
            "aadsync: Azure AD group memberships are written only by synchronization",
        ),
        (
            "local with no password",
            "INSERT INTO users (account_name, account_key, auth_type) VALUES ('p', 'p', 'local')",
            "CHECK constraint failed: (auth_type = 'local') = (password_hash IS NOT NULL)",
        ),
        (
            "plaintext password",
            "INSERT INTO users (account_name, account_key, auth_type, password_hash) VALUES ('p', 'p', 'local', 'hunter2')",
            "CHECK constraint failed: password_hash IS NULL OR password_hash LIKE '$argon2%'",
        ),
    ];
    for (what, sql, refusal) in attempts {
        let result = conn.execute_batch(&format!("SAVEPOINT t; {sql}; RELEASE t;"));
        let _ = conn.execute_batch("ROLLBACK TO t; RELEASE t;");
        // The refusal comes from the trigger or CHECK meant for it, not from some other error.
        assert_eq!(
            result.map_err(|e| e.to_string()),
            Err(refusal.to_owned()),
            "{what}"
        );
    }
    let rows = db.store.reader();
    let rows = rows.user_rows().expect("rows");
    assert_eq!(
        rows.iter()
            .filter(|r| r.auth_type == AuthType::AzureAd)
            .count(),
        1
    );
    assert_eq!(
        rows.iter()
            .find(|r| r.auth_type == AuthType::AzureAd)
            .map(|r| r.full_name.as_str()),
        Some("Ann Lee")
    );
}

#[test]
fn deleting_an_azure_user_leaves_a_tombstone() {
    let db = fresh();
    db.store
        .writer()
        .apply_directory_changes(
            &run(),
            &changes(
                vec![entra_user("o-9", "zed@contoso.com", "Zed Ray")],
                vec![],
            ),
        )
        .expect("apply");
    let id = db.store.reader().user_rows().expect("rows")[0].id;
    db.store.writer().delete_user(id).expect("delete");
    let writer = db.store.writer();
    let upn: String = writer
        .connection()
        .query_row(
            "SELECT user_principal_name FROM azure_user_tombstones WHERE tenant_id = ?1 AND object_id = 'o-9'",
            [TENANT],
            |r| r.get(0),
        )
        .expect("tombstone");
    assert_eq!(upn, "zed@contoso.com");
}
