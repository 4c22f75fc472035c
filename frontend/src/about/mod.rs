//! The About dialog: version, data locations and the keyring check, from `app_status`.

mod status;

use crate::components::dialog::Dialog;
use crate::components::error::ErrorMessage;
use crate::ipc;
use aadsync_ipc::{AppStatus, NoArgs};
use leptos::prelude::*;
use status::StatusTable;

/// The About dialog; `on_close` runs on Close and Escape.
#[component]
pub fn AboutDialog(#[prop(into)] on_close: Callback<()>) -> impl IntoView {
    let status = LocalResource::new(|| ipc::call::<AppStatus>(&NoArgs {}));
    view! {
        <Dialog id="about-dialog" title="About aadsync" on_close=on_close>
            <div class="dialog-body about">
                <p class="lead">
                    "Synchronizes users and groups from Microsoft Entra ID (Azure AD) into this server's user database."
                </p>
                <Suspense fallback=|| {
                    view! { <p class="muted" id="about-loading">"Checking the installation…"</p> }
                }>
                    {move || {
                        status
                            .get()
                            .map(|answer| match answer {
                                Ok(info) => view! { <StatusTable info=info /> }.into_any(),
                                Err(err) => {
                                    view! { <ErrorMessage id="about-error" message=Some(err.message) /> }
                                        .into_any()
                                }
                            })
                    }}
                </Suspense>
            </div>
            <div class="dialog-buttons">
                <button class="primary" id="about-close" on:click=move |_| on_close.run(())>
                    "Close"
                </button>
            </div>
        </Dialog>
    }
}
