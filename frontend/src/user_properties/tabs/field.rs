//! A labelled text input bound to one field of the user form.

use super::ctx;
use crate::user_properties::FormContext;
use crate::user_properties::form::UserForm;
use leptos::prelude::*;

/// A labelled text input bound to one field of the form.
///
/// - `get`/`set`: read and write the field in [`UserForm`].
/// - `read_only`: shown but not editable (an Azure AD user's directory fields).
/// - `kind`: the input type, `text` by default.
#[component]
pub fn Field(
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
