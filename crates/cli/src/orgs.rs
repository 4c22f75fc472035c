//! `aadsync org …`, `login` and `whoami`: organizations and administrator sign-in, on the same
//! database and keyring as the desktop app.

use crate::args::{CloudArg, OrgCommand};
use crate::exit::{CliError, CliResult, Exit};
use crate::signin::{Signins, name, sign_in_and_save};
use aadsync_directory::auth::admin_consent::{AdminConsent, no_consent_redirect_hint};
use aadsync_directory::auth::signin::{BROWSER_TIMEOUT, NO_REDIRECT_AFTER, open_browser};
use aadsync_store::{Organization, Store};
use aadsync_sync::clock::{SystemClock, unix_now};
use aadsync_sync::orgs::{
    self, CloudChoice, NewOrganizationInput, OrgError, Prepared, stored_cloud,
};
use aadsync_sync::publisher::{PUBLISHER_CLIENT_ID_VAR, publisher_client_id};
use aadsync_sync::registration_check::after_sign_in_failure;
use std::sync::Arc;

pub async fn org(store: &Arc<Store>, signins: &Signins, command: OrgCommand) -> CliResult {
    match command {
        OrgCommand::List => list(store),
        command @ OrgCommand::Add { .. } => add(store, signins, command).await,
        command @ OrgCommand::Register { .. } => register(store, signins, command).await,
        OrgCommand::Check { org, json } => {
            let org = find(store, &org)?;
            crate::registration::check(&org, &name(&org), &signins.tokens, json).await
        }
        OrgCommand::Remove { org } => {
            let org = find(store, &org)?;
            let removed = orgs::remove(store, &signins.tokens, org.id)
                .await
                .map_err(CliError::failed)?;
            say!(
                "Removed {} and its saved sign-in. Users imported from it are kept.",
                name(&removed)
            );
            Ok(())
        }
        OrgCommand::SetThreshold {
            org,
            count,
            percent,
        } => {
            let org = find(store, &org)?;
            store
                .writer()
                .set_deletion_threshold(org.id, count, percent)
                .map_err(CliError::failed)?;
            say!(
                "{}: a sync now stops before disabling or deleting more than {count} objects and more than {percent} % of the imported objects.",
                name(&org)
            );
            Ok(())
        }
    }
}

/// `aadsync org add`: the organization prepared from the flags, admin consent first with
/// `--consent`, then the sign-in and the save.
async fn add(store: &Arc<Store>, signins: &Signins, command: OrgCommand) -> CliResult {
    let OrgCommand::Add {
        tenant,
        client_id,
        cloud,
        authority,
        graph,
        demo,
        device_code,
        consent,
    } = command
    else {
        return Err(CliError::failed("not org add"));
    };
    let cloud = if demo {
        CloudChoice::Demo
    } else {
        cloud_choice(cloud, authority, graph)
    };
    let client_id = if consent {
        publisher_client_id()
            .map_err(CliError::failed)?
            .as_str()
            .to_owned()
    } else {
        client_id.unwrap_or_default()
    };
    let input = NewOrganizationInput {
        tenant: tenant.unwrap_or_default(),
        client_id,
        cloud,
    };
    let prepared = tokio::task::spawn_blocking(move || orgs::prepare_new(&input))
        .await
        .map_err(CliError::failed)?
        .map_err(CliError::failed)?;
    if consent {
        admin_consent(&prepared).await?;
    }
    sign_in_and_save(store, signins, &prepared, None, device_code).await
}

/// `aadsync org register`: the flags as `register::Options`, then `register::register`.
async fn register(store: &Arc<Store>, signins: &Signins, command: OrgCommand) -> CliResult {
    let OrgCommand::Register {
        tenant,
        cloud,
        authority,
        graph,
        yes,
        dry_run,
        device_code,
    } = command
    else {
        return Err(CliError::failed("not org register"));
    };
    let options = crate::register::Options {
        confirm: if dry_run {
            crate::register::Confirm::DryRun
        } else if yes {
            crate::register::Confirm::Yes
        } else {
            crate::register::Confirm::Ask
        },
        device_code,
    };
    let cloud = cloud_choice(cloud, authority, graph);
    crate::register::register(store, signins, tenant, cloud, options).await
}

/// `aadsync login`: sign in again to a stored organization.
pub async fn login(
    store: &Arc<Store>,
    signins: &Signins,
    org: &str,
    device_code: bool,
) -> CliResult {
    let org = find(store, org)?;
    let hint = org.admin_upn.clone();
    let prepared = tokio::task::spawn_blocking(move || orgs::prepare_existing(&org))
        .await
        .map_err(CliError::failed)?
        .map_err(CliError::failed)?;
    sign_in_and_save(store, signins, &prepared, hint.as_deref(), device_code).await
}

/// `aadsync whoami`: a silent sign-in to each organization; nothing is changed.
pub async fn whoami(store: &Store, signins: &Signins, org: Option<&str>) -> CliResult {
    let list = match org {
        Some(o) => vec![find(store, o)?],
        None => store.reader().organizations().map_err(CliError::failed)?,
    };
    if list.is_empty() {
        say!("No organizations. Add one with: aadsync org add --tenant … --client-id …");
        return Ok(());
    }
    let mut failed = 0;
    for org in &list {
        match orgs::connect(org, &signins.tokens, &signins.policy).await {
            Ok(connected) => {
                say!(
                    "{}: {} ({})",
                    name(org),
                    connected.account.upn,
                    connected.account.roles.join(", ")
                );
                for line in &connected.missing_features {
                    say!("  Permission missing: {line}");
                }
            }
            Err(err) => {
                failed += 1;
                let hint = if err.needs_sign_in() {
                    format!(" — run: aadsync login --org {}", org.id.0)
                } else {
                    String::new()
                };
                say!("{}: not signed in: {err}{hint}", name(org));
            }
        }
    }
    if failed == 0 {
        Ok(())
    } else {
        Err(CliError::new(
            Exit::NeedsAttention,
            format!("{failed} organization(s) need attention"),
        ))
    }
}

/// The organization's saved sign-in, resumed silently; exit 4 when it needs a new sign-in.
pub async fn connect(
    org: &Organization,
    signins: &Signins,
) -> Result<aadsync_sync::Connected, CliError> {
    orgs::connect(org, &signins.tokens, &signins.policy)
        .await
        .map_err(|e| {
            if let Some(report) = after_sign_in_failure(org, &e) {
                // Signing in again does not help until the registration is fixed.
                CliError::new(
                    Exit::SignInRequired,
                    format!(
                        "{e}\n{}\nThen run: aadsync login --org {}",
                        report.explain(),
                        org.id.0
                    ),
                )
            } else if e.needs_sign_in() {
                CliError::new(
                    Exit::SignInRequired,
                    format!("{e} — run: aadsync login --org {}", org.id.0),
                )
            } else {
                CliError::failed(e)
            }
        })
}

/// An organization by number, tenant ID, domain or name (case-insensitive).
pub fn find(store: &Store, key: &str) -> Result<Organization, CliError> {
    let list = store.reader().organizations().map_err(CliError::failed)?;
    let key = key.trim();
    let matches: Vec<&Organization> = list
        .iter()
        .filter(|o| {
            o.id.0.to_string() == key
                || o.tenant_id.eq_ignore_ascii_case(key)
                || o.primary_domain.eq_ignore_ascii_case(key)
                || o.display_name.eq_ignore_ascii_case(key)
        })
        .collect();
    match matches.as_slice() {
        [one] => Ok((*one).clone()),
        [] => Err(format!("no organization {key:?}; see: aadsync org list").into()),
        _ => Err(format!(
            "{key:?} matches several organizations; use the number from: aadsync org list"
        )
        .into()),
    }
}

fn list(store: &Store) -> CliResult {
    let list = store.reader().organizations().map_err(CliError::failed)?;
    let now = unix_now(&SystemClock);
    if list.is_empty() {
        say!(
            "No organizations. Add one with: aadsync org add --tenant … --client-id …  (or --demo)"
        );
        return Ok(());
    }
    say!(
        "{:<4} {:<24} {:<26} {:<38} {:<14} {:<30} LAST SYNC",
        "#",
        "NAME",
        "DOMAIN",
        "TENANT ID",
        "CLOUD",
        "ADMINISTRATOR"
    );
    for org in list {
        let cloud = match stored_cloud(&org) {
            CloudChoice::Demo => "offline demo",
            CloudChoice::Global => "global",
            CloudChoice::Gcc => "gcc",
            CloudChoice::GccHigh => "gcc-high",
            CloudChoice::Dod => "dod",
            CloudChoice::China => "china",
            CloudChoice::Custom { .. } => "custom",
        };
        say!(
            "{:<4} {:<24} {:<26} {:<38} {:<14} {:<30} {}",
            org.id.0,
            org.display_name,
            org.primary_domain,
            org.tenant_id,
            cloud,
            org.admin_upn.as_deref().unwrap_or("-"),
            org.last_sync_at.as_deref().unwrap_or("never"),
        );
        if let Some(note) = aadsync_sync::freshness::sync_note(
            org.last_sync_at.as_deref(),
            org.delta_taken_at.as_deref(),
            now,
        ) {
            say!(
                "     {}{}",
                if note.warning { "warning: " } else { "" },
                note.text
            );
        }
        say!(
            "     Deletion safeguard: more than {} objects and more than {} %.",
            org.threshold_count,
            org.threshold_percent
        );
    }
    Ok(())
}

/// The cloud the command line names (`--cloud`, with `--authority`/`--graph` for custom).
pub(crate) fn cloud_choice(
    cloud: CloudArg,
    authority: Option<String>,
    graph: Option<String>,
) -> CloudChoice {
    match cloud {
        CloudArg::Global => CloudChoice::Global,
        CloudArg::Gcc => CloudChoice::Gcc,
        CloudArg::GccHigh => CloudChoice::GccHigh,
        CloudArg::Dod => CloudChoice::Dod,
        CloudArg::China => CloudChoice::China,
        CloudArg::Custom => CloudChoice::Custom {
            authority_host: authority.unwrap_or_default(),
            graph_root: graph.unwrap_or_default(),
        },
    }
}

/// `aadsync org add --consent`, before the sign-in: the tenant's admin consent page for the
/// publisher's application in the browser, until an administrator accepted (or refused).
/// Nothing is stored here; the sign-in that follows stores the organization.
async fn admin_consent(prepared: &Prepared) -> CliResult {
    let target = &prepared.target;
    let (client_id, tenant) = (target.client_id.as_str(), target.tenant.segment());
    let consent = AdminConsent::prepare(target)
        .await
        .map_err(|e| CliError::failed(OrgError::from(e)))?;
    let url = consent.url().to_owned();
    match open_browser(&url) {
        Ok(()) => say!(
            "To add the aadsync application (client ID {client_id}; {PUBLISHER_CLIENT_ID_VAR} changes it) to {tenant}, sign in in the browser window that opened as an administrator who may consent for the organization, and accept its permissions. If none opened, visit:\n{url}\nPress Ctrl+C to cancel."
        ),
        Err(err) => say!("{err}\nOpen this address to add the aadsync application:\n{url}"),
    }
    let cancel = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let finishing = consent.finish(BROWSER_TIMEOUT, cancel);
    tokio::pin!(finishing);
    // Refusals Entra shows only in the browser never come back: after a while, what they mean.
    let consented = tokio::select! {
        outcome = &mut finishing => outcome,
        () = tokio::time::sleep(NO_REDIRECT_AFTER) => {
            say!("{}", no_consent_redirect_hint(client_id, tenant));
            finishing.await
        }
    }
    .map_err(|e| CliError::failed(OrgError::from(e)))?;
    // The answer's `tenant` is not trusted (Microsoft warns it can be forged): the sign-in
    // that follows proves which tenant this is.
    say!(
        "Admin consent given ({}): the aadsync application may now sign in to {tenant}. Now sign in as an administrator to store the organization.",
        consented.scope
    );
    Ok(())
}
