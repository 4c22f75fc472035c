//! ID-token validation without a network: tokens signed with the emulator's published test key,
//! checked against key sets and clocks chosen to sit exactly on each rule's boundary.

use aadsync_directory::auth::id_token::{self, Expectations, IdTokenError, Jwks, SKEW_SECONDS};
use aadsync_emulator::keys::SigningKeys;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

const ORIGIN: &str = "https://login.example.test";
const TENANT: &str = "3f1c2e2a-5d0b-4a4f-9f3e-2b8c6a7d9e10";
/// The multi-tenant discovery document's issuer: `{tenantid}` stands for the token's `tid`.
const ISSUER: &str = "https://login.example.test/{tenantid}/v2.0";
const CLIENT: &str = "2f5e7c1a-9b3d-4e8f-a6c2-1d4b8e9f0a37";
const NONCE: &str = "n-0123456789";
/// When the token was issued, and its lifetime.
const IAT: i64 = 1_800_000_000;
const LIFETIME: i64 = 3_600;

fn token(keys: &SigningKeys) -> String {
    keys.sign(&json!({
        "iss": format!("{ORIGIN}/{TENANT}/v2.0"),
        "aud": CLIENT,
        "tid": TENANT,
        "oid": "7f0e0f8e-0000-4000-8000-000000000001",
        "preferred_username": "admin@contoso.com",
        "name": "Admin",
        "nonce": NONCE,
        "iat": IAT,
        "nbf": IAT,
        "exp": IAT + LIFETIME,
    }))
}

fn expect(now: i64) -> Expectations<'static> {
    Expectations {
        issuer: ISSUER,
        client_id: CLIENT,
        nonce: NONCE,
        tenant_id: Some(TENANT),
        now,
    }
}

/// The published key set, with another RSA key (other kid, other modulus) listed first, as
/// Entra ID publishes several keys during a rollover.
fn rollover_jwks(keys: &SigningKeys) -> Jwks {
    let mut published = keys.jwks(&format!("{ORIGIN}/{TENANT}/v2.0"));
    let mut other: Value = published["keys"][0].clone();
    let mut modulus = URL_SAFE_NO_PAD
        .decode(other["n"].as_str().expect("n"))
        .expect("base64url");
    // Another (odd, same-size) modulus: a valid-looking key that did not sign the token.
    modulus[10] ^= 0x5a;
    modulus[100] ^= 0xa5;
    other["n"] = Value::String(URL_SAFE_NO_PAD.encode(&modulus));
    other["kid"] = Value::String("rolled-over-key".into());
    published["keys"]
        .as_array_mut()
        .expect("keys")
        .insert(0, other);
    serde_json::from_value(published).expect("jwks")
}

#[test]
fn the_token_is_checked_with_the_key_its_kid_names_among_several() {
    let keys = SigningKeys::well_known().expect("keys");
    let jwks = rollover_jwks(&keys);
    assert_eq!(jwks.keys.len(), 2);
    let claims = id_token::validate(&token(&keys), &jwks, &expect(IAT + 60)).expect("valid");
    assert_eq!(claims.preferred_username, "admin@contoso.com");

    // A kid no published key has: refused before any signature check, naming the kid.
    let signed = token(&keys);
    let mut parts = signed.splitn(2, '.');
    let (_, rest) = (parts.next(), parts.next().expect("claims and signature"));
    let header = json!({"typ": "JWT", "alg": "RS256", "kid": "not-published"});
    let foreign = format!("{}.{rest}", URL_SAFE_NO_PAD.encode(header.to_string()));
    assert_eq!(
        id_token::validate(&foreign, &jwks, &expect(IAT + 60)),
        Err(IdTokenError::UnknownKey("not-published".into()))
    );
}

/// Five minutes of clock skew either side (`SKEW_SECONDS`), and not a second more.
#[test]
fn expiry_and_not_before_allow_exactly_the_clock_skew() {
    assert_eq!(
        SKEW_SECONDS, 300,
        "Microsoft's libraries allow five minutes"
    );
    let keys = SigningKeys::well_known().expect("keys");
    let jwks = rollover_jwks(&keys);
    let token = token(&keys);
    let exp = IAT + LIFETIME;
    let cases = [
        (
            IAT - 301,
            Err(IdTokenError::NotYetValid),
            "301 s before nbf",
        ),
        (IAT - 300, Ok(()), "300 s before nbf: within the skew"),
        (IAT, Ok(()), "issued now"),
        (exp - 1, Ok(()), "a second before expiry"),
        (exp + 1, Ok(()), "a second after expiry: within the skew"),
        (
            exp + 300,
            Ok(()),
            "300 s after expiry: the skew's last second",
        ),
        (exp + 301, Err(IdTokenError::Expired), "301 s after expiry"),
    ];
    for (now, expected, why) in cases {
        assert_eq!(
            id_token::validate(&token, &jwks, &expect(now)).map(|_| ()),
            expected,
            "{why}"
        );
    }
}

/// `iss` is compared with the discovery document's `issuer` (its `{tenantid}` standing for the
/// token's tenant), whatever host the authority has: a national cloud or a custom authority
/// publishes its own.
#[test]
fn the_issuer_is_the_discovery_documents() {
    let keys = SigningKeys::well_known().expect("keys");
    let jwks = rollover_jwks(&keys);
    let token = token(&keys);
    let tenant_specific = format!("{ORIGIN}/{TENANT}/v2.0");
    let cases = [
        (
            ISSUER,
            Ok(()),
            "multi-tenant document: {tenantid} substituted",
        ),
        (tenant_specific.as_str(), Ok(()), "tenant-specific document"),
        (
            "https://login.example.test/11111111-2222-4333-8444-555555555555/v2.0",
            Err("https://login.example.test/11111111-2222-4333-8444-555555555555/v2.0".to_owned()),
            "another tenant's document",
        ),
        (
            "https://sts.example.test/{tenantid}/",
            Err(format!("https://sts.example.test/{TENANT}/")),
            "the document names another issuer than the authority host",
        ),
    ];
    for (issuer, expected, why) in cases {
        let got = id_token::validate(
            &token,
            &jwks,
            &Expectations {
                issuer,
                ..expect(IAT)
            },
        )
        .map(|_| ())
        .map_err(|e| match e {
            IdTokenError::WrongIssuer { expected, .. } => expected,
            other => other.to_string(),
        });
        assert_eq!(got, expected, "{why}");
    }
}

/// Found by the property tests: a signed `exp` of i64::MAX or `nbf` of i64::MIN overflowed
/// (a panic in debug builds); they are far in the future and the past.
#[test]
fn lifetimes_at_the_ends_of_the_integers_do_not_overflow() {
    let keys = SigningKeys::well_known().expect("keys");
    let jwks = rollover_jwks(&keys);
    let signed = |exp: i64, nbf: i64| {
        keys.sign(&json!({
            "iss": format!("{ORIGIN}/{TENANT}/v2.0"), "aud": CLIENT, "tid": TENANT,
            "nonce": NONCE, "exp": exp, "nbf": nbf,
        }))
    };
    let now = IAT + 60;
    let cases = [
        (i64::MAX, i64::MIN, Ok(())),
        (i64::MIN, IAT, Err(IdTokenError::Expired)),
        (IAT + LIFETIME, i64::MAX, Err(IdTokenError::NotYetValid)),
    ];
    for (exp, nbf, expected) in cases {
        let got = id_token::validate(&signed(exp, nbf), &jwks, &expect(now)).map(|_| ());
        assert_eq!(got, expected, "exp {exp}, nbf {nbf}");
    }
}
