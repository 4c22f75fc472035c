//! Above the Users table on start: each organization whose last scheduled synchronization
//! failed, stopped at the deletion safeguard or needs a new sign-in, with the reason and the
//! fix. A notice, not a dialog; it stays until a later scheduled attempt succeeds (it reads
//! the database's record of attempts again whenever the data changes).

use crate::ipc;
use crate::schedule_text;
use aadsync_ipc::{AttemptView, NoArgs, ScheduleNotices};
use leptos::prelude::*;

#[component]
pub fn ScheduleNotice(data_changed: RwSignal<u32>) -> impl IntoView {
    let notices = LocalResource::new(move || {
        data_changed.track();
        async move { ipc::call::<ScheduleNotices>(&NoArgs {}).await }
    });
    move || {
        // A failure to read them is not worth a banner of its own: the Users area reports the
        // database's problems.
        let list = notices.get().and_then(Result::ok).unwrap_or_default();
        list.into_iter().map(one).collect_view()
    }
}

fn one(attempt: AttemptView) -> impl IntoView {
    let at = format!("at {}", crate::time::local(&attempt.started_at));
    let text = schedule_text::notice(&attempt, &at);
    let id = format!("schedule-notice-{}", attempt.id);
    view! {
        <div class="notice schedule-notice" role="status" id=id>
            <p class="schedule-notice-title"><strong>{text.title}</strong></p>
            <p class="schedule-notice-reason">{text.reason}</p>
            <p class="schedule-notice-fix">{text.fix}</p>
        </div>
    }
}
