//! `/me/memberOf`, `/me/transitiveMemberOf` and `/organization` as Microsoft Learn documents
//! them: the permissions each accepts (User.Read or the higher ones its table lists, no
//! User.Read.All for memberOf), roles held through a role-assignable group (transitive only),
//! PIM-eligible roles that are not active (nowhere), and "limited information" for directory
//! roles and groups the token may not read.

use aadsync_emulator::model::{Group, RoleAssignment, roles};
use aadsync_emulator::{Emulator, EmulatorConfig, GeneratorConfig, LimitedInformation, generate};
use serde_json::Value;

/// Users of the test tenant, by index: 0 the demo Global Administrator (direct), 2 a member of
/// the role-assignable group holding User Administrator and of a nested group, 3 PIM-eligible
/// for Global Administrator and nothing active.
const ADMIN: usize = 0;
const VIA_GROUP: usize = 2;
const ELIGIBLE: usize = 3;
const ROLE_GROUP: &str = "0d9e7c6b-1a2b-4c3d-8e4f-5a6b7c8d9e01";
const INNER: &str = "0d9e7c6b-1a2b-4c3d-8e4f-5a6b7c8d9e02";
const OUTER: &str = "0d9e7c6b-1a2b-4c3d-8e4f-5a6b7c8d9e03";

fn group(id: &str, name: &str, members: Vec<String>, assignable: bool) -> Group {
    Group {
        id: id.into(),
        display_name: name.into(),
        description: None,
        mail: None,
        mail_enabled: false,
        security_enabled: true,
        group_types: vec![],
        visibility: None,
        created_date_time: "2024-01-01T00:00:00Z".into(),
        members,
        deleted_date_time: None,
        is_assignable_to_role: assignable,
    }
}

async fn start(mode: LimitedInformation) -> (Emulator, Vec<String>) {
    let mut tenant = generate(GeneratorConfig {
        users: 6,
        groups: 0,
        seed: 7,
    });
    let upns: Vec<String> = tenant
        .users
        .iter()
        .map(|u| u.user_principal_name.clone())
        .collect();
    let id = |i: usize| tenant.users[i].id.clone();
    let (via_group, eligible) = (id(VIA_GROUP), id(ELIGIBLE));
    tenant.groups.extend([
        group(ROLE_GROUP, "Helpdesk admins", vec![via_group.clone()], true),
        group(INNER, "Inner", vec![via_group], false),
        group(OUTER, "Outer", vec![INNER.into()], false),
    ]);
    tenant.role_assignments.extend([
        RoleAssignment {
            role_template_id: roles::USER_ADMINISTRATOR.into(),
            members: vec![ROLE_GROUP.into()],
            eligible: vec![],
        },
        RoleAssignment {
            role_template_id: roles::PRIVILEGED_ROLE_ADMINISTRATOR.into(),
            members: vec![],
            eligible: vec![eligible],
        },
    ]);
    let mut config = EmulatorConfig::new(tenant);
    config.limited_information = mode;
    (Emulator::start(config).await.expect("start"), upns)
}

struct Case {
    name: &'static str,
    user: usize,
    path: &'static str,
    scopes: &'static [&'static str],
    mode: LimitedInformation,
    status: u16,
    /// The directory roles listed, by `roleTemplateId` ("null" when Graph left it out).
    roles: &'static [&'static str],
    /// The groups listed (by ID) and whether their displayName was readable.
    groups: &'static [(&'static str, bool)],
}

const README: &[&str] = &["User.Read", "User.Read.All", "GroupMember.Read.All"];
const ROLES: &[&str] = &["User.Read", "RoleManagement.Read.Directory"];
const STRICT: LimitedInformation = LimitedInformation::Strict;
const GA: &str = roles::GLOBAL_ADMINISTRATOR;
const UA: &str = roles::USER_ADMINISTRATOR;

fn cases() -> Vec<Case> {
    let case = |name, user, path, scopes, status, roles, groups| Case {
        name,
        user,
        path,
        scopes,
        mode: STRICT,
        status,
        roles,
        groups,
    };
    vec![
        case(
            "memberOf, User.Read.All only: 403",
            ADMIN,
            "/v1.0/me/memberOf",
            &["User.Read.All"],
            403,
            &[],
            &[],
        ),
        case(
            "transitiveMemberOf, User.Read.All only: allowed",
            ADMIN,
            "/v1.0/me/transitiveMemberOf",
            &["User.Read.All"],
            200,
            &["null"],
            &[],
        ),
        case(
            "organization, User.Read.All only: 403",
            ADMIN,
            "/v1.0/organization",
            &["User.Read.All"],
            403,
            &[],
            &[],
        ),
        case(
            "organization, User.Read",
            ADMIN,
            "/v1.0/organization",
            &["User.Read"],
            200,
            &[],
            &[],
        ),
        case(
            "memberOf, README's permissions: role with limited information",
            ADMIN,
            "/v1.0/me/memberOf",
            README,
            200,
            &["null"],
            &[],
        ),
        case(
            "memberOf, RoleManagement.Read.Directory: role in full",
            ADMIN,
            "/v1.0/me/memberOf",
            ROLES,
            200,
            &[GA],
            &[],
        ),
        case(
            "memberOf, Directory.Read.All: role in full",
            ADMIN,
            "/v1.0/me/memberOf",
            &["Directory.Read.All"],
            200,
            &[GA],
            &[],
        ),
        case(
            "memberOf: a role held through a group is not listed, the group is",
            VIA_GROUP,
            "/v1.0/me/memberOf",
            ROLES,
            200,
            &[],
            &[(ROLE_GROUP, false), (INNER, false)],
        ),
        case(
            "transitiveMemberOf: the group's role and the nested group",
            VIA_GROUP,
            "/v1.0/me/transitiveMemberOf",
            ROLES,
            200,
            &[UA],
            &[(ROLE_GROUP, false), (INNER, false), (OUTER, false)],
        ),
        case(
            "transitiveMemberOf, README's permissions: groups readable, role limited",
            VIA_GROUP,
            "/v1.0/me/transitiveMemberOf",
            README,
            200,
            &["null"],
            &[(ROLE_GROUP, true), (INNER, true), (OUTER, true)],
        ),
        case(
            "PIM-eligible, not activated: not in memberOf",
            ELIGIBLE,
            "/v1.0/me/memberOf",
            ROLES,
            200,
            &[],
            &[],
        ),
        case(
            "PIM-eligible, not activated: not in transitiveMemberOf",
            ELIGIBLE,
            "/v1.0/me/transitiveMemberOf",
            ROLES,
            200,
            &[],
            &[],
        ),
        Case {
            mode: LimitedInformation::KeepRoleTemplateId,
            ..case(
                "field-report variant: roleTemplateId survives",
                ADMIN,
                "/v1.0/me/memberOf",
                README,
                200,
                &[GA],
                &[],
            )
        },
        Case {
            mode: LimitedInformation::Lenient,
            ..case(
                "lenient mode: everything in full",
                VIA_GROUP,
                "/v1.0/me/transitiveMemberOf",
                &["User.Read"],
                200,
                &[UA],
                &[(ROLE_GROUP, true), (INNER, true), (OUTER, true)],
            )
        },
    ]
}

#[tokio::test]
async fn memberships_and_organization_as_documented() {
    let http = reqwest::Client::new();
    let mut failures = Vec::new();
    for mode in [
        STRICT,
        LimitedInformation::KeepRoleTemplateId,
        LimitedInformation::Lenient,
    ] {
        let (emulator, upns) = start(mode).await;
        for case in cases().into_iter().filter(|c| c.mode == mode) {
            let token = emulator
                .mint_access_token(&upns[case.user], case.scopes, 3600)
                .expect("token");
            let response = http
                .get(format!("{}{}", emulator.base_url(), case.path))
                .bearer_auth(token)
                .send()
                .await
                .expect("send");
            let status = response.status().as_u16();
            let body: Value = response.json().await.expect("json");
            let items = body["value"].as_array().cloned().unwrap_or_default();
            let mut roles: Vec<String> = items
                .iter()
                .filter(|v| v["@odata.type"] == "#microsoft.graph.directoryRole")
                .map(|v| v["roleTemplateId"].as_str().unwrap_or("null").to_owned())
                .collect();
            roles.sort();
            let mut groups: Vec<(String, bool)> = items
                .iter()
                .filter(|v| v["@odata.type"] == "#microsoft.graph.group")
                .map(|v| {
                    (
                        v["id"].as_str().unwrap_or("").to_owned(),
                        v["displayName"].is_string(),
                    )
                })
                .collect();
            groups.sort();
            let want_roles: Vec<String> = case.roles.iter().map(|s| (*s).to_owned()).collect();
            let mut want_groups: Vec<(String, bool)> = case
                .groups
                .iter()
                .map(|(g, f)| ((*g).to_owned(), *f))
                .collect();
            want_groups.sort();
            let organization = case.path == "/v1.0/organization";
            if status != case.status
                || (!organization
                    && status == 200
                    && (roles != want_roles || groups != want_groups))
            {
                failures.push(format!(
                    "{}: got {status} roles {roles:?} groups {groups:?}: {body}",
                    case.name
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

/// Strict limited information nulls every property but `id` and `@odata.type`.
#[tokio::test]
async fn a_role_the_token_may_not_read_has_only_id_and_type() {
    let (emulator, upns) = start(STRICT).await;
    let token = emulator
        .mint_access_token(&upns[ADMIN], README, 3600)
        .expect("token");
    let body: Value = reqwest::Client::new()
        .get(format!("{}/v1.0/me/memberOf", emulator.base_url()))
        .bearer_auth(token)
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("json");
    let role = &body["value"][0];
    assert_eq!(
        role["@odata.type"], "#microsoft.graph.directoryRole",
        "{body}"
    );
    assert!(role["id"].is_string(), "{body}");
    for key in [
        "displayName",
        "description",
        "roleTemplateId",
        "deletedDateTime",
    ] {
        assert!(role[key].is_null(), "{key} in {body}");
    }
}
