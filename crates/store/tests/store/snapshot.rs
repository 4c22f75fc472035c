//! A run loads what its tenant imported once and reuses it for the preview and inside the
//! apply's transaction — only while nothing was committed since. A commit by this store's
//! writer or by another connection (another process: the CLI beside the app) in between makes
//! the apply load again: it refuses a pin taken before, and without a pin plans on what the
//! file holds now. Every outcome is read from the file.

use crate::support::*;
use aadsync_store::{ApplyOutcome, OpenOptions, PasswordPolicy, Store, StoreError};
use std::sync::Arc;

/// Contoso with ann and bob imported.
fn imported() -> Db {
    let db = contoso_with_carl();
    let users = vec![
        entra_user("o-ann", "ann@contoso.com", "Ann"),
        entra_user("o-bob", "bob@contoso.com", "Bob"),
    ];
    let first = changes(users, vec![]);
    db.store
        .writer()
        .apply_directory_changes(&run(), &first)
        .expect("import");
    db
}

/// A second store on the same file: its own connections, as another process has.
fn other(db: &Db) -> Store {
    Store::open(
        &db.dir.path().join("users.sqlite3"),
        &OpenOptions::default(),
    )
    .expect("open")
}

fn display_name(db: &Db, object_id: &str) -> String {
    db.store
        .writer()
        .connection()
        .query_row(
            "SELECT display_name FROM azure_users WHERE object_id = ?1",
            [object_id],
            |r| r.get(0),
        )
        .expect("user")
}

fn auth_type(db: &Db, account_key: &str) -> String {
    db.store
        .writer()
        .connection()
        .query_row(
            "SELECT auth_type FROM users WHERE account_key = ?1",
            [account_key],
            |r| r.get(0),
        )
        .expect("user")
}

/// Something that commits a local user of the given name.
type Commit<'a> = dyn Fn(&str) -> aadsync_store::Result<aadsync_store::UserId> + 'a;

#[test]
fn loads_without_a_commit_between_are_one_and_a_commit_makes_a_new_one() {
    let db = imported();
    let first = db.store.reader().imported(TENANT).expect("imported");
    let again = db.store.reader().imported(TENANT).expect("imported");
    assert!(Arc::ptr_eq(&first, &again), "nothing committed: one load");

    let policy = PasswordPolicy::default();
    let by_another = |name: &str| other(&db).writer().create_local_user(&local(name), &policy);
    let by_this_store = |name: &str| db.store.writer().create_local_user(&local(name), &policy);
    let commits: [(&str, &Commit<'_>, &str); 2] = [
        ("another connection", &by_another, "dora"),
        ("this store's writer", &by_this_store, "emil"),
    ];
    let mut before = first;
    for (who, commit, name) in commits {
        commit(name).expect("a local user");
        let after = db.store.reader().imported(TENANT).expect("imported");
        assert!(!Arc::ptr_eq(&before, &after), "{who} committed");
        assert!(after.account_owners.contains_key(name), "{who}");
        before = after;
    }
}

#[test]
fn a_pin_taken_before_another_connections_commit_is_refused() {
    let db = imported();
    let (_, pin) = db.store.reader().imported_pinned(TENANT).expect("pin");
    let mut renamed = changes(
        vec![entra_user("o-ann", "ann@contoso.com", "Ann Other")],
        vec![],
    );
    other(&db)
        .writer()
        .apply_directory_changes(&run(), &renamed)
        .expect("the other process's sync");

    renamed.users[0].display_name = "Ann Mine".into();
    renamed.based_on = Some(pin);
    let refused = db.store.writer().apply_directory_changes(&run(), &renamed);
    assert!(matches!(refused, Err(StoreError::Stale(_))), "{refused:?}");
    assert_eq!(display_name(&db, "o-ann"), "Ann Other");
}

#[test]
fn a_pin_taken_before_this_stores_own_commit_is_refused() {
    let db = imported();
    let (_, pin) = db.store.reader().imported_pinned(TENANT).expect("pin");
    db.store
        .writer()
        .create_local_user(&local("gus"), &PasswordPolicy::default())
        .expect("a local user: one more account name the plan must know");
    let mut renamed = changes(
        vec![entra_user("o-bob", "bob@contoso.com", "Bob Renamed")],
        vec![],
    );
    renamed.based_on = Some(pin);
    let refused = db.store.writer().apply_directory_changes(&run(), &renamed);
    assert!(matches!(refused, Err(StoreError::Stale(_))), "{refused:?}");
    assert_eq!(display_name(&db, "o-bob"), "Bob");
}

/// Without a pin the apply plans on what the file holds: a local user another process created
/// after the preview's load holds the new user's name, so the new user fails instead of the
/// local account being taken over (or the insert breaking the transaction).
/// Set in the child process: the database in which it creates the local user fay.
const FAY_IN: &str = "AADSYNC_SNAPSHOT_FAY_IN";

#[test]
fn an_apply_plans_on_a_commit_made_after_the_preview() {
    if let Some(path) = std::env::var_os(FAY_IN) {
        Store::open(std::path::Path::new(&path), &OpenOptions::default())
            .expect("open")
            .writer()
            .create_local_user(&local("fay@contoso.com"), &PasswordPolicy::default())
            .expect("a local fay");
        return;
    }
    let db = imported();
    let planned = changes(vec![entra_user("o-fay", "fay@contoso.com", "Fay")], vec![]);
    let preview = aadsync_store::plan::plan(
        &db.store.reader().imported(TENANT).expect("imported"),
        &planned,
    );
    assert!(
        preview.items().any(|i| i.outcome == ApplyOutcome::Created),
        "the preview creates fay"
    );
    // A real second process: SQLite's own signal that another one committed, not ours.
    let other = alone("snapshot::an_apply_plans_on_a_commit_made_after_the_preview")
        .env(FAY_IN, db.dir.path().join("users.sqlite3"))
        .output()
        .expect("the other process");
    assert!(other.status.success(), "{other:?}");
    assert_eq!(auth_type(&db, "fay@contoso.com"), "local", "fay exists");

    let report = db
        .store
        .writer()
        .apply_directory_changes(&run(), &planned)
        .expect("apply");
    assert!(
        report
            .items
            .iter()
            .any(|i| matches!(i.outcome, ApplyOutcome::Failed { .. })),
        "{report:?}"
    );
    assert_eq!(auth_type(&db, "fay@contoso.com"), "local");
}
