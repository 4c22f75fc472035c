//! Account-name conflicts resolved through the run as the app and the CLI drive it: the
//! preview lists them, the administrator's resolutions are written, and an incremental run
//! afterwards (which reads only Graph's changes, no resolution) keeps the link and the chosen
//! name. Every assertion reads the SQLite file.

use crate::{quiet, start};
use aadsync_directory::graph::retry::RetryPolicy;
use aadsync_keystore::SecretString;
use aadsync_store::{ConflictResolution, NewLocalUser, PasswordPolicy};
use aadsync_sync::clock::SystemClock;
use aadsync_sync::engine::{ReadMode, Selection};
use aadsync_sync::run;
use serde_json::json;
use std::sync::Arc;

fn local(account: &str) -> NewLocalUser {
    NewLocalUser {
        account_name: account.into(),
        full_name: "Local Person".into(),
        email: String::new(),
        phone: String::new(),
        department: String::new(),
        description: String::new(),
        enabled: true,
        password: SecretString::new("Correct-Horse-9"),
    }
}

/// (server id, auth type, account name, full name, Entra ID UPN) of the user imported as
/// `object_id`.
fn imported(env: &crate::Env, object_id: &str) -> (i64, String, String, String, String) {
    env.store
        .writer()
        .connection()
        .query_row(
            "SELECT u.id, u.auth_type, u.account_name, u.full_name, a.user_principal_name
             FROM azure_users a JOIN users u ON u.id = a.user_id WHERE a.object_id = ?1",
            [object_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .expect("imported user")
}

#[tokio::test]
async fn resolved_conflicts_are_written_and_kept_by_the_next_incremental_run() {
    let env = start().await;
    env.save_org();
    let graph = env.graph(RetryPolicy::new(4, 50));
    let listed = env
        .graph_json("/users?$top=2&$select=id,userPrincipalName")
        .await;
    let users: Vec<(String, String)> = listed["value"]
        .as_array()
        .expect("users")
        .iter()
        .map(|u| {
            (
                u["id"].as_str().expect("id").to_owned(),
                u["userPrincipalName"].as_str().expect("upn").to_owned(),
            )
        })
        .collect();
    let [(linked, linked_upn), (renamed, renamed_upn)] = &users[..] else {
        panic!("two users: {users:?}");
    };
    // Local users with both names, one in upper case: the match is case-insensitive.
    let mut w = env.store.writer();
    let local_id = w
        .create_local_user(
            &local(&linked_upn.to_uppercase()),
            &PasswordPolicy::default(),
        )
        .expect("local")
        .0;
    w.create_local_user(&local(renamed_upn), &PasswordPolicy::default())
        .expect("local");
    drop(w);

    let organization = env.store.reader().organizations().expect("orgs")[0].clone();
    let request = run::RunRequest {
        selection: Selection {
            users: vec![linked.clone(), renamed.clone()],
            ..Selection::default()
        },
        ..run::RunRequest::default()
    };
    let planned = run::plan_run(
        &graph,
        &env.store,
        env.run(),
        &organization,
        &request,
        &SystemClock,
        &quiet,
    )
    .await
    .expect("plan");
    let mut listed: Vec<(String, bool)> = planned
        .plan
        .conflicts
        .iter()
        .map(|c| (c.object_id.clone(), c.linkable))
        .collect();
    listed.sort();
    let mut expected = vec![(linked.clone(), true), (renamed.clone(), true)];
    expected.sort();
    assert_eq!(listed, expected, "the preview lists both conflicts");

    let decisions = run::Decisions {
        resolutions: [
            (
                linked.clone(),
                ConflictResolution::Link {
                    local_account: linked_upn.clone(),
                },
            ),
            (
                renamed.clone(),
                ConflictResolution::ImportAs {
                    account_name: "second.name@contoso.com".into(),
                },
            ),
        ]
        .into_iter()
        .collect(),
        ..run::Decisions::default()
    };
    let changes = planned.decide(&decisions).expect("decide");
    let (report, _) = run::apply(
        &env.store,
        &planned.run,
        Arc::new(changes),
        Arc::default(),
        Arc::new(quiet),
    )
    .await
    .expect("apply");
    assert_eq!(report.counts.failed, 0, "{:?}", report.items);
    let link_row = imported(&env, linked);
    assert_eq!(
        (link_row.0, link_row.1.as_str()),
        (local_id, "azure_ad"),
        "the local user's row, now an Azure AD user"
    );
    let renamed_row = imported(&env, renamed);
    assert_eq!(
        (renamed_row.2.as_str(), renamed_row.4.as_str()),
        ("second.name@contoso.com", renamed_upn.as_str())
    );

    // Entra ID renames both people; the next run reads only these changes.
    for id in [linked, renamed] {
        env.control(
            reqwest::Method::PATCH,
            &format!("users/{id}"),
            json!({"displayName": "Renamed In Entra"}),
        )
        .await;
    }
    let planned = run::plan_run(
        &graph,
        &env.store,
        env.run(),
        &organization,
        &run::RunRequest::default(),
        &SystemClock,
        &quiet,
    )
    .await
    .expect("plan again");
    assert!(
        matches!(planned.read, ReadMode::Incremental { .. }),
        "{:?}",
        planned.read
    );
    let changes = planned.decide(&run::Decisions::default()).expect("decide");
    let (report, _) = run::apply(
        &env.store,
        &planned.run,
        Arc::new(changes),
        Arc::default(),
        Arc::new(quiet),
    )
    .await
    .expect("apply again");
    assert_eq!(report.counts.failed, 0, "{:?}", report.items);
    assert_eq!(
        imported(&env, linked),
        (
            local_id,
            "azure_ad".into(),
            linked_upn.clone(),
            "Renamed In Entra".into(),
            linked_upn.clone()
        )
    );
    assert_eq!(
        imported(&env, renamed),
        (
            renamed_row.0,
            "azure_ad".into(),
            "second.name@contoso.com".into(),
            "Renamed In Entra".into(),
            renamed_upn.clone()
        )
    );
}

/// "Import as" a name that another new user of the same run has: the decided run would fail
/// one of the two (whichever comes later) although the preview showed neither failing for it,
/// so `unpreviewed` names that user (the wizard refuses such a Synchronize); a free name
/// changes nothing else.
#[tokio::test]
async fn an_import_as_name_another_user_of_the_run_has_is_named_before_writing() {
    let env = start().await;
    env.save_org();
    let graph = env.graph(RetryPolicy::new(4, 50));
    let listed = env
        .graph_json("/users?$top=2&$select=id,userPrincipalName,displayName")
        .await;
    let users: Vec<(String, String, String)> = listed["value"]
        .as_array()
        .expect("users")
        .iter()
        .map(|u| {
            let text = |k: &str| u[k].as_str().expect(k).to_owned();
            (text("id"), text("userPrincipalName"), text("displayName"))
        })
        .collect();
    let [(conflicting, conflicting_upn, _), (other, other_upn, _)] = &users[..] else {
        panic!("two users: {users:?}");
    };
    env.store
        .writer()
        .create_local_user(&local(conflicting_upn), &PasswordPolicy::default())
        .expect("local");
    let organization = env.store.reader().organizations().expect("orgs")[0].clone();
    let request = run::RunRequest {
        selection: Selection {
            users: vec![conflicting.clone(), other.clone()],
            ..Selection::default()
        },
        ..run::RunRequest::default()
    };
    let planned = run::plan_run(
        &graph,
        &env.store,
        env.run(),
        &organization,
        &request,
        &SystemClock,
        &quiet,
    )
    .await
    .expect("plan");
    let import_as = |name: &str| run::Decisions {
        resolutions: [(
            conflicting.clone(),
            ConflictResolution::ImportAs {
                account_name: name.into(),
            },
        )]
        .into_iter()
        .collect(),
        ..run::Decisions::default()
    };
    let taken = planned
        .decide(&import_as(&other_upn.to_uppercase()))
        .expect("decide");
    // Whichever of the two comes later in the run finds the name taken and would fail.
    let later = planned
        .plan
        .users
        .iter()
        .rev()
        .find(|u| [conflicting, other].contains(&&u.object_id))
        .map(|u| u.display_name.clone())
        .expect("both planned");
    assert_eq!(
        planned.unpreviewed(&env.store, &taken).expect("check"),
        [later]
    );
    let free = planned
        .decide(&import_as("a.free.name@contoso.com"))
        .expect("decide");
    assert_eq!(
        planned.unpreviewed(&env.store, &free).expect("check"),
        Vec::<String>::new()
    );
}
