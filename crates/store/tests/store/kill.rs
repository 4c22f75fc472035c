//! The app killed (SIGKILL) during an apply: the kill lands at known points inside the apply's
//! transaction (and once after its COMMIT), never at a guessed time. Afterwards the database
//! opens, passes SQLite's integrity check and holds exactly what it held before the apply (or,
//! after the COMMIT, all of the run); a rerun completes.
//!
//! The child process is this same test run again with [`CHILD`] set: it applies with a pause
//! point installed (see `pause.rs`), says so on stdout from inside the transaction and waits
//! there to be killed. There is no separate child test that would pass while doing nothing.
#![cfg(unix)]

use crate::pause::{self, Point};
use crate::support::{
    assert_same, changes, contoso, dump, dump_file, entra_group, entra_user, local, quick, run,
};
use aadsync_store::{PasswordPolicy, Store};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};

/// Set in the child: the database to apply to.
const CHILD: &str = "AADSYNC_KILL_TEST_DB";
/// Set in the child: the name of the [`Point`] to stop at (none: stop after the COMMIT).
const CHILD_POINT: &str = "AADSYNC_KILL_TEST_POINT";
/// Starts each line the child prints (libtest may have printed on the same line before it).
const SAYS: &str = "kill child: ";
const THIS_TEST: &str = "kill::a_killed_apply_leaves_the_database_as_before_or_complete";
/// Enough rows that the transaction outgrows SQLite's page cache and spills uncommitted pages
/// into the WAL file before the COMMIT: the kill leaves them on disk for recovery to ignore.
const USERS: usize = 20_000;

/// Where the child is killed, in the order the apply gets there. `wal_grows`: the apply has by
/// then written uncommitted pages to the WAL file (checked, so the kill provably left them).
const KILL_POINTS: [(Point, bool); 4] = [
    (
        Point {
            name: "the first directory user",
            trigger: "AFTER INSERT ON main.users WHEN NEW.account_name = 'u0@contoso.com'",
        },
        false,
    ),
    (
        Point {
            name: "a membership, after every user",
            trigger: "AFTER INSERT ON main.memberships",
        },
        true,
    ),
    (
        Point {
            name: "the last audit item",
            trigger: "AFTER INSERT ON main.sync_run_items WHEN NEW.object_id = 'g-1'",
        },
        true,
    ),
    (
        Point {
            name: "the apply marker released, the statement before COMMIT",
            trigger: "AFTER DELETE ON main.sync_apply_marker",
        },
        true,
    ),
];

fn big() -> aadsync_store::DirectoryChanges {
    let users: Vec<_> = (0..USERS)
        .map(|i| entra_user(&format!("o-{i}"), &format!("u{i}@contoso.com"), "User"))
        .collect();
    let members: Vec<String> = (0..USERS).step_by(3).map(|i| format!("o-{i}")).collect();
    let members: Vec<&str> = members.iter().map(String::as_str).collect();
    changes(users, vec![entra_group("g-1", "Everyone", &members)])
}

fn wal_len(db: &Path) -> u64 {
    let mut wal = db.as_os_str().to_owned();
    wal.push("-wal");
    std::fs::metadata(wal).map_or(0, |m| m.len())
}

/// The child's part: apply, stop at the pause point (or after the COMMIT) and wait for SIGKILL.
fn child(path: &Path, point: Option<&str>) -> ! {
    let store = Store::open(path, &quick()).expect("open");
    println!("{SAYS}started wal={}", wal_len(path));
    if let Some(name) = point {
        let (point, _) = KILL_POINTS
            .iter()
            .find(|(p, _)| p.name == name)
            .expect("known point");
        let wal = path.to_path_buf();
        pause::install(store.writer().connection(), point, move || {
            println!("{SAYS}paused wal={}", wal_len(&wal));
            wait_for_kill()
        });
    }
    let report = store.writer().apply_directory_changes(&run(), &big());
    println!("{SAYS}committed {:?}", report.map(|r| r.counts.created));
    wait_for_kill()
}

/// Blocks until the parent kills this process. Should the parent die first, its end of stdin
/// closes and the child leaves without cleaning up (as abruptly as a kill), so none lingers.
fn wait_for_kill() -> ! {
    let _ = std::io::stdout().flush();
    let _ = std::io::stdin().read(&mut [0]);
    std::process::exit(3)
}

/// The child process; killed when dropped, so a failing test leaves no process behind.
struct Killable(Child);

impl Drop for Killable {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Runs the child to `point`, kills it there and returns what it printed last (and the WAL
/// size it saw when it started).
fn kill_at(path: &Path, point: Option<&str>) -> (u64, String) {
    let mut command = crate::support::alone(THIS_TEST);
    command
        .env(CHILD, path)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped());
    if let Some(name) = point {
        command.env(CHILD_POINT, name);
    }
    let mut child = Killable(command.spawn().expect("child"));
    let lines = BufReader::new(child.0.stdout.take().expect("stdout")).lines();
    let mut started = None;
    for line in lines {
        let line = line.expect("line");
        let Some((_, line)) = line.split_once(SAYS) else {
            continue;
        };
        if let Some(wal) = line.strip_prefix("started wal=") {
            started = Some(wal.parse().expect("size"));
        } else if line.starts_with("paused") || line.starts_with("committed") {
            // SIGKILL: no destructor, no rollback by the process itself.
            child.0.kill().expect("kill");
            let _ = child.0.wait();
            return (started.expect("started first"), line.to_owned());
        }
    }
    panic!("{point:?}: the child ended without reaching its point");
}

/// Contoso saved and a local user: what every apply starts from.
fn seed(path: &Path) {
    let store = Store::open(path, &quick()).expect("create");
    store.writer().save_organization(&contoso()).expect("org");
    store
        .writer()
        .create_local_user(&local("carl"), &PasswordPolicy::default())
        .expect("local");
}

/// Reopens after the kill (as the app would) and checks SQLite's integrity.
fn reopen(path: &Path, what: &str) -> Store {
    let store = Store::open(path, &quick()).expect("reopens after the kill");
    let integrity: String = store
        .writer()
        .connection()
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("integrity");
    assert_eq!(integrity, "ok", "{what}");
    store
}

#[test]
fn a_killed_apply_leaves_the_database_as_before_or_complete() {
    if let Some(path) = std::env::var_os(CHILD) {
        let point = std::env::var(CHILD_POINT).ok();
        child(&PathBuf::from(path), point.as_deref());
    }
    for (point, wal_grows) in KILL_POINTS {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("killed.sqlite3");
        seed(&path);
        let before = dump_file(&path);
        let (started, last) = kill_at(&path, Some(point.name));
        let at_pause: u64 = last
            .strip_prefix("paused wal=")
            .unwrap_or_else(|| panic!("{}: the apply did not pause: {last}", point.name))
            .parse()
            .expect("size");
        println!(
            "{}: WAL {started} → {at_pause} bytes at the kill",
            point.name
        );
        if wal_grows {
            assert!(
                at_pause > started,
                "{}: no uncommitted page reached the WAL ({started} → {at_pause} bytes)",
                point.name
            );
        }
        let store = reopen(&path, point.name);
        assert_same(
            &dump(store.writer().connection()),
            &before,
            &format!("{}: the killed apply left a trace", point.name),
        );
        let report = store
            .writer()
            .apply_directory_changes(&run(), &big())
            .expect("rerun");
        assert_eq!(
            (
                report.counts.created,
                report.counts.unchanged,
                report.counts.failed
            ),
            (USERS as u64 + 1, 0, 0),
            "{}",
            point.name
        );
        assert_complete(&store, 1, point.name);
    }

    // Killed right after the COMMIT: all of the run is there, and a rerun finds it unchanged.
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("killed.sqlite3");
    seed(&path);
    let (_, last) = kill_at(&path, None);
    assert_eq!(last, format!("committed Ok({})", USERS + 1));
    let store = reopen(&path, "after the COMMIT");
    assert_complete(&store, 1, "after the COMMIT");
    let report = store
        .writer()
        .apply_directory_changes(&run(), &big())
        .expect("rerun");
    assert_eq!(
        (
            report.counts.created,
            report.counts.unchanged,
            report.counts.failed
        ),
        (0, USERS as u64 + 1, 0)
    );
    assert_complete(&store, 2, "rerun after the COMMIT");
}

/// The database holds all of the big apply and `runs` succeeded runs, nothing half-done.
fn assert_complete(store: &Store, runs: i64, what: &str) {
    let writer = store.writer();
    let conn = writer.connection();
    let count = |sql: &str| -> i64 { conn.query_row(sql, [], |r| r.get(0)).expect(sql) };
    let users = USERS as i64;
    assert_eq!(
        [
            count("SELECT count(*) FROM users WHERE auth_type = 'azure_ad'"),
            count("SELECT count(*) FROM users WHERE auth_type = 'local'"),
            count("SELECT count(*) FROM azure_users"),
            count("SELECT count(*) FROM azure_groups"),
            count("SELECT count(*) FROM memberships"),
            count("SELECT count(*) FROM sync_runs WHERE status = 'succeeded'"),
            count("SELECT count(*) FROM sync_runs"),
            count("SELECT count(*) FROM sync_run_items WHERE run_id = 1"),
            count("SELECT count(*) FROM sync_apply_marker"),
            count("SELECT count(*) FROM organizations WHERE last_sync_at IS NOT NULL"),
        ],
        // Every third user is a member of the one group; one audit item per user and group.
        [
            users,
            1,
            users,
            1,
            USERS.div_ceil(3) as i64,
            runs,
            runs,
            users + 1,
            0,
            1
        ],
        "{what}"
    );
}
