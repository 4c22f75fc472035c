//! `$batch` answers: users by ID and group members page by page, inner answers in any order,
//! left out, repeated, throttled, with broken statuses or bodies.

use super::collections::{GenUser, damage, user};
use super::{config, stub, text};
use aadsync_directory::graph::{Expansion, GraphError, RemoteUser};
use proptest::prelude::*;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};

/// What one inner answer does beside its content.
#[derive(Debug, Clone)]
enum Quirk {
    None,
    /// Left out of the first answer, present when asked again.
    LeftOutOnce,
    LeftOutAlways,
    Twice,
    /// 429 with this `Retry-After` first, then the answer.
    Throttled(&'static str),
    /// A status that is none: 65,536 above the real one, or absent.
    StatusOverflow,
    StatusAbsent,
    /// 200 with a body that is no user.
    Unreadable(Value),
}

impl Quirk {
    /// Whether the call must fail because of it.
    fn fails(&self) -> bool {
        match self {
            Quirk::None | Quirk::LeftOutOnce => false,
            // Longer than any wait honoured (`RetryPolicy::max_retry_after`).
            Quirk::Throttled(after) => !matches!(*after, "0" | "0.01"),
            _ => true,
        }
    }
}

fn quirk() -> impl Strategy<Value = Quirk> {
    let no_user = super::extra_value()
        .prop_filter("no user", |v| v.get("id").and_then(Value::as_str).is_none());
    prop_oneof![
        40 => Just(Quirk::None),
        2 => Just(Quirk::LeftOutOnce),
        1 => Just(Quirk::LeftOutAlways),
        2 => Just(Quirk::Twice),
        2 => prop::sample::select(vec!["0", "0.01", "1e300", "100000", "Sun, 06 Nov 9999 08:49:37 GMT"])
            .prop_map(Quirk::Throttled),
        1 => Just(Quirk::StatusOverflow),
        1 => Just(Quirk::StatusAbsent),
        1 => no_user.prop_map(Quirk::Unreadable),
    ]
}

/// One requested ID: the user Graph has (or a 404), and how its answer misbehaves.
#[derive(Debug, Clone)]
struct Asked {
    user: Option<GenUser>,
    quirk: Quirk,
}

fn asked() -> impl Strategy<Value = Vec<Asked>> {
    prop::collection::vec(
        (prop::option::weighted(0.8, user()), quirk())
            .prop_map(|(user, quirk)| Asked { user, quirk }),
        1..30,
    )
}

/// The inner answer to the request with ID `i` for `a` (its `n`th time asked), as JSON text;
/// `None` to leave it out.
fn inner(i: &str, a: &Asked, n: usize) -> Option<String> {
    let head = |status: Value, body: &str| {
        format!(r#"{{"id":"{i}","status":{status},"headers":{{"Retry-After":"0"}},"body":{body}}}"#)
    };
    let not_found = r#"{"error":{"code":"Request_ResourceNotFound","message":"gone"}}"#;
    let (status, body) = match &a.user {
        Some(u) => (200u64, u.text.clone()),
        None => (404, not_found.to_owned()),
    };
    let first = n == 0;
    Some(match &a.quirk {
        Quirk::LeftOutOnce if first => return None,
        Quirk::LeftOutAlways => return None,
        Quirk::Twice => format!(
            "{},{}",
            head(json!(status), &body),
            head(json!(status), &body)
        ),
        Quirk::Throttled(after) if first => format!(
            r#"{{"id":"{i}","status":429,"headers":{{"Retry-After":{}}},"body":{{}}}}"#,
            json!(after)
        ),
        Quirk::StatusOverflow => head(json!(status + 65_536), &body),
        Quirk::StatusAbsent => format!(r#"{{"id":"{i}","body":{body}}}"#),
        Quirk::Unreadable(v) => head(json!(200), &v.to_string()),
        _ => head(json!(status), &body),
    })
}

fn users_by_ids(
    asked: Vec<Asked>,
    order: u64,
) -> Result<(Vec<RemoteUser>, Vec<String>), GraphError> {
    // A case that fails may leave batches in flight that reach the stub after the next case
    // took over; its IDs carry the case's number, so the next case's stub knows them as
    // not its own and answers them without counting them.
    static CASES: AtomicU64 = AtomicU64::new(0);
    let case = format!("c{}-", CASES.fetch_add(1, Ordering::Relaxed));
    let ids: Vec<String> = (0..asked.len()).map(|i| format!("{case}id-{i}")).collect();
    let stub = stub();
    let mut times: HashMap<usize, usize> = HashMap::new();
    let ours = format!("/users/{case}id-");
    stub.answer(move |_, _, body| {
        let request: Value = serde_json::from_slice(body).unwrap_or_default();
        let mut answers: Vec<(u64, String)> = Vec::new();
        for r in request["requests"].as_array().into_iter().flatten() {
            // The user comes from the URL, as in Graph: a request's ID is the client's own
            // label, and a retry may carry a new one.
            let Some(i) = r["url"]
                .as_str()
                .and_then(|url| url.split(ours.as_str()).nth(1))
                .map(|rest| {
                    rest.chars()
                        .take_while(char::is_ascii_digit)
                        .collect::<String>()
                })
                .and_then(|digits| digits.parse::<usize>().ok())
                .filter(|i| *i < asked.len())
            else {
                return (503, Vec::new());
            };
            let n = times.entry(i).or_default();
            let id = r["id"].as_str().unwrap_or_default();
            if let Some(text) = inner(id, &asked[i], *n) {
                // Any order: sorted by a hash of the case's seed and the index.
                answers.push(((i as u64 + 1).wrapping_mul(order | 1).rotate_left(17), text));
            }
            *n += 1;
        }
        answers.sort();
        let texts: Vec<String> = answers.into_iter().map(|(_, t)| t).collect();
        (
            200,
            format!(r#"{{"responses":[{}]}}"#, texts.join(",")).into_bytes(),
        )
    });
    let client = stub.client();
    stub.run(async {
        let by_id = client.users_by_ids(&ids).await?;
        let missing = by_id
            .missing
            .iter()
            .map(|id| id.strip_prefix(case.as_str()).unwrap_or(id).to_owned())
            .collect();
        Ok((by_id.found, missing))
    })
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn users_by_id_are_every_answer_or_an_error(asked in asked(), order in any::<u64>()) {
        let fails = asked.iter().any(|a| a.quirk.fails());
        let found: Vec<RemoteUser> = asked
            .iter()
            .filter_map(|a| a.user.as_ref().map(|u| u.expected.clone()))
            .collect();
        let missing: Vec<String> = asked
            .iter()
            .enumerate()
            .filter(|(_, a)| a.user.is_none())
            .map(|(i, _)| format!("id-{i}"))
            .collect();
        let read = users_by_ids(asked, order);
        if fails {
            prop_assert!(read.is_err(), "{:?}", read);
        } else {
            prop_assert_eq!(read.expect("every answer"), (found, missing));
        }
    }
}

/// Groups with their member pages (users with distinct IDs across all groups).
#[derive(Debug, Clone)]
struct Groups {
    /// (ID, display name, pages of members).
    groups: Vec<(String, String, Vec<Vec<GenUser>>)>,
}

fn groups() -> impl Strategy<Value = Groups> {
    let pages = prop::collection::vec(prop::collection::vec(user(), 0..4), 1..3);
    prop::collection::btree_map("[0-9a-f]{8}", (text(), pages), 1..4).prop_map(|groups| {
        let mut seen = HashSet::new();
        let groups = groups
            .into_iter()
            .map(|(id, (name, pages))| {
                let pages = pages
                    .into_iter()
                    .map(|p| {
                        p.into_iter()
                            .filter(|u| seen.insert(u.expected.id.clone()))
                            .collect()
                    })
                    .collect();
                (id, name, pages)
            })
            .collect();
        Groups { groups }
    })
}

impl Groups {
    /// Page `p` of group `g` as JSON, linking to the next one.
    fn page(&self, g: usize, p: usize, base: &str) -> Value {
        let (id, _, pages) = &self.groups[g];
        let items: Vec<Value> = pages[p]
            .iter()
            .map(|u| serde_json::from_str(&u.text).expect("valid"))
            .collect();
        let mut page = json!({ "value": items });
        if p + 1 < pages.len() {
            page["@odata.nextLink"] = json!(format!(
                "{base}/v1.0/groups/{id}/members/microsoft.graph.user?$skiptoken={}",
                p + 1
            ));
        }
        page
    }
}

fn expand(
    groups: &Groups,
    damaged: Option<(usize, usize, Value)>,
) -> Result<Expansion, GraphError> {
    let stub = stub();
    let base = stub.base.clone();
    let answer_groups = groups.clone();
    stub.answer(move |_, _, body| {
        let request: Value = serde_json::from_slice(body).unwrap_or_default();
        let mut answers = Vec::new();
        for r in request["requests"].as_array().into_iter().flatten() {
            let url = r["url"].as_str().unwrap_or_default();
            let id = url.split('/').nth(2).unwrap_or_default();
            // A batch of an earlier case that failed before all its batches were answered.
            let Some(g) = answer_groups
                .groups
                .iter()
                .position(|(gid, _, _)| gid == id)
            else {
                return (503, Vec::new());
            };
            let p = super::collections::page_number(url);
            let body = match &damaged {
                Some((dg, dp, value)) if (*dg, *dp) == (g, p) => value.clone(),
                _ => answer_groups.page(g, p, &base),
            };
            answers.push(json!({ "id": r["id"], "status": 200, "body": body }));
        }
        (
            200,
            json!({ "responses": answers }).to_string().into_bytes(),
        )
    });
    let client = stub.client();
    let level: Vec<(String, String)> = groups
        .groups
        .iter()
        .map(|(id, name, _)| (id.clone(), name.clone()))
        .collect();
    stub.run(client.expand_groups(&level, false, &HashSet::new()))
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn group_members_are_every_page_or_an_error(groups in groups()) {
        let expansion = expand(&groups, None).expect("every member");
        let mut members = HashMap::new();
        let mut users = BTreeMap::new();
        for (id, name, pages) in &groups.groups {
            let list: Vec<String> = pages.iter().flatten().map(|u| u.expected.id.clone()).collect();
            members.insert(id.clone(), list);
            for u in pages.iter().flatten() {
                users.insert(u.expected.id.clone(), (u.expected.clone(), name.clone()));
            }
        }
        prop_assert_eq!(expansion.members, members);
        prop_assert_eq!(expansion.users, users);
    }

    #[test]
    fn a_damaged_member_page_is_an_error(
        groups in groups(), damage in damage(), at in any::<usize>(),
    ) {
        let g = at % groups.groups.len();
        let p = (at / 7) % groups.groups[g].2.len();
        let page = groups.page(g, p, &stub().base);
        let Some(damaged) = damage.apply(page, at) else {
            return Ok(());
        };
        let read = expand(&groups, Some((g, p, damaged)));
        prop_assert!(read.is_err(), "{:?}: {:?}", damage, read.map(|e| e.members));
    }
}

/// A body inside a `$batch` that no `Value` can hold (a number beyond an f64) is an error,
/// never an empty answer: a group read by ID and answered that way is not a deleted group.
#[test]
fn an_inner_body_no_value_holds_is_an_error_not_an_empty_answer() {
    let stub = stub();
    stub.answer(|_, _, body| {
        let request: Value = serde_json::from_slice(body).unwrap_or_default();
        let id = request["requests"][0]["id"].as_str().unwrap_or("0").to_owned();
        let answer = format!(
            r#"{{"responses":[{{"id":"{id}","status":200,"body":{{"id":"g","displayName":"Sales","size":1e400}}}}]}}"#
        );
        (200, answer.into_bytes())
    });
    let client = stub.client();
    let read = stub.run(async { client.batch_get(&["/groups/g".to_owned()]).await });
    assert!(read.is_err(), "{read:?}");
}
