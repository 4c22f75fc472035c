//! The loopback redirect listener: both response modes from the emulator's real sign-in,
//! state checks, one response only, errors, timeout, cancel.

use aadsync_directory::auth::{LoopbackError, LoopbackListener};
use aadsync_emulator::browser::{Browser, Person};
use aadsync_emulator::{Emulator, demo};
use std::time::Duration;

const STATE: &str = "state-4f1c";
const LONG: Duration = Duration::from_secs(30);

fn never() -> std::future::Pending<()> {
    std::future::pending()
}

/// Plays the browser through the emulator's sign-in and delivers the result to the listener.
async fn browser(emulator: &Emulator, redirect_uri: &str, mode: &str) {
    let url = format!(
        "{}/oauth2/v2.0/authorize?client_id={}&response_type=code&redirect_uri={}&scope=openid%20offline_access&state={STATE}&code_challenge=abc&code_challenge_method=plain&response_mode={mode}",
        emulator.authority(),
        demo::CLIENT_ID,
        redirect_uri.replace(':', "%3A").replace('/', "%2F"),
    );
    browser_for(emulator, &url).await;
}

/// Signs the demo administrator in from an authorize URL and delivers the redirect.
pub async fn browser_for(emulator: &Emulator, url: &str) {
    let browser = Browser::new().expect("browser");
    let redirect = browser
        .sign_in(url, &Person::demo_admin(emulator.clock().now()))
        .await
        .expect("sign-in");
    browser.deliver(&redirect).await.expect("deliver");
}

#[tokio::test]
async fn receives_the_code_in_both_response_modes_from_a_real_sign_in() {
    let emulator = Emulator::start_demo().await.expect("emulator");
    for mode in ["query", "form_post"] {
        let listener = LoopbackListener::bind().await.expect("bind");
        let redirect = listener.redirect_uri();
        assert!(redirect.starts_with("http://localhost:"), "{redirect}");
        let waiting = tokio::spawn(listener.wait(STATE, LONG, never()));
        browser(&emulator, &redirect, mode).await;
        let response = waiting.await.expect("join").expect("a code");
        assert!(response.code.len() > 20, "{mode}");
        assert!(response.session_state.is_some());
        assert!(
            !format!("{response:?}").contains(response.code.expose()),
            "the code is redacted in Debug"
        );
    }
}

async fn deliver(port: u16, query: &str) -> Result<u16, reqwest::Error> {
    reqwest::Client::new()
        .get(format!("http://127.0.0.1:{port}/?{query}"))
        .send()
        .await
        .map(|r| r.status().as_u16())
}

#[tokio::test]
async fn ignores_a_foreign_state_and_accepts_one_response_only() {
    let listener = LoopbackListener::bind().await.expect("bind");
    let port = listener.port();
    let waiting = tokio::spawn(listener.wait(STATE, LONG, never()));
    assert_eq!(
        deliver(port, "code=attacker&state=other")
            .await
            .expect("served"),
        400
    );
    assert_eq!(deliver(port, "code=attacker").await.expect("served"), 400);
    assert_eq!(
        deliver(port, &format!("code=the-real-code&state={STATE}"))
            .await
            .expect("served"),
        200
    );
    let response = waiting.await.expect("join").expect("code");
    assert_eq!(response.code.expose(), "the-real-code");
    // A second response is refused: the listener is gone (or says it is done).
    if let Ok(status) = deliver(port, &format!("code=late&state={STATE}")).await {
        assert_eq!(status, 410);
    }
}

/// Found by the property tests: a parameter given twice was taken from its last occurrence.
/// RFC 6749 (3.1) allows none twice; such a response is refused and ours still awaited.
#[tokio::test]
async fn a_response_with_a_parameter_twice_is_refused() {
    let listener = LoopbackListener::bind().await.expect("bind");
    let port = listener.port();
    let waiting = tokio::spawn(listener.wait(STATE, LONG, never()));
    for query in [
        format!("code=a&state=other&state={STATE}"),
        format!("code=a&code=b&state={STATE}"),
        format!("code=a&state={STATE}&error=access_denied&error=x"),
    ] {
        assert_eq!(deliver(port, &query).await.expect("served"), 400, "{query}");
    }
    assert_eq!(
        deliver(port, &format!("code=ours&state={STATE}"))
            .await
            .expect("served"),
        200
    );
    let response = waiting.await.expect("join").expect("code");
    assert_eq!(response.code.expose(), "ours");
}

#[tokio::test]
async fn errors_timeout_and_cancel() {
    let listener = LoopbackListener::bind().await.expect("bind");
    let port = listener.port();
    let waiting = tokio::spawn(listener.wait(STATE, LONG, never()));
    let denied = "error=access_denied&error_description=AADSTS65004%3A+User+declined+to+consent.%0D%0ATrace+ID%3A+x";
    assert_eq!(
        deliver(port, &format!("{denied}&state={STATE}"))
            .await
            .expect("served"),
        200
    );
    match waiting.await.expect("join") {
        Err(LoopbackError::Denied { error, description }) => {
            assert_eq!(error, "access_denied");
            assert_eq!(description, "AADSTS65004: User declined to consent.");
        }
        other => panic!("expected Denied, got {other:?}"),
    }

    let listener = LoopbackListener::bind().await.expect("bind");
    let outcome = listener
        .wait(STATE, Duration::from_millis(100), never())
        .await;
    assert!(
        matches!(outcome, Err(LoopbackError::TimedOut(_))),
        "{outcome:?}"
    );

    let listener = LoopbackListener::bind().await.expect("bind");
    let (cancel, cancelled) = tokio::sync::oneshot::channel::<()>();
    let waiting = tokio::spawn(listener.wait(STATE, LONG, async move {
        let _ = cancelled.await;
    }));
    let _ = cancel.send(());
    assert!(matches!(
        waiting.await.expect("join"),
        Err(LoopbackError::Cancelled)
    ));
}

/// Whether this computer has an IPv6 loopback; if not, says so (the `[::1]` tests then have
/// nothing to check: nobody can listen there either).
fn has_ipv6_loopback() -> bool {
    let has = std::net::TcpListener::bind("[::1]:0").is_ok();
    if !has {
        eprintln!("note: no IPv6 loopback on this computer; the [::1] squatting check is skipped");
    }
    has
}

#[tokio::test]
async fn the_listener_owns_the_port_on_ipv6_loopback_too() {
    if !has_ipv6_loopback() {
        return;
    }
    let listener = LoopbackListener::bind().await.expect("bind");
    let port = listener.port();
    // Another local program cannot take [::1]:<port> after the listener started ...
    assert!(
        std::net::TcpListener::bind(("::1", port)).is_err(),
        "[::1]:{port} was free for another program"
    );
    // ... and a browser that resolves localhost to ::1 reaches the listener itself.
    let waiting = tokio::spawn(listener.wait(STATE, LONG, never()));
    let status = reqwest::Client::new()
        .get(format!("http://[::1]:{port}/?code=over-ipv6&state={STATE}"))
        .send()
        .await
        .expect("served over ::1")
        .status();
    assert_eq!(status.as_u16(), 200);
    let response = waiting.await.expect("join").expect("code");
    assert_eq!(response.code.expose(), "over-ipv6");
}

#[tokio::test]
async fn a_port_already_taken_on_ipv6_loopback_fails_the_sign_in() {
    if !has_ipv6_loopback() {
        return;
    }
    // Another program listens on [::1]:<port> before the sign-in picks that port.
    let squatter = std::net::TcpListener::bind("[::1]:0").expect("squat");
    let port = squatter.local_addr().expect("addr").port();
    match LoopbackListener::bind_at(port).await {
        Err(LoopbackError::Squatted { port: refused }) => {
            assert_eq!(refused, port);
            let message = LoopbackError::Squatted { port }.to_string();
            assert!(message.contains("[::1]") && message.contains(&port.to_string()));
        }
        other => panic!("expected Squatted, got {other:?}"),
    }
    // The 127.0.0.1 half was given back: the port is free there again.
    drop(std::net::TcpListener::bind(("127.0.0.1", port)).expect("127.0.0.1 released"));
}
