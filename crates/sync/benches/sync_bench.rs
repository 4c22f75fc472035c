//! Synchronization benchmark: `cargo bench -p aadsync-sync --bench sync_bench` (or
//! `cargo xtask bench`). Sizes: BENCH_USERS (100000), BENCH_GROUPS (5000).
//!
//! The emulator runs in a child process (this binary, re-run with `AADSYNC_BENCH_EMULATOR`),
//! so the peak memory reported is the sync's own. Side by side, in one run:
//! (a) listing every user and group through `GraphClient` vs a bare reqwest loop over the same
//!     pages (target ≤ 1.5×);
//! (b) the database part of a full sync (plan + apply in one transaction) vs a raw rusqlite
//!     insert of the same rows (target ≤ 2×), and the whole sync's wall time;
//! (c) Graph requests of the full sync vs fetching each group's members with its own request
//!     (target ≤ 1/10);
//! (d) peak RSS of this process (target ≤ 300 MB);
//! (e) the next sync after a few changes: incremental (delta links) vs a full comparison
//!     (target: the read ≤ 1/10; the write part — snapshot, loading the imported state,
//!     planning — is the same for both).

#![allow(clippy::expect_used, clippy::unwrap_used)]

use aadsync_directory::auth::Session;
use aadsync_directory::graph::GraphClient;
use aadsync_directory::{ClientId, Cloud, Target, TenantRef};
use aadsync_emulator::{Emulator, EmulatorConfig, GeneratorConfig, demo, generate};
use aadsync_keystore::SecretString;
use aadsync_store::{OpenOptions, RunInfo, Store};
use aadsync_sync::engine::{self, Selection};
use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

const CHILD: &str = "AADSYNC_BENCH_EMULATOR";
const THROTTLING: &str = "AADSYNC_BENCH_THROTTLING";
const SCOPES: &[&str] = &["User.Read.All", "GroupMember.Read.All"];

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Starts counting the peak RSS anew (Linux: `clear_refs` 5 resets `VmHWM`), so a phase's
/// peak is its own, not an earlier phase's.
fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn peak_rss_mib() -> f64 {
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

/// Child: serve a generated tenant, print "URL TENANT TOKEN", run until stdin closes. With
/// `AADSYNC_BENCH_THROTTLING=off` the emulator does not throttle (the speed comparisons);
/// otherwise it keeps Graph's documented budget of resource units.
async fn serve(users: usize, groups: usize) {
    let tenant = generate(GeneratorConfig {
        users,
        groups,
        seed: 11,
    });
    let admin = tenant.users[0].user_principal_name.clone();
    let memberships: usize = tenant.groups.iter().map(|g| g.members.len()).sum();
    let mut config = EmulatorConfig::new(tenant);
    if std::env::var(THROTTLING).is_ok_and(|v| v == "off") {
        config.quirks.throttling = aadsync_emulator::Throttling::Off;
    }
    let emulator = Emulator::start(config).await.expect("emulator");
    let token = emulator
        .mint_access_token(&admin, SCOPES, 6 * 3600)
        .expect("token");
    println!(
        "{} {} {memberships} {token}",
        emulator.base_url(),
        emulator.tenant_id()
    );
    tokio::task::spawn_blocking(|| {
        let mut sink = Vec::new();
        let _ = std::io::stdin().read_to_end(&mut sink);
    })
    .await
    .expect("stdin");
}

/// (a)'s baseline: follow nextLinks with a bare client.
async fn bare_pages(http: &reqwest::Client, first: String, token: &str) -> usize {
    let mut url = Some(first);
    let mut n = 0;
    while let Some(u) = url.take() {
        let body: serde_json::Value = http
            .get(&u)
            .bearer_auth(token)
            .send()
            .await
            .expect("page")
            .json()
            .await
            .expect("json");
        n += body["value"].as_array().map(Vec::len).unwrap_or(0);
        url = body["@odata.nextLink"].as_str().map(str::to_owned);
    }
    n
}

/// Starts this binary as an emulator child: (child, base URL, tenant, memberships, token).
fn spawn_emulator(throttling: &str) -> (std::process::Child, String, String, String, String) {
    let mut child = Command::new(std::env::current_exe().expect("exe"))
        .env(CHILD, "1")
        .env(THROTTLING, throttling)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("emulator child");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("child line");
    let mut parts = line.split_whitespace();
    let mut next = || {
        parts
            .next()
            .expect("a field of the child's line")
            .to_owned()
    };
    let (base, tenant_id, memberships, token) = (next(), next(), next(), next());
    (child, base, tenant_id, memberships, token)
}

fn session_for(base: &str, tenant_id: &str, token: &str) -> Arc<Session> {
    let target = Target::new(
        TenantRef::parse(tenant_id).expect("tenant"),
        ClientId::parse(demo::CLIENT_ID).expect("client"),
        &Cloud::custom(base, base).expect("cloud"),
    )
    .expect("endpoints");
    Arc::new(Session::with_tokens(
        target,
        SecretString::new(token.to_owned()),
        Duration::from_secs(6 * 3600),
        None,
    ))
}

/// (b)'s baseline: the requests of the client's full read — every user page, every group
/// page, then each group's members in `$batch`es of 20 with `concurrency` batches in flight,
/// further member pages batched too — with a bare reqwest client (no retries, no typed
/// objects, no checks). Returns the members counted.
async fn bare_read(http: &reqwest::Client, base: &str, token: &str, concurrency: usize) -> usize {
    let select_users = aadsync_directory::graph::USER_SELECT;
    let select_groups = aadsync_directory::graph::GROUP_SELECT;
    bare_pages(
        http,
        format!("{base}/v1.0/users?$select={select_users}&$top=999"),
        token,
    )
    .await;
    let mut ids = Vec::new();
    let mut url = Some(format!(
        "{base}/v1.0/groups?$select={select_groups}&$top=999"
    ));
    while let Some(u) = url.take() {
        let body: serde_json::Value = http
            .get(&u)
            .bearer_auth(token)
            .send()
            .await
            .expect("page")
            .json()
            .await
            .expect("json");
        for g in body["value"].as_array().into_iter().flatten() {
            ids.push(g["id"].as_str().expect("id").to_owned());
        }
        url = body["@odata.nextLink"].as_str().map(str::to_owned);
    }
    let mut queue: std::collections::VecDeque<String> = ids
        .iter()
        .map(|id| {
            format!("/groups/{id}/members/microsoft.graph.user?$select={select_users}&$top=999")
        })
        .collect();
    let mut running = tokio::task::JoinSet::new();
    let mut members = 0;
    let root = format!("{base}/v1.0");
    loop {
        while running.len() < concurrency && !queue.is_empty() {
            let take = queue.len().min(20);
            let requests: Vec<serde_json::Value> = queue
                .drain(..take)
                .enumerate()
                .map(|(i, url)| serde_json::json!({"id": i.to_string(), "method": "GET", "url": url}))
                .collect();
            let (http, url, token) = (http.clone(), format!("{root}/$batch"), token.to_owned());
            running.spawn(async move {
                http.post(url)
                    .bearer_auth(token)
                    .json(&serde_json::json!({ "requests": requests }))
                    .send()
                    .await
                    .expect("batch")
                    .json::<serde_json::Value>()
                    .await
                    .expect("json")
            });
        }
        let Some(answer) = running.join_next().await else {
            break;
        };
        let answer = answer.expect("task");
        for response in answer["responses"].as_array().expect("responses") {
            assert_eq!(response["status"], 200, "the bare loop has no retries");
            let body = &response["body"];
            members += body["value"].as_array().map_or(0, Vec::len);
            if let Some(next) = body["@odata.nextLink"].as_str() {
                queue.push_back(next.strip_prefix(&root).expect("same root").to_owned());
            }
        }
    }
    members
}

/// (f) The full read against an emulator keeping Graph's documented budget (8,000 resource
/// units per 10 s for a tenant above 500 users): its time, the requests Graph refused (429)
/// and the units spent, from the emulator's own request log.
async fn throttled_read(base: &str, tenant_id: &str, token: &str) {
    let session = session_for(base, tenant_id, token);
    let graph = GraphClient::new(session).expect("graph");
    let (mut users, mut groups) = (Vec::new(), Vec::new());
    graph
        .users(None, |p| users.extend(p.into_iter().map(|u| u.id)))
        .await
        .expect("users");
    graph
        .groups(None, |p| groups.extend(p.into_iter().map(|g| g.id)))
        .await
        .expect("groups");
    let selection = Selection {
        users,
        groups,
        members: true,
        nested: false,
        ..Default::default()
    };
    let control = reqwest::Client::new();
    let log = format!("{base}/_emulator/requests");
    control.delete(&log).send().await.expect("clear the log");
    let dir = tempfile::tempdir().expect("dir");
    let store = Store::open(&dir.path().join("t.sqlite3"), &OpenOptions::default()).expect("db");
    let imported = store.reader().imported(tenant_id).expect("imported");
    let start = Instant::now();
    let read = engine::gather(&graph, &imported, &selection, &|_| {})
        .await
        .expect("every request answered in the end: none failed");
    let took = start.elapsed();
    let log: serde_json::Value = control
        .get(&log)
        .send()
        .await
        .expect("log")
        .json()
        .await
        .expect("json");
    let (mut refused, mut units, mut served) = (0, 0u64, 0);
    for r in log["requests"].as_array().expect("requests") {
        let path = r["path"].as_str().unwrap_or_default();
        if path == "/v1.0/$batch" || !path.starts_with("/v1.0/") {
            continue;
        }
        if r["status"] == 429 {
            refused += 1;
        } else {
            served += 1;
            let method =
                reqwest::Method::from_bytes(r["method"].as_str().unwrap_or("GET").as_bytes())
                    .expect("method");
            units += u64::from(aadsync_emulator::budget::cost(
                &method,
                path,
                r["query"].as_str().unwrap_or_default(),
            ));
        }
    }
    println!(
        "(f) full read within Graph's budget (8,000 resource units per 10 s): {:.2} s, {} users and {} groups, {served} Graph requests served ({units} units = {:.0} per 10 s), {refused} answered 429 and asked again, 0 failed",
        took.as_secs_f64(),
        read.changes.users.len(),
        read.changes.groups.len(),
        units as f64 / took.as_secs_f64() * 10.0
    );
}

#[tokio::main]
async fn main() {
    let users = env("BENCH_USERS", 100_000);
    let groups = env("BENCH_GROUPS", 5_000);
    if std::env::var_os(CHILD).is_some() {
        serve(users, groups).await;
        return;
    }
    // One emulator without throttling for the speed comparisons, one keeping Graph's budget.
    let (mut child, base, tenant_id, memberships, token) = spawn_emulator("off");
    let (mut throttled_child, throttled_base, throttled_tenant, _, throttled_token) =
        spawn_emulator("documented");
    println!(
        "tenant: {users} users, {groups} groups, {memberships} memberships (emulator in a child process)"
    );

    let session = session_for(&base, &tenant_id, &token);
    let http = reqwest::Client::new();

    // (a) Listing: GraphClient vs a bare loop, twice each, best of two.
    let select_users = aadsync_directory::graph::USER_SELECT;
    let select_groups = aadsync_directory::graph::GROUP_SELECT;
    let mut client_best = Duration::MAX;
    let mut bare_best = Duration::MAX;
    let mut listed = 0;
    for _ in 0..2 {
        let graph = GraphClient::new(Arc::clone(&session)).expect("graph");
        let start = Instant::now();
        let mut n = 0;
        graph.users(None, |p| n += p.len()).await.expect("users");
        graph.groups(None, |p| n += p.len()).await.expect("groups");
        client_best = client_best.min(start.elapsed());
        listed = n;
        let start = Instant::now();
        let mut m = bare_pages(
            &http,
            format!("{base}/v1.0/users?$select={select_users}&$top=999"),
            &token,
        )
        .await;
        m += bare_pages(
            &http,
            format!("{base}/v1.0/groups?$select={select_groups}&$top=999"),
            &token,
        )
        .await;
        bare_best = bare_best.min(start.elapsed());
        assert_eq!(n, m);
    }
    let ratio_a = client_best.as_secs_f64() / bare_best.as_secs_f64();
    println!(
        "(a) list {listed} objects: GraphClient {:.2} s, bare loop {:.2} s → {ratio_a:.2}× (target ≤ 1.5×)",
        client_best.as_secs_f64(),
        bare_best.as_secs_f64()
    );

    eprintln!("peak RSS after listing: {:.0} MiB", peak_rss_mib());
    // (b)+(c) Full sync of everything, with members.
    let dir = tempfile::tempdir().expect("dir");
    let store = Store::open(&dir.path().join("sync.sqlite3"), &OpenOptions::default()).expect("db");
    let graph = GraphClient::new(Arc::clone(&session)).expect("graph");
    let mut all_users = Vec::with_capacity(users);
    let mut all_groups = Vec::with_capacity(groups);
    graph
        .users(None, |p| all_users.extend(p.into_iter().map(|u| u.id)))
        .await
        .expect("users");
    graph
        .groups(None, |p| all_groups.extend(p.into_iter().map(|g| g.id)))
        .await
        .expect("groups");
    let selection = Selection {
        users: all_users,
        groups: all_groups,
        members: true,
        nested: false,
        ..Default::default()
    };
    let run = RunInfo {
        tenant_id: tenant_id.clone(),
        started_by: "bench".into(),
    };
    // Before: the same read with one request in flight at a time (what the engine did until
    // the batches ran together).
    let imported = store.reader().imported(&tenant_id).expect("imported");
    let one_at_a_time = graph.clone().with_pace(1, 1);
    let start = Instant::now();
    let before_read = engine::gather(&one_at_a_time, &imported, &selection, &|_| {})
        .await
        .expect("gather one at a time");
    let read_before = start.elapsed();
    drop(before_read);
    reset_peak_rss();
    let before = graph
        .stats()
        .requests
        .load(std::sync::atomic::Ordering::Relaxed);
    let start = Instant::now();
    let imported = store.reader().imported(&tenant_id).expect("imported");
    let changes = engine::gather(&graph, &imported, &selection, &|_| {})
        .await
        .expect("gather")
        .changes;
    let read = start.elapsed();
    let read_peak_rss = peak_rss_mib();
    // HTTP requests this client sent ($batch counts once).
    let requests = graph
        .stats()
        .requests
        .load(std::sync::atomic::Ordering::Relaxed)
        - before;
    let peak = graph.pace().peak();
    let bare_start = Instant::now();
    let bare_members = bare_read(&http, &base, &token, peak).await;
    let bare = bare_start.elapsed();
    println!(
        "(b0) full read: {:.2} s with up to {peak} batches in flight (one at a time: {:.2} s → {:.2}×); a bare reqwest loop over the same requests, {peak} in flight: {:.2} s ({bare_members} members) → {:.2}× (target ≤ 1.5×)",
        read.as_secs_f64(),
        read_before.as_secs_f64(),
        read.as_secs_f64() / read_before.as_secs_f64(),
        bare.as_secs_f64(),
        read.as_secs_f64() / bare.as_secs_f64()
    );
    throttled_read(&throttled_base, &throttled_tenant, &throttled_token).await;
    reset_peak_rss();
    let write_start = Instant::now();
    let (report, _) = engine::apply(&store, &run, &changes, &|_| {}).expect("apply");
    let write = write_start.elapsed();
    let write_peak_rss = peak_rss_mib();
    let total = read + write;
    let rows_members: usize = changes
        .groups
        .iter()
        .map(|g| g.members.as_ref().map_or(0, Vec::len))
        .sum();
    let raw_store =
        Store::open(&dir.path().join("raw.sqlite3"), &OpenOptions::default()).expect("raw db");
    let raw_start = Instant::now();
    let raw_rows =
        aadsync_store::baseline::raw_insert(&raw_store, &run, &changes).expect("raw insert");
    let raw = raw_start.elapsed();
    println!(
        "(b) full sync: {} created ({} users, {} groups, {rows_members} memberships) in {:.2} s = read {:.2} s + snapshot/plan/apply {:.2} s; raw insert of the same {raw_rows} rows {:.2} s → {:.2}× (target ≤ 2×)",
        report.counts.created,
        changes.users.len(),
        changes.groups.len(),
        total.as_secs_f64(),
        read.as_secs_f64(),
        write.as_secs_f64(),
        raw.as_secs_f64(),
        write.as_secs_f64() / raw.as_secs_f64()
    );
    let user_pages = users.div_ceil(999);
    let group_pages = groups.div_ceil(999);
    let naive = (user_pages + group_pages + groups) as u64;
    println!(
        "(c) Graph requests for the full sync: {requests}; one request per group's members: ≥ {naive} ({user_pages} + {group_pages} pages + {groups} member requests) → {:.3} (target ≤ 0.1)",
        requests as f64 / naive as f64
    );
    println!(
        "(d) peak RSS of the syncing process: read {read_peak_rss:.0} MiB, write {write_peak_rss:.0} MiB (target ≤ 300 MB = 286 MiB)"
    );

    // (e) The next sync after a few changes in Entra ID: incremental (delta links) vs a full
    // comparison of everything imported, both previewed and written.
    let links = aadsync_store::DeltaLinks {
        users: graph
            .latest_delta_link(aadsync_directory::graph::DeltaKind::Users)
            .await
            .expect("users link"),
        groups: graph
            .latest_delta_link(aadsync_directory::graph::DeltaKind::Groups)
            .await
            .expect("groups link"),
        taken_at: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock")
            .as_secs() as i64,
    };
    let control = reqwest::Client::new();
    let renamed = env("BENCH_CHANGED_USERS", 50);
    for user in changes.users.iter().take(renamed) {
        let upn = format!(
            "renamed.{}",
            user.user_principal_name.as_deref().unwrap_or("x")
        );
        let status = control
            .patch(format!("{base}/_emulator/users/{}", user.object_id))
            .json(&serde_json::json!({"userPrincipalName": upn, "department": "Changed"}))
            .send()
            .await
            .expect("control")
            .status();
        assert!(status.is_success(), "{status}");
    }
    let moved = 10.min(changes.groups.len());
    for (i, group) in changes.groups.iter().take(moved).enumerate() {
        let member = &changes.users[renamed + i].object_id;
        let status = control
            .post(format!(
                "{base}/_emulator/groups/{}/members",
                group.object_id
            ))
            .json(&serde_json::json!({"add": [member]}))
            .send()
            .await
            .expect("control")
            .status();
        assert!(status.is_success(), "{status}");
    }
    let measure = |incremental: bool| {
        let (graph, store, run, links) = (&graph, &store, &run, &links);
        async move {
            let before = graph
                .stats()
                .requests
                .load(std::sync::atomic::Ordering::Relaxed);
            // As the app runs it (`run::plan_run`, then `apply`): the imported state with its
            // pin, the read, the preview, and the apply checked against the pin.
            let start = Instant::now();
            let (imported, pin) = store
                .reader()
                .imported_pinned(&run.tenant_id)
                .expect("imported");
            let read = engine::gather_incremental(
                graph,
                &imported,
                &Selection::default(),
                Some(links),
                (!incremental).then_some(engine::FullReason::Requested),
                &aadsync_sync::clock::SystemClock,
                &|_| {},
            )
            .await
            .expect("gather");
            let read_time = start.elapsed();
            let engine::Gathered {
                changes: mut planned,
                read: mode,
                ..
            } = read;
            let preview = engine::preview(store, &run.tenant_id, &planned).expect("preview");
            planned.based_on = Some(pin);
            let (report, _) = engine::apply(store, run, &planned, &|_| {}).expect("apply");
            assert_eq!(
                report.counts, preview.counts,
                "the apply did what the preview said"
            );
            let requests = graph
                .stats()
                .requests
                .load(std::sync::atomic::Ordering::Relaxed)
                - before;
            (
                read_time,
                start.elapsed() - read_time,
                requests,
                report.counts.updated,
                mode,
            )
        }
    };
    let (inc_read, inc_write, inc_requests, inc_updated, mode) = measure(true).await;
    assert!(
        matches!(mode, engine::ReadMode::Incremental { .. }),
        "{mode:?}"
    );
    // The same state again through a full comparison (the incremental run wrote the changes,
    // so it finds nothing to update: its read is what comparing everything costs).
    let (full_read, full_write, full_requests, _, _) = measure(false).await;
    println!(
        "(e) next sync after {renamed} users and {moved} memberships changed: incremental read {:.2} s ({inc_requests} requests) + write {:.2} s, {inc_updated} updated; full comparison read {:.2} s ({full_requests} requests) + write {:.2} s → read {:.3}× (target ≤ 0.1), whole sync {:.3}×",
        inc_read.as_secs_f64(),
        inc_write.as_secs_f64(),
        full_read.as_secs_f64(),
        full_write.as_secs_f64(),
        inc_read.as_secs_f64() / full_read.as_secs_f64(),
        (inc_read + inc_write).as_secs_f64() / (full_read + full_write).as_secs_f64()
    );
    for child in [&mut child, &mut throttled_child] {
        drop(child.stdin.take());
        let _ = child.wait();
    }
}
