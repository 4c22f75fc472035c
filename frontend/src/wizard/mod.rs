//! The Azure AD Synchronization wizard: the state the steps share, and the commands on it
//! that several steps run (signing in, cancelling a sign-in, listing the directory).
//!
//! One file per step (`organization/`, `signin`, `objects`, `preview` with `conflicts`, `deleted`,
//! `synchronize`, `results`) and for the frame around them (`frame`); their rules are plain
//! Rust in `flow` (step order), `connect` (the New… form) and `select` (step 3's model).

mod conflicts;
mod connect;
mod deleted;
mod flow;
mod frame;
mod list_view;
mod listing;
mod objects;
mod organization;
mod outcomes;
mod preview;
mod results;
mod saved;
mod scope_panel;
mod select;
mod signin;
mod synchronize;

use crate::ipc;
use aadsync_ipc::{
    AttemptRef, CancelSignIn, CancelStartingSignIn, ConnectedOrganization, FlowRef, IpcError,
    SignInMethod, SignInRequest, SignInStarted, SignInTarget, StartSignIn,
};
use aadsync_ipc::{NewOrganization, RegistrationPreview, RegistrationRequest, StartRegistration};
use flow::Flow;
pub use frame::WizardFrame;
use leptos::prelude::*;

/// How the wizard opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WizardStart {
    /// At step 1.
    Organization,
    /// Straight into signing in to the offline demo tenant (the empty state's one click).
    Demo,
}

/// What the steps share, through a context.
///
/// The steps' commands keep running when the admin closes the wizard (the backend finishes
/// what it started); their writes to these signals are then dropped, because a disposed
/// signal ignores `set` and `update`.
#[derive(Clone, Copy)]
pub struct Wizard {
    pub flow: RwSignal<Flow>,
    /// The current step's content allows Next.
    pub ready: RwSignal<bool>,
    /// What step 2 signs in to, and the running sign-in if one was started.
    pub target: RwSignal<Option<SignInTarget>>,
    pub started: RwSignal<Option<SignInStarted>>,
    /// Why step 2 is shown for a stored organization (its saved sign-in is gone).
    pub notice: RwSignal<Option<String>>,
    pub connected: RwSignal<Option<ConnectedOrganization>>,
    /// Stops a running sign-in (Back, Cancel, closing the wizard, a new sign-in).
    pub cancel_flow: Action<u64, Result<(), IpcError>>,
    /// Step 3: the loaded rows and what is checked.
    pub select: RwSignal<select::SelectModel>,
    /// Step 3: lists the directory (Search now); see [`listing`].
    pub listing: Action<String, Result<(), IpcError>>,
    pub members: RwSignal<bool>,
    pub nested: RwSignal<bool>,
    /// Step 3: the organization's saved scope, and the admin's changes to it.
    pub saved: RwSignal<saved::SavedScope>,
    pub preview: RwSignal<Option<aadsync_ipc::SyncPreview>>,
    pub result: RwSignal<Option<aadsync_ipc::SyncResult>>,
    /// Step 5: the admin's action per deleted object, and the mass-deletion confirmation.
    pub decisions: RwSignal<Vec<aadsync_ipc::DeletedDecision>>,
    pub confirm_mass: RwSignal<bool>,
    /// Step 5: users deleted on this server to import again.
    pub reimport: RwSignal<Vec<String>>,
    /// Step 4: how the preview's account-name conflicts are resolved (unnamed: skipped).
    pub resolutions: RwSignal<Vec<aadsync_ipc::ConflictDecision>>,
    /// Bumped when the database changed, so the Users area reloads.
    pub data_changed: RwSignal<u32>,
    /// Why the Preview is shown again: Synchronize found the database changed since the
    /// previous preview (another synchronization or undo, perhaps from the command line).
    pub replanned: RwSignal<Option<String>>,
    /// Step 6: the synchronization being written, while it runs.
    pub running_job: RwSignal<Option<u64>>,
    /// Closing the wizard (Cancel, ✕, Escape) while a synchronization runs asks first.
    pub closing: RwSignal<Closing>,
    /// Closing the wizard would lose the selection: the frame asks first.
    pub discard_asked: RwSignal<bool>,
    /// The number of the last sign-in attempt, for Cancel before its start has answered.
    pub attempt: RwSignal<u64>,
}

/// Where a request to close the wizard during a synchronization stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Closing {
    #[default]
    No,
    /// The Synchronize step asks: stop the run (nothing is written), or keep it running.
    Asked,
    /// The run was asked to stop; the wizard closes when it has ended.
    Stopping,
    /// The administrator closes the wizard and lets the run finish; the Users area shows it.
    Background,
}

impl Wizard {
    /// A wizard at step 1 with nothing chosen yet.
    fn new(data_changed: RwSignal<u32>) -> Self {
        let connected = RwSignal::new(None);
        let select = RwSignal::new(select::SelectModel::default());
        // The listing job whose pages are being read; a newer Search now replaces it.
        let listing_job = RwSignal::new(None);
        Wizard {
            flow: RwSignal::new(Flow::default()),
            ready: RwSignal::new(false),
            target: RwSignal::new(None),
            started: RwSignal::new(None),
            notice: RwSignal::new(None),
            connected,
            cancel_flow: Action::new_unsync(|flow: &u64| {
                let flow = FlowRef { flow: *flow };
                async move { ipc::call::<CancelSignIn>(&flow).await }
            }),
            select,
            listing: listing::action(connected, select, listing_job),
            members: RwSignal::new(true),
            nested: RwSignal::new(false),
            saved: RwSignal::new(saved::SavedScope::default()),
            preview: RwSignal::new(None),
            result: RwSignal::new(None),
            decisions: RwSignal::new(Vec::new()),
            confirm_mass: RwSignal::new(false),
            reimport: RwSignal::new(Vec::new()),
            resolutions: RwSignal::new(Vec::new()),
            data_changed,
            replanned: RwSignal::new(None),
            running_job: RwSignal::new(None),
            closing: RwSignal::new(Closing::No),
            discard_asked: RwSignal::new(false),
            attempt: RwSignal::new(0),
        }
    }

    /// Starts a sign-in; on success moves to step 2, which waits for it.
    pub async fn start_sign_in(
        self,
        target: SignInTarget,
        method: SignInMethod,
    ) -> Result<(), IpcError> {
        // Unique enough within this app run: milliseconds since 1970, then a counter.
        let attempt = (js_sys::Date::now() as u64)
            .wrapping_mul(1000)
            .wrapping_add(self.attempt.get_untracked() % 1000 + 1);
        self.attempt.set(attempt);
        let started = ipc::call::<StartSignIn>(&SignInRequest {
            target: target.clone(),
            method,
            attempt,
        })
        .await?;
        // After admin consent the application is in the tenant: signing in again (a retry,
        // the device code) uses its client ID and does not ask for consent again.
        let target = match (target, &started.consented_client_id) {
            (SignInTarget::New(mut new), Some(client_id)) => {
                new.add_publisher_app = false;
                new.client_id = client_id.clone();
                SignInTarget::New(new)
            }
            (target, _) => target,
        };
        self.target.set(Some(target));
        self.started.set(Some(started));
        self.connected.set(None);
        self.flow.update(Flow::show_sign_in);
        Ok(())
    }

    /// "Register aadsync in my tenant": the bootstrap sign-in in the browser, answering with
    /// the preview once an administrator signed in; Cancel stops it like a starting sign-in
    /// ([`Wizard::cancel_starting`]), by the attempt number set here.
    pub async fn start_registration(
        self,
        new: NewOrganization,
    ) -> Result<RegistrationPreview, IpcError> {
        // As in `start_sign_in`: unique enough within this app run.
        let attempt = (js_sys::Date::now() as u64)
            .wrapping_mul(1000)
            .wrapping_add(self.attempt.get_untracked() % 1000 + 1);
        self.attempt.set(attempt);
        ipc::call::<StartRegistration>(&RegistrationRequest { new, attempt }).await
    }

    /// The connected organization's id.
    pub fn organization(self) -> Option<i64> {
        self.connected
            .with_untracked(|c| c.as_ref().map(|c| c.organization.id))
    }

    /// Stops the running sign-in, if any (Back, Cancel, closing the wizard).
    pub fn cancel_sign_in(self) {
        if let Some(started) = self.started.try_update(Option::take).flatten() {
            self.cancel_flow.dispatch(started.flow);
        } else {
            self.cancel_starting();
        }
    }

    /// Stops a sign-in that has not started yet (the tenant's endpoints or a device code are
    /// still being asked for): its `start_sign_in` answers `SignInCancelled`.
    pub fn cancel_starting(self) {
        let attempt = AttemptRef {
            attempt: self.attempt.get_untracked(),
        };
        leptos::task::spawn_local(async move {
            if let Err(err) = ipc::call::<CancelStartingSignIn>(&attempt).await {
                leptos::logging::warn!("cancelling the starting sign-in failed: {err}");
            }
        });
    }
}
