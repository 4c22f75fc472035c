//! Store benchmark: `cargo bench -p aadsync-store --bench store_bench`.
//!
//! (1) Apply a 100k-user / 5k-group / 300k-membership directory in one transaction through the
//! sync apply path, next to a raw rusqlite insert of the same rows into the same schema (the
//! floor); target: within 2×. (2) The Users area's backend work at 100k users: loading and
//! packing the rows, a first window, filters, and the memory the index holds.
//! Sizes can be changed with BENCH_USERS, BENCH_GROUPS and BENCH_MEMBERS_PER_GROUP.

// A benchmark reports by panicking on setup failures.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use aadsync_store::view::{SortKey, UserIndex, UserQuery};
use aadsync_store::{OpenOptions, RunInfo, Store};
use std::time::{Duration, Instant};

mod directory;

use directory::{directory, env};

fn fresh(dir: &tempfile::TempDir, name: &str) -> Store {
    Store::open(&dir.path().join(name), &OpenOptions::default()).expect("open")
}

fn rss_mib() -> f64 {
    status_mib("VmHWM:")
}

/// A memory figure of this process from `/proc/self/status`, in MiB.
fn status_mib(field: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    // `cargo bench` passes --bench; nothing else to parse.
    let users = env("BENCH_USERS", 100_000);
    let groups = env("BENCH_GROUPS", 5_000);
    let per_group = env("BENCH_MEMBERS_PER_GROUP", 60);
    let run = RunInfo {
        tenant_id: "6e1b4d0c-2f7a-4c55-9d1e-8a3f5b2c7d90".into(),
        started_by: "bench@contoso.com".into(),
    };
    let t = Instant::now();
    let changes = directory(users, groups, per_group);
    println!(
        "generated {users} users, {groups} groups, {} memberships in {:.2?}",
        groups * per_group,
        t.elapsed()
    );
    let dir = tempfile::tempdir().expect("dir");

    let raw_store = fresh(&dir, "raw.sqlite3");
    let t = Instant::now();
    let rows = aadsync_store::baseline::raw_insert(&raw_store, &run, &changes).expect("raw insert");
    let raw = t.elapsed();

    let store = fresh(&dir, "apply.sqlite3");
    let t = Instant::now();
    let report = store
        .writer()
        .apply_directory_changes(&run, &changes)
        .expect("apply");
    let apply = t.elapsed();
    println!(
        "apply report: created {} updated {} unchanged {} failed {}",
        report.counts.created, report.counts.updated, report.counts.unchanged, report.counts.failed
    );
    assert_eq!(report.counts.created as usize, users + groups);
    assert_eq!(report.counts.failed, 0);

    let t = Instant::now();
    let again = store
        .writer()
        .apply_directory_changes(&run, &changes)
        .expect("re-apply");
    let reapply = t.elapsed();
    assert_eq!(again.counts.unchanged as usize, users + groups);

    let per_s = |d: Duration| rows as f64 / d.as_secs_f64();
    println!("\n| {rows} rows in one transaction | time | rows/s |");
    println!("|---|---|---|");
    println!(
        "| raw rusqlite insert (floor) | {raw:.2?} | {:.0} |",
        per_s(raw)
    );
    println!(
        "| sync apply path, first import | {apply:.2?} | {:.0} |",
        per_s(apply)
    );
    println!(
        "| sync apply path, unchanged re-sync | {reapply:.2?} | {:.0} |",
        per_s(reapply)
    );
    println!(
        "apply / raw = {:.2}× (target ≤ 2×)",
        apply.as_secs_f64() / raw.as_secs_f64()
    );

    // The Users area's backend: load, index, first window, filters.
    let resident = status_mib("VmRSS:");
    let t = Instant::now();
    let index: UserIndex = store.reader().user_index().expect("index");
    let load = t.elapsed();
    let query = |filter: &str, sort| UserQuery {
        filter: filter.into(),
        sort,
        descending: false,
        offset: 0,
        limit: 100,
    };
    let t = Instant::now();
    let first = index.query(&query("", SortKey::Account));
    let first_window = t.elapsed();
    assert_eq!(first.total, users);
    let filters = ["smith", "müller12", "sales", "zzz-nothing", "a"];
    let mut times = Vec::new();
    for f in filters {
        let t = Instant::now();
        let _ = index.query(&query(f, SortKey::Account));
        times.push(t.elapsed());
    }
    let t = Instant::now();
    let _ = index.query(&query("", SortKey::Department));
    let resort = t.elapsed();
    let grown = status_mib("VmRSS:") - resident;
    println!("\n| Users area backend at {users} users | time |");
    println!("|---|---|");
    println!("| load rows from SQLite and pack them | {load:.2?} |");
    println!("| first window (sort by account, 100 rows) | {first_window:.2?} |");
    println!(
        "| filter, median of {} terms | {:.2?} |",
        filters.len(),
        median(times)
    );
    println!("| first sort by another column | {resort:.2?} |");
    println!(
        "| index held, two sort orders | {:.0} MiB (resident growth since before the load: {grown:.0} MiB) |",
        index.heap_bytes() as f64 / 1_048_576.0
    );

    // What every run loads before it plans: a first load (a store just opened), then the
    // preview's and the apply's, which reuse it while nothing was committed.
    let (mut loads, mut kept, mut digests) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..3 {
        let opened = fresh(&dir, "apply.sqlite3");
        let t = Instant::now();
        let imported = opened.reader().imported(&run.tenant_id).expect("imported");
        loads.push(t.elapsed());
        assert_eq!(imported.users.len(), users);
        let t = Instant::now();
        let (again, _) = opened
            .reader()
            .imported_pinned(&run.tenant_id)
            .expect("imported");
        digests.push(t.elapsed());
        assert!(std::sync::Arc::ptr_eq(&imported, &again));
        let t = Instant::now();
        let _ = opened.reader().imported(&run.tenant_id).expect("imported");
        kept.push(t.elapsed());
    }
    println!("\n| what a run loads at {users} users | median of 3 |");
    println!("|---|---|");
    println!(
        "| imported state (users, groups, members, names, scope), first load | {:.2?} |",
        median(loads)
    );
    println!(
        "| its digest (the preview's pin), computed once | {:.2?} |",
        median(digests)
    );
    println!(
        "| again with nothing committed (kept) | {:.2?} |",
        median(kept)
    );
    println!("peak RSS {:.0} MiB", rss_mib());
}
