//! The Azure AD Synchronization wizard: the modal frame, its step list and navigation.

mod flow;

use crate::components::dialog::Dialog;
use flow::{Flow, Step};
use leptos::prelude::*;

#[component]
pub fn WizardFrame(#[prop(into)] on_close: Callback<()>) -> impl IntoView {
    let flow = RwSignal::new(Flow::default());
    // A step is ready for Next once its own content says so; the steps fill this in.
    let ready = RwSignal::new(false);
    let current = move || flow.with(Flow::current);

    view! {
        <Dialog id="wizard" title="Azure AD Synchronization" on_close=on_close wide=true>
            <div class="wizard">
                <ol class="wizard-steps" aria-label="Steps">
                    {move || {
                        let now = current();
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
                    <h3 id="wizard-step-title">{move || current().title()}</h3>
                    {move || step_body(current())}
                </section>
            </div>
            <div class="dialog-buttons">
                <button
                    id="wizard-back"
                    disabled=move || !flow.with(Flow::can_go_back)
                    on:click=move |_| {
                        flow.update(|f| {
                            f.back();
                        })
                    }
                >
                    "< Back"
                </button>
                <button
                    id="wizard-next"
                    class="primary"
                    disabled=move || !ready.get()
                    on:click=move |_| {
                        flow.update(|f| {
                            f.next();
                        });
                        ready.set(false);
                    }
                >
                    "Next >"
                </button>
                <button id="wizard-cancel" on:click=move |_| on_close.run(())>
                    "Cancel"
                </button>
            </div>
        </Dialog>
    }
}

fn step_body(step: Step) -> AnyView {
    match step {
        Step::Organization => view! {
            <div class="step-organization">
                <p>"Choose the Microsoft Entra ID tenant to synchronize from. aadsync signs in as an administrator of that tenant through an app registration of your own:"</p>
                <ul class="requirements">
                    <li>"Platform "<strong>"Mobile and desktop applications"</strong>" with the redirect URI "<code>"http://localhost"</code>", and "<strong>"Allow public client flows"</strong>" turned on."</li>
                    <li>"Delegated Microsoft Graph permissions "<code>"User.Read.All"</code>" and "<code>"GroupMember.Read.All"</code>" (or "<code>"Group.Read.All"</code>"), with admin consent granted."</li>
                    <li>"No client secret: the app signs in with PKCE in your browser, like the Azure CLI."</li>
                </ul>
                <p class="muted" id="wizard-no-organizations">"No organizations are stored yet."</p>
            </div>
        }
        .into_any(),
        other => view! { <p class="muted">{format!("{} comes after the steps before it.", other.title())}</p> }.into_any(),
    }
}
