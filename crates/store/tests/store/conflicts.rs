//! Resolving account-name conflicts: a new Entra ID user linked to the local user holding its
//! name, or imported under another name; what later runs and an undo make of either. Every
//! assertion reads the SQLite file.

use crate::support::*;
use crate::undo::{assert_intact, state, undo};
use aadsync_store::{ConflictResolution, DirectoryChanges, PasswordPolicy, UndoChoices};
use rusqlite::{Connection, params};

/// Contoso, and the local user ann@contoso.com, a member of the local group Staff.
fn with_local_ann() -> (Db, i64) {
    let db = contoso_with_carl();
    db.store
        .writer()
        .create_local_user(&local("ann@contoso.com"), &PasswordPolicy::default())
        .expect("local ann");
    let ann = {
        let w = db.store.writer();
        let conn = w.connection();
        conn.execute(
            "INSERT INTO groups (id, name, source) VALUES (500, 'Staff', 'local')",
            [],
        )
        .expect("local group");
        let ann = user_id_of(conn, "ann@contoso.com");
        conn.execute(
            "INSERT INTO memberships (group_id, user_id, source) VALUES (500, ?1, 'local')",
            [ann],
        )
        .expect("local membership");
        ann
    };
    (db, ann)
}

fn user_id_of(conn: &Connection, account_key: &str) -> i64 {
    conn.query_row(
        "SELECT id FROM users WHERE account_key = ?1",
        [account_key],
        |r| r.get(0),
    )
    .expect("user")
}

fn resolved(
    users: Vec<aadsync_store::DirectoryUser>,
    groups: Vec<aadsync_store::DirectoryGroup>,
    resolutions: &[(&str, ConflictResolution)],
) -> DirectoryChanges {
    DirectoryChanges {
        resolutions: resolutions
            .iter()
            .map(|(id, r)| ((*id).to_owned(), r.clone()))
            .collect(),
        ..changes(users, groups)
    }
}

/// (auth type, has a password, account name, full name, enabled) of user `id`.
fn server_row(conn: &Connection, id: i64) -> (String, bool, String, String, bool) {
    conn.query_row(
        "SELECT auth_type, password_hash IS NOT NULL, account_name, full_name, enabled
         FROM users WHERE id = ?1",
        [id],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
    )
    .expect("user row")
}

/// The audit item of `object_id` in run `run_id`: (outcome, reason).
fn item(conn: &Connection, run_id: i64, object_id: &str) -> (String, Option<String>) {
    conn.query_row(
        "SELECT outcome, reason FROM sync_run_items WHERE run_id = ?1 AND object_id = ?2",
        params![run_id, object_id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
    .expect("item")
}

#[test]
fn a_link_turns_the_local_user_into_the_azure_ad_user_and_its_undo_turns_it_back() {
    let (db, ann) = with_local_ann();
    let before = state(db.store.writer().connection());
    let link = ConflictResolution::Link {
        local_account: "ANN@contoso.com".into(),
    };
    let report = db
        .store
        .writer()
        .apply_directory_changes(
            &run(),
            &resolved(
                vec![entra_user("o-ann", "ann@contoso.com", "Ann Lee")],
                vec![entra_group("g-1", "Sales", &["o-ann"])],
                &[("o-ann", link)],
            ),
        )
        .expect("sync");
    let w = db.store.writer();
    let conn = w.connection();
    assert_eq!(
        server_row(conn, ann),
        (
            "azure_ad".into(),
            false,
            "ann@contoso.com".into(),
            "Ann Lee".into(),
            true
        ),
        "the same server user, now an Azure AD user without a password"
    );
    let (attached_to, upn, job): (i64, String, Option<String>) = conn
        .query_row(
            "SELECT user_id, user_principal_name, job_title FROM azure_users
             WHERE tenant_id = ?1 AND object_id = 'o-ann'",
            [TENANT],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .expect("Entra ID attributes");
    assert_eq!(
        (attached_to, upn.as_str(), job.as_deref()),
        (ann, "ann@contoso.com", Some("Engineer"))
    );
    let groups: Vec<(String, String)> = conn
        .prepare(
            "SELECT g.name, m.source FROM memberships m JOIN groups g ON g.id = m.group_id
             WHERE m.user_id = ?1 ORDER BY g.name",
        )
        .expect("memberships")
        .query_map([ann], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("memberships")
        .collect::<Result<_, _>>()
        .expect("memberships");
    assert_eq!(
        groups,
        [
            ("Sales".to_owned(), "azure_ad".to_owned()),
            ("Staff".to_owned(), "local".to_owned())
        ],
        "the local membership kept, the Entra ID one added"
    );
    assert_eq!(
        item(conn, report.run_id, "o-ann"),
        (
            "updated".into(),
            Some("linked to local user ANN@contoso.com".into())
        )
    );
    drop(w);

    // A later run finds the object in its row: unchanged, no conflict.
    let later = db
        .store
        .writer()
        .apply_directory_changes(
            &run(),
            &changes(
                vec![entra_user("o-ann", "ann@contoso.com", "Ann Lee")],
                vec![],
            ),
        )
        .expect("later sync");
    assert_eq!(
        item(db.store.writer().connection(), later.run_id, "o-ann"),
        ("unchanged".into(), None)
    );

    // Undo the later run, then the linking one: the local user exactly as before.
    undo(&db, later.run_id, &UndoChoices::default()).expect("undo later");
    undo(&db, report.run_id, &UndoChoices::default()).expect("undo link");
    let w = db.store.writer();
    assert_same(&state(w.connection()), &before, "after undoing the link");
    assert_intact(w.connection(), "after undoing the link");
    let password = aadsync_keystore::SecretString::new("Correct-Horse-9");
    drop(w);
    assert!(
        db.store
            .reader()
            .password_matches(aadsync_store::UserId(ann), &password)
            .expect("password"),
        "the local password is back"
    );
}

#[test]
fn import_as_keeps_the_chosen_name_on_later_runs_and_its_undo_removes_the_user() {
    let (db, ann) = with_local_ann();
    let before = state(db.store.writer().connection());
    let import_as = ConflictResolution::ImportAs {
        account_name: "ann.lee@contoso.com".into(),
    };
    let first = db
        .store
        .writer()
        .apply_directory_changes(
            &run(),
            &resolved(
                vec![entra_user("o-ann", "ann@contoso.com", "Ann Lee")],
                vec![],
                &[("o-ann", import_as)],
            ),
        )
        .expect("sync");
    let imported_row = |conn: &Connection| -> (i64, String, String, String, Option<String>) {
        conn.query_row(
            "SELECT u.id, u.account_name, u.full_name, a.user_principal_name,
                    a.account_name_chosen
             FROM azure_users a JOIN users u ON u.id = a.user_id
             WHERE a.tenant_id = ?1 AND a.object_id = 'o-ann'",
            [TENANT],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .expect("imported ann")
    };
    let (id, name, full, upn, chosen) = imported_row(db.store.writer().connection());
    assert_ne!(id, ann, "a new server user");
    assert_eq!(
        (
            name.as_str(),
            full.as_str(),
            upn.as_str(),
            chosen.as_deref()
        ),
        (
            "ann.lee@contoso.com",
            "Ann Lee",
            "ann@contoso.com",
            Some("ann.lee@contoso.com")
        )
    );
    assert_eq!(
        server_row(db.store.writer().connection(), ann).0,
        "local",
        "the local ann untouched"
    );
    assert_eq!(
        item(db.store.writer().connection(), first.run_id, "o-ann"),
        (
            "created".into(),
            Some("imported as ann.lee@contoso.com".into())
        )
    );

    // Later runs, incremental or not, read no resolution: the stored name holds.
    let second = db
        .store
        .writer()
        .apply_directory_changes(
            &run(),
            &changes(
                vec![entra_user("o-ann", "ann@contoso.com", "Ann Lee-Smith")],
                vec![],
            ),
        )
        .expect("later sync");
    assert_eq!(second.counts.failed, 0, "{:?}", second.items);
    let (id2, name, full, _, chosen) = imported_row(db.store.writer().connection());
    assert_eq!(
        (id2, name.as_str(), full.as_str(), chosen.as_deref()),
        (
            id,
            "ann.lee@contoso.com",
            "Ann Lee-Smith",
            Some("ann.lee@contoso.com")
        )
    );

    undo(&db, second.run_id, &UndoChoices::default()).expect("undo later");
    undo(&db, first.run_id, &UndoChoices::default()).expect("undo import");
    let w = db.store.writer();
    assert_same(&state(w.connection()), &before, "after undoing the import");
    assert_intact(w.connection(), "after undoing the import");
}

#[test]
fn a_link_to_an_azure_ad_user_of_another_organization_is_refused_and_writes_nothing_to_it() {
    let db = contoso_with_carl();
    let other = aadsync_store::RunInfo {
        tenant_id: "9a9a9a9a-0000-4000-8000-000000000001".into(),
        started_by: "admin@fabrikam.com".into(),
    };
    db.store
        .writer()
        .apply_directory_changes(
            &other,
            &changes(
                vec![entra_user("f-ann", "ann@contoso.com", "Ann Other")],
                vec![],
            ),
        )
        .expect("other tenant");
    let holder = user_id_of(db.store.writer().connection(), "ann@contoso.com");
    let before = server_row(db.store.writer().connection(), holder);
    let report = db
        .store
        .writer()
        .apply_directory_changes(
            &run(),
            &resolved(
                vec![entra_user("o-ann", "ann@contoso.com", "Ann Lee")],
                vec![],
                &[(
                    "o-ann",
                    ConflictResolution::Link {
                        local_account: "ann@contoso.com".into(),
                    },
                )],
            ),
        )
        .expect("sync");
    let w = db.store.writer();
    let conn = w.connection();
    assert_eq!(
        item(conn, report.run_id, "o-ann"),
        (
            "failed".into(),
            Some(
                "cannot link to ann@contoso.com: it is not a local user (only local users can be linked)"
                    .into()
            )
        )
    );
    assert_eq!(server_row(conn, holder), before);
    let attached: i64 = conn
        .query_row(
            "SELECT count(*) FROM azure_users WHERE object_id = 'o-ann'",
            [],
            |r| r.get(0),
        )
        .expect("count");
    assert_eq!(attached, 0);
}

/// The database itself refuses to turn a local user into an Azure AD user outside the apply
/// path, as before; only a synchronization's link does it.
#[test]
fn no_user_becomes_an_azure_ad_user_outside_a_synchronization() {
    let (db, ann) = with_local_ann();
    let w = db.store.writer();
    let refused = w.connection().execute(
        "UPDATE users SET auth_type = 'azure_ad', password_hash = NULL WHERE id = ?1",
        [ann],
    );
    assert!(
        refused
            .as_ref()
            .is_err_and(|e| e.to_string().contains("except through synchronization")),
        "{refused:?}"
    );
}
