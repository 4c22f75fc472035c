//! The Account tab: account name, enabled, authentication type and password.

use super::ctx;
use crate::components::error::{ErrorMessage, Look};
use crate::user_properties::FormContext;
use crate::user_properties::form::{FormErrors, UserForm};
use aadsync_ipc::Authentication;
use leptos::prelude::*;

/// The Account tab; its errors show under the account name and the password.
#[component]
pub fn Account() -> impl IntoView {
    let FormContext { form, errors } = ctx();
    let azure = form.with_untracked(UserForm::is_azure);
    let is_new = form.with_untracked(|f| f.id.is_none());
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
            <ErrorMessage
                id="user-account-error"
                message=Signal::derive(move || errors.with(|e| e.account.clone()))
                look=Look::Field
                keep=true
            />
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
                {radio(form, azure, Authentication::Local, "auth-local", "Local credentials (user name and password of this server)")}
                {radio(form, azure, Authentication::ActiveDirectory, "auth-ad", "On-premises Active Directory")}
                {radio(form, azure, Authentication::AzureActiveDirectory, "auth-azure", "Azure Active Directory")}
                <p class="note" id="auth-note">
                    {if azure {
                        "Imported from Microsoft Entra ID: this user signs in with their Microsoft account, and the authentication type cannot be changed."
                    } else {
                        "Azure Active Directory users are imported with Tools → Azure AD Synchronization; they cannot be created or converted by hand."
                    }}
                </p>
            </fieldset>
            <Show when=move || form.with(|f| f.authentication == Authentication::Local)>
                {password_fields(form, errors, is_new)}
            </Show>
        </div>
    }
}

/// One authentication type's radio button.
fn radio(
    form: RwSignal<UserForm>,
    azure: bool,
    value: Authentication,
    id: &'static str,
    label: &'static str,
) -> impl IntoView {
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
}

/// Password and confirmation, for local credentials; `is_new`: a new user must set one.
fn password_fields(
    form: RwSignal<UserForm>,
    errors: RwSignal<FormErrors>,
    is_new: bool,
) -> impl IntoView {
    view! {
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
            <ErrorMessage
                id="user-password-error"
                message=Signal::derive(move || errors.with(|e| e.password.clone()))
                look=Look::Field
                keep=true
            />
            <p class="note">"At least 12 characters, mixing three of: lower-case, upper-case, digits, symbols."</p>
        </div>
    }
}
