//! Time limits and Cancel on the sign-in calls, against a stub authority over real HTTP whose
//! token endpoint never answers: the code redemption and the device code start time out at
//! the configured limit, and Cancel reaches the code exchange after the redirect arrived.

use aadsync_directory::auth::admin::AdminPolicy;
use aadsync_directory::auth::signin::{Interactive, SignInError};
use aadsync_directory::auth::{AuthorizationResponse, CodeFlow, DeviceFlow};
use aadsync_directory::{ClientId, Cloud, HttpLimits, Target, TenantRef};
use aadsync_emulator::demo;
use aadsync_keystore::SecretString;
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Json, Response};
use serde_json::json;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Notify;

const TENANT: &str = "11111111-2222-3333-4444-555555555555";

/// A stub authority: discovery answers, every other request (token, device code) hangs.
/// `token_asked` is notified when a request reaches the token endpoint.
async fn hanging_authority() -> (String, Arc<Notify>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let token_asked = Arc::new(Notify::new());
    let state = (base.clone(), Arc::clone(&token_asked));
    let app = axum::Router::new()
        .fallback(
            |State((base, token_asked)): State<(String, Arc<Notify>)>, request: Request| async move {
                let path = request.uri().path().to_owned();
                if path.ends_with("/openid-configuration") {
                    return Json(json!({
                        "issuer": format!("{base}/{TENANT}/v2.0"),
                        "jwks_uri": format!("{base}/{TENANT}/discovery/v2.0/keys"),
                    }))
                    .into_response();
                }
                if path.ends_with("/token") {
                    token_asked.notify_one();
                }
                std::future::pending::<Response>().await
            },
        )
        .with_state(state);
    tokio::spawn(async move { axum::serve(listener, app).await });
    (base, token_asked)
}

fn target(base: &str) -> Target {
    Target::new(
        TenantRef::parse(TENANT).expect("tenant"),
        ClientId::parse(demo::CLIENT_ID).expect("client"),
        &Cloud::custom(base, base).expect("cloud"),
    )
    .expect("target")
}

fn short() -> HttpLimits {
    HttpLimits {
        request_timeout: Duration::from_millis(500),
        ..HttpLimits::default()
    }
}

#[tokio::test]
async fn a_token_endpoint_that_never_answers_times_out_at_the_configured_limit() {
    let (base, _) = hanging_authority().await;
    let target = target(&base).with_limits(short()).expect("limits");

    let flow =
        CodeFlow::start(&target, "http://localhost:1", &["User.Read.All"], None).expect("flow");
    let started = Instant::now();
    let redeemed = flow
        .redeem(AuthorizationResponse {
            code: SecretString::new("a-code".to_owned()),
            client_info: None,
            session_state: None,
        })
        .await;
    let took = started.elapsed();
    let error = redeemed.expect_err("no answer is an error");
    assert!(
        took >= Duration::from_millis(400) && took < Duration::from_secs(5),
        "{took:?}: {error}"
    );

    let started = Instant::now();
    let device = DeviceFlow::start(&target, &["User.Read.All"]).await;
    let took = started.elapsed();
    let error = device.expect_err("no answer is an error");
    assert!(took < Duration::from_secs(5), "{took:?}: {error}");
}

#[tokio::test]
async fn cancel_reaches_the_code_exchange_after_the_redirect_arrived() {
    let (base, token_asked) = hanging_authority().await;
    // The default limits: without Cancel, this sign-in would wait a minute for the token.
    let target = target(&base);
    let sign_in = Interactive::prepare(&target, None).await.expect("prepare");
    let url = url::Url::parse(sign_in.authorize_url()).expect("url");
    let query = |name: &str| {
        url.query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
            .expect(name)
    };
    let (redirect, state) = (query("redirect_uri"), query("state"));
    let (cancel, cancelled) = tokio::sync::oneshot::channel::<()>();
    let finishing = tokio::spawn(sign_in.finish(
        AdminPolicy::default(),
        Duration::from_secs(60),
        async move {
            let _ = cancelled.await;
        },
    ));
    let status = reqwest::Client::new()
        .get(format!("{redirect}/?code=a-code&state={state}"))
        .send()
        .await
        .expect("redirect delivered")
        .status();
    assert_eq!(status.as_u16(), 200);
    // The exchange has started (the token endpoint was asked, and hangs): now Cancel.
    tokio::time::timeout(Duration::from_secs(10), token_asked.notified())
        .await
        .expect("the code exchange started");
    let _ = cancel.send(());
    let outcome = tokio::time::timeout(Duration::from_secs(5), finishing)
        .await
        .expect("Cancel returned promptly")
        .expect("join");
    match outcome {
        Err(error @ SignInError::Loopback(_)) => assert!(error.is_cancelled(), "{error}"),
        other => panic!("expected a cancelled sign-in, got {:?}", other.map(|_| ())),
    }
}
