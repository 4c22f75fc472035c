//! The four tabs of the User properties dialog, and the form they share.

mod account;
mod azure_ad;
mod decision;
mod field;
mod general;
mod member_of;

use super::FormContext;
use super::form::UserForm;
use leptos::prelude::*;

pub use account::Account;
pub use azure_ad::AzureAd;
pub use general::General;
pub use member_of::MemberOf;

/// The form the tabs share.
fn ctx() -> FormContext {
    // Provided by `Editor` around every tab; a tab outside it is a programming error, and
    // showing an empty form beats a panic.
    use_context::<FormContext>().unwrap_or_else(|| FormContext {
        form: RwSignal::new(UserForm::new_local()),
        errors: RwSignal::new(Default::default()),
    })
}
