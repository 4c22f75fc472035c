//! One administrator sign-in from start to finish, and what it yields: discovery (which also
//! proves the tenant exists), the browser or device code, ID token validation, the
//! administrator and permission checks, and the tenant's name and domain from Graph.
//!
//! Nothing is stored here. A refused account's tokens are dropped with the error; the caller
//! saves the refresh token (keyring) and the organization (database) only after `Ok`.

use crate::auth::admin::{AdminError, AdminPolicy, roles_from_graph};
use crate::auth::code::{CodeFlow, CodeFlowError, Tokens};
use crate::auth::device::{DeviceFlow, DeviceFlowError};
use crate::auth::id_token::{self, Expectations, IdTokenClaims, IdTokenError, Jwks};
use crate::auth::loopback::{LoopbackError, LoopbackListener};
use crate::auth::session::Session;
use crate::clock::unix_seconds;
use crate::target::Target;
use serde_json::Value;
use std::time::Duration;

/// aadsync asks for every delegated Graph permission the admin consented to (MSAL's `.default`),
/// so an app registration with `Group.Read.All` instead of `GroupMember.Read.All` works as is.
pub const GRAPH_SCOPES: &[&str] = &[".default"];

/// Permissions needed, as alternatives: one of each inner list.
pub const REQUIRED_PERMISSIONS: &[&[&str]] = &[
    &["User.Read.All", "User.ReadWrite.All", "Directory.Read.All"],
    &[
        "GroupMember.Read.All",
        "Group.Read.All",
        "Group.ReadWrite.All",
        "Directory.Read.All",
    ],
];

/// How long an interactive sign-in may take in the browser.
pub const BROWSER_TIMEOUT: Duration = Duration::from_secs(300);

#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    #[error("{0}")]
    UnknownTenant(String),
    #[error("cannot reach {host}: {detail}. Check the network connection and the cloud setting")]
    Unreachable { host: String, detail: String },
    #[error("{0}")]
    Loopback(#[from] LoopbackError),
    #[error("{0}")]
    Code(#[from] CodeFlowError),
    #[error("{0}")]
    Device(#[from] DeviceFlowError),
    #[error("the sign-in cannot be trusted: {0}")]
    IdToken(#[from] IdTokenError),
    #[error("{0}")]
    NotAdmin(#[from] AdminError),
    #[error(
        "could not open a web browser ({0}). Use a device code instead, or set the BROWSER environment variable"
    )]
    Browser(String),
    #[error(
        "the app registration {client_id} lacks the delegated Microsoft Graph permission {missing} with admin consent. In the Microsoft Entra admin center open App registrations → this app → API permissions, add it and choose \"Grant admin consent\""
    )]
    Consent { client_id: String, missing: String },
    #[error("Microsoft Graph did not answer as expected: {0}")]
    Graph(String),
    #[error("the sign-in service answered without {0}")]
    Missing(&'static str),
}

impl SignInError {
    /// True when the admin simply stopped (Cancel), which is not worth an error banner.
    pub fn is_cancelled(&self) -> bool {
        matches!(
            self,
            SignInError::Loopback(LoopbackError::Cancelled)
                | SignInError::Device(DeviceFlowError::Cancelled)
        )
    }
}

/// The signed-in administrator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub upn: String,
    pub object_id: String,
    pub name: String,
    /// Names of the accepted administrator roles the account holds.
    pub roles: Vec<String>,
}

/// The tenant as Graph describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantInfo {
    pub tenant_id: String,
    pub display_name: String,
    /// The default verified domain (e.g. `contoso.com`).
    pub primary_domain: String,
    pub domains: Vec<String>,
}

/// A successful administrator sign-in. The session holds the tokens.
#[derive(Debug)]
pub struct SignedIn {
    pub tenant: TenantInfo,
    pub account: Account,
    pub session: Session,
}

/// What discovery tells before anyone signs in.
#[derive(Debug, Clone)]
pub struct Discovery {
    /// The tenant GUID (from the issuer), even when the admin typed a domain.
    pub tenant_id: String,
    pub jwks_uri: String,
}

fn host_of(url: &str) -> String {
    url::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_else(|| url.to_owned())
}

/// Reads the tenant's OpenID configuration: proves the tenant exists before the browser opens.
pub async fn discover(target: &Target) -> Result<Discovery, SignInError> {
    let authority = target.endpoints.authority.as_str().trim_end_matches('/');
    let url = format!("{authority}/v2.0/.well-known/openid-configuration");
    let unreachable = |e: reqwest::Error| SignInError::Unreachable {
        host: host_of(authority),
        detail: e.without_url().to_string(),
    };
    let response = target.http().get(&url).send().await.map_err(unreachable)?;
    let status = response.status();
    let body: Value = response.json().await.map_err(unreachable)?;
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
        .and_then(crate::ids::parse_guid)
        .ok_or(SignInError::Missing("a tenant ID in the issuer"))?;
    let jwks_uri = body["jwks_uri"]
        .as_str()
        .ok_or(SignInError::Missing("jwks_uri"))?
        .to_owned();
    Ok(Discovery {
        tenant_id,
        jwks_uri,
    })
}

/// Opens `url` in the system browser. `BROWSER` wins when set (a `:`-separated list of
/// commands, `%s` standing for the URL, else the URL is appended), as on Unix desktops.
pub fn open_browser(url: &str) -> Result<(), SignInError> {
    let mut candidates: Vec<Vec<String>> = Vec::new();
    if let Ok(list) = std::env::var("BROWSER") {
        for command in list.split(':').filter(|c| !c.trim().is_empty()) {
            let mut words: Vec<String> = command.split_whitespace().map(str::to_owned).collect();
            if words.iter().any(|w| w.contains("%s")) {
                for w in &mut words {
                    *w = w.replace("%s", url);
                }
            } else {
                words.push(url.to_owned());
            }
            candidates.push(words);
        }
    }
    let default: &[&str] = if cfg!(target_os = "macos") {
        &["open"]
    } else if cfg!(windows) {
        // `start` would treat `&` in the URL as a command separator.
        &["rundll32", "url.dll,FileProtocolHandler"]
    } else {
        &["xdg-open"]
    };
    let mut words: Vec<String> = default.iter().map(|s| (*s).to_owned()).collect();
    words.push(url.to_owned());
    candidates.push(words);

    let mut failures = Vec::new();
    for words in candidates {
        let Some((program, args)) = words.split_first() else {
            continue;
        };
        match std::process::Command::new(program)
            .args(args)
            .stdin(std::process::Stdio::null())
            .spawn()
        {
            Ok(mut child) => {
                // Reap it whenever it ends, so no zombie is left behind.
                std::thread::spawn(move || child.wait());
                return Ok(());
            }
            Err(err) => failures.push(format!("{program}: {err}")),
        }
    }
    Err(SignInError::Browser(failures.join("; ")))
}

/// A prepared interactive sign-in: the URL is known, the listener is waiting to be awaited.
#[derive(Debug)]
pub struct Interactive {
    target: Target,
    discovery: Discovery,
    listener: LoopbackListener,
    flow: CodeFlow,
}

impl Interactive {
    /// Checks the tenant, binds the loopback listener and builds the authorization URL.
    pub async fn prepare(target: &Target, login_hint: Option<&str>) -> Result<Self, SignInError> {
        let discovery = discover(target).await?;
        let listener = LoopbackListener::bind().await?;
        let flow = CodeFlow::start(target, &listener.redirect_uri(), GRAPH_SCOPES, login_hint)?;
        Ok(Self {
            target: target.clone(),
            discovery,
            listener,
            flow,
        })
    }

    pub fn authorize_url(&self) -> &str {
        self.flow.authorize_url.as_str()
    }

    /// Waits for the browser's answer, then redeems and checks it.
    pub async fn finish(
        self,
        policy: AdminPolicy,
        timeout: Duration,
        cancel: impl std::future::Future<Output = ()>,
    ) -> Result<SignedIn, SignInError> {
        let Interactive {
            target,
            discovery,
            listener,
            flow,
        } = self;
        let response = listener.wait(&flow.state, timeout, cancel).await?;
        let nonce = flow.nonce.clone();
        let tokens = flow.redeem(response).await?;
        complete(&target, &discovery, &policy, tokens, Some(&nonce)).await
    }
}

/// A started device code sign-in.
#[derive(Debug)]
pub struct DeviceSignIn {
    target: Target,
    discovery: Discovery,
    flow: DeviceFlow,
}

impl DeviceSignIn {
    pub async fn start(target: &Target) -> Result<Self, SignInError> {
        let discovery = discover(target).await?;
        let flow = DeviceFlow::start(target, GRAPH_SCOPES).await?;
        Ok(Self {
            target: target.clone(),
            discovery,
            flow,
        })
    }

    pub fn user_code(&self) -> &str {
        self.flow.user_code()
    }

    pub fn verification_uri(&self) -> &str {
        self.flow.verification_uri()
    }

    pub fn expires_in(&self) -> Duration {
        self.flow.expires_in()
    }

    pub async fn finish(
        self,
        policy: AdminPolicy,
        cancel: impl std::future::Future<Output = ()>,
    ) -> Result<SignedIn, SignInError> {
        let tokens = self.flow.finish(cancel).await?;
        complete(&self.target, &self.discovery, &policy, tokens, None).await
    }
}

/// Graph permission names in a token response's `scope` (resource prefixes removed).
fn permission_names(scopes: &[String]) -> Vec<String> {
    scopes
        .iter()
        .flat_map(|s| s.split_whitespace())
        .map(|s| s.rsplit('/').next().unwrap_or(s).to_owned())
        .collect()
}

/// The first required permission group the token does not satisfy, named for the admin.
pub fn missing_permission(scopes: &[String]) -> Option<String> {
    let have = permission_names(scopes);
    REQUIRED_PERMISSIONS
        .iter()
        .find(|group| {
            !group
                .iter()
                .any(|p| have.iter().any(|h| h.eq_ignore_ascii_case(p)))
        })
        .map(|group| group.first().copied().unwrap_or_default().to_owned())
}

/// Validates what a sign-in produced and checks the account; on any refusal the tokens are
/// dropped here.
pub async fn complete(
    target: &Target,
    discovery: &Discovery,
    policy: &AdminPolicy,
    tokens: Tokens,
    nonce: Option<&str>,
) -> Result<SignedIn, SignInError> {
    let http = target.http();
    let id_token = tokens
        .id_token
        .as_deref()
        .ok_or(SignInError::Missing("an ID token"))?;
    let jwks: Jwks = http
        .get(&discovery.jwks_uri)
        .send()
        .await
        .map_err(|e| SignInError::Unreachable {
            host: host_of(&discovery.jwks_uri),
            detail: e.without_url().to_string(),
        })?
        .json()
        .await
        .map_err(|e| SignInError::Graph(format!("the signing keys are unreadable: {e}")))?;
    let claims = check_id_token(target, discovery, &jwks, id_token, nonce)?;
    let account_name = if claims.preferred_username.is_empty() {
        claims.object_id.clone()
    } else {
        claims.preferred_username.clone()
    };
    let roles = if claims.wids.is_empty() {
        roles_from_graph(
            http,
            &target.endpoints.graph_root,
            tokens.access_token.expose(),
            &account_name,
        )
        .await?
    } else {
        claims.wids.clone()
    };
    let accepted = policy.decide(&account_name, &roles)?;
    if let Some(missing) = missing_permission(&tokens.scopes) {
        return Err(SignInError::Consent {
            client_id: target.client_id.as_str().to_owned(),
            missing,
        });
    }
    let tenant = read_tenant(
        http,
        &target.endpoints.graph_root,
        tokens.access_token.expose(),
    )
    .await?;
    if !tenant.tenant_id.eq_ignore_ascii_case(&discovery.tenant_id) {
        return Err(IdTokenError::WrongTenant {
            expected: discovery.tenant_id.clone(),
            found: tenant.tenant_id,
        }
        .into());
    }
    let refresh = tokens
        .refresh_token
        .ok_or(SignInError::Missing("a refresh token (offline_access)"))?;
    let session = Session::signed_in(
        target.clone(),
        tokens.access_token,
        tokens.expires_in,
        refresh,
    );
    Ok(SignedIn {
        tenant,
        account: Account {
            upn: account_name,
            object_id: claims.object_id,
            name: claims.name,
            roles: accepted,
        },
        session,
    })
}

/// The ID token checked against the tenant's keys, this sign-in's nonce, and the time on the
/// target's clock.
fn check_id_token(
    target: &Target,
    discovery: &Discovery,
    jwks: &Jwks,
    id_token: &str,
    nonce: Option<&str>,
) -> Result<IdTokenClaims, IdTokenError> {
    let origin = target.endpoints.authority.origin().ascii_serialization();
    id_token::validate(
        id_token,
        jwks,
        &Expectations {
            authority_origin: &origin,
            client_id: target.client_id.as_str(),
            nonce: nonce.unwrap_or_default(),
            tenant_id: Some(&discovery.tenant_id),
            now: unix_seconds(target.clock().now()),
        },
    )
}

/// `GET /organization`: the tenant's display name and verified domains.
pub async fn read_tenant(
    http: &reqwest::Client,
    graph_root: &url::Url,
    access_token: &str,
) -> Result<TenantInfo, SignInError> {
    let url = format!(
        "{}/v1.0/organization?$select=id,displayName,verifiedDomains",
        graph_root.as_str().trim_end_matches('/')
    );
    let response = http
        .get(&url)
        .bearer_auth(access_token)
        .send()
        .await
        .map_err(|e| SignInError::Unreachable {
            host: host_of(graph_root.as_str()),
            detail: e.without_url().to_string(),
        })?;
    let status = response.status();
    let body: Value = response
        .json()
        .await
        .map_err(|e| SignInError::Graph(format!("an unreadable answer ({e})")))?;
    if !status.is_success() {
        return Err(SignInError::Graph(format!(
            "{status}: {}",
            body["error"]["message"].as_str().unwrap_or("no details")
        )));
    }
    let org = &body["value"][0];
    let domains: Vec<&Value> = org["verifiedDomains"]
        .as_array()
        .into_iter()
        .flatten()
        .collect();
    let name = |d: &&Value| d["name"].as_str().map(str::to_owned);
    let primary_domain = domains
        .iter()
        .find(|d| d["isDefault"] == true)
        .or(domains.first())
        .and_then(name)
        .unwrap_or_default();
    Ok(TenantInfo {
        tenant_id: org["id"].as_str().unwrap_or_default().to_owned(),
        display_name: org["displayName"].as_str().unwrap_or_default().to_owned(),
        primary_domain,
        domains: domains.iter().filter_map(name).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permissions_are_checked_as_alternatives() {
        let s = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            missing_permission(&s(&[
                "https://graph.microsoft.com/User.Read.All https://graph.microsoft.com/Group.Read.All openid"
            ])),
            None
        );
        assert_eq!(
            missing_permission(&s(&["User.Read", "Directory.Read.All", "profile"])),
            None
        );
        assert_eq!(
            missing_permission(&s(&["User.Read", "GroupMember.Read.All"])),
            Some("User.Read.All".into())
        );
        assert_eq!(
            missing_permission(&s(&["User.Read.All"])),
            Some("GroupMember.Read.All".into())
        );
    }

    /// The lifetime check runs at the target's clock: five minutes of skew past expiry pass,
    /// a second more does not (the rule itself is table-tested in `tests/auth/id_token_rules.rs`).
    #[test]
    fn the_id_token_lifetime_is_checked_at_the_targets_clock() {
        use crate::clock::FixedClock;
        use crate::cloud::Cloud;
        use crate::ids::{ClientId, TenantRef};
        use aadsync_emulator::keys::SigningKeys;
        use std::sync::Arc;

        const TENANT: &str = "3f1c2e2a-5d0b-4a4f-9f3e-2b8c6a7d9e10";
        const CLIENT: &str = "2f5e7c1a-9b3d-4e8f-a6c2-1d4b8e9f0a37";
        const EXP: u64 = 1_800_003_600;
        let issuer = format!("https://login.microsoftonline.com/{TENANT}/v2.0");
        let keys = SigningKeys::well_known().expect("keys");
        let token = keys.sign(&serde_json::json!({
            "iss": issuer, "aud": CLIENT, "tid": TENANT, "oid": "o", "nonce": "n",
            "preferred_username": "admin@contoso.com", "exp": EXP,
        }));
        let jwks: Jwks = serde_json::from_value(keys.jwks(&issuer)).expect("jwks");
        let discovery = Discovery {
            tenant_id: TENANT.into(),
            jwks_uri: String::new(),
        };
        let check = |now: u64| {
            let target = Target::new(
                TenantRef::parse(TENANT).expect("tenant"),
                ClientId::parse(CLIENT).expect("client"),
                &Cloud::Global,
            )
            .expect("target")
            .with_clock(Arc::new(FixedClock::at_unix(now)));
            check_id_token(&target, &discovery, &jwks, &token, Some("n")).map(|c| c.object_id)
        };
        assert_eq!(check(EXP + 300), Ok("o".to_owned()));
        assert_eq!(check(EXP + 301), Err(IdTokenError::Expired));
    }
}
