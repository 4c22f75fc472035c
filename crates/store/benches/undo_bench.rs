//! Undo benchmark: `cargo bench -p aadsync-store --bench undo_bench`.
//!
//! The write part of an incremental synchronization at 100k users / 5k groups / 300k
//! memberships (the store's share of `BENCHMARKS.md` (e): the imported state, the plan, the
//! apply) with 60 changes — 50 users renamed, 5 members added and 5 removed in 10 groups — as
//! undo by changesets does it (the apply records its changeset) and as the snapshot-based undo
//! did it (a backup-API copy of the whole database before the apply); the undo of that run; and
//! the disk the undo data takes: the run's changeset next to the database, and the changeset of
//! a full synchronization that finds all 105,000 objects unchanged.
//!
//! Built with `--cfg old_store` it measures the snapshot way alone, against a store from before
//! undo by changesets (commit 7dc8473; see `BENCHMARKS.md` for the commands).
//! Sizes: BENCH_USERS, BENCH_GROUPS, BENCH_MEMBERS_PER_GROUP; BENCH_ROUNDS (7).

// A benchmark reports by panicking on setup failures.
#![allow(clippy::expect_used, clippy::unwrap_used, unexpected_cfgs)]

mod directory;

use aadsync_store::{DirectoryChanges, OpenOptions, RunInfo, Store};
use directory::{directory, env};
use std::path::Path;
use std::time::{Duration, Instant};

/// The 60 changes: `renamed` true gives them, false takes them back (both are a sync of the
/// same 50 users and 10 groups).
fn sixty(full: &DirectoryChanges, renamed: bool) -> DirectoryChanges {
    let step = full.users.len() / 50;
    let users = (0..50)
        .map(|k| {
            let mut user = full.users[k * step].clone();
            if renamed {
                user.display_name.push_str(" (renamed)");
            }
            user
        })
        .collect();
    let group_step = full.groups.len() / 10;
    let groups = (0..10)
        .map(|k| {
            let mut group = full.groups[k * group_step].clone();
            if renamed {
                let members = group.members.as_mut().expect("members");
                if k < 5 {
                    members.remove(0);
                } else {
                    // A user of a group far away: not a member here yet.
                    members.push(full.users[((k * 7 + 3) % 50) * step + 1].object_id.clone());
                }
            }
            group
        })
        .collect();
    DirectoryChanges {
        users,
        groups,
        ..DirectoryChanges::default()
    }
}

/// How long each part of a write took.
#[derive(Default, Clone)]
struct Parts {
    /// The imported state and the plan: the preview the administrator confirms.
    preview: Vec<Duration>,
    /// The copy of the whole database the snapshot-based undo took first.
    snapshot: Vec<Duration>,
    /// The apply's transaction (it loads the imported state and plans again inside).
    apply: Vec<Duration>,
    /// All of it.
    total: Vec<Duration>,
}

/// The write part of a sync: the preview, then the apply; `snapshot`: first a copy of the
/// whole database there, as the snapshot-based undo did.
fn write(
    store: &Store,
    run: &RunInfo,
    changes: &DirectoryChanges,
    snapshot: Option<&Path>,
    parts: &mut Parts,
) -> i64 {
    let start = Instant::now();
    let imported = store.reader().imported(&run.tenant_id).expect("imported");
    let plan = aadsync_store::plan::plan(&imported, changes);
    assert_eq!(plan.counts.updated, 60, "50 users and 10 groups updated");
    parts.preview.push(start.elapsed());
    let mut writer = store.writer();
    if let Some(path) = snapshot {
        let t = Instant::now();
        writer.snapshot_to(path).expect("snapshot");
        parts.snapshot.push(t.elapsed());
    }
    let t = Instant::now();
    let report = writer.apply_directory_changes(run, changes).expect("apply");
    #[cfg(old_store)]
    if let Some(path) = snapshot {
        writer
            .set_run_snapshot(report.run_id, path)
            .expect("snapshot path");
    }
    parts.apply.push(t.elapsed());
    parts.total.push(start.elapsed());
    report.run_id
}

fn print(what: &str, parts: &Parts) {
    let part = |name: &str, v: &Vec<Duration>| {
        if v.is_empty() {
            String::new()
        } else {
            format!(", {name} {:.2?}", median(v.clone()))
        }
    };
    println!(
        "{what}: median {:.2?} ({}) over {}{}{}{}",
        median(parts.total.clone()),
        range(&parts.total),
        parts.total.len(),
        part("preview", &parts.preview),
        part("snapshot", &parts.snapshot),
        part("apply", &parts.apply),
    );
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn range(v: &[Duration]) -> String {
    let (lo, hi) = (v.iter().min().expect("one"), v.iter().max().expect("one"));
    format!("{lo:.2?}–{hi:.2?}")
}

fn rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / 1_048_576.0
}

/// The database's size: its pages (the WAL is checkpointed into them on close).
fn db_bytes(store: &Store) -> u64 {
    let writer = store.writer();
    let pages: i64 = writer
        .connection()
        .query_row(
            "SELECT page_count * page_size FROM pragma_page_count, pragma_page_size",
            [],
            |r| r.get(0),
        )
        .expect("size");
    u64::try_from(pages).unwrap_or_default()
}

#[cfg(not(old_store))]
fn changeset_bytes(store: &Store, run_id: i64) -> u64 {
    let writer = store.writer();
    let bytes: i64 = writer
        .connection()
        .query_row(
            "SELECT coalesce(sum(length(bytes)), 0) FROM sync_run_change_parts WHERE run_id = ?1",
            [run_id],
            |r| r.get(0),
        )
        .expect("changeset");
    u64::try_from(bytes).unwrap_or_default()
}

/// Undoes `run_id` (preview, then the undo with its token); the time of both.
#[cfg(not(old_store))]
fn undo(store: &Store, run_id: i64) -> Duration {
    let t = Instant::now();
    let plan = store.writer().undo_preview(run_id).expect("preview");
    assert!(plan.conflicts.is_empty(), "{:?}", plan.conflicts);
    store
        .writer()
        .undo_run(
            run_id,
            &plan.token,
            &aadsync_store::UndoChoices::default(),
            "bench",
            &|| false,
        )
        .expect("undo");
    t.elapsed()
}

fn main() {
    let users = env("BENCH_USERS", 100_000);
    let groups = env("BENCH_GROUPS", 5_000);
    let per_group = env("BENCH_MEMBERS_PER_GROUP", 60);
    let rounds = env("BENCH_ROUNDS", 7);
    let run = RunInfo {
        tenant_id: "6e1b4d0c-2f7a-4c55-9d1e-8a3f5b2c7d90".into(),
        started_by: "bench@contoso.com".into(),
    };
    let full = directory(users, groups, per_group);
    let (give, take) = (sixty(&full, true), sixty(&full, false));
    let dir = tempfile::tempdir().expect("dir");
    let store =
        Store::open(&dir.path().join("bench.sqlite3"), &OpenOptions::default()).expect("open");
    let t = Instant::now();
    let first = store
        .writer()
        .apply_directory_changes(&run, &full)
        .expect("import");
    println!(
        "imported {users} users, {groups} groups, {} memberships in {:.2?}; database {:.1} MiB",
        groups * per_group,
        t.elapsed(),
        mib(db_bytes(&store))
    );

    // The snapshot way: a copy of the whole database before each apply.
    let mut parts = Parts::default();
    let mut snapshot_size = 0;
    for round in 0..rounds {
        let path = dir.path().join(format!("snapshot-{round}.sqlite3"));
        write(&store, &run, &give, Some(&path), &mut parts);
        snapshot_size = std::fs::metadata(&path).expect("snapshot").len();
        std::fs::remove_file(&path).expect("remove");
        write(&store, &run, &take, None, &mut Parts::default());
    }
    print("snapshot + apply of 60 changes", &parts);
    println!("snapshot file {:.1} MiB", mib(snapshot_size));
    #[cfg(not(old_store))]
    changesets(&store, &run, &full, (&give, &take), rounds, first.run_id);
    #[cfg(old_store)]
    let _ = first;
    println!("peak RSS {:.0} MiB", rss_mib());
}

/// The changeset way: the apply alone, then its undo; the undo data on disk.
#[cfg(not(old_store))]
fn changesets(
    store: &Store,
    run: &RunInfo,
    full: &DirectoryChanges,
    (give, take): (&DirectoryChanges, &DirectoryChanges),
    rounds: usize,
    first: i64,
) {
    let (mut parts, mut undos, mut bytes) = (Parts::default(), Vec::new(), 0);
    for _ in 0..rounds {
        let run_id = write(store, run, give, None, &mut parts);
        bytes = changeset_bytes(store, run_id);
        undos.push(undo(store, run_id));
    }
    // Back where the snapshot rounds started, then a full sync finding everything unchanged.
    write(store, run, give, None, &mut Parts::default());
    write(store, run, take, None, &mut Parts::default());
    let unchanged = store
        .writer()
        .apply_directory_changes(run, full)
        .expect("re-sync");
    assert_eq!(unchanged.counts.updated, 0);
    let db = db_bytes(store);
    print("apply of 60 changes recording its changeset", &parts);
    println!(
        "undo of that run (preview + undo): median {:.2?} ({})",
        median(undos.clone()),
        range(&undos)
    );
    println!(
        "changeset of the 60-change run: {bytes} bytes = {:.5} % of the {:.1} MiB database",
        100.0 * bytes as f64 / db as f64,
        mib(db)
    );
    println!(
        "changeset of a full sync of {} unchanged objects: {} bytes; of the first import: {:.1} MiB",
        full.users.len() + full.groups.len(),
        changeset_bytes(store, unchanged.run_id),
        mib(changeset_bytes(store, first))
    );
}
