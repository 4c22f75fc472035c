//! Microsoft Graph v1.0: users, groups, members, `/me`, with Graph's query options and errors.

mod batch;
pub use batch::Dispatch;
mod delta;
pub mod query;

use crate::directory::Directory;
use crate::state::Shared;
use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use query::{Kind, ListQuery};
use serde_json::{Map, Value, json};

/// A Graph error response: `{"error": {"code", "message", "innerError": {…}}}`.
#[derive(Debug, Clone, PartialEq)]
pub struct GraphError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

impl GraphError {
    pub fn bad_request(message: String) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            code: "Request_BadRequest",
            message,
        }
    }
    pub fn unsupported(message: String) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            code: "Request_UnsupportedQuery",
            message,
        }
    }
    pub fn not_found(id: &str) -> Self {
        Self {
            status: StatusCode::NOT_FOUND,
            code: "Request_ResourceNotFound",
            message: format!(
                "Resource '{id}' does not exist or one of its queried reference-property objects are not present."
            ),
        }
    }
    pub fn unauthorized(message: &str) -> Self {
        Self {
            status: StatusCode::UNAUTHORIZED,
            code: "InvalidAuthenticationToken",
            message: message.into(),
        }
    }
    pub fn forbidden() -> Self {
        Self {
            status: StatusCode::FORBIDDEN,
            code: "Authorization_RequestDenied",
            message: "Insufficient privileges to complete the operation.".into(),
        }
    }
}

/// Per-request identifiers, echoed in headers and in `innerError`.
#[derive(Debug, Clone)]
pub struct RequestIds {
    pub request_id: String,
    pub client_request_id: String,
    pub date: String,
}

impl RequestIds {
    pub fn new(shared: &Shared, headers: &HeaderMap) -> Self {
        let request_id = shared.next_guid();
        let client_request_id = headers
            .get("client-request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
            .unwrap_or_else(|| request_id.clone());
        // innerError.date has no zone designator, as Graph writes it.
        let date = shared.clock.now_iso().trim_end_matches('Z').to_owned();
        Self {
            request_id,
            client_request_id,
            date,
        }
    }

    fn apply(&self, response: &mut Response) {
        let headers = response.headers_mut();
        for (name, value) in [
            ("request-id", self.request_id.as_str()),
            ("client-request-id", self.client_request_id.as_str()),
            ("OData-Version", "4.0"),
        ] {
            if let Ok(v) = HeaderValue::from_str(value) {
                headers.insert(name, v);
            }
        }
    }

    pub fn error(&self, err: GraphError) -> Response {
        let body = json!({"error": {
            "code": err.code,
            "message": err.message,
            "innerError": {
                "date": self.date,
                "request-id": self.request_id,
                "client-request-id": self.client_request_id,
            }
        }});
        let mut response = (err.status, axum::Json(body)).into_response();
        if err.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"\", authorization_uri=\"https://login.microsoftonline.com/common/oauth2/authorize\", client_id=\"00000003-0000-0000-c000-000000000000\""),
            );
        }
        self.apply(&mut response);
        response
    }

    pub fn json(&self, body: Value) -> Response {
        let mut response = axum::Json(body).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"),
        );
        self.apply(&mut response);
        response
    }

    pub fn text(&self, body: String) -> Response {
        let mut response = ([(header::CONTENT_TYPE, "text/plain")], body).into_response();
        self.apply(&mut response);
        response
    }
}

/// The signed-in caller of a Graph request.
#[derive(Debug, Clone)]
pub struct Caller {
    pub object_id: String,
    pub scopes: Vec<String>,
}

impl Caller {
    fn has_any(&self, scopes: &[&str]) -> bool {
        scopes
            .iter()
            .any(|s| self.scopes.iter().any(|have| have.eq_ignore_ascii_case(s)))
    }
}

const READ_USERS: &[&str] = &[
    "User.ReadBasic.All",
    "User.Read.All",
    "User.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
];
const READ_GROUPS: &[&str] = &[
    "Group.Read.All",
    "GroupMember.Read.All",
    "Group.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
];
const READ_ME: &[&str] = &[
    "User.Read",
    "User.ReadWrite",
    "User.Read.All",
    "Directory.Read.All",
];

/// Checks the bearer token: signature, audience, tenant, lifetime.
fn authenticate(
    shared: &Shared,
    headers: &HeaderMap,
    directory: &Directory,
) -> Result<Caller, GraphError> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| GraphError::unauthorized("Access token is empty."))?;
    let claims = shared.keys.verify(token).map_err(|_| {
        GraphError::unauthorized(
            "Access token validation failure. Invalid signature or malformed token.",
        )
    })?;
    let audience = claims["aud"].as_str().unwrap_or_default();
    if audience != "https://graph.microsoft.com"
        && audience != "00000003-0000-0000-c000-000000000000"
    {
        return Err(GraphError::unauthorized(
            "Access token validation failure. Invalid audience.",
        ));
    }
    if claims["tid"].as_str() != Some(directory.tenant.id.as_str()) {
        return Err(GraphError::unauthorized(
            "Access token validation failure. Invalid issuer or tenant.",
        ));
    }
    let now = shared.clock.now();
    if claims["exp"].as_i64().is_none_or(|exp| exp <= now) {
        return Err(GraphError::unauthorized(
            "Lifetime validation failed, the token is expired.",
        ));
    }
    if claims["nbf"].as_i64().is_some_and(|nbf| nbf > now + 300) {
        return Err(GraphError::unauthorized(
            "Lifetime validation failed, the token is not yet valid.",
        ));
    }
    let object_id = claims["oid"].as_str().unwrap_or_default().to_owned();
    if !directory.users_by_id.contains_key(&object_id) {
        return Err(GraphError::unauthorized(
            "Access token validation failure. The user does not exist.",
        ));
    }
    let scopes = claims["scp"]
        .as_str()
        .unwrap_or_default()
        .split(' ')
        .map(str::to_owned)
        .collect();
    Ok(Caller { object_id, scopes })
}

/// Shared front part of every handler: ids, directory snapshot, authentication, scope.
pub(crate) struct Call {
    ids: RequestIds,
    directory: std::sync::Arc<Directory>,
    caller: Caller,
    eventual: bool,
}

// The error is the finished HTTP response, returned at once by every handler; boxing it would
// only add an allocation.
#[allow(clippy::result_large_err)]
fn begin(shared: &Shared, headers: &HeaderMap, scopes: &[&str]) -> Result<Call, Response> {
    let ids = RequestIds::new(shared, headers);
    let directory = shared.directory();
    let caller = authenticate(shared, headers, &directory).map_err(|e| ids.error(e))?;
    if !caller.has_any(scopes) {
        return Err(ids.error(GraphError::forbidden()));
    }
    let eventual = headers
        .get("ConsistencyLevel")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("eventual"));
    Ok(Call {
        ids,
        directory,
        caller,
        eventual,
    })
}

/// The Graph routes. `dispatch` builds the router `$batch` runs its inner requests through
/// (the whole app, so they meet the same routes and faults as requests from outside).
pub fn router(dispatch: Dispatch) -> Router<Shared> {
    Router::new()
        .route("/v1.0/users", get(list_users))
        .route("/v1.0/users/delta", get(delta::users))
        .route("/v1.0/groups/delta", get(delta::groups))
        .route("/v1.0/users/{id}", get(get_user))
        .route("/v1.0/groups", get(list_groups))
        .route("/v1.0/groups/{id}", get(get_group))
        .route("/v1.0/groups/{id}/{relation}", get(group_members))
        .route(
            "/v1.0/groups/{id}/{relation}/{cast}",
            get(group_members_cast),
        )
        .route(
            "/v1.0/groups/{id}/{relation}/{cast}/{count}",
            get(group_members_cast_count),
        )
        .route("/v1.0/directory/deletedItems/{cast}", get(deleted_items))
        .route(
            "/v1.0/directoryObjects/getByIds",
            axum::routing::post(batch::get_by_ids),
        )
        .route(
            "/v1.0/$batch",
            axum::routing::post(move |state, headers, body| {
                batch::batch(state, headers, body, dispatch)
            }),
        )
        .route("/v1.0/me", get(me))
        .route("/v1.0/me/memberOf", get(me_member_of))
        .route("/v1.0/organization", get(organization))
}

/// Default properties when `$select` is absent, as Graph returns them.
const USER_DEFAULT: &[&str] = &[
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
const GROUP_DEFAULT: &[&str] = &[
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

fn project(
    object: &Value,
    select: Option<&[String]>,
    default: &[&str],
    with_type: Option<&str>,
) -> Value {
    let mut out = Map::new();
    if let Some(t) = with_type {
        out.insert("@odata.type".into(), Value::String(t.into()));
    }
    let mut put = |k: &str| {
        out.insert(k.to_owned(), object.get(k).cloned().unwrap_or(Value::Null));
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

fn known_user(p: &str) -> bool {
    crate::directory::USER_PROPERTIES.contains(&p)
}
fn known_group(p: &str) -> bool {
    crate::directory::GROUP_PROPERTIES.contains(&p)
}
fn known_any(p: &str) -> bool {
    known_user(p) || known_group(p)
}

/// Filters, searches, orders and pages a collection, producing Graph's page JSON.
fn page(
    shared: &Shared,
    items: Vec<(&Value, Kind)>,
    q: &ListQuery,
    path: &str,
    context: &str,
    typed: bool,
) -> Value {
    let mut matching: Vec<(&Value, Kind)> = items
        .into_iter()
        .filter(|(o, _)| q.filter.as_ref().is_none_or(|f| f.matches(o)))
        .filter(|(o, _)| {
            q.search
                .as_ref()
                .is_none_or(|s| query::search_matches(s, o))
        })
        .collect();
    if let Some(descending) = q.order_by_display_name {
        matching.sort_by_key(|(o, _)| o["displayName"].as_str().unwrap_or_default().to_lowercase());
        if descending {
            matching.reverse();
        }
    }
    let total = matching.len();
    let end = (q.skip + q.top).min(total);
    let value: Vec<Value> = matching
        .get(q.skip.min(total)..end)
        .unwrap_or_default()
        .iter()
        .map(|(o, kind)| {
            let (default, type_name) = match kind {
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

impl Collection {
    fn items<'d>(&self, directory: &'d Directory) -> &'d [Value] {
        if self.kind == Kind::Group {
            &directory.groups_json
        } else {
            &directory.users_json
        }
    }
}

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
    let items = c
        .items(&call.directory)
        .iter()
        .map(|o| (o, c.kind))
        .collect();
    call.ids.json(page(
        &shared,
        items,
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
        return count(
            &call,
            c.items(&call.directory).len(),
            raw.as_deref(),
            c.kind,
        );
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
            object,
            q.select.as_deref(),
            c.default,
            c.name,
        )),
        None => call.ids.error(GraphError::not_found(&id)),
    }
}

/// One object with `@odata.context` `…/$metadata#<collection>/$entity`.
fn entity(
    shared: &Shared,
    object: &Value,
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

async fn list_users(
    State(shared): State<Shared>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    list(shared, headers, raw, USERS).await
}

async fn get_user(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    get_one(shared, headers, id, raw, USERS).await
}

async fn list_groups(
    State(shared): State<Shared>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    list(shared, headers, raw, GROUPS).await
}

async fn get_group(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    get_one(shared, headers, id, raw, GROUPS).await
}

fn count(call: &Call, n: usize, raw: Option<&str>, kind: Kind) -> Response {
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
            let items: &[Value] = match kind {
                Kind::Group => &call.directory.groups_json,
                _ => &call.directory.users_json,
            };
            let n = items
                .iter()
                .filter(|o| q.filter.as_ref().is_none_or(|f| f.matches(o)))
                .filter(|o| {
                    q.search
                        .as_ref()
                        .is_none_or(|s| query::search_matches(s, o))
                })
                .count();
            call.ids.text(n.to_string())
        }
        Ok(_) => call.ids.text(n.to_string()),
        Err(e) => call.ids.error(e),
    }
}

async fn group_members(
    state: State<Shared>,
    headers: HeaderMap,
    Path((id, relation)): Path<(String, String)>,
    raw: RawQuery,
) -> Response {
    members(state, headers, id, relation, None, false, raw).await
}

async fn group_members_cast(
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

async fn group_members_cast_count(
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
        Some("microsoft.graph.user") => (Some(Kind::User), Kind::User, "users"),
        Some("microsoft.graph.group") => (Some(Kind::Group), Kind::Group, "groups"),
        Some(other) => {
            return call.ids.error(GraphError::bad_request(format!(
                "Resource not found for the segment '{other}'."
            )));
        }
    };
    if call.directory.group(&id).is_none() {
        return call.ids.error(GraphError::not_found(&id));
    }
    let member_ids = call.directory.members_of(&id, transitive);
    let items: Vec<(&Value, Kind)> = member_ids
        .iter()
        .filter_map(|m| call.directory.object(m))
        .filter(|(_, k)| only.is_none_or(|o| o == *k))
        .collect();
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

async fn me(State(shared): State<Shared>, headers: HeaderMap, RawQuery(raw): RawQuery) -> Response {
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
async fn me_member_of(
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
async fn organization(
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

/// Which properties a collection knows, for `$select` validation.
pub(crate) type Known<'a> = &'a dyn Fn(&str) -> bool;

/// `directory/deletedItems/microsoft.graph.user|group`: the recycle bin (the cast is required).
async fn deleted_items(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path(cast): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    let scopes: &[&str] = if cast == "microsoft.graph.group" {
        READ_GROUPS
    } else {
        READ_USERS
    };
    let call = match begin(&shared, &headers, scopes) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let (kind, items, known, context): (Kind, &[Value], Known<'_>, &str) = match cast.as_str() {
        "microsoft.graph.user" => (
            Kind::User,
            &call.directory.deleted_users_json,
            &known_user,
            "directory/deletedItems/microsoft.graph.user",
        ),
        "microsoft.graph.group" => (
            Kind::Group,
            &call.directory.deleted_groups_json,
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
    let list = items.iter().map(|o| (o, kind)).collect();
    call.ids.json(page(
        &shared,
        list,
        &q,
        &format!("/v1.0/directory/deletedItems/{cast}"),
        context,
        false,
    ))
}
