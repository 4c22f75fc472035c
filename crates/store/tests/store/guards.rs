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
    assert_eq!(report.created, 1);
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
    let edits: Vec<(&str, LocalUserEdit)> = vec![
        (
            "full name",
            LocalUserEdit {
                full_name: "Mallory".into(),
                ..base()
            },
        ),
        (
            "account",
            LocalUserEdit {
                account_name: "mallory".into(),
                ..base()
            },
        ),
        (
            "e-mail",
            LocalUserEdit {
                email: "m@evil.test".into(),
                ..base()
            },
        ),
        (
            "department",
            LocalUserEdit {
                department: "Evil".into(),
                ..base()
            },
        ),
        (
            "enabled",
            LocalUserEdit {
                enabled: false,
                ..base()
            },
        ),
        (
            "to local",
            LocalUserEdit {
                auth_type: AuthType::Local,
                ..base()
            },
        ),
    ];
    for (what, edit) in edits {
        let err = db.store.writer().update_user(id, &edit, &policy).err();
        assert!(
            matches!(err, Some(StoreError::ReadOnly(_))),
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
        ),
        (
            "local → azure",
            "UPDATE users SET auth_type = 'azure_ad', password_hash = NULL WHERE account_name = 'carl'",
        ),
        (
            "edit full name",
            "UPDATE users SET full_name = 'Mallory' WHERE auth_type = 'azure_ad'",
        ),
        (
            "enable/disable",
            "UPDATE users SET enabled = 0 WHERE auth_type = 'azure_ad'",
        ),
        (
            "forge azure user",
            "INSERT INTO users (account_name, account_key, auth_type) VALUES ('x@y', 'x@y', 'azure_ad')",
        ),
        (
            "edit attributes",
            "UPDATE azure_users SET display_name = 'Mallory'",
        ),
        (
            "forge membership",
            "INSERT INTO groups (name, source) VALUES ('g', 'local'); INSERT INTO memberships VALUES (last_insert_rowid(), 1, 'azure_ad')",
        ),
        (
            "local with no password",
            "INSERT INTO users (account_name, account_key, auth_type) VALUES ('p', 'p', 'local')",
        ),
        (
            "plaintext password",
            "INSERT INTO users (account_name, account_key, auth_type, password_hash) VALUES ('p', 'p', 'local', 'hunter2')",
        ),
    ];
    for (what, sql) in attempts {
        let result = conn.execute_batch(&format!("SAVEPOINT t; {sql}; RELEASE t;"));
        let _ = conn.execute_batch("ROLLBACK TO t; RELEASE t;");
        assert!(result.is_err(), "{what} was allowed");
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
