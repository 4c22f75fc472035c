//! Step 1, Organization: the stored organizations, New…, Remove, the offline demo, and the
//! selected organization's deletion safeguard, schedule and registration check.
//!
//! Next connects with the selected organization's saved sign-in; when that is gone, step 2
//! asks to sign in again.

mod new_form;
mod register_preview;
mod registration;
mod safeguard;
mod schedule;

use super::Wizard;
use crate::components::error::ErrorMessage;
use crate::ipc;
use aadsync_ipc::{
    CloudName, ConnectOrganization, ConnectedOrganization, ErrorCode, IpcError, ListOrganizations,
    NoArgs, OrganizationRef, OrganizationSummary, RemoveOrganization, SignInTarget,
};
use leptos::prelude::*;
use new_form::NewOrganizationForm;
use registration::RegistrationCheck;
use safeguard::{Safeguard, SafeguardMessage};
use schedule::Schedule;

/// The stored organizations, as listed by the backend.
type Organizations = LocalResource<Result<Vec<OrganizationSummary>, IpcError>>;

/// What the parts of step 1 share.
#[derive(Clone, Copy)]
struct Step1 {
    orgs: Organizations,
    /// Bumped to list the organizations again (after Remove, after a safeguard Save).
    version: RwSignal<u32>,
    selected: RwSignal<Option<i64>>,
    show_new: RwSignal<bool>,
    /// Why Next or Remove failed; cleared when another organization is chosen.
    error: RwSignal<Option<String>>,
    confirm_remove: RwSignal<bool>,
    safeguard_message: SafeguardMessage,
    safeguard_open: RwSignal<bool>,
    /// Whether the schedule's details are unfolded (kept across re-renders, like the safeguard's).
    schedule_open: RwSignal<bool>,
}

/// The Organization step; it handles the wizard's Next itself.
#[component]
pub fn OrganizationStep() -> impl IntoView {
    let wizard = expect_context::<Wizard>();
    let next_handler = expect_context::<RwSignal<Option<Callback<()>>>>();
    let version = RwSignal::new(0u32);
    let step = Step1 {
        orgs: LocalResource::new(move || {
            version.track();
            async move { ipc::call::<ListOrganizations>(&NoArgs {}).await }
        }),
        version,
        selected: RwSignal::new(None),
        show_new: RwSignal::new(false),
        error: RwSignal::new(None),
        confirm_remove: RwSignal::new(false),
        safeguard_message: RwSignal::new(None),
        safeguard_open: RwSignal::new(false),
        schedule_open: RwSignal::new(false),
    };
    select_first_when_listed(step);

    let connect = Action::new_unsync(move |id: &i64| {
        let id = *id;
        async move {
            let answer = ipc::call::<ConnectOrganization>(&OrganizationRef { id }).await;
            after_connect(wizard, step, id, answer);
        }
    });
    let connecting = connect.pending();
    Effect::new(move |_| {
        wizard
            .ready
            .set(step.selected.get().is_some() && !step.show_new.get() && !connecting.get());
    });
    next_handler.set(Some(Callback::new(move |()| {
        if let Some(id) = step.selected.get_untracked() {
            step.error.set(None);
            wizard.ready.set(false);
            connect.dispatch(id);
        }
    })));
    on_cleanup(move || next_handler.set(None));

    view! {
        <div class="step-organization">
            {organization_row(step)}
            {move || organization_details(step)}
            {remove_confirmation(step)}
            <Show when=move || connecting.get()>
                <p class="progress" id="org-busy" role="status">"Signing in with the saved sign-in…"</p>
            </Show>
            <ErrorMessage id="org-error" message=step.error />
            <Show
                when=move || step.show_new.get()
                fallback=|| view! {
                    <p class="muted">"Next signs in with the saved sign-in of the selected organization. If it has expired, you are asked to sign in again."</p>
                }
            >
                <NewOrganizationForm />
            </Show>
        </div>
    }
}

/// Selects the first organization once the list is in (keeping the selection if it is still
/// there); opens New… when there is none.
fn select_first_when_listed(step: Step1) {
    Effect::new(move |_| {
        if let Some(Ok(list)) = step.orgs.get() {
            let keep = step
                .selected
                .get_untracked()
                .filter(|id| list.iter().any(|o| o.id == *id));
            step.selected
                .set(keep.or_else(|| list.first().map(|o| o.id)));
            if list.is_empty() {
                step.show_new.set(true);
            }
        }
    });
}

/// Connected: on to step 3. The saved sign-in is gone: step 2, saying why. Else the error.
fn after_connect(
    wizard: Wizard,
    step: Step1,
    id: i64,
    answer: Result<ConnectedOrganization, IpcError>,
) {
    match answer {
        Ok(connected) => {
            wizard.connected.set(Some(connected));
            wizard.flow.update(|f| f.skip_sign_in());
        }
        Err(err) if err.code == ErrorCode::SignInRequired => {
            wizard.notice.set(Some(err.message));
            wizard.target.set(Some(SignInTarget::Existing { id }));
            wizard.started.set(None);
            wizard.flow.update(|f| f.show_sign_in());
        }
        Err(err) => step.error.set(Some(err.message)),
    }
}

/// The organization dropdown, New… and Remove.
fn organization_row(step: Step1) -> impl IntoView {
    view! {
        <div class="field-row">
            <label for="org-select">"Organization"</label>
            <select
                id="org-select"
                prop:value=move || step.selected.get().map(|id| id.to_string()).unwrap_or_default()
                on:change=move |ev| {
                    step.selected.set(event_target_value(&ev).parse().ok());
                    step.safeguard_message.set(None);
                    step.show_new.set(false);
                    step.error.set(None);
                }
            >
                {move || organization_options(step.orgs)}
            </select>
            <button id="org-new" on:click=move |_| step.show_new.update(|s| *s = !*s)>"New…"</button>
            <button
                id="org-remove"
                disabled=move || step.selected.get().is_none()
                on:click=move |_| step.confirm_remove.set(true)
            >
                "Remove"
            </button>
        </div>
    }
}

/// The dropdown's options. A listing that failed shows its message as the only option, in
/// the dropdown where the organizations would be.
fn organization_options(orgs: Organizations) -> AnyView {
    match orgs.get() {
        None => view! { <option value="">"Loading…"</option> }.into_any(),
        Some(Err(err)) => view! { <option value="">{err.message}</option> }.into_any(),
        Some(Ok(list)) if list.is_empty() => {
            view! { <option value="">"No organizations yet"</option> }.into_any()
        }
        Some(Ok(list)) => list
            .into_iter()
            .map(|o| {
                let value = o.id.to_string();
                let demo = o.cloud == CloudName::Demo;
                let label = if demo {
                    format!("[offline demo] {}", o.label())
                } else {
                    o.label()
                };
                view! { <option value=value>{label}</option> }
            })
            .collect_view()
            .into_any(),
    }
}

/// The selected organization's last-synchronized note, deletion safeguard, schedule and
/// registration check.
fn organization_details(step: Step1) -> Option<impl IntoView> {
    let id = step.selected.get()?;
    let org = step.orgs.get()?.ok()?.into_iter().find(|o| o.id == id)?;
    let note = org.sync_note.clone().map(|note| {
        view! {
            <p id="org-sync-note" class:notice=org.sync_warning class:muted=!org.sync_warning>
                {note}
            </p>
        }
    });
    let saved = Callback::new(move |()| step.version.update(|v| *v += 1));
    Some(view! {
        {note}
        <Safeguard org=org on_saved=saved message=step.safeguard_message open=step.safeguard_open />
        <Schedule id=id open=step.schedule_open />
        <RegistrationCheck id=id />
    })
}

/// Remove's confirmation, while asked; Remove deletes the organization and its saved sign-in.
fn remove_confirmation(step: Step1) -> impl IntoView {
    let remove = Action::new_unsync(move |id: &i64| {
        let id = *id;
        async move {
            match ipc::call::<RemoveOrganization>(&OrganizationRef { id }).await {
                Ok(()) => {
                    step.selected.set(None);
                    step.version.update(|v| *v += 1);
                }
                Err(err) => step.error.set(Some(err.message)),
            }
        }
    });
    let selected_name = move || {
        let id = step.selected.get()?;
        step.orgs
            .get()
            .and_then(Result::ok)
            .and_then(|list| list.into_iter().find(|o| o.id == id))
            .map(|o| {
                if o.display_name.is_empty() {
                    o.tenant_id
                } else {
                    o.display_name
                }
            })
    };
    view! {
        <Show when=move || step.confirm_remove.get()>
            <div class="confirm" role="alertdialog" id="org-remove-confirm">
                <p>
                    "Remove " <strong>{selected_name}</strong>
                    "? Its saved sign-in is deleted from the keyring. Users already imported from it stay."
                </p>
                <button
                    id="org-remove-yes"
                    class="danger"
                    on:click=move |_| {
                        step.confirm_remove.set(false);
                        if let Some(id) = step.selected.get_untracked() {
                            remove.dispatch(id);
                        }
                    }
                >
                    "Remove"
                </button>
                <button id="org-remove-no" on:click=move |_| step.confirm_remove.set(false)>"Keep"</button>
            </div>
        </Show>
    }
}
