//! The New… organization form of step 1: tenant, client ID, cloud, the offline demo, and
//! Sign in…, whose refusals show next to the field they are about.

use crate::components::error::{ErrorMessage, Look};
use crate::wizard::Wizard;
use crate::wizard::connect::{FormErrors, NewOrgForm, cloud_from_value, cloud_value, place};
use aadsync_ipc::{CloudName, ErrorCode, SignInMethod, SignInTarget};
use leptos::prelude::*;

/// The New… form; Sign in… (or the demo) starts a browser sign-in and moves to step 2.
#[component]
pub fn NewOrganizationForm() -> impl IntoView {
    let wizard = expect_context::<Wizard>();
    let form = RwSignal::new(NewOrgForm::default());
    let start = Action::new_unsync(move |target: &SignInTarget| {
        wizard.start_sign_in(target.clone(), SignInMethod::Browser)
    });
    let busy = start.pending();
    let answer = start.value();
    // Where the last refusal goes; cleared while a new attempt runs.
    let errors = Signal::derive(move || match answer.get() {
        // Cancel is the admin's own doing: nothing to report.
        Some(Err(err)) if !busy.get() && err.code != ErrorCode::SignInCancelled => place(&err),
        _ => FormErrors::default(),
    });

    view! {
        <fieldset class="new-organization" id="new-organization">
            <legend>"New organization"</legend>
            <div class="demo-offer">
                <button
                    id="new-demo"
                    disabled=move || busy.get()
                    on:click=move |_| { start.dispatch(SignInTarget::New(NewOrgForm::demo())); }
                >
                    "Contoso (offline demo)"
                </button>
                <span class="muted">
                    "Try everything on a built-in demo tenant: its sign-in page shows the demo administrator's password and second-factor code."
                </span>
            </div>
            {tenant_fields(form, errors)}
            {registration_help()}
            {field_error(errors, "new-error", |e| e.general.clone())}
            <div class="form-buttons">
                <button
                    id="new-sign-in"
                    class="primary"
                    disabled=move || busy.get()
                    on:click=move |_| { start.dispatch(SignInTarget::New(form.get_untracked().to_request())); }
                >
                    {move || if busy.get() { "Starting sign-in…" } else { "Sign in…" }}
                </button>
                <Show when=move || busy.get()>
                    <button id="new-cancel-start" on:click=move |_| wizard.cancel_starting()>
                        "Cancel"
                    </button>
                </Show>
            </div>
        </fieldset>
    }
}

/// The refusal that `pick` finds in `errors`, under its field.
fn field_error(
    errors: Signal<FormErrors>,
    id: &'static str,
    pick: fn(&FormErrors) -> Option<String>,
) -> impl IntoView {
    view! { <ErrorMessage id=id message=Signal::derive(move || errors.with(pick)) look=Look::Field /> }
}

/// Tenant, client ID, cloud and (for a custom cloud) the authority host.
fn tenant_fields(form: RwSignal<NewOrgForm>, errors: Signal<FormErrors>) -> impl IntoView {
    view! {
    <label for="new-tenant">"Tenant (domain or tenant ID)"</label>
    <input
        id="new-tenant"
        placeholder="contoso.com or 72f988bf-86f1-41af-91ab-2d7cd011db47"
        autocomplete="off"
        spellcheck="false"
        prop:value=move || form.with(|f| f.tenant.clone())
        on:input=move |ev| form.update(|f| f.tenant = event_target_value(&ev))
    />
    {field_error(errors, "new-tenant-error", |e| e.tenant.clone())}
    <label for="new-client-id">"Application (client) ID"</label>
    <input
        id="new-client-id"
        placeholder="00000000-0000-0000-0000-000000000000"
        autocomplete="off"
        spellcheck="false"
        prop:value=move || form.with(|f| f.client_id.clone())
        on:input=move |ev| form.update(|f| f.client_id = event_target_value(&ev))
    />
    {field_error(errors, "new-client-id-error", |e| e.client_id.clone())}
    <label for="new-cloud">"Cloud"</label>
    <select
        id="new-cloud"
        prop:value=move || cloud_value(form.with(|f| f.cloud))
        on:change=move |ev| form.update(|f| f.cloud = cloud_from_value(&event_target_value(&ev)))
    >
        {move || form.with(|f| {
            f.offered_clouds()
                .map(|c| view! { <option value=cloud_value(c) selected=c == f.cloud>{c.label()}</option> })
                .collect_view()
        })}
    </select>
    <label class="check">
        <input
            type="checkbox"
            id="new-advanced"
            prop:checked=move || form.with(|f| f.advanced)
            on:change=move |ev| form.update(|f| f.set_advanced(event_target_checked(&ev)))
        />
        "Advanced: sign in through another authority"
    </label>
    <Show when=move || form.with(|f| f.advanced && f.cloud == CloudName::Custom)>
        <p class="muted" id="new-authority-warning">
            "Only for a test or emulator authority you run yourself: aadsync trusts this server with the tenant it names, and an organization stays bound to the authority it was first added through."
        </p>
        <label for="new-authority">"Authority host"</label>
        <input
            id="new-authority"
            placeholder="https://login.example.com (http only on this computer)"
            autocomplete="off"
            spellcheck="false"
            prop:value=move || form.with(|f| f.authority_host.clone())
            on:input=move |ev| form.update(|f| f.authority_host = event_target_value(&ev))
        />
    </Show>
    {field_error(errors, "new-authority-error", |e| e.authority.clone())}
    }
}

/// What the app registration in Entra ID needs, folded.
fn registration_help() -> impl IntoView {
    view! {
    <details class="registration-help">
        <summary>"What the app registration needs"</summary>
        <ul class="requirements">
            <li>"Platform "<strong>"Mobile and desktop applications"</strong>" with the redirect URI "<code>"http://localhost"</code>", and "<strong>"Allow public client flows"</strong>" turned on (for device code sign-in)."</li>
            <li>"Delegated Microsoft Graph permissions "<code>"User.Read.All"</code>" and "<code>"GroupMember.Read.All"</code>" (or "<code>"Group.Read.All"</code>"), with "<strong>"admin consent"</strong>" granted."</li>
            <li>"No client secret: aadsync signs in with PKCE in your browser, like the Azure CLI. Only Global, Privileged Role and User Administrators are accepted."</li>
        </ul>
    </details>
    }
}
