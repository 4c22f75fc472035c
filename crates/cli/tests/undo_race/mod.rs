//! Two `aadsync` processes on one database: `undo --run N --yes --token T` with the token of a
//! preview taken before, and `sync` of the same organization, after Entra ID changed again a
//! user run N changed. The undo is started at different moments of the synchronization (with
//! it, while it reads, while it writes, after it). Whichever way they meet, the result is one
//! of the two serial ones: the undo first (the synchronization then plans again from the links
//! the undo put back, and the database ends as Entra ID is), or the synchronization first (the
//! undo refused as stale, nothing written by it). Never a lost write: the imported users and
//! memberships always end as the tenant has them, the integrity check passes and every audit
//! row from before the race is still there.

use crate::support::db::{self, Dump};
use crate::support::tenant::Tenant;
use crate::support::{aadsync, run};
use crate::{ALEX, TwoRuns, memberships_of, two_runs};
use aadsync_testenv::{KeyringMode, in_session};
use reqwest::Method;
use serde_json::json;
use std::path::Path;
use std::time::Duration;

/// Every row of the audit tables before is still there, unchanged.
fn assert_log_kept(before: &Dump, after: &Dump, what: &str) {
    for table in [
        "sync_runs",
        "sync_run_items",
        "sync_run_changes",
        "sync_run_change_parts",
        "azure_decisions",
    ] {
        let lost: Vec<&String> = before
            .rows(table)
            .iter()
            .filter(|r| !after.rows(table).contains(r))
            .collect();
        assert!(lost.is_empty(), "{what}: {table} lost {lost:?}");
    }
}

fn integrity(path: &Path) -> String {
    rusqlite::Connection::open(path)
        .expect("open")
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("integrity")
}

/// When the undo starts.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Start {
    /// This many milliseconds after the synchronization process was started.
    After(u64),
    /// Once the synchronization's change-tracking read has reached Entra ID, which answers it 4 s
    /// late: the undo commits while the synchronization reads, before it plans. Waiting for the
    /// request itself, not for a time, because a loaded machine can take longer than any fixed
    /// sleep to start the process and get that far (CI once did, and the undo came first).
    InsideSlowRead,
    /// After the synchronization ended.
    AfterSync,
}

const STARTS: [Start; 9] = [
    Start::After(0),
    Start::After(150),
    Start::After(250),
    Start::After(300),
    Start::After(350),
    Start::After(400),
    Start::After(800),
    Start::AfterSync,
    Start::InsideSlowRead,
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undo_and_sync_in_two_processes_serialize() {
    if !in_session(
        "undo_race::undo_and_sync_in_two_processes_serialize",
        KeyringMode::Unlocked,
    ) {
        return;
    }
    let setup = two_runs().await;
    let TwoRuns {
        _emulator: emulator,
        _dir: dir,
        db,
        second,
        ..
    } = &setup;
    let tenant = Tenant::new(emulator);
    let marketing = tenant.group_id("Marketing").await;
    let imported: Vec<String> = db::imported_users(db).into_keys().collect();
    let second = second.to_string();
    let preview = run(aadsync(db, &["undo", "--run", &second])).await;
    assert_eq!(preview.code, Some(6), "{preview}");
    let token = crate::token_in(&preview.stdout);

    let mut outcomes = Vec::new();
    for (round, start) in STARTS.into_iter().enumerate() {
        let slow_read = start == Start::InsideSlowRead;
        // Entra ID renames Alex again: the run the undo reverts renamed him too.
        tenant
            .control(
                Method::PATCH,
                &format!("users/{ALEX}"),
                json!({"userPrincipalName": format!("alex.round{round}@contoso.com")}),
            )
            .await;
        if slow_read {
            let slow = json!({"path": "/v1.0/users/delta*", "kind": "latency", "millis": 4000, "times": 1});
            tenant.control(Method::POST, "faults", slow).await;
        }
        let copy = dir.path().join(format!("race-{round}.sqlite3"));
        std::fs::copy(db, &copy).expect("copy");
        let before = db::dump(&copy);
        let sync = tokio::spawn(run(aadsync(&copy, &["sync", "--org", "1"])));
        let undo_args = ["undo", "--run", &second, "--yes", "--token", &token];
        let (synced, undone) = match start {
            Start::After(ms) => {
                tokio::time::sleep(Duration::from_millis(ms)).await;
                let undone = run(aadsync(&copy, &undo_args)).await;
                (sync.await.expect("sync"), undone)
            }
            Start::InsideSlowRead => {
                tenant.until_faults_applied().await;
                let undone = run(aadsync(&copy, &undo_args)).await;
                (sync.await.expect("sync"), undone)
            }
            Start::AfterSync => {
                let synced = sync.await.expect("sync");
                (synced, run(aadsync(&copy, &undo_args)).await)
            }
        };
        let what = format!("round {round}, undo {start:?}");
        assert_eq!(synced.code, Some(0), "{what}: {synced}");
        assert_eq!(integrity(&copy), "ok", "{what}");
        assert_log_kept(&before, &db::dump(&copy), &what);
        let runs = db::runs(&copy);
        let sync_run = runs.iter().filter(|r| r.kind == "sync").map(|r| r.id).max();
        let undo_run = runs.iter().find(|r| r.kind == "undo").map(|r| r.id);
        let order = match (undone.code, undo_run) {
            (Some(0), Some(undo_run)) => {
                assert!(
                    Some(undo_run) < sync_run,
                    "{what}: the undo committed after a sync that changed its users"
                );
                "undo, then sync"
            }
            (Some(1), None) => {
                assert!(
                    undone.stderr.contains("changed since the undo of run"),
                    "{what}: {undone}"
                );
                "sync, then undo refused"
            }
            _ => panic!("{what}: {undone}\n{runs:?}"),
        };
        // No write lost: the users and memberships are the tenant's.
        assert_eq!(
            db::imported_users(&copy),
            tenant.users(&imported).await,
            "{what} ({order})"
        );
        assert_eq!(
            db::memberships(&copy),
            memberships_of(&marketing, &tenant.user_members(&marketing).await),
            "{what} ({order})"
        );
        if slow_read {
            // The undo committed while the synchronization read from the links it moved.
            assert_eq!(order, "undo, then sync", "{what}");
            assert!(synced.stderr.contains("planning again"), "{what}: {synced}");
            tenant.control(Method::DELETE, "faults", json!({})).await;
        }
        println!("{what}: {order}; sync said: {}", synced.stderr.trim());
        outcomes.push(order);
    }
    assert!(
        outcomes.contains(&"sync, then undo refused"),
        "the undo after the sync is refused: {outcomes:?}"
    );
}
