//! Emulator benchmark: `cargo bench -p aadsync-emulator --bench emulator_bench` (or `cargo xtask bench`).
//!
//! Generates a 100k-user / 5k-group tenant, serves every users page at `$top=999` and every
//! member page of its largest group (as the app reads members: cast to users) over loopback
//! HTTP, and reports peak memory. Targets: generation ≤ 5 s, ≥ 50k users/s served, ≤ 500 MB
//! resident; at 1M users / 50k groups (issue 17) ≥ 150k users/s and ≤ 2 GB. Sizes:
//! BENCH_USERS, BENCH_GROUPS.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use aadsync_emulator::{Emulator, EmulatorConfig, GeneratorConfig, generate};
use std::time::{Duration, Instant};

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn rss_mib(field: &str) -> f64 {
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

async fn serve_all(emulator: &Emulator, token: &str, path: &str) -> (usize, usize, Duration) {
    let http = reqwest::Client::new();
    let mut url = format!("{}{path}", emulator.base_url());
    let (mut users, mut pages) = (0, 0);
    let start = Instant::now();
    loop {
        let body: serde_json::Value = http
            .get(&url)
            .bearer_auth(token)
            .send()
            .await
            .expect("page")
            .json()
            .await
            .expect("json");
        users += body["value"].as_array().map(Vec::len).unwrap_or(0);
        pages += 1;
        match body["@odata.nextLink"].as_str() {
            Some(next) => url = next.to_owned(),
            None => break,
        }
    }
    (users, pages, start.elapsed())
}

#[tokio::main]
async fn main() {
    let users = env("BENCH_USERS", 100_000);
    let groups = env("BENCH_GROUPS", 5_000);
    let start = Instant::now();
    let tenant = generate(GeneratorConfig {
        users,
        groups,
        seed: 7,
    });
    let generation = start.elapsed();
    let memberships: usize = tenant.groups.iter().map(|g| g.members.len()).sum();
    let (largest, largest_id) = tenant
        .groups
        .iter()
        .map(|g| (g.members.len(), g.id.clone()))
        .max()
        .unwrap_or_default();
    let admin = tenant.users[0].user_principal_name.clone();

    let start = Instant::now();
    let emulator = Emulator::start(EmulatorConfig::new(tenant))
        .await
        .expect("start");
    let startup = start.elapsed();
    let token = emulator
        .mint_access_token(&admin, &["User.Read.All", "GroupMember.Read.All"], 3600)
        .expect("token");

    let (n1, p1, t1) = serve_all(&emulator, &token, "/v1.0/users?$top=999").await;
    let (n2, p2, t2) = serve_all(&emulator, &token, "/v1.0/users?$top=999&$select=id,userPrincipalName,displayName,mail,accountEnabled,userType,department,jobTitle").await;
    assert_eq!((n1, n2), (users, users));
    let members = format!(
        "/v1.0/groups/{largest_id}/members/microsoft.graph.user?$top=999&$select=id,userPrincipalName,displayName,mail,accountEnabled,userType,department,jobTitle"
    );
    let (n3, p3, t3) = serve_all(&emulator, &token, &members).await;

    println!(
        "| emulator, {users} users / {groups} groups ({memberships} memberships, largest group {largest}) | result |"
    );
    println!("|---|---|");
    println!("| generate the tenant (target ≤ 5 s) | {generation:.2?} |");
    println!("| start: build the directory snapshot and listen | {startup:.2?} |");
    println!(
        "| serve all users, default properties, {p1} pages of ≤ 999 | {t1:.2?} = {:.0} users/s |",
        n1 as f64 / t1.as_secs_f64()
    );
    println!(
        "| serve all users, $select of 8 properties, {p2} pages | {t2:.2?} = {:.0} users/s (target ≥ 50k/s) |",
        n2 as f64 / t2.as_secs_f64()
    );
    println!(
        "| serve the largest group's user members, $select of 8, {p3} pages | {t3:.2?} = {:.0} members/s ({n3} members) |",
        n3 as f64 / t3.as_secs_f64()
    );
    println!(
        "| peak resident memory (target ≤ 500 MB) | {:.0} MiB |",
        rss_mib("VmHWM:")
    );
}
