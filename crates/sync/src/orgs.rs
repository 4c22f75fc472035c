//! Connecting organizations: what a new one needs (validated before any network call), saving a
//! successful administrator sign-in, resuming silently, and removing one.
//!
//! Order matters for "nothing is stored for a refused sign-in": the directory checks run first
//! (in `directory::auth::signin`), then the refresh token goes to the keyring, and only then is
//! the organization written to the database. A failure at any step undoes the steps before it.

use crate::demo::demo_tenant;
use aadsync_directory::auth::admin::{AdminError, AdminPolicy};
use aadsync_directory::auth::admin_consent::AdminConsentError;
use aadsync_directory::auth::signin::{Account, SignInError, SignedIn, TenantInfo};
use aadsync_directory::auth::{LoopbackError, Session, SessionError};
use aadsync_directory::{ClientId, Cloud, EndpointError, IdError, Target, TargetError, TenantRef};
use aadsync_keystore::{TokenError, TokenKey, TokenStore};
use aadsync_store::{CloudKind, NewOrganization, OrgId, Organization, Store, StoreError};
use std::sync::Arc;

/// The cloud the admin picked in the New… form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CloudChoice {
    Global,
    /// Government Community Cloud (global endpoints).
    Gcc,
    /// US Government L4: what "US Government" meant in earlier versions.
    GccHigh,
    /// US Government L5 (Department of Defense).
    Dod,
    China,
    /// An explicit authority host and Graph root (an emulator, a test authority). https is
    /// required except on loopback.
    Custom {
        authority_host: String,
        graph_root: String,
    },
    /// The offline demo tenant inside this process.
    Demo,
}

/// The New… form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOrganizationInput {
    pub tenant: String,
    pub client_id: String,
    pub cloud: CloudChoice,
}

#[derive(Debug, thiserror::Error)]
pub enum OrgError {
    #[error("{0}")]
    Tenant(IdError),
    #[error("{0}")]
    ClientId(IdError),
    #[error("{0}")]
    Authority(EndpointError),
    /// This computer cannot open HTTPS connections at all (its TLS setup failed).
    #[error("{0}")]
    Http(String),
    #[error("the offline demo tenant cannot start: {0}")]
    Demo(String),
    #[error("{0}")]
    SignIn(#[from] SignInError),
    /// Admin consent to the publisher's application did not happen (`crate::publisher`).
    /// Boxed: its refusals carry the answer's texts, and every `Result<_, OrgError>` would
    /// grow with them.
    #[error("{0}")]
    Consent(Box<AdminConsentError>),
    /// `AADSYNC_PUBLISHER_CLIENT_ID` is not a client ID (`crate::publisher`).
    #[error("{0}")]
    PublisherClientId(String),
    #[error("{0}")]
    Session(#[from] SessionError),
    #[error("{0}")]
    Keyring(#[from] TokenError),
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("there is no saved sign-in for {0} on this computer. Sign in again")]
    NoSavedSignIn(String),
}

impl From<AdminConsentError> for OrgError {
    fn from(err: AdminConsentError) -> Self {
        OrgError::Consent(Box::new(err))
    }
}

impl OrgError {
    /// The admin has to sign in (again) interactively to go on.
    pub fn needs_sign_in(&self) -> bool {
        match self {
            OrgError::NoSavedSignIn(_) => true,
            OrgError::Session(e) => e.needs_sign_in(),
            OrgError::Keyring(TokenError::Damaged(_)) => true,
            _ => false,
        }
    }

    /// The OS keyring could not be reached (locked, no Secret Service, timed out).
    pub fn keyring_unavailable(&self) -> bool {
        matches!(
            self,
            OrgError::Keyring(TokenError::Keyring(_))
                | OrgError::Session(SessionError::Keyring(TokenError::Keyring(_)))
        )
    }

    /// The account that signed in holds no administrator role.
    pub fn not_administrator(&self) -> bool {
        // "Cannot tell" and a refused role read are about the app registration, not the account.
        matches!(
            self,
            OrgError::SignIn(SignInError::NotAdmin(AdminError::NotAdmin { .. }))
        )
    }

    /// The administrator declined in the browser: Cancel on Microsoft's pages, or on the
    /// permissions a sign-in asked for (`access_denied`, AADSTS65004).
    pub fn declined(&self) -> bool {
        match self {
            OrgError::SignIn(SignInError::Loopback(LoopbackError::Denied {
                error,
                description,
            })) => {
                error.eq_ignore_ascii_case("access_denied")
                    || description
                        .split(|c: char| !c.is_ascii_alphanumeric())
                        .any(|w| w.eq_ignore_ascii_case("AADSTS65004"))
            }
            _ => false,
        }
    }

    /// The administrator (or the front end) cancelled the sign-in.
    pub fn cancelled(&self) -> bool {
        match self {
            OrgError::SignIn(e) => e.is_cancelled(),
            OrgError::Consent(e) => e.is_cancelled(),
            _ => false,
        }
    }
}

/// Where and how to sign in to one organization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prepared {
    pub target: Target,
    pub cloud: CloudKind,
    pub demo: bool,
}

/// A connected organization: stored, with a live session.
#[derive(Debug, Clone)]
pub struct Connected {
    pub organization: Organization,
    pub account: Account,
    pub session: Arc<Session>,
    /// One line per feature whose Graph permission was not granted (`auth::permissions`), from
    /// the interactive sign-in's token answer or, after a silent one, the renewal's.
    pub missing_features: Vec<String>,
}

fn target(tenant: TenantRef, client_id: ClientId, cloud: &Cloud) -> Result<Target, OrgError> {
    Target::new(tenant, client_id, cloud).map_err(|e| match e {
        TargetError::Endpoint(e) => OrgError::Authority(e),
        other @ TargetError::Http(_) => OrgError::Http(other.to_string()),
    })
}

fn demo_cloud() -> Result<(Cloud, &'static crate::demo::DemoTenant), OrgError> {
    let demo = demo_tenant().map_err(OrgError::Demo)?;
    let cloud = Cloud::custom(&demo.base_url, &demo.base_url).map_err(OrgError::Authority)?;
    Ok((cloud, demo))
}

/// Validates the New… form (no network, except starting the in-process demo tenant).
/// For the demo, the tenant and client ID are the demo's whatever was typed.
pub fn prepare_new(input: &NewOrganizationInput) -> Result<Prepared, OrgError> {
    if input.cloud == CloudChoice::Demo {
        let (cloud, demo) = demo_cloud()?;
        let tenant = TenantRef::parse(&demo.tenant_id).map_err(OrgError::Tenant)?;
        let client = ClientId::parse(&demo.client_id).map_err(OrgError::ClientId)?;
        return Ok(Prepared {
            target: target(tenant, client, &cloud)?,
            cloud: CloudKind::Custom,
            demo: true,
        });
    }
    let tenant = TenantRef::parse(&input.tenant).map_err(OrgError::Tenant)?;
    let client = ClientId::parse(&input.client_id).map_err(OrgError::ClientId)?;
    let (cloud, kind) = match &input.cloud {
        CloudChoice::Global => (Cloud::Global, CloudKind::Global),
        CloudChoice::Gcc => (Cloud::Gcc, CloudKind::Global),
        CloudChoice::GccHigh => (Cloud::GccHigh, CloudKind::UsGovernment),
        CloudChoice::Dod => (Cloud::Dod, CloudKind::UsGovernment),
        CloudChoice::China => (Cloud::China, CloudKind::China),
        CloudChoice::Custom {
            authority_host,
            graph_root,
        } => {
            let graph = if graph_root.trim().is_empty() {
                authority_host
            } else {
                graph_root
            };
            (
                Cloud::custom(authority_host, graph).map_err(OrgError::Authority)?,
                CloudKind::Custom,
            )
        }
        CloudChoice::Demo => return Err(OrgError::Demo("unreachable".into())),
    };
    Ok(Prepared {
        target: target(tenant, client, &cloud)?,
        cloud: kind,
        demo: false,
    })
}

/// The cloud a stored organization is in, as the New… form names it. The database keeps the
/// cloud column's first values: "US Government" is DoD when its Graph URL is DoD's, else GCC
/// High (all it could mean before DoD was a choice); GCC is stored as Global (same endpoints).
pub fn stored_cloud(org: &Organization) -> CloudChoice {
    if org.demo {
        return CloudChoice::Demo;
    }
    match org.cloud {
        CloudKind::Global => CloudChoice::Global,
        CloudKind::UsGovernment => {
            let graph = org.graph_url.trim().trim_end_matches('/');
            if graph.eq_ignore_ascii_case("https://dod-graph.microsoft.us") {
                CloudChoice::Dod
            } else {
                CloudChoice::GccHigh
            }
        }
        CloudKind::China => CloudChoice::China,
        CloudKind::Custom => CloudChoice::Custom {
            authority_host: org.authority_url.clone(),
            graph_root: org.graph_url.clone(),
        },
    }
}

/// Where a stored organization signs in.
pub fn prepare_existing(org: &Organization) -> Result<Prepared, OrgError> {
    let tenant = TenantRef::parse(&org.tenant_id).map_err(OrgError::Tenant)?;
    let client = ClientId::parse(&org.client_id).map_err(OrgError::ClientId)?;
    let cloud = if org.demo {
        demo_cloud()?.0
    } else {
        match stored_cloud(org) {
            CloudChoice::Gcc | CloudChoice::Global => Cloud::Global,
            CloudChoice::GccHigh => Cloud::GccHigh,
            CloudChoice::Dod => Cloud::Dod,
            CloudChoice::China => Cloud::China,
            CloudChoice::Custom { .. } | CloudChoice::Demo => {
                Cloud::custom(&org.authority_url, &org.graph_url).map_err(OrgError::Authority)?
            }
        }
    };
    Ok(Prepared {
        target: target(tenant, client, &cloud)?,
        cloud: org.cloud,
        demo: org.demo,
    })
}

fn authority_host(target: &Target) -> String {
    target.endpoints.authority.origin().ascii_serialization()
}

/// Runs blocking work (SQLite, the keyring) on tokio's blocking threads, so an `async fn`
/// here never holds up the runtime's workers (ARCHITECTURE.md: "Keyring and SQLite work never
/// runs on the main thread").
async fn off_thread<T, E>(
    work: impl FnOnce() -> Result<T, E> + Send + 'static,
) -> Result<T, OrgError>
where
    T: Send + 'static,
    E: Send + 'static,
    OrgError: From<E>,
{
    tokio::task::spawn_blocking(work)
        .await
        // Only a panic in `work` lands here; reported as it always was.
        .map_err(|e| OrgError::Demo(format!("internal error: {e}")))?
        .map_err(OrgError::from)
}

/// Saves a successful sign-in: refresh token to the keyring, then the organization. If the
/// tenant was stored with another administrator, that administrator's token is deleted.
pub async fn save(
    store: &Arc<Store>,
    tokens: &TokenStore,
    prepared: &Prepared,
    signed_in: SignedIn,
) -> Result<Connected, OrgError> {
    let SignedIn {
        tenant,
        account,
        mut session,
        granted,
    } = signed_in;
    let row = organization_row(&tenant, &account, prepared);
    // Before the refresh token is written: a sign-in through another authority that claims a
    // stored tenant (and perhaps its administrator's object ID) must not replace that
    // administrator's saved sign-in, nor delete it when the save is then refused.
    let previous = {
        let (store, row) = (Arc::clone(store), row.clone());
        off_thread(move || {
            let reader = store.reader();
            reader.check_authority(&row)?;
            Ok::<_, StoreError>(
                reader
                    .organizations()?
                    .into_iter()
                    .find(|o| o.tenant_id.eq_ignore_ascii_case(&row.tenant_id)),
            )
        })
        .await?
    };
    let key = TokenKey::new(&tenant.tenant_id, &account.object_id);
    session.persist_to(tokens.clone(), key.clone());
    session.save_refresh_token().await?;
    let saved = {
        let store = Arc::clone(store);
        off_thread(move || {
            let id = store.writer().save_organization(&row)?;
            store.reader().organization(id)
        })
        .await
    };
    let organization = match saved {
        Ok(org) => org,
        Err(err) => {
            let (tokens, key) = (tokens.clone(), key.clone());
            if let Err(undo) = off_thread(move || tokens.delete(&key)).await {
                tracing::warn!(error = %undo, "could not remove the refresh token after a failed save");
            }
            return Err(err);
        }
    };
    if let Some(old_admin) = previous
        .and_then(|p| p.admin_object_id)
        .filter(|old| !old.eq_ignore_ascii_case(&account.object_id))
    {
        let (tokens, old) = (tokens.clone(), TokenKey::new(&tenant.tenant_id, &old_admin));
        if let Err(err) = off_thread(move || tokens.delete(&old)).await {
            tracing::warn!(error = %err, "could not remove the previous administrator's refresh token");
        }
    }
    tracing::info!(tenant = %tenant.tenant_id, admin = %account.upn, "organization connected");
    Ok(Connected {
        organization,
        account,
        session: Arc::new(session),
        missing_features: aadsync_directory::auth::permissions::missing_lines(&granted),
    })
}

/// The database row for a signed-in tenant.
fn organization_row(
    tenant: &TenantInfo,
    account: &Account,
    prepared: &Prepared,
) -> NewOrganization {
    NewOrganization {
        tenant_id: tenant.tenant_id.clone(),
        display_name: tenant.display_name.clone(),
        primary_domain: tenant.primary_domain.clone(),
        cloud: prepared.cloud,
        authority_url: authority_host(&prepared.target),
        graph_url: prepared
            .target
            .endpoints
            .graph_root
            .as_str()
            .trim_end_matches('/')
            .to_owned(),
        client_id: prepared.target.client_id.as_str().to_owned(),
        admin_upn: account.upn.clone(),
        admin_object_id: account.object_id.clone(),
        demo: prepared.demo,
    }
}

/// A stored organization's session from its refresh token in the keyring (rotations saved
/// there), with the administrator's UPN and object ID; nothing is sent to Entra ID yet.
pub async fn resume_session(
    org: &Organization,
    tokens: &TokenStore,
) -> Result<(Session, String, String), OrgError> {
    // A demo organization may have to start the demo tenant first, which blocks briefly.
    let prepared = {
        let org = org.clone();
        off_thread(move || prepare_existing(&org)).await?
    };
    let name = if org.display_name.is_empty() {
        org.tenant_id.clone()
    } else {
        org.display_name.clone()
    };
    let (Some(upn), Some(object_id)) = (org.admin_upn.clone(), org.admin_object_id.clone()) else {
        return Err(OrgError::NoSavedSignIn(name));
    };
    let key = TokenKey::new(&org.tenant_id, &object_id);
    let (store, load_key) = (tokens.clone(), key.clone());
    let refresh = off_thread(move || store.load(&load_key))
        .await?
        .ok_or(OrgError::NoSavedSignIn(name))?;
    let mut session = Session::resume(prepared.target, refresh);
    session.persist_to(tokens.clone(), key);
    Ok((session, upn, object_id))
}

/// Silent sign-in to a stored organization: refresh token from the keyring, renewed (rotation
/// saved), and the administrator role checked again.
pub async fn connect(
    org: &Organization,
    tokens: &TokenStore,
    policy: &AdminPolicy,
) -> Result<Connected, OrgError> {
    let (session, upn, object_id) = resume_session(org, tokens).await?;
    let roles = session.verify_admin(policy, &upn).await?;
    // Verifying renewed the access token, whose answer says what is granted now (an admin may
    // have removed a permission since the interactive sign-in).
    let missing_features = session
        .granted()
        .await
        .map(|granted| aadsync_directory::auth::permissions::missing_lines(&granted))
        .unwrap_or_default();
    Ok(Connected {
        organization: org.clone(),
        account: Account {
            upn,
            object_id,
            name: String::new(),
            roles,
        },
        session: Arc::new(session),
        missing_features,
    })
}

/// Removes an organization: its keyring entry first (so no token is orphaned if that fails),
/// then the row. Users imported from it stay.
pub async fn remove(
    store: &Arc<Store>,
    tokens: &TokenStore,
    id: OrgId,
) -> Result<Organization, OrgError> {
    let reader = Arc::clone(store);
    let org = off_thread(move || reader.reader().organization(id)).await?;
    if let Some(admin) = &org.admin_object_id {
        let (tokens, key) = (tokens.clone(), TokenKey::new(&org.tenant_id, admin));
        off_thread(move || tokens.delete(&key)).await?;
    }
    let writer = Arc::clone(store);
    let removed = off_thread(move || writer.writer().remove_organization(id)).await?;
    tracing::info!(tenant = %removed.tenant_id, "organization removed");
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_in_the_browser_is_declined() {
        let denied = |error: &str, description: &str| {
            OrgError::SignIn(SignInError::Loopback(LoopbackError::Denied {
                error: error.into(),
                description: description.into(),
            }))
        };
        assert!(denied("access_denied", "AADSTS65004: User declined to consent").declined());
        assert!(denied("consent_required", "AADSTS65004: declined").declined());
        assert!(!denied("invalid_request", "AADSTS50011: redirect URI").declined());
        assert!(!OrgError::NoSavedSignIn("x".into()).declined());
    }
}
