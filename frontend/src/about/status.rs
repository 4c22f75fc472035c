//! The About dialog's facts: version, data locations and whether the OS keyring works.

use aadsync_ipc::{AppStatusInfo, KeyringState};
use leptos::prelude::*;

/// The facts from `app_status`, as a definition list.
#[component]
pub fn StatusTable(info: AppStatusInfo) -> impl IntoView {
    let (keyring_state, keyring_text) = match info.keyring {
        KeyringState::Available { backend } => ("available", format!("Working ({backend})")),
        KeyringState::Unavailable { message } => ("unavailable", message),
    };
    view! {
        <dl class="facts">
            <dt>"Version"</dt>
            <dd id="about-version">{info.version}</dd>
            <dt>"Build"</dt>
            <dd id="about-build">{info.build}</dd>
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
