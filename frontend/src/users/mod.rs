//! The Users area: the server's users, and how to get the first ones.

use leptos::prelude::*;

/// Column headings of the users table, in display order (DESIGN §2).
pub const COLUMNS: [&str; 8] = [
    "Account",
    "Authentication",
    "User Principal Name",
    "State",
    "Full name",
    "Email",
    "Department",
    "Last synchronized",
];

#[component]
pub fn UsersArea(#[prop(into)] on_start_sync: Callback<()>) -> impl IntoView {
    view! {
        <section class="users" aria-labelledby="users-heading">
            <h1 id="users-heading" class="area-title">"Users"</h1>
            <div class="table-frame" role="table" aria-label="Server users" aria-rowcount="0">
                <div class="table-head" role="row">
                    {COLUMNS
                        .iter()
                        .map(|c| view! { <div role="columnheader" class="cell">{*c}</div> })
                        .collect_view()}
                </div>
                <div class="empty-state" id="users-empty">
                    <h2>"No users yet"</h2>
                    <p>
                        "Import the people of your Microsoft Entra ID tenant with "
                        <strong>"Tools → Azure AD Synchronization"</strong>
                        ". You sign in with an administrator account, pick users and groups, preview the changes, and synchronize."
                    </p>
                    <button class="primary" id="users-start-sync" on:click=move |_| on_start_sync.run(())>
                        "Start Azure AD Synchronization…"
                    </button>
                </div>
            </div>
        </section>
    }
}
