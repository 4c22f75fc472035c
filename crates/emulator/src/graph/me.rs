//! The signed-in user: `/me`, `/me/memberOf` and `/me/transitiveMemberOf` (directory roles and
//! groups, with "limited information" for types the token may not read) and the tenant's
//! `/organization`, each with the permissions Microsoft Learn lists for it.

use super::auth::{
    Caller, READ_GROUPS, READ_ME, READ_MY_MEMBER_OF, READ_MY_TRANSITIVE_MEMBER_OF,
    READ_ORGANIZATION, READ_ROLES, begin,
};
use super::projection::{GROUP_DEFAULT, USER_DEFAULT, entity, known_any, known_user, project};
use super::query::{self, Kind};
use super::response::GraphError;
use crate::state::{LimitedInformation, Shared};
use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::{Value, json};

pub(super) async fn me(
    State(shared): State<Shared>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    let call = match begin(&shared, &headers, READ_ME) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let q = match query::parse_list(
        query::parse_pairs(raw.as_deref()),
        call.eventual,
        Kind::User,
        &known_user,
    ) {
        Ok(q) => q,
        Err(e) => return call.ids.error(e),
    };
    match call.directory.user(&call.caller.object_id) {
        Some(user) => call.ids.json(entity(
            &shared,
            &user,
            q.select.as_deref(),
            USER_DEFAULT,
            "users",
        )),
        None => call
            .ids
            .error(GraphError::not_found(&call.caller.object_id)),
    }
}

/// `GET /me/memberOf`: the directory roles assigned to the user directly and the groups it is a
/// direct member of. A role held through a role-assignable group is not here (the group is).
pub(super) async fn me_member_of(
    State(shared): State<Shared>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    memberships(&shared, &headers, raw.as_deref(), false)
}

/// `GET /me/transitiveMemberOf`: roles held directly or through a role-assignable group, and
/// every group reached through nested membership.
pub(super) async fn me_transitive_member_of(
    State(shared): State<Shared>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    memberships(&shared, &headers, raw.as_deref(), true)
}

fn memberships(
    shared: &Shared,
    headers: &HeaderMap,
    raw: Option<&str>,
    transitive: bool,
) -> Response {
    let needs = if transitive {
        READ_MY_TRANSITIVE_MEMBER_OF
    } else {
        READ_MY_MEMBER_OF
    };
    let call = match begin(shared, headers, needs) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let q = match query::parse_list(
        query::parse_pairs(raw),
        call.eventual,
        Kind::DirectoryObject,
        &|p| known_any(p) || p == "roleTemplateId",
    ) {
        Ok(q) => q,
        Err(e) => return call.ids.error(e),
    };
    let me = &call.caller.object_id;
    let tenant = &call.directory.tenant;
    let roles = if transitive {
        tenant.held_roles_of(me)
    } else {
        tenant.roles_of(me)
    };
    let mut value: Vec<Value> = roles
        .into_iter()
        .map(|template| {
            json!({
                "@odata.type": "#microsoft.graph.directoryRole",
                "id": crate::directory::role_object_id(&tenant.id, template),
                "deletedDateTime": null,
                "description": crate::model::roles::display_name(template),
                "displayName": crate::model::roles::display_name(template),
                "roleTemplateId": template,
            })
        })
        .collect();
    for group in groups_of(tenant, me, transitive) {
        if let Some(g) = call.directory.group(group) {
            value.push(project(
                &g,
                q.select.as_deref(),
                GROUP_DEFAULT,
                Some("#microsoft.graph.group"),
            ));
        }
    }
    for v in &mut value {
        if let (Some(select), Value::Object(map)) = (&q.select, &mut *v) {
            map.retain(|k, _| k == "@odata.type" || select.iter().any(|s| s == k));
        }
        limit(shared.limited_information, &call.caller, v);
    }
    call.ids.json(json!({
        "@odata.context": format!("{}/v1.0/$metadata#directoryObjects", shared.base_url()),
        "value": value,
    }))
}

/// IDs of the active groups the user is a member of: directly, or (transitive) through any
/// chain of nested groups.
fn groups_of<'t>(tenant: &'t crate::model::Tenant, user: &str, transitive: bool) -> Vec<&'t str> {
    let active = |g: &&crate::model::Group| g.deleted_date_time.is_none();
    let mut found: Vec<&str> = tenant
        .groups
        .iter()
        .filter(active)
        .filter(|g| g.members.iter().any(|m| m == user))
        .map(|g| g.id.as_str())
        .collect();
    let mut next = 0;
    while transitive && next < found.len() {
        let inner = found[next];
        next += 1;
        for g in tenant.groups.iter().filter(active) {
            if g.members.iter().any(|m| m == inner) && !found.contains(&g.id.as_str()) {
                found.push(&g.id);
            }
        }
    }
    found
}

/// "Limited information": an object of a type the token may not read keeps its `id` and
/// `@odata.type`; every other property is null (or, in the field-report variant, a role keeps
/// its `roleTemplateId`).
fn limit(mode: LimitedInformation, caller: &Caller, object: &mut Value) {
    let readable = match object["@odata.type"].as_str() {
        Some("#microsoft.graph.directoryRole") => caller.has_any(READ_ROLES),
        Some("#microsoft.graph.group") => caller.has_any(READ_GROUPS),
        _ => true,
    };
    if readable || mode == LimitedInformation::Lenient {
        return;
    }
    if let Value::Object(map) = object {
        for (key, v) in map.iter_mut() {
            let kept = key == "id"
                || key == "@odata.type"
                || (key == "roleTemplateId" && mode == LimitedInformation::KeepRoleTemplateId);
            if !kept {
                *v = Value::Null;
            }
        }
    }
}

/// The signed-in user's tenant: `GET /organization` (basic properties need only User.Read).
pub(super) async fn organization(
    State(shared): State<Shared>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    let call = match begin(&shared, &headers, READ_ORGANIZATION) {
        Ok(c) => c,
        Err(r) => return r,
    };
    const KNOWN: &[&str] = &[
        "id",
        "displayName",
        "verifiedDomains",
        "tenantType",
        "countryLetterCode",
    ];
    let q = match query::parse_list(
        query::parse_pairs(raw.as_deref()),
        call.eventual,
        Kind::DirectoryObject,
        &|p| KNOWN.contains(&p),
    ) {
        Ok(q) => q,
        Err(e) => return call.ids.error(e),
    };
    let tenant = &call.directory.tenant;
    let domains: Vec<Value> = tenant
        .domains
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let initial = name.ends_with(".onmicrosoft.com");
            json!({
                "capabilities": if initial { "Email, OfficeCommunicationsOnline" } else { "Email" },
                "isDefault": i == 0,
                "isInitial": initial,
                "name": name,
                "type": "Managed",
            })
        })
        .collect();
    let mut org = json!({
        "id": tenant.id,
        "deletedDateTime": null,
        "displayName": tenant.display_name,
        "tenantType": "AAD",
        "countryLetterCode": "US",
        "verifiedDomains": domains,
    });
    if let (Some(select), Value::Object(map)) = (&q.select, &mut org) {
        map.retain(|k, _| select.iter().any(|s| s == k));
    }
    call.ids.json(json!({
        "@odata.context": format!("{}/v1.0/$metadata#organization", shared.base_url()),
        "value": [org],
    }))
}
