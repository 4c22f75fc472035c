//! The Azure AD Synchronization wizard: the modal frame, its step list and navigation, and the
//! state the steps share.

mod connect;
mod flow;
mod objects;
mod organization;
mod run;
mod select;
mod signin;

use crate::components::dialog::Dialog;
use crate::ipc;
use aadsync_ipc::{
    CancelSignIn, ConnectedOrganization, FlowRef, SignInMethod, SignInRequest, SignInStarted,
    SignInTarget, StartSignIn,
};
use flow::{Flow, Step};
use leptos::prelude::*;
use leptos::task::spawn_local;

/// How the wizard opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WizardStart {
    /// At step 1.
    Organization,
    /// Straight into signing in to the offline demo tenant (the empty state's one click).
    Demo,
}

/// What the steps share, through a context.
#[derive(Debug, Clone, Copy)]
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
    /// Step 3: the loaded rows and what is checked; the running listing; its state.
    pub select: RwSignal<select::SelectModel>,
    pub listing_job: RwSignal<Option<u64>>,
    pub loading: RwSignal<bool>,
    pub listing_error: RwSignal<Option<String>>,
    pub members: RwSignal<bool>,
    pub nested: RwSignal<bool>,
    pub preview: RwSignal<Option<aadsync_ipc::SyncPreview>>,
    pub result: RwSignal<Option<aadsync_ipc::SyncResult>>,
    /// Step 5: the admin's action per deleted object, and the mass-deletion confirmation.
    pub decisions: RwSignal<Vec<aadsync_ipc::DeletedDecision>>,
    pub confirm_mass: RwSignal<bool>,
    /// Step 5: users deleted on this server to import again.
    pub reimport: RwSignal<Vec<String>>,
    /// Bumped when the database changed, so the Users area reloads.
    pub data_changed: RwSignal<u32>,
}

impl Wizard {
    /// Starts a sign-in; on success moves to step 2, which waits for it.
    pub async fn start_sign_in(
        self,
        target: SignInTarget,
        method: SignInMethod,
    ) -> Result<(), aadsync_ipc::IpcError> {
        let started = ipc::call::<StartSignIn>(&SignInRequest {
            target: target.clone(),
            method,
        })
        .await?;
        let _ = self.target.try_set(Some(target));
        let _ = self.started.try_set(Some(started));
        let _ = self.connected.try_set(None);
        let _ = self.flow.try_update(Flow::show_sign_in);
        Ok(())
    }

    /// The connected organization's id.
    pub fn organization(self) -> Option<i64> {
        self.connected
            .with_untracked(|c| c.as_ref().map(|c| c.organization.id))
    }

    /// Stops the running sign-in, if any (Back, Cancel, closing the wizard).
    pub fn cancel_sign_in(self) {
        if let Some(started) = self.started.try_update(Option::take).flatten() {
            spawn_local(async move {
                let _ = ipc::call::<CancelSignIn>(&FlowRef { flow: started.flow }).await;
            });
        }
    }
}

#[component]
pub fn WizardFrame(
    #[prop(into)] on_close: Callback<()>,
    #[prop(default = WizardStart::Organization)] start: WizardStart,
    data_changed: RwSignal<u32>,
) -> impl IntoView {
    let wizard = Wizard {
        flow: RwSignal::new(Flow::default()),
        ready: RwSignal::new(false),
        target: RwSignal::new(None),
        started: RwSignal::new(None),
        notice: RwSignal::new(None),
        connected: RwSignal::new(None),
        select: RwSignal::new(select::SelectModel::default()),
        listing_job: RwSignal::new(None),
        loading: RwSignal::new(false),
        listing_error: RwSignal::new(None),
        members: RwSignal::new(true),
        nested: RwSignal::new(false),
        preview: RwSignal::new(None),
        result: RwSignal::new(None),
        decisions: RwSignal::new(Vec::new()),
        confirm_mass: RwSignal::new(false),
        reimport: RwSignal::new(Vec::new()),
        data_changed,
    };
    provide_context(wizard);
    let flow = wizard.flow;
    let current = Memo::new(move |_| flow.with(Flow::current));
    let close = Callback::new(move |()| {
        wizard.cancel_sign_in();
        on_close.run(());
    });
    // Step 1 handles its own Next (it may sign in silently first).
    let next_handler: RwSignal<Option<Callback<()>>> = RwSignal::new(None);
    provide_context(next_handler);
    let demo_error = RwSignal::new(None::<String>);
    if start == WizardStart::Demo {
        spawn_local(async move {
            let target = SignInTarget::New(connect::NewOrgForm::demo());
            if let Err(err) = wizard.start_sign_in(target, SignInMethod::Browser).await {
                let _ = demo_error.try_set(Some(err.message));
            }
        });
    }

    view! {
        <Dialog id="wizard" title="Azure AD Synchronization" on_close=close wide=true>
            <div class="wizard">
                <ol class="wizard-steps" aria-label="Steps">
                    {move || {
                        let now = current.get();
                        flow.with(Flow::steps)
                            .into_iter()
                            .enumerate()
                            .map(|(i, step)| {
                                let state = if step == now { "current" } else { "" };
                                view! {
                                    <li
                                        class=state
                                        aria-current=(step == now).then_some("step")
                                    >
                                        <span class="step-number">{i + 1}</span>
                                        {step.title()}
                                    </li>
                                }
                            })
                            .collect_view()
                    }}
                </ol>
                <section class="wizard-page" aria-live="polite" id="wizard-page">
                    <h3 id="wizard-step-title">{move || current.get().title()}</h3>
                    <Show when=move || demo_error.with(Option::is_some)>
                        <p class="error" role="alert" id="wizard-demo-error">
                            {move || demo_error.get()}
                        </p>
                    </Show>
                    {move || step_body(current.get())}
                </section>
            </div>
            <div class="dialog-buttons">
                <button
                    id="wizard-back"
                    disabled=move || !flow.with(Flow::can_go_back)
                    on:click=move |_| {
                        wizard.cancel_sign_in();
                        wizard.ready.set(false);
                        flow.update(|f| {
                            f.back();
                        });
                    }
                >
                    "< Back"
                </button>
                <button
                    id="wizard-next"
                    class="primary"
                    disabled=move || !wizard.ready.get()
                    on:click=move |_| {
                        if let Some(handler) = next_handler.get_untracked() {
                            handler.run(());
                            return;
                        }
                        flow.update(|f| {
                            f.next();
                        });
                        wizard.ready.set(false);
                    }
                >
                    "Next >"
                </button>
                <button id="wizard-cancel" on:click=move |_| close.run(())>
                    {move || if current.get() == Step::Results { "Close" } else { "Cancel" }}
                </button>
            </div>
        </Dialog>
    }
}

fn step_body(step: Step) -> AnyView {
    match step {
        Step::Organization => view! { <organization::OrganizationStep /> }.into_any(),
        Step::SignIn => view! { <signin::SignInStep /> }.into_any(),
        Step::SelectObjects => view! { <objects::SelectObjectsStep /> }.into_any(),
        Step::Preview => view! { <run::PreviewStep /> }.into_any(),
        Step::DeletedObjects => view! { <run::DeletedObjectsStep /> }.into_any(),
        Step::Synchronize => view! { <run::SynchronizeStep /> }.into_any(),
        Step::Results => view! { <run::ResultsStep /> }.into_any(),
    }
}
