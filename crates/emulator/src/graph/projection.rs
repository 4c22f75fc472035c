//! What a Graph response shows of an object: default and `$select`ed properties, and a
//! filtered, searched, ordered page of a collection with its `@odata` links.

use super::query::{self, Kind, ListQuery};
use crate::directory::{Listed, Object, Properties};
use crate::state::Shared;
use serde_json::{Map, Value, json};
use std::borrow::Cow;

/// Default properties when `$select` is absent, as Graph returns them.
pub(super) const USER_DEFAULT: &[&str] = &[
    "businessPhones",
    "displayName",
    "givenName",
    "id",
    "jobTitle",
    "mail",
    "mobilePhone",
    "officeLocation",
    "preferredLanguage",
    "surname",
    "userPrincipalName",
];
pub(super) const GROUP_DEFAULT: &[&str] = &[
    "id",
    "deletedDateTime",
    "classification",
    "createdDateTime",
    "description",
    "displayName",
    "groupTypes",
    "mail",
    "mailEnabled",
    "mailNickname",
    "securityEnabled",
    "visibility",
];

pub(super) fn project(
    object: &impl Properties,
    select: Option<&[String]>,
    default: &[&str],
    with_type: Option<&str>,
) -> Value {
    let mut out = Map::new();
    if let Some(t) = with_type {
        out.insert("@odata.type".into(), Value::String(t.into()));
    }
    let mut put = |k: &str| {
        let value = object.property(k).map(Cow::into_owned);
        out.insert(k.to_owned(), value.unwrap_or(Value::Null));
    };
    match select {
        Some(props) => props
            .iter()
            .filter(|p| p.as_str() != "members")
            .for_each(|p| put(p)),
        None => default.iter().for_each(|p| put(p)),
    }
    Value::Object(out)
}

pub(super) fn known_user(p: &str) -> bool {
    crate::directory::USER_PROPERTIES.contains(&p)
}
pub(super) fn known_group(p: &str) -> bool {
    crate::directory::GROUP_PROPERTIES.contains(&p)
}
pub(super) fn known_any(p: &str) -> bool {
    known_user(p) || known_group(p)
}

/// What a page is cut from: a directory list (read by position when nothing filters or
/// orders it) or objects already gathered.
pub(super) enum Items<'a> {
    Listed(Listed<'a>),
    Objects(Vec<Object<'a>>),
}

impl Items<'_> {
    pub(super) fn len(&self) -> usize {
        match self {
            Items::Listed(list) => list.len(),
            Items::Objects(objects) => objects.len(),
        }
    }
}

/// Filters, searches, orders and pages a collection, producing Graph's page JSON.
pub(super) fn page(
    shared: &Shared,
    items: Items<'_>,
    q: &ListQuery,
    path: &str,
    context: &str,
    typed: bool,
) -> Value {
    let plain = q.filter.is_none() && q.search.is_none() && q.order_by_display_name.is_none();
    let (total, window) = match items {
        Items::Listed(list) if plain => (list.len(), list.range(q.skip..q.skip + q.top)),
        Items::Listed(list) => matching(list.iter(), q),
        Items::Objects(objects) => matching(objects.into_iter(), q),
    };
    let end = (q.skip + q.top).min(total);
    let value: Vec<Value> = window
        .iter()
        .map(|o| {
            let (default, type_name) = match o.kind() {
                Kind::Group => (GROUP_DEFAULT, "#microsoft.graph.group"),
                _ => (USER_DEFAULT, "#microsoft.graph.user"),
            };
            project(o, q.select.as_deref(), default, typed.then_some(type_name))
        })
        .collect();
    let select_suffix = q
        .select
        .as_ref()
        .map(|s| format!("({})", s.join(",")))
        .unwrap_or_default();
    let mut body = Map::new();
    body.insert(
        "@odata.context".into(),
        Value::String(format!(
            "{}/v1.0/$metadata#{context}{select_suffix}",
            shared.base_url()
        )),
    );
    if q.count && q.skip == 0 {
        body.insert("@odata.count".into(), json!(total));
    }
    if end < total {
        let mut pairs = q.pairs.clone();
        pairs.push(("$skiptoken".into(), query::encode_skiptoken(end)));
        body.insert(
            "@odata.nextLink".into(),
            Value::String(format!(
                "{}{path}?{}",
                shared.base_url(),
                query::encode_pairs(&pairs)
            )),
        );
    }
    body.insert("value".into(), Value::Array(value));
    Value::Object(body)
}

/// Whether an object passes the query's `$filter` and `$search`.
pub(super) fn selects(q: &ListQuery, o: &Object<'_>) -> bool {
    q.filter.as_ref().is_none_or(|f| f.matches(o))
        && (q.search.as_ref()).is_none_or(|s| query::search_matches(s, o))
}

/// The objects matching the query's filter and search, in its order: how many, and the
/// page's window of them.
fn matching<'a>(
    items: impl Iterator<Item = Object<'a>>,
    q: &ListQuery,
) -> (usize, Vec<Object<'a>>) {
    let mut matching: Vec<Object<'_>> = items.filter(|o| selects(q, o)).collect();
    if let Some(descending) = q.order_by_display_name {
        matching.sort_by_cached_key(|o| match o.property("displayName").as_deref() {
            Some(Value::String(name)) => name.to_lowercase(),
            _ => String::new(),
        });
        if descending {
            matching.reverse();
        }
    }
    let total = matching.len();
    let end = (q.skip + q.top).min(total);
    let window = matching
        .get(q.skip.min(total)..end)
        .unwrap_or_default()
        .to_vec();
    (total, window)
}

/// One object with `@odata.context` `…/$metadata#<collection>/$entity`.
pub(super) fn entity(
    shared: &Shared,
    object: &impl Properties,
    select: Option<&[String]>,
    default: &[&str],
    collection: &str,
) -> Value {
    let mut body = project(object, select, default, None);
    if let Value::Object(map) = &mut body {
        map.insert(
            "@odata.context".into(),
            Value::String(format!(
                "{}/v1.0/$metadata#{collection}/$entity",
                shared.base_url()
            )),
        );
    }
    body
}

/// Which properties a collection knows, for `$select` validation.
pub(super) type Known<'a> = &'a dyn Fn(&str) -> bool;
