//! Device code sign-in and the administrator check, against the emulator.

use aadsync_directory::auth::admin::{AdminError, AdminPolicy, roles_from_graph};
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

/// `roles_from_graph` reads `me/transitiveMemberOf`: with only User.Read the role comes with
/// limited information ("cannot tell"), with a permission that reads roles it is proof, a user
/// without roles is refused, and a token Graph refuses names User.Read.
#[tokio::test]
async fn only_administrators_are_accepted() {
    let (emulator, target) = setup().await;
    let endpoints = &target.endpoints;
    let http = reqwest::Client::new();
    let policy = AdminPolicy::default();
    let check = async |upn: &str, scopes: &[&str]| {
        let token = emulator.mint_access_token(upn, scopes, 600).expect("token");
        match roles_from_graph(&http, &endpoints.graph_root, &token, upn).await {
            Ok(roles) => policy.decide_from_graph(upn, &roles),
            Err(e) => Err(e),
        }
    };
    let admin = "admin@contoso.com";
    assert_eq!(
        check(admin, &["User.Read", "RoleManagement.Read.Directory"]).await,
        Ok(vec!["Global Administrator".to_owned()])
    );
    assert!(
        matches!(
            check(admin, &["User.Read"]).await,
            Err(AdminError::CannotTell { limited: 1, .. })
        ),
        "a role with limited information proves nothing"
    );
    let refused = check("alex.wilber@contoso.com", &["User.Read"])
        .await
        .expect_err("not an admin")
        .to_string();
    assert!(
        refused.contains("alex.wilber@contoso.com is not an administrator")
            && refused.contains("Global Administrator"),
        "{refused}"
    );
    let err = check(admin, &["Mail.Read"]).await.expect_err("403");
    assert!(
        matches!(err, AdminError::NoUserRead { .. }) && err.to_string().contains("User.Read"),
        "{err}"
    );
}

/// "Allow public client flows" off: the code starts and the admin signs in; the poll then fails
/// and the error says which switch to turn on.
#[tokio::test]
async fn device_code_with_public_client_flows_off_names_the_switch() {
    let mut tenant = aadsync_emulator::demo_tenant().expect("demo");
    for app in &mut tenant.applications {
        app.public_client_flows = false;
    }
    let emulator = Emulator::start(aadsync_emulator::EmulatorConfig::new(tenant))
        .await
        .expect("emulator");
    let target = Target::new(
        TenantRef::parse(&emulator.tenant_id()).expect("tenant"),
        ClientId::parse(demo::CLIENT_ID).expect("client"),
        &Cloud::custom(emulator.base_url(), emulator.base_url()).expect("cloud"),
    )
    .expect("target");
    let flow = DeviceFlow::start(&target, &["User.Read.All"])
        .await
        .expect("the code starts");
    approve(&emulator, flow.verification_uri(), flow.user_code(), true).await;
    let err = flow
        .finish(std::future::pending())
        .await
        .expect_err("refused at the poll");
    assert!(
        matches!(err, DeviceFlowError::PublicClientFlowsOff)
            && err.to_string().contains("Allow public client flows"),
        "{err:?}"
    );
}
