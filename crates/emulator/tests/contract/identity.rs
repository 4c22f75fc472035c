//! Identity platform v2.0: discovery, JWKS, a browser-like sign-in in both response modes,
//! the token endpoint's grants and its AADSTS errors.

use crate::support::start;
use aadsync_emulator::browser::{Browser, Person, Redirect};
use aadsync_emulator::demo;
use base64::Engine;
use serde_json::{Value, json};
use sha2::Digest;
use std::collections::HashMap;

const REDIRECT: &str = "http://localhost:53117";
const VERIFIER: &str = "a-pkce-verifier-of-at-least-43-characters-0123456789";

fn challenge() -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(sha2::Sha256::digest(VERIFIER.as_bytes()))
}

fn authorize_url(base: &str, tenant: &str, mode: &str, nonce: &str) -> String {
    format!(
        "{base}/{tenant}/oauth2/v2.0/authorize?client_id={}&response_type=code&redirect_uri={}&scope={}&state=s-123&nonce={nonce}&code_challenge={}&code_challenge_method=S256&response_mode={mode}&client_info=1",
        demo::CLIENT_ID,
        "http%3A%2F%2Flocalhost%3A53117",
        "openid%20profile%20offline_access%20https%3A%2F%2Fgraph.microsoft.com%2FUser.Read.All%20https%3A%2F%2Fgraph.microsoft.com%2FGroupMember.Read.All",
        challenge()
    )
}

/// Plays the browser: account, password, code. Returns the redirect's parameters.
async fn sign_in(
    base: &str,
    tenant: &str,
    mode: &str,
    upn: &str,
    password: &str,
    totp_secret: &str,
    clock_now: i64,
) -> HashMap<String, String> {
    let person = Person {
        upn,
        password,
        totp_secret,
        now: clock_now,
    };
    let redirect = Browser::new()
        .expect("browser")
        .sign_in(&authorize_url(base, tenant, mode, "n-1"), &person)
        .await
        .expect("sign-in");
    assert_eq!(redirect.target(), REDIRECT, "{redirect:?}");
    match (mode, &redirect) {
        ("form_post", Redirect::FormPost { html, .. }) => {
            assert!(html.contains("document.forms[0].submit()"))
        }
        ("query", Redirect::Query { .. }) => {}
        (mode, other) => panic!("{mode}: unexpected {other:?}"),
    }
    redirect.params().clone()
}

fn url_params(url: &str) -> HashMap<String, String> {
    aadsync_emulator::graph::query::parse_pairs(url.split_once('?').map(|(_, q)| q))
        .into_iter()
        .collect()
}

fn claims(jwt: &str) -> Value {
    let part = jwt.split('.').nth(1).expect("claims");
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(part)
            .expect("b64"),
    )
    .expect("json")
}

async fn redeem(
    base: &str,
    tenant: &str,
    code: &str,
    verifier: &str,
) -> (u16, Value, reqwest::header::HeaderMap) {
    let response = reqwest::Client::new()
        .post(format!("{base}/{tenant}/oauth2/v2.0/token"))
        .form(&[
            ("client_id", demo::CLIENT_ID),
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", verifier),
            ("client_info", "1"),
            (
                "scope",
                "openid profile offline_access https://graph.microsoft.com/User.Read.All",
            ),
        ])
        .send()
        .await
        .expect("token");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (
        status,
        response.json().await.unwrap_or(Value::Null),
        headers,
    )
}

async fn refresh(base: &str, tenant: &str, token: &str) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(format!("{base}/{tenant}/oauth2/v2.0/token"))
        .form(&[
            ("client_id", demo::CLIENT_ID),
            ("grant_type", "refresh_token"),
            ("refresh_token", token),
        ])
        .send()
        .await
        .expect("token");
    (
        response.status().as_u16(),
        response.json().await.unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn discovery_and_jwks_as_entra_publishes_them() {
    let env = start(50, 5).await;
    let base = env.emulator.base_url();
    let tid = env.emulator.tenant_id();
    let get = |url: String| async move {
        reqwest::get(url)
            .await
            .expect("get")
            .json::<Value>()
            .await
            .expect("json")
    };
    let specific = get(format!(
        "{base}/{tid}/v2.0/.well-known/openid-configuration"
    ))
    .await;
    assert_eq!(specific["issuer"], json!(format!("{base}/{tid}/v2.0")));
    assert_eq!(
        specific["token_endpoint"],
        json!(format!("{base}/{tid}/oauth2/v2.0/token"))
    );
    let by_domain = get(format!(
        "{base}/contoso.com/v2.0/.well-known/openid-configuration"
    ))
    .await;
    assert_eq!(by_domain["issuer"], specific["issuer"]);
    let common = get(format!(
        "{base}/common/v2.0/.well-known/openid-configuration"
    ))
    .await;
    assert_eq!(common["issuer"], json!(format!("{base}/{{tenantid}}/v2.0")));
    assert_eq!(
        common["token_endpoint"],
        json!(format!("{base}/common/oauth2/v2.0/token"))
    );
    let unknown = get(format!(
        "{base}/fabrikam.com/v2.0/.well-known/openid-configuration"
    ))
    .await;
    assert_eq!(unknown["error_codes"], json!([90002]));
    let jwks = get(specific["jwks_uri"].as_str().expect("jwks_uri").to_owned()).await;
    let key = &jwks["keys"][0];
    assert!(key.get("alg").is_none() && key["kid"] == key["x5t"] && key["x5c"].is_array());
}

#[tokio::test]
async fn sign_in_with_both_response_modes_then_tokens_work_and_rotate() {
    let env = start(80, 8).await;
    let base = env.emulator.base_url().to_owned();
    let tid = env.emulator.tenant_id();
    for mode in ["query", "form_post"] {
        let params = sign_in(
            &base,
            &tid,
            mode,
            "admin@contoso.com",
            demo::ADMIN_PASSWORD,
            demo::ADMIN_TOTP_SECRET,
            env.emulator.clock().now(),
        )
        .await;
        assert_eq!(
            params.get("state").map(String::as_str),
            Some("s-123"),
            "{mode}"
        );
        assert!(params.contains_key("session_state"));
        let info: Value = serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(&params["client_info"])
                .expect("b64"),
        )
        .expect("json");
        assert_eq!(info["utid"], json!(tid));

        let (status, body, headers) = redeem(&base, &tid, &params["code"], VERIFIER).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(headers["cache-control"], "no-store, no-cache");
        for field in [
            "access_token",
            "refresh_token",
            "id_token",
            "client_info",
            "expires_in",
            "ext_expires_in",
            "scope",
        ] {
            assert!(body.get(field).is_some(), "{mode}: no {field} in {body}");
        }
        let id = claims(body["id_token"].as_str().expect("id_token"));
        assert_eq!(
            (id["aud"].clone(), id["nonce"].clone(), id["ver"].clone()),
            (json!(demo::CLIENT_ID), json!("n-1"), json!("2.0"))
        );
        assert_eq!(id["iss"], json!(format!("{base}/{tid}/v2.0")));
        assert_eq!(id["preferred_username"], json!("admin@contoso.com"));
        assert!(
            id["wids"]
                .as_array()
                .expect("wids")
                .contains(&json!("62e90394-69f5-4237-9190-012177145e10"))
        );
        let access = body["access_token"].as_str().expect("access");
        let at = claims(access);
        assert_eq!(
            (at["aud"].clone(), at["ver"].clone()),
            (json!("https://graph.microsoft.com"), json!("1.0"))
        );
        assert!(at["amr"].as_array().expect("amr").contains(&json!("mfa")));
        // The access token works against Graph.
        let me = reqwest::Client::new()
            .get(format!("{base}/v1.0/me"))
            .bearer_auth(access)
            .send()
            .await
            .expect("me");
        assert_eq!(me.status(), 200);

        // The code is single use.
        let (status, again, _) = redeem(&base, &tid, &params["code"], VERIFIER).await;
        assert_eq!(
            (status, again["error_codes"].clone()),
            (400, json!([54005]))
        );

        // Refresh rotates; the old refresh token stays valid.
        let first = body["refresh_token"].as_str().expect("rt").to_owned();
        let (status, rotated) = refresh(&base, &tid, &first).await;
        assert_eq!(status, 200, "{rotated}");
        let second = rotated["refresh_token"]
            .as_str()
            .expect("rotated rt")
            .to_owned();
        assert_ne!(first, second);
        assert_eq!(
            refresh(&base, &tid, &first).await.0,
            200,
            "old refresh token still valid"
        );
        // Tokens are sealed, not remembered: an emulator restarted on the same tenant (the
        // offline demo restarts with every app start) still honours them.
        let restarted = start(80, 8).await;
        let (status, body) = refresh(restarted.emulator.base_url(), &tid, &second).await;
        assert_eq!(status, 200, "after a restart: {body}");
        let mut forged = second.clone();
        forged.insert(
            20,
            if forged.as_bytes()[20] == b'A' {
                'B'
            } else {
                'A'
            },
        );
        assert_eq!(
            refresh(&base, &tid, &forged).await.1["error"],
            json!("invalid_grant")
        );
    }
    // Revocation ends every refresh token issued so far.
    let params = sign_in(
        &base,
        &tid,
        "query",
        "admin@contoso.com",
        demo::ADMIN_PASSWORD,
        demo::ADMIN_TOTP_SECRET,
        env.emulator.clock().now(),
    )
    .await;
    let (_, body, _) = redeem(&base, &tid, &params["code"], VERIFIER).await;
    let rt = body["refresh_token"].as_str().expect("rt").to_owned();
    // Through the control API, as a test of the app would do it.
    let revoked = reqwest::Client::new()
        .post(format!("{base}/_emulator/users/admin@contoso.com/revoke"))
        .send()
        .await
        .expect("revoke");
    assert_eq!(revoked.status(), 204);
    let (status, err) = refresh(&base, &tid, &rt).await;
    assert_eq!(
        (status, err["error"].clone(), err["error_codes"].clone()),
        (400, json!("invalid_grant"), json!([50173]))
    );
    assert!(
        err["error_description"]
            .as_str()
            .expect("desc")
            .contains("Trace ID:")
    );
    for field in ["timestamp", "trace_id", "correlation_id", "error_uri"] {
        assert!(err.get(field).is_some(), "no {field}");
    }
}

#[tokio::test]
async fn authorization_errors_as_entra_sends_them() {
    let env = start(80, 8).await;
    let base = env.emulator.base_url().to_owned();
    let tid = env.emulator.tenant_id();
    let browser = Browser::new().expect("browser");
    let http = browser.client();
    let good = authorize_url(&base, &tid, "query", "n");
    let page_cases = [
        (
            "unknown client",
            good.replace(demo::CLIENT_ID, "11111111-2222-4333-8444-555555555555"),
            "AADSTS700016",
        ),
        (
            "unknown tenant",
            good.replace(&tid, "fabrikam.com"),
            "AADSTS90002",
        ),
        (
            "redirect mismatch",
            good.replace("localhost%3A53117", "evil.example.com"),
            "AADSTS50011",
        ),
    ];
    for (name, url, code) in page_cases {
        let text = http
            .get(url)
            .send()
            .await
            .expect("get")
            .text()
            .await
            .expect("text");
        assert!(text.contains(code), "{name}: {text}");
    }
    // prompt=none → login_required on the redirect.
    let response = http
        .get(format!("{good}&prompt=none"))
        .send()
        .await
        .expect("get");
    assert_eq!(response.status(), 302);
    let location = url_params(response.headers()["location"].to_str().expect("loc"));
    assert_eq!(
        (location["error"].as_str(), location["state"].as_str()),
        ("login_required", "s-123")
    );

    // Wrong password, disabled account, cancel.
    let page = browser.open(&good).await.expect("page");
    let page = browser
        .next(&page, "admin@contoso.com")
        .await
        .expect("password page");
    let page = browser.next(&page, "wrong").await.expect("password again");
    assert!(page.html.contains("AADSTS50126"), "{}", page.html);
    let response = browser.submit(&page, "", true).await.expect("cancel");
    let location = url_params(response.headers()["location"].to_str().expect("loc"));
    assert_eq!(location["error"], "access_denied");
    assert!(location["error_description"].starts_with("AADSTS65004"));

    let dir = aadsync_emulator::generate(aadsync_emulator::GeneratorConfig {
        users: 80,
        groups: 8,
        seed: 42,
    });
    let disabled = dir
        .users
        .iter()
        .find(|u| !u.account_enabled)
        .expect("a disabled user");
    let page = browser.open(&good).await.expect("page");
    let page = browser
        .next(&page, &disabled.user_principal_name)
        .await
        .expect("password page");
    let page = browser.next(&page, "anything").await.expect("error page");
    assert!(page.html.contains("AADSTS50057"), "{}", page.html);
}

#[tokio::test]
async fn token_endpoint_error_table() {
    let env = start(80, 8).await;
    let base = env.emulator.base_url().to_owned();
    let tid = env.emulator.tenant_id();
    let code = || {
        let base = base.clone();
        let tid = tid.clone();
        let now = env.emulator.clock().now();
        async move {
            sign_in(
                &base,
                &tid,
                "query",
                "admin@contoso.com",
                demo::ADMIN_PASSWORD,
                demo::ADMIN_TOTP_SECRET,
                now,
            )
            .await["code"]
                .clone()
        }
    };
    let post = |form: Vec<(&'static str, String)>| {
        let url = format!("{base}/{tid}/oauth2/v2.0/token");
        async move {
            let response = reqwest::Client::new()
                .post(url)
                .form(&form)
                .send()
                .await
                .expect("post");
            (
                response.status().as_u16(),
                response.json::<Value>().await.unwrap_or(Value::Null),
            )
        }
    };
    let base_form = |code: String| {
        vec![
            ("client_id", demo::CLIENT_ID.to_owned()),
            ("grant_type", "authorization_code".to_owned()),
            ("code", code),
            ("redirect_uri", REDIRECT.to_owned()),
            ("code_verifier", VERIFIER.to_owned()),
        ]
    };

    let mut wrong_verifier = base_form(code().await);
    wrong_verifier[4].1 = "another-verifier-that-does-not-match-the-challenge".into();
    let (status, body) = post(wrong_verifier).await;
    assert_eq!(
        (status, body["error_codes"].clone()),
        (400, json!([501481]))
    );

    let mut with_secret = base_form(code().await);
    with_secret.push(("client_secret", "s3cret".into()));
    assert_eq!(post(with_secret).await.1["error_codes"], json!([700025]));

    let mut unknown_client = base_form(code().await);
    unknown_client[0].1 = "11111111-2222-4333-8444-555555555555".into();
    assert_eq!(post(unknown_client).await.1["error_codes"], json!([700016]));

    let mut ungranted = base_form(code().await);
    ungranted.push((
        "scope",
        "openid https://graph.microsoft.com/Mail.Send".into(),
    ));
    let (_, body) = post(ungranted).await;
    assert_eq!(
        (body["error_codes"].clone(), body["suberror"].clone()),
        (json!([65001]), json!("consent_required"))
    );

    let expired = base_form(code().await);
    env.emulator.clock().advance(601);
    assert_eq!(post(expired).await.1["error_codes"], json!([70008]));

    let mut unknown_grant = base_form(String::new());
    unknown_grant[1].1 = "password".into();
    assert_eq!(
        post(unknown_grant).await.1["error"],
        json!("unsupported_grant_type")
    );
}

async fn device_start(base: &str, tid: &str) -> Value {
    reqwest::Client::new()
        .post(format!("{base}/{tid}/oauth2/v2.0/devicecode"))
        .form(&[
            ("client_id", demo::CLIENT_ID),
            (
                "scope",
                "openid offline_access https://graph.microsoft.com/User.Read.All",
            ),
        ])
        .send()
        .await
        .expect("devicecode")
        .json()
        .await
        .expect("json")
}

async fn device_poll(base: &str, tid: &str, device_code: &str) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(format!("{base}/{tid}/oauth2/v2.0/token"))
        .form(&[
            ("client_id", demo::CLIENT_ID),
            ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
            ("device_code", device_code),
        ])
        .send()
        .await
        .expect("poll");
    (
        response.status().as_u16(),
        response.json().await.unwrap_or(Value::Null),
    )
}

/// Enters the user code on the verification page and walks the sign-in (or cancels it).
/// Enters the user code (in lower case: codes are case-insensitive) and signs in or cancels.
async fn device_browser(
    verification_uri: &str,
    user_code: &str,
    approve: bool,
    now: i64,
) -> String {
    Browser::new()
        .expect("browser")
        .device_login(
            verification_uri,
            &user_code.to_lowercase(),
            &Person::demo_admin(now),
            approve,
        )
        .await
        .expect("device login")
}

/// "Allow public client flows" off: Entra still starts a device code and lets the admin sign
/// in; the token poll then fails with AADSTS7000218.
#[tokio::test]
async fn device_code_with_public_client_flows_off_fails_at_the_poll() {
    let mut tenant = aadsync_emulator::generate(aadsync_emulator::GeneratorConfig {
        users: 5,
        groups: 0,
        seed: 3,
    });
    for app in &mut tenant.applications {
        app.public_client_flows = false;
    }
    let emulator = aadsync_emulator::Emulator::start(aadsync_emulator::EmulatorConfig::new(tenant))
        .await
        .expect("start");
    let (base, tid) = (emulator.base_url().to_owned(), emulator.tenant_id());
    let started = device_start(&base, &tid).await;
    let device_code = started["device_code"]
        .as_str()
        .expect("devicecode answers: {started}");
    assert_eq!(
        device_poll(&base, &tid, device_code).await.1["error"],
        json!("authorization_pending")
    );
    let done = device_browser(
        started["verification_uri"].as_str().expect("uri"),
        started["user_code"].as_str().expect("code"),
        true,
        emulator.clock().now(),
    )
    .await;
    assert!(done.contains("You're signed in"), "{done}");
    let (status, refused) = device_poll(&base, &tid, device_code).await;
    assert_eq!(
        (
            status,
            refused["error"].clone(),
            refused["error_codes"].clone()
        ),
        (401, json!("invalid_client"), json!([7000218])),
        "{refused}"
    );
}

#[tokio::test]
async fn device_code_flow_pending_approved_declined_expired() {
    let env = start(60, 6).await;
    let base = env.emulator.base_url().to_owned();
    let tid = env.emulator.tenant_id();

    let started = device_start(&base, &tid).await;
    for field in [
        "device_code",
        "user_code",
        "verification_uri",
        "expires_in",
        "interval",
        "message",
    ] {
        assert!(started.get(field).is_some(), "no {field}: {started}");
    }
    assert_eq!(
        (started["expires_in"].clone(), started["interval"].clone()),
        (json!(900), json!(5))
    );
    let device_code = started["device_code"].as_str().expect("device_code");
    let (status, pending) = device_poll(&base, &tid, device_code).await;
    assert_eq!(
        (status, pending["error"].clone()),
        (400, json!("authorization_pending"))
    );

    let done = device_browser(
        started["verification_uri"].as_str().expect("uri"),
        started["user_code"].as_str().expect("code"),
        true,
        env.emulator.clock().now(),
    )
    .await;
    assert!(done.contains("You're signed in"), "{done}");
    let (status, tokens) = device_poll(&base, &tid, device_code).await;
    assert_eq!(status, 200, "{tokens}");
    assert!(tokens["access_token"].is_string() && tokens["refresh_token"].is_string());
    assert_eq!(
        device_poll(&base, &tid, device_code).await.1["error"],
        json!("invalid_grant"),
        "redeemed once"
    );

    let declined = device_start(&base, &tid).await;
    let page = device_browser(
        declined["verification_uri"].as_str().expect("uri"),
        declined["user_code"].as_str().expect("code"),
        false,
        env.emulator.clock().now(),
    )
    .await;
    assert!(page.contains("Sign-in canceled"), "{page}");
    assert_eq!(
        device_poll(&base, &tid, declined["device_code"].as_str().expect("dc"))
            .await
            .1["error"],
        json!("authorization_declined")
    );

    let expiring = device_start(&base, &tid).await;
    env.emulator.clock().advance(901);
    assert_eq!(
        device_poll(&base, &tid, expiring["device_code"].as_str().expect("dc"))
            .await
            .1["error"],
        json!("expired_token")
    );
    assert_eq!(
        device_poll(&base, &tid, "no-such-device-code").await.1["error"],
        json!("bad_verification_code")
    );
}

#[tokio::test]
async fn tls_with_a_generated_ca() {
    let tenant = aadsync_emulator::generate(aadsync_emulator::GeneratorConfig {
        users: 20,
        groups: 3,
        seed: 5,
    });
    let mut config = aadsync_emulator::EmulatorConfig::new(tenant);
    config.tls = true;
    let emulator = aadsync_emulator::Emulator::start(config)
        .await
        .expect("start");
    let base = emulator.base_url().to_owned();
    assert!(base.starts_with("https://127.0.0.1:"), "{base}");
    let ca =
        reqwest::Certificate::from_pem(emulator.ca_pem().expect("ca").as_bytes()).expect("pem");
    let trusting = reqwest::Client::builder()
        .add_root_certificate(ca)
        .build()
        .expect("client");
    let url = format!(
        "{}/v2.0/.well-known/openid-configuration",
        emulator.authority()
    );
    let doc: Value = trusting
        .get(&url)
        .send()
        .await
        .expect("https")
        .json()
        .await
        .expect("json");
    assert_eq!(
        doc["issuer"],
        json!(format!("{}/v2.0", emulator.authority()))
    );
    assert!(
        doc["token_endpoint"]
            .as_str()
            .expect("token")
            .starts_with("https://")
    );
    // A client that does not trust the CA refuses the connection.
    assert!(reqwest::Client::new().get(&url).send().await.is_err());
}
