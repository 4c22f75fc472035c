//! The app killed (SIGKILL) while it restores a backup, at known points inside the restore's
//! transaction (as `kill.rs` does for an apply): afterwards the database opens, passes SQLite's
//! integrity check and holds exactly what it held before; the restore can be run again.
#![cfg(unix)]

use crate::pause::{self, Point};
use crate::support::{
    assert_same, changes, contoso, dump_file, entra_group, entra_user, local, quick, run,
};
use aadsync_store::{PasswordPolicy, Store};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};

const CHILD: &str = "AADSYNC_RESTORE_KILL_DB";
const CHILD_POINT: &str = "AADSYNC_RESTORE_KILL_POINT";
const SAYS: &str = "restore kill child: ";
const THIS_TEST: &str = "backup_kill::a_killed_restore_leaves_the_database_as_before";
/// Users imported after the backup: the restore deletes them all, so its transaction outgrows
/// the page cache and spills uncommitted pages into the WAL before the kill.
const USERS: usize = 20_000;

/// Where the child is killed, in the order the restore gets there.
const KILL_POINTS: [Point; 2] = [
    Point {
        name: "the backup's first user, after every delete",
        trigger: "AFTER INSERT ON main.users",
    },
    Point {
        name: "the apply marker released, the statement before COMMIT",
        trigger: "AFTER DELETE ON main.sync_apply_marker",
    },
];

fn wal_len(db: &Path) -> u64 {
    let mut wal = db.as_os_str().to_owned();
    wal.push("-wal");
    std::fs::metadata(wal).map_or(0, |m| m.len())
}

fn backup_of(store: &Store) -> PathBuf {
    store.backups().expect("list")[0].path.clone()
}

/// The child's part: restore, stop at the point and wait for SIGKILL.
fn child(path: &Path, name: &str) -> ! {
    let store = Store::open(path, &quick()).expect("open");
    println!("{SAYS}started wal={}", wal_len(path));
    let point = KILL_POINTS
        .iter()
        .find(|p| p.name == name)
        .expect("known point");
    let wal = path.to_path_buf();
    pause::install(store.writer().connection(), point, move || {
        println!("{SAYS}paused wal={}", wal_len(&wal));
        wait_for_kill()
    });
    let backup = backup_of(&store);
    let restored = store.writer().restore_backup(&backup, "admin");
    println!("{SAYS}finished {restored:?}");
    wait_for_kill()
}

fn wait_for_kill() -> ! {
    let _ = std::io::stdout().flush();
    let _ = std::io::stdin().read(&mut [0]);
    std::process::exit(3)
}

struct Killable(Child);

impl Drop for Killable {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Runs the child to `point` and kills it there: the WAL's size when it started and paused.
fn kill_at(path: &Path, point: &str) -> (u64, u64) {
    let mut command = crate::support::alone(THIS_TEST);
    command
        .env(CHILD, path)
        .env(CHILD_POINT, point)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped());
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
        } else if let Some(wal) = line.strip_prefix("paused wal=") {
            child.0.kill().expect("kill");
            let _ = child.0.wait();
            return (started.expect("started first"), wal.parse().expect("size"));
        } else {
            panic!("{point}: the restore did not pause: {line}");
        }
    }
    panic!("{point}: the child ended without reaching its point");
}

/// Contoso and carl, backed up; then 20,000 users and a group imported.
fn seed(path: &Path) {
    let store = Store::open(path, &quick()).expect("create");
    store.writer().save_organization(&contoso()).expect("org");
    store
        .writer()
        .create_local_user(&local("carl"), &PasswordPolicy::default())
        .expect("local");
    store.writer().backup().expect("backup");
    let users: Vec<_> = (0..USERS)
        .map(|i| entra_user(&format!("o-{i}"), &format!("u{i}@contoso.com"), "User"))
        .collect();
    let members: Vec<String> = (0..USERS).step_by(3).map(|i| format!("o-{i}")).collect();
    let members: Vec<&str> = members.iter().map(String::as_str).collect();
    store
        .writer()
        .apply_directory_changes(
            &run(),
            &changes(users, vec![entra_group("g-1", "Everyone", &members)]),
        )
        .expect("import");
}

#[test]
fn a_killed_restore_leaves_the_database_as_before() {
    if let (Some(path), Ok(point)) = (std::env::var_os(CHILD), std::env::var(CHILD_POINT)) {
        child(&PathBuf::from(path), &point);
    }
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("killed.sqlite3");
    seed(&path);
    let before = dump_file(&path);
    for point in KILL_POINTS {
        let (started, paused) = kill_at(&path, point.name);
        assert!(
            paused > started,
            "{}: no uncommitted page reached the WAL ({started} → {paused} bytes)",
            point.name
        );
        let store = Store::open(&path, &quick()).expect("reopens after the kill");
        let integrity: String = store
            .writer()
            .connection()
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .expect("integrity");
        assert_eq!(integrity, "ok", "{}", point.name);
        drop(store);
        assert_same(&dump_file(&path), &before, point.name);
    }
    // The killed restores' temporary copies are neither listed nor in the way.
    let store = Store::open(&path, &quick()).expect("open");
    let backup = backup_of(&store);
    assert_eq!(store.backups().expect("list").len(), 1);
    store
        .writer()
        .restore_backup(&backup, "admin")
        .expect("restore after the kills");
    assert_eq!(store.reader().count_users().expect("count"), 1, "carl");
}
