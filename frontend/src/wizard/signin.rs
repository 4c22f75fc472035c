//! Step 2, Sign-in: progress of the browser or device code sign-in, Cancel, the switch to a
//! device code, and the outcome (signed in, refused, cancelled, failed).

use super::Wizard;
use crate::ipc;
use aadsync_ipc::{ConnectedOrganization, ErrorCode, FinishSignIn, FlowRef, SignInMethod};
use leptos::prelude::*;
use leptos::task::spawn_local;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Phase {
    /// Nothing running: a stored organization whose saved sign-in is gone.
    Idle,
    Waiting,
    Done(ConnectedOrganization),
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

#[component]
pub fn SignInStep() -> impl IntoView {
    let wizard = expect_context::<Wizard>();
    let phase = RwSignal::new(match wizard.connected.get_untracked() {
        Some(c) => Phase::Done(c),
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
        spawn_local(async move {
            let outcome = ipc::call::<FinishSignIn>(&FlowRef { flow: started.flow }).await;
            // A newer sign-in took over (device code, retry): its own wait reports.
            if awaited.try_get_value().flatten() != Some(started.flow) {
                return;
            }
            let _ = wizard.started.try_update(|s| {
                if s.as_ref().is_some_and(|s| s.flow == started.flow) {
                    *s = None;
                }
            });
            match outcome {
                Ok(connected) => {
                    let _ = wizard.connected.try_set(Some(connected.clone()));
                    let _ = wizard.notice.try_set(None);
                    let _ = phase.try_set(Phase::Done(connected));
                    let _ = wizard.ready.try_set(true);
                }
                Err(err) => {
                    let _ = phase.try_set(Phase::Failed {
                        code: err.code,
                        message: err.message,
                    });
                }
            }
        });
    });

    let restart = move |method: SignInMethod| {
        let Some(target) = wizard.target.get_untracked() else {
            return;
        };
        // The running flow (if any) is cancelled before the new one starts.
        wizard.cancel_sign_in();
        awaited.set_value(None);
        phase.set(Phase::Waiting);
        spawn_local(async move {
            if let Err(err) = wizard.start_sign_in(target, method).await {
                let _ = phase.try_set(Phase::Failed {
                    code: err.code,
                    message: err.message,
                });
            }
        });
    };
    let cancel = move |_| {
        wizard.cancel_sign_in();
        awaited.set_value(None);
        phase.set(Phase::Failed {
            code: ErrorCode::SignInCancelled,
            message: "Sign-in was cancelled.".into(),
        });
    };

    let waiting_view = move || {
        let started = wizard.started.get();
        let device = started.as_ref().and_then(|s| s.device_code.clone());
        let browser_url = started.as_ref().and_then(|s| s.browser_url.clone());
        let browser_error = started.as_ref().and_then(|s| s.browser_error.clone());
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
                    {browser_error.map(|e| view! { <p class="error" id="signin-browser-error">{e}</p> })}
                    {browser_url.map(|url| view! {
                        <p class="muted">"If no browser window appeared, open this address yourself:"</p>
                        <input class="url" id="signin-url" readonly=true prop:value=url />
                    })}
                </div>
            }
            .into_any(),
        }
    };

    view! {
        <div class="step-signin">
            <Show when=move || wizard.notice.with(Option::is_some)>
                <p class="notice" id="signin-notice" role="status">{move || wizard.notice.get()}</p>
            </Show>
            {move || match phase.get() {
                Phase::Idle => view! {
                    <p>"Sign in with your administrator account. Your browser opens Microsoft's sign-in page; multi-factor authentication happens there."</p>
                    <div class="form-buttons">
                        <button id="signin-start" class="primary" on:click=move |_| restart(SignInMethod::Browser)>
                            "Sign in with your administrator account"
                        </button>
                        <button id="signin-device-code" class="link" on:click=move |_| restart(SignInMethod::DeviceCode)>
                            "Use a device code instead"
                        </button>
                    </div>
                }
                .into_any(),
                Phase::Waiting => view! {
                    {waiting_view}
                    <div class="form-buttons">
                        <button id="signin-cancel" on:click=cancel>"Cancel sign-in"</button>
                        <Show when=move || wizard.started.with(|s| s.as_ref().is_some_and(|s| s.device_code.is_none()))>
                            <button id="signin-device-code" class="link" on:click=move |_| restart(SignInMethod::DeviceCode)>
                                "Use a device code instead"
                            </button>
                        </Show>
                    </div>
                }
                .into_any(),
                Phase::Done(connected) => view! {
                    <p class="success" id="signin-done" role="status">{signed_in_text(&connected)}</p>
                    <p class="muted">"Choose Next to pick the users and groups to synchronize."</p>
                }
                .into_any(),
                Phase::Failed { code, message } => {
                    let retry = match code {
                        ErrorCode::NotAdministrator => "Sign in with another account",
                        ErrorCode::SignInCancelled => "Sign in again",
                        _ => "Try again",
                    };
                    let class = if code == ErrorCode::SignInCancelled { "notice" } else { "error" };
                    view! {
                        <p class=class id="signin-error" role="alert">{message}</p>
                        <div class="form-buttons">
                            <button id="signin-retry" class="primary" on:click=move |_| restart(SignInMethod::Browser)>
                                {retry}
                            </button>
                            <button id="signin-device-code" class="link" on:click=move |_| restart(SignInMethod::DeviceCode)>
                                "Use a device code instead"
                            </button>
                        </div>
                    }
                    .into_any()
                }
            }}
        </div>
    }
}
