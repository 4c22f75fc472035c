//! Organizations and sign-in (wizard steps 1–2): adapters over `aadsync_sync::orgs`.

use crate::commands::errors::{blocking, capitalize, to_ipc};
use crate::state::AppState;
use aadsync_directory::auth::signin::{
    BROWSER_TIMEOUT, DeviceSignIn, Interactive, SignInError, open_browser,
};
use aadsync_ipc as ipc;
use aadsync_ipc::{ErrorCode, IpcError};
use aadsync_keystore::TokenError;
use aadsync_store::{CloudKind, OrgId, Organization};
use aadsync_sync::orgs::{self, CloudChoice, NewOrganizationInput, OrgError, Prepared};
use std::sync::Arc;
use tauri::State;

fn summary(org: &Organization) -> ipc::OrganizationSummary {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default();
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
        cloud: match (org.demo, org.cloud) {
            (true, _) => ipc::CloudName::Demo,
            (_, CloudKind::Global) => ipc::CloudName::Global,
            (_, CloudKind::UsGovernment) => ipc::CloudName::UsGovernment,
            (_, CloudKind::China) => ipc::CloudName::China,
            (_, CloudKind::Custom) => ipc::CloudName::Custom,
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
    }
}

fn org_error(err: OrgError) -> IpcError {
    let err = match err {
        OrgError::Store(e) => return to_ipc(e),
        other => other,
    };
    let code = match &err {
        OrgError::Tenant(_) => ErrorCode::InvalidTenant,
        OrgError::ClientId(_) => ErrorCode::InvalidClientId,
        OrgError::Authority(_) => ErrorCode::InvalidAuthority,
        OrgError::SignIn(SignInError::NotAdmin(_)) => ErrorCode::NotAdministrator,
        OrgError::SignIn(e) if e.is_cancelled() => ErrorCode::SignInCancelled,
        OrgError::Keyring(TokenError::Keyring(_))
        | OrgError::Session(aadsync_directory::auth::SessionError::Keyring(TokenError::Keyring(
            _,
        ))) => ErrorCode::KeyringUnavailable,
        e if e.needs_sign_in() => ErrorCode::SignInRequired,
        _ => ErrorCode::Internal,
    };
    if code == ErrorCode::Internal {
        tracing::warn!(error = %err, "organization operation failed");
    }
    IpcError::new(code, capitalize(&err.to_string()))
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

fn cloud_choice(new: &ipc::NewOrganization) -> CloudChoice {
    match new.cloud {
        ipc::CloudName::Global => CloudChoice::Global,
        ipc::CloudName::UsGovernment => CloudChoice::UsGovernment,
        ipc::CloudName::China => CloudChoice::China,
        ipc::CloudName::Custom => CloudChoice::Custom {
            authority_host: new.authority_host.clone(),
            graph_root: new.graph_root.clone(),
        },
        ipc::CloudName::Demo => CloudChoice::Demo,
    }
}

#[tauri::command]
pub async fn start_sign_in(
    state: State<'_, AppState>,
    args: ipc::SignInRequest,
) -> Result<ipc::SignInStarted, IpcError> {
    let database = state.inner().database_handle();
    // Validation (and starting the demo tenant) happens before any network call.
    let (prepared, hint): (Prepared, Option<String>) = blocking(move || match args.target {
        ipc::SignInTarget::New(new) => orgs::prepare_new(&NewOrganizationInput {
            tenant: new.tenant.clone(),
            client_id: new.client_id.clone(),
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
    .await?;

    let signins = Arc::clone(&state.signins);
    let database = state.inner().database_handle();
    let (flow, cancel, outcome) = signins.register();
    let cancel = async move {
        let _ = cancel.await;
    };
    let save = {
        let signins = Arc::clone(&signins);
        let prepared = prepared.clone();
        move |signed_in| async move {
            let store = database.store().map_err(to_ipc)?;
            let connected = orgs::save(&store, &signins.tokens, &prepared, signed_in)
                .await
                .map_err(org_error)?;
            let answer = connected_answer(&connected);
            signins.connected(connected);
            Ok(answer)
        }
    };
    let started = match args.method {
        ipc::SignInMethod::Browser => {
            let interactive = Interactive::prepare(&prepared.target, hint.as_deref())
                .await
                .map_err(|e| {
                    signins.forget_flow(flow);
                    org_error(e.into())
                })?;
            let url = interactive.authorize_url().to_owned();
            let browser_error = open_browser(&url).err().map(|e| capitalize(&e.to_string()));
            let policy = signins.policy.clone();
            tauri::async_runtime::spawn(async move {
                let result = match interactive.finish(policy, BROWSER_TIMEOUT, cancel).await {
                    Ok(signed_in) => save(signed_in).await,
                    Err(e) => Err(org_error(e.into())),
                };
                let _ = outcome.send(result);
            });
            ipc::SignInStarted {
                flow,
                browser_url: Some(url),
                browser_error,
                device_code: None,
            }
        }
        ipc::SignInMethod::DeviceCode => {
            let device = DeviceSignIn::start(&prepared.target).await.map_err(|e| {
                signins.forget_flow(flow);
                org_error(e.into())
            })?;
            let code = ipc::DeviceCode {
                user_code: device.user_code().to_owned(),
                verification_uri: device.verification_uri().to_owned(),
                expires_in_seconds: device.expires_in().as_secs(),
            };
            let policy = signins.policy.clone();
            tauri::async_runtime::spawn(async move {
                let result = match device.finish(policy, cancel).await {
                    Ok(signed_in) => save(signed_in).await,
                    Err(e) => Err(org_error(e.into())),
                };
                let _ = outcome.send(result);
            });
            ipc::SignInStarted {
                flow,
                browser_url: None,
                browser_error: None,
                device_code: Some(code),
            }
        }
    };
    Ok(started)
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
