//! Admin consent to a multi-tenant application ("Add the aadsync application to my tenant"):
//! the admin consent endpoint `/{tenant}/v2.0/adminconsent` opened in the system browser, its
//! answer received on the loopback listener, as Microsoft's "Admin consent on the Microsoft
//! identity platform" documents it.
//!
//! The request carries `client_id`, `scope` (`<Graph resource>/.default`: every delegated Graph
//! permission the application's registration lists), `redirect_uri` (this computer's loopback
//! listener; the endpoint requires it to match a registered one, as `/authorize` does) and
//! `state`. Success comes back as `admin_consent=True` with `tenant`, `scope` and `state`; a
//! refusal as `error` and `error_description` (an AADSTS code first), with `admin_consent=True`
//! too — so the flag alone never means success. Consent yields no token: the caller signs in
//! afterwards as usual (`auth::signin`), and that sign-in, not the `tenant` parameter (which the
//! page warns can be forged), says which tenant the organization is.

use crate::auth::code::random;
use crate::auth::loopback::{LoopbackError, LoopbackListener, RedirectResponse};
use crate::auth::signin::{SignInError, discover};
use crate::target::Target;
use std::collections::HashMap;
use std::future::Future;
use std::time::Duration;

/// What an administrator's consent granted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consented {
    /// The tenant the endpoint says consented: shown, never trusted (see the module docs).
    pub tenant: Option<String>,
    /// The permissions granted, as requested.
    pub scope: String,
}

/// Why admin consent did not happen, in words the administrator can act on.
#[derive(Debug, thiserror::Error)]
pub enum AdminConsentError {
    #[error("{0}")]
    SignIn(#[from] SignInError),
    #[error("the admin consent URL is invalid: {0}")]
    Url(String),
    #[error(
        "admin consent was declined in the browser ({description}): the aadsync application was not added to the organization. Start again and choose Accept on the permissions page"
    )]
    Declined { description: String },
    #[error(
        "the account that signed in may not consent for the organization ({description}). Sign in as a Global Administrator, Privileged Role Administrator, Cloud Application Administrator or Application Administrator, or ask one to add the aadsync application"
    )]
    NotAllowed { description: String },
    #[error(
        "the application {client_id} cannot be added to this organization ({description}). It must be the publisher's multi-tenant application: check its client ID"
    )]
    UnknownApplication {
        client_id: String,
        description: String,
    },
    #[error("admin consent failed: {description} ({error})")]
    Refused { error: String, description: String },
    #[error("admin consent timed out after {0:?}: nobody completed it in the browser")]
    TimedOut(Duration),
    #[error("admin consent was cancelled")]
    Cancelled,
    #[error("{0}")]
    Listener(LoopbackError),
}

impl AdminConsentError {
    /// The administrator stopped it here (Cancel in the app, Ctrl+C), not in the browser.
    pub fn is_cancelled(&self) -> bool {
        matches!(self, AdminConsentError::Cancelled)
    }

    /// The AADSTS code of a refusal sent back to the redirect URI, when it had one.
    pub fn aadsts(&self) -> Option<u32> {
        match self {
            AdminConsentError::Declined { description }
            | AdminConsentError::NotAllowed { description }
            | AdminConsentError::UnknownApplication { description, .. }
            | AdminConsentError::Refused { description, .. } => aadsts_code(description),
            _ => None,
        }
    }
}

/// The response the admin consent endpoint sends on success (its `error` response is the
/// listener's `Denied`).
#[derive(Debug)]
pub struct ConsentResponse(Consented);

impl RedirectResponse for ConsentResponse {
    const FLOW: &'static str = "Admin consent";
    const DONE: &'static str = "The aadsync application was added to your organization";

    fn read(mut params: HashMap<String, String>) -> Result<Self, String> {
        // "admin_consent: Will be set to True"; any case is read as the same word.
        let flag = params.remove("admin_consent").unwrap_or_default();
        if !flag.eq_ignore_ascii_case("true") {
            return Err("it did not say admin_consent=True".into());
        }
        Ok(Self(Consented {
            tenant: params.remove("tenant").filter(|t| !t.is_empty()),
            scope: params.remove("scope").unwrap_or_default(),
        }))
    }
}

/// `<authority>/v2.0/adminconsent?client_id&scope&redirect_uri&state` for `target`'s tenant
/// and client, asking for `<Graph resource>/.default`.
pub fn admin_consent_url(
    target: &Target,
    redirect_uri: &str,
    state: &str,
) -> Result<url::Url, AdminConsentError> {
    let authority = target.endpoints.authority.as_str().trim_end_matches('/');
    let mut url = url::Url::parse(&format!("{authority}/v2.0/adminconsent"))
        .map_err(|e| AdminConsentError::Url(e.to_string()))?;
    url.query_pairs_mut()
        .append_pair("client_id", target.client_id.as_str())
        .append_pair(
            "scope",
            &format!("{}/.default", target.endpoints.graph_resource),
        )
        .append_pair("redirect_uri", redirect_uri)
        .append_pair("state", state);
    Ok(url)
}

/// The refusal an `error` response carries, by its AADSTS code (the `error` string alone is
/// too coarse: Cancel is `consent_required` at this endpoint and `access_denied` elsewhere).
pub fn refusal(client_id: &str, error: &str, description: &str) -> AdminConsentError {
    let description = description.to_owned();
    match aadsts_code(&description) {
        // "The resource owner or authorization server denied the request" / "User declined".
        Some(65004) => AdminConsentError::Declined { description },
        // Consent needs an administrator's role ("Need admin approval" and its relatives).
        Some(90093..=90095) => AdminConsentError::NotAllowed { description },
        // The application is unknown here, or single-tenant in another tenant.
        Some(700016 | 650059) => AdminConsentError::UnknownApplication {
            client_id: client_id.to_owned(),
            description,
        },
        // RFC 6749's "the resource owner … denied the request", whatever the code.
        _ if error == "access_denied" => AdminConsentError::Declined { description },
        _ => AdminConsentError::Refused {
            error: error.to_owned(),
            description,
        },
    }
}

/// `AADSTS65004: …` → 65004.
fn aadsts_code(description: &str) -> Option<u32> {
    let rest = description.trim_start().strip_prefix("AADSTS")?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// A prepared admin consent: the URL is known, the listener is waiting to be awaited.
#[derive(Debug)]
pub struct AdminConsent {
    client_id: String,
    listener: LoopbackListener<ConsentResponse>,
    url: url::Url,
    state: String,
}

impl AdminConsent {
    /// Checks the tenant (an unknown one fails before a browser opens), binds the loopback
    /// listener and builds the admin consent URL.
    pub async fn prepare(target: &Target) -> Result<Self, AdminConsentError> {
        discover(target).await?;
        let listener = LoopbackListener::<ConsentResponse>::bind_expecting()
            .await
            .map_err(SignInError::from)?;
        let state = random(32);
        let url = admin_consent_url(target, &listener.redirect_uri(), &state)?;
        Ok(Self {
            client_id: target.client_id.as_str().to_owned(),
            listener,
            url,
            state,
        })
    }

    /// The address to open in the system browser.
    pub fn url(&self) -> &str {
        self.url.as_str()
    }

    /// Waits for the browser's answer, at most `timeout`, or until `cancel` completes.
    pub async fn finish(
        self,
        timeout: Duration,
        cancel: impl Future<Output = ()>,
    ) -> Result<Consented, AdminConsentError> {
        let outcome = self.listener.wait(&self.state, timeout, cancel).await;
        match outcome {
            Ok(ConsentResponse(consented)) => Ok(consented),
            Err(LoopbackError::Denied { error, description }) => {
                Err(refusal(&self.client_id, &error, &description))
            }
            Err(LoopbackError::TimedOut(after)) => Err(AdminConsentError::TimedOut(after)),
            Err(LoopbackError::Cancelled) => Err(AdminConsentError::Cancelled),
            Err(other) => Err(AdminConsentError::Listener(other)),
        }
    }
}

/// What to check when no answer has arrived: these errors are shown in the browser and never
/// sent to the redirect URI. One cause a line, each with what to do.
pub fn no_consent_redirect_hint(client_id: &str, tenant: &str) -> String {
    format!(
        "No answer from the browser yet. If Microsoft's page shows an error:
AADSTS90094 or AADSTS90093 (Need admin approval): the account may not consent for the organization; sign in as a Global Administrator, Privileged Role Administrator, Cloud Application Administrator or Application Administrator
AADSTS700016 or AADSTS650059 (application not found, or not for use in this tenant): the application {client_id} must be the publisher's multi-tenant application; check its client ID
AADSTS90002 (tenant not found): the tenant must be the directory (tenant) ID or a verified domain of the organization ({tenant}), in the cloud chosen in aadsync
aadsync keeps waiting for the consent; Cancel stops it."
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloud::Cloud;
    use crate::ids::{ClientId, TenantRef};

    const CLIENT: &str = "5d2b9e40-7c1f-4a83-b6e2-0f9a4c3d8e71";

    fn target(tenant: &str, cloud: &Cloud) -> Target {
        Target::new(
            TenantRef::parse(tenant).expect("tenant"),
            ClientId::parse(CLIENT).expect("client"),
            cloud,
        )
        .expect("target")
    }

    fn pairs(url: &url::Url) -> Vec<(String, String)> {
        url.query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    }

    #[test]
    fn the_url_asks_the_tenants_endpoint_for_every_registered_graph_permission() {
        let cases = [
            (
                target("contoso.com", &Cloud::Global),
                "https://login.microsoftonline.com/contoso.com/v2.0/adminconsent",
                "https://graph.microsoft.com/.default",
            ),
            (
                target("contoso.com", &Cloud::China),
                "https://login.chinacloudapi.cn/contoso.com/v2.0/adminconsent",
                "https://microsoftgraph.chinacloudapi.cn/.default",
            ),
            (
                target(
                    "3f1c2e2a-5d0b-4a4f-9f3e-2b8c6a7d9e10",
                    &Cloud::custom("http://127.0.0.1:4010", "http://127.0.0.1:4010")
                        .expect("cloud"),
                ),
                "http://127.0.0.1:4010/3f1c2e2a-5d0b-4a4f-9f3e-2b8c6a7d9e10/v2.0/adminconsent",
                "https://graph.microsoft.com/.default",
            ),
        ];
        for (target, endpoint, scope) in cases {
            let url = admin_consent_url(&target, "http://localhost:53211", "st&=1").expect("url");
            let without_query = format!(
                "{}://{}{}",
                url.scheme(),
                url.host_str().unwrap_or_default(),
                url.port().map(|p| format!(":{p}")).unwrap_or_default()
            ) + url.path();
            assert_eq!(without_query, endpoint);
            assert_eq!(
                pairs(&url),
                [
                    ("client_id".to_owned(), CLIENT.to_owned()),
                    ("scope".to_owned(), scope.to_owned()),
                    (
                        "redirect_uri".to_owned(),
                        "http://localhost:53211".to_owned()
                    ),
                    ("state".to_owned(), "st&=1".to_owned()),
                ]
            );
            // The redirect URI and scope are encoded, not passed raw.
            assert!(
                url.as_str()
                    .contains("redirect_uri=http%3A%2F%2Flocalhost%3A53211"),
                "{url}"
            );
        }
    }

    fn read(params: &[(&str, &str)]) -> Result<Consented, String> {
        ConsentResponse::read(
            params
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
        .map(|r| r.0)
    }

    #[test]
    fn success_is_admin_consent_true_with_the_tenant_and_scope() {
        let tenant = "aaaabbbb-0000-cccc-1111-dddd2222eeee";
        let scope = "https://graph.microsoft.com/.default";
        for flag in ["True", "true", "TRUE"] {
            assert_eq!(
                read(&[
                    ("admin_consent", flag),
                    ("tenant", tenant),
                    ("scope", scope)
                ]),
                Ok(Consented {
                    tenant: Some(tenant.to_owned()),
                    scope: scope.to_owned(),
                })
            );
        }
        assert_eq!(
            read(&[("admin_consent", "True")]),
            Ok(Consented {
                tenant: None,
                scope: String::new()
            })
        );
        for params in [
            &[("tenant", tenant)][..],
            &[("admin_consent", "False"), ("tenant", tenant)],
            &[("admin_consent", ""), ("tenant", tenant)],
            &[("code", "a-code")],
        ] {
            assert!(read(params).is_err(), "{params:?}");
        }
    }

    #[test]
    fn refusals_are_told_apart_by_their_aadsts_code() {
        type Check = fn(&AdminConsentError) -> bool;
        let declined: Check = |e| matches!(e, AdminConsentError::Declined { .. });
        let not_allowed: Check = |e| matches!(e, AdminConsentError::NotAllowed { .. });
        let unknown: Check = |e| matches!(e, AdminConsentError::UnknownApplication { .. });
        let refused: Check = |e| matches!(e, AdminConsentError::Refused { .. });
        let cases: [(&str, &str, Check, Option<u32>); 8] = [
            // The endpoint's documented error response (Cancel on the permissions page).
            (
                "consent_required",
                "AADSTS65004: The resource owner or authorization server denied the request.",
                declined,
                Some(65004),
            ),
            // Cancel on a sign-in page, as /authorize reports it.
            (
                "access_denied",
                "AADSTS65004: User declined to consent to access the app.",
                declined,
                Some(65004),
            ),
            ("access_denied", "", declined, None),
            (
                "access_denied",
                "AADSTS90094: The grant requires admin permission.",
                not_allowed,
                Some(90094),
            ),
            (
                "invalid_request",
                "AADSTS90093: Does not have access to consent.",
                not_allowed,
                Some(90093),
            ),
            (
                "unauthorized_client",
                "AADSTS700016: Application with identifier '5d2b…' was not found in the directory",
                unknown,
                Some(700016),
            ),
            (
                "invalid_client",
                "AADSTS650059: The value AzureADMyOrg set for application property signInAudience is limiting its use in the tenant.",
                unknown,
                Some(650059),
            ),
            (
                "invalid_request",
                "AADSTS650053: The application asked for scope 'Nope.Read' that doesn't exist.",
                refused,
                Some(650053),
            ),
        ];
        for (error, description, expected, code) in cases {
            let found = refusal(CLIENT, error, description);
            assert!(expected(&found), "{error} {description}: {found:?}");
            assert_eq!(found.aadsts(), code, "{description}");
            assert!(found.to_string().contains(description), "{found}");
        }
        // The messages say what to do next.
        assert!(
            refusal(CLIENT, "access_denied", "AADSTS90094: x")
                .to_string()
                .contains("Global Administrator")
        );
        assert!(
            refusal(CLIENT, "consent_required", "AADSTS65004: x")
                .to_string()
                .contains("choose Accept")
        );
        assert!(
            refusal(CLIENT, "invalid_client", "AADSTS700016: x")
                .to_string()
                .contains(CLIENT)
        );
    }

    #[test]
    fn aadsts_codes_are_read_from_the_start_of_the_description() {
        assert_eq!(aadsts_code("AADSTS65004: denied"), Some(65004));
        assert_eq!(aadsts_code(" AADSTS90094:x"), Some(90094));
        assert_eq!(aadsts_code("denied (AADSTS65004)"), None);
        assert_eq!(aadsts_code("AADSTS: nothing"), None);
        assert_eq!(aadsts_code(""), None);
    }
}
