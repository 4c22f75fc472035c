//! Whole sign-ins against the emulator over HTTP, with refresh tokens in the real Secret Service:
//! administrator accepted and saved, rotation saved, silent resume, revoked and expired refresh
//! tokens, non-admin refused, unknown tenant, missing consent, device code.

use aadsync_directory::auth::admin::AdminPolicy;
use aadsync_directory::auth::permissions;
use aadsync_directory::auth::signin::{DeviceSignIn, Interactive, SignInError};
use aadsync_directory::auth::{Session, SessionError};
use aadsync_directory::{ClientId, Cloud, Target, TenantRef};
use aadsync_emulator::browser::{Browser, Person};
use aadsync_emulator::model::{Application, Tenant};
use aadsync_emulator::{Emulator, EmulatorConfig, demo};
use aadsync_keystore::{TokenKey, TokenStore};
use aadsync_testenv::{KeyringMode, in_session};
use std::time::Duration;

const LONG: Duration = Duration::from_secs(60);

async fn emulator_with(tenant: Tenant) -> Emulator {
    Emulator::start(EmulatorConfig::new(tenant))
        .await
        .expect("emulator")
}

fn target(emulator: &Emulator, tenant: &str, client: &str) -> Target {
    Target::new(
        TenantRef::parse(tenant).expect("tenant"),
        ClientId::parse(client).expect("client"),
        &Cloud::custom(emulator.base_url(), emulator.base_url()).expect("cloud"),
    )
    .expect("endpoints")
}

/// Starts an interactive sign-in and plays the browser for `person`.
async fn interactive(
    target: &Target,
    person: Person<'_>,
) -> Result<aadsync_directory::auth::SignedIn, SignInError> {
    let sign_in = Interactive::prepare(target, None).await?;
    let url = sign_in.authorize_url().to_owned();
    assert!(
        url.contains("code_challenge_method=S256") && url.contains(".default"),
        "{url}"
    );
    let waiting =
        tokio::spawn(sign_in.finish(AdminPolicy::default(), LONG, std::future::pending()));
    let browser = Browser::new().expect("browser");
    let redirect = browser.sign_in(&url, &person).await.expect("sign-in pages");
    browser.deliver(&redirect).await.expect("deliver");
    waiting.await.expect("join")
}

#[tokio::test]
async fn administrator_signs_in_tokens_rotate_into_the_keyring_and_resume() {
    if !in_session(
        "signin::administrator_signs_in_tokens_rotate_into_the_keyring_and_resume",
        KeyringMode::Unlocked,
    ) {
        return;
    }
    let emulator = emulator_with(aadsync_emulator::demo_tenant().expect("demo")).await;
    // The admin types the domain; discovery finds the tenant ID.
    let target = target(&emulator, "contoso.com", demo::CLIENT_ID);
    let mut signed_in = interactive(&target, Person::demo_admin(emulator.clock().now()))
        .await
        .expect("admin accepted");
    assert_eq!(signed_in.tenant.tenant_id, emulator.tenant_id());
    assert_eq!(
        (
            signed_in.tenant.display_name.as_str(),
            signed_in.tenant.primary_domain.as_str()
        ),
        ("Contoso", "contoso.com")
    );
    assert_eq!(signed_in.account.upn, "admin@contoso.com");
    assert_eq!(signed_in.account.roles, ["Global Administrator"]);

    let store = TokenStore::platform();
    let key = TokenKey::new(&signed_in.tenant.tenant_id, &signed_in.account.object_id);
    signed_in.session.persist_to(store.clone(), key.clone());
    signed_in.session.save_refresh_token().await.expect("save");
    let first = store.load(&key).expect("load").expect("saved");
    let printed = format!("{signed_in:?} {signed_in:#?}");
    assert!(
        !printed.contains(first.expose()),
        "the signed-in session's Debug shows its refresh token: {printed}"
    );

    // Renewal rotates the refresh token, and the new one is what the keyring holds.
    signed_in.session.renew_now().await.expect("renew");
    let second = store.load(&key).expect("load").expect("saved");
    assert_ne!(first, second, "rotated token saved");

    // A new session from the keyring (an app restart) works silently and re-checks the role.
    let mut resumed = Session::resume(target.clone(), second);
    resumed.persist_to(store.clone(), key.clone());
    let roles = resumed
        .verify_admin(&AdminPolicy::default(), "admin@contoso.com")
        .await
        .expect("silent sign-in");
    assert_eq!(roles, ["Global Administrator"]);

    // Revocation (password reset, "revoke sessions") → sign in again, nothing crashes.
    emulator
        .revoke_refresh_tokens("admin@contoso.com")
        .expect("revoke");
    let stored = store.load(&key).expect("load").expect("saved");
    let err = Session::resume(target.clone(), stored)
        .access_token()
        .await
        .expect_err("revoked");
    assert!(err.needs_sign_in(), "{err:?}");
    assert!(err.to_string().contains("AADSTS50173"), "{err}");
    store.delete(&key).expect("clean up");
}

#[tokio::test]
async fn device_code_sign_in_then_refresh_token_expires_after_90_days() {
    let emulator = emulator_with(aadsync_emulator::demo_tenant().expect("demo")).await;
    let target = target(&emulator, &emulator.tenant_id(), demo::CLIENT_ID);
    let device = DeviceSignIn::start(&target).await.expect("device code");
    assert!(device.verification_uri().ends_with("/devicelogin"));
    let (uri, code) = (
        device.verification_uri().to_owned(),
        device.user_code().to_owned(),
    );
    let approving = tokio::spawn({
        let now = emulator.clock().now();
        async move {
            Browser::new()
                .expect("browser")
                .device_login(&uri, &code, &Person::demo_admin(now), true)
                .await
        }
    });
    let signed_in = device
        .finish(AdminPolicy::default(), std::future::pending())
        .await
        .expect("device sign-in");
    approving.await.expect("join").expect("approved");
    assert_eq!(signed_in.account.upn, "admin@contoso.com");
    assert!(signed_in.session.access_token().await.is_ok());

    emulator.clock().advance(91 * 24 * 3600);
    let err = signed_in.session.renew_now().await.expect_err("expired");
    assert!(
        matches!(&err, SessionError::SignInAgain { reason } if reason.contains("AADSTS700082")),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_non_administrator_is_refused_by_name_with_the_roles_needed() {
    let emulator = emulator_with(aadsync_emulator::demo_tenant().expect("demo")).await;
    let target = target(&emulator, "contoso.com", demo::CLIENT_ID);
    let alex = Person {
        upn: "alex.wilber@contoso.com",
        password: demo::USER_PASSWORD,
        totp_secret: demo::USER_TOTP_SECRET,
        now: emulator.clock().now(),
    };
    let err = interactive(&target, alex).await.expect_err("refused");
    let text = err.to_string();
    assert!(matches!(err, SignInError::NotAdmin(_)), "{err:?}");
    assert!(
        text.contains("alex.wilber@contoso.com") && text.contains("Global Administrator"),
        "{text}"
    );
}

#[tokio::test]
async fn unknown_tenant_is_reported_before_any_browser_opens() {
    let emulator = emulator_with(aadsync_emulator::demo_tenant().expect("demo")).await;
    let err = Interactive::prepare(&target(&emulator, "fabrikam.com", demo::CLIENT_ID), None)
        .await
        .expect_err("unknown tenant");
    let text = err.to_string();
    assert!(
        matches!(err, SignInError::UnknownTenant(_)) && text.contains("fabrikam.com"),
        "{text}"
    );
    // Nothing listens on the emulator's port for the tenant: a dead port is "cannot reach".
    let dead = Target::new(
        TenantRef::parse("contoso.com").expect("t"),
        ClientId::parse(demo::CLIENT_ID).expect("client"),
        &Cloud::custom("http://127.0.0.1:9", "http://127.0.0.1:9").expect("cloud"),
    )
    .expect("e");
    let err = Interactive::prepare(&dead, None).await.expect_err("dead");
    assert!(matches!(err, SignInError::Unreachable { .. }), "{err:?}");
}

#[tokio::test]
async fn missing_admin_consent_names_the_permission_and_the_fix() {
    let mut tenant = aadsync_emulator::demo_tenant().expect("demo");
    let client = "7d3c1f2e-1111-4a2b-9c3d-4e5f6a7b8c9d";
    tenant.applications.push(Application {
        client_id: client.into(),
        display_name: "aadsync (no consent)".into(),
        redirect_uris: vec!["http://localhost".into()],
        public_client_flows: true,
        granted_scopes: vec!["User.Read".into()],
        wids_in_tokens: true,
    });
    let emulator = emulator_with(tenant).await;
    let target = target(&emulator, "contoso.com", client);
    let err = interactive(&target, Person::demo_admin(emulator.clock().now()))
        .await
        .expect_err("no consent");
    let text = err.to_string();
    assert!(
        text.contains("User.Read.All") && text.contains("Grant admin consent"),
        "{text}"
    );
}

/// After sign-in, the token response's `scope` says per feature which permission is missing:
/// with the README's minimal registration, deleted groups and hidden-membership groups; with
/// the optional permissions too, nothing.
#[tokio::test]
async fn the_granted_scopes_say_which_feature_lacks_which_permission() {
    let readme = ["User.Read", "User.Read.All", "GroupMember.Read.All"];
    let all = [&readme[..], &["Group.Read.All", "Member.Read.Hidden"]].concat();
    let cases: [(&str, &[&str], &[&str]); 2] = [
        (
            "7d3c1f2e-2222-4a2b-9c3d-4e5f6a7b8c9d",
            &readme,
            &["Member.Read.Hidden", "Group.Read.All"],
        ),
        ("7d3c1f2e-3333-4a2b-9c3d-4e5f6a7b8c9d", &all, &[]),
    ];
    let mut tenant = aadsync_emulator::demo_tenant().expect("demo");
    for (client, granted, _) in &cases {
        tenant.applications.push(Application {
            client_id: (*client).into(),
            display_name: "aadsync".into(),
            redirect_uris: vec!["http://localhost".into()],
            public_client_flows: true,
            granted_scopes: granted.iter().map(|s| (*s).to_owned()).collect(),
            wids_in_tokens: true,
        });
    }
    let emulator = emulator_with(tenant).await;
    for (client, granted, missing) in cases {
        let target = target(&emulator, "contoso.com", client);
        let signed_in = interactive(&target, Person::demo_admin(emulator.clock().now()))
            .await
            .expect("signed in");
        let lacking: Vec<&str> = permissions::feature_access(&signed_in.granted)
            .into_iter()
            .filter_map(|a| a.missing)
            .collect();
        assert_eq!(lacking, missing, "{granted:?}");
    }
}
