//! The New… organization form of step 1: tenant, which application (the publisher's, added
//! to the tenant by admin consent, one the administrator registered, or one aadsync registers
//! in the tenant after a preview), cloud, the offline demo, and the button that starts it all,
//! whose refusals show next to the field they are about.

use super::register_preview::{Previewed, RegistrationPreviewPanel};
use crate::components::error::{ErrorMessage, Look};
use crate::ipc;
use crate::wizard::Wizard;
use crate::wizard::connect::{
    Application, FormErrors, NewOrgForm, cloud_from_value, cloud_value, place,
};
use aadsync_ipc::{
    AdminConsentHint, CloudName, ErrorCode, IpcError, NewOrganization, SignInMethod, SignInTarget,
};
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
    let previewed = RwSignal::new(None::<Previewed>);
    let register = registration_action(wizard, previewed);
    let (signing_in, registering) = (start.pending(), register.pending());
    let busy = Signal::derive(move || signing_in.get() || registering.get());
    let (answer, registered) = (start.value(), register.value());
    let errors = refusals(answer, registered, busy);
    let publisher = move || form.with(|f| f.application == Application::Publisher);
    let registration = move || form.with(|f| f.application == Application::Register);
    // The form stays as it was while its preview is shown: Create or Cancel there first.
    let locked = Signal::derive(move || busy.get() || previewed.with(Option::is_some));
    let hint = ConsentHintShown::new();
    let submit = move || {
        let typed = form.get_untracked();
        if typed.application == Application::Register {
            hint.disarm();
            answer.set(None);
            register.dispatch(typed.to_registration());
            return;
        }
        let request = typed.to_request();
        if request.add_publisher_app {
            hint.arm(request.clone(), busy);
        } else {
            hint.disarm();
        }
        registered.set(None);
        start.dispatch(SignInTarget::New(request));
    };

    view! {
        <fieldset class="new-organization" id="new-organization">
            <legend>"New organization"</legend>
            <div class="demo-offer">
                <button
                    id="new-demo"
                    disabled=move || busy.get()
                    on:click=move |_| {
                        hint.disarm();
                        start.dispatch(SignInTarget::New(NewOrgForm::demo()));
                    }
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
            {progress_notes(busy, publisher, registration, hint)}
            <div class="form-buttons">
                <button
                    id="new-sign-in"
                    class="primary"
                    disabled=move || locked.get()
                    on:click=move |_| submit()
                >
                    {move || button_label(busy.get(), publisher(), registration())}
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

/// "Register aadsync in my tenant": the bootstrap sign-in, then the preview below the form.
fn registration_action(
    wizard: Wizard,
    previewed: RwSignal<Option<Previewed>>,
) -> Action<NewOrganization, Result<(), IpcError>> {
    Action::new_unsync(move |new: &NewOrganization| {
        let new = new.clone();
        async move {
            let preview = wizard.start_registration(new.clone()).await?;
            previewed.set(Some(Previewed { new, preview }));
            Ok(())
        }
    })
}

/// Where the last refusal of the sign-in or the registration goes, by field; cleared while a
/// new attempt runs (each dispatch clears the other's answer, so only the latest one shows).
fn refusals(
    answer: MappedSignal<Option<Result<(), IpcError>>>,
    registered: MappedSignal<Option<Result<(), IpcError>>>,
    busy: Signal<bool>,
) -> Signal<FormErrors> {
    Signal::derive(move || {
        let failed = match (answer.get(), registered.get()) {
            (Some(Err(err)), _) | (_, Some(Err(err))) => Some(err),
            _ => None,
        };
        match failed {
            // Cancel is the admin's own doing: nothing to report.
            Some(err) if !busy.get() && err.code != ErrorCode::SignInCancelled => place(&err),
            _ => FormErrors::default(),
        }
    })
}

/// What the administrator is waiting for while the browser is open: the consent (with the
/// likely causes after a while) or the registration's bootstrap sign-in.
fn progress_notes(
    busy: Signal<bool>,
    publisher: impl Fn() -> bool + Send + Sync + Copy + 'static,
    registration: impl Fn() -> bool + Send + Sync + Copy + 'static,
    hint: ConsentHintShown,
) -> impl IntoView {
    view! {
        <Show when=move || busy.get() && publisher()>
            <p class="progress" id="new-consent-progress" role="status">
                "Accept the permissions in your browser… Sign in there as an administrator who may consent for the organization; aadsync then asks you to sign in as usual."
            </p>
            {move || hint.view()}
        </Show>
        <Show when=move || busy.get() && registration()>
            <p class="progress" id="new-register-progress" role="status">
                "Sign in in your browser… as an administrator who may register applications, and accept the permissions asked for; aadsync then shows what it will create, and creates nothing before you confirm."
            </p>
        </Show>
    }
}

/// The form's button says what it starts, then what it waits for.
fn button_label(busy: bool, publisher: bool, registration: bool) -> &'static str {
    match (busy, publisher, registration) {
        (false, true, _) => "Add the aadsync application…",
        (false, _, true) => "Register aadsync…",
        (false, _, _) => "Sign in…",
        (true, true, _) => "Waiting for the consent…",
        (true, _, true) => "Waiting for the sign-in…",
        (true, _, _) => "Starting sign-in…",
    }
}

/// The likely causes when the admin consent page has not answered for a while (Entra ID shows
/// those refusals only in the browser), for the attempt that is still waiting.
#[derive(Clone, Copy)]
struct ConsentHintShown {
    /// Which attempt a timer belongs to: a timer of an earlier, cancelled attempt shows nothing.
    round: RwSignal<u32>,
    text: RwSignal<Option<String>>,
}

impl ConsentHintShown {
    fn new() -> Self {
        Self {
            round: RwSignal::new(0),
            text: RwSignal::new(None),
        }
    }

    /// Another attempt (the demo): no hint, and no earlier timer shows one.
    fn disarm(self) {
        self.text.set(None);
        self.round.update(|r| *r = r.wrapping_add(1));
    }

    /// A new consent: the hint is hidden, and shown after the backend's delay if `busy` still is.
    fn arm(self, request: NewOrganization, busy: Signal<bool>) {
        self.disarm();
        let round = self.round.get_untracked();
        leptos::task::spawn_local(async move {
            let Ok(hint) = ipc::call::<AdminConsentHint>(&request).await else {
                return;
            };
            let wait_ms =
                i32::try_from(hint.after_seconds.saturating_mul(1000)).unwrap_or(i32::MAX);
            crate::timer::sleep(wait_ms).await;
            if self.round.try_get_untracked() == Some(round)
                && busy.try_get_untracked() == Some(true)
            {
                let _ = self.text.try_set(Some(hint.text));
            }
        });
    }

    fn view(self) -> Option<impl IntoView> {
        let text = self.text.get()?;
        let mut lines = text.lines().map(str::to_owned);
        let lead = lines.next().unwrap_or_default();
        let causes: Vec<String> = lines.collect();
        Some(view! {
            <div class="notice" id="new-consent-hint" role="status">
                <p>{lead}</p>
                <ul>{causes.into_iter().map(|c| view! { <li>{c}</li> }).collect_view()}</ul>
            </div>
        })
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
