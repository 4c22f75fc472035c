//! Device code sign-in and the administrator check, against the emulator.

use aadsync_directory::auth::admin::{AdminPolicy, roles_from_graph};
use aadsync_directory::auth::{DeviceFlow, DeviceFlowError};
use aadsync_directory::{ClientId, Cloud, Target, TenantRef};
use aadsync_emulator::browser::{Browser, Person};
use aadsync_emulator::{Emulator, demo};

async fn setup() -> (Emulator, Target) {
    let emulator = Emulator::start_demo().await.expect("emulator");
    let target = Target::new(
        TenantRef::parse(&emulator.tenant_id()).expect("tenant"),
        ClientId::parse(demo::CLIENT_ID).expect("client"),
        &Cloud::custom(emulator.base_url(), emulator.base_url()).expect("cloud"),
    )
    .expect("target");
    (emulator, target)
}

/// The person at the browser: opens the URL, types the code, signs in (or cancels).
async fn approve(emulator: &Emulator, uri: &str, code: &str, approve: bool) {
    Browser::new()
        .expect("browser")
        .device_login(
            uri,
            code,
            &Person::demo_admin(emulator.clock().now()),
            approve,
        )
        .await
        .expect("device login");
}

#[tokio::test]
async fn device_code_approved_declined_and_cancelled() {
    let (emulator, target) = setup().await;
    let flow = DeviceFlow::start(&target, &["User.Read.All"])
        .await
        .expect("start");
    assert_eq!(flow.user_code().len(), 9);
    // The device code redeems the sign-in: Debug (logs, panics) shows it redacted.
    let debug = format!("{flow:?}");
    assert!(debug.contains("DeviceCode([redacted])"), "{debug}");
    assert!(flow.verification_uri().ends_with("/devicelogin"));
    let (uri, code) = (
        flow.verification_uri().to_owned(),
        flow.user_code().to_owned(),
    );
    approve(&emulator, &uri, &code, true).await;
    let tokens = flow.finish(std::future::pending()).await.expect("tokens");
    assert!(tokens.refresh_token.is_some() && tokens.id_token.is_some());
    super::code_flow::assert_tokens_redacted(&tokens);

    let flow = DeviceFlow::start(&target, &["User.Read.All"])
        .await
        .expect("start");
    let (uri, code) = (
        flow.verification_uri().to_owned(),
        flow.user_code().to_owned(),
    );
    approve(&emulator, &uri, &code, false).await;
    assert!(matches!(
        flow.finish(std::future::pending()).await,
        Err(DeviceFlowError::Declined)
    ));

    let flow = DeviceFlow::start(&target, &["User.Read.All"])
        .await
        .expect("start");
    assert!(matches!(
        flow.finish(async {}).await,
        Err(DeviceFlowError::Cancelled)
    ));
}

#[tokio::test]
async fn only_administrators_are_accepted() {
    let (emulator, target) = setup().await;
    let endpoints = &target.endpoints;
    let http = reqwest::Client::new();
    let policy = AdminPolicy::default();
    let admin = emulator
        .mint_access_token("admin@contoso.com", &["User.Read"], 600)
        .expect("token");
    let roles = roles_from_graph(&http, &endpoints.graph_root, &admin, "admin@contoso.com")
        .await
        .expect("roles");
    assert_eq!(
        policy.decide("admin@contoso.com", &roles),
        Ok(vec!["Global Administrator".to_owned()])
    );

    let user = emulator
        .mint_access_token("alex.wilber@contoso.com", &["User.Read"], 600)
        .expect("token");
    let roles = roles_from_graph(
        &http,
        &endpoints.graph_root,
        &user,
        "alex.wilber@contoso.com",
    )
    .await
    .expect("roles");
    let refused = policy
        .decide("alex.wilber@contoso.com", &roles)
        .expect_err("not an admin")
        .to_string();
    assert!(
        refused.contains("alex.wilber@contoso.com is not an administrator")
            && refused.contains("Global Administrator"),
        "{refused}"
    );

    // A token without the right scope: a clear error, not a crash.
    let no_scope = emulator
        .mint_access_token("admin@contoso.com", &["Mail.Read"], 600)
        .expect("token");
    let err = roles_from_graph(&http, &endpoints.graph_root, &no_scope, "admin@contoso.com")
        .await
        .expect_err("403");
    assert!(err.to_string().contains("403"), "{err}");
}
