//! `aadsync org check`: the organization's app registration read from Microsoft Graph with its
//! saved sign-in, and each finding with its fix (`sync::registration_check`, as the app runs
//! it). Exit 8 when something aadsync needs is missing or wrong.

use crate::exit::{CliError, CliResult, Exit};
use aadsync_directory::auth::permissions::Feature;
use aadsync_keystore::TokenStore;
use aadsync_store::Organization;
use aadsync_sync::registration::{Area, RegistrationFinding, RegistrationReport};
use aadsync_sync::registration_check::check_organization;
use serde_json::{Value, json};

/// Checks `org` (called `name` on the terminal) with its saved sign-in in `tokens`.
pub async fn check(
    org: &Organization,
    name: &str,
    tokens: &TokenStore,
    as_json: bool,
) -> CliResult {
    let report = check_organization(org, tokens).await.map_err(|e| {
        if e.needs_sign_in() {
            CliError::new(
                Exit::SignInRequired,
                format!("{e} — run: aadsync login --org {}", org.id.0),
            )
        } else {
            CliError::failed(e)
        }
    })?;
    if as_json {
        say!(
            "{}",
            serde_json::to_string_pretty(&report_json(org, &report)).map_err(CliError::failed)?
        );
    } else {
        print(org, name, &report);
    }
    if report.blocks() {
        // The report above says what and how to fix it.
        return Err(CliError::new(Exit::RegistrationIncomplete, ""));
    }
    Ok(())
}

fn print(org: &Organization, name: &str, report: &RegistrationReport) {
    say!("Registration of {name} (application {}):", org.client_id);
    if report.findings.is_empty() {
        say!("The registration is complete: nothing aadsync uses is missing or wrong.");
    }
    for finding in &report.findings {
        say!(
            "- {} ({}): {}",
            finding.area.label(),
            if finding.needed { "needed" } else { "optional" },
            finding.problem
        );
        say!("  Fix: {}", finding.fix);
    }
    for note in &report.unchecked {
        say!("Not checked: {note}");
    }
}

/// The stable name of a finding's area in `--json`.
fn area_key(area: Area) -> &'static str {
    match area {
        Area::RedirectUri => "redirect_uri",
        Area::PublicClientFlows => "public_client_flows",
        Area::ServicePrincipal => "service_principal",
        Area::Permission(_) => "permission",
        Area::Consent(_) => "consent",
        Area::SignIn => "sign_in",
    }
}

/// The stable name of a feature in `--json`.
fn feature_key(feature: Feature) -> &'static str {
    match feature {
        Feature::SignIn => "sign_in",
        Feature::ImportUsers => "import_users",
        Feature::ImportGroups => "import_groups",
        Feature::HiddenMembershipGroups => "hidden_membership_groups",
        Feature::CheckDeletedUsers => "check_deleted_users",
        Feature::CheckDeletedGroups => "check_deleted_groups",
    }
}

fn finding_json(finding: &RegistrationFinding) -> Value {
    let (feature, permission) = match finding.area {
        Area::Permission(f) | Area::Consent(f) => {
            (Some(feature_key(f)), f.needs().first().copied())
        }
        _ => (None, None),
    };
    json!({
        "area": area_key(finding.area),
        "feature": feature,
        "permission": permission,
        "needed": finding.needed,
        "problem": finding.problem,
        "fix": finding.fix,
    })
}

/// `--json`: the organization, whether anything needed is missing (`blocking`, exit 8), the
/// findings and what was not checked.
fn report_json(org: &Organization, report: &RegistrationReport) -> Value {
    json!({
        "organization": {
            "id": org.id.0,
            "tenant_id": org.tenant_id,
            "client_id": org.client_id,
        },
        "complete": report.findings.is_empty(),
        "blocking": report.blocks(),
        "findings": report.findings.iter().map(finding_json).collect::<Vec<_>>(),
        "unchecked": report.unchecked,
    })
}
