//! Member batches in flight together: the same expansion as one request at a time, whatever
//! order the answers arrive in, and within a budget of resource units with no failed request.

use super::*;
use aadsync_directory::graph::Expansion;
use aadsync_emulator::{GraphQuirks, Throttling};
use std::collections::BTreeMap;

async fn groups_of(client: &GraphClient) -> Vec<(String, String)> {
    let mut groups = Vec::new();
    client
        .groups(None, |page| {
            groups.extend(page.into_iter().map(|g| (g.id.clone(), g.display_name)))
        })
        .await
        .expect("groups");
    groups
}

/// What an expansion found, in a form two runs can be compared in.
type Found = (
    BTreeMap<String, String>,
    BTreeMap<String, Vec<String>>,
    Vec<String>,
    BTreeMap<String, Vec<String>>,
);

fn found(expansion: &Expansion) -> Found {
    (
        expansion
            .users
            .iter()
            .map(|(id, (_, path))| (id.clone(), path.clone()))
            .collect(),
        expansion
            .members
            .iter()
            .map(|(g, m)| (g.clone(), m.clone()))
            .collect(),
        expansion.nested.iter().map(|g| g.id.clone()).collect(),
        expansion
            .children
            .iter()
            .map(|(g, c)| (g.clone(), c.clone()))
            .collect(),
    )
}

#[tokio::test]
async fn batches_in_flight_together_find_what_one_at_a_time_finds() {
    let env = start(900, 120).await;
    let client = env.client();
    let groups = groups_of(&client).await;
    let one_at_a_time = client.clone().with_pace(1, 1);
    let baseline = one_at_a_time
        .expand_groups(&groups, true, &HashSet::new())
        .await
        .expect("one at a time");
    assert_eq!(one_at_a_time.pace().peak(), 1);
    // The first group's answers come last: a user it shares with a later group must still be
    // imported through the first (the order of the groups, not of the answers).
    let first = &groups[0].0;
    let shared = baseline.members[first].iter().any(|u| {
        groups[1..]
            .iter()
            .any(|(g, _)| baseline.members.get(g).is_some_and(|m| m.contains(u)))
    });
    assert!(
        shared,
        "the tenant must have a user in the first group and another"
    );
    env.fault(json!({"path": format!("/v1.0/groups/{first}/members/*"), "kind": "latency", "millis": 700}))
        .await;
    let together = env.client();
    let expansion = together
        .expand_groups(&groups, true, &HashSet::new())
        .await
        .expect("together");
    assert!(
        together.pace().peak() >= 2,
        "peak {} in flight",
        together.pace().peak()
    );
    assert_eq!(found(&expansion), found(&baseline));
}

#[tokio::test]
async fn a_budget_of_resource_units_is_kept_with_no_failed_request() {
    // 900 users and 150 groups: each group's first page of members costs 2 units (3, less 1
    // for $select), a batch of 20 costs 40: 302 units in all with the group listing, against
    // a bucket of 80 that refills at 40 a second. The first batches leave together, so the
    // third meets an empty bucket unless the emulator took 2 s to serve the first two (with a
    // bucket refilled in 1 s, a loaded machine once served them slowly enough to see none).
    let quirks = GraphQuirks {
        throttling: Throttling::Quota {
            units: 80,
            per: Duration::from_secs(2),
        },
        ..GraphQuirks::default()
    };
    let throttled = start_with(900, 150, quirks).await;
    let free = start(900, 150).await;
    let client = throttled.client();
    let groups = groups_of(&client).await;
    let expansion = client
        .expand_groups(&groups, false, &HashSet::new())
        .await
        .expect("kept within the budget to the end");
    let baseline = free
        .client()
        .expand_groups(&groups, false, &HashSet::new())
        .await
        .expect("unthrottled");
    assert_eq!(found(&expansion), found(&baseline));
    let log: Value = throttled
        .http
        .get(format!(
            "{}/_emulator/requests",
            throttled.emulator.base_url()
        ))
        .send()
        .await
        .expect("log")
        .json()
        .await
        .expect("json");
    let statuses: Vec<u64> = log["requests"]
        .as_array()
        .expect("requests")
        .iter()
        .filter(|r| r["path"].as_str().is_some_and(|p| p.contains("/members")))
        .map(|r| r["status"].as_u64().unwrap_or(0))
        .collect();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    let served = statuses.iter().filter(|s| **s == 200).count();
    eprintln!(
        "{served} served, {refused} refused; limit {} (peak {})",
        client.pace().limit(),
        client.pace().peak()
    );
    assert_eq!(served, groups.len(), "each group's members served once");
    assert!(refused >= 1, "the budget was met: {refused} refused");
    assert_eq!(
        client.stats().throttled.load(Ordering::Relaxed) as usize,
        refused
    );
    // Adapting matters: after a 429 the client pauses until the bucket holds a request's cost
    // again, so a retried batch of 20 meets a bucket refilled for about half of it: about as
    // many refused as served (151 for 150 on a fast machine), never many times more. Without
    // the pause every request of the following batches would be refused until the read gave
    // up (the `expect` above).
    assert!(
        refused <= 2 * served,
        "{refused} requests refused for {served} served"
    );
    assert!(client.pace().limit() < client.pace().peak().max(4));
}
