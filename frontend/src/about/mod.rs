//! The About dialog: version, data locations and the keyring check, from `app_status`.

use crate::components::dialog::Dialog;
use crate::ipc;
use aadsync_ipc::{AppStatus, AppStatusInfo, KeyringState, NoArgs};
use leptos::prelude::*;

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
                                    view! {
                                        <p class="error" id="about-error" role="alert">
                                            {err.message}
                                        </p>
                                    }
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

#[component]
fn StatusTable(info: AppStatusInfo) -> impl IntoView {
    let (keyring_state, keyring_text) = match info.keyring {
        KeyringState::Available { backend } => ("available", format!("Working ({backend})")),
        KeyringState::Unavailable { message } => ("unavailable", message),
    };
    view! {
        <dl class="facts">
            <dt>"Version"</dt>
            <dd id="about-version">{info.version}</dd>
            <dt>"Database"</dt>
            <dd id="about-database" class="path">{info.database_path}</dd>
            <dt>"Logs"</dt>
            <dd id="about-logs" class="path">{info.log_dir}</dd>
            <dt>"OS keyring"</dt>
            <dd id="about-keyring" data-state=keyring_state class=format!("keyring-{keyring_state}")>
                {keyring_text}
            </dd>
        </dl>
    }
}
