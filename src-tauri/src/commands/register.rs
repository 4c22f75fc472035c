//! "Register aadsync in my tenant" from New… (issue 20): adapters over
//! `aadsync_sync::register`, in the order `aadsync org register` runs it
//! (`crates/cli/src/register.rs`) — the bootstrap sign-in and the preview, then on Create the
//! writes exactly as previewed. The wizard then signs in with the new client ID through
//! `start_sign_in`, which stores the organization.
//!
//! Nothing is stored before that sign-in: the bootstrap session only lives in
//! [`crate::jobs::PendingRegistration`] until Create or Cancel drops it.

use crate::commands::errors::{blocking, capitalize, graph_error, org_error};
use crate::commands::orgs::cloud_choice;
use crate::jobs::PendingRegistration;
use crate::state::AppState;
use aadsync_directory::auth::signin::open_browser;
use aadsync_directory::graph::GraphClient;
use aadsync_ipc as ipc;
use aadsync_ipc::{ErrorCode, IpcError};
use aadsync_sync::orgs::{self, NewOrganizationInput, OrgError};
use aadsync_sync::publisher::publisher_client_id;
use aadsync_sync::register::{
    self, BOOTSTRAP_PERMISSIONS, RegisterError, RegistrationPlan, registering_policy,
};
use aadsync_sync::signin::{Method, Prompt};
use std::sync::Arc;
use tauri::State;

fn cancelled() -> IpcError {
    IpcError::new(
        ErrorCode::SignInCancelled,
        "The registration was cancelled: nothing was created",
    )
}

/// Each refusal with the code the form acts on; a lack of rights is `NotAdministrator`, whose
/// message names the roles and permissions needed.
fn register_error(err: RegisterError) -> IpcError {
    match err {
        RegisterError::SignIn(e) => org_error(e),
        e if e.is_forbidden() => {
            IpcError::new(ErrorCode::NotAdministrator, capitalize(&e.to_string()))
        }
        RegisterError::Graph { step, source } => {
            let mut ipc = graph_error(source);
            ipc.message = format!("Cannot {step}: {}", ipc.message);
            ipc
        }
        e @ RegisterError::Unsupported(_) => {
            IpcError::new(ErrorCode::InvalidInput, capitalize(&e.to_string()))
        }
        e => IpcError::internal(capitalize(&e.to_string())),
    }
}

/// The bootstrap sign-in's refusals, with what to do next.
fn bootstrap_error(err: OrgError) -> IpcError {
    if err.declined() {
        let mut ipc = org_error(err);
        ipc.message = format!(
            "{}. The permissions were declined, so nothing was created and nothing was stored. To register aadsync, start again and accept {} on the consent page",
            ipc.message,
            BOOTSTRAP_PERMISSIONS.join(", ")
        );
        ipc
    } else {
        org_error(err)
    }
}

fn preview(registration: u64, account: &str, plan: &RegistrationPlan) -> ipc::RegistrationPreview {
    ipc::RegistrationPreview {
        registration,
        account: account.to_owned(),
        lines: plan.preview(),
        changes_nothing: plan.changes_nothing(),
    }
}

/// The bootstrap sign-in in the system browser, then the preview; the plan stays here for
/// `confirm_registration`. Cancel (`cancel_starting_sign_in` with the attempt) stops it at
/// any point, with nothing created.
#[tauri::command]
pub async fn start_registration(
    state: State<'_, AppState>,
    args: ipc::RegistrationRequest,
) -> Result<ipc::RegistrationPreview, IpcError> {
    let new = args.new;
    let prepared = blocking(move || {
        let input = NewOrganizationInput {
            tenant: new.tenant.clone(),
            client_id: publisher_client_id()
                .map_err(org_error)?
                .as_str()
                .to_owned(),
            cloud: cloud_choice(&new),
        };
        orgs::prepare_new(&input).map_err(org_error)
    })
    .await?;
    let bootstrap = register::prepare_bootstrap(&prepared).map_err(register_error)?;
    let signins = Arc::clone(&state.signins);
    // A flow only for its cancel switch: the wizard's Cancel names the attempt.
    let (flow, mut cancel, _outcome) = signins.register(args.attempt);
    let planned = async {
        let sign_in = tokio::select! {
            started = register::start_bootstrap(&bootstrap, Method::Browser, None) => started.map_err(org_error)?,
            _ = &mut cancel => return Err(cancelled()),
        };
        if let Prompt::Browser { url, .. } = sign_in.prompt()
            && let Err(err) = open_browser(&url)
        {
            // The form shows no address to copy: say where else to register instead of waiting.
            return Err(IpcError::internal(format!(
                "{}. Register aadsync from a terminal instead (`aadsync org register --device-code --tenant {}`), or choose another option",
                capitalize(&err.to_string()),
                prepared.target.tenant.segment()
            )));
        }
        let signed_in = sign_in
            .finish(registering_policy(), async {
                let _ = (&mut cancel).await;
            })
            .await
            .map_err(bootstrap_error)?;
        let account = signed_in.account.upn.clone();
        // The bootstrap session serves only the registration: never saved to the keyring.
        let graph = GraphClient::new(Arc::new(signed_in.session))
            .map_err(|e| org_error(OrgError::Http(e.to_string())))?;
        let plan = tokio::select! {
            plan = register::read_and_plan(&graph) => plan.map_err(register_error)?,
            _ = &mut cancel => return Err(cancelled()),
        };
        Ok(PendingRegistration {
            graph,
            plan,
            account,
        })
    }
    .await;
    signins.forget_flow(flow);
    let pending = planned?;
    let answer_plan = pending.plan.clone();
    let account = pending.account.clone();
    let id = state.jobs.keep_registration(pending);
    Ok(preview(id, &account, &answer_plan))
}

/// Writes exactly the previewed plan. When the tenant changed since the preview nothing is
/// written and the new preview comes back, to confirm again.
#[tauri::command]
pub async fn confirm_registration(
    state: State<'_, AppState>,
    args: ipc::RegistrationRef,
) -> Result<ipc::RegistrationConfirmed, IpcError> {
    let id = args.registration;
    let mut pending = state.jobs.take_registration(id).ok_or_else(|| {
        IpcError::new(
            ErrorCode::NotFound,
            "This registration preview is no longer open: start the registration again",
        )
    })?;
    match register::apply(&pending.graph, &pending.plan).await {
        Ok(client_id) => {
            tracing::info!(client_id = client_id.as_str(), "aadsync registered");
            Ok(ipc::RegistrationConfirmed::Registered {
                client_id: client_id.as_str().to_owned(),
                created: !pending.plan.changes_nothing(),
            })
        }
        Err(RegisterError::Changed) => {
            let replanned = register::read_and_plan(&pending.graph).await;
            match replanned {
                Ok(plan) => {
                    pending.plan = plan;
                    let answer = preview(id, &pending.account, &pending.plan);
                    state.jobs.put_back_registration(id, pending);
                    Ok(ipc::RegistrationConfirmed::Changed { preview: answer })
                }
                Err(e) => Err(register_error(e)),
            }
        }
        Err(e) => {
            // Kept, so Create can be tried again once the cause is fixed: apply reads the
            // tenant again first and writes only what is still missing.
            state.jobs.put_back_registration(id, pending);
            Err(register_error(e))
        }
    }
}

/// Drops the previewed plan and the bootstrap session: nothing is created.
#[tauri::command]
pub async fn cancel_registration(
    state: State<'_, AppState>,
    args: ipc::RegistrationRef,
) -> Result<(), IpcError> {
    drop(state.jobs.take_registration(args.registration));
    Ok(())
}
