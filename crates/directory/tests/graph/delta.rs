//! Delta rounds through the client against the strict emulator: a user or group Graph reports
//! more than once comes out once, as its last copy says; only the documented expiry answers
//! mean "compare everything", every other error is the caller's to report.

use crate::{Env, start, start_with};
use aadsync_directory::graph::GraphError;
use aadsync_directory::graph::delta::{DeltaKind, Stale};
use aadsync_emulator::{ExpiredDelta, GraphQuirks};
use serde_json::json;
use std::collections::BTreeSet;

async fn control(env: &Env, method: reqwest::Method, path: &str, body: serde_json::Value) {
    let status = env
        .http
        .request(
            method,
            format!("{}/_emulator/{path}", env.emulator.base_url()),
        )
        .json(&body)
        .send()
        .await
        .expect("control")
        .status();
    assert!(status.is_success(), "{path}: {status}");
}

#[tokio::test]
async fn objects_graph_repeats_come_out_once_as_their_last_copy() {
    let env = start(30, 4).await;
    let client = env.client();
    let users_link = client
        .latest_delta_link(DeltaKind::Users)
        .await
        .expect("link");
    let groups_link = client
        .latest_delta_link(DeltaKind::Groups)
        .await
        .expect("link");
    let renamed: Vec<String> = env.tenant.users[1..7]
        .iter()
        .map(|u| u.id.clone())
        .collect();
    for (i, id) in renamed.iter().enumerate() {
        let body = json!({"displayName": format!("Renamed {i}")});
        control(&env, reqwest::Method::PATCH, &format!("users/{id}"), body).await;
    }
    let group = &env.tenant.groups[0];
    let added: Vec<String> = (env.tenant.users[1..].iter())
        .map(|u| u.id.clone())
        .filter(|u| !group.members.contains(u))
        .take(4)
        .collect();
    let path = format!("groups/{}", group.id);
    control(
        &env,
        reqwest::Method::PATCH,
        &path,
        json!({"displayName": "Renamed group"}),
    )
    .await;
    let path = format!("groups/{}/members", group.id);
    control(&env, reqwest::Method::POST, &path, json!({"add": added})).await;

    let round = client
        .user_changes(&users_link, |_| true)
        .await
        .expect("round")
        .expect("fresh link");
    let ids: Vec<&str> = round.changed.iter().map(|u| u.id.as_str()).collect();
    let unique: BTreeSet<&str> = ids.iter().copied().collect();
    assert_eq!(ids.len(), unique.len(), "each user once: {ids:?}");
    for (i, id) in renamed.iter().enumerate() {
        let user = round
            .changed
            .iter()
            .find(|u| u.id == *id)
            .expect("renamed user");
        assert_eq!(
            user.display_name,
            format!("Renamed {i}"),
            "the last copy wins"
        );
    }

    let round = client
        .group_changes(&groups_link, |_| true)
        .await
        .expect("round")
        .expect("fresh link");
    let (_, change) = (round.changed.iter())
        .find(|(id, _)| *id == group.id)
        .expect("the group");
    assert_eq!(
        change.group.as_ref().map(|g| g.display_name.as_str()),
        Some("Renamed group")
    );
    let got: BTreeSet<&String> = change.added.iter().collect();
    assert_eq!(
        got,
        added.iter().collect(),
        "members split over items, all kept"
    );
}

/// What a stored link's round comes to when Graph answers it with an error.
#[derive(Debug, PartialEq)]
enum Outcome {
    CompareEverything,
    Error(u16),
}

#[tokio::test]
async fn only_the_documented_expiry_answers_mean_compare_everything() {
    // (how the token expires or which error Graph answers, what the client makes of it)
    let expired: &[(ExpiredDelta, Outcome)] = &[
        (ExpiredDelta::Gone, Outcome::CompareEverything),
        (ExpiredDelta::SyncStateNotFound, Outcome::CompareEverything),
    ];
    for (how, want) in expired {
        let env = start_with(
            5,
            1,
            GraphQuirks {
                expired_delta: *how,
                ..GraphQuirks::default()
            },
        )
        .await;
        let link = env
            .client()
            .latest_delta_link(DeltaKind::Users)
            .await
            .expect("link");
        env.emulator.clock().advance(8 * 86_400);
        let answer = env.client().user_changes(&link, |_| true).await;
        assert_eq!(&outcome(answer), want, "{how:?}");
    }
    let errors: &[(u16, &str, Outcome)] = &[
        (410, "syncStateNotFound", Outcome::CompareEverything),
        (400, "syncStateNotFound", Outcome::CompareEverything),
        (400, "resyncRequired", Outcome::CompareEverything),
        (400, "Request_BadRequest", Outcome::Error(400)),
        (400, "Request_UnsupportedQuery", Outcome::Error(400)),
        (403, "Authorization_RequestDenied", Outcome::Error(403)),
        (404, "Request_ResourceNotFound", Outcome::Error(404)),
        (405, "Request_BadRequest", Outcome::Error(405)),
        (501, "NotImplemented", Outcome::Error(501)),
    ];
    let env = start(5, 1).await;
    for (status, code, want) in errors {
        let client = env.client();
        let link = client
            .latest_delta_link(DeltaKind::Users)
            .await
            .expect("link");
        env.fault(
            json!({"path": "*/users/delta*", "kind": "error", "status": status, "code": code}),
        )
        .await;
        let answer = client.user_changes(&link, |_| true).await;
        assert_eq!(&outcome(answer), want, "{status} {code}");
        env.clear_faults().await;
    }
}

fn outcome<T>(
    answer: Result<Result<aadsync_directory::graph::delta::DeltaRound<T>, Stale>, GraphError>,
) -> Outcome {
    match answer {
        Ok(Ok(_)) => panic!("the round was answered"),
        Ok(Err(Stale::Expired)) => Outcome::CompareEverything,
        Ok(Err(Stale::Foreign)) => panic!("a link of this root"),
        Err(GraphError::Http { status, .. }) => Outcome::Error(status),
        Err(other) => panic!("{other}"),
    }
}
