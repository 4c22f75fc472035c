//! Sign-ins in progress and connected organizations, kept between the wizard's calls.
//!
//! `start_sign_in` registers a flow (a cancel switch and the eventual outcome) under a number;
//! `finish_sign_in` waits for that outcome; `cancel_sign_in` flips the switch. Connected
//! organizations keep their live session here (access tokens stay in this process's memory).

use aadsync_directory::auth::admin::AdminPolicy;
use aadsync_ipc::IpcError;
use aadsync_keystore::TokenStore;
use aadsync_sync::Connected;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use tokio::sync::oneshot;

pub type Outcome = Result<aadsync_ipc::ConnectedOrganization, IpcError>;

#[derive(Debug)]
struct Flow {
    cancel: Option<oneshot::Sender<()>>,
    outcome: Option<oneshot::Receiver<Outcome>>,
    /// `start_sign_in` has answered with the flow's number; until then only
    /// [`SignIns::cancel_starting`] reaches it, by the wizard's attempt number.
    started: bool,
    attempt: u64,
}

/// Attempts cancelled before their start arrived, remembered this many at most.
const EARLY_CANCELS: usize = 32;

#[derive(Debug)]
pub struct SignIns {
    pub tokens: TokenStore,
    pub policy: AdminPolicy,
    next: AtomicU64,
    flows: Mutex<HashMap<u64, Flow>>,
    /// Attempts whose cancel came before their `start_sign_in` registered them.
    early_cancels: Mutex<Vec<u64>>,
    connected: Mutex<HashMap<i64, Connected>>,
}

impl Default for SignIns {
    fn default() -> Self {
        Self {
            tokens: TokenStore::platform(),
            policy: AdminPolicy::default(),
            next: AtomicU64::new(1),
            flows: Mutex::new(HashMap::new()),
            early_cancels: Mutex::new(Vec::new()),
            connected: Mutex::new(HashMap::new()),
        }
    }
}

impl SignIns {
    /// Registers a flow for the wizard's `attempt`; returns its number, the cancel signal and
    /// where to send the outcome. An attempt cancelled before it arrived starts cancelled.
    pub fn register(&self, attempt: u64) -> (u64, oneshot::Receiver<()>, oneshot::Sender<Outcome>) {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let (cancel_tx, cancel_rx) = oneshot::channel();
        let (outcome_tx, outcome_rx) = oneshot::channel();
        let mut early = self
            .early_cancels
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let cancelled = attempt != 0 && early.contains(&attempt);
        early.retain(|a| *a != attempt);
        let mut flow = Flow {
            cancel: Some(cancel_tx),
            outcome: Some(outcome_rx),
            started: false,
            attempt,
        };
        if cancelled && let Some(cancel) = flow.cancel.take() {
            let _ = cancel.send(());
        }
        self.flows
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id, flow);
        (id, cancel_rx, outcome_tx)
    }

    /// The outcome to wait for; `None` for an unknown or already finished flow.
    pub fn take_outcome(&self, id: u64) -> Option<oneshot::Receiver<Outcome>> {
        self.flows
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get_mut(&id)
            .and_then(|f| f.outcome.take())
    }

    pub fn cancel(&self, id: u64) {
        let flow = self
            .flows
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&id);
        if let Some(cancel) = flow.and_then(|mut f| f.cancel.take()) {
            let _ = cancel.send(());
        }
    }

    /// The flow's number is about to reach the wizard, which cancels it by number from now on.
    pub fn started(&self, id: u64) {
        if let Some(flow) = self
            .flows
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get_mut(&id)
        {
            flow.started = true;
        }
    }

    /// Cancels the wizard's `attempt` while it is still starting (the wizard has no flow
    /// number for it yet); an attempt not registered yet is cancelled when it arrives.
    pub fn cancel_starting(&self, attempt: u64) {
        // Held across both steps, so a `register` in between cannot miss the cancel.
        let mut early = self
            .early_cancels
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let mut flows = self.flows.lock().unwrap_or_else(PoisonError::into_inner);
        match flows
            .values_mut()
            .find(|f| f.attempt == attempt && attempt != 0)
        {
            Some(flow) if !flow.started => {
                if let Some(cancel) = flow.cancel.take() {
                    let _ = cancel.send(());
                }
            }
            // Started: the wizard cancels it by its flow number.
            Some(_) => {}
            None if attempt != 0 => {
                if early.len() >= EARLY_CANCELS {
                    early.remove(0);
                }
                early.push(attempt);
            }
            None => {}
        }
    }

    pub fn forget_flow(&self, id: u64) {
        self.flows
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&id);
    }

    pub fn connected(&self, connected: Connected) {
        self.connected
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(connected.organization.id.0, connected);
    }

    /// The live session of a connected organization.
    pub fn session(&self, org: i64) -> Option<Connected> {
        self.connected
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&org)
            .cloned()
    }

    /// Who an undo or a reversed decision is recorded as: the administrator signed in to the
    /// tenant in this session, else the operating-system account.
    pub fn actor(&self, tenant_id: Option<&str>) -> String {
        tenant_id
            .and_then(|t| self.admin_of_tenant(t))
            .or_else(|| std::env::var("USER").ok())
            .unwrap_or_else(|| "aadsync".into())
    }

    /// The administrator signed in to a tenant in this session, if any.
    pub fn admin_of_tenant(&self, tenant_id: &str) -> Option<String> {
        self.connected
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
            .find(|c| c.organization.tenant_id.eq_ignore_ascii_case(tenant_id))
            .map(|c| c.account.upn.clone())
    }

    pub fn disconnect(&self, org: i64) {
        self.connected
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&org);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cancel_reaches_its_attempt_before_during_and_never_after_the_start() {
        let signins = SignIns::default();
        // The cancel arrives first (two IPC calls race): the start begins cancelled.
        signins.cancel_starting(7);
        let (_, mut early, _) = signins.register(7);
        assert_eq!(early.try_recv(), Ok(()));
        // While starting.
        let (_, mut starting, _) = signins.register(8);
        signins.cancel_starting(8);
        assert_eq!(starting.try_recv(), Ok(()));
        // Started: only its flow number cancels it.
        let (flow, mut started, _) = signins.register(9);
        signins.started(flow);
        signins.cancel_starting(9);
        assert!(matches!(
            started.try_recv(),
            Err(oneshot::error::TryRecvError::Empty)
        ));
        signins.cancel(flow);
        assert_eq!(started.try_recv(), Ok(()));
        // Another attempt is untouched, and an early cancel is used once.
        let (_, mut other, _) = signins.register(7);
        assert!(matches!(
            other.try_recv(),
            Err(oneshot::error::TryRecvError::Empty)
        ));
    }
}
