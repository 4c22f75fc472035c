//! `users/delta` and `groups/delta`: full enumeration, then changes since a delta token.

use super::auth::{Call, READ_GROUPS, READ_USERS, begin};
use super::projection::{GROUP_DEFAULT, Known, USER_DEFAULT, known_group, known_user, project};
use super::query;
use super::response::GraphError;
use crate::directory::Kind;
use crate::state::Shared;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::Response;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, HashMap};

/// Delta tokens are honored this long (Graph: 7 days for directory objects).
pub const TOKEN_LIFETIME: i64 = 7 * 86_400;
const DEFAULT_PAGE: usize = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token {
    /// Page `offset` of the full enumeration started at `version`.
    Skip {
        version: u64,
        offset: usize,
        issued: i64,
    },
    /// Changes after `version`.
    Delta { version: u64, issued: i64 },
    /// `$deltatoken=latest`: no objects, just a link for changes from now on.
    Latest,
}

fn encode(epoch: u64, token: Token) -> String {
    let text = match token {
        Token::Skip {
            version,
            offset,
            issued,
        } => format!("s:{epoch}:{version}:{offset}:{issued}"),
        Token::Delta { version, issued } => format!("d:{epoch}:{version}:{issued}"),
        Token::Latest => "latest".into(),
    };
    URL_SAFE_NO_PAD.encode(text)
}

/// The token and the emulator instance that issued it.
fn decode(text: &str) -> Option<(u64, Token)> {
    if text == "latest" {
        return Some((0, Token::Latest));
    }
    let raw = String::from_utf8(URL_SAFE_NO_PAD.decode(text).ok()?).ok()?;
    let parts: Vec<&str> = raw.split(':').collect();
    match parts.as_slice() {
        ["s", e, v, o, t] => Some((
            e.parse().ok()?,
            Token::Skip {
                version: v.parse().ok()?,
                offset: o.parse().ok()?,
                issued: t.parse().ok()?,
            },
        )),
        ["d", e, v, t] => Some((
            e.parse().ok()?,
            Token::Delta {
                version: v.parse().ok()?,
                issued: t.parse().ok()?,
            },
        )),
        _ => None,
    }
}

pub async fn users(state: State<Shared>, headers: HeaderMap, raw: RawQuery) -> Response {
    delta(state, headers, raw, Kind::User).await
}

pub async fn groups(state: State<Shared>, headers: HeaderMap, raw: RawQuery) -> Response {
    delta(state, headers, raw, Kind::Group).await
}

async fn delta(
    State(shared): State<Shared>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
    kind: Kind,
) -> Response {
    let call = match begin(
        &shared,
        &headers,
        if kind == Kind::Group {
            READ_GROUPS
        } else {
            READ_USERS
        },
    ) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let (collection, default, known): (&str, &[&str], Known<'_>) = match kind {
        Kind::Group => ("groups", GROUP_DEFAULT, &known_group),
        _ => ("users", USER_DEFAULT, &known_user),
    };
    let mut select: Option<Vec<String>> = None;
    // Delta results always carry the object ID, whatever $select says.
    let mut token: Option<Token> = None;
    let mut keep: Vec<(String, String)> = Vec::new();
    for (key, value) in query::parse_pairs(raw.as_deref()) {
        match key.as_str() {
            "$select" => {
                let props: Vec<String> = value
                    .split(',')
                    .map(|p| p.trim().to_owned())
                    .filter(|p| !p.is_empty())
                    .collect();
                if let Some(bad) = props
                    .iter()
                    .find(|p| !(known(p) || kind == Kind::Group && p.as_str() == "members"))
                {
                    return call.ids.error(GraphError::bad_request(format!(
                        "Could not find a property named '{bad}' on type '{}'.",
                        kind.type_name()
                    )));
                }
                let mut props = props;
                if !props.iter().any(|p| p == "id") {
                    props.insert(0, "id".into());
                }
                select = Some(props);
                keep.push((key, value));
            }
            "$deltatoken" | "$skiptoken" => match decode(&value) {
                Some((_, Token::Latest)) if key == "$skiptoken" => {
                    return call
                        .ids
                        .error(GraphError::bad_request("The skip token is invalid.".into()));
                }
                Some((_, Token::Latest)) => token = Some(Token::Latest),
                Some((epoch, t)) => {
                    let log = shared.changes();
                    let version = match t {
                        Token::Skip { version, .. } | Token::Delta { version, .. } => version,
                        Token::Latest => 0,
                    };
                    // History this instance never had: the state is not available.
                    if epoch != log.epoch || version > log.version {
                        drop(log);
                        return expired(&call, &shared_base(&shared, collection), &keep);
                    }
                    token = Some(t);
                }
                None => {
                    return call.ids.error(GraphError::bad_request(
                        "The delta token is invalid.".into(),
                    ));
                }
            },
            "$top" | "$orderby" | "$expand" | "$search" | "$count" => {
                return call.ids.error(GraphError::unsupported(format!(
                    "The query parameter '{key}' is not supported with change tracking."
                )));
            }
            _ => {}
        }
    }
    let page_size = headers
        .get("Prefer")
        .and_then(|v| v.to_str().ok())
        .and_then(|p| {
            p.split(',')
                .find_map(|part| part.trim().strip_prefix("odata.maxpagesize=")?.parse().ok())
        })
        .unwrap_or(DEFAULT_PAGE)
        .clamp(1, 999);
    let now = shared.clock.now();
    let epoch = shared.changes().epoch;
    let base = shared_base(&shared, collection);
    let link = |token: Token| {
        let mut pairs = keep.clone();
        pairs.push((
            if matches!(token, Token::Delta { .. }) {
                "$deltatoken"
            } else {
                "$skiptoken"
            }
            .to_owned(),
            encode(epoch, token),
        ));
        format!("{base}?{}", query::encode_pairs(&pairs))
    };
    let with_members = select
        .as_ref()
        .is_some_and(|s| s.iter().any(|p| p == "members"));
    let typed = |id: &str| -> Value {
        let t = if call.directory.group(id).is_some() {
            "#microsoft.graph.group"
        } else {
            "#microsoft.graph.user"
        };
        json!({"@odata.type": t, "id": id})
    };
    let items: &[Value] = if kind == Kind::Group {
        &call.directory.groups_json
    } else {
        &call.directory.users_json
    };
    let mut body = Map::new();
    body.insert(
        "@odata.context".into(),
        json!(format!("{}/v1.0/$metadata#{collection}", shared.base_url())),
    );

    let value: Vec<Value> = match token {
        Some(Token::Latest) => {
            body.insert(
                "@odata.deltaLink".into(),
                json!(link(Token::Delta {
                    version: shared.changes().version,
                    issued: now
                })),
            );
            Vec::new()
        }
        None | Some(Token::Skip { .. }) => {
            let (version, offset, issued) = match token {
                Some(Token::Skip {
                    version,
                    offset,
                    issued,
                }) => (version, offset, issued),
                _ => (shared.changes().version, 0, now),
            };
            if now - issued > TOKEN_LIFETIME {
                return expired(&call, &base, &keep);
            }
            let end = (offset + page_size).min(items.len());
            let page: Vec<Value> = items[offset.min(end)..end]
                .iter()
                .map(|o| {
                    let mut v = project(o, select.as_deref(), default, None);
                    if with_members
                        && let (Value::Object(map), Some(id)) = (&mut v, o["id"].as_str())
                    {
                        let members: Vec<Value> = call
                            .directory
                            .members_of(id, false)
                            .iter()
                            .map(|m| typed(m))
                            .collect();
                        map.insert("members@delta".into(), Value::Array(members));
                    }
                    v
                })
                .collect();
            if end < items.len() {
                body.insert(
                    "@odata.nextLink".into(),
                    json!(link(Token::Skip {
                        version,
                        offset: end,
                        issued
                    })),
                );
            } else {
                body.insert(
                    "@odata.deltaLink".into(),
                    json!(link(Token::Delta {
                        version,
                        issued: now
                    })),
                );
            }
            page
        }
        Some(Token::Delta { version, issued }) => {
            if now - issued > TOKEN_LIFETIME {
                return expired(&call, &base, &keep);
            }
            let log = shared.changes();
            // Per object, in order of first change; per member, the last operation wins.
            let mut order: Vec<String> = Vec::new();
            let mut members: HashMap<String, BTreeMap<String, bool>> = HashMap::new();
            for change in log
                .changes
                .iter()
                .filter(|c| c.version > version && c.kind == kind)
            {
                if !order.contains(&change.object_id) {
                    order.push(change.object_id.clone());
                }
                let entry = members.entry(change.object_id.clone()).or_default();
                for m in &change.added_members {
                    entry.insert(m.clone(), true);
                }
                for m in &change.removed_members {
                    entry.insert(m.clone(), false);
                }
            }
            let current = log.version;
            drop(log);
            body.insert(
                "@odata.deltaLink".into(),
                json!(link(Token::Delta {
                    version: current,
                    issued: now
                })),
            );
            order
                .iter()
                .map(|id| {
                    let active = if kind == Kind::Group { call.directory.group(id) } else { call.directory.user(id) };
                    match active {
                        Some(o) => {
                            let mut v = project(o, select.as_deref(), default, None);
                            if with_members && let Value::Object(map) = &mut v {
                                let delta: Vec<Value> = members
                                    .get(id)
                                    .into_iter()
                                    .flatten()
                                    .map(|(m, added)| {
                                        let mut item = typed(m);
                                        if !added {
                                            item["@removed"] = json!({"reason": "deleted"});
                                        }
                                        item
                                    })
                                    .collect();
                                map.insert("members@delta".into(), Value::Array(delta));
                            }
                            v
                        }
                        None => {
                            let soft = call.directory.tenant.users.iter().any(|u| &u.id == id && u.deleted_date_time.is_some())
                                || call.directory.tenant.groups.iter().any(|g| &g.id == id && g.deleted_date_time.is_some());
                            json!({"id": id, "@removed": {"reason": if soft { "changed" } else { "deleted" }}})
                        }
                    }
                })
                .collect()
        }
    };
    body.insert("value".into(), Value::Array(value));
    call.ids.json(Value::Object(body))
}

fn shared_base(shared: &Shared, collection: &str) -> String {
    format!("{}/v1.0/{collection}/delta", shared.base_url())
}

/// An expired token: 410 Gone, and where to start over.
fn expired(call: &Call, base: &str, keep: &[(String, String)]) -> Response {
    let mut response = call.ids.error(GraphError {
        status: axum::http::StatusCode::GONE,
        code: "syncStateNotFound",
        message: "The sync state of this delta token is not available anymore. Start a full synchronization with a new delta request.".into(),
    });
    let restart = if keep.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", query::encode_pairs(keep))
    };
    if let Ok(v) = HeaderValue::from_str(&restart) {
        response.headers_mut().insert(header::LOCATION, v);
    }
    response
}
