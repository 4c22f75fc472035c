//! Undo at its edges, each a case a review found: a server ID freed since the run, decisions
//! that hold a user disabled, account names taken since or swapped within the run, and a group
//! that gained local members since.

use crate::support::*;
use aadsync_store::{
    Decision, DecisionAction, DecisionFinding, DirectoryChanges, Lift, ObjectKind, Problem,
    Removal, RemovalAction, Resolution, UndoChoices, UserId,
};

fn undo(db: &Db, run_id: i64, choices: &UndoChoices) -> aadsync_store::UndoPlan {
    let plan = db.store.writer().undo_preview(run_id).expect("preview");
    db.store
        .writer()
        .undo_run(run_id, &plan.token, choices, "admin@contoso.com", &|| false)
        .expect("undo");
    plan
}

fn sync(db: &Db, changes: &DirectoryChanges) -> i64 {
    db.store
        .writer()
        .apply_directory_changes(&run(), changes)
        .expect("sync")
        .run_id
}

fn id_of(db: &Db, account: &str) -> Option<UserId> {
    db.store
        .reader()
        .user_rows()
        .expect("rows")
        .into_iter()
        .find(|r| r.account_name == account)
        .map(|r| r.id)
}

fn sql_rows(db: &Db, sql: &str) -> Vec<String> {
    let writer = db.store.writer();
    let mut stmt = writer.connection().prepare(sql).expect("prepare");
    stmt.query_map([], |r| r.get::<_, String>(0))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows")
}

fn enabled(db: &Db, object_id: &str) -> bool {
    sql_rows(
        db,
        &format!(
            "SELECT u.enabled || '' FROM users u JOIN azure_users a ON a.user_id = u.id
             WHERE a.object_id = '{object_id}'"
        ),
    ) == ["1"]
}

/// Run 1 imports ann (the highest ID) into Sales; ann is deleted on the server; run 2 imports
/// bob into Sales. Bob gets a new ID, so undoing run 1 cannot take him for ann.
#[test]
fn a_freed_server_id_is_never_given_again() {
    let db = contoso_with_carl();
    let ann = entra_user("o-ann", "ann@contoso.com", "Ann Lee");
    let first = sync(
        &db,
        &changes(vec![ann], vec![entra_group("g-1", "Sales", &["o-ann"])]),
    );
    let ann_id = id_of(&db, "ann@contoso.com").expect("ann");
    db.store.writer().delete_user(ann_id).expect("delete ann");
    let bob = entra_user("o-bob", "bob@contoso.com", "Bob Ray");
    sync(
        &db,
        &changes(vec![bob], vec![entra_group("g-1", "Sales", &["o-bob"])]),
    );
    let bob_id = id_of(&db, "bob@contoso.com").expect("bob");
    assert!(bob_id.0 > ann_id.0, "{bob_id:?} after {ann_id:?}");
    undo(&db, first, &UndoChoices::default());
    assert_eq!(id_of(&db, "bob@contoso.com"), Some(bob_id), "bob stays");
    let sales = sql_rows(
        &db,
        "SELECT u.account_name FROM memberships m JOIN users u ON u.id = m.user_id
         JOIN groups g ON g.id = m.group_id WHERE g.name = 'Sales'",
    );
    assert_eq!(
        sales,
        ["bob@contoso.com"],
        "bob keeps Sales, which he joined later"
    );
}

fn disable(users: Vec<aadsync_store::DirectoryUser>) -> DirectoryChanges {
    DirectoryChanges {
        users,
        removals: vec![Removal {
            kind: ObjectKind::User,
            object_id: "o-ann".into(),
            action: RemovalAction::Disable,
            deletion: None,
            reason: "no longer in scope".into(),
        }],
        decisions: vec![Decision {
            kind: ObjectKind::User,
            object_id: "o-ann".into(),
            display_name: "Ann Lee".into(),
            action: DecisionAction::Disable,
            finding: DecisionFinding::OutOfScope,
        }],
        ..DirectoryChanges::default()
    }
}

/// Undoing the run that disabled ann by a decision ends the decision too (a later sync does
/// not disable her again); undoing the run that lifted a holding Disable makes it hold again
/// (a later sync does not enable her).
#[test]
fn an_undo_puts_the_decisions_back_as_they_stood() {
    let db = contoso_with_carl();
    let ann = entra_user("o-ann", "ann@contoso.com", "Ann Lee");
    sync(&db, &changes(vec![ann.clone()], vec![]));
    let disabling = sync(&db, &disable(vec![ann.clone()]));
    assert!(!enabled(&db, "o-ann"));
    undo(&db, disabling, &UndoChoices::default());
    assert!(enabled(&db, "o-ann"), "the undo enabled her again");
    let imported = db.store.reader().imported(TENANT).expect("imported");
    assert!(!imported.held_disabled("o-ann"), "and no Disable holds her");
    sync(&db, &changes(vec![ann.clone()], vec![]));
    assert!(enabled(&db, "o-ann"), "a later sync leaves her enabled");

    // Disabled again, then a run lifts the Disable; undoing the lift makes it hold again.
    sync(&db, &disable(vec![ann.clone()]));
    let lifting = sync(
        &db,
        &DirectoryChanges {
            users: vec![ann.clone()],
            lifted: vec![Lift {
                kind: ObjectKind::User,
                object_id: "o-ann".into(),
                display_name: "Ann Lee".into(),
                finding: DecisionFinding::OutOfScope,
            }],
            ..DirectoryChanges::default()
        },
    );
    assert!(enabled(&db, "o-ann"), "lifted");
    undo(&db, lifting, &UndoChoices::default());
    assert!(!enabled(&db, "o-ann"), "the undo disabled her again");
    let imported = db.store.reader().imported(TENANT).expect("imported");
    assert!(imported.held_disabled("o-ann"), "and the Disable holds");
    sync(&db, &changes(vec![ann], vec![]));
    assert!(!enabled(&db, "o-ann"), "a later sync keeps her disabled");
}

/// Run 2 renamed ann; a local user took her old name since: the undo cannot give it back, says
/// so, keeps ann as she is, and still undoes the rest.
#[test]
fn a_name_taken_since_is_a_conflict_that_keeps_the_newer_value() {
    let db = contoso_with_carl();
    sync(
        &db,
        &changes(
            vec![entra_user("o-ann", "ann@contoso.com", "Ann Lee")],
            vec![],
        ),
    );
    let renaming = sync(
        &db,
        &changes(
            vec![
                entra_user("o-ann", "ann.smith@contoso.com", "Ann Smith"),
                entra_user("o-bob", "bob@contoso.com", "Bob Ray"),
            ],
            vec![],
        ),
    );
    db.store
        .writer()
        .create_local_user(&local("ann@contoso.com"), &Default::default())
        .expect("a local user takes the name");
    let all = UndoChoices {
        all: Resolution::Restore,
        ..UndoChoices::default()
    };
    let plan = undo(&db, renaming, &all);
    let problems: Vec<(&str, bool)> = plan
        .conflicts
        .iter()
        .map(|c| (c.object.as_str(), matches!(c.problem, Problem::Taken(_))))
        .collect();
    assert_eq!(problems, [("ann.smith@contoso.com", true)]);
    assert!(!plan.conflicts[0].restorable);
    assert!(id_of(&db, "ann.smith@contoso.com").is_some(), "kept");
    assert!(
        id_of(&db, "bob@contoso.com").is_none(),
        "the rest is undone"
    );
}

/// One run moved names along (one user y→z, then the other x→y): the undo puts both back
/// whatever order the changeset lists them in (tried both ways round).
#[test]
fn names_moved_along_within_a_run_go_back() {
    for (first, second) in [("o-ann", "o-bob"), ("o-bob", "o-ann")] {
        let db = contoso_with_carl();
        sync(
            &db,
            &changes(
                vec![
                    entra_user("o-ann", "a@contoso.com", "Ann"),
                    entra_user("o-bob", "b@contoso.com", "Bob"),
                ],
                vec![],
            ),
        );
        let upn = |id: &str| if id == "o-ann" { "a" } else { "b" };
        // `first` gives its name up, `second` takes it.
        let moving = sync(
            &db,
            &changes(
                vec![
                    entra_user(first, "z@contoso.com", "First"),
                    entra_user(second, &format!("{}@contoso.com", upn(first)), "Second"),
                ],
                vec![],
            ),
        );
        let plan = undo(&db, moving, &UndoChoices::default());
        assert!(plan.conflicts.is_empty(), "{:?}", plan.conflicts);
        let names = sql_rows(
            &db,
            "SELECT a.object_id || '=' || u.account_name FROM users u
             JOIN azure_users a ON a.user_id = u.id ORDER BY 1",
        );
        assert_eq!(
            names,
            ["o-ann=a@contoso.com", "o-bob=b@contoso.com"],
            "{first} first"
        );
    }
}

/// Run 1 created Sales; since then its description changed and carl (local) joined it.
/// Restoring Sales away lists carl's membership first, so nothing later goes unseen.
#[test]
fn a_restored_group_lists_the_members_it_takes_away() {
    let db = contoso_with_carl();
    let first = sync(
        &db,
        &changes(vec![], vec![entra_group("g-1", "Sales", &[])]),
    );
    let mut sales = entra_group("g-1", "Sales", &[]);
    sales.description = Some("Sales team".into());
    sync(&db, &changes(vec![], vec![sales]));
    db.store
        .writer()
        .connection()
        .execute(
            "INSERT INTO memberships (group_id, user_id, source)
             SELECT g.id, u.id, 'local' FROM groups g, users u
             WHERE g.name = 'Sales' AND u.account_name = 'carl'",
            [],
        )
        .expect("carl joins Sales");
    let plan = db.store.writer().undo_preview(first).expect("preview");
    let fields: Vec<(&str, &str)> = plan
        .conflicts
        .iter()
        .flat_map(|c| c.fields.iter().map(|f| (f.field.as_str(), f.now.as_str())))
        .collect();
    assert!(fields.contains(&("members", "carl")), "{fields:?}");
    assert_eq!(plan.conflicts[0].object_type, "group");
}
