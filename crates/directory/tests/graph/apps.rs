//! The registration check's reads against the emulator: the application object by its client
//! ID, service principals (Microsoft Graph's with its published scope IDs), the tenant-wide
//! grant; each as the control API's dump of the registrations says, each refused (403) for a
//! token without the permission its Microsoft Learn page lists, a missing object `None`.

use crate::{Env, start};
use aadsync_directory::ClientId;
use aadsync_directory::graph::MICROSOFT_GRAPH_APP_ID;
use aadsync_directory::graph::retry::RetryPolicy;
use aadsync_emulator::demo;
use serde_json::{Value, json};
use std::sync::atomic::Ordering;

/// The delegated Microsoft Graph permissions and their IDs, from Microsoft Learn's
/// "Microsoft Graph permissions reference".
const USER_READ: &str = "e1fe6dd8-ba31-4d61-89e7-88639da4683d";
const USER_READ_ALL: &str = "a154be20-db9c-4678-8ab7-66f6cc099a59";
const GROUP_MEMBER_READ_ALL: &str = "bc024368-1153-4739-b217-4326f2e966d0";

async fn control(env: &Env, method: reqwest::Method, path: &str, body: Value) {
    let status = env
        .http
        .request(
            method,
            format!("{}/_emulator/{path}", env.emulator.base_url()),
        )
        .json(&body)
        .send()
        .await
        .expect("control")
        .status();
    assert!(status.is_success(), "{path}: {status}");
}

async fn registrations(env: &Env) -> Value {
    env.http
        .get(format!(
            "{}/_emulator/registrations",
            env.emulator.base_url()
        ))
        .send()
        .await
        .expect("dump")
        .json()
        .await
        .expect("json")
}

fn client_id(text: &str) -> ClientId {
    ClientId::parse(text).expect("client id")
}

#[tokio::test]
async fn the_registration_reads_give_what_the_tenant_holds() {
    let env = start(5, 1).await;
    let graph = env.client_with(
        &["Application.Read.All", "Directory.Read.All"],
        RetryPolicy::new(6, 50),
    );
    let app = graph
        .application_by_app_id(&client_id(demo::CLIENT_ID))
        .await
        .expect("read")
        .expect("registered here");
    assert_eq!(app.public_client_redirect_uris, ["http://localhost"]);
    assert!(app.other_redirect_uris.is_empty());
    assert!(app.is_fallback_public_client);
    let mut ids = app.graph_scope_ids.clone();
    ids.sort();
    let mut expected = vec![USER_READ, USER_READ_ALL, GROUP_MEMBER_READ_ALL];
    expected.sort();
    assert_eq!(ids, expected);

    let microsoft_graph = graph
        .service_principal_by_app_id(MICROSOFT_GRAPH_APP_ID)
        .await
        .expect("read")
        .expect("in every tenant");
    assert_eq!(
        microsoft_graph.scope_value(USER_READ_ALL),
        Some("User.Read.All")
    );
    assert_eq!(
        microsoft_graph.scope_value(GROUP_MEMBER_READ_ALL),
        Some("GroupMember.Read.All")
    );
    let principal = graph
        .service_principal_by_app_id(demo::CLIENT_ID)
        .await
        .expect("read")
        .expect("consented");
    let dump = registrations(&env).await;
    let held = |sp: &str| {
        dump["oauth2PermissionGrants"]
            .as_array()
            .expect("grants")
            .iter()
            .filter(|g| g["clientId"] == sp && g["consentType"] == "AllPrincipals")
            .flat_map(|g| g["scope"].as_str().expect("scope").split_whitespace())
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    let consented = graph
        .admin_consented_scopes(&principal.id, &microsoft_graph.id)
        .await
        .expect("grants");
    assert_eq!(consented, held(&principal.id));
    assert_eq!(consented, demo::GRANTED_SCOPES);

    // Broken as an administrator would break it: the reads follow.
    control(
        &env,
        reqwest::Method::PATCH,
        &format!("applications/{}", demo::CLIENT_ID),
        json!({"publicClient": {"redirectUris": []}, "isFallbackPublicClient": null}),
    )
    .await;
    control(
        &env,
        reqwest::Method::DELETE,
        &format!("applications/{}/grant", demo::CLIENT_ID),
        json!({}),
    )
    .await;
    let app = graph
        .application_by_app_id(&client_id(demo::CLIENT_ID))
        .await
        .expect("read")
        .expect("still registered");
    assert!(app.public_client_redirect_uris.is_empty());
    assert!(!app.is_fallback_public_client);
    let consented = graph
        .admin_consented_scopes(&principal.id, &microsoft_graph.id)
        .await
        .expect("grants");
    assert!(consented.is_empty(), "{consented:?}");
    control(
        &env,
        reqwest::Method::DELETE,
        &format!("applications/{}/servicePrincipal", demo::CLIENT_ID),
        json!({}),
    )
    .await;
    assert_eq!(
        graph
            .service_principal_by_app_id(demo::CLIENT_ID)
            .await
            .expect("read"),
        None
    );

    // Not registered in this tenant: no object, no error.
    let unknown = client_id("11111111-2222-4333-8444-555555555555");
    assert_eq!(
        graph.application_by_app_id(&unknown).await.expect("read"),
        None
    );
}

#[tokio::test]
async fn each_read_is_refused_without_its_permission_and_throttling_is_retried() {
    let env = start(5, 1).await;
    // The README's registration: none of the registration reads is allowed.
    let readme = env.client_with(
        &["User.Read", "User.Read.All", "GroupMember.Read.All"],
        RetryPolicy::new(6, 50),
    );
    let app = readme
        .application_by_app_id(&client_id(demo::CLIENT_ID))
        .await;
    assert!(app.as_ref().is_err_and(|e| e.is_forbidden()), "{app:?}");
    let sp = readme
        .service_principal_by_app_id(MICROSOFT_GRAPH_APP_ID)
        .await;
    assert!(sp.as_ref().is_err_and(|e| e.is_forbidden()), "{sp:?}");
    // Application.Read.All reads principals but not grants (Directory.Read.All).
    let apps_only = env.client_with(&["Application.Read.All"], RetryPolicy::new(6, 50));
    let principal = apps_only
        .service_principal_by_app_id(demo::CLIENT_ID)
        .await
        .expect("read")
        .expect("exists");
    let grants = apps_only
        .admin_consented_scopes(&principal.id, &principal.id)
        .await;
    assert!(
        grants.as_ref().is_err_and(|e| e.is_forbidden()),
        "{grants:?}"
    );

    env.fault(
        json!({"path": "/v1.0/applications*", "kind": "throttle", "retryAfter": "0.1", "times": 2}),
    )
    .await;
    let app = apps_only
        .application_by_app_id(&client_id(demo::CLIENT_ID))
        .await
        .expect("retried")
        .expect("registered");
    assert!(app.is_fallback_public_client);
    assert_eq!(apps_only.stats().throttled.load(Ordering::Relaxed), 2);
}
