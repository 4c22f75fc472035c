//! Scope roots, reasons and decisions as the database keeps them: written only by a sync (or
//! a decision's reversal), roots' flags only grow, reasons replaced by each sync that
//! computed them, decisions appended and in force until lifted or reversed.

use crate::support::*;
use aadsync_store::{
    Decision, DecisionAction, DecisionFinding, DirectoryChanges, DroppedRoot, Lift, ObjectKind,
    Reason, Removal, RemovalAction, ScopeRoot, Store, StoreError,
};
use rusqlite::Connection;
use std::collections::BTreeMap;

fn group_root(id: &str, members: bool, nested: bool) -> ScopeRoot {
    ScopeRoot {
        kind: ObjectKind::Group,
        object_id: id.into(),
        members,
        nested,
    }
}

fn reason(root: &str, path: &str) -> Reason {
    Reason {
        root_id: root.into(),
        path: path.into(),
    }
}

fn rows(store: &Store, sql: &str) -> Vec<String> {
    let conn = Connection::open(store.path()).expect("open");
    let mut stmt = conn.prepare(sql).expect("prepare");
    let n = stmt.column_count();
    stmt.query_map([], |r| {
        let cells: Vec<String> = (0..n)
            .map(|i| match r.get_ref(i).expect("cell") {
                rusqlite::types::ValueRef::Null => "NULL".to_owned(),
                rusqlite::types::ValueRef::Integer(v) => v.to_string(),
                rusqlite::types::ValueRef::Text(t) => String::from_utf8_lossy(t).into_owned(),
                other => format!("{other:?}"),
            })
            .collect();
        Ok(cells.join("|"))
    })
    .expect("query")
    .collect::<Result<_, _>>()
    .expect("rows")
}

fn enabled(store: &Store, object_id: &str) -> bool {
    let v = rows(
        store,
        &format!(
            "SELECT u.enabled FROM users u JOIN azure_users a ON a.user_id = u.id
             WHERE a.object_id = '{object_id}'"
        ),
    );
    v == ["1"]
}

fn decisions(store: &Store) -> Vec<String> {
    rows(
        store,
        "SELECT object_id, action, finding, decided_by FROM azure_decisions ORDER BY id",
    )
}

fn decide(action: DecisionAction, finding: DecisionFinding) -> Decision {
    Decision {
        kind: ObjectKind::User,
        object_id: "o-ann".into(),
        display_name: "Ann Lee".into(),
        action,
        finding,
    }
}

/// Ann imported (enabled in Entra ID), then disabled by a decision about being out of scope.
fn ann_disabled_by_a_decision() -> Db {
    let db = contoso_with_carl();
    let ann = entra_user("o-ann", "ann@contoso.com", "Ann Lee");
    db.store
        .writer()
        .apply_directory_changes(&run(), &changes(vec![ann.clone()], vec![]))
        .expect("import");
    let disable = DirectoryChanges {
        users: vec![ann],
        removals: vec![Removal {
            kind: ObjectKind::User,
            object_id: "o-ann".into(),
            action: RemovalAction::Disable,
            deletion: None,
            reason: "no longer in scope".into(),
        }],
        decisions: vec![decide(DecisionAction::Disable, DecisionFinding::OutOfScope)],
        ..DirectoryChanges::default()
    };
    db.store
        .writer()
        .apply_directory_changes(&run(), &disable)
        .expect("disable");
    assert!(!enabled(&db.store, "o-ann"), "disabled by the decision");
    db
}

#[test]
fn roots_only_gain_flags_and_reasons_are_replaced_by_each_sync_that_computed_them() {
    let db = contoso_with_carl();
    let ann = entra_user("o-ann", "ann@contoso.com", "Ann Lee");
    let first = DirectoryChanges {
        users: vec![ann.clone()],
        roots: vec![group_root("g-sales", true, false)],
        scope: Some(BTreeMap::from([
            ("g-sales".to_owned(), vec![reason("g-sales", "")]),
            ("o-ann".to_owned(), vec![reason("g-sales", "Sales")]),
        ])),
        ..DirectoryChanges::default()
    };
    db.store
        .writer()
        .apply_directory_changes(&run(), &first)
        .expect("first");
    // Selected again with nested, and once more without members: the flags stay raised.
    for (members, nested) in [(true, true), (false, false)] {
        let again = DirectoryChanges {
            roots: vec![group_root("g-sales", members, nested)],
            ..DirectoryChanges::default()
        };
        db.store
            .writer()
            .apply_directory_changes(&run(), &again)
            .expect("again");
    }
    assert_eq!(
        rows(
            &db.store,
            "SELECT object_id, object_type, members, nested, added_by FROM azure_scope_roots"
        ),
        ["g-sales|group|1|1|admin@contoso.com"]
    );
    // Those syncs computed no scope: the reasons are as the first one left them.
    let reasons = "SELECT object_id, root_id, path FROM azure_scope_reasons ORDER BY object_id";
    assert_eq!(
        rows(&db.store, reasons),
        ["g-sales|g-sales|", "o-ann|g-sales|Sales"]
    );
    let rescoped = DirectoryChanges {
        scope: Some(BTreeMap::from([(
            "g-sales".to_owned(),
            vec![reason("g-sales", "")],
        )])),
        ..DirectoryChanges::default()
    };
    db.store
        .writer()
        .apply_directory_changes(&run(), &rescoped)
        .expect("rescoped");
    assert_eq!(rows(&db.store, reasons), ["g-sales|g-sales|"]);
    assert_eq!(
        db.store
            .reader()
            .scope_reasons(TENANT, "o-ann")
            .expect("reasons"),
        vec![]
    );
}

#[test]
fn a_disable_decision_holds_through_later_syncs_until_its_finding_is_lifted() {
    let db = ann_disabled_by_a_decision();
    let ann = entra_user("o-ann", "ann@contoso.com", "Ann Lee");
    // A full refresh with Ann enabled in Entra ID: the decision keeps her disabled.
    let report = db
        .store
        .writer()
        .apply_directory_changes(&run(), &changes(vec![ann.clone()], vec![]))
        .expect("refresh");
    assert!(!enabled(&db.store, "o-ann"), "the decision holds");
    assert_eq!(report.counts.unchanged, 1);
    let imported = db.store.reader().imported(TENANT).expect("imported");
    assert!(imported.held_disabled("o-ann"));

    // Back in scope: the run lifts the decision and Ann follows Entra ID again.
    let lift = DirectoryChanges {
        users: vec![ann],
        lifted: vec![Lift {
            kind: ObjectKind::User,
            object_id: "o-ann".into(),
            display_name: "Ann Lee".into(),
            finding: DecisionFinding::OutOfScope,
        }],
        ..DirectoryChanges::default()
    };
    let report = db
        .store
        .writer()
        .apply_directory_changes(&run(), &lift)
        .expect("lift");
    assert!(enabled(&db.store, "o-ann"), "lifted");
    assert_eq!(report.counts.updated, 1);
    assert_eq!(
        decisions(&db.store),
        [
            "o-ann|disable|out_of_scope|admin@contoso.com",
            "o-ann|lifted|out_of_scope|admin@contoso.com"
        ]
    );
    assert_eq!(
        db.store
            .reader()
            .standing_decision(TENANT, "o-ann")
            .expect("standing"),
        None
    );
}

#[test]
fn a_decision_is_recorded_once_and_rows_are_never_rewritten() {
    let db = ann_disabled_by_a_decision();
    // The same decision again (Check deleted objects proposes it again): not repeated.
    let again = DirectoryChanges {
        decisions: vec![
            decide(DecisionAction::Disable, DecisionFinding::OutOfScope),
            // About an object this tenant never imported: not recorded.
            Decision {
                object_id: "o-nobody".into(),
                ..decide(DecisionAction::Keep, DecisionFinding::HardDeleted)
            },
        ],
        ..DirectoryChanges::default()
    };
    db.store
        .writer()
        .apply_directory_changes(&run(), &again)
        .expect("again");
    assert_eq!(
        decisions(&db.store),
        ["o-ann|disable|out_of_scope|admin@contoso.com"]
    );
    let conn = Connection::open(db.store.path()).expect("open");
    for sql in [
        "UPDATE azure_decisions SET action = 'keep'",
        "DELETE FROM azure_decisions",
        "INSERT INTO azure_scope_roots (tenant_id, object_id, object_type, added_by)
         VALUES ('t', 'o', 'user', 'me')",
        "INSERT INTO azure_scope_reasons (tenant_id, object_id, root_id, path)
         VALUES ('t', 'o', 'o', '')",
    ] {
        let err = conn.execute(sql, []).expect_err(sql);
        assert!(err.to_string().contains("aadsync:"), "{sql}: {err}");
    }
}

#[test]
fn reversing_a_decision_enables_the_user_as_entra_id_has_it_and_is_recorded() {
    let db = ann_disabled_by_a_decision();
    db.store
        .writer()
        .reverse_decision(TENANT, "o-ann", "helpdesk@contoso.com")
        .expect("reverse");
    assert!(enabled(&db.store, "o-ann"), "follows Entra ID again");
    assert_eq!(
        decisions(&db.store),
        [
            "o-ann|disable|out_of_scope|admin@contoso.com",
            "o-ann|reversed|out_of_scope|helpdesk@contoso.com"
        ]
    );
    let history = db
        .store
        .reader()
        .decision_history(TENANT, "o-ann")
        .expect("history");
    assert_eq!(history.len(), 2);
    assert_eq!(history[1].action, "reversed");
    // Nothing left to reverse.
    let err = db
        .store
        .writer()
        .reverse_decision(TENANT, "o-ann", "helpdesk@contoso.com")
        .expect_err("twice");
    assert!(matches!(err, StoreError::Invalid(_)), "{err:?}");
    // Later syncs follow Entra ID: a refresh keeps her enabled.
    db.store
        .writer()
        .apply_directory_changes(
            &run(),
            &changes(
                vec![entra_user("o-ann", "ann@contoso.com", "Ann Lee")],
                vec![],
            ),
        )
        .expect("refresh");
    assert!(enabled(&db.store, "o-ann"));
}

#[test]
fn reversing_a_keep_changes_no_account() {
    let db = contoso_with_carl();
    let mut ann = entra_user("o-ann", "ann@contoso.com", "Ann Lee");
    ann.account_enabled = false;
    let keep = DirectoryChanges {
        users: vec![ann.clone()],
        ..DirectoryChanges::default()
    };
    db.store
        .writer()
        .apply_directory_changes(&run(), &keep)
        .expect("import");
    let decided = DirectoryChanges {
        decisions: vec![decide(DecisionAction::Keep, DecisionFinding::Disabled)],
        ..DirectoryChanges::default()
    };
    let report = db
        .store
        .writer()
        .apply_directory_changes(&run(), &decided)
        .expect("keep");
    // Nothing changed, but the audit log shows the decision with its run.
    assert_eq!(
        rows(
            &db.store,
            &format!(
                "SELECT object_id, outcome, reason FROM sync_run_items WHERE run_id = {}",
                report.run_id
            )
        ),
        ["o-ann|skipped|kept on this server: disabled in Entra ID"]
    );
    db.store
        .writer()
        .reverse_decision(TENANT, "o-ann", "helpdesk@contoso.com")
        .expect("reverse");
    assert!(!enabled(&db.store, "o-ann"), "still as Entra ID has it");
}

/// A database synchronized before scope was kept gets roots rebuilt from the import paths,
/// so nobody drops out of scope by the upgrade.
#[test]
fn an_upgraded_database_gets_its_scope_roots_from_the_import_paths() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("old.sqlite3");
    {
        let mut conn = Connection::open(&path).expect("open");
        aadsync_store::MIGRATIONS
            .to_version(&mut conn, 3)
            .expect("schema of version 3");
        conn.execute_batch(
            "INSERT INTO sync_apply_marker (id) VALUES (1);
             INSERT INTO users (id, account_name, account_key, auth_type) VALUES
                 (1, 'ann', 'ann', 'azure_ad'), (2, 'bob', 'bob', 'azure_ad'),
                 (3, 'cat', 'cat', 'azure_ad'), (4, 'dan', 'dan', 'azure_ad');
             INSERT INTO azure_users (user_id, tenant_id, object_id, user_principal_name,
                 account_enabled, last_synchronized_at, imported_via) VALUES
                 (1, 't', 'o-ann', 'ann', 1, 'x', ''),
                 (2, 't', 'o-bob', 'bob', 1, 'x', 'Sales'),
                 (3, 't', 'o-cat', 'cat', 1, 'x', 'Sales / EMEA'),
                 (4, 't', 'o-dan', 'dan', 1, 'x', 'Renamed since');
             INSERT INTO groups (id, name, source) VALUES
                 (1, 'Sales', 'azure_ad'), (2, 'EMEA', 'azure_ad'), (3, 'Legal', 'azure_ad');
             INSERT INTO azure_groups (group_id, tenant_id, object_id, display_name,
                 mail_enabled, security_enabled, last_synchronized_at) VALUES
                 (1, 't', 'g-sales', 'Sales', 0, 1, 'x'),
                 (2, 't', 'g-emea', 'EMEA', 0, 1, 'x'),
                 (3, 't', 'g-legal', 'Legal', 0, 1, 'x');
             DELETE FROM sync_apply_marker;",
        )
        .expect("rows of an old sync");
    }
    let store = Store::open(&path, &quick()).expect("migrate");
    assert_eq!(
        rows(
            &store,
            "SELECT object_id, object_type, members, nested FROM azure_scope_roots
             ORDER BY object_id"
        ),
        [
            "g-legal|group|0|0",
            "g-sales|group|1|1",
            "o-ann|user|0|0",
            "o-dan|user|0|0"
        ]
    );
}

/// The edges of what gets recorded: a user root never has group flags, a Keep is lifted like
/// a Disable, and the same action for another finding is a new decision.
#[test]
fn what_is_recorded_at_the_edges() {
    let db = ann_disabled_by_a_decision();
    let user_root = DirectoryChanges {
        roots: vec![ScopeRoot {
            kind: ObjectKind::User,
            object_id: "o-ann".into(),
            members: true,
            nested: true,
        }],
        // Disabled again, now because Entra ID deleted her: recorded, though the action is
        // the same.
        decisions: vec![decide(
            DecisionAction::Disable,
            DecisionFinding::SoftDeleted,
        )],
        ..DirectoryChanges::default()
    };
    db.store
        .writer()
        .apply_directory_changes(&run(), &user_root)
        .expect("user root");
    assert_eq!(
        rows(
            &db.store,
            "SELECT object_id, object_type, members, nested FROM azure_scope_roots"
        ),
        ["o-ann|user|0|0"]
    );
    let keep = DirectoryChanges {
        decisions: vec![decide(DecisionAction::Keep, DecisionFinding::SoftDeleted)],
        ..DirectoryChanges::default()
    };
    db.store
        .writer()
        .apply_directory_changes(&run(), &keep)
        .expect("keep");
    // Restored in Entra ID: the Keep in force is lifted (and the Disable it did not end).
    let lift = DirectoryChanges {
        lifted: vec![Lift {
            kind: ObjectKind::User,
            object_id: "o-ann".into(),
            display_name: "Ann Lee".into(),
            finding: DecisionFinding::SoftDeleted,
        }],
        ..DirectoryChanges::default()
    };
    db.store
        .writer()
        .apply_directory_changes(&run(), &lift)
        .expect("lift");
    assert_eq!(
        decisions(&db.store),
        [
            "o-ann|disable|out_of_scope|admin@contoso.com",
            "o-ann|disable|soft_deleted|admin@contoso.com",
            "o-ann|keep|soft_deleted|admin@contoso.com",
            "o-ann|lifted|soft_deleted|admin@contoso.com"
        ]
    );
    let imported = db.store.reader().imported(TENANT).expect("imported");
    assert!(!imported.held_disabled("o-ann"), "the lift ends the hold");
}

/// A lift about an object that has no decision in force and is not held writes nothing.
#[test]
fn a_lift_without_a_decision_writes_nothing() {
    let db = contoso_with_carl();
    db.store
        .writer()
        .apply_directory_changes(
            &run(),
            &changes(
                vec![entra_user("o-ann", "ann@contoso.com", "Ann Lee")],
                vec![],
            ),
        )
        .expect("import");
    let lift = DirectoryChanges {
        lifted: vec![Lift {
            kind: ObjectKind::User,
            object_id: "o-ann".into(),
            display_name: "Ann Lee".into(),
            finding: DecisionFinding::OutOfScope,
        }],
        ..DirectoryChanges::default()
    };
    db.store
        .writer()
        .apply_directory_changes(&run(), &lift)
        .expect("lift");
    assert_eq!(decisions(&db.store), Vec::<String>::new());
    // Kept (nothing held): the lift is recorded all the same.
    let keep = DirectoryChanges {
        decisions: vec![decide(DecisionAction::Keep, DecisionFinding::OutOfScope)],
        ..DirectoryChanges::default()
    };
    db.store
        .writer()
        .apply_directory_changes(&run(), &keep)
        .expect("keep");
    db.store
        .writer()
        .apply_directory_changes(&run(), &lift)
        .expect("lift the keep");
    assert_eq!(
        decisions(&db.store),
        [
            "o-ann|keep|out_of_scope|admin@contoso.com",
            "o-ann|lifted|out_of_scope|admin@contoso.com"
        ]
    );
}

#[test]
fn a_root_taken_out_is_deleted_by_the_run_logged_and_put_back_by_its_undo() {
    let db = contoso_with_carl();
    let ann = entra_user("o-ann", "ann@contoso.com", "Ann Lee");
    let ann_root = ScopeRoot {
        kind: ObjectKind::User,
        object_id: "o-ann".into(),
        members: false,
        nested: false,
    };
    let first = DirectoryChanges {
        users: vec![ann],
        roots: vec![group_root("g-sales", true, false), ann_root],
        scope: Some(BTreeMap::from([
            ("g-sales".to_owned(), vec![reason("g-sales", "")]),
            (
                "o-ann".to_owned(),
                vec![reason("g-sales", "Sales"), reason("o-ann", "")],
            ),
        ])),
        ..DirectoryChanges::default()
    };
    db.store
        .writer()
        .apply_directory_changes(&run(), &first)
        .expect("first");
    // The saved scope as step 3 and `aadsync scope` show it: groups first, the users reached.
    let saved: Vec<(String, String, bool, u64)> = db
        .store
        .reader()
        .saved_scope(TENANT)
        .expect("saved scope")
        .into_iter()
        .map(|r| (r.object_id, r.display_name, r.members, r.users_reached))
        .collect();
    assert_eq!(
        saved,
        [
            ("g-sales".to_owned(), String::new(), true, 1),
            ("o-ann".to_owned(), "Ann Lee".to_owned(), false, 1),
        ]
    );

    // Sales taken out (and a root that is not saved: nothing to delete, nothing logged).
    let dropped = |id: &str, name: &str| DroppedRoot {
        root: group_root(id, true, false),
        display_name: name.into(),
    };
    let out = DirectoryChanges {
        dropped_roots: vec![dropped("g-sales", "Sales"), dropped("g-none", "None")],
        scope: Some(BTreeMap::from([(
            "o-ann".to_owned(),
            vec![reason("o-ann", "")],
        )])),
        ..DirectoryChanges::default()
    };
    let report = db
        .store
        .writer()
        .apply_directory_changes(&run(), &out)
        .expect("taken out");
    let roots = "SELECT object_id, members, nested FROM azure_scope_roots ORDER BY object_id";
    assert_eq!(rows(&db.store, roots), ["o-ann|0|0"]);
    assert_eq!(
        rows(
            &db.store,
            &format!(
                "SELECT object_type, object_id, display_name, outcome, reason FROM sync_run_items
                 WHERE run_id = {}",
                report.run_id
            )
        ),
        ["group|g-sales|Sales|skipped|taken out of the saved scope (was: group with members)"]
    );

    crate::undo::undo(&db, report.run_id, &aadsync_store::UndoChoices::default()).expect("undo");
    assert_eq!(
        rows(&db.store, roots),
        ["g-sales|1|0", "o-ann|0|0"],
        "put back"
    );
}

#[test]
fn a_recomputed_scope_writes_only_what_differs_and_its_undo_puts_the_reasons_back() {
    let db = contoso_with_carl();
    let scope = |entries: &[(&str, &[(&str, &str)])]| -> DirectoryChanges {
        DirectoryChanges {
            scope: Some(
                entries
                    .iter()
                    .map(|(object, reasons)| {
                        let reasons = reasons.iter().map(|(r, p)| reason(r, p)).collect();
                        ((*object).to_owned(), reasons)
                    })
                    .collect(),
            ),
            ..DirectoryChanges::default()
        }
    };
    let reasons = "SELECT object_id, root_id, path FROM azure_scope_reasons ORDER BY 1, 2";
    let before = scope(&[
        ("o-ann", &[("g-sales", "Sales"), ("o-ann", "")]),
        ("o-bob", &[("g-sales", "Sales / Team")]),
        ("o-cat", &[("g-sales", "Sales")]),
    ]);
    db.store
        .writer()
        .apply_directory_changes(&run(), &before)
        .expect("before");
    let was = rows(&db.store, reasons);
    // Ann keeps one reason and loses one, Bob's path changes, Cat leaves, Dan comes (his
    // second reason for the same root is not written: the first one wins, as before).
    let after = scope(&[
        ("o-ann", &[("g-sales", "Sales")]),
        ("o-bob", &[("g-sales", "Sales / Other")]),
        (
            "o-dan",
            &[("g-sales", "Sales"), ("g-sales", "Sales / Team")],
        ),
    ]);
    let report = db
        .store
        .writer()
        .apply_directory_changes(&run(), &after)
        .expect("after");
    assert_eq!(
        rows(&db.store, reasons),
        [
            "o-ann|g-sales|Sales",
            "o-bob|g-sales|Sales / Other",
            "o-dan|g-sales|Sales"
        ]
    );
    crate::undo::undo(&db, report.run_id, &aadsync_store::UndoChoices::default()).expect("undo");
    assert_eq!(
        rows(&db.store, reasons),
        was,
        "the reasons as before the run"
    );
}
