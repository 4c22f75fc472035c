//! The wizard's modal frame: the step list, the current step, and Back / Next / Cancel.

use super::connect::NewOrgForm;
use super::flow::{Flow, Step};
use super::{Closing, Wizard, WizardStart};
use super::{deleted, objects, organization, preview, results, signin, synchronize};
use crate::components::dialog::Dialog;
use crate::components::error::{ErrorMessage, failure};
use crate::components::focus::focus_later;
use aadsync_ipc::{SignInMethod, SignInTarget};
use leptos::prelude::*;

/// The wizard.
///
/// - `on_close`: Cancel, Close, Escape (a running sign-in is cancelled first).
/// - `start`: where it opens.
/// - `data_changed`: bumped when a synchronization wrote to the database.
#[component]
pub fn WizardFrame(
    #[prop(into)] on_close: Callback<()>,
    #[prop(default = WizardStart::Organization)] start: WizardStart,
    data_changed: RwSignal<u32>,
    /// Where a synchronization left to finish in the background is handed over.
    background: RwSignal<Option<u64>>,
) -> impl IntoView {
    let wizard = Wizard::new(data_changed);
    provide_context(wizard);
    let flow = wizard.flow;
    let current = Memo::new(move |_| flow.with(Flow::current));
    let close = closing(wizard, current, on_close, background);
    // Step 1 handles its own Next (it may sign in silently first).
    let next_handler: RwSignal<Option<Callback<()>>> = RwSignal::new(None);
    provide_context(next_handler);
    let demo = Action::new_unsync(move |()| {
        let target = SignInTarget::New(NewOrgForm::demo());
        wizard.start_sign_in(target, SignInMethod::Browser)
    });
    if start == WizardStart::Demo {
        demo.dispatch(());
    }

    view! {
        <Dialog id="wizard" title="Azure AD Synchronization" on_close=close wide=true>
            <div class="wizard">
                <ol class="wizard-steps" aria-label="Steps">
                    {move || step_list(flow, current.get())}
                </ol>
                <section class="wizard-page" id="wizard-page" aria-labelledby="wizard-step-title">
                    <h3 id="wizard-step-title" tabindex="-1">{move || current.get().title()}</h3>
                    <ErrorMessage id="wizard-demo-error" message=failure(demo) />
                    {move || step_body(current.get())}
                </section>
            </div>
            {discard_question(wizard, close)}
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
                    {move || flow.with(Flow::next_label)}
                </button>
                <button id="wizard-cancel" on:click=move |_| close.run(())>
                    {move || if current.get() == Step::Results { "Close" } else { "Cancel" }}
                </button>
            </div>
        </Dialog>
    }
}

/// Asked when closing would lose the selection: close anyway (the same close again) or keep.
fn discard_question(wizard: Wizard, close: Callback<()>) -> impl IntoView {
    let what = move || {
        let (users, groups) = wizard.select.with(|m| m.counts());
        super::select::plural(users, groups)
    };
    view! {
        <Show when=move || wizard.discard_asked.get()>
            <div class="notice" id="wizard-discard-question" role="alertdialog" aria-labelledby="wizard-discard-text">
                <p id="wizard-discard-text">
                    {move || format!("Close the wizard? The selection ({}) is not synchronized and will be lost.", what())}
                </p>
                <button id="wizard-discard" on:click=move |_| close.run(())>"Close and lose the selection"</button>
                <button id="wizard-keep" on:click=move |_| wizard.discard_asked.set(false)>"Keep working"</button>
            </div>
        </Show>
    }
}

/// Cancel, ✕ and Escape: closes the wizard, unless a synchronization is being written or the
/// selection would be lost, which ask first; and the effects that finish what they asked.
fn closing(
    wizard: Wizard,
    current: Memo<Step>,
    on_close: Callback<()>,
    background: RwSignal<Option<u64>>,
) -> Callback<()> {
    let flow = wizard.flow;
    let close = Callback::new(move |()| {
        // A synchronization being written is not left running unseen: the step asks first.
        if wizard.running_job.get_untracked().is_some() {
            if wizard.closing.get_untracked() == Closing::No {
                wizard.closing.set(Closing::Asked);
            }
            return;
        }
        let losing = matches!(
            flow.with_untracked(Flow::current),
            Step::SelectObjects | Step::Preview | Step::DeletedObjects
        ) && wizard.select.with_untracked(|m| m.counts() != (0, 0));
        if losing && !wizard.discard_asked.get_untracked() {
            wizard.discard_asked.set(true);
            return;
        }
        wizard.discard_asked.set(false);
        wizard.cancel_sign_in();
        on_close.run(());
    });
    // A question about closing is about the step it was asked on. A new step takes the focus
    // to its title, so it never falls to the page when the button pressed becomes disabled.
    Effect::new(move |first: Option<()>| {
        current.track();
        wizard.discard_asked.set(false);
        if first.is_some() {
            focus_later("wizard-step-title");
        }
    });
    // "Stop and close": the wizard closes once the run has ended (rolled back, or finished
    // before the stop reached it). "Finish in the background": the Users area follows it.
    Effect::new(move |_| match wizard.closing.get() {
        Closing::Stopping if wizard.running_job.get().is_none() => {
            wizard.closing.set(Closing::No);
            on_close.run(());
        }
        Closing::Background => {
            background.set(wizard.running_job.get_untracked());
            wizard.closing.set(Closing::No);
            on_close.run(());
        }
        _ => {}
    });
    close
}

/// The numbered steps of this run of the wizard, the current one marked.
fn step_list(flow: RwSignal<Flow>, now: Step) -> impl IntoView {
    flow.with(Flow::steps)
        .into_iter()
        .enumerate()
        .map(|(i, step)| {
            let state = if step == now { "current" } else { "" };
            view! {
                <li class=state aria-current=(step == now).then_some("step")>
                    <span class="step-number">{i + 1}</span>
                    {step.title()}
                </li>
            }
        })
        .collect_view()
}

fn step_body(step: Step) -> AnyView {
    match step {
        Step::Organization => view! { <organization::OrganizationStep /> }.into_any(),
        Step::SignIn => view! { <signin::SignInStep /> }.into_any(),
        Step::SelectObjects => view! { <objects::SelectObjectsStep /> }.into_any(),
        Step::Preview => view! { <preview::PreviewStep /> }.into_any(),
        Step::DeletedObjects => view! { <deleted::DeletedObjectsStep /> }.into_any(),
        Step::Synchronize => view! { <synchronize::SynchronizeStep /> }.into_any(),
        Step::Results => view! { <results::ResultsStep /> }.into_any(),
    }
}
