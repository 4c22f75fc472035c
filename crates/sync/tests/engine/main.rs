//! Synchronization runs against the emulator over HTTP into a real SQLite file.
//!
//! The assertions read the database (whole-database dumps, or the rows a sync wrote) and
//! compare them with the tenant as Graph shows it to a plain HTTP client, never with what the
//! code under test reports about itself: a report and a preview come from the same `plan`, so
//! comparing them with each other proves nothing about what was written.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod conflicts;
mod deleted;
mod faults;
mod hidden;
mod incremental;
mod register;
mod scope;
mod selection;
mod undo;

use aadsync_directory::auth::Session;
use aadsync_directory::graph::GraphClient;
use aadsync_directory::graph::retry::RetryPolicy;
use aadsync_directory::{ClientId, Cloud, Target, TenantRef};
use aadsync_emulator::{Emulator, EmulatorConfig, GeneratorConfig, demo, generate};
use aadsync_keystore::SecretString;
use aadsync_store::plan::Plan;
use aadsync_store::{ApplyOutcome, ApplyReport, OpenOptions, RunInfo, Store};
use aadsync_sync::clock::SystemClock;
use aadsync_sync::engine::{self, SyncError};
use aadsync_sync::run;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

pub use aadsync_sync::engine::Selection;

pub const DAY: i64 = 86_400;

pub(crate) struct Env {
    pub emulator: Emulator,
    pub admin: String,
    _dir: tempfile::TempDir,
    pub store: Arc<Store>,
}

pub(crate) async fn start() -> Env {
    start_with(300, 12).await
}

/// A generated tenant of `users` and `groups` (seed 3: `generate` gives the same tenant again).
pub(crate) async fn start_with(users: usize, groups: usize) -> Env {
    start_tenant(generate(GeneratorConfig {
        users,
        groups,
        seed: 3,
    }))
    .await
}

/// The emulator (strict) serving `tenant`, and an empty database.
pub(crate) async fn start_tenant(tenant: aadsync_emulator::Tenant) -> Env {
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
        store: Arc::new(store),
    }
}

pub fn quiet(_: engine::Progress) {}

/// A user as Graph shows it, and the row a sync must leave for it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct UserRow {
    pub object_id: String,
    /// The account name is the UPN.
    pub account_name: String,
    pub enabled: bool,
    /// '' when selected directly, else the group's display name.
    pub imported_via: String,
}

/// Every row of every table (`aadsync_testenv::db`: a table added later is included, and values
/// keep their types so that `1`, `'1'` and `NULL` differ); rows sorted per table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dump(pub BTreeMap<String, Vec<String>>);

impl Dump {
    /// The tables that differ, with the rows only one side has: a readable failure.
    pub fn differences(&self, other: &Dump) -> Vec<String> {
        let names: BTreeSet<&String> = self.0.keys().chain(other.0.keys()).collect();
        names
            .into_iter()
            .filter_map(|t| {
                let (a, b) = (
                    self.0.get(t).cloned().unwrap_or_default(),
                    other.0.get(t).cloned().unwrap_or_default(),
                );
                (a != b).then(|| {
                    let gone: Vec<_> = a.iter().filter(|r| !b.contains(r)).take(3).collect();
                    let new: Vec<_> = b.iter().filter(|r| !a.contains(r)).take(3).collect();
                    format!("{t}: only before {gone:?}, only after {new:?}")
                })
            })
            .collect()
    }
}

/// The delegated permissions README.md's "Connecting your own tenant" asks for at least.
pub const README_PERMISSIONS: &[&str] = &["User.Read", "User.Read.All", "GroupMember.Read.All"];
/// …and with the optional `Group.Read.All` that checking deleted groups needs.
pub const WITH_GROUP_READ_ALL: &[&str] = &[
    "User.Read",
    "User.Read.All",
    "GroupMember.Read.All",
    "Group.Read.All",
];

impl Env {
    /// A Graph client with the README's minimal permissions (no `Group.Read.All`: deleted
    /// groups are not readable).
    pub fn graph(&self, policy: RetryPolicy) -> GraphClient {
        self.graph_with(README_PERMISSIONS, policy)
    }

    /// A Graph client whose token carries `scopes`.
    pub fn graph_with(&self, scopes: &[&str], policy: RetryPolicy) -> GraphClient {
        let token = self
            .emulator
            .mint_access_token(&self.admin, scopes, 3600)
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

    pub fn run(&self) -> RunInfo {
        RunInfo {
            tenant_id: self.emulator.tenant_id(),
            started_by: self.admin.clone(),
        }
    }

    pub async fn control(&self, method: reqwest::Method, path: &str, body: Value) {
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

    /// Deletes `path` (a control API object) with the emulator's clock `days` and a half back,
    /// so Graph's `deletedDateTime` is that far in the past. The half day keeps the whole-day
    /// count exact whatever the wall clock does while the test runs (`check_deleted` reads it).
    pub async fn delete_days_ago(&self, path: &str, days: i64) {
        let back = days * DAY + DAY / 2;
        self.emulator.clock().advance(-back);
        self.control(reqwest::Method::DELETE, path, json!({})).await;
        self.emulator.clock().advance(back);
    }

    /// Forgets the emulator's request log, so the next [`Env::requests`] counts from here.
    pub async fn clear_requests(&self) {
        self.control(reqwest::Method::DELETE, "requests", json!({}))
            .await;
    }

    /// Statuses of the Graph requests to paths matching `glob` since the last clear.
    pub async fn requests(&self, glob: &str) -> Vec<u64> {
        let log: Value = reqwest::Client::new()
            .get(format!("{}/_emulator/requests", self.emulator.base_url()))
            .query(&[("path", glob)])
            .send()
            .await
            .expect("request log")
            .json()
            .await
            .expect("json");
        log["requests"]
            .as_array()
            .expect("requests")
            .iter()
            .map(|r| r["status"].as_u64().expect("status"))
            .collect()
    }

    /// What the tenant imported so far.
    pub fn imported(&self) -> std::sync::Arc<aadsync_store::plan::Imported> {
        self.store
            .reader()
            .imported(&self.run().tenant_id)
            .expect("imported")
    }

    /// The `id`s of a Graph collection page.
    pub async fn ids(&self, path: &str) -> Vec<String> {
        self.graph_json(path).await["value"]
            .as_array()
            .expect("a collection")
            .iter()
            .map(|o| o["id"].as_str().expect("id").to_owned())
            .collect()
    }

    /// A Graph answer read with a plain HTTP client (not the code under test).
    pub async fn graph_json(&self, path: &str) -> Value {
        let token = self
            .emulator
            .mint_access_token(&self.admin, README_PERMISSIONS, 3600)
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

    /// The users of a Graph collection page, as rows imported via `via`: the first `$top`
    /// when `path` has one, else the whole collection (one page of at most 999).
    pub async fn tenant_users(&self, path: &str, via: &str) -> BTreeMap<String, UserRow> {
        let sep = if path.contains('?') { '&' } else { '?' };
        let whole = !path.contains("$top=");
        let top = if whole { "&$top=999" } else { "" };
        let page = self
            .graph_json(&format!(
                "{path}{sep}$select=id,userPrincipalName,accountEnabled{top}"
            ))
            .await;
        assert!(
            !whole || page["@odata.nextLink"].is_null(),
            "one page: {path}"
        );
        page["value"]
            .as_array()
            .expect("a collection")
            .iter()
            .map(|u| {
                let id = u["id"].as_str().expect("id").to_owned();
                let row = UserRow {
                    object_id: id.clone(),
                    account_name: u["userPrincipalName"].as_str().expect("upn").to_owned(),
                    enabled: u["accountEnabled"].as_bool().expect("accountEnabled"),
                    imported_via: via.to_owned(),
                };
                (id, row)
            })
            .collect()
    }

    /// Every row of every table, read with SQL (not through the store's own reads).
    pub fn dump(&self) -> Dump {
        let writer = self.store.writer();
        Dump(
            aadsync_testenv::db::dump_connection(writer.connection())
                .expect("dump")
                .tables,
        )
    }

    /// Asserts the database is exactly as `before` (every table, every row).
    pub fn assert_unchanged(&self, before: &Dump, why: &str) {
        let after = self.dump();
        assert!(before == &after, "{why}: {:#?}", before.differences(&after));
    }

    /// The imported users as stored: object ID, account name, enabled, imported via.
    pub fn stored_users(&self) -> BTreeMap<String, UserRow> {
        let writer = self.store.writer();
        writer
            .connection()
            .prepare(
                "SELECT a.object_id, u.account_name, u.enabled, a.imported_via
                 FROM azure_users a JOIN users u ON u.id = a.user_id",
            )
            .expect("users")
            .query_map([], |r| {
                Ok(UserRow {
                    object_id: r.get(0)?,
                    account_name: r.get(1)?,
                    enabled: r.get(2)?,
                    imported_via: r.get(3)?,
                })
            })
            .expect("users")
            .map(|r| {
                let row = r.expect("user");
                (row.object_id.clone(), row)
            })
            .collect()
    }

    /// Imported groups (object ID → name) and memberships (group object ID, user object ID).
    pub fn stored_groups(&self) -> (BTreeMap<String, String>, BTreeSet<(String, String)>) {
        let writer = self.store.writer();
        let conn = writer.connection();
        let groups = conn
            .prepare(
                "SELECT a.object_id, g.name FROM azure_groups a JOIN groups g ON g.id = a.group_id",
            )
            .expect("groups")
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .expect("groups")
            .collect::<Result<_, _>>()
            .expect("groups");
        let memberships = conn
            .prepare(
                "SELECT g.object_id, u.object_id FROM memberships m
                 JOIN azure_groups g ON g.group_id = m.group_id
                 JOIN azure_users u ON u.user_id = m.user_id",
            )
            .expect("memberships")
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .expect("memberships")
            .collect::<Result<_, _>>()
            .expect("memberships");
        (groups, memberships)
    }

    /// Each imported object's stored state without the sync timestamps (which every run
    /// touches), keyed by object ID: what "created" and "updated" mean for the database.
    pub fn stored_objects(&self) -> BTreeMap<String, String> {
        let writer = self.store.writer();
        let conn = writer.connection();
        let mut objects = BTreeMap::new();
        for sql in [
            "SELECT a.object_id, json_array(u.account_name, u.enabled, u.full_name, u.email,
                    u.phone, u.department, u.description, a.user_principal_name,
                    a.display_name, a.given_name, a.surname, a.mail, a.job_title, a.department,
                    a.office_location, a.mobile_phone, a.business_phones, a.user_type,
                    a.account_enabled, a.created_in_entra_at, a.on_premises_sync_enabled,
                    a.deleted_in_directory, a.imported_via)
             FROM azure_users a JOIN users u ON u.id = a.user_id",
            "SELECT a.object_id, json_array(g.name, g.description, a.display_name,
                    a.description, a.mail, a.mail_enabled, a.security_enabled, a.group_types,
                    a.deleted_in_directory,
                    (SELECT json_group_array(object_id) FROM (
                        SELECT u.object_id FROM memberships m
                        JOIN azure_users u ON u.user_id = m.user_id
                        WHERE m.group_id = a.group_id ORDER BY u.object_id)))
             FROM azure_groups a JOIN groups g ON g.id = a.group_id",
        ] {
            let rows: Vec<(String, String)> = conn
                .prepare(sql)
                .expect("objects")
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
                .expect("objects")
                .collect::<Result<_, _>>()
                .expect("objects");
            objects.extend(rows);
        }
        objects
    }

    /// Saves the tenant as an organization: sync runs store their change-tracking links there.
    pub fn save_org(&self) {
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

    pub fn links(&self) -> Option<aadsync_store::DeltaLinks> {
        self.store
            .reader()
            .delta_links(&self.run().tenant_id)
            .expect("links")
    }

    /// Reads like the app does: with `links` unless `forced` to compare everything.
    pub async fn read(
        &self,
        graph: &GraphClient,
        selection: &Selection,
        links: Option<&aadsync_store::DeltaLinks>,
        forced: Option<engine::FullReason>,
    ) -> engine::Gathered {
        engine::gather_incremental(
            graph,
            &self.imported(),
            selection,
            links,
            forced,
            &SystemClock,
            &quiet,
        )
        .await
        .expect("gather")
    }

    /// A read comparing everything imported (`aadsync sync --full`), nothing selected.
    pub async fn full_comparison(&self, graph: &GraphClient) -> engine::Gathered {
        self.read(
            graph,
            &Selection::default(),
            None,
            Some(engine::FullReason::Requested),
        )
        .await
    }

    /// One synchronization as the app and the CLI run it (`aadsync_sync::run`): read with the
    /// stored links, check deleted objects when asked (taking the proposed actions), and apply
    /// only when every read completed. The error is the first read that failed. Needs
    /// [`Env::save_org`] first (the run reads the organization's safeguard).
    pub async fn sync_like_the_app(
        &self,
        graph: &GraphClient,
        selection: &Selection,
        check_deleted: bool,
    ) -> Result<ApplyReport, SyncError> {
        let organization = self
            .store
            .reader()
            .organizations()
            .expect("organizations")
            .into_iter()
            .find(|o| o.tenant_id == self.run().tenant_id)
            .expect("save_org first");
        let request = run::RunRequest {
            selection: selection.clone(),
            check_deleted,
            full: false,
        };
        let planned = run::plan_run(
            graph,
            &self.store,
            self.run(),
            &organization,
            &request,
            &SystemClock,
            &quiet,
        )
        .await?;
        let decisions = run::Decisions {
            confirm_mass: true,
            ..run::Decisions::default()
        };
        let changes = planned.decide(&decisions).expect("confirmed");
        let (report, _) = run::apply(
            &self.store,
            &planned.run,
            Arc::new(changes),
            Arc::default(),
            Arc::new(quiet),
        )
        .await?;
        Ok(report)
    }

    /// The first sync of `selection` (a full read; it stores links).
    pub async fn import(&self, graph: &GraphClient, selection: &Selection) -> engine::Gathered {
        let read = self.read(graph, selection, None, None).await;
        engine::apply(&self.store, &self.run(), &read.changes, &quiet).expect("import");
        read
    }

    /// Imports the first `n` users of the tenant (a full read that stores links); their IDs.
    pub async fn import_users(&self, graph: &GraphClient, n: usize) -> Vec<String> {
        let picked = self.ids(&format!("/users?$top={n}&$select=id")).await;
        let selection = Selection {
            users: picked.clone(),
            ..Selection::default()
        };
        self.import(graph, &selection).await;
        picked
    }

    /// Reads with the stored links (or fully without usable ones) and applies.
    pub async fn incremental(&self, graph: &GraphClient) -> (engine::Gathered, ApplyReport) {
        let read = self
            .read(graph, &Selection::default(), self.links().as_ref(), None)
            .await;
        let (report, _) =
            engine::apply(&self.store, &self.run(), &read.changes, &quiet).expect("apply");
        (read, report)
    }
}

/// Object IDs a plan says it creates, and those it says it updates.
pub fn planned(plan: &Plan) -> (BTreeSet<String>, BTreeSet<String>) {
    let ids = |wanted: fn(&ApplyOutcome) -> bool| {
        plan.items()
            .filter(|i| wanted(&i.outcome))
            .map(|i| i.object_id.clone())
            .collect()
    };
    (
        ids(|o| matches!(o, ApplyOutcome::Created)),
        ids(|o| matches!(o, ApplyOutcome::Updated { .. })),
    )
}

/// Object IDs that appeared between two [`Env::stored_objects`], and those whose stored state
/// changed; none may disappear.
pub fn written(
    before: &BTreeMap<String, String>,
    after: &BTreeMap<String, String>,
) -> (BTreeSet<String>, BTreeSet<String>) {
    let gone: Vec<&String> = before.keys().filter(|k| !after.contains_key(*k)).collect();
    assert!(gone.is_empty(), "a sync removed {gone:?}");
    let created = after
        .keys()
        .filter(|k| !before.contains_key(*k))
        .cloned()
        .collect();
    let updated = after
        .iter()
        .filter(|(k, v)| before.get(*k).is_some_and(|b| b != *v))
        .map(|(k, _)| k.clone())
        .collect();
    (created, updated)
}
