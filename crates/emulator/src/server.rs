//! The running emulator: shared state, the directory snapshot it serves, the HTTP listener.

use crate::generate::{Rng, iso_date};
use crate::graph::query::Kind;
use crate::keys::SigningKeys;
use crate::model::{Tenant, roles};
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet, VecDeque};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError, RwLock};

/// Every user property the emulator knows (what `$select` may ask for).
pub const USER_PROPERTIES: &[&str] = &[
    "id",
    "userPrincipalName",
    "displayName",
    "givenName",
    "surname",
    "mail",
    "jobTitle",
    "department",
    "officeLocation",
    "mobilePhone",
    "businessPhones",
    "preferredLanguage",
    "userType",
    "accountEnabled",
    "createdDateTime",
    "onPremisesSyncEnabled",
    "deletedDateTime",
];
/// Every group property the emulator knows.
pub const GROUP_PROPERTIES: &[&str] = &[
    "id",
    "displayName",
    "description",
    "mail",
    "mailEnabled",
    "mailNickname",
    "securityEnabled",
    "groupTypes",
    "createdDateTime",
    "deletedDateTime",
    "classification",
    "visibility",
    "membershipRule",
];

/// The emulator's clock: wall time plus an offset the tests can move.
#[derive(Debug, Default)]
pub struct Clock {
    offset_seconds: AtomicI64,
}

impl Clock {
    /// Seconds since the Unix epoch, as the emulator sees it.
    pub fn now(&self) -> i64 {
        let wall = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or_default();
        wall + self.offset_seconds.load(Ordering::Relaxed)
    }

    pub fn now_iso(&self) -> String {
        let now = self.now();
        iso_date(now.div_euclid(86_400), now.rem_euclid(86_400))
    }

    /// Moves the clock forward (or back) by `seconds`.
    pub fn advance(&self, seconds: i64) {
        self.offset_seconds.fetch_add(seconds, Ordering::Relaxed);
    }
}

/// An immutable snapshot of the tenant with the JSON and indexes Graph requests use. Mutations
/// (the control API) build a new snapshot, so a paging client never sees a half-changed list.
#[derive(Debug)]
pub struct Directory {
    pub tenant: Tenant,
    pub users_json: Vec<Value>,
    pub groups_json: Vec<Value>,
    /// Soft-deleted objects, for `directory/deletedItems`.
    pub deleted_users_json: Vec<Value>,
    pub deleted_groups_json: Vec<Value>,
    pub users_by_id: HashMap<String, usize>,
    users_by_upn: HashMap<String, usize>,
    groups_by_id: HashMap<String, usize>,
    /// Position in `tenant.groups` of each active group (for its direct members).
    members: HashMap<String, usize>,
}

impl Directory {
    pub fn build(tenant: Tenant) -> Self {
        let user_json = |u: &crate::model::User| {
            json!({
                "id": u.id, "userPrincipalName": u.user_principal_name,
                "displayName": u.display_name, "givenName": u.given_name, "surname": u.surname,
                "mail": u.mail, "jobTitle": u.job_title, "department": u.department,
                "officeLocation": u.office_location, "mobilePhone": u.mobile_phone,
                "businessPhones": u.business_phones, "preferredLanguage": u.preferred_language,
                "userType": u.user_type, "accountEnabled": u.account_enabled,
                "createdDateTime": u.created_date_time,
                "onPremisesSyncEnabled": u.on_premises_sync_enabled,
                "deletedDateTime": u.deleted_date_time,
            })
        };
        let group_json = |g: &crate::model::Group| {
            let unified = g.group_types.iter().any(|t| t == "Unified");
            json!({
                "id": g.id, "displayName": g.display_name, "description": g.description,
                "mail": g.mail, "mailEnabled": g.mail_enabled,
                "mailNickname": g.mail.as_deref().and_then(|m| m.split('@').next()).unwrap_or("00000000-0000-0000-0000-000000000000"),
                "securityEnabled": g.security_enabled, "groupTypes": g.group_types,
                "createdDateTime": g.created_date_time, "deletedDateTime": g.deleted_date_time,
                "classification": null, "visibility": if unified { json!("Public") } else { Value::Null },
                "membershipRule": null,
            })
        };
        // Absent properties are projected as null; storing the nulls costs ~30 % of the cache.
        let compact = |mut v: Value| {
            if let Value::Object(map) = &mut v {
                map.retain(|_, value| !value.is_null());
            }
            v
        };
        let user_json = |u: &crate::model::User| compact(user_json(u));
        let group_json = |g: &crate::model::Group| compact(group_json(g));
        let active_users: Vec<&crate::model::User> = tenant
            .users
            .iter()
            .filter(|u| u.deleted_date_time.is_none())
            .collect();
        let active_groups: Vec<&crate::model::Group> = tenant
            .groups
            .iter()
            .filter(|g| g.deleted_date_time.is_none())
            .collect();
        let users_json: Vec<Value> = active_users.iter().map(|u| user_json(u)).collect();
        let groups_json: Vec<Value> = active_groups.iter().map(|g| group_json(g)).collect();
        let deleted_users_json = tenant
            .users
            .iter()
            .filter(|u| u.deleted_date_time.is_some())
            .map(user_json)
            .collect();
        let deleted_groups_json = tenant
            .groups
            .iter()
            .filter(|g| g.deleted_date_time.is_some())
            .map(group_json)
            .collect();
        let users_by_id = active_users
            .iter()
            .enumerate()
            .map(|(i, u)| (u.id.clone(), i))
            .collect();
        let users_by_upn = active_users
            .iter()
            .enumerate()
            .map(|(i, u)| (u.user_principal_name.to_lowercase(), i))
            .collect();
        let groups_by_id = active_groups
            .iter()
            .enumerate()
            .map(|(i, g)| (g.id.clone(), i))
            .collect();
        let members = tenant
            .groups
            .iter()
            .enumerate()
            .filter(|(_, g)| g.deleted_date_time.is_none())
            .map(|(i, g)| (g.id.clone(), i))
            .collect();
        Self {
            tenant,
            users_json,
            groups_json,
            deleted_users_json,
            deleted_groups_json,
            users_by_id,
            users_by_upn,
            groups_by_id,
            members,
        }
    }

    /// A user by object ID or (case-insensitive) user principal name.
    pub fn user(&self, id_or_upn: &str) -> Option<&Value> {
        self.users_by_id
            .get(id_or_upn)
            .or_else(|| self.users_by_upn.get(&id_or_upn.to_lowercase()))
            .and_then(|i| self.users_json.get(*i))
    }

    pub fn group(&self, id: &str) -> Option<&Value> {
        self.groups_by_id
            .get(id)
            .and_then(|i| self.groups_json.get(*i))
    }

    pub fn object(&self, id: &str) -> Option<(&Value, Kind)> {
        self.users_by_id
            .get(id)
            .and_then(|i| self.users_json.get(*i))
            .map(|u| (u, Kind::User))
            .or_else(|| self.group(id).map(|g| (g, Kind::Group)))
    }

    /// Direct members, or all members through nested groups (each object once; nested groups
    /// themselves are included, as Graph's transitiveMembers does).
    pub fn members_of(&self, group_id: &str, transitive: bool) -> Vec<String> {
        // Deleted members are left out; they come back with a restore.
        let direct = |id: &str| -> Vec<String> {
            self.members
                .get(id)
                .and_then(|i| self.tenant.groups.get(*i))
                .map(|g| &g.members)
                .map(|m| {
                    m.iter()
                        .filter(|m| {
                            self.users_by_id.contains_key(*m) || self.groups_by_id.contains_key(*m)
                        })
                        .cloned()
                        .collect()
                })
                .unwrap_or_default()
        };
        if !transitive {
            return direct(group_id);
        }
        let mut seen = HashSet::from([group_id.to_owned()]);
        let mut out = Vec::new();
        let mut queue: VecDeque<String> = direct(group_id).into();
        while let Some(id) = queue.pop_front() {
            if !seen.insert(id.clone()) {
                continue;
            }
            if self.groups_by_id.contains_key(&id) {
                queue.extend(direct(&id));
            }
            out.push(id);
        }
        out
    }
}

/// Every route, with the fault/log middleware, bound to the state.
pub fn app(shared: &Shared) -> axum::Router {
    crate::graph::router()
        .merge(crate::identity::router())
        .merge(crate::control::router())
        .layer(axum::middleware::from_fn_with_state(
            shared.clone(),
            crate::control::middleware,
        ))
        .with_state(shared.clone())
}

/// A stable object ID for a directory role in a tenant.
pub fn role_object_id(tenant_id: &str, template_id: &str) -> String {
    let seed = tenant_id
        .bytes()
        .chain(template_id.bytes())
        .fold(0u64, |h, b| h.wrapping_mul(0x100_0000_01b3) ^ u64::from(b));
    Rng::new(seed).guid()
}

#[derive(Debug)]
pub struct Inner {
    directory: RwLock<Arc<Directory>>,
    identity: Mutex<crate::identity::IdentityState>,
    faults: Mutex<Vec<crate::control::Fault>>,
    changes: Mutex<ChangeLog>,
    request_log: Mutex<VecDeque<crate::control::LoggedRequest>>,
    demo_hints: bool,
    pub keys: SigningKeys,
    pub clock: Clock,
    base_url: OnceLock<String>,
    ids: Mutex<Rng>,
}

/// What changed in one mutation, for delta queries.
#[derive(Debug, Clone)]
pub struct Change {
    pub version: u64,
    pub object_id: String,
    pub kind: Kind,
    pub added_members: Vec<String>,
    pub removed_members: Vec<String>,
}

/// The tenant's change history: one version per mutation.
#[derive(Debug, Default)]
pub struct ChangeLog {
    /// Differs per emulator start: a delta token from an earlier instance (whose history is
    /// gone) is answered like an expired one instead of silently missing changes.
    pub epoch: u64,
    pub version: u64,
    pub changes: Vec<Change>,
}

impl ChangeLog {
    fn record(&mut self, old: &Tenant, new: &Tenant) {
        self.version += 1;
        let version = self.version;
        let old_users: HashMap<&str, &crate::model::User> =
            old.users.iter().map(|u| (u.id.as_str(), u)).collect();
        let new_users: HashMap<&str, &crate::model::User> =
            new.users.iter().map(|u| (u.id.as_str(), u)).collect();
        for id in old_users
            .keys()
            .chain(new_users.keys())
            .collect::<std::collections::BTreeSet<_>>()
        {
            if old_users.get(id) != new_users.get(id) {
                self.changes.push(Change {
                    version,
                    object_id: (*id).to_owned(),
                    kind: Kind::User,
                    added_members: vec![],
                    removed_members: vec![],
                });
            }
        }
        let old_groups: HashMap<&str, &crate::model::Group> =
            old.groups.iter().map(|g| (g.id.as_str(), g)).collect();
        let new_groups: HashMap<&str, &crate::model::Group> =
            new.groups.iter().map(|g| (g.id.as_str(), g)).collect();
        for id in old_groups
            .keys()
            .chain(new_groups.keys())
            .collect::<std::collections::BTreeSet<_>>()
        {
            let (before, after) = (old_groups.get(id), new_groups.get(id));
            if before == after {
                continue;
            }
            let members = |g: Option<&&crate::model::Group>| -> HashSet<String> {
                g.map(|g| g.members.iter().cloned().collect())
                    .unwrap_or_default()
            };
            let (b, a) = (members(before), members(after));
            self.changes.push(Change {
                version,
                object_id: (*id).to_owned(),
                kind: Kind::Group,
                added_members: a.difference(&b).cloned().collect(),
                removed_members: b.difference(&a).cloned().collect(),
            });
        }
    }
}

/// State shared by every request handler.
#[derive(Debug, Clone)]
pub struct Shared(Arc<Inner>);

impl std::ops::Deref for Shared {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl Shared {
    /// Changes the tenant: validates the result and swaps in a new snapshot, so requests in
    /// flight keep the one they started with.
    pub fn mutate(
        &self,
        change: impl FnOnce(&mut Tenant) -> Result<(), String>,
    ) -> Result<(), String> {
        let mut slot = self
            .directory
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        let mut tenant = slot.tenant.clone();
        change(&mut tenant)?;
        tenant.validate()?;
        self.changes().record(&slot.tenant, &tenant);
        *slot = Arc::new(Directory::build(tenant));
        Ok(())
    }

    pub fn changes(&self) -> std::sync::MutexGuard<'_, ChangeLog> {
        self.changes.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Ends every refresh token issued to the user (by object ID or UPN) until now.
    pub fn revoke_refresh_tokens(&self, id_or_upn: &str) -> Result<(), EmulatorError> {
        let directory = self.directory();
        let id = directory
            .user(id_or_upn)
            .and_then(|u| u["id"].as_str())
            .ok_or_else(|| EmulatorError::UnknownUser(id_or_upn.to_owned()))?
            .to_owned();
        let now = self.clock.now();
        self.identity().revoked_before.insert(id, now);
        Ok(())
    }

    pub fn faults(&self) -> std::sync::MutexGuard<'_, Vec<crate::control::Fault>> {
        self.faults.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn request_log(
        &self,
    ) -> std::sync::MutexGuard<'_, VecDeque<crate::control::LoggedRequest>> {
        self.request_log
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    pub fn log_request(&self, entry: crate::control::LoggedRequest) {
        let mut log = self.request_log();
        if log.len() >= crate::control::LOG_CAP {
            log.pop_front();
        }
        log.push_back(entry);
    }

    /// Sign-ins, authorization codes and refresh tokens.
    pub fn identity(&self) -> std::sync::MutexGuard<'_, crate::identity::IdentityState> {
        self.identity.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether the login pages show the demo credentials and the current code.
    pub fn demo_hints(&self) -> bool {
        self.demo_hints
    }

    pub fn directory(&self) -> Arc<Directory> {
        Arc::clone(
            &self
                .directory
                .read()
                .unwrap_or_else(PoisonError::into_inner),
        )
    }

    pub fn base_url(&self) -> &str {
        self.base_url
            .get()
            .map(String::as_str)
            .unwrap_or("http://127.0.0.1")
    }

    /// A fresh GUID for request IDs and such (not reproducible: seeded from the clock).
    pub fn next_guid(&self) -> String {
        self.ids
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .guid()
    }
}

/// Why the emulator could not start.
#[derive(Debug, thiserror::Error)]
pub enum EmulatorError {
    #[error("the tenant is invalid: {0}")]
    InvalidTenant(String),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("the token signing key is unusable: {0}")]
    Keys(String),
    #[error("cannot set up TLS: {0}")]
    Tls(String),
    #[error("no user {0:?} in the tenant")]
    UnknownUser(String),
}

/// How to start an emulator.
#[derive(Debug, Clone)]
pub struct EmulatorConfig {
    pub tenant: Tenant,
    /// 0 picks a free port.
    pub port: u16,
    pub host: IpAddr,
    /// Show the demo credentials and the current second-factor code on the login pages (the
    /// offline demo); off for tests and for anything looking like a real tenant.
    pub demo_hints: bool,
    /// Serve https with a generated CA (see [`Emulator::ca_pem`]) instead of plain http.
    pub tls: bool,
}

impl EmulatorConfig {
    pub fn new(tenant: Tenant) -> Self {
        Self {
            tenant,
            port: 0,
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            demo_hints: false,
            tls: false,
        }
    }
}

/// A running emulator. Dropping it stops the server.
#[derive(Debug)]
pub struct Emulator {
    shared: Shared,
    addr: SocketAddr,
    ca_pem: Option<String>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Emulator {
    /// The shipped Contoso tenant (the offline demo's), without the demo's login-page hints:
    /// what most tests sign in to.
    pub async fn start_demo() -> Result<Self, EmulatorError> {
        let tenant = crate::demo_tenant().map_err(EmulatorError::InvalidTenant)?;
        Self::start(EmulatorConfig::new(tenant)).await
    }

    /// Binds, then serves in the background on the current tokio runtime.
    pub async fn start(config: EmulatorConfig) -> Result<Self, EmulatorError> {
        config
            .tenant
            .validate()
            .map_err(EmulatorError::InvalidTenant)?;
        let keys = SigningKeys::well_known().map_err(EmulatorError::Keys)?;
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(1);
        let shared = Shared(Arc::new(Inner {
            directory: RwLock::new(Arc::new(Directory::build(config.tenant))),
            identity: Mutex::new(crate::identity::IdentityState::default()),
            faults: Mutex::new(Vec::new()),
            changes: Mutex::new(ChangeLog {
                epoch: seed % 1_000_000_007,
                ..ChangeLog::default()
            }),
            request_log: Mutex::new(VecDeque::new()),
            demo_hints: config.demo_hints,
            keys,
            clock: Clock::default(),
            base_url: OnceLock::new(),
            ids: Mutex::new(Rng::new(seed)),
        }));
        let addr = SocketAddr::new(config.host, config.port);
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|source| EmulatorError::Bind { addr, source })?;
        let addr = listener
            .local_addr()
            .map_err(|source| EmulatorError::Bind { addr, source })?;
        let tls = if config.tls {
            Some(crate::tls::TlsMaterial::generate().map_err(EmulatorError::Tls)?)
        } else {
            None
        };
        let scheme = if tls.is_some() { "https" } else { "http" };
        let _ = shared.base_url.set(format!("{scheme}://{addr}"));
        let app = app(&shared);
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let ca_pem = tls.as_ref().map(|t| t.ca_pem.clone());
        match tls {
            Some(material) => {
                tokio::spawn(crate::tls::serve(listener, app, material, rx));
            }
            None => {
                tokio::spawn(async move {
                    let served = axum::serve(listener, app)
                        .with_graceful_shutdown(async {
                            let _ = rx.await;
                        })
                        .await;
                    if let Err(err) = served {
                        tracing::error!(error = %err, "emulator server stopped");
                    }
                });
            }
        }
        tracing::info!(base = %shared.base_url(), "entra emulator listening");
        Ok(Self {
            shared,
            addr,
            ca_pem,
            shutdown: Some(tx),
        })
    }

    /// `http://127.0.0.1:<port>`: the Graph root (`/v1.0/…`) and the identity host.
    pub fn base_url(&self) -> &str {
        self.shared.base_url()
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn tenant_id(&self) -> String {
        self.shared.directory().tenant.id.clone()
    }

    pub fn clock(&self) -> &Clock {
        &self.shared.clock
    }

    /// Test support: an access token for Microsoft Graph as the token endpoint issues it (v1
    /// shape: `aud` Graph, `scp`, `amr` with `mfa`, `wids`, `tid`, `oid`, `upn`).
    pub fn mint_access_token(
        &self,
        upn: &str,
        scopes: &[&str],
        lifetime_seconds: i64,
    ) -> Result<String, EmulatorError> {
        let directory = self.shared.directory();
        let user = directory
            .user(upn)
            .ok_or_else(|| EmulatorError::UnknownUser(upn.to_owned()))?;
        let tenant = &directory.tenant;
        let oid = user["id"].as_str().unwrap_or_default();
        let mut wids: Vec<String> = tenant
            .roles_of(oid)
            .into_iter()
            .map(str::to_owned)
            .collect();
        wids.push(roles::DEFAULT_MEMBER.to_owned());
        let now = self.shared.clock.now();
        let claims = json!({
            "aud": "https://graph.microsoft.com",
            "iss": format!("https://sts.windows.net/{}/", tenant.id),
            "iat": now, "nbf": now, "exp": now + lifetime_seconds,
            "amr": ["pwd", "mfa"],
            "appid": tenant.applications.first().map(|a| a.client_id.as_str()).unwrap_or_default(),
            "idtyp": "user",
            "name": user["displayName"],
            "oid": oid,
            "scp": scopes.join(" "),
            "sub": oid,
            "tid": tenant.id,
            "unique_name": user["userPrincipalName"],
            "upn": user["userPrincipalName"],
            "uti": self.shared.next_guid(),
            "ver": "1.0",
            "wids": wids,
        });
        Ok(self.shared.keys.sign(&claims))
    }

    /// With TLS: the PEM of the CA that signed the server certificate, for clients to trust.
    pub fn ca_pem(&self) -> Option<&str> {
        self.ca_pem.as_deref()
    }

    /// The authority URL for a tenant segment (GUID, domain, `organizations`, `common`).
    pub fn authority(&self) -> String {
        format!("{}/{}", self.base_url(), self.tenant_id())
    }

    /// Revokes every refresh token issued to the user so far (what "Revoke sessions" does).
    pub fn revoke_refresh_tokens(&self, upn: &str) -> Result<(), EmulatorError> {
        self.shared.revoke_refresh_tokens(upn)
    }

    /// Stops accepting requests and lets in-flight ones finish.
    pub fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}
