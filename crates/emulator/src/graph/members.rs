//! A group's `members` and `transitiveMembers`, with OData casts and `$count`.

use super::auth::{READ_GROUPS, begin};
use super::projection::{Items, known_any, known_group, known_user, page};
use super::query::{self, Kind};
use super::response::{GraphError, RequestIds};
use crate::directory::Directory;
use crate::state::Shared;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;

pub(super) async fn group_members(
    state: State<Shared>,
    headers: HeaderMap,
    Path((id, relation)): Path<(String, String)>,
    raw: RawQuery,
) -> Response {
    members(state, headers, id, relation, None, false, raw).await
}

pub(super) async fn group_members_cast(
    state: State<Shared>,
    headers: HeaderMap,
    Path((id, relation, cast)): Path<(String, String, String)>,
    raw: RawQuery,
) -> Response {
    if cast == "$count" {
        return members(state, headers, id, relation, None, true, raw).await;
    }
    members(state, headers, id, relation, Some(cast), false, raw).await
}

pub(super) async fn group_members_cast_count(
    state: State<Shared>,
    headers: HeaderMap,
    Path((id, relation, cast, count)): Path<(String, String, String, String)>,
    raw: RawQuery,
) -> Response {
    if count != "$count" {
        let ids = RequestIds::new(&state.0, &headers);
        return ids.error(GraphError::bad_request(format!(
            "Resource not found for the segment '{count}'."
        )));
    }
    members(state, headers, id, relation, Some(cast), true, raw).await
}

async fn members(
    State(shared): State<Shared>,
    headers: HeaderMap,
    id: String,
    relation: String,
    cast: Option<String>,
    count_only: bool,
    RawQuery(raw): RawQuery,
) -> Response {
    let call = match begin(&shared, &headers, READ_GROUPS) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let transitive = match relation.as_str() {
        "members" => false,
        "transitiveMembers" => true,
        other => {
            return call.ids.error(GraphError::bad_request(format!(
                "Resource not found for the segment '{other}'."
            )));
        }
    };
    let (only, kind, context) = match cast.as_deref() {
        None => (None, Kind::DirectoryObject, "directoryObjects"),
        // The SDKs (Kiota's request builders) send the short `graph.user`; Graph takes both.
        Some("microsoft.graph.user" | "graph.user") => (Some(Kind::User), Kind::User, "users"),
        Some("microsoft.graph.group" | "graph.group") => (Some(Kind::Group), Kind::Group, "groups"),
        Some(other) => {
            return call.ids.error(GraphError::bad_request(format!(
                "Resource not found for the segment '{other}'."
            )));
        }
    };
    match call.directory.group(&id) {
        None => return call.ids.error(GraphError::not_found(&id)),
        // "List group members": a group with hidden membership lists its members only with
        // Member.Read.Hidden; otherwise Authorization_RequestDenied.
        Some(group) if !call.may_read_members(&group) => {
            return call.ids.error(GraphError::forbidden());
        }
        Some(_) => {}
    }
    let items = listing(&call.directory, &id, only, transitive);
    if count_only {
        return if call.eventual {
            call.ids.text(items.len().to_string())
        } else {
            call.ids.error(GraphError::bad_request("Count is not currently supported without the header ConsistencyLevel set to eventual.".into()))
        };
    }
    let known: &dyn Fn(&str) -> bool = match kind {
        Kind::User => &known_user,
        Kind::Group => &known_group,
        Kind::DirectoryObject => &known_any,
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
    let path = match &cast {
        Some(c) => format!("/v1.0/groups/{id}/{relation}/{c}"),
        None => format!("/v1.0/groups/{id}/{relation}"),
    };
    call.ids
        .json(page(&shared, items, &q, &path, context, only.is_none()))
}

/// A group's members (of one kind when `only`), direct or transitive; direct members of one
/// kind are read by position.
fn listing<'d>(
    directory: &'d Directory,
    id: &str,
    only: Option<Kind>,
    transitive: bool,
) -> Items<'d> {
    let direct = match only {
        Some(kind) if !transitive => directory.members(id, kind),
        _ => None,
    };
    direct.map(Items::Listed).unwrap_or_else(|| {
        let ids = directory.members_of(id, transitive);
        Items::Objects(
            (ids.iter().filter_map(|m| directory.object(m)))
                .filter(|o| only.is_none_or(|only| only == o.kind()))
                .collect(),
        )
    })
}
