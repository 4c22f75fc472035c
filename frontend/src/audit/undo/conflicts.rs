//! The undo dialog's "Changed since this synchronization": one group of rows per conflict
//! (object, what happened, each field now and what the undo would restore) with its choice,
//! and Keep all newer values / Restore all above them.

use super::choices::{Choices, resolution_from, resolution_value};
use aadsync_ipc::{Resolution, UndoConflictView, UndoFieldView};
use leptos::prelude::*;

/// Why Restore is unavailable on a conflict that is not restorable.
const NOT_RESTORABLE: &str = "Cannot be restored: the old value now belongs to another object. Only the newer value can be kept";

/// The conflicts of one preview and the administrator's choice for each.
///
/// - `conflicts`: the preview's conflicts (not empty).
/// - `choices`: the choices made on this preview; every row and both buttons write here.
#[component]
pub fn ConflictsTable(
    conflicts: Vec<UndoConflictView>,
    choices: RwSignal<Choices>,
) -> impl IntoView {
    let n = conflicts.len();
    let any_restorable = conflicts.iter().any(|c| c.restorable);
    let all = StoredValue::new(conflicts.clone());
    let choose_all = move |resolution: Resolution| {
        all.with_value(|c| choices.update(|ch| ch.choose_all(c, resolution)));
    };
    let restored = move || all.with_value(|c| choices.with(|ch| ch.restored(c)));
    view! {
        <h4 id="undo-conflicts-title">"Changed since this synchronization"</h4>
        <p class="muted">
            {if n == 1 {
                "This row changed after the run. Undo leaves it as it is now unless you choose Restore.".to_owned()
            } else {
                format!("These {n} rows changed after the run. Undo leaves them as they are now unless you choose Restore.")
            }}
        </p>
        <div class="undo-all">
            <button id="undo-keep-all" type="button" on:click=move |_| choose_all(Resolution::KeepNewer)>
                "Keep all newer values"
            </button>
            <button
                id="undo-restore-all"
                type="button"
                disabled=!any_restorable
                title=(!any_restorable).then_some(NOT_RESTORABLE)
                on:click=move |_| choose_all(Resolution::Restore)
            >
                "Restore all"
            </button>
            <span class="muted" id="undo-choice-counts" role="status">
                {move || format!("{} kept, {} restored", n - restored(), restored())}
            </span>
        </div>
        <div class="table-scroll" tabindex="0" role="region" aria-label="Conflicts of the undo">
            <table class="outcomes undo-conflicts" id="undo-conflicts">
                <thead>
                    <tr>
                        <th>"Object"</th><th>"What happened"</th><th>"Field"</th>
                        <th>"Now"</th><th>"Undo would restore"</th><th>"Choice"</th>
                    </tr>
                </thead>
                {conflicts.into_iter().map(|c| conflict_rows(c, choices)).collect_view()}
            </table>
        </div>
    }
}

/// One conflict: a `tbody` with a row per field; object, problem and choice span them.
fn conflict_rows(conflict: UndoConflictView, choices: RwSignal<Choices>) -> impl IntoView {
    let id = conflict.id;
    let span = conflict.fields.len().max(1).to_string();
    let mut fields = conflict.fields.clone().into_iter();
    let first = fields.next();
    let rest: Vec<UndoFieldView> = fields.collect();
    view! {
        <tbody
            class="undo-conflict"
            id=format!("undo-conflict-{id}")
            data-conflict-id=id.to_string()
        >
            <tr>
                <td rowspan=span.clone()>
                    <span class="muted">{conflict.object_type.clone()}</span>" "
                    <span class="undo-object">{conflict.object.clone()}</span>
                </td>
                <td rowspan=span.clone() class="undo-problem">{conflict.problem.clone()}</td>
                {field_cells(first)}
                <td rowspan=span>{choice(conflict, choices)}</td>
            </tr>
            {rest.into_iter().map(|f| view! { <tr>{field_cells(Some(f))}</tr> }).collect_view()}
        </tbody>
    }
}

/// A field's name, its value now and the value the undo would restore ("—" when empty).
fn field_cells(field: Option<UndoFieldView>) -> impl IntoView {
    let shown = |v: String| if v.is_empty() { "—".to_owned() } else { v };
    match field {
        Some(f) => view! {
            <td class="undo-field">{f.field}</td>
            <td class="undo-now">{shown(f.now)}</td>
            <td class="undo-restore">{shown(f.restore)}</td>
        }
        .into_any(),
        None => view! { <td colspan="3" class="muted">"—"</td> }.into_any(),
    }
}

/// The conflict's choice: Keep newer value or Restore (disabled, with why, when impossible).
fn choice(conflict: UndoConflictView, choices: RwSignal<Choices>) -> impl IntoView {
    let id = conflict.id;
    let restorable = conflict.restorable;
    let label = format!("Choice for {}", conflict.object);
    let conflict = StoredValue::new(conflict);
    view! {
        <select
            id=format!("undo-choice-{id}")
            class="undo-choice"
            aria-label=label
            title=(!restorable).then_some(NOT_RESTORABLE)
            prop:value=move || resolution_value(choices.with(|c| c.of(id)))
            on:change=move |ev| {
                let resolution = resolution_from(&event_target_value(&ev));
                conflict.with_value(|c| choices.update(|ch| ch.choose(c, resolution)));
            }
        >
            <option value=resolution_value(Resolution::KeepNewer)>"Keep newer value"</option>
            <option
                value=resolution_value(Resolution::Restore)
                disabled=!restorable
                title=(!restorable).then_some(NOT_RESTORABLE)
            >
                "Restore"
            </option>
        </select>
    }
}
