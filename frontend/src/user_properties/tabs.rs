//! The four tabs of the User properties dialog.

use super::FormContext;
use super::form::UserForm;
use crate::users::table::short_time;
use aadsync_ipc::Authentication;
use leptos::prelude::*;

fn ctx() -> FormContext {
    // Provided by `Editor` around every tab; a tab outside it is a programming error.
    use_context::<FormContext>().unwrap_or_else(|| FormContext {
        form: RwSignal::new(UserForm::new_local()),
        errors: RwSignal::new(Default::default()),
    })
}

/// A labelled text input bound to one field of the form.
#[component]
fn Field(
    id: &'static str,
    label: &'static str,
    get: fn(&UserForm) -> String,
    set: fn(&mut UserForm, String),
    #[prop(optional)] read_only: bool,
    #[prop(optional)] kind: Option<&'static str>,
) -> impl IntoView {
    let FormContext { form, .. } = ctx();
    view! {
        <label class="field" for=id>
            <span>{label}</span>
            <input
                id=id
                type=kind.unwrap_or("text")
                readonly=read_only
                aria-readonly=read_only.to_string()
                prop:value=move || form.with(get)
                on:input=move |ev| form.update(|f| set(f, event_target_value(&ev)))
            />
        </label>
    }
}

#[component]
pub fn General() -> impl IntoView {
    let FormContext { form, .. } = ctx();
    let azure = form.with_untracked(UserForm::is_azure);
    view! {
        <div class="form-grid" id="general-tab">
            <Show when=move || azure>
                <p class="note" id="general-azure-note">
                    "Imported from Microsoft Entra ID: these fields follow Entra ID and change with the next synchronization. The description is yours to edit."
                </p>
            </Show>
            <Field id="user-full-name" label="Full name" read_only=azure get=|f| f.full_name.clone() set=|f, v| f.full_name = v />
            <Field id="user-email" label="E-mail" kind="email" read_only=azure get=|f| f.email.clone() set=|f, v| f.email = v />
            <Field id="user-phone" label="Phone" kind="tel" read_only=azure get=|f| f.phone.clone() set=|f, v| f.phone = v />
            <Field id="user-department" label="Department" read_only=azure get=|f| f.department.clone() set=|f, v| f.department = v />
            <label class="field" for="user-description">
                <span>"Description"</span>
                <textarea
                    id="user-description"
                    rows="3"
                    prop:value=move || form.with(|f| f.description.clone())
                    on:input=move |ev| form.update(|f| f.description = event_target_value(&ev))
                ></textarea>
            </label>
        </div>
    }
}

#[component]
pub fn Account() -> impl IntoView {
    let FormContext { form, errors } = ctx();
    let azure = form.with_untracked(UserForm::is_azure);
    let is_new = form.with_untracked(|f| f.id.is_none());
    let radio = move |value: Authentication, id: &'static str, label: &'static str| {
        // Azure AD is never chosen by hand: it is set by import and then locked.
        let locked = azure || value == Authentication::AzureActiveDirectory;
        view! {
            <label class="radio" for=id>
                <input
                    type="radio"
                    name="authentication"
                    id=id
                    disabled=locked
                    prop:checked=move || form.with(|f| f.authentication == value)
                    on:change=move |_| form.update(|f| f.authentication = value)
                />
                {label}
            </label>
        }
    };
    view! {
        <div class="form-grid" id="account-tab">
            <label class="field" for="user-account">
                <span>"Account name"</span>
                <input
                    id="user-account"
                    readonly=azure
                    aria-readonly=azure.to_string()
                    aria-invalid=move || errors.with(|e| e.account.is_some()).to_string()
                    aria-describedby="user-account-error"
                    prop:value=move || form.with(|f| f.account_name.clone())
                    on:input=move |ev| form.update(|f| f.account_name = event_target_value(&ev))
                />
            </label>
            <p class="field-error" id="user-account-error" role="alert">
                {move || errors.with(|e| e.account.clone())}
            </p>
            <label class="check" for="user-enabled">
                <input
                    type="checkbox"
                    id="user-enabled"
                    disabled=azure
                    prop:checked=move || form.with(|f| f.enabled)
                    on:change=move |ev| form.update(|f| f.enabled = event_target_checked(&ev))
                />
                "Account is enabled"
            </label>
            <fieldset class="auth" id="user-authentication" disabled=azure>
                <legend>"Authentication type"</legend>
                {radio(Authentication::Local, "auth-local", "Local credentials (user name and password of this server)")}
                {radio(Authentication::ActiveDirectory, "auth-ad", "On-premises Active Directory")}
                {radio(Authentication::AzureActiveDirectory, "auth-azure", "Azure Active Directory")}
                <p class="note" id="auth-note">
                    {if azure {
                        "Imported from Microsoft Entra ID: this user signs in with their Microsoft account, and the authentication type cannot be changed."
                    } else {
                        "Azure Active Directory users are imported with Tools → Azure AD Synchronization; they cannot be created or converted by hand."
                    }}
                </p>
            </fieldset>
            <Show when=move || form.with(|f| f.authentication == Authentication::Local)>
                <div class="password-fields">
                    <label class="field" for="user-password">
                        <span>{if is_new { "Password" } else { "New password" }}</span>
                        <input
                            id="user-password"
                            type="password"
                            autocomplete="new-password"
                            placeholder=move || if form.with(UserForm::password_required) { "" } else { "Leave empty to keep the current password" }
                            aria-invalid=move || errors.with(|e| e.password.is_some()).to_string()
                            aria-describedby="user-password-error"
                            prop:value=move || form.with(|f| f.password.clone())
                            on:input=move |ev| form.update(|f| f.password = event_target_value(&ev))
                        />
                    </label>
                    <label class="field" for="user-password-confirm">
                        <span>"Confirm password"</span>
                        <input
                            id="user-password-confirm"
                            type="password"
                            autocomplete="new-password"
                            prop:value=move || form.with(|f| f.confirm.clone())
                            on:input=move |ev| form.update(|f| f.confirm = event_target_value(&ev))
                        />
                    </label>
                    <p class="field-error" id="user-password-error" role="alert">
                        {move || errors.with(|e| e.password.clone())}
                    </p>
                    <p class="note">"At least 12 characters, mixing three of: lower-case, upper-case, digits, symbols."</p>
                </div>
            </Show>
        </div>
    }
}

#[component]
pub fn MemberOf() -> impl IntoView {
    let FormContext { form, .. } = ctx();
    let groups = form.with_untracked(|f| f.member_of.clone());
    view! {
        <div id="member-of-tab">
            {if groups.is_empty() {
                view! { <p class="muted">"Not a member of any group"</p> }.into_any()
            } else {
                view! {
                    <ul class="group-list">
                        {groups.into_iter().map(|g| view! {
                            <li>
                                <span class="group-name">{g.name}</span>
                                <span class="muted">{if g.from_azure_ad { " · from Azure AD" } else { " · local" }}</span>
                            </li>
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </div>
    }
}

#[component]
pub fn AzureAd() -> impl IntoView {
    let FormContext { form, .. } = ctx();
    let Some(a) = form.with_untracked(|f| f.azure.clone()) else {
        return view! { <p class="muted">"Not an Azure AD user"</p> }.into_any();
    };
    let opt = |v: Option<String>| v.filter(|s| !s.is_empty()).unwrap_or_else(|| "—".into());
    let yes_no = |v: bool| if v { "Yes" } else { "No" }.to_owned();
    let organization = match a.organization {
        Some(name) => format!("{name} ({})", a.tenant_id),
        None => a.tenant_id.clone(),
    };
    let facts: Vec<(&'static str, &'static str, String)> = vec![
        ("azure-object-id", "Object ID", a.object_id),
        ("azure-tenant", "Tenant (organization)", organization),
        ("azure-upn", "User principal name", a.user_principal_name),
        ("azure-display-name", "Display name", a.display_name),
        ("azure-given-name", "Given name", opt(a.given_name)),
        ("azure-surname", "Surname", opt(a.surname)),
        ("azure-mail", "Mail", opt(a.mail)),
        ("azure-job-title", "Job title", opt(a.job_title)),
        ("azure-department", "Department", opt(a.department)),
        ("azure-office", "Office location", opt(a.office_location)),
        ("azure-mobile", "Mobile phone", opt(a.mobile_phone)),
        (
            "azure-business-phones",
            "Business phones",
            if a.business_phones.is_empty() {
                "—".into()
            } else {
                a.business_phones.join(", ")
            },
        ),
        ("azure-user-type", "User type", a.user_type),
        (
            "azure-account-enabled",
            "Account enabled",
            yes_no(a.account_enabled),
        ),
        (
            "azure-created",
            "Created in Entra ID",
            a.created_in_entra
                .as_deref()
                .map(short_time)
                .unwrap_or_else(|| "—".into()),
        ),
        (
            "azure-on-premises",
            "On-premises synced",
            a.on_premises_synced
                .map(yes_no)
                .unwrap_or_else(|| "—".into()),
        ),
        (
            "azure-last-sync",
            "Last synchronized",
            short_time(&a.last_synchronized),
        ),
        (
            "azure-deleted",
            "In Entra ID",
            a.deleted_in_directory.unwrap_or_else(|| "Present".into()),
        ),
        (
            "azure-imported-via",
            "Imported through",
            if a.imported_via.is_empty() {
                "Selected directly".into()
            } else {
                a.imported_via
            },
        ),
    ];
    view! {
        <div id="azure-ad-tab">
            <p class="note">"Read-only: these attributes come from Microsoft Entra ID and are refreshed by every synchronization."</p>
            <dl class="facts">
                {facts.into_iter().map(|(id, label, value)| view! {
                    <dt>{label}</dt>
                    <dd id=id class="selectable">{value}</dd>
                }).collect_view()}
            </dl>
        </div>
    }
    .into_any()
}
