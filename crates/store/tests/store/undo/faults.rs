//! A fault between any two statements of an undo leaves the database exactly as before it.
//! Two kinds, each at every position until the undo gets through: the `cancelled` callback
//! saying stop at its N-th question (it is asked before every row change and before the
//! commit), and SQLite itself failing the k-th write to users, memberships, decisions or
//! runs (a TEMP trigger on the write connection RAISEs there). Three undos are faulted: one
//! with conflicts restored, one putting back a deleted user and withdrawing a decision, one
//! clearing the organization's change-tracking links.

use super::later_syncs::{self, apply};
use super::tenant::{Tenant, links};
use crate::support::{Db, assert_same, contoso_with_carl, dump, dump_file};
use aadsync_store::{
    Decision, DecisionAction, DecisionFinding, ObjectKind, RemovalAction, Resolution, StoreError,
    UndoChoices,
};
use rusqlite::functions::FunctionFlags;
use std::cell::Cell;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A database and the run whose undo is faulted.
type Scenario = (&'static str, fn() -> (Db, i64));

const SCENARIOS: [Scenario; 3] = [
    ("conflicts restored", conflicts),
    (
        "a deleted user back, a decision withdrawn",
        deletion_and_decision,
    ),
    ("change-tracking links cleared", links_moved),
];

/// The later-syncs scene with renames, a department and memberships changed since R1.
fn conflicts() -> (Db, i64) {
    let mut scene = later_syncs::scene();
    let t = &mut scene.tenant;
    t.person("ann").name = "Ann Jones".into();
    t.person("bob").department = "Finance".into();
    t.join("Sales", "fay");
    t.leave("Sales", "cy");
    apply(&scene.db, &t.sync());
    (scene.db, scene.r1)
}

/// Ann and Bob imported; then a run disables Ann by a decision and deletes Bob.
fn deletion_and_decision() -> (Db, i64) {
    let db = contoso_with_carl();
    let mut t = Tenant::of(
        &[("ann", "Ann Lee"), ("bob", "Bob Ray")],
        &[("Sales", &["ann", "bob"])],
    );
    apply(&db, &t.sync());
    t.fire("bob", RemovalAction::Delete);
    let mut changes = t.sync();
    changes.removals.push(aadsync_store::Removal {
        kind: ObjectKind::User,
        object_id: "o-ann".into(),
        action: RemovalAction::Disable,
        deletion: None,
        reason: "no longer in scope".into(),
    });
    changes.decisions.push(Decision {
        kind: ObjectKind::User,
        object_id: "o-ann".into(),
        display_name: "Ann Lee".into(),
        action: DecisionAction::Disable,
        finding: DecisionFinding::OutOfScope,
    });
    let run = apply(&db, &changes);
    (db, run)
}

/// R1 moved the links from 0 to 1, a later run to 2: undoing R1 clears them.
fn links_moved() -> (Db, i64) {
    let db = contoso_with_carl();
    let mut t = Tenant::of(&[("ann", "Ann Lee")], &[]);
    t.delta = Some(links(0));
    apply(&db, &t.sync());
    t.person("ann").name = "Ann Smith".into();
    t.delta = Some(links(1));
    let r1 = apply(&db, &t.sync());
    t.delta = Some(links(2));
    apply(&db, &t.sync());
    (db, r1)
}

fn restore_all() -> UndoChoices {
    UndoChoices {
        all: Resolution::Restore,
        ..UndoChoices::default()
    }
}

/// Undoes `run` with a fresh preview and `cancelled`.
fn try_undo(db: &Db, run: i64, cancelled: &dyn Fn() -> bool) -> Result<i64, StoreError> {
    let plan = db.store.writer().undo_preview(run)?;
    db.store
        .writer()
        .undo_run(run, &plan.token, &restore_all(), "admin", cancelled)
        .map(|o| o.undo_run)
}

#[test]
fn cancelled_at_any_point_the_undo_leaves_the_database_as_before() {
    for (name, scenario) in SCENARIOS {
        let (db, run) = scenario();
        let before = dump(db.store.writer().connection());
        let mut n = 0;
        loop {
            let asked = Cell::new(0);
            let cancelled = || {
                let k = asked.get();
                asked.set(k + 1);
                k == n
            };
            match try_undo(&db, run, &cancelled) {
                Err(StoreError::Interrupted) => {
                    assert_eq!(asked.get(), n + 1, "{name}: stopped at its {n}th question");
                    assert_same(&dump(db.store.writer().connection()), &before, name);
                    assert_same(&dump_file(db.store.path()), &before, name);
                }
                Ok(_) => {
                    assert_eq!(asked.get(), n, "{name}: not asked again after the last");
                    break;
                }
                Err(other) => panic!("{name}: at {n}: {other}"),
            }
            n += 1;
        }
        assert!(
            n >= 3,
            "{name}: only {n} points: the undo asks before every change"
        );
        println!("{name}: stopped at each of {n} points, then undone");
        assert_ne!(
            dump(db.store.writer().connection()),
            before,
            "{name}: undone at last"
        );
    }
}

const FAULTED: [&str; 4] = ["users", "memberships", "azure_decisions", "sync_runs"];

/// Makes the `k`-th write to [`FAULTED`] on the write connection fail, counting from 1
/// (0: never) in `counter`'s window; returns the counter.
fn install_fault(db: &Db, fail_at: Arc<AtomicUsize>) -> Arc<AtomicUsize> {
    let writes = Arc::new(AtomicUsize::new(0));
    let counted = writes.clone();
    let writer = db.store.writer();
    let conn = writer.connection();
    conn.create_scalar_function(
        "aadsync_test_fault",
        0,
        FunctionFlags::SQLITE_UTF8,
        move |_| {
            let k = counted.fetch_add(1, Ordering::SeqCst) + 1;
            Ok(k == fail_at.load(Ordering::SeqCst))
        },
    )
    .expect("fault function");
    for table in FAULTED {
        for op in ["INSERT", "UPDATE", "DELETE"] {
            conn.execute_batch(&format!(
                "CREATE TEMP TRIGGER fault_{table}_{op} BEFORE {op} ON main.{table} BEGIN
                     SELECT RAISE(ABORT, 'injected fault') WHERE aadsync_test_fault();
                 END;"
            ))
            .expect("fault trigger");
        }
    }
    writes
}

#[test]
fn a_write_sqlite_fails_leaves_the_database_as_before() {
    for (name, scenario) in SCENARIOS {
        let (db, run) = scenario();
        let before = dump(db.store.writer().connection());
        let fail_at = Arc::new(AtomicUsize::new(0));
        let writes = install_fault(&db, fail_at.clone());
        let mut k = 1;
        loop {
            fail_at.store(k, Ordering::SeqCst);
            writes.store(0, Ordering::SeqCst);
            match try_undo(&db, run, &|| false) {
                Err(err) => {
                    assert!(err.to_string().contains("injected fault"), "{name}: {err}");
                    assert_eq!(
                        writes.load(Ordering::SeqCst),
                        k,
                        "{name}: failed at write {k}"
                    );
                    assert_same(&dump(db.store.writer().connection()), &before, name);
                    assert_same(&dump_file(db.store.path()), &before, name);
                }
                Ok(_) => {
                    assert!(
                        writes.load(Ordering::SeqCst) < k,
                        "{name}: every write faulted"
                    );
                    break;
                }
            }
            k += 1;
        }
        assert!(k > 2, "{name}: only {} faulted writes", k - 1);
        println!("{name}: failed at each of {} writes, then undone", k - 1);
        assert_ne!(
            dump(db.store.writer().connection()),
            before,
            "{name}: undone at last"
        );
    }
}
