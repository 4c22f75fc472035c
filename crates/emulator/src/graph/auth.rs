//! Who is calling: the bearer token checked (signature, audience, tenant, lifetime) and the
//! scopes each kind of request needs.

use super::response::{GraphError, RequestIds};
use crate::directory::Directory;
use crate::state::Shared;
use axum::http::{HeaderMap, header};
use axum::response::Response;

/// The signed-in caller of a Graph request.
#[derive(Debug, Clone)]
pub struct Caller {
    pub object_id: String,
    pub scopes: Vec<String>,
}

impl Caller {
    pub(super) fn has_any(&self, scopes: &[&str]) -> bool {
        scopes
            .iter()
            .any(|s| self.scopes.iter().any(|have| have.eq_ignore_ascii_case(s)))
    }
}

pub(super) const READ_USERS: &[&str] = &[
    "User.ReadBasic.All",
    "User.Read.All",
    "User.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
];
pub(super) const READ_GROUPS: &[&str] = &[
    "Group.Read.All",
    "GroupMember.Read.All",
    "Group.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
];
/// `directory/deletedItems/microsoft.graph.user`: "List deleted items" documents
/// `User.Read.All` as the least privileged delegated permission (`User.ReadBasic.All` is not
/// listed).
pub(super) const READ_DELETED_USERS: &[&str] = &[
    "User.Read.All",
    "User.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
];
/// `directory/deletedItems/microsoft.graph.group`: `Group.Read.All` at least; the
/// `GroupMember.*` permissions do not reach the recycle bin.
pub(super) const READ_DELETED_GROUPS: &[&str] = &[
    "Group.Read.All",
    "Group.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
];
/// The members of a group whose `visibility` is `HiddenMembership`: Graph documents
/// `Member.Read.Hidden` as required on top of the group permissions.
const READ_HIDDEN_MEMBERS: &[&str] = &["Member.Read.Hidden"];

pub(super) const READ_ME: &[&str] = &[
    "User.Read",
    "User.ReadWrite",
    "User.Read.All",
    "Directory.Read.All",
];
/// `GET /me/memberOf`, as its Microsoft Learn permissions table lists them (User.Read.All is not
/// among them).
pub(super) const READ_MY_MEMBER_OF: &[&str] = &[
    "User.Read",
    "GroupMember.Read.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
];
/// `GET /me/transitiveMemberOf`, as its Microsoft Learn permissions table lists them.
pub(super) const READ_MY_TRANSITIVE_MEMBER_OF: &[&str] = &[
    "User.Read",
    "User.Read.All",
    "GroupMember.Read.All",
    "Group.Read.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
];
/// `GET /organization`, as its Microsoft Learn permissions table lists them.
pub(super) const READ_ORGANIZATION: &[&str] =
    &["User.Read", "Directory.Read.All", "Directory.ReadWrite.All"];
/// What reads a directoryRole in full (`directoryRole` get/list); without one a relationship
/// lists roles with limited information.
pub(super) const READ_ROLES: &[&str] = &[
    "RoleManagement.Read.Directory",
    "RoleManagement.ReadWrite.Directory",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
];

impl Call {
    /// Whether the caller may read the members of `group`: always, unless its membership is
    /// hidden and `Member.Read.Hidden` was not granted.
    pub(super) fn may_read_members(&self, group: &crate::directory::Object<'_>) -> bool {
        let visibility = crate::directory::Properties::property(group, "visibility");
        visibility.as_deref().and_then(serde_json::Value::as_str) != Some(HIDDEN_MEMBERSHIP)
            || self.caller.has_any(READ_HIDDEN_MEMBERS)
    }
}

/// The `visibility` of a group whose members only owners and holders of
/// `Member.Read.Hidden` may list.
pub const HIDDEN_MEMBERSHIP: &str = "HiddenMembership";

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
    if !directory.has_user(&object_id) {
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
pub(super) struct Call {
    pub(super) ids: RequestIds,
    pub(super) directory: std::sync::Arc<Directory>,
    pub(super) caller: Caller,
    pub(super) eventual: bool,
}

// The error is the finished HTTP response, returned at once by every handler; boxing it would
// only add an allocation.
#[allow(clippy::result_large_err)]
pub(super) fn begin(
    shared: &Shared,
    headers: &HeaderMap,
    scopes: &[&str],
) -> Result<Call, Response> {
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

impl Call {
    /// Whether the signed-in user holds one of these directory roles (active, directly or
    /// through a role-assignable group): Graph's directory-role requirement for delegated
    /// calls, on top of the permission in the token.
    pub(super) fn holds_role(&self, roles: &[&str]) -> bool {
        self.directory
            .tenant
            .held_roles_of(&self.caller.object_id)
            .iter()
            .any(|r| roles.contains(r))
    }
}
