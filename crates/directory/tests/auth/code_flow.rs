//! The authorization code flow end to end against the emulator: PKCE, the loopback, the code
//! exchange through `oauth2`, and ID token validation (including tampered tokens).

use crate::loopback::browser_for;
use aadsync_directory::auth::id_token::{self, Expectations, IdTokenError, Jwks};
use aadsync_directory::auth::{CodeFlow, CodeFlowError, LoopbackListener, Tokens};
use aadsync_directory::{ClientId, Cloud, Target, TenantRef};
use aadsync_emulator::{Emulator, demo};
use std::time::Duration;

/// The emulator's tenant through the app registration `client`.
fn target(emulator: &Emulator, client: &str) -> Target {
    Target::new(
        TenantRef::parse(&emulator.tenant_id()).expect("tenant"),
        ClientId::parse(client).expect("client"),
        &Cloud::custom(emulator.base_url(), emulator.base_url()).expect("cloud"),
    )
    .expect("target")
}

#[tokio::test]
async fn sign_in_redeem_and_validate_the_id_token() {
    let emulator = Emulator::start_demo().await.expect("emulator");
    let target = target(&emulator, demo::CLIENT_ID);
    let endpoints = &target.endpoints;

    let listener = LoopbackListener::bind().await.expect("bind");
    let flow = CodeFlow::start(
        &target,
        &listener.redirect_uri(),
        &["User.Read.All", "GroupMember.Read.All"],
        None,
    )
    .expect("flow");
    let url = flow.authorize_url.to_string();
    assert!(
        url.contains("code_challenge_method=S256")
            && url.contains("response_mode=form_post")
            && url.contains("nonce="),
        "{url}"
    );
    let (state, nonce) = (flow.state.clone(), flow.nonce.clone());
    let waiting =
        tokio::spawn(listener.wait(&state, Duration::from_secs(30), std::future::pending()));
    browser_for(&emulator, &url).await;
    let response = waiting.await.expect("join").expect("code");
    let code = response.code.expose().to_owned();
    assert!(
        !format!("{response:?}").contains(&code),
        "the authorization code is redacted in Debug"
    );
    let tokens = flow.redeem(response).await.expect("tokens");
    assert!(tokens.refresh_token.is_some() && tokens.access_token.len() > 100);
    assert_tokens_redacted(&tokens);

    let jwks: Jwks = reqwest::get(format!("{}/discovery/v2.0/keys", endpoints.authority))
        .await
        .expect("jwks")
        .json()
        .await
        .expect("json");
    let id = tokens.id_token.as_ref().expect("id token").expose();
    let now = emulator.clock().now();
    let tid = emulator.tenant_id();
    let issuer = format!("{}/{tid}/v2.0", emulator.base_url());
    let expect = Expectations {
        issuer: &issuer,
        client_id: demo::CLIENT_ID,
        nonce: &nonce,
        tenant_id: Some(&tid),
        now,
    };
    let claims = id_token::validate(id, &jwks, &expect).expect("valid");
    assert_eq!(claims.preferred_username, "admin@contoso.com");
    assert!(
        claims
            .wids
            .iter()
            .any(|w| w == "62e90394-69f5-4237-9190-012177145e10"),
        "Global Administrator in wids"
    );

    // Tampered or foreign tokens are refused, each for its own reason.
    // Change one character in the middle of the signature: still valid base64url (the last
    // character might carry padding bits), certainly not a valid signature.
    let mut chars: Vec<char> = id.chars().collect();
    let at = chars.len() - 20;
    chars[at] = if chars[at] == 'A' { 'B' } else { 'A' };
    let flipped: String = chars.into_iter().collect();
    let cases: Vec<(&str, String, Expectations<'_>, IdTokenError)> = vec![
        (
            "bad signature",
            flipped,
            expect.clone(),
            IdTokenError::BadSignature,
        ),
        (
            "wrong audience",
            id.to_owned(),
            Expectations {
                client_id: "11111111-2222-4333-8444-555555555555",
                ..expect.clone()
            },
            IdTokenError::WrongAudience(demo::CLIENT_ID.into()),
        ),
        (
            "wrong nonce",
            id.to_owned(),
            Expectations {
                nonce: "another-sign-in",
                ..expect.clone()
            },
            IdTokenError::NonceMismatch,
        ),
        (
            "expired",
            id.to_owned(),
            Expectations {
                now: now + 3 * 3600,
                ..expect.clone()
            },
            IdTokenError::Expired,
        ),
        (
            "other issuer",
            id.to_owned(),
            Expectations {
                issuer: "https://login.microsoftonline.com/{tenantid}/v2.0",
                ..expect.clone()
            },
            IdTokenError::WrongIssuer {
                expected: format!("https://login.microsoftonline.com/{tid}/v2.0"),
                found: format!("{}/{tid}/v2.0", emulator.base_url()),
            },
        ),
        (
            "other tenant",
            id.to_owned(),
            Expectations {
                tenant_id: Some("00000000-0000-4000-8000-000000000000"),
                ..expect.clone()
            },
            IdTokenError::WrongTenant {
                expected: "00000000-0000-4000-8000-000000000000".into(),
                found: tid.clone(),
            },
        ),
    ];
    for (name, token, expectations, error) in cases {
        assert_eq!(
            id_token::validate(&token, &jwks, &expectations),
            Err(error),
            "{name}"
        );
    }
}

#[tokio::test]
async fn a_wrong_client_id_fails_with_the_aadsts_code() {
    let emulator = Emulator::start_demo().await.expect("emulator");
    let wrong = target(&emulator, "11111111-2222-4333-8444-555555555555");
    let listener = LoopbackListener::bind().await.expect("bind");
    let flow =
        CodeFlow::start(&wrong, &listener.redirect_uri(), &["User.Read.All"], None).expect("flow");
    // The browser lands on Entra's error page; nothing reaches the loopback.
    let page = reqwest::get(flow.authorize_url.clone())
        .await
        .expect("get")
        .text()
        .await
        .expect("page");
    assert!(page.contains("AADSTS700016"), "{page}");
    // Redeeming a made-up code with the wrong client ID reports the AADSTS code.
    let response = aadsync_directory::auth::AuthorizationResponse {
        code: aadsync_keystore::SecretString::new("x"),
        client_info: None,
        session_state: None,
    };
    match flow.redeem(response).await {
        Err(CodeFlowError::Entra(err)) => assert_eq!(err.error_codes, vec![700016], "{err}"),
        other => panic!("expected an Entra error, got {other:?}"),
    }
}

/// `Debug` of the tokens a sign-in produced shows none of them: not the access token, the
/// refresh token or the ID token (issue 14, item 8).
pub(crate) fn assert_tokens_redacted(tokens: &Tokens) {
    let printed = format!("{tokens:?} {tokens:#?}");
    let secrets = [
        Some(&tokens.access_token),
        tokens.refresh_token.as_ref(),
        tokens.id_token.as_ref(),
    ];
    for secret in secrets {
        let secret = secret.expect("the sign-in returned every token").expose();
        assert!(secret.len() > 20, "a real token: {}", secret.len());
        assert!(!printed.contains(secret), "a token in Debug: {printed}");
        // Not even a recognisable part of one (a JWT's header and payload are base64url).
        let head = &secret[..20];
        assert!(
            !printed.contains(head),
            "part of a token in Debug: {printed}"
        );
    }
    assert!(printed.contains("<redacted>"), "{printed}");
}
