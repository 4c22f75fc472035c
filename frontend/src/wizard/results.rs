//! Step 7, Results: per-object outcomes, totals, duration, and export to CSV or JSON (the OS
//! save dialog, then Show in folder).

use super::Wizard;
use super::outcomes::outcome_table;
use crate::components::exported::exported_note;
use crate::ipc;
use aadsync_ipc::{ExportFormat, ExportRequest, ExportRun, SyncResult};
use leptos::prelude::*;

/// The Results step.
#[component]
pub fn ResultsStep() -> impl IntoView {
    let wizard = expect_context::<Wizard>();
    wizard.ready.set(false);
    let export = Action::new_unsync(|request: &ExportRequest| {
        let request = *request;
        async move { ipc::call::<ExportRun>(&request).await }
    });
    let exported = export.value();
    let exporting = export.pending();
    let export_as = move |format: ExportFormat| {
        if let Some(run_id) = wizard.result.get_untracked().map(|r| r.run_id) {
            export.dispatch(ExportRequest { run_id, format });
        }
    };
    view! {
        <div class="step-results">
            {move || wizard.result.get().map(totals)}
            <div class="form-buttons">
                <button id="export-csv" disabled=move || exporting.get() on:click=move |_| export_as(ExportFormat::Csv)>"Export CSV"</button>
                <button id="export-json" disabled=move || exporting.get() on:click=move |_| export_as(ExportFormat::Json)>"Export JSON"</button>
                {move || exported_note("export-path", exported.get())}
            </div>
            <p class="muted">"The run is kept in the audit log. Close the wizard to see the users."</p>
        </div>
    }
}

/// The totals line and the table of outcomes.
fn totals(r: SyncResult) -> impl IntoView {
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
        <div class="table-scroll" tabindex="0" role="region" aria-label="Results per object">{outcome_table("results-rows", r.rows, true)}</div>
    }
}
