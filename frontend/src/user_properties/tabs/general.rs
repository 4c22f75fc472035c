//! The General tab: names and contact details (read-only for Azure AD users), description.

use super::ctx;
use super::field::Field;
use crate::user_properties::FormContext;
use crate::user_properties::form::UserForm;
use leptos::prelude::*;

/// The General tab.
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
