//! Microsoft Graph v1.0: users, groups, members, `/me`, app registrations (applications,
//! service principals, delegated permission grants), with Graph's query options and errors.

mod alternate;
mod applications;
mod auth;
mod batch;
mod collections;
mod delta;
mod me;
mod members;
mod objects;
mod principals;
mod projection;
pub mod query;
mod replay;
mod response;
pub mod throttle;

pub use auth::Caller;
pub use batch::Dispatch;
pub use response::{GraphError, RequestIds};

use crate::state::Shared;
use axum::Router;
use axum::routing::{any, get};

/// The Graph routes. `dispatch` builds the router `$batch` runs its inner requests through
/// (the whole app, so they meet the same routes and faults as requests from outside).
pub fn router(dispatch: Dispatch) -> Router<Shared> {
    Router::new()
        .route("/v1.0/users", get(collections::list_users))
        .route("/v1.0/users/delta", get(delta::users))
        .route("/v1.0/groups/delta", get(delta::groups))
        // The OData function-call form and the fully qualified name ("/delta is a shortcut for
        // /microsoft.graph.delta") that Microsoft's SDKs send; Graph serves them all.
        .route("/v1.0/users/delta()", get(delta::users))
        .route("/v1.0/groups/delta()", get(delta::groups))
        .route("/v1.0/users/microsoft.graph.delta()", get(delta::users))
        .route("/v1.0/groups/microsoft.graph.delta()", get(delta::groups))
        .route("/v1.0/users/microsoft.graph.delta", get(delta::users))
        .route("/v1.0/groups/microsoft.graph.delta", get(delta::groups))
        .route("/v1.0/users/{id}", get(collections::get_user))
        .route("/v1.0/groups", get(collections::list_groups))
        .route("/v1.0/groups/{id}", get(collections::get_group))
        .route("/v1.0/groups/{id}/{relation}", get(members::group_members))
        .route(
            "/v1.0/groups/{id}/{relation}/{cast}",
            get(members::group_members_cast),
        )
        .route(
            "/v1.0/groups/{id}/{relation}/{cast}/{count}",
            get(members::group_members_cast_count),
        )
        .route(
            "/v1.0/directory/deletedItems/{cast}",
            get(collections::deleted_items),
        )
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
        .route("/v1.0/me", get(me::me))
        .route("/v1.0/me/memberOf", get(me::me_member_of))
        .route(
            "/v1.0/me/transitiveMemberOf",
            get(me::me_transitive_member_of),
        )
        .route("/v1.0/organization", get(me::organization))
        .route(
            "/v1.0/applications",
            get(applications::list).post(applications::create),
        )
        .route(
            "/v1.0/applications/{id}",
            get(applications::get_by_id)
                .patch(applications::update_by_id)
                .delete(applications::delete_by_id),
        )
        .route(
            "/v1.0/servicePrincipals",
            get(principals::list_principals).post(principals::create_principal),
        )
        .route(
            "/v1.0/servicePrincipals/{id}",
            get(principals::get_principal_by_id).delete(principals::delete_principal),
        )
        .route(
            "/v1.0/oauth2PermissionGrants",
            get(principals::list_grants).post(principals::create_grant),
        )
        .route(
            "/v1.0/oauth2PermissionGrants/{id}",
            get(principals::get_grant)
                .patch(principals::update_grant)
                .delete(principals::delete_grant),
        )
        // Alternate keys: `applications(appId='…')` and the like are one path segment.
        .route("/v1.0/{segment}", any(alternate::dispatch))
}
