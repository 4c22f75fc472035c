//! `aadsync org register`: the automatic registration (`aadsync_sync::register`) on the
//! command line — the bootstrap sign-in with the publisher's application, the preview of what
//! will be created, a confirmation (`--yes`, or a question on a terminal; `--dry-run` stops
//! after the preview), the writes, then the usual sign-in with the new client ID and the save.

use crate::exit::{CliError, CliResult, Exit};
use crate::signin::{Signins, method, sign_in_and_save, wait_for};
use aadsync_directory::graph::GraphClient;
use aadsync_store::Store;
use aadsync_sync::orgs::{self, CloudChoice, NewOrganizationInput, OrgError};
use aadsync_sync::publisher::{PUBLISHER_CLIENT_ID_VAR, publisher_client_id};
use aadsync_sync::register::{
    self, BOOTSTRAP_PERMISSIONS, REGISTERING_ROLES, RegisterError, registering_policy,
};
use std::io::IsTerminal;
use std::sync::Arc;

/// Whether the writes may go ahead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Confirm {
    /// `--yes`.
    Yes,
    /// Ask on the terminal; without one, refuse (exit 6).
    Ask,
    /// `--dry-run`: the preview only.
    DryRun,
}

#[derive(Debug, Clone, Copy)]
pub struct Options {
    pub confirm: Confirm,
    pub device_code: bool,
}

/// An administrator without the rights: exit 9, the message naming what is needed.
fn refused(err: impl std::fmt::Display) -> CliError {
    CliError::new(Exit::RegistrationRefused, err.to_string())
}

fn register_error(err: RegisterError) -> CliError {
    if err.is_forbidden() {
        refused(err)
    } else {
        CliError::failed(err)
    }
}

fn role_names() -> String {
    REGISTERING_ROLES
        .iter()
        .map(|(_, name)| *name)
        .collect::<Vec<_>>()
        .join(", ")
}

pub async fn register(
    store: &Arc<Store>,
    signins: &Signins,
    tenant: String,
    cloud: CloudChoice,
    options: Options,
) -> CliResult {
    // The form is validated as for `org add`, with the publisher's client ID.
    let client_id = publisher_client_id().map_err(CliError::failed)?;
    let input = NewOrganizationInput {
        tenant,
        client_id: client_id.as_str().to_owned(),
        cloud,
    };
    let prepared = tokio::task::spawn_blocking(move || orgs::prepare_new(&input))
        .await
        .map_err(CliError::failed)?
        .map_err(CliError::failed)?;
    let bootstrap = register::prepare_bootstrap(&prepared).map_err(CliError::failed)?;
    let tenant = prepared.target.tenant.segment().to_owned();
    say!(
        "To register aadsync in {tenant}, an administrator ({}) signs in with the aadsync application (client ID {}; {PUBLISHER_CLIENT_ID_VAR} changes it) and accepts the delegated permissions {} for this registration only. Nothing is created before you confirm the preview.",
        role_names(),
        client_id.as_str(),
        BOOTSTRAP_PERMISSIONS.join(", ")
    );
    let signed_in = bootstrap_sign_in(&bootstrap, options.device_code).await?;
    let admin = signed_in.account.upn.clone();
    say!(
        "Signed in to {} as {admin} ({}).",
        signed_in.tenant.display_name,
        signed_in.account.roles.join(", ")
    );
    // The bootstrap token serves only the registration: it is dropped with `graph`, never
    // saved (the organization is saved from the sign-in with the new client ID).
    let graph = GraphClient::new(Arc::new(signed_in.session))
        .map_err(|e| CliError::failed(OrgError::Http(e.to_string())))?;
    let plan = register::read_and_plan(&graph)
        .await
        .map_err(register_error)?;
    say!("Registration of aadsync in {tenant}:");
    for line in plan.preview() {
        say!("- {line}");
    }
    if options.confirm == Confirm::DryRun {
        say!("Dry run: nothing was created and nothing was stored.");
        return Ok(());
    }
    if !plan.changes_nothing() && !confirmed(options.confirm).await? {
        return Err(CliError::new(
            Exit::PreviewOnly,
            "nothing was created and nothing was stored",
        ));
    }
    let client_id = register::apply(&graph, &plan)
        .await
        .map_err(register_error)?;
    drop(graph);
    if plan.changes_nothing() {
        say!(
            "aadsync is registered in {tenant} already (application (client) ID {}); nothing was created.",
            client_id.as_str()
        );
    } else {
        say!(
            "Registered aadsync in {tenant}: application (client) ID {}. Now sign in with it to store the organization.",
            client_id.as_str()
        );
    }
    let registered = register::prepare_registered(&prepared, &client_id);
    sign_in_and_save(
        store,
        signins,
        &registered,
        Some(&admin),
        options.device_code,
    )
    .await
}

/// The bootstrap sign-in: an administrator who may register applications, asked by name for
/// the permissions that create them; a refusal or a declined consent says what to do.
async fn bootstrap_sign_in(
    bootstrap: &orgs::Prepared,
    device_code: bool,
) -> Result<aadsync_directory::auth::signin::SignedIn, CliError> {
    let sign_in = register::start_bootstrap(bootstrap, method(device_code), None)
        .await
        .map_err(CliError::failed)?;
    wait_for(
        sign_in,
        registering_policy(),
        "Sign in as an administrator who may register applications",
    )
    .await
    .map_err(|e| {
        if e.not_administrator() {
            refused(e)
        } else if e.declined() {
            CliError::failed(format!(
                "{e}. The permissions were declined, so nothing was created and nothing was stored. To register aadsync, run the command again and accept {} on the consent page",
                BOOTSTRAP_PERMISSIONS.join(", ")
            ))
        } else {
            CliError::failed(e)
        }
    })
}

/// `--yes`, or the administrator's answer on the terminal; without a terminal, a refusal
/// that says to add `--yes`.
async fn confirmed(confirm: Confirm) -> Result<bool, CliError> {
    match confirm {
        Confirm::Yes => return Ok(true),
        Confirm::DryRun => return Ok(false),
        Confirm::Ask => {}
    }
    if !std::io::stdin().is_terminal() {
        return Err(CliError::new(
            Exit::PreviewOnly,
            "nothing was created: there is no terminal to confirm on. Review the preview above, then run the command again with --yes",
        ));
    }
    tell!("Create what is listed above? [y/N] ");
    let answer = tokio::task::spawn_blocking(|| {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line).map(|_| line)
    })
    .await
    .map_err(CliError::failed)?
    .map_err(CliError::failed)?;
    Ok(matches!(
        answer.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    ))
}
