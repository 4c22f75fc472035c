//! The administrator check of whole sign-ins against the strict emulator, one case per
//! account × app registration: `wids` when the registration's groups claim puts them in the ID
//! token, else `me/transitiveMemberOf` (roles through role-assignable groups included); a role
//! listed with limited information is "cannot tell" with the fix; a PIM-eligible role that is
//! not active is refused with the advice to activate it; a registration without User.Read is
//! named.

use aadsync_directory::auth::admin::{AdminError, AdminPolicy};
use aadsync_directory::auth::signin::{Interactive, SignInError};
use aadsync_directory::{ClientId, Cloud, Target, TenantRef};
use aadsync_emulator::browser::{Browser, Person};
use aadsync_emulator::model::{Application, Group, RoleAssignment, User, roles};
use aadsync_emulator::{Emulator, EmulatorConfig, demo};
use std::time::Duration;

const ROLE_READER_APP: &str = "5b1e9f0c-2d3a-4b5c-8d6e-7f8091a2b3c4";
const NO_USER_READ_APP: &str = "5b1e9f0c-2d3a-4b5c-8d6e-7f8091a2b3c5";
const ROLE_GROUP: &str = "5b1e9f0c-2d3a-4b5c-8d6e-7f8091a2b3d1";
const VIA_GROUP: &str = "helpdesk.lead@contoso.com";
const ELIGIBLE: &str = "eligible.admin@contoso.com";

/// A user with the demo regular user's password and second factor.
fn person_like_alex(alex: &User, id: &str, upn: &str) -> User {
    User {
        id: id.into(),
        user_principal_name: upn.into(),
        mail: Some(upn.into()),
        ..alex.clone()
    }
}

async fn tenant() -> Emulator {
    let mut tenant = aadsync_emulator::demo_tenant().expect("demo");
    let alex = tenant
        .users
        .iter()
        .find(|u| u.user_principal_name.starts_with(demo::USER_LOCAL_PART))
        .expect("alex")
        .clone();
    let via = person_like_alex(&alex, "5b1e9f0c-2d3a-4b5c-8d6e-7f8091a2b3e1", VIA_GROUP);
    let eligible = person_like_alex(&alex, "5b1e9f0c-2d3a-4b5c-8d6e-7f8091a2b3e2", ELIGIBLE);
    tenant.groups.push(Group {
        id: ROLE_GROUP.into(),
        display_name: "User admins (role-assignable)".into(),
        description: None,
        mail: None,
        mail_enabled: false,
        security_enabled: true,
        group_types: vec![],
        visibility: None,
        created_date_time: "2024-01-01T00:00:00Z".into(),
        members: vec![via.id.clone()],
        deleted_date_time: None,
        is_assignable_to_role: true,
    });
    tenant.role_assignments.push(RoleAssignment {
        role_template_id: roles::USER_ADMINISTRATOR.into(),
        members: vec![ROLE_GROUP.into()],
        eligible: vec![],
    });
    tenant.role_assignments.push(RoleAssignment {
        role_template_id: roles::GLOBAL_ADMINISTRATOR.into(),
        members: vec![],
        eligible: vec![eligible.id.clone()],
    });
    tenant.users.extend([via, eligible]);
    let readme = demo::application();
    tenant.applications.push(Application {
        client_id: ROLE_READER_APP.into(),
        wids_in_tokens: false,
        granted_scopes: [demo::GRANTED_SCOPES, &["RoleManagement.Read.Directory"]]
            .concat()
            .iter()
            .map(|s| (*s).to_owned())
            .collect(),
        ..readme.clone()
    });
    tenant.applications.push(Application {
        client_id: NO_USER_READ_APP.into(),
        granted_scopes: vec!["User.Read.All".into(), "GroupMember.Read.All".into()],
        ..readme
    });
    Emulator::start(EmulatorConfig::new(tenant))
        .await
        .expect("emulator")
}

/// The outcome, in a word: the accepted roles, or the kind of refusal.
async fn sign_in(emulator: &Emulator, client: &str, upn: &str) -> String {
    let target = Target::new(
        TenantRef::parse("contoso.com").expect("tenant"),
        ClientId::parse(client).expect("client"),
        &Cloud::custom(emulator.base_url(), emulator.base_url()).expect("cloud"),
    )
    .expect("target");
    let (password, totp_secret) = if upn.starts_with(demo::ADMIN_LOCAL_PART) {
        (demo::ADMIN_PASSWORD, demo::ADMIN_TOTP_SECRET)
    } else {
        (demo::USER_PASSWORD, demo::USER_TOTP_SECRET)
    };
    let person = Person {
        upn,
        password,
        totp_secret,
        now: emulator.clock().now(),
    };
    let sign_in = Interactive::prepare(&target, None).await.expect("prepare");
    let url = sign_in.authorize_url().to_owned();
    let waiting = tokio::spawn(sign_in.finish(
        AdminPolicy::default(),
        Duration::from_secs(60),
        std::future::pending(),
    ));
    let browser = Browser::new().expect("browser");
    let redirect = browser.sign_in(&url, &person).await.expect("sign-in pages");
    browser.deliver(&redirect).await.expect("deliver");
    match waiting.await.expect("join") {
        Ok(signed_in) => signed_in.account.roles.join(","),
        Err(SignInError::NotAdmin(AdminError::NotAdmin { .. })) => "refused".into(),
        Err(SignInError::NotAdmin(AdminError::CannotTell { .. })) => "cannot tell".into(),
        Err(SignInError::Consent { missing, .. }) => format!("missing {missing}"),
        Err(other) => format!("error: {other}"),
    }
}

#[tokio::test]
async fn the_administrator_check_per_account_and_registration() {
    let emulator = tenant().await;
    let admin = "admin@contoso.com";
    let alex = "alex.wilber@contoso.com";
    let readme = demo::CLIENT_ID;
    let no_claim = demo::NO_ROLES_CLAIM_CLIENT_ID;
    let cases = [
        (
            admin,
            readme,
            "Global Administrator",
            "README's registration: wids",
        ),
        (
            admin,
            no_claim,
            "cannot tell",
            "no groups claim: roles with limited information",
        ),
        (
            admin,
            ROLE_READER_APP,
            "Global Administrator",
            "RoleManagement.Read.Directory: Graph",
        ),
        (
            VIA_GROUP,
            readme,
            "User Administrator",
            "role through a role-assignable group: wids",
        ),
        (
            VIA_GROUP,
            ROLE_READER_APP,
            "User Administrator",
            "role through a group: transitiveMemberOf",
        ),
        (
            ELIGIBLE,
            readme,
            "refused",
            "PIM-eligible, not active: not in wids",
        ),
        (
            ELIGIBLE,
            ROLE_READER_APP,
            "refused",
            "PIM-eligible, not active: not in Graph",
        ),
        (alex, readme, "refused", "no role"),
        (
            alex,
            no_claim,
            "refused",
            "no role, no wids: Graph lists none at all",
        ),
        (
            admin,
            NO_USER_READ_APP,
            "missing User.Read",
            "User.Read removed",
        ),
    ];
    let mut failures = Vec::new();
    for (upn, client, expected, name) in cases {
        let got = sign_in(&emulator, client, upn).await;
        if got != expected {
            failures.push(format!("{name}: expected {expected}, got {got}"));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

/// The refusal of a PIM-eligible administrator says to activate the role and sign in again.
#[tokio::test]
async fn a_pim_eligible_administrator_is_told_to_activate_the_role() {
    let emulator = tenant().await;
    let target = Target::new(
        TenantRef::parse("contoso.com").expect("tenant"),
        ClientId::parse(demo::CLIENT_ID).expect("client"),
        &Cloud::custom(emulator.base_url(), emulator.base_url()).expect("cloud"),
    )
    .expect("target");
    let sign_in = Interactive::prepare(&target, None).await.expect("prepare");
    let url = sign_in.authorize_url().to_owned();
    let waiting = tokio::spawn(sign_in.finish(
        AdminPolicy::default(),
        Duration::from_secs(60),
        std::future::pending(),
    ));
    let person = Person {
        upn: ELIGIBLE,
        password: demo::USER_PASSWORD,
        totp_secret: demo::USER_TOTP_SECRET,
        now: emulator.clock().now(),
    };
    let browser = Browser::new().expect("browser");
    let redirect = browser.sign_in(&url, &person).await.expect("pages");
    browser.deliver(&redirect).await.expect("deliver");
    let text = waiting
        .await
        .expect("join")
        .expect_err("refused")
        .to_string();
    assert!(
        text.contains("Privileged Identity Management")
            && text.contains("activate it")
            && text.contains("sign in again"),
        "{text}"
    );
}
