//! ID token validation: RS256 signature against the tenant's JWKS, issuer, audience, lifetime
//! (with a small clock skew) and nonce.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::signature::Verifier;
use rsa::{BigUint, RsaPublicKey};
use serde::Deserialize;
use serde_json::Value;
use sha2::Sha256;

/// Clock difference tolerated between this computer and the identity provider.
pub const SKEW_SECONDS: i64 = 300;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdTokenError {
    #[error("the ID token is malformed")]
    Malformed,
    #[error("the ID token is signed with a key the tenant does not publish ({0})")]
    UnknownKey(String),
    #[error("the ID token's signature is invalid")]
    BadSignature,
    #[error("the ID token was issued by {found}, not by {expected}")]
    WrongIssuer { expected: String, found: String },
    #[error("the ID token is for another application ({0})")]
    WrongAudience(String),
    #[error("the ID token has expired; check this computer's clock")]
    Expired,
    #[error("the ID token is not valid yet; check this computer's clock")]
    NotYetValid,
    #[error("the ID token does not answer this sign-in (nonce mismatch)")]
    NonceMismatch,
    #[error("the signed-in account belongs to tenant {found}, not {expected}")]
    WrongTenant { expected: String, found: String },
}

/// What the app uses from a validated ID token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdTokenClaims {
    pub tenant_id: String,
    pub object_id: String,
    pub preferred_username: String,
    pub name: String,
    /// Directory role template IDs, when the app registration puts them in tokens.
    pub wids: Vec<String>,
}

/// A JSON Web Key Set as Entra publishes it.
#[derive(Debug, Clone, Deserialize)]
pub struct Jwks {
    pub keys: Vec<Jwk>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Jwk {
    pub kid: Option<String>,
    pub kty: String,
    pub n: Option<String>,
    pub e: Option<String>,
}

/// What the token must say.
#[derive(Debug, Clone)]
pub struct Expectations<'a> {
    /// The `issuer` of the tenant's OpenID configuration, e.g.
    /// `https://login.microsoftonline.com/<tenant GUID>/v2.0`; a `{tenantid}` in it (the
    /// multi-tenant documents) stands for the token's `tid`, which `tenant_id` then pins. Taken
    /// from discovery, never built from the authority host: national clouds and custom
    /// authorities publish their own.
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub nonce: &'a str,
    /// The tenant GUID when the admin configured one (a domain is checked after sign-in).
    pub tenant_id: Option<&'a str>,
    /// Seconds since the Unix epoch.
    pub now: i64,
}

/// Checks `token` against the tenant's keys and what this sign-in expects; the claims the app
/// uses, or the first rule it breaks.
pub fn validate(
    token: &str,
    jwks: &Jwks,
    expect: &Expectations<'_>,
) -> Result<IdTokenClaims, IdTokenError> {
    let claims = verified_claims(token, jwks)?;
    let text = |k: &str| claims[k].as_str().unwrap_or_default().to_owned();
    let tid = text("tid");
    check_issuance(&claims, &tid, expect)?;
    check_lifetime(&claims, expect.now)?;
    if text("nonce") != expect.nonce {
        return Err(IdTokenError::NonceMismatch);
    }
    Ok(IdTokenClaims {
        tenant_id: tid,
        object_id: text("oid"),
        preferred_username: text("preferred_username"),
        name: text("name"),
        wids: claims["wids"]
            .as_array()
            .map(|w| {
                w.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default(),
    })
}

/// The `wids` of an ID token received straight from the token endpoint over TLS when a session
/// renews (OpenID Connect Core 3.1.3.7 lets TLS stand in for the signature there); only the
/// administrator re-check of a saved sign-in reads it.
pub(crate) fn wids_from_token_endpoint(token: &str) -> Vec<String> {
    let claims = token
        .split('.')
        .nth(1)
        .and_then(|c| decode(c).ok())
        .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok());
    claims
        .and_then(|c| c["wids"].as_array().cloned())
        .into_iter()
        .flatten()
        .filter_map(|w| w.as_str().map(str::to_owned))
        .collect()
}

fn decode(part: &str) -> Result<Vec<u8>, IdTokenError> {
    URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| IdTokenError::Malformed)
}

/// The token's claims, once its RS256 signature checks out with the key its `kid` names.
fn verified_claims(token: &str, jwks: &Jwks) -> Result<Value, IdTokenError> {
    let mut parts = token.split('.');
    let (Some(h), Some(c), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(IdTokenError::Malformed);
    };
    let header: Value = serde_json::from_slice(&decode(h)?).map_err(|_| IdTokenError::Malformed)?;
    if header["alg"] != "RS256" {
        return Err(IdTokenError::BadSignature);
    }
    let kid = header["kid"].as_str().unwrap_or_default();
    let public = public_key(jwks, kid)?;
    let signature =
        Signature::try_from(decode(s)?.as_slice()).map_err(|_| IdTokenError::Malformed)?;
    VerifyingKey::<Sha256>::new(public)
        .verify(format!("{h}.{c}").as_bytes(), &signature)
        .map_err(|_| IdTokenError::BadSignature)?;
    serde_json::from_slice(&decode(c)?).map_err(|_| IdTokenError::Malformed)
}

/// The published RSA key named `kid`.
fn public_key(jwks: &Jwks, kid: &str) -> Result<RsaPublicKey, IdTokenError> {
    let key = jwks
        .keys
        .iter()
        .find(|k| k.kty == "RSA" && k.kid.as_deref() == Some(kid))
        .ok_or_else(|| IdTokenError::UnknownKey(kid.to_owned()))?;
    let (Some(n), Some(e)) = (&key.n, &key.e) else {
        return Err(IdTokenError::UnknownKey(kid.to_owned()));
    };
    RsaPublicKey::new(
        BigUint::from_bytes_be(&decode(n)?),
        BigUint::from_bytes_be(&decode(e)?),
    )
    .map_err(|_| IdTokenError::UnknownKey(kid.to_owned()))
}

/// Issued by the expected authority for this tenant, to this application.
fn check_issuance(
    claims: &Value,
    tid: &str,
    expect: &Expectations<'_>,
) -> Result<(), IdTokenError> {
    let text = |k: &str| claims[k].as_str().unwrap_or_default().to_owned();
    let expected_issuer = expect.issuer.replace("{tenantid}", tid);
    if text("iss") != expected_issuer {
        return Err(IdTokenError::WrongIssuer {
            expected: expected_issuer,
            found: text("iss"),
        });
    }
    if text("aud") != expect.client_id {
        return Err(IdTokenError::WrongAudience(text("aud")));
    }
    if let Some(expected) = expect.tenant_id
        && !expected.eq_ignore_ascii_case(tid)
    {
        return Err(IdTokenError::WrongTenant {
            expected: expected.to_owned(),
            found: tid.to_owned(),
        });
    }
    Ok(())
}

/// Within `exp` and `nbf` at `now`, give or take [`SKEW_SECONDS`].
fn check_lifetime(claims: &Value, now: i64) -> Result<(), IdTokenError> {
    let exp = claims["exp"].as_i64().ok_or(IdTokenError::Malformed)?;
    // Saturating: a signed `exp` of i64::MAX (or `nbf` of i64::MIN) is far off, not a panic.
    if exp.saturating_add(SKEW_SECONDS) < now {
        return Err(IdTokenError::Expired);
    }
    if claims["nbf"]
        .as_i64()
        .is_some_and(|nbf| nbf.saturating_sub(SKEW_SECONDS) > now)
    {
        return Err(IdTokenError::NotYetValid);
    }
    Ok(())
}
