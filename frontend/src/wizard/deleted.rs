//! Step 5, Deleted objects: what happens on the server to objects imported earlier that Entra
//! ID deleted or disabled, to users deleted here that would come back, and the confirmation a
//! mass change needs.

use super::Wizard;
use aadsync_ipc::{DeletedAction, DeletedRow, EntryKind, SyncPreview, TombstoneRow};
use leptos::prelude::*;

/// Where the right-click menu of the deleted objects is open.
type BulkMenu = RwSignal<Option<(i32, i32)>>;

/// The Deleted objects step; Next waits for the confirmation while the changes exceed the
/// organization's deletion safeguard.
#[component]
pub fn DeletedObjectsStep() -> impl IntoView {
    let wizard = expect_context::<Wizard>();
    let menu: BulkMenu = RwSignal::new(None);
    Effect::new(move |_| {
        wizard
            .ready
            .set(!exceeded(wizard) || wizard.confirm_mass.get());
    });
    view! {
        <div class="step-deleted">
            {move || {
                wizard
                    .preview
                    .get()
                    .filter(|p| !p.tombstoned.is_empty())
                    .map(|p| tombstoned_table(wizard, p.tombstoned))
            }}
            {move || {
                wizard.preview.get().filter(|p| !p.deleted_skipped.is_empty()).map(|p| view! {
                    <div class="notice" id="deleted-skipped">
                        {p.deleted_skipped.into_iter().map(|line| view! { <p>{line}</p> }).collect_view()}
                    </div>
                })
            }}
            {move || wizard.preview.get().map(|p| deleted_view(wizard, menu, p))}
            {move || bulk_menu(wizard, menu)}
        </div>
    }
}

/// Whether the chosen actions exceed the organization's deletion safeguard.
fn exceeded(wizard: Wizard) -> bool {
    wizard.preview.with(|p| {
        p.as_ref()
            .is_some_and(|p| wizard.decisions.with(|d| p.threshold_exceeded(d)))
    })
}

/// How many objects would be disabled or deleted.
fn affected(wizard: Wizard) -> usize {
    wizard
        .decisions
        .with(|d| d.iter().filter(|x| x.action != DeletedAction::Keep).count())
}

fn action_value(action: DeletedAction) -> &'static str {
    match action {
        DeletedAction::Keep => "keep",
        DeletedAction::Disable => "disable",
        DeletedAction::Delete => "delete",
    }
}

fn action_from(value: &str) -> DeletedAction {
    match value {
        "keep" => DeletedAction::Keep,
        "delete" => DeletedAction::Delete,
        _ => DeletedAction::Disable,
    }
}

/// Users deleted on this server and still in Entra ID: ignore (default) or import again.
fn tombstoned_table(wizard: Wizard, rows: Vec<TombstoneRow>) -> impl IntoView {
    view! {
        <p>"Deleted on this server, still in Entra ID:"</p>
        <div class="table-scroll" tabindex="0" role="region" aria-label="Users deleted on this server">
            <table class="outcomes" id="tombstoned-rows">
                <thead><tr><th>"Account"</th><th>"Name"</th><th>"On the server"</th></tr></thead>
                <tbody>
                    {rows.into_iter().enumerate().map(|(i, row)| tombstoned_row(wizard, i, row)).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

fn tombstoned_row(wizard: Wizard, i: usize, row: TombstoneRow) -> impl IntoView {
    let id = row.id.clone();
    let chosen = {
        let id = id.clone();
        move || wizard.reimport.with(|r| r.contains(&id))
    };
    let label = format!("What to do with {}", row.display_name);
    view! {
        <tr data-id=row.id.clone()>
            <td>{row.account}</td>
            <td>{row.display_name}</td>
            <td>
                <select
                    id=format!("tombstone-action-{i}")
                    aria-label=label
                    prop:value=move || if chosen() { "reimport" } else { "ignore" }
                    on:change=move |ev| {
                        let on = event_target_value(&ev) == "reimport";
                        let id = id.clone();
                        wizard.reimport.update(|r| {
                            r.retain(|x| *x != id);
                            if on {
                                r.push(id);
                            }
                        });
                    }
                >
                    <option value="ignore">"Ignore (stay deleted)"</option>
                    <option value="reimport">"Re-import"</option>
                </select>
            </td>
        </tr>
    }
}

/// The objects deleted or disabled in Entra ID with an action each, and the confirmation.
fn deleted_view(wizard: Wizard, menu: BulkMenu, p: SyncPreview) -> AnyView {
    if p.deleted.is_empty() {
        return view! {
            <p id="deleted-none">"Nothing to decide: everything imported earlier from this organization is still in Entra ID, enabled and in scope."</p>
        }.into_any();
    }
    let rows = p.deleted.clone();
    view! {
        <p>"These objects were imported earlier. Choose what happens to each on the server (right-click for all at once):"</p>
        <p class="muted">"For a group, Disable takes away its Azure AD members (the group stays, marked as deleted in Entra ID) and Delete removes it; its users stay either way."</p>
        <div class="table-scroll" tabindex="0" role="region" aria-label="Objects deleted, disabled or out of scope in Entra ID" on:contextmenu=move |ev| { ev.prevent_default(); menu.set(Some((ev.client_x(), ev.client_y()))); }>
            <table class="outcomes" id="deleted-rows">
                <thead><tr><th>"Account"</th><th>"Name"</th><th>"In Entra ID"</th><th>"On the server"</th></tr></thead>
                <tbody>
                    {rows.into_iter().enumerate().map(|(i, row)| deleted_row(wizard, i, row)).collect_view()}
                </tbody>
            </table>
        </div>
        <Show when=move || exceeded(wizard)>
            {threshold_confirmation(wizard, &p)}
        </Show>
    }
    .into_any()
}

fn deleted_row(wizard: Wizard, i: usize, row: DeletedRow) -> impl IntoView {
    let id = row.id.clone();
    let current = {
        let id = id.clone();
        move || {
            wizard.decisions.with(|d| {
                d.iter()
                    .find(|x| x.id == id)
                    .map_or(DeletedAction::Disable, |x| x.action)
            })
        }
    };
    let label = format!("What to do with {}", row.display_name);
    view! {
        <tr data-id=row.id.clone()>
            <td>{if row.kind == EntryKind::Group {
                view! { <span class="muted">"Group"</span> }.into_any()
            } else {
                row.account.into_any()
            }}</td>
            <td>{row.display_name}</td>
            <td>{row.detail}</td>
            <td>
                <select
                    id=format!("deleted-action-{i}")
                    aria-label=label
                    prop:value=move || action_value(current())
                    on:change=move |ev| {
                        let action = action_from(&event_target_value(&ev));
                        let id = id.clone();
                        wizard.decisions.update(|d| {
                            if let Some(x) = d.iter_mut().find(|x| x.id == id) {
                                x.action = action;
                            }
                        });
                    }
                >
                    <option value="keep">"Keep"</option>
                    <option value="disable">"Disable on server"</option>
                    <option value="delete">"Delete from server"</option>
                </select>
            </td>
        </tr>
    }
}

/// The numbers that exceed the safeguard, and the checkbox that confirms them.
fn threshold_confirmation(wizard: Wizard, p: &SyncPreview) -> impl IntoView + use<> {
    let (total, count, percent) = (p.imported_total, p.threshold_count, p.threshold_percent);
    view! {
        <div class="confirm" role="alert" id="deleted-threshold">
            <p>
                {move || format!(
                    "{} of the {} objects imported from this organization would be disabled or deleted — more than {} objects and more than {}%. This often means a wrong selection or a problem in Entra ID.",
                    affected(wizard),
                    total,
                    count,
                    percent
                )}
            </p>
            <label class="check">
                <input
                    type="checkbox"
                    id="deleted-confirm"
                    prop:checked=move || wizard.confirm_mass.get()
                    on:change=move |ev| wizard.confirm_mass.set(event_target_checked(&ev))
                />
                {move || format!("Yes, disable or delete these {} objects", affected(wizard))}
            </label>
        </div>
    }
}

/// The right-click menu, while open: one action for all deleted objects at once.
fn bulk_menu(wizard: Wizard, menu: BulkMenu) -> Option<impl IntoView> {
    let (x, y) = menu.get()?;
    let set_all = move |action: DeletedAction| {
        wizard
            .decisions
            .update(|d| d.iter_mut().for_each(|x| x.action = action));
        menu.set(None);
    };
    Some(view! {
        <div class="menu-dismiss" on:click=move |_| menu.set(None) on:contextmenu=move |ev| { ev.prevent_default(); menu.set(None) }></div>
        <div class="menu-list context-menu" role="menu" id="deleted-menu" style:left=format!("{x}px") style:top=format!("{y}px")>
            <button class="menu-item" role="menuitem" id="deleted-all-keep" on:click=move |_| set_all(DeletedAction::Keep)>"Keep all"</button>
            <button class="menu-item" role="menuitem" id="deleted-all-disable" on:click=move |_| set_all(DeletedAction::Disable)>"Disable all on server"</button>
            <button class="menu-item" role="menuitem" id="deleted-all-delete" on:click=move |_| set_all(DeletedAction::Delete)>"Delete all from server"</button>
        </div>
    })
}
