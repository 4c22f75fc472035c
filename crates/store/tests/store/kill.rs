//! The app killed (SIGKILL) at several points during an apply: afterwards the database opens,
//! passes SQLite's integrity check, holds either none or all of the run (never part of it, never
//! a run left "running"), and a rerun completes.
#![cfg(unix)]

use crate::support::{changes, entra_group, entra_user, quick, run};
use aadsync_store::Store;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

const CHILD: &str = "AADSYNC_KILL_TEST_DB";
const USERS: usize = 20_000;

fn big() -> aadsync_store::DirectoryChanges {
    let users: Vec<_> = (0..USERS)
        .map(|i| entra_user(&format!("o-{i}"), &format!("u{i}@contoso.com"), "User"))
        .collect();
    let members: Vec<String> = (0..USERS).step_by(3).map(|i| format!("o-{i}")).collect();
    let members: Vec<&str> = members.iter().map(String::as_str).collect();
    changes(users, vec![entra_group("g-1", "Everyone", &members)])
}

/// In the child: apply once, saying when it starts.
#[test]
fn child_applies() {
    let Some(path) = std::env::var_os(CHILD) else {
        return;
    };
    let store = Store::open(std::path::Path::new(&path), &quick()).expect("open");
    let work = big();
    println!("applying");
    store
        .writer()
        .apply_directory_changes(&run(), &work)
        .expect("apply");
    println!("applied");
}

#[test]
fn a_killed_apply_leaves_all_or_nothing_and_a_rerun_completes() {
    if std::env::var_os(CHILD).is_some() {
        return;
    }
    // How long one apply takes here, so the kills land before, during and after the commit.
    let measure = tempfile::tempdir().expect("dir");
    let path = measure.path().join("timed.sqlite3");
    drop(Store::open(&path, &quick()).expect("create"));
    let mut child = Command::new(std::env::current_exe().expect("exe"))
        .args([
            "--exact",
            "kill::child_applies",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD, &path)
        .stdout(Stdio::piped())
        .spawn()
        .expect("child");
    let mut started = None;
    let mut took = Duration::from_secs(1);
    for line in BufReader::new(child.stdout.take().expect("stdout")).lines() {
        let line = line.expect("line");
        if line.contains("applying") {
            started = Some(std::time::Instant::now());
        } else if line.contains("applied") {
            took = started.map_or(took, |s| s.elapsed());
        }
    }
    let _ = child.wait();
    let ms = took.as_millis() as u64;
    let mut outcomes = Vec::new();
    for delay_ms in [
        0,
        ms * 3 / 10,
        ms * 7 / 10,
        ms * 95 / 100,
        ms * 105 / 100,
        ms * 3 / 2,
    ] {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("killed.sqlite3");
        drop(Store::open(&path, &quick()).expect("create"));
        let mut child = Command::new(std::env::current_exe().expect("exe"))
            .args([
                "--exact",
                "kill::child_applies",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD, &path)
            .stdout(Stdio::piped())
            .spawn()
            .expect("child");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        loop {
            match lines.next() {
                Some(Ok(line)) if line.contains("applying") => break,
                Some(_) => continue,
                None => panic!("the child ended before applying"),
            }
        }
        std::thread::sleep(Duration::from_millis(delay_ms));
        // SIGKILL: no destructor, no rollback by the process itself.
        child.kill().expect("kill");
        let _ = child.wait();

        let store = Store::open(&path, &quick()).expect("reopens after the kill");
        let writer = store.writer();
        let conn = writer.connection();
        let integrity: String = conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .expect("integrity");
        assert_eq!(integrity, "ok", "after {delay_ms} ms");
        let users: i64 = conn
            .query_row("SELECT count(*) FROM users", [], |r| r.get(0))
            .expect("users");
        let running: i64 = conn
            .query_row(
                "SELECT count(*) FROM sync_runs WHERE status <> 'succeeded'",
                [],
                |r| r.get(0),
            )
            .expect("runs");
        let marker: i64 = conn
            .query_row("SELECT count(*) FROM sync_apply_marker", [], |r| r.get(0))
            .expect("marker");
        assert!(
            users == 0 || users == USERS as i64,
            "after {delay_ms} ms: {users} users — a partial run"
        );
        assert_eq!((running, marker), (0, 0), "after {delay_ms} ms");
        outcomes.push(users);
        drop(writer);

        // A rerun completes (creating what is missing, or finding everything unchanged).
        let report = store
            .writer()
            .apply_directory_changes(&run(), &big())
            .expect("rerun");
        assert_eq!(report.failed, 0);
        assert_eq!(store.reader().count_users().expect("count"), USERS as u64);
    }
    println!("apply took {ms} ms; users committed at each kill: {outcomes:?}");
    assert!(
        outcomes.contains(&0),
        "no kill landed before the commit: {outcomes:?}"
    );
}
