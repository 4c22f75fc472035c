//! Control API changes to the tenant's objects: create, update, delete and restore users and
//! groups, change memberships, revoke a user's refresh tokens.

use super::{problem, respond};
use crate::model::{Group, Recyclable, Tenant, User};
use crate::state::Shared;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{patch, post};
use serde::Deserialize;
use serde_json::{Value, json};

/// The user and group routes under `/_emulator/`.
pub(super) fn router() -> Router<Shared> {
    Router::new()
        .route("/_emulator/users", post(create_user))
        .route(
            "/_emulator/users/{id}",
            patch(update_user).delete(delete_user),
        )
        .route("/_emulator/users/{id}/restore", post(restore_user))
        .route("/_emulator/users/{id}/revoke", post(revoke))
        .route("/_emulator/groups", post(create_group))
        .route(
            "/_emulator/groups/{id}",
            patch(update_group).delete(delete_group),
        )
        .route("/_emulator/groups/{id}/restore", post(restore_group))
        .route("/_emulator/groups/{id}/members", post(change_members))
}

/// Creates an object from Graph-shaped JSON; `id` and `createdDateTime` are filled in when
/// absent. `add` puts it into the tenant.
fn create<T>(shared: &Shared, mut body: Value, add: fn(&mut Tenant, T)) -> Response
where
    T: serde::de::DeserializeOwned + serde::Serialize + Clone,
{
    if body.get("id").is_none() {
        body["id"] = json!(shared.next_guid());
    }
    if body.get("createdDateTime").is_none() {
        body["createdDateTime"] = json!(shared.clock.now_iso());
    }
    let object: T = match serde_json::from_value(body) {
        Ok(o) => o,
        Err(e) => return problem(StatusCode::BAD_REQUEST, e.to_string()),
    };
    let created = json!(object.clone());
    match shared.mutate(|t| {
        add(t, object);
        Ok(())
    }) {
        Ok(()) => (StatusCode::CREATED, axum::Json(created)).into_response(),
        Err(e) => problem(StatusCode::BAD_REQUEST, e),
    }
}

async fn create_user(
    State(shared): State<Shared>,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    create::<User>(&shared, body, |t, u| t.users.push(u))
}

/// Merges the given fields into the stored user (e.g. a rename, `accountEnabled: false`).
fn merge<T: serde::Serialize + serde::de::DeserializeOwned>(
    item: &mut T,
    patch: &Value,
) -> Result<(), String> {
    let mut value = serde_json::to_value(&*item).map_err(|e| e.to_string())?;
    if let (Value::Object(target), Value::Object(fields)) = (&mut value, patch) {
        for (k, v) in fields {
            if k == "id" {
                return Err("the object ID cannot change".into());
            }
            target.insert(k.clone(), v.clone());
        }
    }
    *item = serde_json::from_value(value).map_err(|e| e.to_string())?;
    Ok(())
}

async fn update_user(
    State(shared): State<Shared>,
    Path(id): Path<String>,
    axum::Json(patch): axum::Json<Value>,
) -> Response {
    respond(shared.mutate(|t| {
        let user = t
            .users
            .iter_mut()
            .find(|u| u.id == id)
            .ok_or(format!("no user {id}"))?;
        merge(user, &patch)
    }))
}

#[derive(Debug, Deserialize)]
struct DeleteOptions {
    #[serde(default)]
    hard: bool,
}

/// Soft delete (recycle bin, restorable) by default; `?hard=true` deletes permanently.
async fn delete_user(
    State(shared): State<Shared>,
    Path(id): Path<String>,
    Query(options): Query<DeleteOptions>,
) -> Response {
    let now = shared.clock.now_iso();
    respond(shared.mutate(|t| {
        let index = t
            .users
            .iter()
            .position(|u| u.id == id)
            .ok_or(format!("no user {id}"))?;
        if options.hard {
            t.users.remove(index);
            for g in &mut t.groups {
                g.members.retain(|m| *m != id);
            }
            for r in &mut t.role_assignments {
                r.members.retain(|m| *m != id);
            }
        } else {
            t.users[index].deleted_date_time = Some(now);
        }
        Ok(())
    }))
}

/// Takes the object with `id` out of the recycle bin.
fn restore<T: Recyclable>(items: &mut [T], id: &str, kind: &str) -> Result<(), String> {
    let (_, deleted) = items
        .iter_mut()
        .map(Recyclable::recycle_state)
        .find(|(object_id, deleted)| *object_id == id && deleted.is_some())
        .ok_or(format!("no deleted {kind} {id}"))?;
    *deleted = None;
    Ok(())
}

async fn restore_user(State(shared): State<Shared>, Path(id): Path<String>) -> Response {
    respond(shared.mutate(|t| restore(&mut t.users, &id, "user")))
}

async fn revoke(State(shared): State<Shared>, Path(id): Path<String>) -> Response {
    match shared.revoke_refresh_tokens(&id) {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => problem(StatusCode::NOT_FOUND, e.to_string()),
    }
}

async fn create_group(
    State(shared): State<Shared>,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    create::<Group>(&shared, body, |t, g| t.groups.push(g))
}

async fn update_group(
    State(shared): State<Shared>,
    Path(id): Path<String>,
    axum::Json(patch): axum::Json<Value>,
) -> Response {
    respond(shared.mutate(|t| {
        let group = t
            .groups
            .iter_mut()
            .find(|g| g.id == id)
            .ok_or(format!("no group {id}"))?;
        merge(group, &patch)
    }))
}

/// Microsoft 365 groups go to the recycle bin; security groups (and `?hard=true`) are deleted
/// permanently, as Entra ID does.
async fn delete_group(
    State(shared): State<Shared>,
    Path(id): Path<String>,
    Query(options): Query<DeleteOptions>,
) -> Response {
    let now = shared.clock.now_iso();
    respond(shared.mutate(|t| {
        let index = t
            .groups
            .iter()
            .position(|g| g.id == id)
            .ok_or(format!("no group {id}"))?;
        let unified = t.groups[index].group_types.iter().any(|g| g == "Unified");
        if options.hard || !unified {
            t.groups.remove(index);
            for g in &mut t.groups {
                g.members.retain(|m| *m != id);
            }
        } else {
            t.groups[index].deleted_date_time = Some(now);
        }
        Ok(())
    }))
}

async fn restore_group(State(shared): State<Shared>, Path(id): Path<String>) -> Response {
    respond(shared.mutate(|t| restore(&mut t.groups, &id, "group")))
}

#[derive(Debug, Deserialize)]
struct MemberChange {
    #[serde(default)]
    add: Vec<String>,
    #[serde(default)]
    remove: Vec<String>,
}

async fn change_members(
    State(shared): State<Shared>,
    Path(id): Path<String>,
    axum::Json(change): axum::Json<MemberChange>,
) -> Response {
    respond(shared.mutate(|t| {
        let group = t
            .groups
            .iter_mut()
            .find(|g| g.id == id)
            .ok_or(format!("no group {id}"))?;
        group.members.retain(|m| !change.remove.contains(m));
        for m in change.add {
            if !group.members.contains(&m) {
                group.members.push(m);
            }
        }
        Ok(())
    }))
}
