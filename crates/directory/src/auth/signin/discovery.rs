//! The tenant's OpenID configuration, read before anything else: it proves the tenant exists
//! (an unknown tenant fails before a browser opens) and its issuer gives the tenant GUID even
//! when the admin typed a domain.

use super::error::SignInError;
use crate::body::read_json;
use crate::ids::parse_guid;
use crate::target::Target;
use serde_json::Value;

/// What discovery tells before anyone signs in.
#[derive(Debug, Clone)]
pub struct Discovery {
    /// The tenant GUID (from the issuer), even when the admin typed a domain.
    pub tenant_id: String,
    pub jwks_uri: String,
    /// The document's `issuer`, which ID tokens must carry as `iss`.
    pub issuer: String,
}

/// Reads the tenant's OpenID configuration: proves the tenant exists before the browser opens.
pub async fn discover(target: &Target) -> Result<Discovery, SignInError> {
    let authority = target.endpoints.authority.as_str().trim_end_matches('/');
    let url = format!("{authority}/v2.0/.well-known/openid-configuration");
    let unreachable = |e| SignInError::unreachable(authority, e);
    let response = target.http().get(&url).send().await.map_err(unreachable)?;
    let status = response.status();
    let body: Value = read_json(response, target.limits().max_sign_in_body)
        .await
        .map_err(|e| SignInError::Unreachable {
            host: authority.to_owned(),
            detail: e.to_string(),
        })?;
    if !status.is_success() {
        let description = body["error_description"]
            .as_str()
            .and_then(|d| d.lines().next())
            .unwrap_or("no details");
        return Err(SignInError::UnknownTenant(format!(
            "the tenant {} was not found in this cloud ({description}). Check the tenant ID or domain, and the cloud",
            target.tenant
        )));
    }
    let issuer = body["issuer"]
        .as_str()
        .ok_or(SignInError::Missing("issuer"))?;
    let tenant_id = issuer
        .trim_end_matches('/')
        .trim_end_matches("/v2.0")
        .rsplit('/')
        .next()
        .and_then(parse_guid)
        .ok_or(SignInError::Missing("a tenant ID in the issuer"))?;
    let jwks_uri = body["jwks_uri"]
        .as_str()
        .ok_or(SignInError::Missing("jwks_uri"))?
        .to_owned();
    Ok(Discovery {
        tenant_id,
        jwks_uri,
        issuer: issuer.to_owned(),
    })
}
