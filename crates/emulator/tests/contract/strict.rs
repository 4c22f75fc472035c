//! What the strict emulator refuses or does as Microsoft documents it, beyond the happy path:
//! per-type permissions of the recycle bin, hidden group membership, the URL forms Microsoft's
//! SDKs send, and the irregularities Graph documents for delta rounds and `$batch`.

use crate::support::{ALL_SCOPES, Env, start, start_with};
use aadsync_emulator::{
    Emulator, EmulatorConfig, ExpiredDelta, GeneratorConfig, GraphQuirks, generate,
};
use reqwest::Method;
use serde_json::{Value, json};

const README: &[&str] = &["User.Read", "User.Read.All", "GroupMember.Read.All"];

/// "List deleted items": each type needs its own permission (deleted groups `Group.Read.All`,
/// deleted users `User.Read.All`), in both the long and the SDKs' short cast.
#[tokio::test]
async fn the_recycle_bin_needs_the_permission_of_each_type() {
    let env = start(20, 4).await;
    let cases: &[(&str, &[&str], u16)] = &[
        ("microsoft.graph.group", README, 403),
        ("graph.group", README, 403),
        ("microsoft.graph.group", &["Group.Read.All"], 200),
        ("graph.group", &["Group.Read.All"], 200),
        ("microsoft.graph.group", &["Directory.Read.All"], 200),
        ("microsoft.graph.user", README, 200),
        ("graph.user", README, 200),
        ("microsoft.graph.user", &["User.ReadBasic.All"], 403),
        (
            "microsoft.graph.user",
            &["GroupMember.Read.All", "Group.Read.All"],
            403,
        ),
        ("microsoft.graph.user", &["Directory.Read.All"], 200),
        ("microsoft.graph.device", &["Directory.Read.All"], 400),
    ];
    for (cast, scopes, want) in cases {
        let token = env.token(scopes);
        let path = format!("/v1.0/directory/deletedItems/{cast}?$select=id");
        let (status, _, body, text) = env.get(&path, Some(&token), &[]).await;
        assert_eq!(status, *want, "{cast} with {scopes:?}: {text}");
        if status == 403 {
            assert_eq!(body["error"]["code"], json!("Authorization_RequestDenied"));
        }
    }
}

/// Every form the SDKs' request builders send answers as the long form does.
#[tokio::test]
async fn the_sdk_url_forms_answer_as_the_long_forms() {
    let env = start(30, 4).await;
    let t = generate(GeneratorConfig {
        users: 30,
        groups: 4,
        seed: 42,
    });
    let group = &t
        .groups
        .iter()
        .find(|g| g.members.len() > 1)
        .expect("group")
        .id;
    let token = env.token(ALL_SCOPES);
    let cases = [
        (
            "/v1.0/users/delta()?$select=id",
            "/v1.0/users/delta?$select=id",
        ),
        (
            "/v1.0/groups/delta()?$select=id",
            "/v1.0/groups/delta?$select=id",
        ),
        (
            "/v1.0/directory/deletedItems/graph.user?$select=id",
            "/v1.0/directory/deletedItems/microsoft.graph.user?$select=id",
        ),
        (
            "/v1.0/directory/deletedItems/graph.group?$select=id",
            "/v1.0/directory/deletedItems/microsoft.graph.group?$select=id",
        ),
        (
            &format!("/v1.0/groups/{group}/members/graph.user?$select=id"),
            &format!("/v1.0/groups/{group}/members/microsoft.graph.user?$select=id"),
        ),
        (
            &format!("/v1.0/groups/{group}/transitiveMembers/graph.user?$select=id"),
            &format!("/v1.0/groups/{group}/transitiveMembers/microsoft.graph.user?$select=id"),
        ),
        (
            &format!("/v1.0/groups/{group}/members/graph.group?$select=id"),
            &format!("/v1.0/groups/{group}/members/microsoft.graph.group?$select=id"),
        ),
    ];
    for (short, long) in cases {
        let (status, _, body, text) = env.get(short, Some(&token), &[]).await;
        assert_eq!(status, 200, "{short}: {text}");
        let (_, _, expected, _) = env.get(long, Some(&token), &[]).await;
        assert_eq!(body["value"], expected["value"], "{short}");
        assert!(body["value"].is_array(), "{short}: {text}");
    }
}

/// A tenant whose first group with members hides its membership.
async fn hidden_env() -> (Env, String, String) {
    let mut tenant = generate(GeneratorConfig {
        users: 20,
        groups: 4,
        seed: 42,
    });
    let admin = tenant.users[0].user_principal_name.clone();
    let mut with_members = tenant.groups.iter_mut().filter(|g| !g.members.is_empty());
    let hidden = with_members.next().expect("a group");
    hidden.visibility = Some("HiddenMembership".into());
    hidden.group_types = vec!["Unified".into()];
    let hidden = hidden.id.clone();
    let open = with_members.next().expect("another group").id.clone();
    let emulator = Emulator::start(EmulatorConfig::new(tenant))
        .await
        .expect("start");
    let env = Env {
        emulator,
        http: reqwest::Client::new(),
        admin,
    };
    (env, hidden, open)
}

/// "List group members": the members of a group with hidden membership need
/// `Member.Read.Hidden`; other groups' members and the group itself do not.
#[tokio::test]
async fn hidden_membership_needs_member_read_hidden() {
    let (env, hidden, open) = hidden_env().await;
    let with_hidden: &[&str] = &[
        "User.Read.All",
        "GroupMember.Read.All",
        "Member.Read.Hidden",
    ];
    let cases: &[(&str, &str, &[&str], u16)] = &[
        (&hidden, "members", README, 403),
        (&hidden, "transitiveMembers", README, 403),
        (&hidden, "members/microsoft.graph.user", README, 403),
        (&hidden, "members/graph.user", README, 403),
        (&hidden, "members", with_hidden, 200),
        (&hidden, "transitiveMembers", with_hidden, 200),
        (&open, "members", README, 200),
    ];
    for (group, relation, scopes, want) in cases {
        let token = env.token(scopes);
        let path = format!("/v1.0/groups/{group}/{relation}?$select=id");
        let (status, _, body, text) = env.get(&path, Some(&token), &[]).await;
        assert_eq!(status, *want, "{relation} with {scopes:?}: {text}");
        if *want == 200 {
            assert!(
                !body["value"].as_array().expect("value").is_empty(),
                "{text}"
            );
        } else {
            assert_eq!(body["error"]["code"], json!("Authorization_RequestDenied"));
        }
    }
    // The group itself stays readable, and its visibility says why its members are not.
    let token = env.token(README);
    let (status, _, body, _) = env
        .get(
            &format!("/v1.0/groups/{hidden}?$select=id,visibility"),
            Some(&token),
            &[],
        )
        .await;
    assert_eq!(
        (status, body["visibility"].clone()),
        (200, json!("HiddenMembership"))
    );
    // The same inside a $batch: the inner request carries the 403.
    let batch = json!({"requests": [
        {"id": "1", "method": "GET", "url": format!("/groups/{hidden}/members?$select=id")},
        {"id": "2", "method": "GET", "url": format!("/groups/{open}/members?$select=id")},
    ]});
    let response: Value = env
        .http
        .post(format!("{}/v1.0/$batch", env.emulator.base_url()))
        .bearer_auth(&token)
        .json(&batch)
        .send()
        .await
        .expect("batch")
        .json()
        .await
        .expect("json");
    let status_of = |id: &str| {
        (response["responses"].as_array().expect("responses").iter())
            .find(|r| r["id"] == json!(id))
            .map(|r| r["status"].clone())
    };
    assert_eq!(
        (status_of("1"), status_of("2")),
        (Some(json!(403)), Some(json!(200)))
    );
}

async fn control(env: &Env, method: Method, path: &str, body: Value) {
    let response = env
        .http
        .request(method, format!("{}{path}", env.emulator.base_url()))
        .json(&body)
        .send()
        .await
        .expect("control");
    assert!(response.status().is_success(), "{path}");
}

async fn items(env: &Env, token: &str, link: &str) -> Vec<Value> {
    let (status, _, body, text) = env.get(link, Some(token), &[]).await;
    assert_eq!(status, 200, "{text}");
    body["value"].as_array().cloned().unwrap_or_default()
}

/// With the quirks on, a delta round repeats a changed object (a stale copy first, the current
/// one last) and splits a group's `members@delta`; with them off, each object comes once.
#[tokio::test]
async fn delta_rounds_repeat_objects_and_split_member_lists_unless_switched_off() {
    for quirks in [GraphQuirks::default(), GraphQuirks::lenient()] {
        let env = start_with(20, 3, quirks).await;
        let t = generate(GeneratorConfig {
            users: 20,
            groups: 3,
            seed: 42,
        });
        let token = env.token(ALL_SCOPES);
        let latest = |kind: &str| {
            format!(
                "/v1.0/{kind}/delta?$select=id,displayName{}&$deltatoken=latest",
                if kind == "groups" { ",members" } else { "" }
            )
        };
        let (_, _, users, _) = env.get(&latest("users"), Some(&token), &[]).await;
        let (_, _, groups, _) = env.get(&latest("groups"), Some(&token), &[]).await;
        let user = &t.users[5].id;
        let group = &t.groups[0].id;
        control(
            &env,
            Method::PATCH,
            &format!("/_emulator/users/{user}"),
            json!({"displayName": "Renamed"}),
        )
        .await;
        let added: Vec<&str> = (t.users[1..].iter())
            .map(|u| u.id.as_str())
            .filter(|u| !t.groups[0].members.iter().any(|m| m == u))
            .take(4)
            .collect();
        control(
            &env,
            Method::POST,
            &format!("/_emulator/groups/{group}/members"),
            json!({"add": added}),
        )
        .await;

        let user_items = items(
            &env,
            &token,
            users["@odata.deltaLink"].as_str().expect("link"),
        )
        .await;
        let copies: Vec<&Value> = user_items
            .iter()
            .filter(|i| i["id"] == json!(user))
            .collect();
        let last = copies.last().expect("the renamed user");
        assert_eq!(last["displayName"], json!("Renamed"));
        let group_items = items(
            &env,
            &token,
            groups["@odata.deltaLink"].as_str().expect("link"),
        )
        .await;
        let of_group: Vec<&Value> = group_items
            .iter()
            .filter(|i| i["id"] == json!(group))
            .collect();
        let mut members: Vec<&str> = (of_group.iter())
            .flat_map(|g| g["members@delta"].as_array().into_iter().flatten())
            .filter_map(|m| m["id"].as_str())
            .collect();
        members.sort_unstable();
        let mut want = added.clone();
        want.sort_unstable();
        assert_eq!(members, want, "no member lost or invented");
        if quirks == GraphQuirks::default() {
            assert_eq!(copies.len(), 2, "{user_items:#?}");
            assert_ne!(
                copies[0]["displayName"],
                json!("Renamed"),
                "the stale copy comes first"
            );
            let split: Vec<&&Value> = (of_group.iter())
                .filter(|g| g.get("members@delta").is_some())
                .collect();
            assert_eq!(split.len(), 2, "{group_items:#?}");
            assert_eq!(split[1].get("displayName"), None);
        } else {
            assert_eq!((copies.len(), of_group.len()), (1, 1));
        }
    }
}

/// An expired delta token: 410 Gone with a `Location`, or 400 `syncStateNotFound` with the
/// documented message, as chosen; `Alternate` gives both in turn.
#[tokio::test]
async fn expired_delta_tokens_answer_410_or_400_sync_state_not_found() {
    let cases: &[(ExpiredDelta, &[u16])] = &[
        (ExpiredDelta::Gone, &[410, 410]),
        (ExpiredDelta::SyncStateNotFound, &[400, 400]),
        (ExpiredDelta::Alternate, &[410, 400, 410]),
    ];
    for (how, statuses) in cases {
        let quirks = GraphQuirks {
            expired_delta: *how,
            ..GraphQuirks::default()
        };
        let env = start_with(5, 1, quirks).await;
        let token = env.token(ALL_SCOPES);
        let (_, _, latest, _) = env
            .get(
                "/v1.0/users/delta?$select=id&$deltatoken=latest",
                Some(&token),
                &[],
            )
            .await;
        let link = latest["@odata.deltaLink"]
            .as_str()
            .expect("link")
            .to_owned();
        env.emulator.clock().advance(8 * 86_400);
        let token = env.token(ALL_SCOPES);
        for want in *statuses {
            let (status, headers, body, text) = env.get(&link, Some(&token), &[]).await;
            assert_eq!(status, *want, "{how:?}: {text}");
            assert_eq!(body["error"]["code"], json!("syncStateNotFound"));
            if *want == 410 {
                assert!(headers.contains_key("location"));
            } else {
                assert_eq!(
                    body["error"]["message"],
                    json!(
                        "The sync state generation is not found. The delta token is expired and data must be synchronized again."
                    )
                );
            }
        }
    }
}

/// `$batch` answers do not come in request order (unless switched off).
#[tokio::test]
async fn batch_answers_come_out_of_order() {
    for (quirks, shuffled) in [
        (GraphQuirks::default(), true),
        (GraphQuirks::lenient(), false),
    ] {
        let env = start_with(10, 2, quirks).await;
        let token = env.token(ALL_SCOPES);
        for n in 2..=20 {
            let requests: Vec<Value> = (0..n)
                .map(|i| json!({"id": i.to_string(), "method": "GET", "url": "/me?$select=id"}))
                .collect();
            let body: Value = env
                .http
                .post(format!("{}/v1.0/$batch", env.emulator.base_url()))
                .bearer_auth(&token)
                .json(&json!({"requests": requests}))
                .send()
                .await
                .expect("batch")
                .json()
                .await
                .expect("json");
            let order: Vec<usize> = (body["responses"].as_array().expect("responses").iter())
                .map(|r| r["id"].as_str().expect("id").parse().expect("n"))
                .collect();
            let mut sorted = order.clone();
            sorted.sort_unstable();
            assert_eq!(sorted, (0..n).collect::<Vec<_>>(), "every answer once");
            assert_eq!(order != sorted, shuffled, "{n}: {order:?}");
        }
    }
}
