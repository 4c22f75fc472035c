//! Token signing: the well-known RS256 key pair, JWKS as Entra publishes it, sign and verify.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use rsa::pkcs1v15::{Signature, SigningKey, VerifyingKey};
use rsa::pkcs8::DecodePrivateKey;
use rsa::signature::{SignatureEncoding, Signer, Verifier};
use rsa::traits::PublicKeyParts;
use rsa::{RsaPrivateKey, RsaPublicKey};
use serde_json::{Value, json};
use sha2::Sha256;

const KEY_PEM: &str = include_str!("../keys/signing-key.pem");
const CERT_PEM: &str = include_str!("../keys/signing-cert.pem");

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TokenError {
    #[error("the token is not a well-formed JWT")]
    Malformed,
    #[error("the token is not signed with this emulator's key")]
    BadSignature,
}

#[derive(Clone)]
pub struct SigningKeys {
    signer: SigningKey<Sha256>,
    verifier: VerifyingKey<Sha256>,
    public: RsaPublicKey,
    cert_der: Vec<u8>,
    kid: String,
}

impl std::fmt::Debug for SigningKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKeys")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl SigningKeys {
    /// The published test key pair (see `keys/README.md`).
    pub fn well_known() -> Result<Self, String> {
        let private = RsaPrivateKey::from_pkcs8_pem(KEY_PEM).map_err(|e| e.to_string())?;
        let public = private.to_public_key();
        let body: String = CERT_PEM
            .lines()
            .filter(|l| !l.starts_with("-----"))
            .collect();
        let cert_der = STANDARD.decode(body).map_err(|e| e.to_string())?;
        // Entra's kid is the certificate's SHA-1 thumbprint, like x5t.
        let kid = URL_SAFE_NO_PAD.encode(<sha1::Sha1 as sha1::Digest>::digest(&cert_der));
        Ok(Self {
            signer: SigningKey::<Sha256>::new(private),
            verifier: VerifyingKey::<Sha256>::new(public.clone()),
            public,
            cert_der,
            kid,
        })
    }

    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The JWKS document: RS256 keys with kid, x5t, n, e, x5c and no `alg`, as Entra does.
    pub fn jwks(&self, issuer: &str) -> Value {
        json!({
            "keys": [{
                "kty": "RSA",
                "use": "sig",
                "kid": self.kid,
                "x5t": self.kid,
                "n": URL_SAFE_NO_PAD.encode(self.public.n().to_bytes_be()),
                "e": URL_SAFE_NO_PAD.encode(self.public.e().to_bytes_be()),
                "x5c": [STANDARD.encode(&self.cert_der)],
                "cloud_instance_name": "microsoftonline.com",
                "issuer": issuer,
            }]
        })
    }

    /// Signs claims as a compact JWS (`typ` JWT, `alg` RS256, `kid` and `x5t`).
    pub fn sign(&self, claims: &Value) -> String {
        let header = json!({"typ": "JWT", "alg": "RS256", "x5t": self.kid, "kid": self.kid});
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let signature = self.signer.sign(input.as_bytes());
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature.to_bytes()))
    }

    /// Verifies the signature and returns the claims (expiry etc. are the caller's to check).
    pub fn verify(&self, token: &str) -> Result<Value, TokenError> {
        let mut parts = token.split('.');
        let (Some(header), Some(claims), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(TokenError::Malformed);
        };
        let decode = |s: &str| URL_SAFE_NO_PAD.decode(s).map_err(|_| TokenError::Malformed);
        let header: Value =
            serde_json::from_slice(&decode(header)?).map_err(|_| TokenError::Malformed)?;
        if header["alg"] != "RS256" || header["kid"] != self.kid.as_str() {
            return Err(TokenError::BadSignature);
        }
        let signature = Signature::try_from(decode(signature)?.as_slice())
            .map_err(|_| TokenError::Malformed)?;
        let input_len = token.len() - token.rsplit('.').next().map_or(0, str::len) - 1;
        self.verifier
            .verify(&token.as_bytes()[..input_len], &signature)
            .map_err(|_| TokenError::BadSignature)?;
        serde_json::from_slice(&decode(claims)?).map_err(|_| TokenError::Malformed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_verify_and_tamper() {
        let keys = SigningKeys::well_known().expect("embedded key");
        let token = keys.sign(&json!({"sub": "x", "n": 1}));
        assert_eq!(keys.verify(&token), Ok(json!({"sub": "x", "n": 1})));
        // Change one claim, keep the signature.
        let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
        parts[1] = URL_SAFE_NO_PAD.encode(json!({"sub": "admin", "n": 1}).to_string());
        assert_eq!(keys.verify(&parts.join(".")), Err(TokenError::BadSignature));
        assert_eq!(keys.verify("a.b"), Err(TokenError::Malformed));
    }

    #[test]
    fn jwks_has_no_alg_and_a_thumbprint_kid() {
        let keys = SigningKeys::well_known().expect("embedded key");
        let jwks = keys.jwks("https://login.example/{tenantid}/v2.0");
        let key = &jwks["keys"][0];
        assert!(key.get("alg").is_none());
        assert_eq!(key["kid"], key["x5t"]);
        assert_eq!(key["kty"], "RSA");
        assert_eq!(key["e"], "AQAB");
    }
}
