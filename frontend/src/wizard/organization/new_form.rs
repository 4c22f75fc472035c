//! The New… organization form of step 1: tenant, which application (the publisher's, added
//! to the tenant by admin consent, one the administrator registered, or one aadsync registers
//! in the tenant after a preview), cloud, the offline demo, and the button that starts it all,
//! whose refusals show next to the field they are about.

use super::register_preview::{Previewed, RegistrationPreviewPanel};
use crate::components::error::{ErrorMessage, Look};
use crate::wizard::Wizard;
use crate::wizard::connect::{
    Application, FormErrors, NewOrgForm, cloud_from_value, cloud_value, place,
};
use aadsync_ipc::{CloudName, ErrorCode, IpcError, NewOrganization, SignInMethod, SignInTarget};
use leptos::prelude::*;

/// The New… form; its button (or the demo) starts a browser sign-in — after admin consent,
/// for the publisher's application — and moves to step 2.
#[component]
pub fn NewOrganizationForm() -> impl IntoView {
    let wizard = expect_context::<Wizard>();
    let form = RwSignal::new(NewOrgForm::default());
    let start = Action::new_unsync(move |target: &SignInTarget| {
        wizard.start_sign_in(target.clone(), SignInMethod::Browser)
    });
    // "Register aadsync in my tenant": the bootstrap sign-in, then the preview below the form.
    let previewed = RwSignal::new(None::<Previewed>);
    let register = Action::new_unsync(move |new: &NewOrganization| {
        let new = new.clone();
        async move {
            let preview = wizard.start_registration(new.clone()).await?;
            previewed.set(Some(Previewed { new, preview }));
            Ok::<(), IpcError>(())
        }
    });
    let signing_in = start.pending();
    let registering = register.pending();
    let busy = Signal::derive(move || signing_in.get() || registering.get());
    let answer = start.value();
    let registered = register.value();
    // Where the last refusal goes; cleared while a new attempt runs (each dispatch clears the
    // other's, so only the latest attempt's refusal shows).
    let errors = Signal::derive(move || {
        let failed = match (answer.get(), registered.get()) {
            (Some(Err(err)), _) | (_, Some(Err(err))) => Some(err),
            _ => None,
        };
        match failed {
            // Cancel is the admin's own doing: nothing to report.
            Some(err) if !busy.get() && err.code != ErrorCode::SignInCancelled => place(&err),
            _ => FormErrors::default(),
        }
    });
    let publisher = move || form.with(|f| f.application == Application::Publisher);
    let registration = move || form.with(|f| f.application == Application::Register);
    // The form stays as it was while its preview is shown: Create or Cancel there first.
    let locked = Signal::derive(move || busy.get() || previewed.with(Option::is_some));

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
            {tenant_field(form, errors)}
            {application_choice(form, errors, locked)}
            {cloud_fields(form, errors)}
            {field_error(errors, "new-error", |e| e.general.clone())}
            <Show when=move || busy.get() && publisher()>
                <p class="progress" id="new-consent-progress" role="status">
                    "Accept the permissions in your browser… Sign in there as an administrator who may consent for the organization; aadsync then asks you to sign in as usual."
                </p>
            </Show>
            <Show when=move || busy.get() && registration()>
                <p class="progress" id="new-register-progress" role="status">
                    "Sign in in your browser… as an administrator who may register applications, and accept the permissions asked for; aadsync then shows what it will create, and creates nothing before you confirm."
                </p>
            </Show>
            <div class="form-buttons">
                <button
                    id="new-sign-in"
                    class="primary"
                    disabled=move || locked.get()
                    on:click=move |_| {
                        let typed = form.get_untracked();
                        if typed.application == Application::Register {
                            answer.set(None);
                            register.dispatch(typed.to_registration());
                        } else {
                            registered.set(None);
                            start.dispatch(SignInTarget::New(typed.to_request()));
                        }
                    }
                >
                    {move || match (busy.get(), publisher(), registration()) {
                        (false, true, _) => "Add the aadsync application…",
                        (false, _, true) => "Register aadsync…",
                        (false, _, _) => "Sign in…",
                        (true, true, _) => "Waiting for the consent…",
                        (true, _, true) => "Waiting for the sign-in…",
                        (true, _, _) => "Starting sign-in…",
                    }}
                </button>
                <Show when=move || busy.get()>
                    <button id="new-cancel-start" on:click=move |_| wizard.cancel_starting()>
                        "Cancel"
                    </button>
                </Show>
            </div>
            <Show when=move || previewed.with(Option::is_some)>
                <RegistrationPreviewPanel previewed=previewed />
            </Show>
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

/// The tenant, for either application.
fn tenant_field(form: RwSignal<NewOrgForm>, errors: Signal<FormErrors>) -> impl IntoView {
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
    }
}

/// Which application signs in: the publisher's, added to the tenant here (recommended, first),
/// or the administrator's own registration with its client ID and what it needs.
fn application_choice(
    form: RwSignal<NewOrgForm>,
    errors: Signal<FormErrors>,
    busy: Signal<bool>,
) -> impl IntoView {
    let is = move |a: Application| form.with(|f| f.application == a);
    let choose = move |a: Application| form.update(|f| f.application = a);
    view! {
    <fieldset class="application-choice" id="new-application">
        <legend>"Application"</legend>
        <label class="radio">
            <input
                type="radio"
                name="new-application"
                id="new-publisher-app"
                aria-describedby="new-publisher-help"
                disabled=move || busy.get()
                prop:checked=move || is(Application::Publisher)
                on:change=move |_| choose(Application::Publisher)
            />
            <span><strong>"Add the aadsync application to my tenant"</strong>" (recommended)"</span>
        </label>
        <p class="muted choice-help" id="new-publisher-help">
            "One click, no app registration: an administrator who may consent for the organization (Global Administrator, Privileged Role Administrator, Cloud Application Administrator or Application Administrator) accepts aadsync's permissions in the browser — "
            <code>"User.Read"</code>", "<code>"User.Read.All"</code>", "<code>"GroupMember.Read.All"</code>
            " — then signs in as usual."
        </p>
        <label class="radio">
            <input
                type="radio"
                name="new-application"
                id="new-own-app"
                disabled=move || busy.get()
                prop:checked=move || is(Application::Own)
                on:change=move |_| choose(Application::Own)
            />
            "I registered my own app"
        </label>
        <label class="radio">
            <input
                type="radio"
                name="new-application"
                id="new-register-app"
                aria-describedby="new-register-help"
                disabled=move || busy.get()
                prop:checked=move || is(Application::Register)
                on:change=move |_| choose(Application::Register)
            />
            "Register aadsync in my tenant (creates an app registration you own)"
        </label>
        <p class="muted choice-help" id="new-register-help">
            "An Application, Cloud Application or Global Administrator signs in once; aadsync shows exactly what it will create, and creates it only when you confirm."
        </p>
        <Show when=move || is(Application::Own)>
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
            {registration_help()}
        </Show>
    </fieldset>
    }
}

/// The cloud and (for a custom cloud) the authority host.
fn cloud_fields(form: RwSignal<NewOrgForm>, errors: Signal<FormErrors>) -> impl IntoView {
    view! {
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
