//! Organizations and sign-in (wizard steps 1–2): adapters over `aadsync_sync::orgs`.

use crate::commands::consent;
use crate::commands::errors::{blocking, capitalize, org_error, to_ipc};
use crate::state::AppState;
use aadsync_directory::auth::signin::{NO_REDIRECT_AFTER, open_browser};
use aadsync_ipc as ipc;
use aadsync_ipc::{ErrorCode, IpcError};
use aadsync_store::{OrgId, Organization};
use aadsync_sync::clock::{SystemClock, unix_now};
use aadsync_sync::orgs::{self, CloudChoice, NewOrganizationInput, Prepared, stored_cloud};
use aadsync_sync::publisher::publisher_client_id;
use aadsync_sync::signin::{Method, Prompt, SignIn};
use std::sync::Arc;
use tauri::State;

fn summary(org: &Organization) -> ipc::OrganizationSummary {
    let now = unix_now(&SystemClock);
    let note = aadsync_sync::freshness::sync_note(
        org.last_sync_at.as_deref(),
        org.delta_taken_at.as_deref(),
        now,
    );
    ipc::OrganizationSummary {
        id: org.id.0,
        tenant_id: org.tenant_id.clone(),
        display_name: org.display_name.clone(),
        primary_domain: org.primary_domain.clone(),
        cloud: match stored_cloud(org) {
            CloudChoice::Demo => ipc::CloudName::Demo,
            CloudChoice::Global => ipc::CloudName::Global,
            CloudChoice::Gcc => ipc::CloudName::Gcc,
            CloudChoice::GccHigh => ipc::CloudName::GccHigh,
            CloudChoice::Dod => ipc::CloudName::Dod,
            CloudChoice::China => ipc::CloudName::China,
            CloudChoice::Custom { .. } => ipc::CloudName::Custom,
        },
        admin_upn: org.admin_upn.clone(),
        last_sync_at: org.last_sync_at.clone(),
        sync_note: note.as_ref().map(|n| n.text.clone()),
        sync_warning: note.is_some_and(|n| n.warning),
        threshold_count: org.threshold_count,
        threshold_percent: org.threshold_percent,
    }
}

fn connected_answer(connected: &aadsync_sync::Connected) -> ipc::ConnectedOrganization {
    ipc::ConnectedOrganization {
        organization: summary(&connected.organization),
        account: connected.account.upn.clone(),
        roles: connected.account.roles.clone(),
        missing_permissions: connected.missing_features.clone(),
    }
}

#[tauri::command]
pub async fn list_organizations(
    state: State<'_, AppState>,
    args: ipc::NoArgs,
) -> Result<Vec<ipc::OrganizationSummary>, IpcError> {
    let _ = args;
    let database = state.inner().database_handle();
    blocking(move || {
        let store = database.store().map_err(to_ipc)?;
        let list = store.reader().organizations().map_err(to_ipc)?;
        Ok(list.iter().map(summary).collect())
    })
    .await
}

pub(crate) fn cloud_choice(new: &ipc::NewOrganization) -> CloudChoice {
    match new.cloud {
        ipc::CloudName::Global => CloudChoice::Global,
        ipc::CloudName::Gcc => CloudChoice::Gcc,
        ipc::CloudName::GccHigh => CloudChoice::GccHigh,
        ipc::CloudName::Dod => CloudChoice::Dod,
        ipc::CloudName::China => CloudChoice::China,
        ipc::CloudName::Custom => CloudChoice::Custom {
            authority_host: new.authority_host.clone(),
            graph_root: new.graph_root.clone(),
        },
        ipc::CloudName::Demo => CloudChoice::Demo,
    }
}

/// Validates the target (and starts the demo tenant) before any network call; with the
/// account to pre-fill for a stored organization.
async fn prepare(
    state: &AppState,
    target: ipc::SignInTarget,
) -> Result<(Prepared, Option<String>), IpcError> {
    let database = state.database_handle();
    blocking(move || match target {
        ipc::SignInTarget::New(new) => orgs::prepare_new(&NewOrganizationInput {
            tenant: new.tenant.clone(),
            client_id: if new.add_publisher_app {
                // The publisher's application, not one the administrator registered.
                publisher_client_id()
                    .map_err(org_error)?
                    .as_str()
                    .to_owned()
            } else {
                new.client_id.clone()
            },
            cloud: cloud_choice(&new),
        })
        .map(|p| (p, None))
        .map_err(org_error),
        ipc::SignInTarget::Existing { id } => {
            let store = database.store().map_err(to_ipc)?;
            let org = store.reader().organization(OrgId(id)).map_err(to_ipc)?;
            orgs::prepare_existing(&org)
                .map(|p| (p, org.admin_upn.clone()))
                .map_err(org_error)
        }
    })
    .await
}

fn started(flow: u64, prompt: Prompt) -> ipc::SignInStarted {
    match prompt {
        Prompt::Browser {
            url,
            no_redirect_hint,
        } => ipc::SignInStarted {
            flow,
            browser_error: open_browser(&url).err().map(|e| capitalize(&e.to_string())),
            browser_url: Some(url),
            device_code: None,
            no_redirect_hint: Some(no_redirect_hint),
            no_redirect_after_seconds: NO_REDIRECT_AFTER.as_secs(),
            consented_client_id: None,
        },
        Prompt::DeviceCode {
            user_code,
            verification_uri,
            expires_in,
        } => ipc::SignInStarted {
            flow,
            browser_url: None,
            browser_error: None,
            device_code: Some(ipc::DeviceCode {
                user_code,
                verification_uri,
                expires_in_seconds: expires_in.as_secs(),
            }),
            no_redirect_hint: None,
            no_redirect_after_seconds: 0,
            consented_client_id: None,
        },
    }
}

/// Starts a sign-in; the wizard shows its prompt and waits with `finish_sign_in`. Signed in,
/// the organization is saved (keyring, then database) and connected.
#[tauri::command]
pub async fn start_sign_in(
    state: State<'_, AppState>,
    args: ipc::SignInRequest,
) -> Result<ipc::SignInStarted, IpcError> {
    let consent = matches!(&args.target, ipc::SignInTarget::New(new) if new.add_publisher_app);
    let (prepared, hint) = prepare(&state, args.target).await?;
    let signins = Arc::clone(&state.signins);
    let (flow, mut cancel, outcome) = signins.register(args.attempt);
    let method = match args.method {
        ipc::SignInMethod::Browser => Method::Browser,
        ipc::SignInMethod::DeviceCode => Method::DeviceCode,
    };
    // Admin consent first, while the wizard still shows New… with its Cancel (the attempt is
    // still starting): a refusal or Cancel ends here, before anything is stored.
    if consent {
        let consented = tokio::select! {
            done = consent::admin_consent(&prepared) => done,
            _ = &mut cancel => Err(IpcError::new(ErrorCode::SignInCancelled, "Adding the aadsync application was cancelled")),
        };
        if let Err(e) = consented {
            signins.forget_flow(flow);
            return Err(e);
        }
    }
    // Finding the endpoints and asking for a device code may wait on a slow or silent server
    // for up to the connect and request timeouts: Cancel works here too.
    let starting = tokio::select! {
        started = SignIn::start(&prepared, method, hint.as_deref()) => started.map_err(org_error),
        _ = &mut cancel => Err(IpcError::new(ErrorCode::SignInCancelled, "Sign-in was cancelled")),
    };
    let sign_in = match starting {
        Ok(sign_in) => sign_in,
        Err(e) => {
            signins.forget_flow(flow);
            return Err(e);
        }
    };
    signins.started(flow);
    let mut answer = started(flow, sign_in.prompt());
    if consent {
        answer.consented_client_id = Some(prepared.target.client_id.as_str().to_owned());
    }
    let database = state.database_handle();
    tauri::async_runtime::spawn(async move {
        let cancel = async move {
            let _ = cancel.await;
        };
        let result = async {
            let signed_in = sign_in
                .finish(signins.policy.clone(), cancel)
                .await
                .map_err(org_error)?;
            let store = blocking(move || database.store().map_err(to_ipc)).await?;
            let connected = orgs::save(&store, &signins.tokens, &prepared, signed_in)
                .await
                .map_err(org_error)?;
            let answer = connected_answer(&connected);
            signins.connected(connected);
            Ok(answer)
        }
        .await;
        let _ = outcome.send(result);
    });
    Ok(answer)
}

#[tauri::command]
pub async fn finish_sign_in(
    state: State<'_, AppState>,
    args: ipc::FlowRef,
) -> Result<ipc::ConnectedOrganization, IpcError> {
    let receiver = state
        .signins
        .take_outcome(args.flow)
        .ok_or_else(|| IpcError::new(ErrorCode::NotFound, "This sign-in is no longer running"))?;
    let outcome = receiver.await.unwrap_or_else(|_| {
        Err(IpcError::new(
            ErrorCode::SignInCancelled,
            "Sign-in was cancelled",
        ))
    });
    state.signins.forget_flow(args.flow);
    outcome
}

#[tauri::command]
pub async fn cancel_sign_in(
    state: State<'_, AppState>,
    args: ipc::FlowRef,
) -> Result<(), IpcError> {
    state.signins.cancel(args.flow);
    Ok(())
}

#[tauri::command]
pub async fn cancel_starting_sign_in(
    state: State<'_, AppState>,
    args: ipc::AttemptRef,
) -> Result<(), IpcError> {
    state.signins.cancel_starting(args.attempt);
    Ok(())
}

#[tauri::command]
pub async fn connect_organization(
    state: State<'_, AppState>,
    args: ipc::OrganizationRef,
) -> Result<ipc::ConnectedOrganization, IpcError> {
    let database = state.inner().database_handle();
    let org = blocking(move || {
        let store = database.store().map_err(to_ipc)?;
        store.reader().organization(OrgId(args.id)).map_err(to_ipc)
    })
    .await?;
    let signins = Arc::clone(&state.signins);
    let connected = orgs::connect(&org, &signins.tokens, &signins.policy)
        .await
        .map_err(org_error)?;
    let answer = connected_answer(&connected);
    signins.connected(connected);
    Ok(answer)
}

#[tauri::command]
pub async fn remove_organization(
    state: State<'_, AppState>,
    args: ipc::OrganizationRef,
) -> Result<(), IpcError> {
    let database = state.inner().database_handle();
    let store = blocking(move || database.store().map_err(to_ipc)).await?;
    orgs::remove(&store, &state.signins.tokens, OrgId(args.id))
        .await
        .map_err(org_error)?;
    state.signins.disconnect(args.id);
    Ok(())
}

#[tauri::command]
pub async fn set_deletion_threshold(
    state: State<'_, AppState>,
    args: ipc::DeletionThreshold,
) -> Result<ipc::OrganizationSummary, IpcError> {
    let database = state.inner().database_handle();
    blocking(move || {
        let store = database.store().map_err(to_ipc)?;
        let id = OrgId(args.organization);
        store
            .writer()
            .set_deletion_threshold(id, args.count, args.percent)
            .map_err(to_ipc)?;
        let org = store.reader().organization(id).map_err(to_ipc)?;
        Ok(summary(&org))
    })
    .await
}
