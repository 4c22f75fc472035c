//! Wizard step 3: the tenant's users and groups, listed page by page while Graph is read (a
//! search, or everything), each marked when it was imported before.

use crate::commands::connection::connected;
use crate::commands::errors::{blocking, graph_error, graph_failure, to_ipc};
use crate::jobs;
use crate::state::AppState;
use aadsync_directory::graph::GraphClient;
use aadsync_ipc as ipc;
use aadsync_ipc::{ErrorCode, IpcError};
use std::collections::HashSet;
use std::sync::Arc;
use tauri::State;

fn user_entry(u: aadsync_directory::graph::RemoteUser, imported: bool) -> ipc::DirectoryEntry {
    ipc::DirectoryEntry {
        guest: u.is_guest(),
        disabled: u.account_enabled == Some(false),
        id: u.id,
        kind: ipc::EntryKind::User,
        display_name: u.display_name,
        principal: u.user_principal_name.unwrap_or_default(),
        department: u.department.unwrap_or_default(),
        imported,
    }
}

fn group_entry(g: aadsync_directory::graph::RemoteGroup, imported: bool) -> ipc::DirectoryEntry {
    let principal = match &g.mail {
        Some(mail) if !mail.is_empty() => mail.clone(),
        _ if g.group_types.iter().any(|t| t == "Unified") => "Microsoft 365 group".into(),
        _ if g.security_enabled => "Security group".into(),
        _ => "Distribution group".into(),
    };
    ipc::DirectoryEntry {
        id: g.id,
        kind: ipc::EntryKind::Group,
        display_name: g.display_name,
        principal,
        department: String::new(),
        guest: false,
        disabled: false,
        imported,
    }
}

#[tauri::command]
pub async fn start_listing(
    state: State<'_, AppState>,
    args: ipc::ListingRequest,
) -> Result<ipc::JobRef, IpcError> {
    let connection = connected(&state, args.organization).await?;
    let graph = GraphClient::new(Arc::clone(&connection.session)).map_err(graph_error)?;
    let database = state.database_handle();
    let tenant = connection.organization.tenant_id.clone();
    let known: HashSet<String> = blocking(move || {
        let store = database.store().map_err(to_ipc)?;
        let imported = store.reader().imported(&tenant).map_err(to_ipc)?;
        Ok(imported
            .users
            .keys()
            .chain(imported.groups.keys())
            .cloned()
            .collect())
    })
    .await?;
    let (job, listing) = state.jobs.new_listing();
    let search = args.search.trim().to_owned();
    tauri::async_runtime::spawn(async move {
        let search = (!search.is_empty()).then_some(search);
        let users = graph
            .users(search.as_deref(), |page| {
                let rows = page
                    .into_iter()
                    .map(|u| {
                        let imported = known.contains(&u.id);
                        user_entry(u, imported)
                    })
                    .collect();
                jobs::listing_push(&listing, rows);
            })
            .await;
        let result = match users {
            Ok(()) => {
                graph
                    .groups(search.as_deref(), |page| {
                        let rows = page
                            .into_iter()
                            .map(|g| {
                                let imported = known.contains(&g.id);
                                group_entry(g, imported)
                            })
                            .collect();
                        jobs::listing_push(&listing, rows);
                    })
                    .await
            }
            Err(e) => Err(e),
        };
        let error = match result {
            Ok(()) => None,
            Err(e) => Some(graph_failure(&connection, e).await),
        };
        jobs::listing_end(&listing, error);
    });
    Ok(ipc::JobRef { job })
}

#[tauri::command]
pub async fn listing_page(
    state: State<'_, AppState>,
    args: ipc::PageRequest,
) -> Result<ipc::ListingPage, IpcError> {
    let listing = state
        .jobs
        .listing(args.job)
        .ok_or_else(|| IpcError::new(ErrorCode::NotFound, "This list is no longer loading"))?;
    Ok(jobs::listing_page(&listing, args.offset))
}
