//! The automatic registration's library calls (`aadsync_sync::register`) against the emulator's
//! Graph, with the bootstrap token's permissions: read and plan, apply once, a registration
//! changed between the preview and the apply (nothing written), what a registration lacks
//! planned alone, and the registration check on the result. The tenant is read back through
//! the control API, never through the code under test.

use super::start_with;
use aadsync_directory::ClientId;
use aadsync_directory::graph::retry::RetryPolicy;
use aadsync_sync::register::{self, Action, BOOTSTRAP_PERMISSIONS, RegisterError, read_and_plan};
use aadsync_sync::registration_check::check_with;
use serde_json::{Value, json};

async fn registrations(base: &str) -> Value {
    reqwest::get(format!("{base}/_emulator/registrations"))
        .await
        .expect("registrations")
        .json()
        .await
        .expect("json")
}

fn application<'a>(all: &'a Value, app_id: &str) -> &'a Value {
    all["applications"]
        .as_array()
        .expect("applications")
        .iter()
        .find(|a| a["appId"] == app_id)
        .expect("the application")
}

#[tokio::test]
async fn a_plan_is_applied_once_and_never_after_the_tenant_changed() {
    let env = start_with(20, 2).await;
    let graph = env.graph_with(BOOTSTRAP_PERMISSIONS, RetryPolicy::new(4, 50));
    let base = env.emulator.base_url().to_owned();

    let first = read_and_plan(&graph).await.expect("plan");
    assert_eq!(
        (
            first.application.action,
            first.service_principal.action,
            first.grant.action
        ),
        (Action::Create, Action::Create, Action::Create)
    );
    let client_id = register::apply(&graph, &first).await.expect("apply");
    let all = registrations(&base).await;
    let app = application(&all, client_id.as_str());
    assert_eq!(app["uniqueName"], "aadsync");
    assert_eq!(app["isFallbackPublicClient"], true);

    // The registration check calls it complete (the token may read applications and grants).
    let report = check_with(&graph, &client_id, None).await.expect("check");
    assert_eq!((report.findings, report.unchecked), (vec![], vec![]));
    assert!(read_and_plan(&graph).await.expect("plan").changes_nothing());

    // An administrator turns public client flows off: the plan turns it on, and only that.
    let control = |body: Value| {
        let url = format!("{base}/_emulator/applications/{}", client_id.as_str());
        async move {
            let status = reqwest::Client::new()
                .patch(url)
                .json(&body)
                .send()
                .await
                .expect("control")
                .status();
            assert!(status.is_success(), "{status}");
        }
    };
    control(json!({"isFallbackPublicClient": false})).await;
    let preview = read_and_plan(&graph).await.expect("plan");
    assert_eq!(preview.application.action, Action::Update);
    assert_eq!(
        preview.application.body,
        json!({"isFallbackPublicClient": true})
    );
    // …and before the apply someone also removes the redirect URI: the previewed plan is no
    // longer what would be written, so nothing is.
    control(json!({"publicClient": {"redirectUris": []}})).await;
    let before = registrations(&base).await;
    let refused = register::apply(&graph, &preview).await;
    assert!(
        matches!(refused, Err(RegisterError::Changed)),
        "{refused:?}"
    );
    assert_eq!(registrations(&base).await, before);

    // A new preview has both; applied, the same application is complete again.
    let again = read_and_plan(&graph).await.expect("plan");
    assert_eq!(
        again.application.body,
        json!({"isFallbackPublicClient": true, "publicClient": {"redirectUris": ["http://localhost"]}})
    );
    let same: ClientId = register::apply(&graph, &again).await.expect("apply");
    assert_eq!(same, client_id);
    assert!(read_and_plan(&graph).await.expect("plan").changes_nothing());
    let all = registrations(&base).await;
    let ours = all["applications"]
        .as_array()
        .expect("applications")
        .iter()
        .filter(|a| a["uniqueName"] == "aadsync")
        .count();
    assert_eq!(ours, 1);
}

/// Right after the application is created, Entra ID refuses its service principal until the
/// application object is replicated (400 `Request_BadRequest` "…does not reference a valid
/// application object"): the apply waits and tries again, and the registration is whole.
#[tokio::test]
async fn the_service_principal_waits_for_the_new_application_to_replicate() {
    let env = start_with(5, 1).await;
    let graph = env.graph_with(BOOTSTRAP_PERMISSIONS, RetryPolicy::new(4, 50));
    let base = env.emulator.base_url().to_owned();
    let http = reqwest::Client::new();
    let status = http
        .post(format!("{base}/_emulator/faults"))
        .json(&json!({
            "path": "/v1.0/servicePrincipals",
            "kind": "error",
            "status": 400,
            "code": "Request_BadRequest",
            "message": "The appId of the service principal does not reference a valid application object.",
            "times": 2,
        }))
        .send()
        .await
        .expect("fault")
        .status();
    assert!(status.is_success(), "{status}");

    let plan = read_and_plan(&graph).await.expect("plan");
    let client_id = register::apply(&graph, &plan).await.expect("apply");

    let faults: Value = http
        .get(format!("{base}/_emulator/faults"))
        .send()
        .await
        .expect("faults")
        .json()
        .await
        .expect("json");
    assert_eq!(faults["faults"][0]["applied"], 2, "{faults}");
    let all = registrations(&base).await;
    let principals = all["servicePrincipals"]
        .as_array()
        .expect("principals")
        .iter()
        .filter(|sp| sp["appId"] == client_id.as_str())
        .count();
    assert_eq!(principals, 1, "{all}");
    assert!(read_and_plan(&graph).await.expect("plan").changes_nothing());
}
