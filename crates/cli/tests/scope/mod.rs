//! The saved scope from the command line: a plain `aadsync sync --org X` synchronizes it (a
//! user added to a saved group in Entra ID is imported), `aadsync scope` lists it (text and
//! JSON), and `sync --remove` takes a root out — with `--dry-run` naming who would leave the
//! scope and writing nothing, an ID not in the scope refused, and the users left as they are.

use crate::support::db;
use crate::support::tenant::Tenant;
use crate::support::{aadsync, add_organization, run};
use aadsync_emulator::Emulator;
use aadsync_testenv::{KeyringMode, in_session};
use serde_json::json;
use std::collections::BTreeSet;
use std::path::Path;

/// The saved roots, read with SQL: (object ID, object type, members, nested).
fn roots(db: &Path) -> Vec<(String, String, bool, bool)> {
    let conn = rusqlite::Connection::open(db).expect("open");
    let mut stmt = conn
        .prepare(
            "SELECT object_id, object_type, members, nested FROM azure_scope_roots
             ORDER BY object_id",
        )
        .expect("roots");
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .expect("roots")
        .collect::<Result<_, _>>()
        .expect("roots")
}

#[tokio::test]
async fn the_saved_scope_is_synchronized_listed_and_changed_from_the_command_line() {
    if !in_session(
        "scope::the_saved_scope_is_synchronized_listed_and_changed_from_the_command_line",
        KeyringMode::Unlocked,
    ) {
        return;
    }
    let emulator = Emulator::start_demo().await.expect("emulator");
    let tenant = Tenant::new(&emulator);
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("aadsync.sqlite3");
    add_organization(&emulator, &db).await;

    let empty = run(aadsync(&db, &["scope", "--org", "1", "--json"])).await;
    assert_eq!(empty.code, Some(0), "{empty}");
    assert_eq!(empty.json(), json!([]));

    let marketing = tenant.group_id("Marketing").await;
    let first = run(aadsync(
        &db,
        &["sync", "--org", "1", "--group", &marketing, "--members"],
    ))
    .await;
    assert_eq!(first.code, Some(0), "{first}");
    let members = tenant.user_members(&marketing).await;
    let imported: BTreeSet<String> = db::imported_users(&db).into_keys().collect();
    assert_eq!(imported, members);

    // In Entra ID a user joins Marketing: a plain sync imports him through the saved scope.
    let all = tenant.graph("/users?$select=id&$top=999").await;
    let newcomer = all["value"]
        .as_array()
        .expect("users")
        .iter()
        .map(|u| u["id"].as_str().expect("id").to_owned())
        .find(|id| !members.contains(id))
        .expect("a user outside Marketing");
    tenant
        .control(
            reqwest::Method::POST,
            &format!("groups/{marketing}/members"),
            json!({"add": [newcomer.clone()]}),
        )
        .await;
    let plain = run(aadsync(&db, &["sync", "--org", "1"])).await;
    assert_eq!(plain.code, Some(0), "{plain}");
    assert!(
        plain.stderr.contains("synchronizing the saved scope"),
        "{plain}"
    );
    let mut expected = members.clone();
    expected.insert(newcomer.clone());
    let imported: BTreeSet<String> = db::imported_users(&db).into_keys().collect();
    assert_eq!(
        imported, expected,
        "the newcomer imported through the saved scope"
    );

    // Listed, as text and JSON.
    let listed = run(aadsync(&db, &["scope", "--org", "1", "--json"])).await;
    assert_eq!(listed.code, Some(0), "{listed}");
    let listed = listed.json();
    assert_eq!(listed.as_array().map(Vec::len), Some(1), "{listed}");
    assert_eq!(listed[0]["object_id"], json!(marketing));
    assert_eq!(listed[0]["display_name"], "Marketing");
    assert_eq!(listed[0]["kind"], "group");
    assert_eq!(listed[0]["members"], true);
    assert_eq!(listed[0]["nested"], false);
    assert_eq!(listed[0]["users_reached"], json!(expected.len()));
    let text = run(aadsync(&db, &["scope", "--org", "1"])).await;
    assert!(
        text.stdout.contains("Saved scope: 1 group with members"),
        "{text}"
    );

    // An ID not in the scope: refused, nothing written.
    let before = db::dump(&db);
    let wrong = run(aadsync(&db, &["sync", "--org", "1", "--remove", &newcomer])).await;
    assert_eq!(wrong.code, Some(1), "{wrong}");
    assert!(wrong.stderr.contains("not in the saved scope"), "{wrong}");
    db::assert_same(&before, &db::dump(&db), "an unknown root");

    // Dry run: who leaves the scope, nothing written.
    let dry = run(aadsync(
        &db,
        &[
            "sync",
            "--org",
            "1",
            "--remove",
            &marketing,
            "--dry-run",
            "--json",
        ],
    ))
    .await;
    assert_eq!(dry.code, Some(0), "{dry}");
    db::assert_same(&before, &db::dump(&db), "--dry-run");
    let plan = dry.json();
    let leaving: BTreeSet<String> = plan["leaving_scope"]
        .as_array()
        .expect("leaving_scope")
        .iter()
        .map(|u| u["id"].as_str().expect("id").to_owned())
        .collect();
    assert_eq!(leaving, expected, "every user Marketing reached");
    assert_eq!(
        plan["scope_changes"],
        json!(["Marketing (group with members) taken out"])
    );

    // Taken out: the root is gone, the users stay as they were (no --check-deleted).
    let users_before = db::imported_users(&db);
    let removed = run(aadsync(
        &db,
        &["sync", "--org", "1", "--remove", &marketing],
    ))
    .await;
    assert_eq!(removed.code, Some(0), "{removed}");
    assert!(
        removed.stderr.contains("leave the scope") && removed.stderr.contains("left as they are"),
        "{removed}"
    );
    assert_eq!(roots(&db), []);
    assert_eq!(db::imported_users(&db), users_before);
}
