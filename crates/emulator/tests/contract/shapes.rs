//! Every property of a user and a group as Graph serializes it: the emulator builds its JSON
//! from the tenant's records per request, so this pins each property's name, type and null.

use crate::support::{ALL_SCOPES, Env};
use aadsync_emulator::model::{Group, User};
use aadsync_emulator::{Emulator, EmulatorConfig, GeneratorConfig, generate};
use serde_json::{Value, json};

fn user(id: &str, upn: &str) -> User {
    User {
        id: id.into(),
        user_principal_name: upn.into(),
        display_name: "Adele Vance".into(),
        given_name: None,
        surname: None,
        mail: None,
        job_title: None,
        department: None,
        office_location: None,
        mobile_phone: None,
        business_phones: Vec::new(),
        preferred_language: None,
        user_type: "Member".into(),
        account_enabled: true,
        created_date_time: "2024-03-01T09:00:00Z".into(),
        on_premises_sync_enabled: None,
        password: Some("not shown".into()),
        totp_secret: None,
        deleted_date_time: None,
    }
}

fn group(id: &str, group_types: &[&str], mail: Option<&str>) -> Group {
    Group {
        id: id.into(),
        display_name: format!("group {id}"),
        description: None,
        mail: mail.map(str::to_owned),
        mail_enabled: mail.is_some(),
        security_enabled: group_types.is_empty(),
        group_types: group_types.iter().map(|t| (*t).to_owned()).collect(),
        visibility: None,
        created_date_time: "2024-03-02T09:00:00Z".into(),
        members: Vec::new(),
        deleted_date_time: None,
        is_assignable_to_role: false,
    }
}

const BARE: &str = "10000000-0000-4000-8000-000000000001";
const FULL: &str = "10000000-0000-4000-8000-000000000002";
const SECURITY: &str = "20000000-0000-4000-8000-000000000001";
const UNIFIED: &str = "20000000-0000-4000-8000-000000000002";
const PRIVATE: &str = "20000000-0000-4000-8000-000000000003";

async fn env() -> Env {
    let mut tenant = generate(GeneratorConfig {
        users: 3,
        groups: 1,
        seed: 42,
    });
    let domain = tenant.domains[0].clone();
    let admin = tenant.users[0].user_principal_name.clone();
    tenant.users.push(user(BARE, &format!("bare@{domain}")));
    tenant.users.push(User {
        given_name: Some("Adele".into()),
        surname: Some("Vance".into()),
        mail: Some(format!("AdeleV@{domain}")),
        job_title: Some("Retail Manager".into()),
        department: Some("Retail".into()),
        office_location: Some("18/2111".into()),
        mobile_phone: Some("+1 425 555 0109".into()),
        business_phones: vec!["+1 425 555 0100".into()],
        preferred_language: Some("en-US".into()),
        user_type: "Guest".into(),
        account_enabled: false,
        on_premises_sync_enabled: Some(true),
        ..user(FULL, &format!("AdeleV@{domain}"))
    });
    tenant.groups.push(group(SECURITY, &[], None));
    tenant.groups.push(group(
        UNIFIED,
        &["Unified"],
        Some(&format!("sales@{domain}")),
    ));
    tenant.groups.push(Group {
        visibility: Some("Private".into()),
        description: Some("Leadership".into()),
        ..group(PRIVATE, &["Unified"], Some(&format!("leads@{domain}")))
    });
    let emulator = Emulator::start(EmulatorConfig::new(tenant))
        .await
        .expect("start");
    Env {
        emulator,
        http: reqwest::Client::new(),
        admin,
    }
}

/// `GET /{collection}/{id}` with `$select` of every property `want` names (the whole
/// resource, as the expectations below list it).
async fn select_all(env: &Env, collection: &str, id: &str, want: &Value) -> Value {
    let token = env.token(ALL_SCOPES);
    let props: Vec<&str> = want
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    let path = format!("/v1.0/{collection}/{id}?$select={}", props.join(","));
    let (status, _, mut body, text) = env.get(&path, Some(&token), &[]).await;
    assert_eq!(status, 200, "{path}: {text}");
    body.as_object_mut()
        .expect("object")
        .remove("@odata.context");
    body
}

/// The user resource: an unset string is null, an empty `businessPhones` an empty array, and
/// the emulator's own sign-in fields never appear.
#[tokio::test]
async fn every_user_property_reads_as_graph_serializes_it() {
    let env = env().await;
    let domain = env.admin.split('@').nth(1).expect("domain").to_owned();
    let want = json!({
        "id": BARE, "userPrincipalName": format!("bare@{domain}"),
        "displayName": "Adele Vance", "givenName": null, "surname": null, "mail": null,
        "jobTitle": null, "department": null, "officeLocation": null, "mobilePhone": null,
        "businessPhones": [], "preferredLanguage": null, "userType": "Member",
        "accountEnabled": true, "createdDateTime": "2024-03-01T09:00:00Z",
        "onPremisesSyncEnabled": null, "deletedDateTime": null,
    });
    assert_eq!(select_all(&env, "users", BARE, &want).await, want);
    let want = json!({
        "id": FULL, "userPrincipalName": format!("AdeleV@{domain}"),
        "displayName": "Adele Vance", "givenName": "Adele", "surname": "Vance",
        "mail": format!("AdeleV@{domain}"), "jobTitle": "Retail Manager",
        "department": "Retail", "officeLocation": "18/2111",
        "mobilePhone": "+1 425 555 0109", "businessPhones": ["+1 425 555 0100"],
        "preferredLanguage": "en-US", "userType": "Guest", "accountEnabled": false,
        "createdDateTime": "2024-03-01T09:00:00Z", "onPremisesSyncEnabled": true,
        "deletedDateTime": null,
    });
    assert_eq!(select_all(&env, "users", FULL, &want).await, want);
    // The user principal name finds the same record, whatever its case.
    let token = env.token(ALL_SCOPES);
    let path = format!("/v1.0/users/adelev@{}?$select=id", domain.to_uppercase());
    let (status, _, body, text) = env.get(&path, Some(&token), &[]).await;
    assert_eq!((status, &body["id"]), (200, &json!(FULL)), "{text}");
}

/// The group resource: `visibility` is `Public` for a Microsoft 365 group that does not set
/// it and null for a security group; `mailNickname` is the mail's local part; the properties
/// the emulator never sets are null.
#[tokio::test]
async fn every_group_property_reads_as_graph_serializes_it() {
    let env = env().await;
    let expect = |id: &str, types: Value, mail: Value, nickname: &str, visibility: Value| {
        let security = types.as_array().is_some_and(Vec::is_empty);
        json!({
            "id": id, "displayName": format!("group {id}"), "description": null,
            "mail": mail, "mailEnabled": !mail.is_null(),
            "mailNickname": if nickname.is_empty() { Value::Null } else { json!(nickname) },
            "securityEnabled": security, "groupTypes": types,
            "createdDateTime": "2024-03-02T09:00:00Z", "deletedDateTime": null,
            "classification": null, "visibility": visibility, "membershipRule": null,
        })
    };
    let domain = env.admin.split('@').nth(1).expect("domain").to_owned();
    let want = expect(SECURITY, json!([]), Value::Null, "", Value::Null);
    let mut security = select_all(&env, "groups", SECURITY, &want).await;
    // Required on every group; for one without mail the value is the emulator's own.
    let nickname = security["mailNickname"].take();
    assert!(
        nickname.as_str().is_some_and(|n| !n.is_empty()),
        "{nickname}"
    );
    assert_eq!(security, want);
    let mail = json!(format!("sales@{domain}"));
    let want = expect(UNIFIED, json!(["Unified"]), mail, "sales", json!("Public"));
    assert_eq!(select_all(&env, "groups", UNIFIED, &want).await, want);
    let mut want = expect(
        PRIVATE,
        json!(["Unified"]),
        json!(format!("leads@{domain}")),
        "leads",
        json!("Private"),
    );
    want["description"] = json!("Leadership");
    assert_eq!(select_all(&env, "groups", PRIVATE, &want).await, want);
}
