//! `users/delta` and `groups/delta`: full enumeration, then the changes since a delta token —
//! the difference between the directory as Graph showed it then and shows it now (`changes.rs`
//! says what Graph reports and from which pages of its documentation).

use super::auth::{Call, READ_GROUPS, READ_USERS, begin};
use super::projection::{GROUP_DEFAULT, Known, USER_DEFAULT, known_group, known_user, project};
use super::query;
use super::replay;
use super::response::GraphError;
use crate::changes::{NetChange, Seen, member_delta};
use crate::directory::{Kind, Properties};
use crate::state::Shared;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::Response;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value, json};

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

/// What differs between `users/delta` and `groups/delta`.
struct Collection {
    kind: Kind,
    name: &'static str,
    scopes: &'static [&'static str],
    default: &'static [&'static str],
    known: fn(&str) -> bool,
}

impl Collection {
    fn of(kind: Kind) -> Self {
        match kind {
            Kind::Group => Self {
                kind,
                name: "groups",
                scopes: READ_GROUPS,
                default: GROUP_DEFAULT,
                known: known_group,
            },
            _ => Self {
                kind,
                name: "users",
                scopes: READ_USERS,
                default: USER_DEFAULT,
                known: known_user,
            },
        }
    }

    fn base(&self, shared: &Shared) -> String {
        format!("{}/v1.0/{}/delta", shared.base_url(), self.name)
    }
}

/// A delta request's query options.
struct Options {
    select: Option<Vec<String>>,
    token: Option<Token>,
    /// The parameters every link of the response repeats (`$select`).
    keep: Vec<(String, String)>,
}

async fn delta(
    State(shared): State<Shared>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
    kind: Kind,
) -> Response {
    let collection = Collection::of(kind);
    let call = match begin(&shared, &headers, collection.scopes) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let options = match parse_options(&shared, &call, &collection, raw.as_deref()) {
        Ok(options) => options,
        Err(r) => return r,
    };
    let links = Links {
        base: collection.base(&shared),
        keep: &options.keep,
        epoch: shared.changes().epoch,
    };
    let view = View {
        call: &call,
        collection: &collection,
        select: options.select.as_deref(),
        // Graph tracks members by default, and with `$select` only when `members` is selected.
        with_members: (options.select.as_ref()).is_none_or(|s| s.iter().any(|p| p == "members")),
    };
    let mut body = Map::new();
    body.insert(
        "@odata.context".into(),
        json!(format!(
            "{}/v1.0/$metadata#{}",
            shared.base_url(),
            collection.name
        )),
    );
    let now = shared.clock.now();
    let value = match options.token {
        Some(Token::Latest) => {
            let version = call.directory.version;
            body.insert(
                "@odata.deltaLink".into(),
                json!(links.to(Token::Delta {
                    version,
                    issued: now
                })),
            );
            Ok(Vec::new())
        }
        None | Some(Token::Skip { .. }) => {
            let page = Page::of(&call, options.token, now, &headers);
            enumeration(&view, &links, page, now, &mut body)
        }
        Some(Token::Delta { version, issued }) => {
            changes(&shared, &view, &links, version, issued, now, &mut body)
        }
    };
    match value {
        Ok(value) => {
            body.insert("value".into(), Value::Array(value));
            call.ids.json(Value::Object(body))
        }
        Err(Expired) => expired(&shared, &call, &links.base, &options.keep),
    }
}

/// Reads `$select` (the object ID always included), the delta or skip token, and refuses the
/// options change tracking does not support.
// The error is the finished HTTP response, returned at once by the handler; boxing it would
// only add an allocation.
#[allow(clippy::result_large_err)]
fn parse_options(
    shared: &Shared,
    call: &Call,
    collection: &Collection,
    raw: Option<&str>,
) -> Result<Options, Response> {
    let mut options = Options {
        select: None,
        token: None,
        keep: Vec::new(),
    };
    for (key, value) in query::parse_pairs(raw) {
        match key.as_str() {
            "$select" => {
                let props = select(&value, collection).map_err(|e| call.ids.error(e))?;
                options.select = Some(props);
                options.keep.push((key, value));
            }
            "$deltatoken" | "$skiptoken" => {
                options.token = Some(read_token(
                    shared,
                    call,
                    collection,
                    &key,
                    &value,
                    &options.keep,
                )?);
            }
            "$top" | "$orderby" | "$expand" | "$search" | "$count" => {
                return Err(call.ids.error(GraphError::unsupported(format!(
                    "The query parameter '{key}' is not supported with change tracking."
                ))));
            }
            _ => {}
        }
    }
    Ok(options)
}

/// `$select` on delta: known properties (and `members` on groups); delta results always carry
/// the object ID, whatever `$select` says.
fn select(value: &str, collection: &Collection) -> Result<Vec<String>, GraphError> {
    let kind = collection.kind;
    let known: Known<'_> = &collection.known;
    let mut props: Vec<String> = value
        .split(',')
        .map(|p| p.trim().to_owned())
        .filter(|p| !p.is_empty())
        .collect();
    if let Some(bad) = props
        .iter()
        .find(|p| !(known(p) || kind == Kind::Group && p.as_str() == "members"))
    {
        return Err(GraphError::bad_request(format!(
            "Could not find a property named '{bad}' on type '{}'.",
            kind.type_name()
        )));
    }
    if !props.iter().any(|p| p == "id") {
        props.insert(0, "id".into());
    }
    Ok(props)
}

/// A delta or skip token this instance issued and still has the history for.
// The error is the finished HTTP response, as in `parse_options`.
#[allow(clippy::result_large_err)]
fn read_token(
    shared: &Shared,
    call: &Call,
    collection: &Collection,
    key: &str,
    value: &str,
    keep: &[(String, String)],
) -> Result<Token, Response> {
    match decode(value) {
        Some((_, Token::Latest)) if key == "$skiptoken" => Err(call
            .ids
            .error(GraphError::bad_request("The skip token is invalid.".into()))),
        Some((_, Token::Latest)) => Ok(Token::Latest),
        Some((epoch, t)) => {
            let log = shared.changes();
            let version = match t {
                Token::Skip { version, .. } | Token::Delta { version, .. } => version,
                Token::Latest => 0,
            };
            // History this instance never had: the state is not available.
            if epoch != log.epoch || version > log.version {
                drop(log);
                return Err(expired(shared, call, &collection.base(shared), keep));
            }
            Ok(t)
        }
        None => Err(call.ids.error(GraphError::bad_request(
            "The delta token is invalid.".into(),
        ))),
    }
}

/// Builds the next and delta links of one response.
struct Links<'a> {
    base: String,
    keep: &'a [(String, String)],
    /// This emulator instance: tokens from another one are refused.
    epoch: u64,
}

impl Links<'_> {
    fn to(&self, token: Token) -> String {
        let mut pairs = self.keep.to_vec();
        pairs.push((
            if matches!(token, Token::Delta { .. }) {
                "$deltatoken"
            } else {
                "$skiptoken"
            }
            .to_owned(),
            encode(self.epoch, token),
        ));
        format!("{}?{}", self.base, query::encode_pairs(&pairs))
    }
}

/// How one response shows its objects.
struct View<'a> {
    call: &'a Call,
    collection: &'a Collection,
    select: Option<&'a [String]>,
    /// `members` selected: groups carry `members@delta`.
    with_members: bool,
}

impl View<'_> {
    fn project(&self, object: &impl Properties) -> Value {
        project(object, self.select, self.collection.default, None)
    }

    /// Whether a property this request tracks differs between two views of an object.
    fn tracked_changed(&self, before: &Value, after: &Value) -> bool {
        match self.select {
            Some(props) => props
                .iter()
                .filter(|p| p.as_str() != "members")
                .any(|p| before.get(p) != after.get(p)),
            None => before != after,
        }
    }

    /// The kind of a listed member.
    fn kind_of(&self, id: &str) -> Kind {
        if self.call.directory.group(id).is_some() {
            Kind::Group
        } else {
            Kind::User
        }
    }
}

/// A token too old (or from another instance's history): 410 with where to start over.
struct Expired;

/// Where the full enumeration is: its version, offset and when it started.
struct Page {
    version: u64,
    offset: usize,
    issued: i64,
    size: usize,
}

impl Page {
    /// The page a skip token points at, or the first page of a new enumeration (of the
    /// snapshot the request reads, so its delta link starts exactly there), sized by
    /// `Prefer: odata.maxpagesize`.
    fn of(call: &Call, token: Option<Token>, now: i64, headers: &HeaderMap) -> Self {
        let (version, offset, issued) = match token {
            Some(Token::Skip {
                version,
                offset,
                issued,
            }) => (version, offset, issued),
            _ => (call.directory.version, 0, now),
        };
        let size = headers
            .get("Prefer")
            .and_then(|v| v.to_str().ok())
            .and_then(|p| {
                p.split(',')
                    .find_map(|part| part.trim().strip_prefix("odata.maxpagesize=")?.parse().ok())
            })
            .unwrap_or(DEFAULT_PAGE)
            .clamp(1, 999);
        Self {
            version,
            offset,
            issued,
            size,
        }
    }
}

/// One page of the full enumeration, then a next link or, after the last, the delta link.
fn enumeration(
    view: &View<'_>,
    links: &Links<'_>,
    page: Page,
    now: i64,
    body: &mut Map<String, Value>,
) -> Result<Vec<Value>, Expired> {
    if now - page.issued > TOKEN_LIFETIME {
        return Err(Expired);
    }
    let (directory, kind) = (&view.call.directory, view.collection.kind);
    let total = directory.listed(kind).len();
    let end = (page.offset + page.size).min(total);
    let value: Vec<Value> = (directory.listed(kind).range(page.offset..end).iter())
        .map(|o| {
            let mut v = view.project(o);
            if view.with_members
                && let Value::Object(map) = &mut v
            {
                let members: Vec<Value> = (directory.members_of(o.id(), false).iter())
                    .map(|m| typed(m, view.kind_of(m)))
                    .collect();
                // Graph leaves the annotation out of a group with no members.
                if !members.is_empty() {
                    map.insert("members@delta".into(), Value::Array(members));
                }
            }
            v
        })
        .collect();
    let (version, issued) = (page.version, page.issued);
    if end < total {
        body.insert(
            "@odata.nextLink".into(),
            json!(links.to(Token::Skip {
                version,
                offset: end,
                issued
            })),
        );
    } else {
        body.insert(
            "@odata.deltaLink".into(),
            json!(links.to(Token::Delta {
                version,
                issued: now
            })),
        );
    }
    Ok(value)
}

/// What changed since `version` (see `changes.rs` for what Graph reports and why), per object
/// in order of first change: the object as it is now, or `@removed` (`changed` when it sits in
/// the recycle bin, `deleted` when it is gone).
fn changes(
    shared: &Shared,
    view: &View<'_>,
    links: &Links<'_>,
    version: u64,
    issued: i64,
    now: i64,
    body: &mut Map<String, Value>,
) -> Result<Vec<Value>, Expired> {
    if now - issued > TOKEN_LIFETIME {
        return Err(Expired);
    }
    // One lock for the changes and the version the next link starts from: a mutation between
    // the two would otherwise be skipped or reported twice.
    let log = shared.changes();
    let quirks = shared.quirks;
    let mut value = Vec::new();
    for (i, change) in log.since(view.collection.kind, version).iter().enumerate() {
        let Some(item) = changed_object(view, change) else {
            continue;
        };
        if quirks.repeat_delta_items
            && i % 2 == 0
            && let (Seen::Listed(before), Seen::Listed(_)) = (change.before, change.after)
        {
            value.push(view.project(&before.json));
        }
        value.extend(replay::split_members(item, quirks.split_members_delta));
    }
    body.insert(
        "@odata.deltaLink".into(),
        json!(links.to(Token::Delta {
            version: log.version,
            issued: now
        })),
    );
    Ok(value)
}

/// One object's net change as the delta response shows it, or nothing when none of what the
/// request tracks changed (with `$select`, only the selected properties and `members` are
/// tracked; without, every property and the members).
fn changed_object(view: &View<'_>, change: &NetChange<'_>) -> Option<Value> {
    let id = change.object_id;
    let now = match change.after {
        Seen::Absent => return Some(removed(id, "deleted")),
        Seen::Recycled => return Some(removed(id, "changed")),
        Seen::Listed(now) => now,
    };
    let members = if view.with_members {
        member_delta(change.before, change.after)
    } else {
        Vec::new()
    };
    let tracked_changed = match change.before {
        Seen::Listed(before) => view.tracked_changed(&before.json, &now.json),
        // Created, or restored from the recycle bin: reported whole, with no annotation.
        Seen::Absent | Seen::Recycled => true,
    };
    if !tracked_changed && members.is_empty() {
        return None;
    }
    let mut v = view.project(&now.json);
    if let Value::Object(map) = &mut v
        && !members.is_empty()
    {
        let items = members.iter().map(|m| {
            let mut item = typed(&m.id, m.kind);
            if !m.added {
                // Graph's example gives `deleted` for a member removed by removing the
                // membership as for one removed by deleting the member object itself.
                item["@removed"] = json!({"reason": "deleted"});
            }
            item
        });
        map.insert("members@delta".into(), Value::Array(items.collect()));
    }
    Some(v)
}

/// A removed object: `id` and `@removed` with its reason.
fn removed(id: &str, reason: &str) -> Value {
    json!({"id": id, "@removed": {"reason": reason}})
}

/// A member reference: `@odata.type` and `id`.
fn typed(id: &str, kind: Kind) -> Value {
    json!({"@odata.type": format!("#{}", kind.type_name()), "id": id})
}

/// An expired token: 410 Gone with where to start over, or 400 `syncStateNotFound` (the
/// answer Microsoft documents for directory tokens past their 7 days), as `quirks` choose.
fn expired(shared: &Shared, call: &Call, base: &str, keep: &[(String, String)]) -> Response {
    if shared
        .expired_answers
        .next_is_bad_request(shared.quirks.expired_delta)
    {
        return call.ids.error(GraphError {
            status: axum::http::StatusCode::BAD_REQUEST,
            code: "syncStateNotFound",
            message: "The sync state generation is not found. The delta token is expired and data must be synchronized again.".into(),
        });
    }
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
