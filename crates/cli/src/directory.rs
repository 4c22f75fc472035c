//! `aadsync list users|groups`: what the tenant has, as a table or JSON.

use crate::args::ListWhat;
use crate::exit::{CliError, CliResult};
use aadsync_directory::graph::{GraphClient, GraphError};
use aadsync_sync::Connected;
use aadsync_sync::registration_check::after_graph_failure;

pub async fn list(
    connected: &Connected,
    graph: &GraphClient,
    what: ListWhat,
    search: Option<&str>,
    json: bool,
) -> CliResult {
    let mut rows: Vec<serde_json::Value> = Vec::new();
    let result = match what {
        ListWhat::Users => {
            graph
                .users(search, |page| {
                    for u in page {
                        if !json {
                            say!(
                                "{:<36}  {:<40}  {:<28}  {:<20}{}{}",
                                u.id,
                                u.user_principal_name.as_deref().unwrap_or(""),
                                u.display_name,
                                u.department.as_deref().unwrap_or(""),
                                if u.is_guest() { "  guest" } else { "" },
                                if u.account_enabled == Some(false) {
                                    "  disabled"
                                } else {
                                    ""
                                },
                            );
                        } else {
                            rows.push(serde_json::json!({
                                "id": u.id,
                                "userPrincipalName": u.user_principal_name,
                                "displayName": u.display_name,
                                "mail": u.mail,
                                "department": u.department,
                                "userType": u.user_type,
                                "accountEnabled": u.account_enabled,
                            }));
                        }
                    }
                })
                .await
        }
        ListWhat::Groups => {
            graph
                .groups(search, |page| {
                    for g in page {
                        if !json {
                            say!(
                                "{:<36}  {:<40}  {}",
                                g.id,
                                g.display_name,
                                g.mail.as_deref().unwrap_or("")
                            );
                        } else {
                            rows.push(serde_json::json!({
                                "id": g.id,
                                "displayName": g.display_name,
                                "mail": g.mail,
                                "securityEnabled": g.security_enabled,
                                "groupTypes": g.group_types,
                            }));
                        }
                    }
                })
                .await
        }
    };
    if let Err(e) = result {
        return Err(graph_failure(connected, e).await);
    }
    if json {
        say!(
            "{}",
            serde_json::to_string_pretty(&rows).map_err(CliError::failed)?
        );
    }
    Ok(())
}

/// A failed Graph call's error, with the registration check's findings when the registration
/// can cause it (a refused read, a refused sign-in renewal), so the fix comes with it.
pub async fn graph_failure(connected: &Connected, err: GraphError) -> CliError {
    match after_graph_failure(connected, &err).await {
        Some(report) => CliError::failed(format!("{err}\n{}", report.explain())),
        None => CliError::failed(err),
    }
}
