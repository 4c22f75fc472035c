//! The table of per-object outcomes that the Preview and Results steps both show.

use aadsync_ipc::{EntryKind, Outcome, OutcomeRow};
use leptos::prelude::*;

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

/// The rows as a table with DOM id `id`, changes first; `result`: past tense (Results) rather
/// than the planned action (Preview).
pub fn outcome_table(id: &'static str, rows: Vec<OutcomeRow>, result: bool) -> impl IntoView {
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
