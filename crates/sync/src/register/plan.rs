//! The registration's plan, pure: from what Graph shows ([`Existing`]), exactly what
//! `register::apply` will create or change, and what is already present (the preview).

use super::{
    DISPLAY_NAME, GROUPS_CLAIM, RegisterError, SIGN_IN_AUDIENCE, UNIQUE_NAME,
    registered_permissions,
};
use crate::registration::REDIRECT_URI;
use aadsync_directory::graph::{MICROSOFT_GRAPH_APP_ID, NamedApplication, ServicePrincipalObject};
use serde_json::{Value, json};

/// What Graph shows of aadsync's registration in the tenant, and of Microsoft Graph.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Existing {
    /// The application with the `uniqueName` [`UNIQUE_NAME`].
    pub application: Option<NamedApplication>,
    /// Its service principal (only looked for when the application exists).
    pub service_principal: Option<ServicePrincipalObject>,
    /// Its tenant-wide (`AllPrincipals`) grants on Microsoft Graph.
    pub grants: Vec<aadsync_directory::graph::GrantObject>,
    /// Microsoft Graph's service principal: the grant's resource, and its permission IDs.
    pub microsoft_graph: Option<ServicePrincipalObject>,
}

/// Whether a part of the registration is created, changed or left as it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Create,
    Update,
    Present,
}

/// The application's part of the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedApplication {
    pub action: Action,
    /// The client ID when the application exists.
    pub app_id: Option<String>,
    /// What is written: every property for a new application, the changed ones for an update.
    pub body: Value,
    /// What the write does, for people.
    pub changes: Vec<String>,
}

/// The service principal's part of the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedPrincipal {
    pub action: Action,
    pub id: Option<String>,
}

/// The admin consent grant's part of the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedGrant {
    pub action: Action,
    /// The existing grant to update.
    pub id: Option<String>,
    /// The grant's scope after the write (space-separated).
    pub scope: String,
    /// The permissions the write adds.
    pub added: Vec<String>,
    /// Microsoft Graph's service principal (the grant's `resourceId`).
    pub resource_id: String,
}

/// Exactly what the registration will create or change, from what exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistrationPlan {
    pub application: PlannedApplication,
    pub service_principal: PlannedPrincipal,
    pub grant: PlannedGrant,
}

impl RegistrationPlan {
    /// Whether the registration is complete already: applying changes nothing.
    pub fn changes_nothing(&self) -> bool {
        self.application.action == Action::Present
            && self.service_principal.action == Action::Present
            && self.grant.action == Action::Present
    }

    /// The preview: one line per part, what will be created or changed, or that it is there.
    pub fn preview(&self) -> Vec<String> {
        let app = &self.application;
        let named = |id: &Option<String>| {
            id.as_deref()
                .map(|id| format!(" (client ID {id})"))
                .unwrap_or_default()
        };
        let application = match app.action {
            Action::Create => format!(
                "Create the application \"{DISPLAY_NAME}\" (uniqueName {UNIQUE_NAME}): {}",
                app.changes.join("; ")
            ),
            Action::Update => format!(
                "Change the application {UNIQUE_NAME}{}: {}",
                named(&app.app_id),
                app.changes.join("; ")
            ),
            Action::Present => format!(
                "Already present: the application {UNIQUE_NAME}{}, as aadsync needs it",
                named(&app.app_id)
            ),
        };
        let principal = match self.service_principal.action {
            Action::Present => {
                "Already present: its enterprise application (service principal)".to_owned()
            }
            _ => "Create its enterprise application (service principal) in this tenant".to_owned(),
        };
        let grant = match self.grant.action {
            Action::Create => format!(
                "Grant admin consent for the organization: a tenant-wide (AllPrincipals) delegated grant to Microsoft Graph of {}",
                self.grant.scope
            ),
            Action::Update => format!(
                "Add {} to its admin consent for the organization (the grant becomes: {})",
                self.grant.added.join(" "),
                self.grant.scope
            ),
            Action::Present => format!(
                "Already present: admin consent for the organization ({})",
                self.grant.scope
            ),
        };
        vec![application, principal, grant]
    }
}

fn contains(list: &[String], wanted: &str) -> bool {
    list.iter().any(|s| s.eq_ignore_ascii_case(wanted))
}

/// The plan, pure: what exists → what to create or change, and nothing else. Properties an
/// administrator set that aadsync does not need (other redirect URIs, other permissions,
/// the display name) are kept.
pub fn plan(existing: &Existing) -> Result<RegistrationPlan, RegisterError> {
    let graph = existing.microsoft_graph.as_ref().ok_or_else(|| {
        RegisterError::MicrosoftGraph(
            "this tenant has no service principal for Microsoft Graph, so no permission to it can be registered or consented. Register aadsync by hand as the README's \"Registering your own app\" describes".into(),
        )
    })?;
    let needed = registered_permissions();
    let mut needed_ids = Vec::new();
    for name in &needed {
        let id = graph
            .scopes
            .iter()
            .find(|(_, value)| value.eq_ignore_ascii_case(name))
            .map(|(id, _)| id.clone())
            .ok_or_else(|| {
                RegisterError::MicrosoftGraph(format!(
                    "Microsoft Graph's service principal in this tenant does not publish the delegated permission {name}"
                ))
            })?;
        needed_ids.push((*name, id));
    }
    let application = plan_application(existing.application.as_ref(), &needed_ids);
    let service_principal = match &existing.service_principal {
        Some(sp) => PlannedPrincipal {
            action: Action::Present,
            id: Some(sp.id.clone()),
        },
        None => PlannedPrincipal {
            action: Action::Create,
            id: None,
        },
    };
    let grant = plan_grant(existing, &needed, &graph.id);
    Ok(RegistrationPlan {
        application,
        service_principal,
        grant,
    })
}

fn plan_application(
    existing: Option<&NamedApplication>,
    needed_ids: &[(&'static str, String)],
) -> PlannedApplication {
    let permissions =
        |names: &[&str]| format!("delegated Microsoft Graph permissions {}", names.join(", "));
    let Some(app) = existing else {
        let names: Vec<&str> = needed_ids.iter().map(|(n, _)| *n).collect();
        let body = json!({
            "displayName": DISPLAY_NAME,
            "signInAudience": SIGN_IN_AUDIENCE,
            "publicClient": { "redirectUris": [REDIRECT_URI] },
            "isFallbackPublicClient": true,
            "groupMembershipClaims": GROUPS_CLAIM,
            "requiredResourceAccess": [graph_access(&[], needed_ids)],
        });
        return PlannedApplication {
            action: Action::Create,
            app_id: None,
            body,
            changes: vec![
                format!("single tenant ({SIGN_IN_AUDIENCE})"),
                format!("redirect URI {REDIRECT_URI} under Mobile and desktop applications"),
                "Allow public client flows: Yes".into(),
                "groups claim: Directory roles".into(),
                permissions(&names),
            ],
        };
    };
    let mut body = serde_json::Map::new();
    let mut changes = Vec::new();
    let settings = &app.settings;
    if !contains(&settings.public_client_redirect_uris, REDIRECT_URI) {
        let mut uris = settings.public_client_redirect_uris.clone();
        uris.push(REDIRECT_URI.to_owned());
        body.insert("publicClient".into(), json!({ "redirectUris": uris }));
        changes.push(format!(
            "add the redirect URI {REDIRECT_URI} under Mobile and desktop applications"
        ));
    }
    if !settings.is_fallback_public_client {
        body.insert("isFallbackPublicClient".into(), json!(true));
        changes.push("turn on Allow public client flows".into());
    }
    let claims = app.group_membership_claims.as_deref().unwrap_or("None");
    if !["DirectoryRole", "All"]
        .iter()
        .any(|c| c.eq_ignore_ascii_case(claims))
    {
        body.insert("groupMembershipClaims".into(), json!(GROUPS_CLAIM));
        changes.push(format!(
            "groups claim: Directory roles (instead of {claims})"
        ));
    }
    let missing: Vec<&(&'static str, String)> = needed_ids
        .iter()
        .filter(|(_, id)| !contains(&settings.graph_scope_ids, id))
        .collect();
    if !missing.is_empty() {
        let names: Vec<&str> = missing.iter().map(|(n, _)| *n).collect();
        body.insert(
            "requiredResourceAccess".into(),
            required_access(&app.required_resource_access, needed_ids),
        );
        changes.push(format!("add the {}", permissions(&names)));
    }
    PlannedApplication {
        action: if changes.is_empty() {
            Action::Present
        } else {
            Action::Update
        },
        app_id: Some(app.app_id.clone()),
        body: Value::Object(body),
        changes,
    }
}

/// Microsoft Graph's `requiredResourceAccess` entry: what it lists already (`keep`) and every
/// needed permission ID it lacks, as delegated (`Scope`) entries.
fn graph_access(keep: &[Value], needed_ids: &[(&'static str, String)]) -> Value {
    let mut access: Vec<Value> = keep.to_vec();
    for (_, id) in needed_ids {
        let listed = access.iter().any(|a| {
            a["type"].as_str() == Some("Scope")
                && a["id"].as_str().is_some_and(|i| i.eq_ignore_ascii_case(id))
        });
        if !listed {
            access.push(json!({ "id": id, "type": "Scope" }));
        }
    }
    json!({ "resourceAppId": MICROSOFT_GRAPH_APP_ID, "resourceAccess": access })
}

/// The whole `requiredResourceAccess` to write back (a PATCH replaces the list): other APIs'
/// entries unchanged, Microsoft Graph's with the needed permissions added.
fn required_access(existing: &Value, needed_ids: &[(&'static str, String)]) -> Value {
    let entries = existing.as_array().cloned().unwrap_or_default();
    let is_graph = |e: &Value| {
        e["resourceAppId"]
            .as_str()
            .is_some_and(|a| a.eq_ignore_ascii_case(MICROSOFT_GRAPH_APP_ID))
    };
    let mut out: Vec<Value> = entries.iter().filter(|e| !is_graph(e)).cloned().collect();
    let keep: Vec<Value> = entries
        .iter()
        .filter(|e| is_graph(e))
        .flat_map(|e| e["resourceAccess"].as_array().cloned().unwrap_or_default())
        .collect();
    out.push(graph_access(&keep, needed_ids));
    Value::Array(out)
}

fn plan_grant(existing: &Existing, needed: &[&str], resource_id: &str) -> PlannedGrant {
    let resource_id = resource_id.to_owned();
    let Some(grant) = existing.grants.first() else {
        return PlannedGrant {
            action: Action::Create,
            id: None,
            scope: needed.join(" "),
            added: needed.iter().map(|n| (*n).to_owned()).collect(),
            resource_id,
        };
    };
    let mut scopes: Vec<String> = grant.scope.split_whitespace().map(str::to_owned).collect();
    let added: Vec<String> = needed
        .iter()
        .filter(|n| !contains(&scopes, n))
        .map(|n| (*n).to_owned())
        .collect();
    scopes.extend(added.iter().cloned());
    PlannedGrant {
        action: if added.is_empty() {
            Action::Present
        } else {
            Action::Update
        },
        id: Some(grant.id.clone()),
        scope: scopes.join(" "),
        added,
        resource_id,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::register::*;
    use aadsync_directory::graph::{ApplicationObject, GrantObject};

    const GRAPH_SP: &str = "graph-sp";

    fn graph_principal() -> ServicePrincipalObject {
        ServicePrincipalObject {
            id: GRAPH_SP.into(),
            scopes: [
                ("id-user-read", "User.Read"),
                ("id-user-read-all", "User.Read.All"),
                ("id-groupmember-read-all", "GroupMember.Read.All"),
                ("id-group-read-all", "Group.Read.All"),
                ("id-member-read-hidden", "Member.Read.Hidden"),
                ("id-directory-read-all", "Directory.Read.All"),
            ]
            .iter()
            .map(|(i, v)| ((*i).to_owned(), (*v).to_owned()))
            .collect(),
        }
    }

    const ALL_IDS: &[&str] = &[
        "id-user-read",
        "id-user-read-all",
        "id-groupmember-read-all",
        "id-member-read-hidden",
        "id-group-read-all",
    ];
    const ALL_SCOPES: &str =
        "User.Read User.Read.All GroupMember.Read.All Member.Read.Hidden Group.Read.All";

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| (*s).to_owned()).collect()
    }

    /// What a complete registration looks like in Graph.
    fn complete() -> Existing {
        Existing {
            application: Some(NamedApplication {
                object_id: "obj".into(),
                app_id: "0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f".into(),
                display_name: "aadsync".into(),
                settings: ApplicationObject {
                    public_client_redirect_uris: s(&[REDIRECT_URI]),
                    other_redirect_uris: Vec::new(),
                    is_fallback_public_client: true,
                    graph_scope_ids: s(ALL_IDS),
                },
                group_membership_claims: Some("DirectoryRole".into()),
                sign_in_audience: SIGN_IN_AUDIENCE.into(),
                required_resource_access: json!([{
                    "resourceAppId": MICROSOFT_GRAPH_APP_ID,
                    "resourceAccess": ALL_IDS.iter().map(|id| json!({"id": id, "type": "Scope"})).collect::<Vec<_>>(),
                }]),
            }),
            service_principal: Some(ServicePrincipalObject {
                id: "app-sp".into(),
                scopes: Vec::new(),
            }),
            grants: vec![GrantObject {
                id: "grant".into(),
                scope: ALL_SCOPES.into(),
            }],
            microsoft_graph: Some(graph_principal()),
        }
    }

    fn nothing() -> Existing {
        Existing {
            microsoft_graph: Some(graph_principal()),
            ..Existing::default()
        }
    }

    fn with_app(change: impl FnOnce(&mut NamedApplication)) -> Existing {
        let mut existing = complete();
        if let Some(app) = existing.application.as_mut() {
            change(app);
        }
        existing
    }

    /// (application, service principal, grant) actions, the application body's keys, the
    /// grant's scope.
    type Outcome = ((Action, Action, Action), Vec<String>, String);

    fn check(existing: &Existing) -> Outcome {
        let plan = plan(existing).expect("plan");
        assert_eq!(plan.preview().len(), 3);
        assert_eq!(
            plan.changes_nothing(),
            plan.preview()
                .iter()
                .all(|l| l.starts_with("Already present"))
        );
        let mut keys: Vec<String> = plan
            .application
            .body
            .as_object()
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default();
        keys.sort();
        (
            (
                plan.application.action,
                plan.service_principal.action,
                plan.grant.action,
            ),
            keys,
            plan.grant.scope,
        )
    }

    #[test]
    fn each_existing_state_plans_exactly_what_is_missing() {
        use Action::{Create, Present, Update};
        let cases: Vec<(&str, Existing, Outcome)> = vec![
            (
                "nothing yet: everything is created",
                nothing(),
                (
                    (Create, Create, Create),
                    s(&[
                        "displayName",
                        "groupMembershipClaims",
                        "isFallbackPublicClient",
                        "publicClient",
                        "requiredResourceAccess",
                        "signInAudience",
                    ]),
                    ALL_SCOPES.into(),
                ),
            ),
            (
                "complete: nothing changes",
                complete(),
                ((Present, Present, Present), vec![], ALL_SCOPES.into()),
            ),
            (
                "the redirect URI missing: only it",
                with_app(|a| a.settings.public_client_redirect_uris = s(&["ms-app://x"])),
                (
                    (Update, Present, Present),
                    s(&["publicClient"]),
                    ALL_SCOPES.into(),
                ),
            ),
            (
                "public client flows off",
                with_app(|a| a.settings.is_fallback_public_client = false),
                (
                    (Update, Present, Present),
                    s(&["isFallbackPublicClient"]),
                    ALL_SCOPES.into(),
                ),
            ),
            (
                "no groups claim",
                with_app(|a| a.group_membership_claims = None),
                (
                    (Update, Present, Present),
                    s(&["groupMembershipClaims"]),
                    ALL_SCOPES.into(),
                ),
            ),
            (
                "the groups claim All is enough",
                with_app(|a| a.group_membership_claims = Some("All".into())),
                ((Present, Present, Present), vec![], ALL_SCOPES.into()),
            ),
            (
                "a permission missing from the registration",
                with_app(|a| a.settings.graph_scope_ids = s(&ALL_IDS[..3])),
                (
                    (Update, Present, Present),
                    s(&["requiredResourceAccess"]),
                    ALL_SCOPES.into(),
                ),
            ),
            (
                "no service principal: it and the grant",
                Existing {
                    service_principal: None,
                    grants: Vec::new(),
                    ..complete()
                },
                ((Present, Create, Create), vec![], ALL_SCOPES.into()),
            ),
            (
                "a narrower grant is widened, keeping what it had",
                Existing {
                    grants: vec![GrantObject {
                        id: "grant".into(),
                        scope: "User.Read Directory.Read.All".into(),
                    }],
                    ..complete()
                },
                (
                    (Present, Present, Update),
                    vec![],
                    "User.Read Directory.Read.All User.Read.All GroupMember.Read.All Member.Read.Hidden Group.Read.All".into(),
                ),
            ),
        ];
        for (name, existing, expected) in cases {
            assert_eq!(check(&existing), expected, "case: {name}");
        }
    }

    #[test]
    fn an_update_keeps_what_the_administrator_added() {
        let existing = with_app(|a| {
            a.settings.public_client_redirect_uris = s(&["ms-app://x"]);
            a.settings.graph_scope_ids = s(&["id-user-read", "other-graph-scope"]);
            a.required_resource_access = json!([
                {"resourceAppId": "other-api", "resourceAccess": [{"id": "x", "type": "Scope"}]},
                {"resourceAppId": MICROSOFT_GRAPH_APP_ID, "resourceAccess": [
                    {"id": "id-user-read", "type": "Scope"},
                    {"id": "other-graph-scope", "type": "Scope"},
                    {"id": "an-app-role", "type": "Role"}]},
            ]);
        });
        let plan = plan(&existing).expect("plan");
        let body = &plan.application.body;
        assert_eq!(
            body["publicClient"]["redirectUris"],
            json!(["ms-app://x", REDIRECT_URI])
        );
        let required = body["requiredResourceAccess"].as_array().expect("list");
        assert_eq!(required[0]["resourceAppId"], "other-api");
        let graph: Vec<(&str, &str)> = required[1]["resourceAccess"]
            .as_array()
            .expect("access")
            .iter()
            .map(|a| {
                (
                    a["id"].as_str().unwrap_or(""),
                    a["type"].as_str().unwrap_or(""),
                )
            })
            .collect();
        assert_eq!(
            graph,
            [
                ("id-user-read", "Scope"),
                ("other-graph-scope", "Scope"),
                ("an-app-role", "Role"),
                ("id-user-read-all", "Scope"),
                ("id-groupmember-read-all", "Scope"),
                ("id-member-read-hidden", "Scope"),
                ("id-group-read-all", "Scope"),
            ]
        );
    }

    #[test]
    fn the_preview_names_everything_that_is_created() {
        let created = plan(&nothing()).expect("plan");
        let preview = created.preview().join("\n");
        for needed in [
            "Create the application \"aadsync\" (uniqueName aadsync)",
            "redirect URI http://localhost under Mobile and desktop applications",
            "Allow public client flows: Yes",
            "groups claim: Directory roles",
            "User.Read, User.Read.All, GroupMember.Read.All, Member.Read.Hidden, Group.Read.All",
            "Create its enterprise application (service principal)",
            "tenant-wide (AllPrincipals) delegated grant to Microsoft Graph of User.Read User.Read.All GroupMember.Read.All Member.Read.Hidden Group.Read.All",
        ] {
            assert!(preview.contains(needed), "{needed} not in:\n{preview}");
        }
        let again = plan(&complete()).expect("plan");
        assert!(again.changes_nothing());
    }

    /// The bootstrap goes to the same tenant and cloud with the publisher's client ID; the
    /// national clouds, where "Upsert application" is not available, are refused before it.
    #[test]
    fn the_bootstrap_signs_in_with_the_publishers_application_in_the_global_service_only() {
        use crate::orgs::{CloudChoice, NewOrganizationInput, prepare_new};
        let prepared = |cloud: CloudChoice| {
            prepare_new(&NewOrganizationInput {
                tenant: "contoso.com".into(),
                client_id: "0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f".into(),
                cloud,
            })
            .expect("prepared")
        };
        for cloud in [CloudChoice::Global, CloudChoice::Gcc] {
            let bootstrap = prepare_bootstrap(&prepared(cloud.clone())).expect("bootstrap");
            assert_eq!(
                bootstrap.target.client_id,
                crate::publisher::publisher_client_id().expect("publisher")
            );
            assert_eq!(bootstrap.target.tenant, prepared(cloud).target.tenant);
        }
        for cloud in [CloudChoice::GccHigh, CloudChoice::Dod, CloudChoice::China] {
            let refused = prepare_bootstrap(&prepared(cloud)).expect_err("national cloud");
            assert!(refused.to_string().contains("national cloud"), "{refused}");
        }
    }

    #[test]
    fn the_bootstrap_hint_names_the_roles_that_may_register() {
        let hint = bootstrap_no_redirect_hint("c", "contoso.com");
        for named in [
            "AADSTS90094",
            "Application Administrator, Cloud Application Administrator",
            "Application.ReadWrite.All",
            "contoso.com",
        ] {
            assert!(hint.contains(named), "{named}: {hint}");
        }
    }

    #[test]
    fn without_microsoft_graph_nothing_is_planned() {
        let err = plan(&Existing::default()).expect_err("no Microsoft Graph");
        assert!(
            err.to_string()
                .contains("no service principal for Microsoft Graph")
        );
        let mut partial = nothing();
        if let Some(g) = partial.microsoft_graph.as_mut() {
            g.scopes.retain(|(_, v)| v != "Member.Read.Hidden");
        }
        let err = plan(&partial).expect_err("unpublished permission");
        assert!(err.to_string().contains("Member.Read.Hidden"), "{err}");
    }

    /// The permissions registered are the ones the registration check wants, so it finds
    /// nothing to add after a registration.
    #[test]
    fn the_registration_is_what_the_check_calls_complete() {
        use crate::registration::{ApplicationSettings, Registration, check_registration};
        let names: Vec<String> = registered_permissions()
            .iter()
            .map(|n| (*n).to_owned())
            .collect();
        let report = check_registration(&Registration {
            application: Ok(ApplicationSettings {
                public_client_redirect_uris: s(&[REDIRECT_URI]),
                other_redirect_uris: Vec::new(),
                public_client_flows: true,
                requested: names.clone(),
            }),
            service_principal: true,
            consented: names,
        });
        assert_eq!(report.findings, []);
    }
}
