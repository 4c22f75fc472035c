//! ID tokens: signed tokens with arbitrary claims are accepted exactly when every rule holds
//! (issuer, audience, tenant, lifetime with its skew, nonce), with exactly their claims; any
//! cut or changed byte, and anything unsigned, is refused.

use super::{config, text};
use aadsync_directory::auth::id_token::{self, Expectations, IdTokenClaims, Jwks};
use aadsync_emulator::keys::SigningKeys;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use proptest::prelude::*;
use serde_json::{Map, Value, json};
use std::sync::OnceLock;

const ORIGIN: &str = "https://login.example.test";
const TENANT: &str = "3f1c2e2a-5d0b-4a4f-9f3e-2b8c6a7d9e10";
const CLIENT: &str = "2f5e7c1a-9b3d-4e8f-a6c2-1d4b8e9f0a37";
const NONCE: &str = "n-0123456789";
const NOW: i64 = 1_800_000_000;

fn keys() -> &'static (SigningKeys, Jwks) {
    static KEYS: OnceLock<(SigningKeys, Jwks)> = OnceLock::new();
    KEYS.get_or_init(|| {
        let keys = SigningKeys::well_known().expect("keys");
        let jwks =
            serde_json::from_value(keys.jwks(&format!("{ORIGIN}/{TENANT}/v2.0"))).expect("jwks");
        (keys, jwks)
    })
}

fn expect() -> Expectations<'static> {
    Expectations {
        issuer: "https://login.example.test/{tenantid}/v2.0",
        client_id: CLIENT,
        nonce: NONCE,
        tenant_id: Some(TENANT),
        now: NOW,
    }
}

/// A claim: the right value (mostly), other text, or anything else JSON has, or absent.
fn claim(right: Value) -> impl Strategy<Value = Option<Value>> {
    prop_oneof![
        8 => Just(Some(right)),
        1 => text().prop_map(|t| Some(Value::String(t))),
        1 => any_json().prop_map(Some),
        1 => Just(None),
    ]
}

fn any_json() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        prop::collection::vec(text(), 0..3).prop_map(|v| json!(v)),
    ]
}

/// A time claim: near now (either side of the skew), at the ends of i64, or not a time.
fn time(around: i64) -> impl Strategy<Value = Option<Value>> {
    prop_oneof![
        6 => (-700i64..700).prop_map(move |d| Some(json!(around + d))),
        1 => prop::sample::select(vec![i64::MAX, i64::MIN, i64::MAX - 299, i64::MIN + 299])
            .prop_map(|n| Some(json!(n))),
        1 => any::<i64>().prop_map(|n| Some(json!(n))),
        1 => any_json().prop_map(Some),
        1 => Just(None),
    ]
}

fn claims() -> impl Strategy<Value = Map<String, Value>> {
    let tid = prop_oneof![
        6 => Just(TENANT.to_owned()),
        1 => Just(TENANT.to_uppercase()),
        1 => text(),
    ];
    (
        tid,
        prop::bool::weighted(0.9),
        (claim(json!(CLIENT)), claim(json!(NONCE))),
        (time(NOW + 3000), time(NOW - 3000)),
        (
            claim(json!("7f0e0f8e-0000-4000-8000-000000000001")),
            claim(json!("admin@contoso.com")),
            claim(json!("Admin")),
        ),
        claim(json!([
            "62e90394-69f5-4237-9190-012177145e10",
            7,
            null,
            "x"
        ])),
        prop::collection::vec(("x[a-z]{1,5}", any_json()), 0..3),
    )
        .prop_map(
            |(tid, issuer_of_tid, (aud, nonce), (exp, nbf), (oid, upn, name), wids, extras)| {
                let mut c = Map::new();
                let iss = if issuer_of_tid {
                    json!(format!("{ORIGIN}/{tid}/v2.0"))
                } else {
                    json!(format!("{ORIGIN}/{TENANT}/v2.0/x"))
                };
                c.insert("iss".into(), iss);
                c.insert("tid".into(), json!(tid));
                let optional = [
                    ("aud", aud),
                    ("nonce", nonce),
                    ("exp", exp),
                    ("nbf", nbf),
                    ("oid", oid),
                    ("preferred_username", upn),
                    ("name", name),
                    ("wids", wids),
                ];
                for (key, value) in optional {
                    if let Some(value) = value {
                        c.insert(key.into(), value);
                    }
                }
                for (key, value) in extras {
                    c.insert(key, value);
                }
                c
            },
        )
}

/// What the rules say about `claims`, written out independently of the code under test.
fn oracle(c: &Map<String, Value>) -> Option<IdTokenClaims> {
    let text = |k: &str| c.get(k).and_then(Value::as_str);
    let tid = text("tid").unwrap_or_default();
    let exp = c.get("exp").and_then(Value::as_i64)?;
    let nbf = c.get("nbf").and_then(Value::as_i64);
    let ok = text("iss") == Some(format!("{ORIGIN}/{tid}/v2.0").as_str())
        && text("aud") == Some(CLIENT)
        && tid.eq_ignore_ascii_case(TENANT)
        && i128::from(exp) + 300 >= i128::from(NOW)
        && nbf.is_none_or(|nbf| i128::from(nbf) - 300 <= i128::from(NOW))
        && text("nonce") == Some(NONCE);
    ok.then(|| IdTokenClaims {
        tenant_id: tid.to_owned(),
        object_id: text("oid").unwrap_or_default().to_owned(),
        preferred_username: text("preferred_username").unwrap_or_default().to_owned(),
        name: text("name").unwrap_or_default().to_owned(),
        wids: c
            .get("wids")
            .and_then(Value::as_array)
            .map(|w| {
                w.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default(),
    })
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn a_signed_token_is_accepted_exactly_when_every_rule_holds(claims in claims()) {
        let (keys, jwks) = keys();
        let token = keys.sign(&Value::Object(claims.clone()));
        let got = id_token::validate(&token, jwks, &expect());
        prop_assert_eq!(got.ok(), oracle(&claims));
    }

    #[test]
    fn a_cut_or_changed_token_is_refused(
        claims in claims(), at in any::<usize>(), by in any::<u8>(),
    ) {
        let (keys, jwks) = keys();
        let token = keys.sign(&Value::Object(claims));
        let cut = &token[..at % token.len()];
        prop_assert!(id_token::validate(cut, jwks, &expect()).is_err(), "cut at {}", at % token.len());
        let mut bytes = token.into_bytes();
        let i = at % bytes.len();
        bytes[i] = if bytes[i] == by { by.wrapping_add(1) } else { by };
        let changed = String::from_utf8_lossy(&bytes);
        prop_assert!(id_token::validate(&changed, jwks, &expect()).is_err(), "byte {} changed", i);
    }

    #[test]
    fn anything_unsigned_is_refused(
        junk in any::<String>(),
        header in any_json(),
        claims in claims(),
        signature in prop::collection::vec(any::<u8>(), 0..300),
    ) {
        let (_, jwks) = keys();
        prop_assert!(id_token::validate(&junk, jwks, &expect()).is_err());
        let part = |v: &Value| URL_SAFE_NO_PAD.encode(v.to_string());
        let header = match header {
            Value::Null => json!({"alg": "RS256", "kid": keys().0.kid()}),
            other => other,
        };
        let forged = format!(
            "{}.{}.{}",
            part(&header),
            part(&Value::Object(claims)),
            URL_SAFE_NO_PAD.encode(signature)
        );
        prop_assert!(id_token::validate(&forged, jwks, &expect()).is_err(), "{}", forged);
    }
}
