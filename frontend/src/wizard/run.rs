//! Steps 4–7: Preview (counts, then rows), Deleted objects, Synchronize (progress, Cancel),
//! Results (per-object outcomes, totals, duration, export).

use super::Wizard;
use crate::ipc;
use crate::timer::sleep;
use aadsync_ipc::{
    CancelSync, DeletedAction, DeletedDecision, EntryKind, ExportFormat, ExportRequest, ExportRun,
    JobRef, Outcome, OutcomeRow, PlanRef, PlanRequest, PlanSync, StartSync, SyncStatusCmd,
};
use leptos::prelude::*;
use leptos::task::spawn_local;

/// Rows shown in a table before "and N more" (the export has them all).
const SHOWN: usize = 2_000;

fn outcome_label(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Create => "Create",
        Outcome::Update => "Update",
        Outcome::Unchanged => "Unchanged",
        Outcome::Disable => "Disable",
        Outcome::Delete => "Delete",
        Outcome::Conflict => "Conflict",
    }
}

fn outcome_table(id: &'static str, rows: Vec<OutcomeRow>, result: bool) -> impl IntoView {
    let more = rows.len().saturating_sub(SHOWN);
    // Changes first: what the admin must look at is on top.
    let mut rows = rows;
    rows.sort_by_key(|r| match r.outcome {
        Outcome::Conflict => 0,
        Outcome::Delete => 1,
        Outcome::Disable => 2,
        Outcome::Create => 3,
        Outcome::Update => 4,
        Outcome::Unchanged => 5,
    });
    rows.truncate(SHOWN);
    view! {
        <table class="outcomes" id=id>
            <thead><tr><th>"Type"</th><th>"Name"</th><th>{if result { "Outcome" } else { "Action" }}</th><th>"Details"</th></tr></thead>
            <tbody>
                {rows.into_iter().map(|r| {
                    let label = match (result, r.outcome) {
                        (true, Outcome::Create) => "Created",
                        (true, Outcome::Update) => "Updated",
                        (true, Outcome::Conflict) => "Failed",
                        (true, Outcome::Disable) => "Disabled",
                        (true, Outcome::Delete) => "Deleted",
                        (_, o) => outcome_label(o),
                    };
                    view! {
                        <tr class=format!("outcome-{}", outcome_label(r.outcome).to_lowercase()) data-id=r.id.clone()>
                            <td>{match r.kind { EntryKind::User => "User", EntryKind::Group => "Group" }}</td>
                            <td>{r.display_name}</td>
                            <td>{label}</td>
                            <td>{r.detail}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
        {(more > 0).then(|| view! { <p class="muted">{format!("… and {more} more (all of them are in the export)")}</p> })}
    }
}

#[component]
pub fn PreviewStep() -> impl IntoView {
    let wizard = expect_context::<Wizard>();
    let error = RwSignal::new(None::<String>);
    let progress = RwSignal::new(None::<aadsync_ipc::PlanProgress>);
    wizard.ready.set(false);
    wizard.preview.set(None);
    if let Some(organization) = wizard.organization() {
        let selection = wizard.select.with_untracked(|m| {
            m.selection(
                wizard.members.get_untracked(),
                wizard.nested.get_untracked(),
            )
        });
        // Show what the read is doing while it runs (it can take a while on a big tenant).
        spawn_local(async move {
            while wizard.preview.try_get_untracked().flatten().is_none()
                && error.try_get_untracked().flatten().is_none()
            {
                if let Ok(p) =
                    ipc::call::<aadsync_ipc::PlanProgressCmd>(&aadsync_ipc::NoArgs {}).await
                    && progress.try_set(Some(p)).is_some()
                {
                    return;
                }
                sleep(250).await;
            }
        });
        spawn_local(async move {
            match ipc::call::<PlanSync>(&PlanRequest {
                organization,
                selection,
                check_deleted: wizard.flow.with_untracked(|f| f.check_deleted()),
            })
            .await
            {
                Ok(preview) => {
                    let _ = wizard.decisions.try_set(
                        preview
                            .deleted
                            .iter()
                            .map(|d| DeletedDecision {
                                id: d.id.clone(),
                                action: d.action,
                            })
                            .collect(),
                    );
                    let _ = wizard.confirm_mass.try_set(false);
                    let _ = wizard.reimport.try_set(Vec::new());
                    let _ = wizard.preview.try_set(Some(preview));
                    let _ = wizard.ready.try_set(true);
                }
                Err(err) => {
                    let _ = error.try_set(Some(err.message));
                }
            }
        });
    }
    view! {
        <div class="step-preview">
            {move || match (wizard.preview.get(), error.get()) {
                (_, Some(message)) => view! { <p class="error" role="alert" id="preview-error">{message}</p> }.into_any(),
                (None, None) => view! {
                    <p class="progress" role="status" id="preview-loading">
                        {move || match progress.get() {
                            Some(p) if p.done > 0 => format!("{}… {} so far", p.phase, p.done),
                            Some(p) => format!("{}…", p.phase),
                            None => "Reading the selection from Entra ID…".to_owned(),
                        }}
                    </p>
                }.into_any(),
                (Some(p), None) => {
                    let c = p.counts;
                    view! {
                        <p id="preview-counts" class="counts" role="status">
                            <span>{format!("{} to create", c.create)}</span>
                            <span>{format!("{} to update", c.update)}</span>
                            <span>{format!("{} unchanged", c.unchanged)}</span>
                            <span class:error={c.conflict > 0}>{format!("{} conflicts", c.conflict)}</span>
                        </p>
                        {(!p.deleted.is_empty()).then(|| view! {
                            <p class="notice" id="preview-deleted">
                                {format!("{} objects imported earlier are deleted, disabled or out of scope in Entra ID: decide about them in the next step.", p.deleted.len())}
                            </p>
                        })}
                        {(!p.tombstoned.is_empty()).then(|| {
                            let text = if wizard.flow.with_untracked(|f| f.check_deleted()) {
                                format!("{} users deleted on this server would come back with this selection: decide in the next step.", p.tombstoned.len())
                            } else {
                                format!("{} users deleted on this server are left out. Turn on Check deleted objects (step 3) to import them again.", p.tombstoned.len())
                            };
                            view! { <p class="notice" id="preview-tombstoned">{text}</p> }
                        })}
                        {(p.deleted_unchecked > 0).then(|| view! {
                            <p class="notice" id="preview-deleted-unchecked">
                                {format!("Entra ID reports {} imported objects as deleted. They are left as they are: turn on Check deleted objects (step 3) to decide about them.", p.deleted_unchecked)}
                            </p>
                        })}
                        <p class="muted" id="preview-read-mode">{p.read_mode.clone()}</p>
                        <p class="muted">"Nothing has been written yet. Objects imported earlier from this organization are refreshed too. Conflicts are skipped and reported."</p>
                        <div class="table-scroll">{outcome_table("preview-rows", p.rows, false)}</div>
                    }.into_any()
                }
            }}
        </div>
    }
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

#[component]
pub fn DeletedObjectsStep() -> impl IntoView {
    let wizard = expect_context::<Wizard>();
    let menu = RwSignal::new(None::<(i32, i32)>);
    let exceeded = move || {
        wizard.preview.with(|p| {
            p.as_ref()
                .is_some_and(|p| wizard.decisions.with(|d| p.threshold_exceeded(d)))
        })
    };
    Effect::new(move |_| {
        wizard.ready.set(!exceeded() || wizard.confirm_mass.get());
    });
    let set_all = move |action: DeletedAction| {
        wizard
            .decisions
            .update(|d| d.iter_mut().for_each(|x| x.action = action));
        menu.set(None);
    };
    let affected = move || {
        wizard
            .decisions
            .with(|d| d.iter().filter(|x| x.action != DeletedAction::Keep).count())
    };
    view! {
        <div class="step-deleted">
            {move || wizard.preview.get().filter(|p| !p.tombstoned.is_empty()).map(|p| view! {
                <p>"Deleted on this server, still in Entra ID:"</p>
                <div class="table-scroll">
                    <table class="outcomes" id="tombstoned-rows">
                        <thead><tr><th>"Account"</th><th>"Name"</th><th>"On the server"</th></tr></thead>
                        <tbody>
                            {p.tombstoned.into_iter().enumerate().map(|(i, row)| {
                                let id = row.id.clone();
                                let chosen = {
                                    let id = id.clone();
                                    move || wizard.reimport.with(|r| r.contains(&id))
                                };
                                view! {
                                    <tr data-id=row.id.clone()>
                                        <td>{row.account}</td>
                                        <td>{row.display_name}</td>
                                        <td>
                                            <select
                                                id=format!("tombstone-action-{i}")
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
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
            })}
            {move || wizard.preview.get().map(|p| {
                if p.deleted.is_empty() {
                    return view! {
                        <p id="deleted-none">"Nothing to decide: everything imported earlier from this organization is still in Entra ID, enabled and in scope."</p>
                    }.into_any();
                }
                let rows = p.deleted.clone();
                view! {
                    <p>"These objects were imported earlier. Choose what happens to each on the server (right-click for all at once):"</p>
                    <p class="muted">"For a group, Disable takes away its Azure AD members (the group stays, marked as deleted in Entra ID) and Delete removes it; its users stay either way."</p>
                    <div class="table-scroll" on:contextmenu=move |ev| { ev.prevent_default(); menu.set(Some((ev.client_x(), ev.client_y()))); }>
                        <table class="outcomes" id="deleted-rows">
                            <thead><tr><th>"Account"</th><th>"Name"</th><th>"In Entra ID"</th><th>"On the server"</th></tr></thead>
                            <tbody>
                                {rows.into_iter().enumerate().map(|(i, row)| {
                                    let id = row.id.clone();
                                    let current = {
                                        let id = id.clone();
                                        move || wizard.decisions.with(|d| d.iter().find(|x| x.id == id).map_or(DeletedAction::Disable, |x| x.action))
                                    };
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
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                    <Show when=exceeded>
                        <div class="confirm" role="alert" id="deleted-threshold">
                            <p>
                                {move || format!(
                                    "{} of the {} objects imported from this organization would be disabled or deleted — more than {} objects and more than {}%. This often means a wrong selection or a problem in Entra ID.",
                                    affected(),
                                    p.imported_total,
                                    p.threshold_count,
                                    p.threshold_percent
                                )}
                            </p>
                            <label class="check">
                                <input
                                    type="checkbox"
                                    id="deleted-confirm"
                                    prop:checked=move || wizard.confirm_mass.get()
                                    on:change=move |ev| wizard.confirm_mass.set(event_target_checked(&ev))
                                />
                                {move || format!("Yes, disable or delete these {} objects", affected())}
                            </label>
                        </div>
                    </Show>
                }.into_any()
            })}
            {move || menu.get().map(|(x, y)| view! {
                <div class="menu-dismiss" on:click=move |_| menu.set(None) on:contextmenu=move |ev| { ev.prevent_default(); menu.set(None) }></div>
                <div class="menu-list context-menu" role="menu" id="deleted-menu" style:left=format!("{x}px") style:top=format!("{y}px")>
                    <button class="menu-item" role="menuitem" id="deleted-all-keep" on:click=move |_| set_all(DeletedAction::Keep)>"Keep all"</button>
                    <button class="menu-item" role="menuitem" id="deleted-all-disable" on:click=move |_| set_all(DeletedAction::Disable)>"Disable all on server"</button>
                    <button class="menu-item" role="menuitem" id="deleted-all-delete" on:click=move |_| set_all(DeletedAction::Delete)>"Delete all from server"</button>
                </div>
            })}
        </div>
    }
}

#[component]
pub fn SynchronizeStep() -> impl IntoView {
    let wizard = expect_context::<Wizard>();
    let phase = RwSignal::new("Starting…".to_owned());
    let percent = RwSignal::new(0u8);
    let error = RwSignal::new(None::<String>);
    let job = RwSignal::new(None::<u64>);
    wizard.ready.set(false);
    if let Some(plan) = wizard.preview.get_untracked().map(|p| p.plan) {
        spawn_local(async move {
            let started = match ipc::call::<StartSync>(&PlanRef {
                plan,
                decisions: wizard.decisions.get_untracked(),
                confirm_mass: wizard.confirm_mass.get_untracked(),
                reimport: wizard.reimport.get_untracked(),
            })
            .await
            {
                Ok(j) => j.job,
                Err(err) => {
                    let _ = error.try_set(Some(err.message));
                    return;
                }
            };
            let _ = job.try_set(Some(started));
            loop {
                match ipc::call::<SyncStatusCmd>(&JobRef { job: started }).await {
                    Ok(status) => {
                        let _ = phase.try_set(status.phase);
                        let _ = percent.try_set(status.percent);
                        match status.finished {
                            Some(Ok(result)) => {
                                let _ = wizard.result.try_set(Some(result));
                                let _ = wizard.data_changed.try_update(|v| *v += 1);
                                let _ = wizard.flow.try_update(|f| {
                                    f.next();
                                });
                                return;
                            }
                            Some(Err(err)) => {
                                let _ = error.try_set(Some(err.message));
                                return;
                            }
                            None => sleep(150).await,
                        }
                    }
                    Err(err) => {
                        let _ = error.try_set(Some(err.message));
                        return;
                    }
                }
            }
        });
    }
    view! {
        <div class="step-synchronize">
            <p id="sync-phase" role="status">{move || phase.get()}</p>
            <p class="muted" id="sync-counts">
                {move || wizard.preview.get().map(|p| {
                    let c = p.counts;
                    format!(
                        "{} objects: {} to create, {} to update, {} unchanged, {} conflicts to skip",
                        c.create + c.update + c.unchanged + c.conflict,
                        c.create,
                        c.update,
                        c.unchanged,
                        c.conflict
                    )
                })}
            </p>
            <div class="progress-bar" id="sync-progress" role="progressbar" aria-valuemin="0" aria-valuemax="100" aria-valuenow=move || percent.get().to_string()>
                <div class="progress-fill" style:width=move || format!("{}%", percent.get())></div>
            </div>
            <Show when=move || error.with(Option::is_some)>
                <p class="error" role="alert" id="sync-error">{move || error.get()}</p>
            </Show>
            <button
                id="sync-cancel"
                disabled=move || job.get().is_none() || error.with(Option::is_some)
                on:click=move |_| {
                    if let Some(j) = job.get_untracked() {
                        spawn_local(async move {
                            let _ = ipc::call::<CancelSync>(&JobRef { job: j }).await;
                        });
                    }
                }
            >
                "Cancel"
            </button>
            <p class="muted">"A snapshot is taken first; the changes are written in one transaction, so a cancelled or failed run leaves the database as it was."</p>
        </div>
    }
}

#[component]
pub fn ResultsStep() -> impl IntoView {
    let wizard = expect_context::<Wizard>();
    let exported = RwSignal::new(None::<Result<String, String>>);
    wizard.ready.set(false);
    let export = move |format: ExportFormat| {
        let Some(run_id) = wizard.result.get_untracked().map(|r| r.run_id) else {
            return;
        };
        spawn_local(async move {
            let answer = ipc::call::<ExportRun>(&ExportRequest { run_id, format }).await;
            let _ = exported.try_set(Some(answer.map_err(|e| e.message)));
        });
    };
    view! {
        <div class="step-results">
            {move || wizard.result.get().map(|r| {
                let c = r.counts;
                view! {
                    <p id="results-totals" class="counts" role="status">
                        <span>{format!("{} created", c.create)}</span>
                        <span>{format!("{} updated", c.update)}</span>
                        <span>{format!("{} unchanged", c.unchanged)}</span>
                        {(c.disable > 0).then(|| view! { <span>{format!("{} disabled", c.disable)}</span> })}
                        {(c.delete > 0).then(|| view! { <span>{format!("{} deleted", c.delete)}</span> })}
                        <span class:error={c.conflict > 0}>{format!("{} failed", c.conflict)}</span>
                        <span class="muted">{format!("in {:.1} s · run #{}", r.duration_ms as f64 / 1000.0, r.run_id)}</span>
                    </p>
                    <div class="table-scroll">{outcome_table("results-rows", r.rows, true)}</div>
                }
            })}
            <div class="form-buttons">
                <button id="export-csv" on:click=move |_| export(ExportFormat::Csv)>"Export CSV"</button>
                <button id="export-json" on:click=move |_| export(ExportFormat::Json)>"Export JSON"</button>
                {move || exported.get().map(|e| match e {
                    Ok(path) => view! { <span class="muted" id="export-path">{format!("Saved to {path}")}</span> }.into_any(),
                    Err(message) => view! { <span class="error" id="export-path">{message}</span> }.into_any(),
                })}
            </div>
            <p class="muted">"The run is kept in the audit log. Close the wizard to see the users."</p>
        </div>
    }
}
