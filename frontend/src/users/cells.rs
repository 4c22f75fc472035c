//! The cells of one row of the users table, and how times are shown in them.

use aadsync_ipc::{Authentication, UserRow};
use leptos::prelude::*;

/// A stored UTC time in this computer's local time, with its offset ([`crate::time::local`]).
pub fn short_time(iso: &str) -> String {
    crate::time::local(iso)
}

/// The cells of `row`, in the order of the column headers.
#[component]
pub fn Cells(row: UserRow) -> impl IntoView {
    let icon = match (row.authentication, row.guest) {
        (Authentication::AzureActiveDirectory, true) => ("icon-guest", "Guest from Azure AD"),
        (Authentication::AzureActiveDirectory, false) => ("icon-azure", "Azure AD user"),
        (Authentication::ActiveDirectory, _) => ("icon-ad", "Active Directory user"),
        (Authentication::Local, _) => ("icon-local", "Local user"),
    };
    view! {
        <div role="gridcell" class="cell account" title=row.account_name.clone()>
            <span class=format!("type-icon {}", icon.0) title=icon.1 aria-label=icon.1></span>
            {row.account_name.clone()}
        </div>
        <div role="gridcell" class="cell">{row.authentication.label()}</div>
        <div role="gridcell" class="cell" title=row.user_principal_name.clone().unwrap_or_default()>
            {row.user_principal_name.clone().unwrap_or_default()}
        </div>
        <div role="gridcell" class="cell state">{row.state.clone()}</div>
        <div role="gridcell" class="cell" title=row.full_name.clone()>{row.full_name.clone()}</div>
        <div role="gridcell" class="cell" title=row.email.clone()>{row.email.clone()}</div>
        <div role="gridcell" class="cell">{row.department.clone()}</div>
        <div role="gridcell" class="cell">{row.last_synchronized.as_deref().map(short_time).unwrap_or_default()}</div>
    }
}
