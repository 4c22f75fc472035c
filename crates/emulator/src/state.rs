//! The state every request handler shares: the current directory snapshot, the change log,
//! identity state, signing keys and clock (and, with `control`, faults and the request log).

use crate::changes::ChangeLog;
use crate::clock::Clock;
use crate::directory::Directory;
use crate::error::EmulatorError;
#[cfg(feature = "control")]
use crate::faults::{Fault, LOG_CAP, LoggedRequest};
use crate::generate::Rng;
use crate::keys::SigningKeys;
use crate::model::Tenant;
use crate::quirks::{ExpiredCount, GraphQuirks};
use crate::registrations::Registrations;
use crate::sign_in::IdentityState;
#[cfg(feature = "control")]
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError, RwLock};

#[derive(Debug)]
pub struct Inner {
    directory: RwLock<Arc<Directory>>,
    identity: Mutex<IdentityState>,
    registrations: Mutex<Registrations>,
    #[cfg(feature = "control")]
    faults: Mutex<Vec<Fault>>,
    changes: Mutex<ChangeLog>,
    #[cfg(feature = "control")]
    request_log: Mutex<VecDeque<LoggedRequest>>,
    demo_hints: bool,
    pub limited_information: LimitedInformation,
    pub keys: SigningKeys,
    pub clock: Clock,
    base_url: OnceLock<String>,
    ids: Mutex<Rng>,
    pub quirks: GraphQuirks,
    pub expired_answers: ExpiredCount,
    /// Resource units spent per application (`budget`, `graph::throttle`).
    pub budgets: crate::budget::Budgets,
}

/// How Graph answers a relationship (`memberOf`, `transitiveMemberOf`) listing directory
/// objects of a type the token may not read: Microsoft Learn, "Limited information returned
/// for inaccessible member objects".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LimitedInformation {
    /// As documented: only `id` and `@odata.type`, every other property null.
    #[default]
    Strict,
    /// As some field reports describe it: `roleTemplateId` survives, the rest is null.
    KeepRoleTemplateId,
    /// Every object in full whatever the token may read (for unit tests that need it; never
    /// the demo or the app's end-to-end tests).
    Lenient,
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
    /// State for a new emulator serving `tenant` (already validated).
    pub fn new(
        tenant: Tenant,
        keys: SigningKeys,
        demo_hints: bool,
        limited_information: LimitedInformation,
        quirks: GraphQuirks,
    ) -> Self {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(1);
        let publisher = (
            crate::demo::publisher_application(),
            crate::demo::PUBLISHER_TENANT_ID.to_owned(),
        );
        let registrations = Registrations::seed(&tenant, &[publisher]);
        Self(Arc::new(Inner {
            directory: RwLock::new(Arc::new(Directory::build(tenant, 0))),
            identity: Mutex::new(IdentityState::default()),
            registrations: Mutex::new(registrations),
            #[cfg(feature = "control")]
            faults: Mutex::new(Vec::new()),
            changes: Mutex::new(ChangeLog {
                epoch: seed % 1_000_000_007,
                ..ChangeLog::default()
            }),
            #[cfg(feature = "control")]
            request_log: Mutex::new(VecDeque::new()),
            demo_hints,
            limited_information,
            keys,
            clock: Clock::default(),
            base_url: OnceLock::new(),
            ids: Mutex::new(Rng::new(seed)),
            quirks,
            expired_answers: ExpiredCount::default(),
            budgets: Default::default(),
        }))
    }

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
        let version = self.changes().record(&slot.tenant, &tenant);
        *slot = Arc::new(Directory::build(tenant, version));
        Ok(())
    }

    pub fn changes(&self) -> MutexGuard<'_, ChangeLog> {
        self.changes.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Ends every refresh token issued to the user (by object ID or UPN) until now.
    pub fn revoke_refresh_tokens(&self, id_or_upn: &str) -> Result<(), EmulatorError> {
        let directory = self.directory();
        let id = directory
            .user(id_or_upn)
            .map(|u| u.id())
            .ok_or_else(|| EmulatorError::UnknownUser(id_or_upn.to_owned()))?
            .to_owned();
        let now = self.clock.now();
        self.identity().revoked_before.insert(id, now);
        Ok(())
    }

    #[cfg(feature = "control")]
    pub fn faults(&self) -> MutexGuard<'_, Vec<Fault>> {
        self.faults.lock().unwrap_or_else(PoisonError::into_inner)
    }

    #[cfg(feature = "control")]
    pub fn request_log(&self) -> MutexGuard<'_, VecDeque<LoggedRequest>> {
        self.request_log
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    #[cfg(feature = "control")]
    pub fn log_request(&self, entry: LoggedRequest) {
        let mut log = self.request_log();
        if log.len() >= LOG_CAP {
            log.pop_front();
        }
        log.push_back(entry);
    }

    /// Sign-ins, authorization codes and refresh tokens.
    pub fn identity(&self) -> MutexGuard<'_, IdentityState> {
        self.identity.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// App registrations, service principals and permission grants.
    pub fn registrations(&self) -> MutexGuard<'_, Registrations> {
        self.registrations
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
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

    /// Set once, when the listener is bound (the port is only known then).
    pub fn set_base_url(&self, url: String) {
        let _ = self.base_url.set(url);
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
