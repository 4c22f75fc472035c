//! Undoing a run after local changes on this server: an imported user deleted here never
//! comes back (the undo of the run that changed her says "deleted since" and cannot restore
//! her), and local users created, edited or deleted since are no part of any run's undo — not
//! even when one of them now has a row id or an account name the run's user had.

use super::later_syncs::{Seen, apply};
use super::tenant::{Tenant, oid};
use super::view::{locals, membership};
use super::{assert_intact, assert_log_kept, describe, preview, user_id};
use crate::support::{Db, contoso_with_carl, dump, local};
use aadsync_store::{PasswordPolicy, Problem, RemovalAction, Resolution, UndoChoices};
use std::collections::BTreeMap;

/// Contoso with the local users carl and eve; R1 imports Ann and Bob (Sales = both).
struct Scene {
    db: Db,
    tenant: Tenant,
    r1: i64,
    before: Seen,
}

fn scene() -> Scene {
    let db = contoso_with_carl();
    create(&db, "eve");
    let mut tenant = Tenant::of(
        &[("ann", "Ann Lee"), ("bob", "Bob Ray")],
        &[("Sales", &["ann", "bob"])],
    );
    let before = Seen::of(&db);
    let r1 = apply(&db, &tenant.sync());
    Scene {
        db,
        tenant,
        r1,
        before,
    }
}

fn create(db: &Db, account: &str) {
    db.store
        .writer()
        .create_local_user(&local(account), &PasswordPolicy::default())
        .expect("local user");
}

fn delete(db: &Db, account: &str) {
    let id = user_id(db, account);
    db.store.writer().delete_user(id).expect("delete");
}

/// A later run renames Ann; returns it.
fn rename_ann(db: &Db, tenant: &mut Tenant) -> i64 {
    tenant.person("ann").name = "Ann Smith".into();
    apply(db, &tenant.sync())
}

/// What the local users are expected to be: carl and eve as created, with changes.
fn locals_then(changes: &[(&str, Option<&str>)]) -> BTreeMap<String, (String, String)> {
    let mut expected: BTreeMap<String, (String, String)> = ["carl", "eve"]
        .iter()
        .map(|a| ((*a).to_owned(), (format!("{a} Example"), String::new())))
        .collect();
    for (account, description) in changes {
        match description {
            Some(d) => {
                expected.insert(
                    (*account).to_owned(),
                    (format!("{account} Example"), (*d).to_owned()),
                );
            }
            None => {
                expected.remove(*account);
            }
        }
    }
    expected
}

struct Case {
    name: &'static str,
    /// What happens after R1; returns the run to undo.
    later: fn(&Db, &mut Tenant, i64) -> i64,
    /// The preview's conflicts: (object, problem, restorable).
    conflicts: &'static [(&'static str, &'static str, bool)],
    /// Imported users and memberships afterwards, from the database before R1 with these
    /// changes: ann's full name (None: not there), whether bob is there, tombstones.
    ann: Option<&'static str>,
    bob: bool,
    tombstones: &'static [&'static str],
    /// Local users: (account, Some(description)) added or changed, (account, None) gone.
    locals: &'static [(&'static str, Option<&'static str>)],
}

const CASES: &[Case] = &[
    Case {
        name: "an imported user deleted here, undo of the run that renamed her",
        later: |db, t, _| {
            let r2 = rename_ann(db, t);
            delete(db, "ann@contoso.com");
            r2
        },
        conflicts: &[("ann@contoso.com", "deleted", false)],
        ann: None,
        bob: true,
        tombstones: &["ann"],
        locals: &[],
    },
    Case {
        name: "an imported user deleted here, undo of the run that imported her",
        later: |db, _, r1| {
            delete(db, "ann@contoso.com");
            r1
        },
        conflicts: &[],
        ann: None,
        bob: false,
        tombstones: &["ann"],
        locals: &[],
    },
    Case {
        name: "local users created, edited and deleted since",
        later: |db, _, r1| {
            create(db, "dave");
            describe(db, "carl", "Works remotely");
            delete(db, "eve");
            r1
        },
        conflicts: &[],
        ann: None,
        bob: false,
        tombstones: &[],
        locals: &[
            ("dave", Some("")),
            ("carl", Some("Works remotely")),
            ("eve", None),
        ],
    },
    Case {
        // Bob has the highest row id; once he is deleted, SQLite would hand his id to the
        // next new row.
        name: "a local user created after the run's newest user was deleted here",
        later: |db, _, r1| {
            delete(db, "bob@contoso.com");
            create(db, "dave");
            r1
        },
        conflicts: &[],
        ann: None,
        bob: false,
        tombstones: &["bob"],
        locals: &[("dave", Some(""))],
    },
    Case {
        name: "a local user took the account name of a user the run deleted",
        later: |db, t, _| {
            t.fire("bob", RemovalAction::Delete);
            let r2 = apply(db, &t.sync());
            create(db, "bob@contoso.com");
            r2
        },
        conflicts: &[("bob@contoso.com", "taken", false)],
        ann: Some("Ann Lee"),
        bob: false,
        tombstones: &["bob"],
        locals: &[("bob@contoso.com", Some(""))],
    },
    Case {
        // The description is the server's own field: the run did not write it.
        name: "an imported user's description edited here since",
        later: |db, t, _| {
            let r2 = rename_ann(db, t);
            describe(db, "ann@contoso.com", "Works remotely");
            r2
        },
        conflicts: &[],
        ann: Some("Ann Lee"),
        bob: true,
        tombstones: &[],
        locals: &[],
    },
];

#[test]
fn undo_after_later_local_changes() {
    for case in CASES {
        let Scene {
            db,
            mut tenant,
            r1,
            before,
        } = scene();
        let undone = (case.later)(&db, &mut tenant, r1);
        let plan = preview(&db, undone);
        let conflicts: Vec<(&str, &str, bool)> = plan
            .conflicts
            .iter()
            .map(|c| {
                let problem = match &c.problem {
                    Problem::ChangedSince => "changed",
                    Problem::DeletedSince => "deleted",
                    Problem::Taken(_) => "taken",
                };
                (c.object.as_str(), problem, c.restorable)
            })
            .collect();
        assert_eq!(conflicts, case.conflicts, "{}", case.name);
        let log = dump(db.store.writer().connection());
        // Restore wherever it can: still, nothing local may move.
        let choices = UndoChoices {
            all: Resolution::Restore,
            ..UndoChoices::default()
        };
        db.store
            .writer()
            .undo_run(undone, &plan.token, &choices, "admin", &|| false)
            .unwrap_or_else(|e| panic!("{}: {e}", case.name));

        let mut expected = before.clone();
        if undone != r1 {
            // The undone run is a later one: R1's import stays.
            expected.set("ann", "Ann Lee", "R&D", true);
            expected.set("bob", "Bob Ray", "R&D", true);
            expected.members.insert(membership("Sales", "ann"));
            expected.members.insert(membership("Sales", "bob"));
        }
        match case.ann {
            Some(name) => expected.set("ann", name, "R&D", true),
            None => expected.gone("ann"),
        }
        if !case.bob {
            expected.gone("bob");
        }
        expected.tombstones = case.tombstones.iter().map(|s| oid(s)).collect();
        assert_eq!(Seen::of(&db), expected, "{}", case.name);
        let writer = db.store.writer();
        let conn = writer.connection();
        assert_eq!(locals(conn), locals_then(case.locals), "{}", case.name);
        assert_log_kept(&log, &dump(conn), case.name);
        assert_intact(conn, case.name);
    }
}

/// Ann's description, edited here after the run that renamed her, survives its undo.
#[test]
fn a_description_edited_since_stays() {
    let Scene { db, mut tenant, .. } = scene();
    let r2 = rename_ann(&db, &mut tenant);
    describe(&db, "ann@contoso.com", "Works remotely");
    super::undo(&db, r2, &UndoChoices::default()).expect("undo");
    let ann = user_id(&db, "ann@contoso.com");
    let ann = db.store.reader().user(ann).expect("ann");
    assert_eq!(
        (ann.full_name.as_str(), ann.description.as_str()),
        ("Ann Lee", "Works remotely")
    );
}
