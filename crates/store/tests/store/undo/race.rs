//! Two processes on one database file, as the app and a scheduled CLI run are: one undoes a
//! run with the token of a preview taken before, the other synchronizes with changes planned
//! before (`based_on`, and planning again when told the database changed, as `aadsync sync`
//! does). They are started together, or one a few milliseconds after the other, in both orders.
//!
//! Every outcome must be one of the two serial ones. When the synchronization changed what the
//! undo reverts: either the undo committed first (its run id is the lower) and the
//! synchronization was refused once and planned again, or the synchronization committed first
//! and the undo was refused as stale, writing nothing. When it changed other users only, both
//! commit in whichever order. Either way the users end as Entra ID has them (no write lost),
//! the run is shown undone exactly when the undo committed, the integrity check passes and
//! every audit row from before is still there.
#![cfg(unix)]

use super::child::Helper;
use super::{assert_intact, assert_log_kept};
use crate::support::{TENANT, changes, contoso, dump, dump_file, entra_user, local, run};
use aadsync_store::{
    DirectoryChanges, OpenOptions, PasswordPolicy, RunStatus, Store, StoreError, UndoChoices,
};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

const CHILD: &str = "AADSYNC_UNDO_RACE_DB";
/// `undo <run> <token>` or `sync <variant> <digest>`.
const CHILD_ROLE: &str = "AADSYNC_UNDO_RACE_ROLE";
const SAYS: &str = "race child: ";
const THIS_TEST: &str = "undo::race::a_sync_and_an_undo_racing_in_two_processes_serialize";
const USERS: usize = 1_500;
/// How many of them the racing synchronization renames again (overlapping variant).
const AGAIN: usize = 200;

/// The users Entra ID has: everyone renamed by the run the race undoes; then, for the racing
/// synchronization, the first [`AGAIN`] renamed once more (`overlapping`) or 50 new users.
fn tenant(step: u8, overlapping: bool) -> DirectoryChanges {
    let mut users: Vec<_> = (0..USERS)
        .map(|i| {
            let name = match step {
                0 => "User".to_owned(),
                2 if overlapping && i < AGAIN => format!("Final {i}"),
                _ => "Renamed User".to_owned(),
            };
            entra_user(&format!("o-{i}"), &format!("u{i}@contoso.com"), &name)
        })
        .collect();
    if step == 2 && !overlapping {
        users.extend(
            (USERS..USERS + 50)
                .map(|i| entra_user(&format!("o-{i}"), &format!("u{i}@contoso.com"), "New User")),
        );
    }
    changes(users, vec![])
}

/// Contoso, carl, the users imported, then the run to undo: every user renamed.
fn seed(path: &Path) -> i64 {
    let store = Store::open(path, &OpenOptions::default()).expect("create");
    store.writer().save_organization(&contoso()).expect("org");
    let policy = PasswordPolicy::default();
    store
        .writer()
        .create_local_user(&local("carl"), &policy)
        .expect("carl");
    let mut writer = store.writer();
    writer
        .apply_directory_changes(&run(), &tenant(0, true))
        .expect("import");
    writer
        .apply_directory_changes(&run(), &tenant(1, true))
        .expect("rename")
        .run_id
}

fn digest(store: &Store) -> u64 {
    store.reader().imported(TENANT).expect("imported").digest()
}

fn child(path: &Path, role: &str) -> ! {
    let store = Store::open(path, &OpenOptions::default()).expect("open");
    println!("{SAYS}ready");
    let _ = std::io::stdout().flush();
    let mut go = String::new();
    let _ = std::io::stdin().read_line(&mut go);
    let words: Vec<&str> = role.split(' ').collect();
    let said = match words[..] {
        ["undo", run_id, token] => {
            let run_id: i64 = run_id.parse().expect("run");
            let choices = UndoChoices::default();
            match store
                .writer()
                .undo_run(run_id, token, &choices, "app", &|| false)
            {
                Ok(done) => format!("undone {}", done.undo_run),
                Err(StoreError::Stale(_)) => "stale".to_owned(),
                Err(other) => format!("failed {other}"),
            }
        }
        ["sync", variant, based_on] => {
            let mut changes = tenant(2, variant == "overlapping");
            changes.based_on = Some(based_on.parse().expect("digest"));
            let mut refused = 0;
            loop {
                match store.writer().apply_directory_changes(&run(), &changes) {
                    Ok(report) => break format!("synced {} {refused}", report.run_id),
                    Err(StoreError::Stale(_)) if refused < 3 => {
                        refused += 1;
                        changes.based_on = Some(digest(&store));
                    }
                    Err(other) => break format!("failed {other}"),
                }
            }
        }
        _ => panic!("role {role}"),
    };
    println!("{SAYS}{said}");
    let _ = std::io::stdout().flush();
    std::process::exit(0)
}

/// A child on `path` in `role` ("undo <run> <token>" or "sync <variant> <digest>").
fn racer(path: &Path, role: &str) -> Helper {
    Helper::ready(
        THIS_TEST,
        SAYS,
        &[(CHILD, path.as_os_str()), (CHILD_ROLE, role.as_ref())],
    )
}

/// Imported users as (object ID → full name), read with SQL.
fn names(path: &Path) -> BTreeMap<String, String> {
    let conn = rusqlite::Connection::open(path).expect("open");
    let mut stmt = conn
        .prepare(
            "SELECT a.object_id, u.full_name FROM users u JOIN azure_users a ON a.user_id = u.id",
        )
        .expect("names");
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("names")
        .collect::<Result<_, _>>()
        .expect("names")
}

/// One race: the undo started `delay` after the synchronization (`undo_first`: the other way
/// round). Returns which serial order it came out as.
fn race(
    dir: &Path,
    base: &Path,
    round: usize,
    overlapping: bool,
    undo_first: bool,
) -> &'static str {
    let path = dir.join(format!("race-{round}.sqlite3"));
    std::fs::copy(base, &path).expect("copy");
    let store = Store::open(&path, &OpenOptions::default()).expect("open");
    let undone_run = store.reader().runs().expect("runs")[0].id;
    let token = store
        .writer()
        .undo_preview(undone_run)
        .expect("preview")
        .token;
    let based_on = digest(&store);
    drop(store);
    let before = dump_file(&path);
    let variant = if overlapping {
        "overlapping"
    } else {
        "disjoint"
    };
    let mut undo = racer(&path, &format!("undo {undone_run} {token}"));
    let mut sync = racer(&path, &format!("sync {variant} {based_on}"));
    let delay = Duration::from_millis([0, 2, 10, 40, 120][round % 5]);
    let (first, second) = if undo_first {
        (&mut undo, &mut sync)
    } else {
        (&mut sync, &mut undo)
    };
    first.go();
    std::thread::sleep(delay);
    second.go();
    let (undid, synced) = (undo.said(), sync.said());
    let what = format!(
        "round {round} ({variant}, undo first: {undo_first}, {delay:?}): {undid}; {synced}"
    );
    println!("{what}");

    let store = Store::open(&path, &OpenOptions::default()).expect("reopen");
    let writer = store.writer();
    assert_intact(writer.connection(), &what);
    assert_log_kept(&before, &dump(writer.connection()), &what);
    drop(writer);
    let sync_words: Vec<&str> = synced.split(' ').collect();
    let ["synced", sync_run, refused] = sync_words[..] else {
        panic!("{what}: the synchronization did not commit");
    };
    let sync_run: i64 = sync_run.parse().expect("run");
    let status = super::view::statuses(&store);
    let order = match undid.split_once(' ') {
        Some(("undone", undo_run)) => {
            let undo_run: i64 = undo_run.parse().expect("run");
            assert_eq!(status[&undone_run], RunStatus::Undone, "{what}");
            if undo_run < sync_run {
                if overlapping {
                    assert_ne!(
                        refused, "0",
                        "{what}: the sync planned again after the undo"
                    );
                }
                "undo, then sync"
            } else {
                assert!(
                    !overlapping,
                    "{what}: undone over a sync that changed its users"
                );
                "sync, then undo"
            }
        }
        None if undid == "stale" => {
            assert!(
                overlapping,
                "{what}: refused though nothing it reverts changed"
            );
            assert_eq!(status[&undone_run], RunStatus::Succeeded, "{what}");
            assert_eq!(refused, "0", "{what}");
            "sync, then undo refused"
        }
        _ => panic!("{what}"),
    };
    let mut expected: BTreeMap<String, String> = tenant(2, overlapping)
        .users
        .into_iter()
        .map(|u| (u.object_id, u.display_name))
        .collect();
    if !overlapping && order == "sync, then undo" {
        // The undo came last and nothing it reverts changed: it reverts all of its run.
        for (id, name) in expected.iter_mut() {
            if id.trim_start_matches("o-").parse::<usize>().expect("n") < USERS {
                *name = "User".into();
            }
        }
    }
    assert_eq!(
        names(&path),
        expected,
        "{what}: users as Entra ID has them, no write lost"
    );
    order
}

#[test]
fn a_sync_and_an_undo_racing_in_two_processes_serialize() {
    if let Some(path) = std::env::var_os(CHILD) {
        let role = std::env::var(CHILD_ROLE).expect("role");
        child(&PathBuf::from(path), &role);
    }
    let dir = tempfile::tempdir().expect("dir");
    let base = dir.path().join("base.sqlite3");
    seed(&base);
    let mut seen: BTreeMap<(bool, &str), usize> = BTreeMap::new();
    for round in 0..10 {
        for overlapping in [true, false] {
            let order = race(
                dir.path(),
                &base,
                round * 2 + usize::from(overlapping),
                overlapping,
                round % 2 == 0,
            );
            *seen.entry((overlapping, order)).or_default() += 1;
        }
    }
    println!("outcomes (overlapping, order): {seen:?}");
}
