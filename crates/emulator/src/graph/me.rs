//! The signed-in user: `/me`, `/me/memberOf` (directory roles and groups) and the tenant's
//! `/organization`.

use super::auth::{READ_ME, begin};
use super::projection::{GROUP_DEFAULT, USER_DEFAULT, entity, known_any, known_user, project};
use super::query::{self, Kind};
use super::response::GraphError;
use crate::state::Shared;
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
            user,
            q.select.as_deref(),
            USER_DEFAULT,
            "users",
        )),
        None => call
            .ids
            .error(GraphError::not_found(&call.caller.object_id)),
    }
}

/// Directory roles (with `roleTemplateId`) and groups the signed-in user belongs to.
pub(super) async fn me_member_of(
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
        Kind::DirectoryObject,
        &|p| known_any(p) || p == "roleTemplateId",
    ) {
        Ok(q) => q,
        Err(e) => return call.ids.error(e),
    };
    let me = &call.caller.object_id;
    let mut value: Vec<Value> = call
        .directory
        .tenant
        .roles_of(me)
        .into_iter()
        .map(|template| {
            json!({
                "@odata.type": "#microsoft.graph.directoryRole",
                "id": crate::directory::role_object_id(&call.directory.tenant.id, template),
                "deletedDateTime": null,
                "description": crate::model::roles::display_name(template),
                "displayName": crate::model::roles::display_name(template),
                "roleTemplateId": template,
            })
        })
        .collect();
    for group in call
        .directory
        .tenant
        .groups
        .iter()
        .filter(|g| g.members.iter().any(|m| m == me))
    {
        if let Some(g) = call.directory.group(&group.id) {
            value.push(project(
                g,
                q.select.as_deref(),
                GROUP_DEFAULT,
                Some("#microsoft.graph.group"),
            ));
        }
    }
    if let Some(select) = &q.select {
        for v in &mut value {
            if let Value::Object(map) = v {
                map.retain(|k, _| k == "@odata.type" || select.iter().any(|s| s == k));
            }
        }
    }
    call.ids.json(json!({
        "@odata.context": format!("{}/v1.0/$metadata#directoryObjects", shared.base_url()),
        "value": value,
    }))
}

/// The signed-in user's tenant: `GET /organization` (basic properties need only User.Read).
pub(super) async fn organization(
    State(shared): State<Shared>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    let call = match begin(&shared, &headers, READ_ME) {
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
