//! Microsoft Graph v1.0: status codes, bodies, headers, paging, query options, errors.

use crate::support::{ALL_SCOPES, start};
use serde_json::{Value, json};

/// How a case authenticates.
#[derive(Debug, Clone, Copy)]
enum Auth {
    Full,
    Scopes(&'static [&'static str]),
    Expired,
    Tampered,
    Missing,
}

struct Case {
    name: &'static str,
    path: String,
    auth: Auth,
    eventual: bool,
    status: u16,
    /// (JSON pointer, expected value); `Value::Bool(true)` under "?" means "present".
    expect: Vec<(&'static str, Value)>,
}

fn case(
    name: &'static str,
    path: impl Into<String>,
    status: u16,
    expect: Vec<(&'static str, Value)>,
) -> Case {
    Case {
        name,
        path: path.into(),
        auth: Auth::Full,
        eventual: false,
        status,
        expect,
    }
}

#[tokio::test]
async fn graph_request_table() {
    let env = start(400, 30).await;
    let dir = aadsync_emulator::generate(aadsync_emulator::GeneratorConfig {
        users: 400,
        groups: 30,
        seed: 42,
    });
    let admin = &dir.users[0];
    let guest = dir
        .users
        .iter()
        .find(|u| u.user_type == "Guest")
        .expect("a guest");
    let sales = dir
        .groups
        .iter()
        .find(|g| g.display_name == "Sales")
        .expect("Sales");

    let cases = vec![
        case(
            "list users default page",
            "/v1.0/users",
            200,
            vec![
                ("/value/99/id", json!(dir.users[99].id)),
                (
                    "/@odata.context",
                    json!(format!("{}/v1.0/$metadata#users", env.emulator.base_url())),
                ),
            ],
        ),
        case(
            "$select returns exactly those properties",
            "/v1.0/users?$select=id,accountEnabled,userType&$top=1",
            200,
            vec![(
                "/value/0",
                json!({"id": admin.id, "accountEnabled": true, "userType": "Member"}),
            )],
        ),
        case(
            "default properties exclude accountEnabled",
            format!("/v1.0/users/{}", admin.id),
            200,
            vec![
                ("/userPrincipalName", json!(admin.user_principal_name)),
                ("/accountEnabled", Value::Null),
            ],
        ),
        case(
            "user by UPN, any case",
            format!("/v1.0/users/{}", admin.user_principal_name.to_uppercase()),
            200,
            vec![("/id", json!(admin.id))],
        ),
        case(
            "unknown user",
            "/v1.0/users/00000000-0000-0000-0000-000000000001",
            404,
            vec![("/error/code", json!("Request_ResourceNotFound"))],
        ),
        case(
            "$top above 999",
            "/v1.0/users?$top=1000",
            400,
            vec![
                ("/error/code", json!("Request_UnsupportedQuery")),
                (
                    "/error/message",
                    json!(
                        "Invalid page size specified: '1000'. Must be between 1 and 999 inclusive."
                    ),
                ),
            ],
        ),
        case(
            "$top zero",
            "/v1.0/users?$top=0",
            400,
            vec![("/error/code", json!("Request_UnsupportedQuery"))],
        ),
        case(
            "unknown $select property",
            "/v1.0/users?$select=id,shoeSize",
            400,
            vec![("/error/code", json!("Request_BadRequest"))],
        ),
        case(
            "$filter eq on userType",
            "/v1.0/users?$filter=userType%20eq%20'Guest'&$select=id,userType&$top=999",
            200,
            vec![("/value/0/userType", json!("Guest"))],
        ),
        case(
            "$filter startswith",
            format!(
                "/v1.0/users?$filter=startswith(userPrincipalName,'{}')&$select=id",
                &admin.user_principal_name[..8]
            ),
            200,
            vec![("/value/0/id", json!(admin.id))],
        ),
        case(
            "$filter on a property that cannot be filtered",
            "/v1.0/users?$filter=businessPhones%20eq%20'1'",
            400,
            vec![("/error/code", json!("Request_UnsupportedQuery"))],
        ),
        case(
            "$filter ne needs advanced query",
            "/v1.0/users?$filter=userType%20ne%20'Guest'",
            400,
            vec![("/error/code", json!("Request_UnsupportedQuery"))],
        ),
        case(
            "$search without ConsistencyLevel",
            "/v1.0/users?$search=%22displayName:megan%22",
            400,
            vec![("/error/code", json!("Request_UnsupportedQuery"))],
        ),
        Case {
            eventual: true,
            ..case(
                "$search with ConsistencyLevel and $count",
                "/v1.0/users?$search=%22displayName:admin%22&$count=true&$select=id,displayName",
                200,
                vec![
                    ("/value/0/id", json!(admin.id)),
                    ("/@odata.count", json!(1)),
                ],
            )
        },
        case(
            "$count=true without ConsistencyLevel is ignored",
            "/v1.0/users?$count=true&$top=1",
            200,
            vec![("/@odata.count", Value::Null)],
        ),
        case(
            "/users/$count without ConsistencyLevel",
            "/v1.0/users/$count",
            400,
            vec![("/error/code", json!("Request_BadRequest"))],
        ),
        case(
            "guest UPN and missing mail are served as-is",
            format!(
                "/v1.0/users/{}?$select=userPrincipalName,userType",
                guest.id
            ),
            200,
            vec![
                ("/userPrincipalName", json!(guest.user_principal_name)),
                ("/userType", json!("Guest")),
            ],
        ),
        case(
            "group by id",
            format!(
                "/v1.0/groups/{}?$select=id,displayName,securityEnabled",
                sales.id
            ),
            200,
            vec![("/displayName", json!("Sales"))],
        ),
        case(
            "members carry @odata.type",
            format!("/v1.0/groups/{}/members?$select=id&$top=999", sales.id),
            200,
            vec![("/value/0/@odata.type", json!("#microsoft.graph.user"))],
        ),
        case(
            "members cast to users",
            format!(
                "/v1.0/groups/{}/members/microsoft.graph.user?$select=id&$top=999",
                sales.id
            ),
            200,
            vec![(
                "/@odata.context",
                json!(format!(
                    "{}/v1.0/$metadata#users(id)",
                    env.emulator.base_url()
                )),
            )],
        ),
        case(
            "unknown relation",
            format!("/v1.0/groups/{}/owners", sales.id),
            400,
            vec![("/error/code", json!("Request_BadRequest"))],
        ),
        case(
            "/me",
            "/v1.0/me?$select=id,userPrincipalName",
            200,
            vec![("/id", json!(admin.id))],
        ),
        case(
            "/me/memberOf lists the directory role, with limited information without a permission that reads roles",
            "/v1.0/me/memberOf",
            200,
            vec![
                (
                    "/value/0/@odata.type",
                    json!("#microsoft.graph.directoryRole"),
                ),
                ("/value/0/roleTemplateId", json!(null)),
            ],
        ),
        Case {
            auth: Auth::Missing,
            ..case(
                "no token",
                "/v1.0/users",
                401,
                vec![
                    ("/error/code", json!("InvalidAuthenticationToken")),
                    ("/error/message", json!("Access token is empty.")),
                ],
            )
        },
        Case {
            auth: Auth::Expired,
            ..case(
                "expired token",
                "/v1.0/users",
                401,
                vec![("/error/code", json!("InvalidAuthenticationToken"))],
            )
        },
        Case {
            auth: Auth::Tampered,
            ..case(
                "tampered token",
                "/v1.0/users",
                401,
                vec![("/error/code", json!("InvalidAuthenticationToken"))],
            )
        },
        Case {
            auth: Auth::Scopes(&["User.Read"]),
            ..case(
                "users need User.Read.All",
                "/v1.0/users",
                403,
                vec![
                    ("/error/code", json!("Authorization_RequestDenied")),
                    (
                        "/error/message",
                        json!("Insufficient privileges to complete the operation."),
                    ),
                ],
            )
        },
        Case {
            auth: Auth::Scopes(&["User.Read.All"]),
            ..case(
                "groups need a group scope",
                "/v1.0/groups",
                403,
                vec![("/error/code", json!("Authorization_RequestDenied"))],
            )
        },
    ];

    let full = env.token(ALL_SCOPES);
    let expired = env
        .emulator
        .mint_access_token(&env.admin, ALL_SCOPES, -10)
        .expect("token");
    let tampered = {
        let mut parts: Vec<&str> = full.split('.').collect();
        let other = env.token(&["Directory.ReadWrite.All"]);
        let claims = other.split('.').nth(1).expect("claims").to_owned();
        parts[1] = Box::leak(claims.into_boxed_str());
        parts.join(".")
    };
    let mut failures = Vec::new();
    for c in cases {
        let token = match c.auth {
            Auth::Full => Some(full.clone()),
            Auth::Scopes(s) => Some(env.token(s)),
            Auth::Expired => Some(expired.clone()),
            Auth::Tampered => Some(tampered.clone()),
            Auth::Missing => None,
        };
        let headers: &[(&str, &str)] = if c.eventual {
            &[("ConsistencyLevel", "eventual")]
        } else {
            &[]
        };
        let (status, response_headers, body, text) =
            env.get(&c.path, token.as_deref(), headers).await;
        if status != c.status {
            failures.push(format!(
                "{}: status {status}, expected {}: {text}",
                c.name, c.status
            ));
            continue;
        }
        for (pointer, expected) in &c.expect {
            let got = body.pointer(pointer).cloned().unwrap_or(Value::Null);
            if &got != expected {
                failures.push(format!(
                    "{}: {pointer} = {got}, expected {expected}",
                    c.name
                ));
            }
        }
        if status >= 400 {
            for field in [
                "/error/innerError/request-id",
                "/error/innerError/client-request-id",
                "/error/innerError/date",
            ] {
                if body.pointer(field).is_none() {
                    failures.push(format!("{}: error body lacks {field}", c.name));
                }
            }
            let date = body
                .pointer("/error/innerError/date")
                .and_then(Value::as_str)
                .unwrap_or_default();
            if date.ends_with('Z') {
                failures.push(format!(
                    "{}: innerError.date must have no zone designator: {date}",
                    c.name
                ));
            }
        }
        if response_headers.get("request-id").is_none() {
            failures.push(format!("{}: no request-id header", c.name));
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[tokio::test]
async fn paging_follows_next_links_to_every_user_exactly_once() {
    let env = start(2_500, 10).await;
    let token = env.token(ALL_SCOPES);
    let mut url = "/v1.0/users?$select=id,displayName&$top=999".to_owned();
    let mut seen = std::collections::HashSet::new();
    let mut pages = 0;
    loop {
        let (status, _, body, text) = env.get(&url, Some(&token), &[]).await;
        assert_eq!(status, 200, "{text}");
        pages += 1;
        for user in body["value"].as_array().expect("value") {
            assert!(
                seen.insert(user["id"].as_str().expect("id").to_owned()),
                "duplicate"
            );
            assert_eq!(
                user.as_object().map(|o| o.len()),
                Some(2),
                "only the selected properties"
            );
        }
        match body["@odata.nextLink"].as_str() {
            // The whole URL, followed as given; it keeps $select and $top.
            Some(next) => {
                assert!(
                    next.contains("$skiptoken=") && next.contains("$top=999"),
                    "{next}"
                );
                url = next.to_owned();
            }
            None => break,
        }
    }
    assert_eq!((seen.len(), pages), (2_500, 3));
}

#[tokio::test]
async fn search_needs_the_header_on_every_page() {
    let env = start(1_200, 10).await;
    let token = env.token(ALL_SCOPES);
    let eventual = [("ConsistencyLevel", "eventual")];
    let (status, _, body, _) = env
        .get(
            "/v1.0/users?$search=%22displayName:a%22&$top=50&$count=true",
            Some(&token),
            &eventual,
        )
        .await;
    assert_eq!(status, 200);
    let count = body["@odata.count"]
        .as_u64()
        .expect("count on the first page");
    assert!(count > 50);
    let next = body["@odata.nextLink"]
        .as_str()
        .expect("more pages")
        .to_owned();
    // The header is not carried by the link: without it, the next page is refused.
    let (status, _, _, _) = env.get(&next, Some(&token), &[]).await;
    assert_eq!(status, 400);
    let (status, _, body, _) = env.get(&next, Some(&token), &eventual).await;
    assert_eq!(status, 200);
    assert!(
        body.get("@odata.count").is_none(),
        "@odata.count is on the first page only"
    );
}

#[tokio::test]
async fn transitive_members_reach_nested_groups_and_headers_echo() {
    let env = start(600, 40).await;
    let dir = aadsync_emulator::generate(aadsync_emulator::GeneratorConfig {
        users: 600,
        groups: 40,
        seed: 42,
    });
    let parent = dir
        .groups
        .iter()
        .find(|g| {
            g.members
                .iter()
                .any(|m| dir.groups.iter().any(|n| &n.id == m))
        })
        .expect("a group with a nested group");
    let token = env.token(ALL_SCOPES);
    let count = |path: String| {
        let env = &env;
        let token = token.clone();
        async move {
            let (status, _, _, text) = env
                .get(&path, Some(&token), &[("ConsistencyLevel", "eventual")])
                .await;
            assert_eq!(status, 200, "{text}");
            text.parse::<usize>().expect("a number")
        }
    };
    let direct_users = count(format!(
        "/v1.0/groups/{}/members/microsoft.graph.user/$count",
        parent.id
    ))
    .await;
    let transitive_users = count(format!(
        "/v1.0/groups/{}/transitiveMembers/microsoft.graph.user/$count",
        parent.id
    ))
    .await;
    assert!(
        transitive_users > direct_users,
        "{transitive_users} ≤ {direct_users}"
    );

    let (_, headers, _, _) = env
        .get(
            "/v1.0/me",
            Some(&token),
            &[("client-request-id", "5b1e1c3a-aaaa-4bbb-8ccc-123456789abc")],
        )
        .await;
    assert_eq!(
        headers["client-request-id"],
        "5b1e1c3a-aaaa-4bbb-8ccc-123456789abc"
    );
    assert_eq!(headers["OData-Version"], "4.0");
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap_or_default()
            .starts_with("application/json")
    );
}

#[tokio::test]
async fn the_clock_expires_tokens() {
    let env = start(50, 5).await;
    let token = env
        .emulator
        .mint_access_token(&env.admin, ALL_SCOPES, 600)
        .expect("token");
    assert_eq!(env.get("/v1.0/me", Some(&token), &[]).await.0, 200);
    env.emulator.clock().advance(601);
    let (status, _, body, _) = env.get("/v1.0/me", Some(&token), &[]).await;
    assert_eq!(
        (status, body["error"]["code"].clone()),
        (401, json!("InvalidAuthenticationToken"))
    );
}

#[tokio::test]
async fn get_by_ids_and_batch() {
    let env = start(120, 12).await;
    let dir = aadsync_emulator::generate(aadsync_emulator::GeneratorConfig {
        users: 120,
        groups: 12,
        seed: 42,
    });
    let token = env.token(ALL_SCOPES);
    let base = env.emulator.base_url().to_owned();
    let post = |path: &str, body: Value| {
        let request = env
            .http
            .post(format!("{base}{path}"))
            .bearer_auth(&token)
            .json(&body);
        async move {
            let response = request.send().await.expect("post");
            (
                response.status().as_u16(),
                response.json::<Value>().await.unwrap_or(Value::Null),
            )
        }
    };

    let ids = json!({"ids": [dir.users[3].id, dir.groups[0].id, "00000000-0000-4000-8000-000000000000"], "types": ["user", "group"]});
    let (status, body) = post("/v1.0/directoryObjects/getByIds", ids).await;
    assert_eq!(status, 200, "{body}");
    let types: Vec<&str> = body["value"]
        .as_array()
        .expect("value")
        .iter()
        .filter_map(|v| v["@odata.type"].as_str())
        .collect();
    assert_eq!(
        types,
        vec!["#microsoft.graph.user", "#microsoft.graph.group"],
        "unknown IDs are left out"
    );
    let (_, only_groups) = post(
        "/v1.0/directoryObjects/getByIds",
        json!({"ids": [dir.users[3].id, dir.groups[0].id], "types": ["group"]}),
    )
    .await;
    assert_eq!(only_groups["value"].as_array().map(Vec::len), Some(1));

    // 20 member requests in one batch; each answered with its own status and body.
    let requests: Vec<Value> = dir.groups.iter().cycle().take(20).enumerate().map(|(i, g)| {
        json!({"id": i.to_string(), "method": "GET", "url": format!("/groups/{}/members?$select=id", g.id)})
    }).collect();
    let (status, body) = post("/v1.0/$batch", json!({"requests": requests})).await;
    assert_eq!(status, 200, "{body}");
    let responses = body["responses"].as_array().expect("responses");
    assert_eq!(responses.len(), 20);
    assert!(
        responses
            .iter()
            .all(|r| r["status"] == json!(200) && r["body"]["value"].is_array())
    );

    let too_many: Vec<Value> = (0..21)
        .map(|i| json!({"id": i.to_string(), "method": "GET", "url": "/me"}))
        .collect();
    let (status, _) = post("/v1.0/$batch", json!({"requests": too_many})).await;
    assert_eq!(status, 400);

    // An inner request throttled by a fault comes back as an inner 429 with Retry-After, and a
    // request depending on it fails with 424.
    env.http
        .post(format!("{base}/_emulator/faults"))
        .json(&json!({"path": "/v1.0/users/*", "kind": "throttle", "retryAfter": "3", "times": 1}))
        .send()
        .await
        .expect("fault");
    let (status, body) = post(
        "/v1.0/$batch",
        json!({"requests": [
            {"id": "a", "method": "GET", "url": format!("/users/{}", dir.users[5].id)},
            {"id": "b", "method": "GET", "url": "/me", "dependsOn": ["a"]},
            {"id": "c", "method": "GET", "url": "/users/does-not-exist"},
        ]}),
    )
    .await;
    assert_eq!(status, 200);
    let by_id = |id: &str| {
        body["responses"]
            .as_array()
            .and_then(|r| r.iter().find(|x| x["id"] == json!(id)))
            .cloned()
            .unwrap_or(Value::Null)
    };
    assert_eq!(
        (
            by_id("a")["status"].clone(),
            by_id("a")["headers"]["retry-after"].clone()
        ),
        (json!(429), json!("3"))
    );
    assert_eq!(by_id("b")["status"], json!(424));
    assert_eq!(
        (
            by_id("c")["status"].clone(),
            by_id("c")["body"]["error"]["code"].clone()
        ),
        (json!(404), json!("Request_ResourceNotFound"))
    );
}

/// Follows nextLinks to the deltaLink; returns (objects, deltaLink).
async fn delta_rounds(
    env: &crate::support::Env,
    token: &str,
    start: &str,
    page: &str,
) -> (Vec<Value>, String) {
    let mut url = start.to_owned();
    let mut objects = Vec::new();
    loop {
        let (status, _, body, text) = env.get(&url, Some(token), &[("Prefer", page)]).await;
        assert_eq!(status, 200, "{text}");
        objects.extend(body["value"].as_array().cloned().unwrap_or_default());
        if let Some(next) = body["@odata.nextLink"].as_str() {
            url = next.to_owned();
        } else {
            return (
                objects,
                body["@odata.deltaLink"]
                    .as_str()
                    .expect("deltaLink")
                    .to_owned(),
            );
        }
    }
}

#[tokio::test]
async fn delta_tracks_renames_deletions_and_membership() {
    let env = start(150, 12).await;
    let dir = aadsync_emulator::generate(aadsync_emulator::GeneratorConfig {
        users: 150,
        groups: 12,
        seed: 42,
    });
    let token = env.token(ALL_SCOPES);
    let base = env.emulator.base_url().to_owned();

    let (all, users_link) = delta_rounds(
        &env,
        &token,
        "/v1.0/users/delta?$select=id,userPrincipalName,accountEnabled",
        "odata.maxpagesize=40",
    )
    .await;
    assert_eq!(all.len(), 150);
    let (groups, groups_link) = delta_rounds(
        &env,
        &token,
        "/v1.0/groups/delta?$select=displayName,members",
        "odata.maxpagesize=5",
    )
    .await;
    assert_eq!(groups.len(), 12);
    assert!(
        groups
            .iter()
            .any(|g| g["members@delta"].as_array().is_some_and(|m| !m.is_empty()))
    );

    // `$deltatoken=latest`: no objects, a link for changes from now on (kept with $select).
    let (status, _, latest, text) = env
        .get(
            "/v1.0/users/delta?$select=id,userPrincipalName&$deltatoken=latest",
            Some(&token),
            &[],
        )
        .await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(latest["value"], json!([]));
    let latest_link = latest["@odata.deltaLink"]
        .as_str()
        .expect("deltaLink")
        .to_owned();
    assert!(
        latest_link.contains("$select=id%2CuserPrincipalName")
            || latest_link.contains("$select=id,userPrincipalName"),
        "{latest_link}"
    );

    let (renamed, soft, hard) = (&dir.users[10].id, &dir.users[11].id, &dir.users[12].id);
    let group = dir
        .groups
        .iter()
        .find(|g| g.members.len() >= 2)
        .expect("a group");
    let leaving = group.members[0].clone();
    let control = |method: reqwest::Method, path: String, body: Value| {
        let request = env
            .http
            .request(method, format!("{base}{path}"))
            .json(&body);
        async move { assert!(request.send().await.expect("control").status().is_success()) }
    };
    control(
        reqwest::Method::PATCH,
        format!("/_emulator/users/{renamed}"),
        json!({"userPrincipalName": "renamed@contoso.com"}),
    )
    .await;
    control(
        reqwest::Method::DELETE,
        format!("/_emulator/users/{soft}"),
        json!({}),
    )
    .await;
    control(
        reqwest::Method::DELETE,
        format!("/_emulator/users/{hard}?hard=true"),
        json!({}),
    )
    .await;
    control(
        reqwest::Method::POST,
        format!("/_emulator/groups/{}/members", group.id),
        json!({"add": [dir.users[20].id], "remove": [leaving]}),
    )
    .await;

    let (changes, _) = delta_rounds(&env, &token, &users_link, "odata.maxpagesize=40").await;
    // Graph may repeat an object in a round; the last copy is its state now.
    let find = |id: &str| {
        changes
            .iter()
            .rfind(|c| c["id"] == json!(id))
            .cloned()
            .unwrap_or(Value::Null)
    };
    assert_eq!(
        find(renamed)["userPrincipalName"],
        json!("renamed@contoso.com")
    );
    assert_eq!(find(soft)["@removed"], json!({"reason": "changed"}));
    // A hard-deleted user also left its groups: the user itself is reported deleted.
    assert_eq!(find(hard)["@removed"], json!({"reason": "deleted"}));
    assert!(
        !changes.iter().any(|c| c["id"] == json!(dir.users[30].id)),
        "unchanged users are not repeated"
    );
    let (since_latest, _) = delta_rounds(&env, &token, &latest_link, "odata.maxpagesize=40").await;
    let ids = |list: &[Value]| -> Vec<Value> {
        let mut ids: Vec<Value> = list.iter().map(|c| c["id"].clone()).collect();
        ids.sort_by_key(|v| v.to_string());
        ids
    };
    assert_eq!(ids(&since_latest), ids(&changes));

    let (group_changes, _) = delta_rounds(&env, &token, &groups_link, "odata.maxpagesize=5").await;
    // Graph may split a group's members@delta over several items: read them all.
    let members: Vec<&Value> = group_changes
        .iter()
        .filter(|g| g["id"] == json!(group.id))
        .flat_map(|g| g["members@delta"].as_array().into_iter().flatten())
        .collect();
    assert!(
        members
            .iter()
            .any(|m| m["id"] == json!(dir.users[20].id) && m.get("@removed").is_none())
    );
    assert!(members.iter().any(
        |m| m["id"] == json!(group.members[0]) && m["@removed"] == json!({"reason": "deleted"})
    ));

    // A token from another emulator instance (a history this one never had) is not honoured.
    use base64::Engine;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let (head, token_text) = users_link.split_once("$deltatoken=").expect("token");
    let raw = String::from_utf8(b64.decode(token_text).expect("base64")).expect("utf8");
    let mut parts: Vec<String> = raw.split(':').map(str::to_owned).collect();
    parts[1] = (parts[1].parse::<u64>().expect("epoch") + 1).to_string();
    let foreign = format!("{head}$deltatoken={}", b64.encode(parts.join(":")));
    let (status, _, body, _) = env.get(&foreign, Some(&token), &[]).await;
    assert_eq!(
        (status, body["error"]["code"].clone()),
        (410, json!("syncStateNotFound"))
    );

    // Delta tokens expire after 7 days. The strict emulator alternates Graph's two documented
    // answers: this second expired answer is 400 `syncStateNotFound`, the next 410 Gone with
    // where to start over.
    env.emulator.clock().advance(8 * 86_400);
    let fresh = env.token(ALL_SCOPES);
    let (status, _, body, _) = env.get(&users_link, Some(&fresh), &[]).await;
    assert_eq!(
        (status, body["error"]["code"].clone()),
        (400, json!("syncStateNotFound"))
    );
    let (status, headers, body, _) = env.get(&users_link, Some(&fresh), &[]).await;
    assert_eq!(
        (status, body["error"]["code"].clone()),
        (410, json!("syncStateNotFound"))
    );
    assert!(
        headers["location"]
            .to_str()
            .expect("location")
            .contains("/v1.0/users/delta")
    );
    assert_eq!(
        env.get("/v1.0/users/delta?$top=5", Some(&fresh), &[])
            .await
            .0,
        400
    );
}

#[tokio::test]
async fn organization_names_the_tenant_and_its_verified_domains() {
    let env = start(10, 2).await;
    let token = env.token(&["User.Read"]);
    let (status, _, body, _) = env.get("/v1.0/organization", Some(&token), &[]).await;
    assert_eq!(status, 200, "{body}");
    let org = &body["value"][0];
    assert_eq!(org["id"], serde_json::json!(env.emulator.tenant_id()));
    let domains = org["verifiedDomains"].as_array().expect("domains");
    assert_eq!(domains.iter().filter(|d| d["isDefault"] == true).count(), 1);
    assert!(domains.iter().any(|d| {
        d["isInitial"] == true
            && d["name"]
                .as_str()
                .is_some_and(|n| n.ends_with(".onmicrosoft.com"))
    }));
    let (_, _, selected, _) = env
        .get("/v1.0/organization?$select=displayName", Some(&token), &[])
        .await;
    assert_eq!(
        selected["value"][0].as_object().map(|o| o.len()),
        Some(1),
        "{selected}"
    );
    let (status, _, _, _) = env.get("/v1.0/organization", None, &[]).await;
    assert_eq!(status, 401);
}
