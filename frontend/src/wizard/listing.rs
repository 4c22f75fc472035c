//! Step 3's listing of the directory as an [`Action`]: start a listing job, then read its
//! pages into the wizard's model until it is done.
//!
//! It lives in the wizard, not in step 3, because it outlives the step: Back and Next again
//! keep the rows (and a listing still running keeps loading them).

use super::select::SelectModel;
use crate::ipc;
use crate::timer::sleep;
use aadsync_ipc::{
    ConnectedOrganization, IpcError, ListingPageCmd, ListingRequest, PageRequest, StartListing,
};
use leptos::prelude::*;

/// Pause between two reads of a page that had no new rows yet.
const EMPTY_PAGE_WAIT_MS: i32 = 120;

/// The listing: dispatched with the search text (empty: everything). Its value is the
/// outcome of the last listing; pending while one runs.
pub fn action(
    connected: RwSignal<Option<ConnectedOrganization>>,
    select: RwSignal<SelectModel>,
    job: RwSignal<Option<u64>>,
) -> Action<String, Result<(), IpcError>> {
    Action::new_unsync(move |search: &String| {
        let organization = connected.with_untracked(|c| c.as_ref().map(|c| c.organization.id));
        if organization.is_some() {
            select.update(|m| m.clear_rows());
        }
        let search = search.clone();
        async move {
            let Some(organization) = organization else {
                return Ok(());
            };
            let request = ListingRequest {
                organization,
                search,
            };
            let started = ipc::call::<StartListing>(&request).await?.job;
            job.set(Some(started));
            read_pages(select, job, started).await
        }
    })
}

/// Reads the pages of listing `started` until it is done, or until a newer listing (Search
/// now again) took over. A polling loop: the backend lists in the background.
async fn read_pages(
    select: RwSignal<SelectModel>,
    job: RwSignal<Option<u64>>,
    started: u64,
) -> Result<(), IpcError> {
    let mut offset = 0u32;
    loop {
        if job.try_get_untracked().flatten() != Some(started) {
            return Ok(());
        }
        let page = ipc::call::<ListingPageCmd>(&PageRequest {
            job: started,
            offset,
        })
        .await?;
        offset += page.rows.len() as u32;
        let got_rows = !page.rows.is_empty();
        if got_rows {
            select.update(|m| m.push(page.rows));
        }
        if page.done {
            select.update(SelectModel::listing_ended);
            return page.error.map_or(Ok(()), Err);
        }
        if !got_rows {
            sleep(EMPTY_PAGE_WAIT_MS).await;
        }
    }
}
