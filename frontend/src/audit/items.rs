//! The Audit log's items of the selected run: each object and what happened to it.

use aadsync_ipc::RunItemView;
use leptos::prelude::*;

/// Items shown before the table stops (the CSV export has them all).
const SHOWN: usize = 2_000;

/// The selected run's items, once loaded.
///
/// - `items`: the loaded items (`None` while none is selected or loading).
/// - `selected`: the run they belong to, for the title.
#[component]
pub fn ItemsTable(
    #[prop(into)] items: Signal<Option<Vec<RunItemView>>>,
    selected: RwSignal<Option<i64>>,
) -> impl IntoView {
    move || {
        items.get().map(|list| {
            let n = list.len();
            view! {
                <h4 id="audit-items-title">{move || selected.get().map(|id| format!("Run #{id}: {n} objects"))}</h4>
                <div class="table-scroll" tabindex="0" role="region" aria-label="Items of the run">
                    <table class="outcomes" id="audit-items">
                        <thead><tr><th>"Type"</th><th>"Name"</th><th>"Outcome"</th><th>"Details"</th></tr></thead>
                        <tbody>
                            {list.iter().take(SHOWN).map(|i| view! {
                                <tr><td>{i.object_type.clone()}</td><td>{i.display_name.clone()}</td><td>{i.outcome.clone()}</td><td>{i.detail.clone()}</td></tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
            }
        })
    }
}
