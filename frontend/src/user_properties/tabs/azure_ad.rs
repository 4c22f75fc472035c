//! The Azure AD tab: the attributes Microsoft Entra ID gave the user, read-only.

use super::ctx;
use super::decision::DecisionRow;
use crate::user_properties::FormContext;
use crate::users::cells::short_time;
use aadsync_ipc::AzureAttributes;
use leptos::prelude::*;

/// The Azure AD tab ("Not an Azure AD user" for others).
#[component]
pub fn AzureAd() -> impl IntoView {
    let FormContext { form, .. } = ctx();
    let Some(a) = form.with_untracked(|f| f.azure.clone()) else {
        return view! { <p class="muted">"Not an Azure AD user"</p> }.into_any();
    };
    let user = form.with_untracked(|f| f.id).unwrap_or_default();
    let scope = if a.scope.is_empty() {
        "Out of scope: no selected group reaches this user, and it was not selected itself"
            .to_owned()
    } else {
        a.scope.join("; ")
    };
    let decision = a.decision.clone();
    let facts = facts(a);
    view! {
        <div id="azure-ad-tab">
            <p class="note">"Read-only: these attributes come from Microsoft Entra ID and are refreshed by every synchronization."</p>
            <dl class="facts">
                {facts.into_iter().map(|(id, label, value)| view! {
                    <dt>{label}</dt>
                    <dd id=id class="selectable">{value}</dd>
                }).collect_view()}
                <dt>"In scope because"</dt>
                <dd id="azure-scope" class="selectable">{scope}</dd>
                {decision.map(|decision| view! { <DecisionRow user decision /> })}
            </dl>
        </div>
    }
    .into_any()
}

/// Each attribute as (DOM id, label, text); "—" for an empty one.
fn facts(a: AzureAttributes) -> Vec<(&'static str, &'static str, String)> {
    let opt = |v: Option<String>| v.filter(|s| !s.is_empty()).unwrap_or_else(|| "—".into());
    let yes_no = |v: bool| if v { "Yes" } else { "No" }.to_owned();
    let organization = match a.organization {
        Some(name) => format!("{name} ({})", a.tenant_id),
        None => a.tenant_id.clone(),
    };
    vec![
        ("azure-object-id", "Object ID", a.object_id),
        ("azure-tenant", "Tenant (organization)", organization),
        ("azure-upn", "User principal name", a.user_principal_name),
        ("azure-display-name", "Display name", a.display_name),
        ("azure-given-name", "Given name", opt(a.given_name)),
        ("azure-surname", "Surname", opt(a.surname)),
        ("azure-mail", "Mail", opt(a.mail)),
        ("azure-job-title", "Job title", opt(a.job_title)),
        ("azure-department", "Department", opt(a.department)),
        ("azure-office", "Office location", opt(a.office_location)),
        ("azure-mobile", "Mobile phone", opt(a.mobile_phone)),
        (
            "azure-business-phones",
            "Business phones",
            if a.business_phones.is_empty() {
                "—".into()
            } else {
                a.business_phones.join(", ")
            },
        ),
        ("azure-user-type", "User type", a.user_type),
        (
            "azure-account-enabled",
            "Account enabled",
            yes_no(a.account_enabled),
        ),
        (
            "azure-created",
            "Created in Entra ID",
            a.created_in_entra
                .as_deref()
                .map(short_time)
                .unwrap_or_else(|| "—".into()),
        ),
        (
            "azure-on-premises",
            "On-premises synced",
            a.on_premises_synced
                .map(yes_no)
                .unwrap_or_else(|| "—".into()),
        ),
        (
            "azure-last-sync",
            "Last synchronized",
            short_time(&a.last_synchronized),
        ),
        (
            "azure-deleted",
            "In Entra ID",
            a.deleted_in_directory.unwrap_or_else(|| "Present".into()),
        ),
        (
            "azure-imported-via",
            "Imported through",
            if a.imported_via.is_empty() {
                "Selected directly".into()
            } else {
                a.imported_via
            },
        ),
    ]
}
