//! Step 2, Sign-in: progress of the browser or device code sign-in, Cancel, the switch to a
//! device code, and the outcome (signed in, refused, cancelled, failed).

use super::Wizard;
use crate::components::error::{ErrorMessage, Look};
use crate::ipc;
use aadsync_ipc::{
    ConnectedOrganization, ErrorCode, FinishSignIn, FlowRef, SignInMethod, SignInStarted,
};
use leptos::prelude::*;
use leptos::task::spawn_local;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Phase {
    /// Nothing running: a stored organization whose saved sign-in is gone.
    Idle,
    Waiting,
    // Boxed: the organization is far larger than the other phases.
    Done(Box<ConnectedOrganization>),
    Failed {
        code: ErrorCode,
        message: String,
    },
}

fn signed_in_text(c: &ConnectedOrganization) -> String {
    let org = &c.organization;
    let name = if org.display_name.is_empty() {
        org.tenant_id.clone()
    } else {
        org.display_name.clone()
    };
    let domain = if org.primary_domain.is_empty() {
        String::new()
    } else {
        format!(" ({})", org.primary_domain)
    };
    format!(
        "Signed in to {name}{domain} as {} ({}).",
        c.account,
        c.roles.join(", ")
    )
}

/// The Sign-in step: waits for the sign-in that step 1 (or Retry here) started.
#[component]
pub fn SignInStep() -> impl IntoView {
    let wizard = expect_context::<Wizard>();
    let phase = RwSignal::new(match wizard.connected.get_untracked() {
        Some(c) => Phase::Done(Box::new(c)),
        None => Phase::Idle,
    });
    let awaited = StoredValue::new(None::<u64>);

    // Wait for whichever sign-in is running; a new one (device code, retry) replaces it.
    Effect::new(move |_| {
        let Some(started) = wizard.started.get() else {
            return;
        };
        if awaited.get_value() == Some(started.flow) {
            return;
        }
        awaited.set_value(Some(started.flow));
        phase.set(Phase::Waiting);
        wizard.ready.set(false);
        await_sign_in(wizard, phase, awaited, started);
    });

    // Sign in again (another account, a device code): the running flow, if any, is
    // cancelled before the new one starts.
    let restart = Action::new_unsync(move |method: &SignInMethod| {
        let method = *method;
        let target = wizard.target.get_untracked();
        if target.is_some() {
            wizard.cancel_sign_in();
            awaited.set_value(None);
            phase.set(Phase::Waiting);
        }
        async move {
            let Some(target) = target else {
                return;
            };
            if let Err(err) = wizard.start_sign_in(target, method).await {
                phase.set(Phase::Failed {
                    code: err.code,
                    message: err.message,
                });
            }
        }
    });
    let restart = Callback::new(move |method: SignInMethod| {
        restart.dispatch(method);
    });
    let cancel = Callback::new(move |()| {
        wizard.cancel_sign_in();
        awaited.set_value(None);
        phase.set(Phase::Failed {
            code: ErrorCode::SignInCancelled,
            message: "Sign-in was cancelled.".into(),
        });
    });

    view! {
        <div class="step-signin">
            <Show when=move || wizard.notice.with(Option::is_some)>
                <p class="notice" id="signin-notice" role="status">{move || wizard.notice.get()}</p>
            </Show>
            {move || phase_view(wizard, phase.get(), restart, cancel)}
        </div>
    }
}

/// Waits for sign-in `started` to finish and shows how it ended.
///
/// Not an Action: no click starts it (it follows whichever sign-in is running), and a newer
/// sign-in supersedes it, whose own wait then reports.
fn await_sign_in(
    wizard: Wizard,
    phase: RwSignal<Phase>,
    awaited: StoredValue<Option<u64>>,
    started: SignInStarted,
) {
    spawn_local(async move {
        let outcome = ipc::call::<FinishSignIn>(&FlowRef { flow: started.flow }).await;
        if awaited.try_get_value().flatten() != Some(started.flow) {
            return;
        }
        wizard.started.update(|s| {
            if s.as_ref().is_some_and(|s| s.flow == started.flow) {
                *s = None;
            }
        });
        match outcome {
            Ok(connected) => {
                wizard.connected.set(Some(connected.clone()));
                wizard.notice.set(None);
                phase.set(Phase::Done(Box::new(connected)));
                wizard.ready.set(true);
            }
            Err(err) => phase.set(Phase::Failed {
                code: err.code,
                message: err.message,
            }),
        }
    });
}

/// The step's content in `phase`: start, waiting (with Cancel), signed in, or why not.
fn phase_view(
    wizard: Wizard,
    phase: Phase,
    restart: Callback<SignInMethod>,
    cancel: Callback<()>,
) -> AnyView {
    let device_code = move || {
        view! {
            <button id="signin-device-code" class="link" on:click=move |_| restart.run(SignInMethod::DeviceCode)>
                "Use a device code instead"
            </button>
        }
    };
    match phase {
        Phase::Idle => view! {
            <p>"Sign in with your administrator account. Your browser opens Microsoft's sign-in page; multi-factor authentication happens there."</p>
            <div class="form-buttons">
                <button id="signin-start" class="primary" on:click=move |_| restart.run(SignInMethod::Browser)>
                    "Sign in with your administrator account"
                </button>
                {device_code()}
            </div>
        }
        .into_any(),
        Phase::Waiting => view! {
            {move || waiting_view(wizard)}
            <div class="form-buttons">
                <button id="signin-cancel" on:click=move |_| cancel.run(())>"Cancel sign-in"</button>
                <Show when=move || wizard.started.with(|s| s.as_ref().is_some_and(|s| s.device_code.is_none()))>
                    {device_code()}
                </Show>
            </div>
        }
        .into_any(),
        Phase::Done(connected) => view! {
            <p class="success" id="signin-done" role="status">{signed_in_text(&connected)}</p>
            {(!connected.missing_permissions.is_empty()).then(|| view! {
                <div class="notice" id="signin-permissions">
                    <p>"Permissions not granted to this app registration:"</p>
                    <ul>
                        {connected.missing_permissions.iter().map(|line| view! { <li>{line.clone()}</li> }).collect_view()}
                    </ul>
                </div>
            })}
            <p class="muted">"Choose Next to pick the users and groups to synchronize."</p>
        }
        .into_any(),
        Phase::Failed { code, message } => {
            let retry = match code {
                ErrorCode::NotAdministrator => "Sign in with another account",
                ErrorCode::SignInCancelled => "Sign in again",
                _ => "Try again",
            };
            let look = if code == ErrorCode::SignInCancelled { Look::Notice } else { Look::Paragraph };
            view! {
                <ErrorMessage id="signin-error" message=Some(message) look=look />
                <div class="form-buttons">
                    <button id="signin-retry" class="primary" on:click=move |_| restart.run(SignInMethod::Browser)>
                        {retry}
                    </button>
                    {device_code()}
                </div>
            }
            .into_any()
        }
    }
}

/// While waiting: the device code to enter, or where the browser sign-in is.
fn waiting_view(wizard: Wizard) -> AnyView {
    let started = wizard.started.get();
    let device = started.as_ref().and_then(|s| s.device_code.clone());
    let browser_url = started.as_ref().and_then(|s| s.browser_url.clone());
    let browser_error = started.as_ref().and_then(|s| s.browser_error.clone());
    let hint = started.as_ref().and_then(no_redirect_hint);
    match device {
        Some(code) => view! {
            <div class="device-code" id="signin-device">
                <p>"On this or any other device, open"</p>
                <p><a id="device-uri" href=code.verification_uri.clone() target="_blank" rel="noreferrer">{code.verification_uri.clone()}</a></p>
                <p>"and enter the code"</p>
                <p class="user-code" id="device-user-code">{code.user_code.clone()}</p>
                <p class="muted">{format!("The code is valid for {} minutes. Sign in with your administrator account; this window continues on its own.", code.expires_in_seconds / 60)}</p>
            </div>
        }
        .into_any(),
        None => view! {
            <div id="signin-browser">
                <p id="signin-status" role="status">
                    {if started.is_some() {
                        "Your browser has opened Microsoft's sign-in page. Sign in there with your administrator account; this window continues on its own."
                    } else {
                        "Starting the sign-in…"
                    }}
                </p>
                {browser_error.map(|e| view! { <ErrorMessage id="signin-browser-error" message=Some(e) /> })}
                {browser_url.map(|url| view! {
                    <p class="muted">"If no browser window appeared, open this address yourself:"</p>
                    <input class="url" id="signin-url" readonly=true prop:value=url />
                })}
                {hint}
            </div>
        }
        .into_any(),
    }
}

/// The likely causes when no redirect has arrived, shown once the backend's delay has passed
/// (the sign-in goes on waiting). A new sign-in renders this view again with a new timer; the
/// old timer's signal is gone by then, so it shows nothing.
fn no_redirect_hint(started: &SignInStarted) -> Option<AnyView> {
    let text = started.no_redirect_hint.clone()?;
    let due = RwSignal::new(false);
    let wait_ms =
        i32::try_from(started.no_redirect_after_seconds.saturating_mul(1000)).unwrap_or(i32::MAX);
    spawn_local(async move {
        crate::timer::sleep(wait_ms).await;
        let _ = due.try_set(true);
    });
    let mut lines = text.lines().map(str::to_owned);
    let lead = lines.next().unwrap_or_default();
    let causes: Vec<String> = lines.collect();
    Some(
        view! {
            <Show when=move || due.get()>
                <div class="notice" id="signin-no-redirect" role="status">
                    <p>{lead.clone()}</p>
                    <ul>
                        {causes.iter().map(|c| view! { <li>{c.clone()}</li> }).collect_view()}
                    </ul>
                </div>
            </Show>
        }
        .into_any(),
    )
}
