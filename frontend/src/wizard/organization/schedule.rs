//! The selected organization's schedule: how often it is synchronized unattended and what
//! happens to deleted objects, its last attempt, and Add/Remove. The job runs the `aadsync`
//! command-line program through the user's job scheduler (a systemd user timer on Linux).

use crate::components::error::ErrorMessage;
use crate::ipc;
use crate::schedule_text;
use aadsync_ipc::{
    AddSchedule, DeletedAction, GetSchedule, INTERVALS, IpcError, NewSchedule, OrganizationRef,
    RemoveSchedule, ScheduleView,
};
use leptos::prelude::*;

/// The schedule of the organization `id`, folded in a `<details>`.
///
/// - `open`: whether the details are unfolded (owned by step 1: its details re-render).
#[component]
pub fn Schedule(id: i64, open: RwSignal<bool>) -> impl IntoView {
    let version = RwSignal::new(0u32);
    let current: LocalResource<Result<ScheduleView, IpcError>> = LocalResource::new(move || {
        version.track();
        async move { ipc::call::<GetSchedule>(&OrganizationRef { id }).await }
    });
    let error = RwSignal::new(None::<String>);
    let every = RwSignal::new("6h".to_owned());
    let check_deleted = RwSignal::new(false);
    let action = RwSignal::new("disable".to_owned());
    let changed = move |answer: Result<ScheduleView, IpcError>| match answer {
        Ok(_) => {
            error.set(None);
            version.update(|v| *v += 1);
        }
        Err(err) => error.set(Some(err.message)),
    };
    let add = Action::new_unsync(move |request: &NewSchedule| {
        let request = request.clone();
        async move { changed(ipc::call::<AddSchedule>(&request).await) }
    });
    let remove = Action::new_unsync(move |()| async move {
        changed(ipc::call::<RemoveSchedule>(&OrganizationRef { id }).await);
    });
    let on_add = move |_| {
        add.dispatch(NewSchedule {
            organization_id: id,
            every: every.get_untracked(),
            deleted_action: check_deleted.get_untracked().then(|| {
                match action.get_untracked().as_str() {
                    "keep" => DeletedAction::Keep,
                    "delete" => DeletedAction::Delete,
                    _ => DeletedAction::Disable,
                }
            }),
        });
    };
    start_from_installed(current, every, check_deleted, action);
    let busy = move || add.pending().get() || remove.pending().get();
    view! {
        <details id="org-schedule" class="schedule" prop:open=move || open.get()
            on:toggle=move |ev| {
                use wasm_bindgen::JsCast;
                if let Some(d) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlDetailsElement>().ok()) {
                    open.set(d.open());
                }
            }>
            <summary id="org-schedule-summary">{move || summary(current)}</summary>
            {move || last_attempt(current)}
            <div class="field-row">
                <label for="org-schedule-every">"Synchronize"</label>
                <select id="org-schedule-every" prop:value=move || every.get()
                    on:change=move |ev| every.set(event_target_value(&ev))>
                    {INTERVALS.iter().map(|(word, label)| view! { <option value=*word>{*label}</option> }).collect_view()}
                </select>
                <input id="org-schedule-check-deleted" type="checkbox" prop:checked=move || check_deleted.get()
                    on:change=move |ev| check_deleted.set(event_target_checked(&ev)) />
                <label for="org-schedule-check-deleted">"Check deleted objects:"</label>
                <select id="org-schedule-action" aria-label="What to do with deleted objects"
                    disabled=move || !check_deleted.get()
                    prop:value=move || action.get() on:change=move |ev| action.set(event_target_value(&ev))>
                    <option value="disable">"Disable"</option>
                    <option value="keep">"Keep"</option>
                    <option value="delete">"Delete"</option>
                </select>
                <button id="org-schedule-add" disabled=busy on:click=on_add>
                    {move || if installed(current) { "Replace schedule" } else { "Add schedule" }}
                </button>
                <button id="org-schedule-remove" disabled=move || busy() || !installed(current)
                    on:click=move |_| { remove.dispatch(()); }>"Remove schedule"</button>
            </div>
            <p class="muted">"The deletion safeguard always applies: a scheduled run that would disable or delete more than it allows stops, writes nothing and says so here and in the Users area."</p>
            <ErrorMessage id="org-schedule-error" message=error />
        </details>
    }
}

/// The form starts from the installed schedule, so Replace changes only what is changed.
fn start_from_installed(
    current: LocalResource<Result<ScheduleView, IpcError>>,
    every: RwSignal<String>,
    check_deleted: RwSignal<bool>,
    action: RwSignal<String>,
) {
    Effect::new(move |_| {
        if let Some(Ok(ScheduleView {
            installed: Some(s), ..
        })) = current.get()
        {
            every.set(s.every);
            check_deleted.set(s.deleted_action.is_some());
            if let Some(a) = s.deleted_action {
                action.set(action_word(a).to_owned());
            }
        }
    });
}

/// The form's word for an action (the `<option>` values).
fn action_word(action: DeletedAction) -> &'static str {
    match action {
        DeletedAction::Keep => "keep",
        DeletedAction::Disable => "disable",
        DeletedAction::Delete => "delete",
    }
}

fn installed(current: LocalResource<Result<ScheduleView, IpcError>>) -> bool {
    matches!(current.get(), Some(Ok(v)) if v.installed.is_some())
}

fn summary(current: LocalResource<Result<ScheduleView, IpcError>>) -> String {
    match current.get() {
        None => "Schedule: loading…".to_owned(),
        Some(Err(err)) => format!("Schedule: {}", err.message),
        Some(Ok(view)) => schedule_text::schedule_line(&view),
    }
}

fn last_attempt(current: LocalResource<Result<ScheduleView, IpcError>>) -> Option<impl IntoView> {
    let attempt = current.get()?.ok()?.last_attempt?;
    let line = schedule_text::attempt_line(&attempt, &crate::time::local(&attempt.started_at));
    let attention = attempt.outcome.needs_attention();
    Some(view! {
        <p id="org-schedule-last" class:notice=attention class:muted=!attention>{line}</p>
    })
}
