//! Step 3's saved scope: the organization's scope roots loaded when the step opens, summarised
//! ("Saved scope: 3 groups with members, 2 users — Show"), and, shown, one row per root where
//! the admin takes it out of the scope or changes a group's *members*/*nested* flags. The
//! Preview says what that changes; the synchronization writes it.

use super::Wizard;
use super::saved::SavedScope;
use crate::components::error::{ErrorMessage, failure};
use crate::ipc;
use aadsync_ipc::{
    EntryKind, IpcError, OrganizationRef, SavedRootRow, SavedScope as SavedScopeCmd,
};
use leptos::prelude::*;

/// The saved scope panel; loads the scope the first time it shows an organization.
#[component]
pub fn SavedScopePanel() -> impl IntoView {
    let wizard = expect_context::<Wizard>();
    let load = Action::new_unsync(move |organization: &i64| {
        let organization = *organization;
        async move {
            let roots = ipc::call::<SavedScopeCmd>(&OrganizationRef { id: organization }).await?;
            wizard.saved.set(SavedScope::loaded(organization, roots));
            Ok::<(), IpcError>(())
        }
    });
    if let Some(organization) = wizard.organization()
        && wizard.saved.with_untracked(|s| s.organization) != Some(organization)
    {
        wizard.saved.set(SavedScope::default());
        load.dispatch(organization);
    }
    let error = failure(load);
    let shown = RwSignal::new(false);
    view! {
        <ErrorMessage id="saved-scope-error" message=error />
        <Show when=move || wizard.saved.with(|s| !s.roots.is_empty())>
            <div class="saved-scope" id="saved-scope">
                <p>
                    <span id="saved-scope-summary">{move || wizard.saved.with(SavedScope::summary)}</span>
                    " — "
                    <button
                        id="saved-scope-show"
                        aria-expanded=move || shown.get().to_string()
                        on:click=move |_| shown.update(|s| *s = !*s)
                    >
                        {move || if shown.get() { "Hide" } else { "Show" }}
                    </button>
                </p>
                <p class="muted">"Every synchronization imports these again (nothing else needs to be ticked). Take a root out, or change a group's flags, and the Preview says who leaves the scope."</p>
                <Show when=move || wizard.saved.with(SavedScope::changed)>
                    <p class="notice" id="saved-scope-changed" role="status">"Saved scope changed: the Preview shows who leaves the scope; the synchronization saves it."</p>
                </Show>
                <Show when=move || shown.get()>
                    <div class="saved-roots" id="saved-scope-roots" role="table" aria-label="Saved scope">
                        <div class="saved-root saved-root-head" role="row">
                            <span role="columnheader">"Name"</span>
                            <span role="columnheader">"Users in scope"</span>
                            <span role="columnheader">"Members"</span>
                            <span role="columnheader">"Nested"</span>
                            <span role="columnheader">"Take out"</span>
                        </div>
                        {move || wizard.saved.with(|s| s.roots.clone()).into_iter().map(|r| root_row(wizard, r)).collect_view()}
                    </div>
                </Show>
            </div>
        </Show>
    }
}

/// One saved root: its name, the users it reaches, its flags (groups) and Take out.
fn root_row(wizard: Wizard, root: SavedRootRow) -> impl IntoView {
    let id = root.id.clone();
    let group = root.kind == EntryKind::Group;
    let name = if root.display_name.is_empty() {
        root.id.clone()
    } else {
        root.display_name.clone()
    };
    let flags = {
        let root = root.clone();
        move || wizard.saved.with(|s| s.flags(&root))
    };
    let removed = {
        let id = id.clone();
        move || wizard.saved.with(|s| s.is_removed(&id))
    };
    let (id_m, id_n, id_r) = (id.clone(), id.clone(), id.clone());
    let struck = removed.clone();
    let flags_n = flags.clone();
    view! {
        <div class="saved-root" role="row" id=format!("saved-root-{id}") data-id=id.clone() class:removed=struck>
            // The dot tells a group from a user at a glance; the hidden word tells it aloud.
            <span role="cell">
                <span class=if group { "type-icon icon-group" } else { "type-icon icon-user" } aria-hidden="true"></span>
                <span class="visually-hidden">{if group { "Group " } else { "User " }}</span>
                {name}
            </span>
            <span role="cell">{root.users_reached}</span>
            <span role="cell">
                <input
                    type="checkbox"
                    id=format!("saved-root-members-{id}")
                    aria-label="Import the group's members"
                    disabled=!group
                    prop:checked=move || flags().0
                    on:change=move |ev| wizard.saved.update(|s| s.set_members(&id_m, event_target_checked(&ev)))
                />
            </span>
            <span role="cell">
                <input
                    type="checkbox"
                    id=format!("saved-root-nested-{id}")
                    aria-label="Include nested groups"
                    disabled=!group
                    prop:checked=move || flags_n().1
                    on:change=move |ev| wizard.saved.update(|s| s.set_nested(&id_n, event_target_checked(&ev)))
                />
            </span>
            <span role="cell">
                <input
                    type="checkbox"
                    id=format!("saved-root-remove-{id}")
                    aria-label="Take out of the saved scope"
                    prop:checked=removed
                    on:change=move |ev| wizard.saved.update(|s| s.set_removed(&id_r, event_target_checked(&ev)))
                />
            </span>
        </div>
    }
}
