//! Runs a case: each step's changes go to the mirror and (when they still apply) through the
//! control API to the emulator; then one synchronization as the app runs it
//! (`aadsync_sync::run`: `plan_run`, `decide`, `apply`) and the same synchronization in the
//! model; then the oracles:
//! - the emulator shows what the test changed (else the other checks mean little);
//! - "Check deleted objects" lists what the model lists, with the same proposals;
//! - the database equals the model's, and its scope reasons are the model's (the same roots
//!   per object, each path a shortest chain of the tenant);
//! - a copy of the database synchronized once more with `full: true` (no selection, no
//!   check) ends exactly where the database is, reasons and their paths included:
//!   incremental ≡ full.

use crate::Env;
use crate::db::{self, Difference};
use crate::generate::{Actions, Case, SyncSpec};
use crate::spec::{Db, Listed, Model};
use crate::tenant::{Id, Life, Tenant, alias};
use aadsync_store::{ObjectKind, Store};
use aadsync_sync::clock::FixedClock;
use aadsync_sync::deleted::Finding;
use aadsync_sync::engine::{Progress, Selection};
use aadsync_sync::run::{self, Decisions, Reimport, RunRequest};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

/// The first step with differences.
#[derive(Debug, Clone)]
pub struct Failure {
    pub step: usize,
    pub differences: Vec<Difference>,
}

impl Failure {
    /// The kind of the first difference: a shrunk case must still fail with it.
    pub fn category(&self) -> &str {
        self.differences.first().map_or("", |d| d.category.as_str())
    }

    pub fn has(&self, category: &str) -> bool {
        self.differences.iter().any(|d| d.category == category)
    }
}

pub fn quiet(_: Progress) {}

/// The seed, the steps up to the failing one, and the differences.
pub fn report(case: &Case, failure: &Failure) -> String {
    let mut out = format!(
        "model test: seed {} differs at step {}\n{}differences:\n",
        case.seed,
        failure.step,
        case.describe(failure.step)
    );
    for d in &failure.differences {
        out += &format!("  [{}] {}\n", d.category, d.detail);
    }
    out
}

/// Runs the case and every oracle after each step: up to the first step with a difference
/// (`stop`), or to the end (later differences may follow from earlier ones, except the
/// incremental ≡ full ones, which compare the database with itself).
pub async fn replay_steps(case: &Case, stop: bool) -> Vec<Failure> {
    let env = Env::start(&case.tenant).await;
    let mut tenant = case.tenant.clone();
    let mut model = Model::default();
    let mut failures = Vec::new();
    for (i, step) in case.steps.iter().enumerate() {
        for change in &step.changes {
            if change.apply(&mut tenant) {
                env.change(change).await;
            }
        }
        let differences = run_step(&env, &tenant, &mut model, &step.sync, i).await;
        if !differences.is_empty() {
            failures.push(Failure {
                step: i,
                differences,
            });
            if stop {
                break;
            }
        }
    }
    failures
}

/// One synchronization and every oracle after it.
async fn run_step(
    env: &Env,
    tenant: &Tenant,
    model: &mut Model,
    spec: &SyncSpec,
    step: usize,
) -> Vec<Difference> {
    if spec.advance_days > 0 {
        env.emulator.clock().advance(spec.advance_days * crate::DAY);
    }
    let mut differences = emulator_differences(env, tenant).await;
    let listed = match sync(env, &env.store, tenant, spec).await {
        Ok(listed) => listed,
        Err(e) => {
            differences.push(Difference {
                category: "sync: error".into(),
                detail: e,
            });
            return differences;
        }
    };
    let actions = spec.actions;
    let expected = model.sync(tenant, spec, &|l: &Listed| {
        actions.pick(&l.id, l.proposal.action())
    });
    if spec.check_deleted {
        let want: BTreeSet<String> = expected.iter().map(listed_text).collect();
        for line in want.difference(&listed) {
            differences.push(Difference {
                category: "check deleted: missing".into(),
                detail: format!("the model lists {line}, the sync does not"),
            });
        }
        for line in listed.difference(&want) {
            differences.push(Difference {
                category: "check deleted: extra".into(),
                detail: format!("the sync lists {line}, the model does not"),
            });
        }
    }
    let tenant_id = env.emulator.tenant_id();
    let actual = db::project(&env.store, &tenant_id);
    differences.extend(db::differences("model", "model", "db", &model.db, &actual));
    let reasons = db::reasons(&env.store, &tenant_id);
    differences.extend(db::reason_differences(
        &model.reasons(tenant),
        tenant,
        &reasons,
    ));
    differences.extend(full_differences(env, tenant, &actual, &reasons, step).await);
    differences
}

/// Incremental ≡ full: a copy synchronized with `full: true` holds what the database holds,
/// down to the path of each reason (rule 5: "ends in the same state").
async fn full_differences(
    env: &Env,
    tenant: &Tenant,
    actual: &Db,
    reasons: &db::StoredReasons,
    step: usize,
) -> Vec<Difference> {
    let (copy, path) = env.copy(&format!("full-{step}.sqlite3"));
    let spec = SyncSpec {
        full: true,
        ..SyncSpec::refresh()
    };
    let result = sync(env, &copy, tenant, &spec).await;
    let after = db::project(&copy, &env.emulator.tenant_id());
    let after_reasons = db::reasons(&copy, &env.emulator.tenant_id());
    drop(copy);
    let _ = std::fs::remove_file(&path);
    match result {
        Ok(_) => {
            let (want, got) = ("db", "after a full sync");
            let mut out = db::differences("full", want, got, actual, &after);
            out.extend(db::stored_reason_differences(
                "full",
                want,
                got,
                reasons,
                &after_reasons,
            ));
            out
        }
        Err(e) => vec![Difference {
            category: "full: error".into(),
            detail: e,
        }],
    }
}

/// How a listed object is compared: who, the finding, the proposal.
fn listed_text(l: &Listed) -> String {
    format!(
        "{} {} {:?} proposed {:?}",
        if l.group { "group" } else { "user" },
        alias(&l.id),
        l.finding,
        l.proposal.action()
    )
}

/// One synchronization as the app runs it, with the emulator's time; what "Check deleted
/// objects" listed, in [`listed_text`]'s form.
pub async fn sync(
    env: &Env,
    store: &Arc<Store>,
    tenant: &Tenant,
    spec: &SyncSpec,
) -> Result<BTreeSet<String>, String> {
    let now = u64::try_from(env.emulator.clock().now()).expect("after 1970");
    let clock = FixedClock::at_unix(now);
    let graph = env.graph();
    let organization = Env::organization(store, &env.emulator.tenant_id());
    // Only what Entra ID still has can be selected (a shrunk case may have lost it).
    let live =
        |ids: &[Id], ok: &dyn Fn(&Id) -> bool| ids.iter().filter(|i| ok(i)).cloned().collect();
    let request = RunRequest {
        selection: Selection {
            users: live(&spec.users, &|u| tenant.live_user(u).is_some()),
            groups: live(&spec.groups, &|g| tenant.live_group(g).is_some()),
            members: spec.members,
            nested: spec.nested,
            ..Default::default()
        },
        check_deleted: spec.check_deleted,
        full: spec.full,
    };
    let planned = run::plan_run(
        &graph,
        store,
        env.run(),
        &organization,
        &request,
        &clock,
        &quiet,
    )
    .await
    .map_err(|e| format!("plan_run: {e}"))?;
    let listed = planned
        .deleted
        .iter()
        .map(|o| {
            let finding = match o.finding {
                Finding::SoftDeleted { .. } => "SoftDeleted",
                Finding::HardDeleted => "HardDeleted",
                Finding::DisabledInEntra => "DisabledInEntra",
                Finding::OutOfScope { .. } => "OutOfScope",
            };
            let kind = if o.kind == ObjectKind::Group {
                "group"
            } else {
                "user"
            };
            format!(
                "{kind} {} {finding} proposed {:?}",
                alias(&o.object_id),
                o.action
            )
        })
        .collect();
    let actions: HashMap<String, _> = match spec.actions {
        Actions::Proposals => HashMap::new(),
        Actions::Random(_) => planned
            .deleted
            .iter()
            .map(|o| {
                (
                    o.object_id.clone(),
                    spec.actions.pick(&o.object_id, o.action),
                )
            })
            .collect(),
    };
    let decisions = Decisions {
        actions,
        default_action: None,
        reimport: if spec.reimport_all {
            Reimport::All
        } else {
            Reimport::None
        },
        confirm_mass: true,
        resolutions: Default::default(),
    };
    let changes = planned
        .decide(&decisions)
        .map_err(|e| format!("decide: {e}"))?;
    run::apply(
        store,
        &planned.run,
        Arc::new(changes),
        Arc::default(),
        Arc::new(quiet),
    )
    .await
    .map_err(|e| format!("apply: {e}"))?;
    Ok(listed)
}

/// The tenant as a plain HTTP client reads it from Graph, against the test's record of it.
async fn emulator_differences(env: &Env, tenant: &Tenant) -> Vec<Difference> {
    let mut out = Vec::new();
    let mut push = |detail: String| {
        out.push(Difference {
            category: "emulator".into(),
            detail,
        });
    };
    let users = env
        .graph_json("/users?$select=id,userPrincipalName,displayName,mail,department,accountEnabled&$top=999")
        .await;
    let got: BTreeMap<String, String> = users["value"]
        .as_array()
        .expect("users")
        .iter()
        .filter(|u| u["userPrincipalName"] != env.admin.as_str())
        .map(|u| {
            let text = format!(
                "{} {} {} {} {}",
                u["userPrincipalName"],
                u["displayName"],
                u["mail"],
                u["department"],
                u["accountEnabled"]
            );
            (u["id"].as_str().expect("id").to_owned(), text)
        })
        .collect();
    let want: BTreeMap<String, String> = tenant
        .users
        .iter()
        .filter(|(_, u)| u.life == Life::Live)
        .map(|(id, u)| {
            let json = |v: &Option<String>| serde_json::json!(v).to_string();
            let text = format!(
                "{} {} {} {} {}",
                serde_json::json!(u.upn),
                serde_json::json!(u.display),
                json(&u.mail),
                json(&u.department),
                u.enabled
            );
            (id.clone(), text)
        })
        .collect();
    if got != want {
        push(format!("users: Graph {got:?}, changes made {want:?}"));
    }
    for (id, g) in tenant.groups.iter().filter(|(_, g)| g.life == Life::Live) {
        let page = env
            .graph_json(&format!("/groups/{id}/members?$select=id&$top=999"))
            .await;
        let got: BTreeSet<String> = page["value"]
            .as_array()
            .map(|v| {
                v.iter()
                    .map(|m| alias(m["id"].as_str().unwrap_or_default()))
                    .collect()
            })
            .unwrap_or_default();
        let want: BTreeSet<String> = tenant
            .visible_members(id)
            .into_iter()
            .map(|m| alias(m))
            .collect();
        if got != want {
            push(format!(
                "members of {} ({:?}): Graph {got:?}, changes made {want:?}",
                alias(id),
                g.name
            ));
        }
    }
    let groups = env.graph_json("/groups?$select=id&$top=999").await;
    let got: BTreeSet<String> = groups["value"]
        .as_array()
        .expect("groups")
        .iter()
        .map(|g| alias(g["id"].as_str().expect("id")))
        .collect();
    let want: BTreeSet<String> = tenant
        .groups
        .iter()
        .filter(|(_, g)| g.life == Life::Live)
        .map(|(id, _)| alias(id))
        .collect();
    if got != want {
        push(format!("groups: Graph {got:?}, changes made {want:?}"));
    }
    out
}
