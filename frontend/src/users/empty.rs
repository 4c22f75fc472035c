//! What the Users area shows while the database has no users: how to import them, in one click.

use leptos::prelude::*;

/// The empty state; each button runs the callback of the same name.
#[component]
pub fn EmptyState(
    on_start_sync: Callback<()>,
    on_try_demo: Callback<()>,
    on_new: Callback<()>,
) -> impl IntoView {
    view! {
        <div class="empty-overlay">
            <div class="empty-state" id="users-empty">
                <h2>"No users yet"</h2>
                <p>
                    "Import the people of your Microsoft Entra ID tenant with "
                    <strong>"Tools → Azure AD Synchronization"</strong>
                    ". You sign in with an administrator account, pick users and groups, preview the changes, and synchronize. Users who sign in with a password of this server can be created with New user."
                </p>
                <div class="empty-actions">
                    <button class="primary" id="users-start-sync" on:click=move |_| on_start_sync.run(())>
                        "Start Azure AD Synchronization…"
                    </button>
                    <button id="users-empty-new" on:click=move |_| on_new.run(())>
                        "New local user…"
                    </button>
                    <button id="users-try-demo" on:click=move |_| on_try_demo.run(())>
                        "Try the offline demo (Contoso)"
                    </button>
                </div>
            </div>
        </div>
    }
}
