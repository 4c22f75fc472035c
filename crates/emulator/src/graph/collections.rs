//! `users`, `groups` (lists, single objects, `$count`) and the recycle bin
//! `directory/deletedItems`.

use super::auth::{Call, READ_DELETED_GROUPS, READ_DELETED_USERS, READ_GROUPS, READ_USERS, begin};
use super::projection::{
    GROUP_DEFAULT, Items, Known, USER_DEFAULT, entity, known_any, known_group, known_user, page,
    selects,
};
use super::query::{self, Kind};
use super::response::GraphError;
use crate::state::Shared;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;

/// What differs between the users and the groups collections.
struct Collection {
    kind: Kind,
    name: &'static str,
    scopes: &'static [&'static str],
    default: &'static [&'static str],
    known: fn(&str) -> bool,
}

const USERS: Collection = Collection {
    kind: Kind::User,
    name: "users",
    scopes: READ_USERS,
    default: USER_DEFAULT,
    known: known_user,
};
const GROUPS: Collection = Collection {
    kind: Kind::Group,
    name: "groups",
    scopes: READ_GROUPS,
    default: GROUP_DEFAULT,
    known: known_group,
};

/// `GET /users`, `GET /groups`.
async fn list(shared: Shared, headers: HeaderMap, raw: Option<String>, c: Collection) -> Response {
    let call = match begin(&shared, &headers, c.scopes) {
        Ok(call) => call,
        Err(r) => return r,
    };
    let q = match query::parse_list(
        query::parse_pairs(raw.as_deref()),
        call.eventual,
        c.kind,
        &c.known,
    ) {
        Ok(q) => q,
        Err(e) => return call.ids.error(e),
    };
    call.ids.json(page(
        &shared,
        Items::Listed(call.directory.listed(c.kind)),
        &q,
        &format!("/v1.0/{}", c.name),
        c.name,
        false,
    ))
}

/// `GET /users/{id|upn}`, `GET /groups/{id}`, and their `/$count`.
async fn get_one(
    shared: Shared,
    headers: HeaderMap,
    id: String,
    raw: Option<String>,
    c: Collection,
) -> Response {
    let call = match begin(&shared, &headers, c.scopes) {
        Ok(call) => call,
        Err(r) => return r,
    };
    if id == "$count" {
        return count(&call, raw.as_deref(), c.kind);
    }
    let q = match query::parse_list(
        query::parse_pairs(raw.as_deref()),
        call.eventual,
        c.kind,
        &c.known,
    ) {
        Ok(q) => q,
        Err(e) => return call.ids.error(e),
    };
    let found = if c.kind == Kind::Group {
        call.directory.group(&id)
    } else {
        call.directory.user(&id)
    };
    match found {
        Some(object) => call.ids.json(entity(
            &shared,
            &object,
            q.select.as_deref(),
            c.default,
            c.name,
        )),
        None => call.ids.error(GraphError::not_found(&id)),
    }
}

pub(super) async fn list_users(
    State(shared): State<Shared>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    list(shared, headers, raw, USERS).await
}

pub(super) async fn get_user(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    get_one(shared, headers, id, raw, USERS).await
}

pub(super) async fn list_groups(
    State(shared): State<Shared>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    list(shared, headers, raw, GROUPS).await
}

pub(super) async fn get_group(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    get_one(shared, headers, id, raw, GROUPS).await
}

fn count(call: &Call, raw: Option<&str>, kind: Kind) -> Response {
    if !call.eventual {
        return call.ids.error(GraphError::bad_request(
            "Count is not currently supported without the header ConsistencyLevel set to eventual."
                .into(),
        ));
    }
    let pairs = query::parse_pairs(raw);
    let known: &dyn Fn(&str) -> bool = &known_any;
    match query::parse_list(pairs, true, kind, known) {
        Ok(q) if q.filter.is_some() || q.search.is_some() => {
            let n = (call.directory.listed(kind).iter())
                .filter(|o| selects(&q, o))
                .count();
            call.ids.text(n.to_string())
        }
        Ok(_) => call.ids.text(call.directory.listed(kind).len().to_string()),
        Err(e) => call.ids.error(e),
    }
}

/// `directory/deletedItems/microsoft.graph.user|group`: the recycle bin (the cast is required;
/// Graph also takes the short `graph.user`/`graph.group` that Microsoft's SDKs send). Each type
/// needs its own permission, as "List deleted items" documents.
pub(super) async fn deleted_items(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path(cast): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    let kind = match cast.as_str() {
        "microsoft.graph.user" | "graph.user" => Some(Kind::User),
        "microsoft.graph.group" | "graph.group" => Some(Kind::Group),
        _ => None,
    };
    let scopes: &[&str] = match kind {
        Some(Kind::Group) => READ_DELETED_GROUPS,
        _ => READ_DELETED_USERS,
    };
    let call = match begin(&shared, &headers, scopes) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let (kind, known, context): (Kind, Known<'_>, &str) = match kind {
        Some(Kind::User) => (
            Kind::User,
            &known_user,
            "directory/deletedItems/microsoft.graph.user",
        ),
        Some(Kind::Group) => (
            Kind::Group,
            &known_group,
            "directory/deletedItems/microsoft.graph.group",
        ),
        _ => {
            return call.ids.error(GraphError::bad_request(
                "The OData cast segment must be microsoft.graph.user or microsoft.graph.group when listing deleted items.".into(),
            ));
        }
    };
    let q = match query::parse_list(
        query::parse_pairs(raw.as_deref()),
        call.eventual,
        kind,
        known,
    ) {
        Ok(q) => q,
        Err(e) => return call.ids.error(e),
    };
    let mut q = q;
    // Deleted items always say when they were deleted.
    let default = if kind == Kind::Group {
        GROUP_DEFAULT
    } else {
        USER_DEFAULT
    };
    let select = q
        .select
        .get_or_insert_with(|| default.iter().map(|p| (*p).to_owned()).collect());
    if !select.iter().any(|p| p == "deletedDateTime") {
        select.push("deletedDateTime".into());
    }
    call.ids.json(page(
        &shared,
        Items::Listed(call.directory.deleted(kind)),
        &q,
        &format!("/v1.0/directory/deletedItems/{cast}"),
        context,
        false,
    ))
}
