//! A synchronization the administrator let finish in the background (closing the wizard
//! during the write): its progress, then its outcome, above the Users table.

use crate::components::error::{ErrorMessage, Look};
use crate::ipc;
use crate::timer::sleep;
use aadsync_ipc::{JobRef, SyncResult, SyncStatusCmd};
use leptos::prelude::*;
use leptos::task::spawn_local;

const POLL_MS: i32 = 300;

/// "325 created, 0 updated, 0 unchanged, 0 failed (run #4)".
pub fn outcome_text(r: &SyncResult) -> String {
    let c = r.counts;
    format!(
        "{} created, {} updated, {} unchanged, {} disabled, {} deleted, {} failed (run #{})",
        c.create, c.update, c.unchanged, c.disable, c.delete, c.conflict, r.run_id
    )
}

/// The status line of the run in `background` (a job number); when it ends the Users area
/// reloads (`data_changed`) and the outcome stays until dismissed.
#[component]
pub fn BackgroundSync(
    background: RwSignal<Option<u64>>,
    data_changed: RwSignal<u32>,
) -> impl IntoView {
    let phase = RwSignal::new(None::<(String, u8)>);
    let ended = RwSignal::new(None::<Result<String, String>>);
    Effect::new(move |_| {
        let Some(job) = background.get() else { return };
        ended.set(None);
        spawn_local(async move {
            loop {
                match ipc::call::<SyncStatusCmd>(&JobRef { job }).await {
                    Ok(status) => match status.finished {
                        Some(done) => {
                            ended.set(Some(done.map(|r| outcome_text(&r)).map_err(|e| e.message)));
                            break;
                        }
                        None => phase.set(Some((status.phase, status.percent))),
                    },
                    Err(e) => {
                        ended.set(Some(Err(e.message)));
                        break;
                    }
                }
                sleep(POLL_MS).await;
            }
            phase.set(None);
            background.set(None);
            data_changed.update(|n| *n += 1);
        });
    });
    let failed = Signal::derive(move || {
        ended
            .get()
            .and_then(Result::err)
            .map(|m| format!("The synchronization stopped: {m}"))
    });
    view! {
        <Show when=move || phase.with(Option::is_some)>
            <p class="notice" id="background-sync" role="status">
                {move || phase.get().map(|(p, pct)| format!("Synchronizing in the background: {p} ({pct} %)"))}
            </p>
        </Show>
        <Show when=move || matches!(ended.get(), Some(Ok(_)))>
            <p class="success" id="background-sync-done" role="status">
                {move || ended.get().and_then(Result::ok).map(|t| format!("Synchronization finished in the background: {t}"))}
                " "
                <button id="background-sync-dismiss" on:click=move |_| ended.set(None)>"Dismiss"</button>
            </p>
        </Show>
        <ErrorMessage id="background-sync-error" message=failed look=Look::Banner />
    }
}
