//! A synchronization run against the emulator over HTTP into a real SQLite file: selection and
//! group members, preview = outcome, a rename in Entra ID updates the same user, faults are
//! retried, and a read that fails leaves the database untouched.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use aadsync_directory::auth::Session;
use aadsync_directory::auth::signin::Target;
use aadsync_directory::graph::GraphClient;
use aadsync_directory::graph::retry::RetryPolicy;
use aadsync_directory::{ClientId, Cloud, TenantRef};
use aadsync_emulator::{Emulator, EmulatorConfig, GeneratorConfig, demo, generate};
use aadsync_keystore::SecretString;
use aadsync_store::{ApplyOutcome, OpenOptions, RunInfo, Store};
use aadsync_sync::engine::{self, Selection};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

struct Env {
    emulator: Emulator,
    admin: String,
    _dir: tempfile::TempDir,
    store: Store,
}

async fn start() -> Env {
    let tenant = generate(GeneratorConfig {
        users: 300,
        groups: 12,
        seed: 3,
    });
    let admin = tenant.users[0].user_principal_name.clone();
    let emulator = Emulator::start(EmulatorConfig::new(tenant))
        .await
        .expect("emulator");
    let dir = tempfile::tempdir().expect("dir");
    let store =
        Store::open(&dir.path().join("aadsync.sqlite3"), &OpenOptions::default()).expect("store");
    Env {
        emulator,
        admin,
        _dir: dir,
        store,
    }
}

impl Env {
    fn graph(&self, policy: RetryPolicy) -> GraphClient {
        let token = self
            .emulator
            .mint_access_token(
                &self.admin,
                &["User.Read.All", "GroupMember.Read.All"],
                3600,
            )
            .expect("token");
        let target = Target::new(
            TenantRef::parse(&self.emulator.tenant_id()).expect("tenant"),
            ClientId::parse(demo::CLIENT_ID).expect("client"),
            &Cloud::custom(self.emulator.base_url(), self.emulator.base_url()).expect("cloud"),
        )
        .expect("endpoints");
        let session = Session::with_tokens(
            target,
            SecretString::new(token),
            Duration::from_secs(3600),
            None,
        );
        GraphClient::with_policy(Arc::new(session), policy, 4).expect("graph")
    }

    fn run(&self) -> RunInfo {
        RunInfo {
            tenant_id: self.emulator.tenant_id(),
            started_by: self.admin.clone(),
        }
    }

    async fn control(&self, method: reqwest::Method, path: &str, body: Value) {
        let status = reqwest::Client::new()
            .request(
                method,
                format!("{}/_emulator/{path}", self.emulator.base_url()),
            )
            .json(&body)
            .send()
            .await
            .expect("control")
            .status();
        assert!(status.is_success(), "{path}: {status}");
    }

    /// What the tenant imported so far.
    fn imported(&self) -> aadsync_store::plan::Imported {
        self.store
            .reader()
            .imported(&self.run().tenant_id)
            .expect("imported")
    }

    /// The `id`s of a Graph collection page.
    async fn ids(&self, path: &str) -> Vec<String> {
        self.graph_json(path).await["value"]
            .as_array()
            .expect("a collection")
            .iter()
            .map(|o| o["id"].as_str().expect("id").to_owned())
            .collect()
    }

    async fn graph_json(&self, path: &str) -> Value {
        let token = self
            .emulator
            .mint_access_token(
                &self.admin,
                &["User.Read.All", "GroupMember.Read.All"],
                3600,
            )
            .expect("token");
        reqwest::Client::new()
            .get(format!("{}/v1.0{path}", self.emulator.base_url()))
            .bearer_auth(token)
            .send()
            .await
            .expect("graph")
            .json()
            .await
            .expect("json")
    }
}

fn quiet(_: engine::Progress) {}

#[tokio::test]
async fn select_preview_apply_and_a_rename_updates_the_same_user() {
    let env = start().await;
    let graph = env.graph(RetryPolicy::new(6, 100));
    let users = env
        .graph_json("/users?$top=3&$select=id,userPrincipalName")
        .await;
    let picked: Vec<String> = users["value"]
        .as_array()
        .expect("users")
        .iter()
        .map(|u| u["id"].as_str().expect("id").to_owned())
        .collect();
    let groups = env
        .graph_json("/groups?$top=1&$select=id,displayName")
        .await;
    let group_id = groups["value"][0]["id"].as_str().expect("group").to_owned();
    let group_name = groups["value"][0]["displayName"]
        .as_str()
        .expect("name")
        .to_owned();
    let selection = Selection {
        users: picked.clone(),
        groups: vec![group_id.clone()],
        members: true,
        nested: false,
    };

    let imported = env.imported();
    let changes = engine::gather(&graph, &imported, &selection, &quiet)
        .await
        .expect("gather")
        .changes;
    let preview = engine::preview(&env.store, &env.run().tenant_id, &changes).expect("preview");
    assert!(preview.created >= 4, "{preview:?}");
    assert_eq!((preview.updated, preview.failed), (0, 0));
    let (report, snapshot) =
        engine::apply(&env.store, &env.run(), &changes, &quiet).expect("apply");
    assert!(snapshot.is_file(), "a snapshot precedes the apply");
    // What was previewed is what happened.
    let outcome = |items: Vec<(String, ApplyOutcome)>| items;
    assert_eq!(
        outcome(
            report
                .items
                .iter()
                .map(|i| (i.object_id.clone(), i.outcome.clone()))
                .collect()
        ),
        outcome(
            preview
                .items
                .iter()
                .map(|i| (i.object_id.clone(), i.outcome.clone()))
                .collect()
        )
    );
    let members: Vec<_> = changes
        .users
        .iter()
        .filter(|u| u.imported_via == group_name)
        .collect();
    assert!(!members.is_empty(), "members come with their group path");
    for id in &picked {
        let user = changes
            .users
            .iter()
            .find(|u| &u.object_id == id)
            .expect("picked");
        assert_eq!(user.imported_via, "", "selected directly");
    }
    let rows = env.store.reader().user_rows().expect("rows");
    assert_eq!(
        rows.len() as u64,
        report.created - 1,
        "all users, one group"
    );

    // Rename the first picked user in Entra ID: the next sync (nothing selected) updates them.
    let renamed = format!("renamed.{}@contoso.com", &picked[0][..8]);
    env.control(
        reqwest::Method::PATCH,
        &format!("users/{}", picked[0]),
        json!({"userPrincipalName": renamed, "department": "Renamed Dept"}),
    )
    .await;
    let imported = env.imported();
    let changes = engine::gather(&graph, &imported, &Selection::default(), &quiet)
        .await
        .expect("refresh")
        .changes;
    let (report, _) = engine::apply(&env.store, &env.run(), &changes, &quiet).expect("apply");
    let updated: Vec<_> = report
        .items
        .iter()
        .filter(|i| matches!(i.outcome, ApplyOutcome::Updated { .. }))
        .collect();
    assert_eq!(updated.len(), 1, "{:?}", report.items);
    assert_eq!(updated[0].object_id, picked[0]);
    assert_eq!(report.created, 0);
    let rows = env.store.reader().user_rows().expect("rows");
    assert_eq!(rows.len() as u64, report.unchanged + 1 - 1, "no user added");
    assert!(rows.iter().any(|r| r.account_name == renamed));
}

#[tokio::test]
async fn faults_are_retried_and_a_failed_read_changes_nothing() {
    let env = start().await;
    let group_ids = env.ids("/groups?$top=2&$select=id").await;
    let selection = Selection {
        users: vec![],
        groups: group_ids,
        members: true,
        nested: true,
    };
    let imported = env.imported();
    for fault in [
        json!({"path": "/v1.0/$batch", "kind": "throttle", "retryAfter": "0.1", "times": 1}),
        json!({"path": "/v1.0/$batch", "kind": "drop", "times": 1}),
        json!({"path": "/v1.0/$batch", "kind": "truncate", "after": 1, "times": 1}),
    ] {
        env.control(reqwest::Method::POST, "faults", fault.clone())
            .await;
        let changes = engine::gather(
            &env.graph(RetryPolicy::new(6, 100)),
            &imported,
            &selection,
            &quiet,
        )
        .await
        .unwrap_or_else(|e| panic!("{fault}: {e}"));
        assert!(!changes.changes.users.is_empty(), "{fault}");
        env.control(reqwest::Method::DELETE, "faults", json!({}))
            .await;
    }
    // A service that stays down: the run fails before anything is written.
    env.control(
        reqwest::Method::POST,
        "faults",
        json!({"path": "/v1.0/$batch", "kind": "unavailable", "retryAfter": "0.05"}),
    )
    .await;
    let err = engine::gather(
        &env.graph(RetryPolicy::new(3, 10)),
        &imported,
        &selection,
        &quiet,
    )
    .await
    .expect_err("fails");
    assert!(err.to_string().contains("did not recover"), "{err}");
    assert_eq!(env.store.reader().count_users().expect("count"), 0);
}

#[tokio::test]
async fn deleted_objects_are_sorted_and_only_complete_reads_decide() {
    use aadsync_sync::deleted::{Action, Finding};
    let env = start().await;
    let graph = env.graph(RetryPolicy::new(4, 50));
    let groups = env
        .graph_json("/groups?$top=1&$select=id,displayName")
        .await;
    let group_id = groups["value"][0]["id"].as_str().expect("group").to_owned();
    let members = env
        .graph_json(&format!(
            "/groups/{group_id}/members/microsoft.graph.user?$select=id&$top=999"
        ))
        .await;
    let member_ids: Vec<String> = members["value"]
        .as_array()
        .expect("members")
        .iter()
        .map(|m| m["id"].as_str().expect("id").to_owned())
        .collect();
    assert!(member_ids.len() >= 4, "a group with a few members");
    let selection = Selection {
        users: vec![],
        groups: vec![group_id.clone()],
        members: true,
        nested: false,
    };
    let imported = env.imported();
    let first = engine::gather(&graph, &imported, &selection, &quiet)
        .await
        .expect("gather");
    engine::apply(&env.store, &env.run(), &first.changes, &quiet).expect("import");

    // In Entra ID: soft delete, hard delete, disable, and remove one from the group.
    let [soft, hard, off, left] = [0, 1, 2, 3].map(|i| member_ids[i].clone());
    env.control(reqwest::Method::DELETE, &format!("users/{soft}"), json!({}))
        .await;
    let status = reqwest::Client::new()
        .delete(format!(
            "{}/_emulator/users/{hard}?hard=true",
            env.emulator.base_url()
        ))
        .send()
        .await
        .expect("hard delete")
        .status();
    assert!(status.is_success());
    env.control(
        reqwest::Method::PATCH,
        &format!("users/{off}"),
        json!({"accountEnabled": false}),
    )
    .await;
    env.control(
        reqwest::Method::POST,
        &format!("groups/{group_id}/members"),
        json!({"remove": [left.clone(), soft.clone(), hard.clone()]}),
    )
    .await;

    let imported = env.imported();
    let again = Selection::default();
    let read = engine::gather(&graph, &imported, &again, &quiet)
        .await
        .expect("gather");
    let mut found = engine::check_deleted(&graph, &imported, &read, &again)
        .await
        .expect("check");
    let by_id = |id: &str| {
        found
            .iter()
            .find(|o| o.object_id == id)
            .map(|o| o.finding.clone())
    };
    assert!(
        matches!(
            by_id(&soft),
            Some(Finding::SoftDeleted { days_left: 29 | 30 })
        ),
        "{found:?}"
    );
    assert_eq!(by_id(&hard), Some(Finding::HardDeleted));
    assert_eq!(by_id(&off), Some(Finding::DisabledInEntra));
    assert!(
        matches!(by_id(&left), Some(Finding::OutOfScope { .. })),
        "{found:?}"
    );
    assert_eq!(found.len(), 4, "{found:?}");

    // The recycle bin cannot be read: no decision at all.
    env.control(
        reqwest::Method::POST,
        "faults",
        json!({"path": "/v1.0/directory/deletedItems/*", "kind": "unavailable", "retryAfter": "0.01"}),
    )
    .await;
    assert!(
        engine::check_deleted(&graph, &imported, &read, &again)
            .await
            .is_err()
    );
    env.control(reqwest::Method::DELETE, "faults", json!({}))
        .await;

    // The admin keeps the disabled one, deletes the hard-deleted one, disables the rest.
    for o in &mut found {
        o.action = if o.object_id == off {
            Action::Keep
        } else if o.object_id == hard {
            Action::Delete
        } else {
            Action::Disable
        };
    }
    let mut changes = read.changes.clone();
    changes.removals = engine::removals(&found);
    assert_eq!(changes.removals.len(), 3);
    let (report, _) = engine::apply(&env.store, &env.run(), &changes, &quiet).expect("apply");
    assert_eq!((report.disabled, report.deleted), (2, 1));
    let rows = env.store.reader().user_rows().expect("rows");
    assert_eq!(rows.len(), member_ids.len() - 1, "one deleted");
    for id in [&soft, &left] {
        let details = rows.iter().find(|r| {
            env.store
                .reader()
                .user(r.id)
                .ok()
                .and_then(|d| d.azure)
                .is_some_and(|a| &a.object_id == id)
        });
        assert!(details.is_some_and(|r| !r.enabled), "{id} disabled");
    }
}

#[tokio::test]
async fn the_last_synchronization_can_be_undone_and_the_audit_log_keeps_it() {
    let env = start().await;
    let graph = env.graph(RetryPolicy::new(4, 50));
    let picked = env.ids("/users?$top=5&$select=id").await;
    let selection = Selection {
        users: picked.clone(),
        ..Selection::default()
    };
    let sync = |selection: Selection| {
        let (graph, env) = (graph.clone(), &env);
        async move {
            let imported = env.imported();
            let read = engine::gather(&graph, &imported, &selection, &quiet)
                .await
                .expect("gather");
            engine::apply(&env.store, &env.run(), &read.changes, &quiet)
                .expect("apply")
                .0
        }
    };
    let first = sync(selection).await;
    env.control(
        reqwest::Method::PATCH,
        &format!("users/{}", picked[0]),
        json!({"jobTitle": "Undo me"}),
    )
    .await;
    let second = sync(Selection::default()).await;
    assert_eq!(second.updated, 1);

    // Only the newest run can be undone.
    assert!(env.store.writer().undo_preview(first.run_id).is_err());
    let preview = env
        .store
        .writer()
        .undo_preview(second.run_id)
        .expect("preview");
    assert_eq!(preview.later_user_changes, 0);
    let undo = env
        .store
        .writer()
        .undo_run(second.run_id, "admin@contoso.com")
        .expect("undo");

    let title = |env: &Env| {
        let reader = env.store.reader();
        let rows = reader.user_rows().expect("rows");
        rows.iter()
            .filter_map(|r| reader.user(r.id).ok().and_then(|d| d.azure))
            .find(|a| a.object_id == picked[0])
            .and_then(|a| a.job_title)
    };
    assert_ne!(
        title(&env).as_deref(),
        Some("Undo me"),
        "back to before run 2"
    );
    let runs = env.store.reader().runs().expect("runs");
    let summary: Vec<(i64, &str, &str)> = runs
        .iter()
        .map(|r| (r.id, r.kind.as_str(), r.status.as_str()))
        .collect();
    assert_eq!(
        summary,
        [
            (undo, "undo", "succeeded"),
            (second.run_id, "sync", "undone"),
            (first.run_id, "sync", "succeeded")
        ]
    );
    assert_eq!(
        env.store
            .reader()
            .run_items(second.run_id)
            .expect("items")
            .len(),
        second.items.len(),
        "the undone run's items are kept"
    );
    // The run before it is now the last one, and its snapshot is there: it can be undone too.
    assert!(env.store.writer().undo_preview(first.run_id).is_ok());
}

#[tokio::test]
async fn a_user_deleted_on_the_server_is_not_brought_back_silently() {
    let env = start().await;
    let graph = env.graph(RetryPolicy::new(4, 50));
    let groups = env.graph_json("/groups?$top=1&$select=id").await;
    let group_id = groups["value"][0]["id"].as_str().expect("group").to_owned();
    let selection = Selection {
        users: vec![],
        groups: vec![group_id],
        members: true,
        nested: false,
    };
    let gather = |selection: Selection| {
        let (graph, env) = (graph.clone(), &env);
        async move {
            let imported = env.imported();
            engine::gather(&graph, &imported, &selection, &quiet)
                .await
                .expect("gather")
        }
    };
    let first = gather(selection.clone()).await;
    engine::apply(&env.store, &env.run(), &first.changes, &quiet).expect("import");
    let before = env.store.reader().count_users().expect("count");

    // The admin deletes one imported member on the server.
    let rows = env.store.reader().user_rows().expect("rows");
    let victim = rows[0].clone();
    let victim_oid = env
        .store
        .reader()
        .user(victim.id)
        .expect("user")
        .azure
        .expect("azure")
        .object_id;
    env.store.writer().delete_user(victim.id).expect("delete");

    // The same group again: the member stays deleted, and is reported.
    let again = gather(selection.clone()).await;
    let left_out: Vec<&str> = again
        .tombstoned
        .iter()
        .map(|u| u.object_id.as_str())
        .collect();
    assert_eq!(left_out, [victim_oid.as_str()]);
    assert!(
        again
            .changes
            .users
            .iter()
            .all(|u| u.object_id != victim_oid)
    );
    let (report, _) = engine::apply(&env.store, &env.run(), &again.changes, &quiet).expect("apply");
    assert_eq!(report.created, 0);
    assert_eq!(env.store.reader().count_users().expect("count"), before - 1);

    // Re-import: back as a new server user, and the tombstone is gone.
    let mut changes = again.changes.clone();
    changes.users.extend(again.tombstoned.clone());
    let (report, _) = engine::apply(&env.store, &env.run(), &changes, &quiet).expect("reimport");
    assert_eq!(report.created, 1);
    assert_eq!(env.store.reader().count_users().expect("count"), before);
    let imported = env.imported();
    assert!(imported.tombstones.is_empty());
}

#[tokio::test]
async fn a_user_restored_in_entra_id_comes_back_as_the_same_server_user() {
    let env = start().await;
    let graph = env.graph(RetryPolicy::new(4, 50));
    let picked = env.ids("/users?$top=3&$select=id").await;
    let selection = Selection {
        users: picked.clone(),
        ..Selection::default()
    };
    let imported = env.imported();
    let read = engine::gather(&graph, &imported, &selection, &quiet)
        .await
        .expect("gather");
    engine::apply(&env.store, &env.run(), &read.changes, &quiet).expect("import");
    let server_id = |env: &Env| env.imported().users[&picked[1]].user_id;
    let before = server_id(&env);

    // Deleted in Entra ID (recycle bin) → disabled on the server with the reason recorded.
    env.control(
        reqwest::Method::DELETE,
        &format!("users/{}", picked[1]),
        json!({}),
    )
    .await;
    let imported = env.imported();
    let read = engine::gather(&graph, &imported, &Selection::default(), &quiet)
        .await
        .expect("gather");
    let found = engine::check_deleted(&graph, &imported, &read, &Selection::default())
        .await
        .expect("check");
    let mut changes = read.changes.clone();
    changes.removals = engine::removals(&found);
    engine::apply(&env.store, &env.run(), &changes, &quiet).expect("disable");
    let details = env
        .store
        .reader()
        .user(aadsync_store::UserId(before))
        .expect("user");
    assert!(!details.enabled);
    assert_eq!(
        details.azure.as_ref().and_then(|a| a.deleted_in_directory),
        Some(aadsync_store::DirectoryDeletion::SoftDeleted)
    );

    // Restored in Entra ID: the next sync enables the same server user and clears the mark.
    env.control(
        reqwest::Method::POST,
        &format!("users/{}/restore", picked[1]),
        json!({}),
    )
    .await;
    let imported = env.imported();
    let read = engine::gather(&graph, &imported, &Selection::default(), &quiet)
        .await
        .expect("gather");
    assert!(read.missing_users.is_empty());
    let (report, _) = engine::apply(&env.store, &env.run(), &read.changes, &quiet).expect("apply");
    assert_eq!(report.created, 0);
    assert_eq!(server_id(&env), before, "the same server user");
    let details = env
        .store
        .reader()
        .user(aadsync_store::UserId(before))
        .expect("user");
    assert!(details.enabled, "enabled again, as in Entra ID");
    assert_eq!(details.azure.and_then(|a| a.deleted_in_directory), None);
}

impl Env {
    /// Saves the tenant as an organization: sync runs store their change-tracking links there.
    fn save_org(&self) {
        self.store
            .writer()
            .save_organization(&aadsync_store::NewOrganization {
                tenant_id: self.emulator.tenant_id(),
                display_name: "Contoso".into(),
                primary_domain: "contoso.com".into(),
                cloud: aadsync_store::CloudKind::Custom,
                authority_url: self.emulator.base_url().into(),
                graph_url: self.emulator.base_url().into(),
                client_id: demo::CLIENT_ID.into(),
                admin_upn: self.admin.clone(),
                admin_object_id: "00000000-0000-4000-8000-000000000001".into(),
                demo: false,
            })
            .expect("organization");
    }

    fn links(&self) -> Option<aadsync_store::DeltaLinks> {
        self.store
            .reader()
            .delta_links(&self.run().tenant_id)
            .expect("links")
    }

    /// Reads like the app does: with `links` unless `forced` to compare everything.
    async fn read(
        &self,
        graph: &GraphClient,
        selection: &Selection,
        links: Option<&aadsync_store::DeltaLinks>,
        forced: Option<engine::FullReason>,
    ) -> engine::Gathered {
        engine::gather_incremental(graph, &self.imported(), selection, links, forced, &quiet)
            .await
            .expect("gather")
    }

    /// The first sync of `selection` (a full read; it stores links).
    async fn import(&self, graph: &GraphClient, selection: &Selection) -> engine::Gathered {
        let read = self.read(graph, selection, None, None).await;
        engine::apply(&self.store, &self.run(), &read.changes, &quiet).expect("import");
        read
    }

    /// Imports the first `n` users of the tenant (a full read that stores links); their IDs.
    async fn import_users(&self, graph: &GraphClient, n: usize) -> Vec<String> {
        let picked = self.ids(&format!("/users?$top={n}&$select=id")).await;
        let selection = Selection {
            users: picked.clone(),
            ..Selection::default()
        };
        self.import(graph, &selection).await;
        picked
    }

    /// Reads with the stored links (or fully without usable ones) and applies.
    async fn incremental(
        &self,
        graph: &GraphClient,
    ) -> (engine::Gathered, aadsync_store::ApplyReport) {
        let read = self
            .read(graph, &Selection::default(), self.links().as_ref(), None)
            .await;
        let (report, _) =
            engine::apply(&self.store, &self.run(), &read.changes, &quiet).expect("apply");
        (read, report)
    }
}

#[tokio::test]
async fn incremental_sync_reads_only_the_changes_and_ends_where_a_full_comparison_would() {
    let env = start().await;
    env.save_org();
    let graph = env.graph(RetryPolicy::new(4, 50));
    let group = env
        .graph_json("/groups?$top=12&$select=id,displayName")
        .await["value"]
        .as_array()
        .expect("groups")
        .iter()
        .map(|g| g["id"].as_str().expect("id").to_owned())
        .find(|_| true)
        .expect("a group");
    let members = env
        .ids(&format!(
            "/groups/{group}/members/microsoft.graph.user?$select=id"
        ))
        .await;
    assert!(members.len() >= 3, "a group with members");
    let picked = env.ids("/users?$top=4&$select=id").await;
    let outsider = picked
        .iter()
        .find(|id| !members.contains(id))
        .expect("a picked user outside the group")
        .clone();
    let selection = Selection {
        users: picked.clone(),
        groups: vec![group.clone()],
        members: true,
        nested: false,
    };

    // First sync: no links yet → a full read, links stored with the run.
    let read = env.read(&graph, &selection, None, None).await;
    assert_eq!(
        read.read,
        engine::ReadMode::Full(engine::FullReason::NoLinks)
    );
    engine::apply(&env.store, &env.run(), &read.changes, &quiet).expect("import");
    let first = env.links().expect("links stored by the sync");
    assert!(first.users.starts_with("/users/delta?"), "{first:?}");

    // Nothing changed: two requests (one round per kind), nothing to write.
    let before = graph
        .stats()
        .requests
        .load(std::sync::atomic::Ordering::Relaxed);
    let (read, report) = env.incremental(&graph).await;
    let used = graph
        .stats()
        .requests
        .load(std::sync::atomic::Ordering::Relaxed)
        - before;
    assert!(
        matches!(read.read, engine::ReadMode::Incremental { .. }),
        "{:?}",
        read.read
    );
    assert_eq!(used, 2, "one round of users/delta and one of groups/delta");
    assert_eq!((report.created, report.updated, report.failed), (0, 0, 0));

    // Rename, disable, membership change, soft and hard delete in Entra ID.
    let (renamed, disabled, leaving, soft, hard) = (
        &members[0],
        &members[1],
        &members[2],
        &picked[0],
        &picked[1],
    );
    let new_upn = format!("renamed.{}@contoso.com", &renamed[..8]);
    env.control(
        reqwest::Method::PATCH,
        &format!("users/{renamed}"),
        json!({"userPrincipalName": new_upn}),
    )
    .await;
    env.control(
        reqwest::Method::PATCH,
        &format!("users/{disabled}"),
        json!({"accountEnabled": false}),
    )
    .await;
    env.control(
        reqwest::Method::POST,
        &format!("groups/{group}/members"),
        json!({"add": [outsider], "remove": [leaving]}),
    )
    .await;
    let (soft, hard) = if soft == &outsider || hard == &outsider {
        (&picked[2], &picked[3])
    } else {
        (soft, hard)
    };
    assert!(soft != &outsider && hard != &outsider);
    env.control(reqwest::Method::DELETE, &format!("users/{soft}"), json!({}))
        .await;
    env.control(
        reqwest::Method::DELETE,
        &format!("users/{hard}?hard=true"),
        json!({}),
    )
    .await;

    let (read, report) = env.incremental(&graph).await;
    assert!(matches!(read.read, engine::ReadMode::Incremental { .. }));
    let mut missing = read.missing_users.clone();
    missing.sort();
    let mut expected = vec![soft.clone(), hard.clone()];
    expected.sort();
    assert_eq!(
        missing, expected,
        "deletions reported, left for Check deleted objects"
    );
    let updated: Vec<&str> = report
        .items
        .iter()
        .filter(|i| matches!(i.outcome, ApplyOutcome::Updated { .. }))
        .map(|i| i.object_id.as_str())
        .collect();
    assert!(
        updated.contains(&renamed.as_str()) && updated.contains(&disabled.as_str()),
        "{updated:?}"
    );
    assert!(
        updated.contains(&group.as_str()),
        "membership change: {updated:?}"
    );
    assert_eq!(report.created, 0);
    let imported = env.imported();
    assert_eq!(
        imported.users[renamed].account_name, new_upn,
        "renamed on the server"
    );
    assert!(!imported.users[disabled].enabled, "disabled as in Entra ID");
    let now_members = imported.groups[&group]
        .directory
        .members
        .clone()
        .expect("members");
    assert!(
        now_members.contains(&outsider) && !now_members.contains(leaving),
        "{now_members:?}"
    );
    assert!(
        imported.users.contains_key(soft),
        "no decision without Check deleted objects"
    );
    assert_ne!(env.links(), Some(first.clone()), "links advanced");

    // Restored in Entra ID: the next round has the user again.
    env.control(
        reqwest::Method::POST,
        &format!("users/{soft}/restore"),
        json!({}),
    )
    .await;
    let (read, _) = env.incremental(&graph).await;
    assert!(read.missing_users.is_empty(), "{:?}", read.missing_users);
    assert!(read.changes.users.iter().any(|u| &u.object_id == soft));

    // The same state a full comparison reaches: it finds nothing to change.
    let imported = env.imported();
    let full = engine::gather(&graph, &imported, &Selection::default(), &quiet)
        .await
        .expect("full");
    let plan = engine::preview(&env.store, &env.run().tenant_id, &full.changes).expect("plan");
    assert_eq!(
        (plan.created, plan.updated, plan.failed),
        (0, 0, 0),
        "{:?}",
        plan.items
            .iter()
            .filter(|i| i.outcome != ApplyOutcome::Unchanged)
            .collect::<Vec<_>>()
    );
    assert_eq!(full.missing_users, vec![hard.clone()]);
}

#[tokio::test]
async fn expired_change_tracking_links_fall_back_to_a_full_comparison() {
    let env = start().await;
    env.save_org();
    let graph = env.graph(RetryPolicy::new(4, 50));
    let picked = env.import_users(&graph, 5).await;
    let links = env.links().expect("links");

    // Older than 7 days by our own clock: no delta request at all.
    let old = aadsync_store::DeltaLinks {
        taken_at: links.taken_at - 8 * 86_400,
        ..links.clone()
    };
    let read = env
        .read(&graph, &Selection::default(), Some(&old), None)
        .await;
    assert_eq!(
        read.read,
        engine::ReadMode::Full(engine::FullReason::Expired)
    );

    // Graph's clock moved past the window (410 Gone, syncStateNotFound): a full comparison,
    // which still sees the rename, and new links.
    env.emulator.clock().advance(8 * 86_400);
    let graph = env.graph(RetryPolicy::new(4, 50));
    let renamed = format!("late.{}@contoso.com", &picked[2][..8]);
    env.control(
        reqwest::Method::PATCH,
        &format!("users/{}", picked[2]),
        json!({"userPrincipalName": renamed}),
    )
    .await;
    let (read, report) = env.incremental(&graph).await;
    assert_eq!(
        read.read,
        engine::ReadMode::Full(engine::FullReason::Expired)
    );
    assert_eq!(report.updated, 1, "{:?}", report.items);
    assert_eq!(env.imported().users[&picked[2]].account_name, renamed);
    let renewed = env.links().expect("links");
    assert_ne!(renewed.users, links.users);
    let (read, _) = env.incremental(&graph).await;
    assert!(
        matches!(read.read, engine::ReadMode::Incremental { .. }),
        "{:?}",
        read.read
    );

    // A link of another Graph root is never followed with our token; a token Graph cannot
    // read (400) is treated like an expired one.
    for users in [
        "https://evil.example/v1.0/users/delta?$deltatoken=x",
        "/users/delta?$deltatoken=not-a-token",
    ] {
        let odd = aadsync_store::DeltaLinks {
            users: users.into(),
            ..renewed.clone()
        };
        let read = env
            .read(&graph, &Selection::default(), Some(&odd), None)
            .await;
        assert_eq!(
            read.read,
            engine::ReadMode::Full(engine::FullReason::Expired),
            "{users}"
        );
        assert!(read.changes.delta.is_some(), "fresh links");
    }
}

#[tokio::test]
async fn groups_deleted_in_entra_id_are_triaged_and_a_restored_group_gets_its_members_back() {
    let env = start().await;
    env.save_org();
    let graph = env.graph(RetryPolicy::new(4, 50));
    let listed = env
        .graph_json("/groups?$top=12&$select=id,groupTypes")
        .await;
    let groups = listed["value"].as_array().expect("groups");
    let kind = |unified: bool| {
        groups
            .iter()
            .find(|g| {
                g["groupTypes"]
                    .as_array()
                    .is_some_and(|t| t.contains(&json!("Unified")) == unified)
            })
            .and_then(|g| g["id"].as_str())
            .expect("a group of that kind")
            .to_owned()
    };
    let (m365, security) = (kind(true), kind(false));
    let selection = Selection {
        groups: vec![m365.clone(), security.clone()],
        members: true,
        ..Selection::default()
    };
    env.import(&graph, &selection).await;
    let members_before = env.imported().groups[&m365]
        .directory
        .members
        .clone()
        .expect("members");
    assert!(!members_before.is_empty());
    let users_before = env.store.reader().count_users().expect("count");

    // A Microsoft 365 group goes to the recycle bin; a security group is deleted for good.
    env.control(
        reqwest::Method::DELETE,
        &format!("groups/{m365}"),
        json!({}),
    )
    .await;
    env.control(
        reqwest::Method::DELETE,
        &format!("groups/{security}"),
        json!({}),
    )
    .await;
    // Without the check: reported, left alone.
    let (read, report) = env.incremental(&graph).await;
    assert_eq!(read.deleted_in_entra(), 2);
    assert_eq!((report.disabled, report.deleted), (0, 0));

    // With it: both listed after the users, with their state in Entra ID.
    let imported = env.imported();
    let read = env
        .read(
            &graph,
            &Selection::default(),
            env.links().as_ref(),
            Some(engine::FullReason::CheckDeleted),
        )
        .await;
    let mut found = engine::check_deleted(&graph, &imported, &read, &Selection::default())
        .await
        .expect("check");
    found.retain(|o| o.kind == aadsync_store::ObjectKind::Group);
    let by_id = |id: &str| {
        found
            .iter()
            .find(|o| o.object_id == id)
            .expect("listed")
            .clone()
    };
    assert!(matches!(
        by_id(&m365).finding,
        aadsync_sync::deleted::Finding::SoftDeleted { days_left: 30 }
    ));
    assert_eq!(
        by_id(&security).finding,
        aadsync_sync::deleted::Finding::HardDeleted
    );
    for o in &mut found {
        o.action = if o.object_id == m365 {
            aadsync_sync::deleted::Action::Disable
        } else {
            aadsync_sync::deleted::Action::Delete
        };
    }
    let mut changes = read.changes.clone();
    changes.removals = engine::removals(&found);
    let (report, _) = engine::apply(&env.store, &env.run(), &changes, &quiet).expect("apply");
    assert_eq!(
        (report.disabled, report.deleted),
        (1, 1),
        "{:?}",
        report.items
    );
    let imported = env.imported();
    assert!(
        !imported.groups.contains_key(&security),
        "deleted on the server"
    );
    assert_eq!(
        imported.groups[&m365].directory.members,
        Some(vec![]),
        "grants nothing"
    );
    assert!(imported.groups[&m365].deleted_in_directory);
    assert_eq!(
        env.store.reader().count_users().expect("count"),
        users_before,
        "users stay"
    );

    // Restored in Entra ID: the next (incremental) sync gives it its members back.
    env.control(
        reqwest::Method::POST,
        &format!("groups/{m365}/restore"),
        json!({}),
    )
    .await;
    let (read, report) = env.incremental(&graph).await;
    assert!(
        matches!(read.read, engine::ReadMode::Incremental { .. }),
        "{:?}",
        read.read
    );
    assert_eq!(report.failed, 0);
    let imported = env.imported();
    let mut members = imported.groups[&m365]
        .directory
        .members
        .clone()
        .expect("members");
    members.sort();
    let mut expected = members_before.clone();
    expected.sort();
    assert_eq!(members, expected);
    assert!(!imported.groups[&m365].deleted_in_directory, "mark cleared");
}

#[tokio::test]
async fn a_round_of_changes_that_fails_writes_nothing_and_keeps_the_links() {
    let env = start().await;
    env.save_org();
    let graph = env.graph(RetryPolicy::new(3, 10));
    let picked = env.import_users(&graph, 3).await;
    let links = env.links().expect("links");
    env.control(
        reqwest::Method::PATCH,
        &format!("users/{}", picked[0]),
        json!({"department": "Moved"}),
    )
    .await;

    // A cut-off answer once: retried, the same round.
    env.control(
        reqwest::Method::POST,
        "faults",
        json!({"path": "/v1.0/users/delta", "kind": "truncate", "times": 1}),
    )
    .await;
    let read = env
        .read(&graph, &Selection::default(), Some(&links), None)
        .await;
    assert!(matches!(read.read, engine::ReadMode::Incremental { .. }));
    assert_eq!(read.changes.users.len(), 1, "{:?}", read.changes.users);
    env.control(reqwest::Method::DELETE, "faults", json!({}))
        .await;

    // Graph stays down for groups/delta: an error, nothing written, the links as they were.
    env.control(
        reqwest::Method::POST,
        "faults",
        json!({"path": "/v1.0/groups/delta", "kind": "unavailable", "retryAfter": "0.05"}),
    )
    .await;
    let err = engine::gather_incremental(
        &graph,
        &env.imported(),
        &Selection::default(),
        Some(&links),
        None,
        &quiet,
    )
    .await
    .expect_err("no decision from an incomplete read");
    assert!(err.to_string().contains("did not recover"), "{err}");
    assert_eq!(env.links(), Some(links));
    assert_ne!(env.imported().users[&picked[0]].department, "Moved");
}
