//! Undoing a run after later synchronizations touched the same users: a rename, a disable, a
//! membership change, a deletion. What the later run changed is a conflict named in the
//! preview (user, field, value now, value the undo would restore); each answer — keep the newer
//! value or restore, for all or per conflict — gives exactly the database the table says, and
//! nothing the later run wrote is reverted without a conflict that said so.

use super::tenant::{Tenant, oid};
use super::view::{Shown, members, membership, people, shown, statuses, tombstones};
use super::{assert_intact, assert_log_kept, preview, undo};
use crate::support::{Db, assert_same, contoso_with_carl, dump, run};
use aadsync_store::{
    DirectoryChanges, Problem, RemovalAction, Resolution, RunStatus, UndoChoices, UndoPlan,
};
use std::collections::{BTreeMap, BTreeSet};

pub fn apply(db: &Db, changes: &DirectoryChanges) -> i64 {
    db.store
        .writer()
        .apply_directory_changes(&run(), changes)
        .expect("sync")
        .run_id
}

/// What the tables below expect, by object: imported users, memberships, tombstones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    pub people: BTreeMap<String, Shown>,
    pub members: BTreeSet<(String, String)>,
    pub tombstones: BTreeSet<String>,
}

impl Seen {
    pub fn of(db: &Db) -> Self {
        let writer = db.store.writer();
        let conn = writer.connection();
        Seen {
            people: people(conn),
            members: members(conn),
            tombstones: tombstones(conn),
        }
    }

    pub fn set(&mut self, short: &str, full_name: &str, department: &str, enabled: bool) {
        let account = format!("{short}@contoso.com");
        self.people
            .insert(oid(short), shown(&account, full_name, department, enabled));
    }

    pub fn gone(&mut self, short: &str) {
        self.people.remove(&oid(short));
        self.members
            .retain(|(_, account)| *account != format!("{short}@contoso.com"));
    }
}

/// Ann, Bob, Cy, Dan and Eve in R&D, Sales = {ann, bob}, Ops = {dan}: imported by a first
/// run. Then the run the cases undo (R1): Ann renamed, Bob moved to Sales, Cy joins Sales,
/// Dan renamed, Eve moved to Ops, Fay hired into Ops.
pub struct Scene {
    pub db: Db,
    pub tenant: Tenant,
    pub r1: i64,
    /// The database right before R1.
    pub before: Seen,
    /// All of it but the audit log ([`super::state`]).
    pub state_before: crate::support::Dump,
}

pub fn scene() -> Scene {
    let db = contoso_with_carl();
    let mut tenant = Tenant::of(
        &[
            ("ann", "Ann Lee"),
            ("bob", "Bob Ray"),
            ("cy", "Cy Young"),
            ("dan", "Dan Hill"),
            ("eve", "Eve Stone"),
        ],
        &[("Sales", &["ann", "bob"]), ("Ops", &["dan"])],
    );
    apply(&db, &tenant.sync());
    let before = Seen::of(&db);
    let state_before = super::state(db.store.writer().connection());
    tenant.person("ann").name = "Ann Smith".into();
    tenant.person("bob").department = "Sales".into();
    tenant.join("Sales", "cy");
    tenant.person("dan").name = "Dan Brown".into();
    tenant.person("eve").department = "Ops".into();
    tenant.hire("fay", "Fay Wu");
    tenant.join("Ops", "fay");
    let r1 = apply(&db, &tenant.sync());
    assert_ne!(Seen::of(&db), before, "R1 changed the database");
    Scene {
        db,
        tenant,
        r1,
        before,
        state_before,
    }
}

/// How a conflict's problem reads in the tables.
fn problem(p: &Problem) -> &'static str {
    match p {
        Problem::ChangedSince => "changed",
        Problem::DeletedSince => "deleted",
        Problem::Taken(_) => "taken",
    }
}

fn conflict_id(plan: &UndoPlan, object: &str) -> u32 {
    plan.conflicts
        .iter()
        .find(|c| c.object == object)
        .map(|c| c.id)
        .unwrap_or_else(|| panic!("no conflict about {object}: {:?}", plan.conflicts))
}

fn all(resolution: Resolution) -> impl Fn(&UndoPlan) -> UndoChoices {
    move |_| UndoChoices {
        all: resolution,
        ..UndoChoices::default()
    }
}

fn keep_all(plan: &UndoPlan) -> UndoChoices {
    all(Resolution::KeepNewer)(plan)
}

fn restore_all(plan: &UndoPlan) -> UndoChoices {
    all(Resolution::Restore)(plan)
}

fn restore_only_ann(plan: &UndoPlan) -> UndoChoices {
    UndoChoices {
        all: Resolution::KeepNewer,
        each: [(conflict_id(plan, "ann@contoso.com"), Resolution::Restore)].into(),
    }
}

fn restore_all_but_ann(plan: &UndoPlan) -> UndoChoices {
    UndoChoices {
        all: Resolution::Restore,
        each: [(conflict_id(plan, "ann@contoso.com"), Resolution::KeepNewer)].into(),
    }
}

fn rename_ann(t: &mut Tenant) {
    t.person("ann").name = "Ann Jones".into();
}

fn disable_bob_and_move_him(t: &mut Tenant) {
    t.person("bob").enabled = false;
    t.person("bob").department = "Finance".into();
}

fn disable_eve(t: &mut Tenant) {
    t.person("eve").enabled = false;
}

fn move_members(t: &mut Tenant) {
    t.leave("Sales", "cy");
    t.join("Ops", "bob");
    t.join("Sales", "fay");
}

fn delete_dan(t: &mut Tenant) {
    t.fire("dan", RemovalAction::Delete);
}

fn delete_fay(t: &mut Tenant) {
    t.fire("fay", RemovalAction::Delete);
}

fn rename_ann_and_move_bob(t: &mut Tenant) {
    rename_ann(t);
    t.person("bob").department = "Finance".into();
}

struct Case {
    name: &'static str,
    /// What Entra ID changed before the later synchronization (R2).
    later: fn(&mut Tenant),
    /// The preview's conflicts: (object, problem, restorable), in its order.
    conflicts: &'static [(&'static str, &'static str, bool)],
    /// (field, now, restore) lines the preview shows among them.
    shows: &'static [(&'static str, &'static str, &'static str)],
    choices: fn(&UndoPlan) -> UndoChoices,
    /// The database after the undo, from the one right before R1.
    expect: fn(&mut Seen),
}

const CASES: &[Case] = &[
    Case {
        name: "renamed since, kept",
        later: rename_ann,
        conflicts: &[("ann@contoso.com", "changed", true)],
        shows: &[("full name", "Ann Jones", "Ann Lee")],
        choices: keep_all,
        expect: |e| e.set("ann", "Ann Jones", "R&D", true),
    },
    Case {
        name: "renamed since, restored",
        later: rename_ann,
        conflicts: &[("ann@contoso.com", "changed", true)],
        shows: &[("Entra ID display name", "Ann Jones", "Ann Lee")],
        choices: restore_all,
        expect: |_| {},
    },
    Case {
        name: "disabled and moved since, kept",
        later: disable_bob_and_move_him,
        conflicts: &[("bob@contoso.com", "changed", true)],
        shows: &[("department", "Finance", "R&D")],
        choices: keep_all,
        expect: |e| e.set("bob", "Bob Ray", "Finance", false),
    },
    Case {
        // Restore puts back what the run wrote over; the disable was no part of it.
        name: "disabled and moved since, restored",
        later: disable_bob_and_move_him,
        conflicts: &[("bob@contoso.com", "changed", true)],
        shows: &[("Entra ID department", "Finance", "R&D")],
        choices: restore_all,
        expect: |e| e.set("bob", "Bob Ray", "R&D", false),
    },
    Case {
        name: "disabled since, a field the run did not write: no conflict",
        later: disable_eve,
        conflicts: &[],
        shows: &[],
        choices: keep_all,
        expect: |e| e.set("eve", "Eve Stone", "R&D", false),
    },
    Case {
        // Fay (created by the run) joined Sales since: deleting her would take that away.
        name: "memberships changed since, kept",
        later: move_members,
        conflicts: &[("fay@contoso.com", "changed", true)],
        shows: &[("member of", "Sales", "(removed by the undo)")],
        choices: keep_all,
        expect: |e| {
            e.set("fay", "Fay Wu", "R&D", true);
            e.members.insert(membership("Ops", "bob"));
            e.members.insert(membership("Sales", "fay"));
        },
    },
    Case {
        name: "memberships changed since, restored",
        later: move_members,
        conflicts: &[("fay@contoso.com", "changed", true)],
        shows: &[],
        choices: restore_all,
        expect: |e| {
            e.members.insert(membership("Ops", "bob"));
        },
    },
    Case {
        // Restore is asked for all, but a deleted user has nothing to restore into.
        name: "deleted since, restore asked",
        later: delete_dan,
        conflicts: &[("dan@contoso.com", "deleted", false)],
        shows: &[],
        choices: restore_all,
        expect: |e| {
            e.gone("dan");
            e.tombstones.insert(oid("dan"));
        },
    },
    Case {
        name: "deleted since, kept",
        later: delete_dan,
        conflicts: &[("dan@contoso.com", "deleted", false)],
        shows: &[],
        choices: keep_all,
        expect: |e| {
            e.gone("dan");
            e.tombstones.insert(oid("dan"));
        },
    },
    Case {
        name: "a user the run created, deleted since: nothing to undo there",
        later: delete_fay,
        conflicts: &[],
        shows: &[],
        choices: restore_all,
        expect: |e| {
            e.tombstones.insert(oid("fay"));
        },
    },
    Case {
        name: "two conflicts, only one restored",
        later: rename_ann_and_move_bob,
        conflicts: &[
            ("ann@contoso.com", "changed", true),
            ("bob@contoso.com", "changed", true),
        ],
        shows: &[("full name", "Ann Jones", "Ann Lee")],
        choices: restore_only_ann,
        expect: |e| e.set("bob", "Bob Ray", "Finance", true),
    },
    Case {
        name: "two conflicts, all restored but one",
        later: rename_ann_and_move_bob,
        conflicts: &[
            ("ann@contoso.com", "changed", true),
            ("bob@contoso.com", "changed", true),
        ],
        shows: &[("department", "Finance", "R&D")],
        choices: restore_all_but_ann,
        expect: |e| e.set("ann", "Ann Jones", "R&D", true),
    },
];

#[test]
fn undo_after_later_syncs_touching_the_same_users() {
    for case in CASES {
        let Scene {
            db,
            mut tenant,
            r1,
            before,
            ..
        } = scene();
        (case.later)(&mut tenant);
        let r2 = apply(&db, &tenant.sync());
        let plan = preview(&db, r1);
        let conflicts: Vec<(&str, &str, bool)> = plan
            .conflicts
            .iter()
            .map(|c| (c.object.as_str(), problem(&c.problem), c.restorable))
            .collect();
        assert_eq!(conflicts, case.conflicts, "{}", case.name);
        let fields: Vec<(&str, &str, &str)> = plan
            .conflicts
            .iter()
            .flat_map(|c| &c.fields)
            .map(|f| (f.field.as_str(), f.now.as_str(), f.restore.as_str()))
            .collect();
        for line in case.shows {
            assert!(
                fields.contains(line),
                "{}: {line:?} not in {fields:?}",
                case.name
            );
        }
        let log = dump(db.store.writer().connection());
        let locals = super::view::locals(db.store.writer().connection());
        db.store
            .writer()
            .undo_run(r1, &plan.token, &(case.choices)(&plan), "admin", &|| false)
            .unwrap_or_else(|e| panic!("{}: {e}", case.name));
        let mut expected = before.clone();
        (case.expect)(&mut expected);
        assert_eq!(Seen::of(&db), expected, "{}", case.name);
        let writer = db.store.writer();
        let conn = writer.connection();
        assert_eq!(
            super::view::locals(conn),
            locals,
            "{}: local users",
            case.name
        );
        assert_log_kept(&log, &dump(conn), case.name);
        assert_intact(conn, case.name);
        drop(writer);
        let status = statuses(&db.store);
        assert_eq!(
            (status[&r1], status[&r2]),
            (RunStatus::Undone, RunStatus::Succeeded),
            "{}",
            case.name
        );
    }
}

/// The same undo previewed twice gives the same plan and token; an undone run cannot be
/// undone again, and the refusal writes nothing.
#[test]
fn an_undone_run_is_refused_a_second_time() {
    let Scene { db, r1, .. } = scene();
    let plan = preview(&db, r1);
    assert_eq!(preview(&db, r1), plan, "a preview changes nothing");
    undo(&db, r1, &UndoChoices::default()).expect("undo");
    let after = dump(db.store.writer().connection());
    let again =
        db.store
            .writer()
            .undo_run(r1, &plan.token, &UndoChoices::default(), "admin", &|| false);
    assert!(
        matches!(&again, Err(aadsync_store::StoreError::Invalid(m)) if m.contains("undone already")),
        "{again:?}"
    );
    assert_same(&dump(db.store.writer().connection()), &after, "refused");
}
