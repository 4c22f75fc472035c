//! Local users: create, edit, disable, delete, validation.

use crate::support::*;
use aadsync_keystore::SecretString;
use aadsync_store::{AuthType, LocalUserEdit, PasswordPolicy, StoreError, UserId};

fn edit_of(db: &Db, id: UserId) -> LocalUserEdit {
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
}

#[test]
fn create_edit_disable_delete() {
    let db = fresh();
    let policy = PasswordPolicy::default();
    let id = db
        .store
        .writer()
        .create_local_user(&local("alice"), &policy)
        .expect("create");
    let user = db.store.reader().user(id).expect("read");
    assert_eq!(
        (user.account_name.as_str(), user.auth_type),
        ("alice", AuthType::Local)
    );
    assert!(user.has_password && user.azure.is_none());
    assert!(
        db.store
            .reader()
            .password_matches(id, &SecretString::new("Correct-Horse-9"))
            .expect("verify")
    );

    let mut edit = edit_of(&db, id);
    edit.full_name = "Alice Liddell".into();
    edit.enabled = false;
    edit.new_password = Some(SecretString::new("An0ther-Secret!"));
    db.store
        .writer()
        .update_user(id, &edit, &policy)
        .expect("update");
    let user = db.store.reader().user(id).expect("read");
    assert_eq!(user.full_name, "Alice Liddell");
    assert!(!user.enabled);
    assert!(
        db.store
            .reader()
            .password_matches(id, &SecretString::new("An0ther-Secret!"))
            .expect("verify")
    );
    assert!(
        !db.store
            .reader()
            .password_matches(id, &SecretString::new("Correct-Horse-9"))
            .expect("verify")
    );

    // Local → Active Directory drops the password (directory users never have one).
    let mut edit = edit_of(&db, id);
    edit.auth_type = AuthType::ActiveDirectory;
    db.store
        .writer()
        .update_user(id, &edit, &policy)
        .expect("to AD");
    assert!(!db.store.reader().user(id).expect("read").has_password);

    db.store.writer().delete_user(id).expect("delete");
    assert!(matches!(
        db.store.reader().user(id),
        Err(StoreError::UserNotFound(n)) if n == id.0
    ));
    assert!(matches!(
        db.store.writer().delete_user(id),
        Err(StoreError::UserNotFound(n)) if n == id.0
    ));
}

#[test]
fn no_plaintext_password_anywhere_in_the_file() {
    let db = fresh();
    db.store
        .writer()
        .create_local_user(&local("bob"), &PasswordPolicy::default())
        .expect("create");
    // Checkpoint so the row is in the main file, then look at every byte of both files.
    db.store
        .writer()
        .connection()
        .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
        .expect("checkpoint");
    for name in ["users.sqlite3", "users.sqlite3-wal"] {
        let bytes = std::fs::read(db.dir.path().join(name)).unwrap_or_default();
        let hay = String::from_utf8_lossy(&bytes);
        assert!(
            !hay.contains("Correct-Horse-9"),
            "plaintext password in {name}"
        );
    }
}

#[test]
fn account_name_validation_cases() {
    let db = fresh();
    let policy = PasswordPolicy::default();
    db.store
        .writer()
        .create_local_user(&local("Zoë"), &policy)
        .expect("first");
    let long = format!("{}…", "y".repeat(40));
    let cases: Vec<(String, String)> = vec![
        (
            "zoë".into(),
            r#"the account name "zoë" is already used by another user"#.into(),
        ),
        (
            "  ZOË  ".into(),
            r#"the account name "ZOË" is already used by another user"#.into(),
        ),
        ("".into(), "the account name is empty".into()),
        ("   ".into(), "the account name is empty".into()),
        (
            "line\nbreak".into(),
            r#"the account name "line\nbreak" is not allowed: it contains control characters (tabs, line breaks)"#.into(),
        ),
        (
            "y".repeat(300),
            format!(
                "the account name {long:?} is not allowed: it is longer than 256 characters"
            ),
        ),
    ];
    for (name, expected) in cases {
        let err = db
            .store
            .writer()
            .create_local_user(&local(&name), &policy)
            .err();
        assert_eq!(err.map(|e| e.to_string()), Some(expected), "{name:?}");
    }
    let mut weak = local("weakling");
    weak.password = SecretString::new("password");
    assert!(matches!(
        db.store.writer().create_local_user(&weak, &policy),
        Err(StoreError::WeakPassword(
            aadsync_store::PasswordProblem::TooShort { min: 12 }
        ))
    ));
    assert_eq!(
        db.store.reader().count_users().expect("count"),
        1,
        "nothing half-created"
    );
}

#[test]
fn hostile_strings_are_stored_verbatim() {
    let db = fresh();
    let policy = PasswordPolicy::default();
    let names = [
        "<img src=x onerror=alert(1)>",
        "\u{202e}gnp.exe",
        "emoji 🦀🔑",
        "O'Brien \"quoted\"; DROP TABLE users;--",
    ];
    for name in names {
        let mut user = local(name);
        user.email = String::new();
        user.description = format!("{name} <script>alert('x')</script>");
        let id = db
            .store
            .writer()
            .create_local_user(&user, &policy)
            .expect(name);
        let back = db.store.reader().user(id).expect("read");
        assert_eq!(back.account_name, name);
        assert_eq!(back.description, user.description);
    }
    assert_eq!(
        db.store.reader().count_users().expect("count"),
        names.len() as u64
    );
}
