//! Organizations end to end: emulator over HTTP, a real SQLite file, the real Secret Service.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use aadsync_directory::auth::admin::AdminPolicy;
use aadsync_directory::auth::signin::{Interactive, SignedIn};
use aadsync_emulator::browser::{Browser, Person};
use aadsync_emulator::{Emulator, demo};
use aadsync_keystore::{TokenKey, TokenStore};
use aadsync_store::{OpenOptions, Store};
use aadsync_sync::orgs::{self, CloudChoice, NewOrganizationInput, OrgError, Prepared};
use aadsync_testenv::{KeyringMode, in_session};
use std::sync::Arc;
use std::time::Duration;

async fn sign_in(prepared: &Prepared, person: Person<'_>) -> Result<SignedIn, OrgError> {
    let interactive = Interactive::prepare(&prepared.target, None).await?;
    let url = interactive.authorize_url().to_owned();
    let waiting = tokio::spawn(interactive.finish(
        AdminPolicy::default(),
        Duration::from_secs(60),
        std::future::pending(),
    ));
    let browser = Browser::new().expect("browser");
    let redirect = browser.sign_in(&url, &person).await.expect("pages");
    browser.deliver(&redirect).await.expect("deliver");
    Ok(waiting.await.expect("join")?)
}

fn custom(emulator: &Emulator, tenant: &str) -> NewOrganizationInput {
    NewOrganizationInput {
        tenant: tenant.into(),
        client_id: demo::CLIENT_ID.to_uppercase(),
        cloud: CloudChoice::Custom {
            authority_host: emulator.base_url().into(),
            graph_root: String::new(),
        },
    }
}

#[test]
fn the_new_form_is_validated_before_any_network_call() {
    let input = |tenant: &str, client: &str, authority: &str| NewOrganizationInput {
        tenant: tenant.into(),
        client_id: client.into(),
        cloud: CloudChoice::Custom {
            authority_host: authority.into(),
            graph_root: String::new(),
        },
    };
    let ok = "http://127.0.0.1:1";
    assert!(matches!(
        orgs::prepare_new(&input("contoso", demo::CLIENT_ID, ok)),
        Err(OrgError::Tenant(_))
    ));
    assert!(matches!(
        orgs::prepare_new(&input("contoso.com", "aadsync", ok)),
        Err(OrgError::ClientId(_))
    ));
    assert!(matches!(
        orgs::prepare_new(&input(
            "contoso.com",
            demo::CLIENT_ID,
            "http://login.example.com"
        )),
        Err(OrgError::Authority(_))
    ));
    let global = orgs::prepare_new(&NewOrganizationInput {
        tenant: "Contoso.com".into(),
        client_id: demo::CLIENT_ID.into(),
        cloud: CloudChoice::China,
    })
    .expect("china");
    assert_eq!(
        global.target.endpoints.authority.as_str(),
        "https://login.chinacloudapi.cn/contoso.com"
    );
}

/// Every cloud of the New… form at Microsoft Learn's endpoints ("Microsoft Graph national cloud
/// deployments"), stored and read back as the same choice; an organization saved as "US
/// Government" by an earlier version (its stored Graph URL `graph.microsoft.us/`) is GCC High.
#[test]
fn clouds_have_their_documented_endpoints_and_survive_the_database() {
    let dir = tempfile::tempdir().expect("dir");
    let store = Store::open(&dir.path().join("db.sqlite3"), &OpenOptions::default()).expect("db");
    let cases = [
        (
            CloudChoice::Global,
            "https://login.microsoftonline.com/",
            "https://graph.microsoft.com/",
            CloudChoice::Global,
        ),
        (
            CloudChoice::Gcc,
            "https://login.microsoftonline.com/",
            "https://graph.microsoft.com/",
            CloudChoice::Global,
        ),
        (
            CloudChoice::GccHigh,
            "https://login.microsoftonline.us/",
            "https://graph.microsoft.us/",
            CloudChoice::GccHigh,
        ),
        (
            CloudChoice::Dod,
            "https://login.microsoftonline.us/",
            "https://dod-graph.microsoft.us/",
            CloudChoice::Dod,
        ),
        (
            CloudChoice::China,
            "https://login.chinacloudapi.cn/",
            "https://microsoftgraph.chinacloudapi.cn/",
            CloudChoice::China,
        ),
    ];
    for (i, (choice, authority, graph, stored_as)) in cases.into_iter().enumerate() {
        let prepared = orgs::prepare_new(&NewOrganizationInput {
            tenant: "contoso.com".into(),
            client_id: demo::CLIENT_ID.into(),
            cloud: choice.clone(),
        })
        .expect("prepare");
        let endpoints = &prepared.target.endpoints;
        assert_eq!(
            (endpoints.authority.as_str(), endpoints.graph_root.as_str()),
            (format!("{authority}contoso.com").as_str(), graph),
            "{choice:?}"
        );
        let id = store
            .writer()
            .save_organization(&aadsync_store::NewOrganization {
                tenant_id: format!("3f1c2e2a-5d0b-4a4f-9f3e-2b8c6a7d9e1{i}"),
                display_name: "Contoso".into(),
                primary_domain: "contoso.com".into(),
                cloud: prepared.cloud,
                authority_url: endpoints.authority.origin().ascii_serialization(),
                graph_url: graph.into(),
                client_id: demo::CLIENT_ID.into(),
                admin_upn: "admin@contoso.com".into(),
                admin_object_id: "7f0e0f8e-0000-4000-8000-000000000001".into(),
                demo: false,
            })
            .expect("save");
        let org = store.reader().organization(id).expect("read");
        assert_eq!(aadsync_sync::stored_cloud(&org), stored_as, "{choice:?}");
        let again = orgs::prepare_existing(&org).expect("existing");
        assert_eq!(
            again.target.endpoints.graph_root.as_str(),
            graph,
            "{choice:?} signs in again where it was saved"
        );
    }
}

#[tokio::test]
async fn sign_in_saves_resumes_silently_and_removal_deletes_the_token() {
    if !in_session(
        "sign_in_saves_resumes_silently_and_removal_deletes_the_token",
        KeyringMode::Unlocked,
    ) {
        return;
    }
    let emulator = Emulator::start_demo().await.expect("emulator");
    let dir = tempfile::tempdir().expect("dir");
    let store =
        Arc::new(Store::open(&dir.path().join("db.sqlite3"), &OpenOptions::default()).expect("db"));
    let tokens = TokenStore::platform();

    // A non-administrator: refused, and nothing is stored anywhere.
    let prepared = orgs::prepare_new(&custom(&emulator, "contoso.com")).expect("prepare");
    let alex = Person {
        upn: "alex.wilber@contoso.com",
        password: demo::USER_PASSWORD,
        totp_secret: demo::USER_TOTP_SECRET,
        now: emulator.clock().now(),
    };
    let refused = sign_in(&prepared, alex).await.expect_err("not an admin");
    assert!(
        refused.to_string().contains("alex.wilber@contoso.com"),
        "{refused}"
    );
    assert!(store.reader().organizations().expect("list").is_empty());
    let alex_id = aadsync_emulator::demo_tenant()
        .expect("tenant")
        .users
        .into_iter()
        .find(|u| u.user_principal_name == "alex.wilber@contoso.com")
        .expect("alex")
        .id;
    assert_eq!(
        tokens
            .load(&TokenKey::new(&emulator.tenant_id(), &alex_id))
            .expect("load"),
        None,
        "nothing of the refused account in the keyring"
    );

    // The administrator: saved, token in the keyring.
    let signed_in = sign_in(&prepared, Person::demo_admin(emulator.clock().now()))
        .await
        .expect("admin");
    let admin_id = signed_in.account.object_id.clone();
    let connected = orgs::save(&store, &tokens, &prepared, signed_in)
        .await
        .expect("save");
    let org = connected.organization.clone();
    assert_eq!(
        (
            org.display_name.as_str(),
            org.primary_domain.as_str(),
            org.admin_upn.as_deref()
        ),
        ("Contoso", "contoso.com", Some("admin@contoso.com"))
    );
    assert_eq!(org.authority_url, emulator.base_url());
    let key = TokenKey::new(&org.tenant_id, &admin_id);
    assert!(tokens.load(&key).expect("load").is_some());

    // Silent sign-in from what was stored (as after a restart).
    let again = orgs::connect(&org, &tokens, &AdminPolicy::default())
        .await
        .expect("silent");
    assert_eq!(again.account.roles, ["Global Administrator"]);
    assert!(again.session.access_token().await.is_ok());
    // The README's registration has no Group.Read.All: a silent sign-in says so too, from what
    // the renewal was granted, as the interactive one does.
    assert!(
        again
            .missing_features
            .iter()
            .any(|line| line.contains("Group.Read.All")),
        "{:?}",
        again.missing_features
    );
    assert!(
        !again
            .missing_features
            .iter()
            .any(|l| l.contains("User.Read.All")),
        "{:?}",
        again.missing_features
    );

    // Revoked → "sign in again", not a crash, and the organization stays.
    emulator
        .revoke_refresh_tokens("admin@contoso.com")
        .expect("revoke");
    let err = orgs::connect(&org, &tokens, &AdminPolicy::default())
        .await
        .expect_err("revoked");
    assert!(err.needs_sign_in(), "{err:?}");
    assert_eq!(store.reader().organizations().expect("list").len(), 1);

    // Removal deletes the keyring entry.
    orgs::remove(&store, &tokens, org.id).await.expect("remove");
    assert!(store.reader().organizations().expect("list").is_empty());
    assert_eq!(tokens.load(&key).expect("load"), None);
    let err = orgs::connect(&org, &tokens, &AdminPolicy::default())
        .await
        .expect_err("gone");
    assert!(matches!(err, OrgError::NoSavedSignIn(_)), "{err:?}");
}

#[tokio::test]
async fn the_offline_demo_runs_in_process_and_resumes() {
    if !in_session(
        "the_offline_demo_runs_in_process_and_resumes",
        KeyringMode::Unlocked,
    ) {
        return;
    }
    let dir = tempfile::tempdir().expect("dir");
    let store =
        Arc::new(Store::open(&dir.path().join("db.sqlite3"), &OpenOptions::default()).expect("db"));
    let tokens = TokenStore::platform();
    let prepared = orgs::prepare_new(&NewOrganizationInput {
        tenant: String::new(),
        client_id: String::new(),
        cloud: CloudChoice::Demo,
    })
    .expect("demo");
    assert!(prepared.demo);
    // The demo login page helps a newcomer: it shows the credentials and the current code.
    let interactive = Interactive::prepare(&prepared.target, None)
        .await
        .expect("prepare");
    let page = Browser::new()
        .expect("browser")
        .open(interactive.authorize_url())
        .await
        .expect("login page");
    assert!(page.html.contains("admin@contoso.com"), "{}", page.html);
    drop(interactive);

    let signed_in = sign_in(
        &prepared,
        Person::demo_admin(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .expect("time")
                .as_secs() as i64,
        ),
    )
    .await
    .expect("demo admin");
    let connected = orgs::save(&store, &tokens, &prepared, signed_in)
        .await
        .expect("save");
    assert!(connected.organization.demo);
    let resumed = orgs::connect(&connected.organization, &tokens, &AdminPolicy::default())
        .await
        .expect("resume");
    assert_eq!(resumed.account.upn, "admin@contoso.com");
    orgs::remove(&store, &tokens, connected.organization.id)
        .await
        .expect("remove");
}

#[tokio::test]
async fn without_a_keyring_nothing_is_stored_and_the_error_says_why() {
    if !in_session(
        "without_a_keyring_nothing_is_stored_and_the_error_says_why",
        KeyringMode::Absent,
    ) {
        return;
    }
    let emulator = Emulator::start_demo().await.expect("emulator");
    let dir = tempfile::tempdir().expect("dir");
    let store =
        Arc::new(Store::open(&dir.path().join("db.sqlite3"), &OpenOptions::default()).expect("db"));
    let prepared = orgs::prepare_new(&custom(&emulator, "contoso.com")).expect("prepare");
    let signed_in = sign_in(&prepared, Person::demo_admin(emulator.clock().now()))
        .await
        .expect("admin");
    let err = orgs::save(&store, &TokenStore::platform(), &prepared, signed_in)
        .await
        .expect_err("no keyring");
    assert!(
        err.to_string().contains("No keyring service is running"),
        "{err}"
    );
    assert!(store.reader().organizations().expect("list").is_empty());
}

/// The keyring is written first; when the database then refuses the organization (here: locked
/// by another program), the token just saved is taken out of the keyring again.
#[tokio::test]
async fn a_failed_database_save_takes_the_token_out_of_the_keyring_again() {
    if !in_session(
        "a_failed_database_save_takes_the_token_out_of_the_keyring_again",
        KeyringMode::Unlocked,
    ) {
        return;
    }
    let emulator = Emulator::start_demo().await.expect("emulator");
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("db.sqlite3");
    let store = Arc::new(
        Store::open(
            &path,
            &OpenOptions {
                busy_timeout: Duration::from_millis(200),
            },
        )
        .expect("db"),
    );
    let tokens = TokenStore::platform();
    let prepared = orgs::prepare_new(&custom(&emulator, "contoso.com")).expect("prepare");
    let signed_in = sign_in(&prepared, Person::demo_admin(emulator.clock().now()))
        .await
        .expect("admin");
    let key = TokenKey::new(&emulator.tenant_id(), &signed_in.account.object_id);

    let other = rusqlite::Connection::open(&path).expect("other program");
    other.execute_batch("BEGIN IMMEDIATE").expect("lock");
    let err = orgs::save(&store, &tokens, &prepared, signed_in)
        .await
        .expect_err("the database is locked");
    assert!(
        err.to_string().contains("is locked by another program"),
        "{err}"
    );
    other.execute_batch("ROLLBACK").expect("unlock");
    assert_eq!(
        tokens.load(&key).expect("load"),
        None,
        "the token is gone again"
    );
    assert!(store.reader().organizations().expect("list").is_empty());
}

/// Issue 14, item 3: a second authority that claims a stored tenant's GUID (here a second
/// emulator with the same tenant and the same administrator) re-points nothing: the sign-in is
/// refused before its refresh token is written, and the stored organization, its saved sign-in
/// and a later sign-in through the stored authority are as they were.
#[tokio::test]
async fn another_authority_claiming_a_stored_tenant_is_refused_and_changes_nothing() {
    if !in_session(
        "another_authority_claiming_a_stored_tenant_is_refused_and_changes_nothing",
        KeyringMode::Unlocked,
    ) {
        return;
    }
    let genuine = Emulator::start_demo().await.expect("emulator");
    let impostor = Emulator::start_demo().await.expect("second emulator");
    assert_eq!(genuine.tenant_id(), impostor.tenant_id());
    let dir = tempfile::tempdir().expect("dir");
    let store =
        Arc::new(Store::open(&dir.path().join("db.sqlite3"), &OpenOptions::default()).expect("db"));
    let tokens = TokenStore::platform();

    let prepared = orgs::prepare_new(&custom(&genuine, "contoso.com")).expect("prepare");
    let signed_in = sign_in(&prepared, Person::demo_admin(genuine.clock().now()))
        .await
        .expect("admin");
    let admin_id = signed_in.account.object_id.clone();
    let key = TokenKey::new(&genuine.tenant_id(), &admin_id);
    let stored = orgs::save(&store, &tokens, &prepared, signed_in)
        .await
        .expect("save")
        .organization;
    let token = tokens.load(&key).expect("load").expect("token saved");

    let elsewhere = orgs::prepare_new(&custom(&impostor, &impostor.tenant_id())).expect("prepare");
    let claimed = sign_in(&elsewhere, Person::demo_admin(impostor.clock().now()))
        .await
        .expect("the impostor's own sign-in succeeds");
    assert_eq!(
        claimed.account.object_id, admin_id,
        "the impostor claims the same administrator too"
    );
    let refused = orgs::save(&store, &tokens, &elsewhere, claimed)
        .await
        .expect_err("another authority");
    assert!(
        matches!(
            refused,
            OrgError::Store(aadsync_store::StoreError::AnotherAuthority { .. })
        ),
        "{refused:?}"
    );
    let message = refused.to_string();
    assert!(
        message.contains(genuine.base_url()) && message.contains(impostor.base_url()),
        "names both authorities: {message}"
    );
    assert_eq!(
        store.reader().organizations().expect("list"),
        vec![stored.clone()],
        "the stored organization is unchanged"
    );
    assert_eq!(
        tokens.load(&key).expect("load"),
        Some(token),
        "the administrator's saved sign-in is untouched"
    );

    // Signing in again through the stored authority still works.
    let again = sign_in(&prepared, Person::demo_admin(genuine.clock().now()))
        .await
        .expect("admin again");
    let resaved = orgs::save(&store, &tokens, &prepared, again)
        .await
        .expect("same authority");
    assert_eq!(resaved.organization.id, stored.id);
    tokens.delete(&key).expect("clean up");
}
