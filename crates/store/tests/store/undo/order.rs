//! Two runs undone in either order. Newest first, nothing is left in conflict and the
//! database ends as it was before both runs (all but the append-only audit log). The older
//! first, the newer run's changes are conflicts of the older undo; whatever is answered there,
//! the newer run can still be undone, and the database ends as the table says.

use super::later_syncs::{Scene, Seen, apply, scene};
use super::tenant::Tenant;
use super::view::statuses;
use super::{assert_intact, assert_log_kept, preview, state, undo};
use crate::support::{Db, assert_same, dump};
use aadsync_store::{Resolution, RunStatus, UndoChoices};

/// R2 after the scene's R1: Ann renamed again, Bob moved to Finance, Fay joins Sales.
fn later(db: &Db, tenant: &mut Tenant) -> (i64, crate::support::Dump) {
    let before = state(db.store.writer().connection());
    tenant.person("ann").name = "Ann Jones".into();
    tenant.person("bob").department = "Finance".into();
    tenant.join("Sales", "fay");
    (apply(db, &tenant.sync()), before)
}

fn choices(all: Resolution) -> UndoChoices {
    UndoChoices {
        all,
        ..UndoChoices::default()
    }
}

fn objects(db: &Db, run_id: i64) -> Vec<String> {
    preview(db, run_id)
        .conflicts
        .into_iter()
        .map(|c| c.object)
        .collect()
}

#[test]
fn newest_first_leaves_no_conflict_and_the_database_as_before_both_runs() {
    let Scene {
        db,
        mut tenant,
        r1,
        state_before,
        ..
    } = scene();
    let (r2, before_r2) = later(&db, &mut tenant);
    let log = dump(db.store.writer().connection());
    assert!(objects(&db, r2).is_empty(), "the newest run meets nothing");
    undo(&db, r2, &choices(Resolution::KeepNewer)).expect("undo R2");
    assert_same(
        &state(db.store.writer().connection()),
        &before_r2,
        "after undoing R2",
    );
    assert!(objects(&db, r1).is_empty(), "R2 undone: R1 meets nothing");
    undo(&db, r1, &choices(Resolution::KeepNewer)).expect("undo R1");
    let writer = db.store.writer();
    let conn = writer.connection();
    assert_same(&state(conn), &state_before, "after undoing R2 then R1");
    assert_log_kept(&log, &dump(conn), "newest first");
    assert_intact(conn, "newest first");
    drop(writer);
    let status = statuses(&db.store);
    assert_eq!(
        (status[&r1], status[&r2]),
        (RunStatus::Undone, RunStatus::Undone)
    );
}

struct Case {
    name: &'static str,
    older: Resolution,
    /// R2's conflicts once R1 is undone.
    newer_conflicts: &'static [&'static str],
    newer: Resolution,
    /// The end, from the database before R1 (None: exactly it, all but the audit log).
    expect: Option<fn(&mut Seen)>,
}

const CASES: &[Case] = &[
    Case {
        // The kept objects hold R2's values; undoing R2 gives them R1's.
        name: "older kept, then newer",
        older: Resolution::KeepNewer,
        newer_conflicts: &[],
        newer: Resolution::KeepNewer,
        expect: Some(|e| {
            e.set("ann", "Ann Smith", "R&D", true);
            e.set("bob", "Bob Ray", "Sales", true);
            e.set("fay", "Fay Wu", "R&D", true);
        }),
    },
    Case {
        name: "older restored, then newer keeping",
        older: Resolution::Restore,
        newer_conflicts: &["ann@contoso.com", "bob@contoso.com"],
        newer: Resolution::KeepNewer,
        expect: None,
    },
    Case {
        name: "older restored, then newer restoring",
        older: Resolution::Restore,
        newer_conflicts: &["ann@contoso.com", "bob@contoso.com"],
        newer: Resolution::Restore,
        expect: Some(|e| {
            e.set("ann", "Ann Smith", "R&D", true);
            e.set("bob", "Bob Ray", "Sales", true);
        }),
    },
];

#[test]
fn older_first_then_newer() {
    for case in CASES {
        let Scene {
            db,
            mut tenant,
            r1,
            before,
            state_before,
        } = scene();
        let (r2, _) = later(&db, &mut tenant);
        let log = dump(db.store.writer().connection());
        assert_eq!(
            objects(&db, r1),
            ["ann@contoso.com", "bob@contoso.com", "fay@contoso.com"],
            "{}: R2's changes are R1's conflicts",
            case.name
        );
        undo(&db, r1, &choices(case.older)).expect("undo R1");
        assert_eq!(objects(&db, r2), case.newer_conflicts, "{}", case.name);
        undo(&db, r2, &choices(case.newer)).expect("undo R2");
        match case.expect {
            None => assert_same(
                &state(db.store.writer().connection()),
                &state_before,
                case.name,
            ),
            Some(expect) => {
                let mut expected = before.clone();
                expect(&mut expected);
                assert_eq!(Seen::of(&db), expected, "{}", case.name);
            }
        }
        let writer = db.store.writer();
        let conn = writer.connection();
        assert_log_kept(&log, &dump(conn), case.name);
        assert_intact(conn, case.name);
        drop(writer);
        let status = statuses(&db.store);
        assert_eq!(
            (status[&r1], status[&r2]),
            (RunStatus::Undone, RunStatus::Undone),
            "{}",
            case.name
        );
    }
}
