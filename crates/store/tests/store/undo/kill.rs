//! The app killed (SIGKILL) while it undoes a big run, at 16 moments from 0 to 150 % of how
//! long that undo takes: afterwards the database opens, passes SQLite's integrity and
//! foreign-key checks, and everything but the audit log is either exactly as before the undo
//! or exactly as after the same undo done to the end on a copy — and the audit log has either
//! no undo run or the one. Some kills land inside the transaction after it wrote (the WAL
//! grew), and at least one leaves it before and one after.
//!
//! As in `kill.rs`, the child process is this same test run again with [`CHILD`] set: it opens
//! the database, previews the undo, says "ready", undoes when told "go" and says "done", then
//! waits to be killed.
#![cfg(unix)]

use super::child::Helper;
use super::{HIGH_WATER, assert_intact, without_log};
use crate::support::{Dump, changes, contoso, dump, dump_file, entra_user, local, quick, run};
use aadsync_store::{PasswordPolicy, Store, UndoChoices};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Set in the child: the database to undo in, and the run.
const CHILD: &str = "AADSYNC_UNDO_KILL_DB";
const CHILD_RUN: &str = "AADSYNC_UNDO_KILL_RUN";
const SAYS: &str = "undo child: ";
const THIS_TEST: &str = "undo::kill::a_killed_undo_leaves_the_database_as_before_or_after";
/// Enough that the undo's transaction outgrows SQLite's page cache (its pages reach the WAL
/// before the COMMIT) and takes well over 100 ms.
const USERS: usize = 6_000;
const POINTS: u32 = 16;

fn import(renamed: bool) -> aadsync_store::DirectoryChanges {
    let users = (0..USERS)
        .map(|i| {
            let name = if renamed { "Renamed User" } else { "User" };
            let mut u = entra_user(&format!("o-{i}"), &format!("u{i}@contoso.com"), name);
            if renamed {
                u.department = Some("Moved".into());
            }
            u
        })
        .collect();
    changes(users, vec![])
}

/// Contoso and carl, every user imported, then the run to undo: every user renamed and moved.
fn seed(path: &Path) -> i64 {
    let store = Store::open(path, &quick()).expect("create");
    store.writer().save_organization(&contoso()).expect("org");
    let policy = PasswordPolicy::default();
    store
        .writer()
        .create_local_user(&local("carl"), &policy)
        .expect("carl");
    store
        .writer()
        .apply_directory_changes(&run(), &import(false))
        .expect("import");
    store
        .writer()
        .apply_directory_changes(&run(), &import(true))
        .expect("rename")
        .run_id
}

fn wal_len(db: &Path) -> u64 {
    let mut wal = db.as_os_str().to_owned();
    wal.push("-wal");
    std::fs::metadata(wal).map_or(0, |m| m.len())
}

fn child(path: &Path, run_id: i64) -> ! {
    let store = Store::open(path, &quick()).expect("open");
    let plan = store.writer().undo_preview(run_id).expect("preview");
    println!("{SAYS}ready");
    let _ = std::io::stdout().flush();
    let mut go = String::new();
    let _ = std::io::stdin().read_line(&mut go);
    let done = store.writer().undo_run(
        run_id,
        &plan.token,
        &UndoChoices::default(),
        "admin",
        &|| false,
    );
    println!("{SAYS}done {:?}", done.map(|o| o.reverted));
    let _ = std::io::stdout().flush();
    let _ = std::io::stdin().read(&mut [0]);
    std::process::exit(3)
}

/// The child, on `path`, ready to undo `run_id`.
fn start_undo(path: &Path, run_id: i64) -> Helper {
    let run = run_id.to_string();
    Helper::ready(
        THIS_TEST,
        SAYS,
        &[(CHILD, path.as_os_str()), (CHILD_RUN, run.as_ref())],
    )
}

/// `rows` of the append-only tables only.
fn log_of(rows: &Dump) -> Dump {
    rows.iter()
        .filter(|(t, _)| super::LOG_TABLES.contains(&t.as_str()))
        .map(|(t, r)| (t.clone(), r.clone()))
        .collect()
}

/// Reopens after the kill (as the app would, recovering the WAL) and checks it.
fn reopened(path: &Path, what: &str) -> Dump {
    let store = Store::open(path, &quick()).expect("reopens after the kill");
    let writer = store.writer();
    assert_intact(writer.connection(), what);
    dump(writer.connection())
}

#[test]
fn a_killed_undo_leaves_the_database_as_before_or_after() {
    if let Some(path) = std::env::var_os(CHILD) {
        let run_id = std::env::var(CHILD_RUN).expect("run").parse().expect("id");
        child(&PathBuf::from(path), run_id);
    }
    let dir = tempfile::tempdir().expect("dir");
    let base = dir.path().join("base.sqlite3");
    let run_id = seed(&base);
    let before = dump_file(&base);
    let copy = |name: &str| -> PathBuf {
        let path = dir.path().join(name);
        std::fs::copy(&base, &path).expect("copy");
        path
    };

    // The reference: the same undo to the end, timed from "go" to "done".
    let reference = copy("reference.sqlite3");
    let mut undoer = start_undo(&reference, run_id);
    let started = Instant::now();
    undoer.go();
    let done = undoer.said();
    let took = started.elapsed();
    undoer.kill();
    assert!(done.starts_with("done Ok("), "{done}");
    let after = reopened(&reference, "reference");
    assert_ne!(without_log(after.clone()), without_log(before.clone()));
    assert!(
        took >= Duration::from_millis(100),
        "the undo took only {took:?}"
    );
    println!("the undo of {USERS} renamed users takes {took:?}");

    let (mut as_before, mut as_after, mut inside) = (0, 0, 0);
    for point in 0..POINTS {
        let at = took.mul_f64(1.5 * f64::from(point) / f64::from(POINTS - 1));
        let path = copy(&format!("killed-{point}.sqlite3"));
        let mut undoer = start_undo(&path, run_id);
        let wal_at_go = wal_len(&path);
        undoer.go();
        std::thread::sleep(at);
        let wal_at_kill = wal_len(&path);
        undoer.kill();
        let what = format!("killed at {at:?} ({point}/{})", POINTS - 1);
        let now = reopened(&path, &what);
        let state = without_log(now.clone());
        let high_water_rows = |d: &Dump| d.get(HIGH_WATER).cloned();
        assert_eq!(high_water_rows(&now), high_water_rows(&before), "{what}");
        if state == without_log(before.clone()) {
            assert_eq!(log_of(&now), log_of(&before), "{what}: no undo run");
            as_before += 1;
            if wal_at_kill > wal_at_go {
                inside += 1;
            }
            println!("{what}: as before (WAL {wal_at_go} → {wal_at_kill} bytes)");
        } else {
            assert_eq!(
                state,
                without_log(after.clone()),
                "{what}: neither before nor after"
            );
            assert_eq!(
                log_of(&now)["sync_runs"].len(),
                log_of(&before)["sync_runs"].len() + 1,
                "{what}: one undo run"
            );
            as_after += 1;
            println!("{what}: as after");
        }
    }
    // Under a loaded machine the undo can take more than 1.5 times the reference: then one more
    // child is killed only once it said it is done, so "after" is always seen too.
    if as_after == 0 {
        let path = copy("killed-after-done.sqlite3");
        let mut undoer = start_undo(&path, run_id);
        undoer.go();
        assert!(undoer.said().starts_with("done Ok("));
        undoer.kill();
        let now = reopened(&path, "killed after it was done");
        assert_eq!(
            without_log(now),
            without_log(after.clone()),
            "killed after done"
        );
        as_after += 1;
    }
    assert!(
        as_before > 0 && as_after > 0,
        "{as_before} before, {as_after} after"
    );
    assert!(
        inside > 0,
        "no kill landed after the undo's first writes reached the WAL"
    );
}
