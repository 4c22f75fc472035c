//! The preview of "Register aadsync in my tenant" in New…: exactly what will be created or
//! changed in the tenant (or is there already), with Create and sign in and Cancel. Nothing
//! is written before Create; Create then signs in with the new client ID as usual (step 2).

use crate::components::error::{ErrorMessage, Look};
use crate::ipc;
use crate::wizard::Wizard;
use aadsync_ipc::{
    CancelRegistration, ConfirmRegistration, IpcError, NewOrganization, RegistrationConfirmed,
    RegistrationPreview, RegistrationRef, SignInMethod, SignInTarget,
};
use leptos::prelude::*;

/// A preview on screen: the form's tenant and cloud, and the backend's plan of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Previewed {
    pub new: NewOrganization,
    pub preview: RegistrationPreview,
}

/// The preview panel, shown while `previewed` holds one; Create and Cancel clear it.
///
/// - `previewed`: the preview `start_registration` answered.
#[component]
pub fn RegistrationPreviewPanel(previewed: RwSignal<Option<Previewed>>) -> impl IntoView {
    let wizard = expect_context::<Wizard>();
    // Why the preview changed under the administrator's eyes.
    let changed = RwSignal::new(None::<String>);
    let confirm = Action::new_unsync(move |_: &()| {
        confirm_previewed(wizard, previewed.get_untracked(), previewed, changed)
    });
    let creating = confirm.pending();
    let failure = Signal::derive(move || match confirm.value().get() {
        Some(Err(err)) if !creating.get() => Some(err.message),
        _ => None,
    });
    let cancel = move |_| {
        cancel_previewed(previewed.get_untracked());
        changed.set(None);
        previewed.set(None);
    };
    let title = NodeRef::<leptos::html::H3>::new();
    // Keyboard and screen reader users land on the preview once it appears.
    Effect::new(move |_| {
        if let Some(title) = title.get() {
            let _ = title.focus();
        }
    });
    let lines = move || part_of(previewed, |p| p.lines.clone());
    let account = move || part_of(previewed, |p| p.account.clone());
    let nothing_to_create =
        move || previewed.with(|p| p.as_ref().is_some_and(|p| p.preview.changes_nothing));

    view! {
        <section
            class="register-preview"
            id="register-preview"
            aria-labelledby="register-preview-title"
        >
            <h3 id="register-preview-title" tabindex="-1" node_ref=title>
                "Registering aadsync in your tenant"
            </h3>
            <p class="muted" id="register-preview-account">
                {move || format!(
                    "Signed in as {} for the registration only (this sign-in is not saved). Nothing has been created yet; Create and sign in does exactly this:",
                    account()
                )}
            </p>
            <ul class="requirements" id="register-preview-lines">
                {move || lines().into_iter().map(|line| view! { <li>{line}</li> }).collect_view()}
            </ul>
            <Show when=nothing_to_create>
                <p class="muted" id="register-preview-complete">
                    "aadsync is registered in this tenant already: nothing will be created."
                </p>
            </Show>
            <ErrorMessage id="register-preview-changed" message=changed look=Look::Notice />
            <ErrorMessage id="register-error" message=failure look=Look::Field />
            <div class="form-buttons">
                <button
                    id="register-confirm"
                    class="primary"
                    disabled=move || creating.get()
                    on:click=move |_| { confirm.dispatch(()); }
                >
                    {move || if creating.get() { "Creating…" } else { "Create and sign in" }}
                </button>
                <button id="register-cancel" disabled=move || creating.get() on:click=cancel>
                    "Cancel"
                </button>
            </div>
        </section>
    }
}

/// A part of the preview on screen (empty while none is).
fn part_of<T: Default>(
    previewed: RwSignal<Option<Previewed>>,
    part: impl Fn(&RegistrationPreview) -> T,
) -> T {
    previewed.with(|p| p.as_ref().map(|p| part(&p.preview)).unwrap_or_default())
}

/// Create and sign in: applies exactly the previewed plan, then the usual sign-in with the new
/// client ID (which stores the organization); a tenant changed since the preview answers the
/// new preview instead, with nothing written.
async fn confirm_previewed(
    wizard: Wizard,
    current: Option<Previewed>,
    previewed: RwSignal<Option<Previewed>>,
    changed: RwSignal<Option<String>>,
) -> Result<(), IpcError> {
    let Some(Previewed { new, preview }) = current else {
        return Ok(());
    };
    let reference = RegistrationRef {
        registration: preview.registration,
    };
    match ipc::call::<ConfirmRegistration>(&reference).await? {
        RegistrationConfirmed::Registered { client_id, .. } => {
            changed.set(None);
            // The usual sign-in, as with an app registered by hand: it stores the
            // organization with the new client ID.
            let target = NewOrganization {
                client_id: client_id.clone(),
                add_publisher_app: false,
                ..new
            };
            wizard
                .start_sign_in(SignInTarget::New(target), SignInMethod::Browser)
                .await
                .map_err(|err| {
                    IpcError::new(
                        err.code,
                        format!(
                            "aadsync is registered (application (client) ID {client_id}), but the sign-in did not start: {}. Choose \"I registered my own app\" with this client ID to sign in",
                            err.message
                        ),
                    )
                })?;
            previewed.set(None);
        }
        RegistrationConfirmed::Changed { preview } => {
            changed.set(Some(
                "The registration in the tenant changed since the preview, so nothing was written. Check the new preview and confirm again".into(),
            ));
            previewed.set(Some(Previewed { new, preview }));
        }
    }
    Ok(())
}

/// Cancel: the backend drops the plan and the bootstrap session; nothing was created.
fn cancel_previewed(shown: Option<Previewed>) {
    if let Some(shown) = shown {
        let reference = RegistrationRef {
            registration: shown.preview.registration,
        };
        leptos::task::spawn_local(async move {
            if let Err(err) = ipc::call::<CancelRegistration>(&reference).await {
                leptos::logging::warn!("cancelling the registration failed: {err}");
            }
        });
    }
}
