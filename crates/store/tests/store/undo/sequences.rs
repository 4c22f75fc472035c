//! Generated sequences (seeded, reproducible) of synchronizations of a changing tenant, local
//! edits, and undos of any run not undone yet with random answers to its conflicts. After
//! every step:
//! - the audit log only grew: every run, item, changeset and decision row there before is
//!   still there with every column unchanged;
//! - a run is shown undone exactly when this test undid it;
//! - SQLite's integrity and foreign-key checks pass, and no user is both imported and
//!   tombstoned;
//! - an undo changes no object its run did not change: every local user, and every imported
//!   user, group, membership, tombstone and organization outside the run's items, is as it was
//!   (objects known by what they are — object ID, tenant — never by row id);
//! - the model: while only undos of newer runs happened since a run, it is the newest one not
//!   undone, its undo meets no conflict, and all but the audit log becomes exactly what it was
//!   right before that run.
//!
//! `AADSYNC_UNDO_SEED=N` runs one sequence, `AADSYNC_UNDO_SEQUENCES=N` that many (200).

use super::tenant::{Person, Team, Tenant, links};
use super::view::{people, statuses, tombstones};
use super::{assert_intact, assert_log_kept, state};
use crate::support::{Db, Dump, assert_same, contoso_with_carl, dump, local, run};
use aadsync_store::{
    AuthType, LocalUserEdit, ObjectKind, PasswordPolicy, Removal, RemovalAction, Resolution,
    RunKind, RunStatus, StoreError, UndoChoices, UserId,
};
use std::collections::{BTreeMap, BTreeSet};

/// xorshift64*: small, seeded, the same sequence on every machine.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn pick<T: Clone>(&mut self, items: &[T]) -> Option<T> {
        (!items.is_empty()).then(|| items[self.below(items.len())].clone())
    }
}

struct World {
    db: Db,
    rng: Rng,
    tenant: Tenant,
    serial: usize,
    /// Runs whose undo must give back all but the audit log as right before them, newest
    /// last: nothing but undos of the newer ones in this stack happened since.
    clean: Vec<(i64, Dump)>,
    /// The runs this test undid.
    undone: BTreeSet<i64>,
    /// What happened so far, printed when a check fails.
    steps: Vec<String>,
    model_checks: usize,
}

impl World {
    fn new(seed: u64) -> Self {
        let mut tenant = Tenant::default();
        for i in 0..6 {
            tenant.hire(&format!("p{i}"), &format!("Person {i}"));
        }
        for (i, name) in ["Sales", "Ops"].iter().enumerate() {
            tenant.teams.insert(
                format!("g-{i}"),
                Team {
                    name: (*name).to_owned(),
                    members: (0..6)
                        .filter(|p| p % 2 == i)
                        .map(|p| format!("o-p{p}"))
                        .collect(),
                },
            );
        }
        World {
            db: contoso_with_carl(),
            rng: Rng::new(seed),
            tenant,
            serial: 100,
            clean: Vec::new(),
            undone: BTreeSet::new(),
            steps: Vec::new(),
            model_checks: 0,
        }
    }

    fn fresh(&mut self) -> usize {
        self.serial += 1;
        self.serial
    }

    fn some_person(&mut self) -> Option<String> {
        let ids: Vec<String> = self.tenant.people.keys().cloned().collect();
        self.rng.pick(&ids)
    }

    fn some_team(&mut self) -> Option<String> {
        let ids: Vec<String> = self.tenant.teams.keys().cloned().collect();
        self.rng.pick(&ids)
    }

    /// One change in Entra ID.
    fn change_tenant(&mut self) -> String {
        let n = self.fresh();
        let person = self.some_person();
        let team = self.some_team();
        let action = if self.rng.chance(50) {
            RemovalAction::Delete
        } else {
            RemovalAction::Disable
        };
        let t = &mut self.tenant;
        match (self.rng.below(11), person, team) {
            (0, _, _) | (_, None, _) => {
                t.hire(&format!("p{n}"), &format!("Person {n}"));
                format!("hire p{n}")
            }
            (1, Some(p), _) => {
                t.people.get_mut(&p).expect("p").name = format!("Renamed {n}");
                format!("rename {p}")
            }
            (2, Some(p), _) => {
                t.people.get_mut(&p).expect("p").upn = format!("u{n}@contoso.com");
                format!("new UPN for {p}")
            }
            (3, Some(p), _) => {
                let d = ["R&D", "Sales", "Ops"][n % 3];
                t.people.get_mut(&p).expect("p").department = d.into();
                format!("{p} to {d}")
            }
            (4, Some(p), _) => {
                let person: &mut Person = t.people.get_mut(&p).expect("p");
                person.enabled = !person.enabled;
                format!("{p} enabled = {}", person.enabled)
            }
            (5 | 6, Some(p), Some(g)) => {
                let members = &mut t.teams.get_mut(&g).expect("g").members;
                if members.remove(&p) {
                    format!("{p} leaves {g}")
                } else {
                    members.insert(p.clone());
                    format!("{p} joins {g}")
                }
            }
            (7, Some(p), _) => {
                let short = p.trim_start_matches("o-").to_owned();
                t.fire(&short, action);
                format!("{p} deleted ({action:?})")
            }
            (8, Some(p), _) => {
                let members = BTreeSet::from([p]);
                let name = format!("Team {n}");
                t.teams.insert(format!("g-{n}"), Team { name, members });
                format!("new team g-{n}")
            }
            (9, _, Some(g)) => {
                t.teams.get_mut(&g).expect("g").name = format!("Team {n}");
                format!("rename {g}")
            }
            (10, _, Some(g)) => {
                t.teams.remove(&g);
                t.removals.push(Removal {
                    kind: ObjectKind::Group,
                    object_id: g.clone(),
                    action,
                    deletion: None,
                    reason: "deleted in Entra ID".into(),
                });
                format!("{g} deleted ({action:?})")
            }
            _ => "nothing".into(),
        }
    }

    fn sync(&mut self) -> String {
        let changes: Vec<String> = (0..1 + self.rng.below(4))
            .map(|_| self.change_tenant())
            .collect();
        let deleted_here = tombstones(self.db.store.writer().connection());
        let skipped = if self.rng.chance(20) {
            BTreeSet::new()
        } else {
            deleted_here
        };
        if self.rng.chance(60) {
            let n = u32::try_from(self.serial).unwrap_or_default();
            self.tenant.delta = Some(links(n));
        }
        let before = state(self.db.store.writer().connection());
        let report = self
            .db
            .store
            .writer()
            .apply_directory_changes(&run(), &self.tenant.sync_without(&skipped))
            .expect("sync");
        self.clean.push((report.run_id, before));
        format!("sync #{} ({})", report.run_id, changes.join(", "))
    }

    fn local_edit(&mut self) -> String {
        self.clean.clear();
        let rows = self.db.store.reader().user_rows().expect("rows");
        let of = |kind: AuthType| -> Vec<(UserId, String)> {
            rows.iter()
                .filter(|r| (r.auth_type == AuthType::AzureAd) == (kind == AuthType::AzureAd))
                .map(|r| (r.id, r.account_name.clone()))
                .collect()
        };
        let (locals, imported) = (of(AuthType::Local), of(AuthType::AzureAd));
        let n = self.fresh();
        let store = &self.db.store;
        match self.rng.below(5) {
            1 | 3 => {
                let pool = if self.rng.chance(50) {
                    &locals
                } else {
                    &imported
                };
                let Some((id, name)) = self.rng.pick(pool) else {
                    return "no edit".into();
                };
                let u = store.reader().user(id).expect("user");
                let local = u.auth_type != AuthType::AzureAd;
                let edit = LocalUserEdit {
                    account_name: u.account_name,
                    full_name: if local {
                        format!("Local {n}")
                    } else {
                        u.full_name
                    },
                    email: u.email,
                    phone: u.phone,
                    department: u.department,
                    description: format!("note {n}"),
                    enabled: u.enabled,
                    auth_type: u.auth_type,
                    new_password: None,
                };
                let policy = PasswordPolicy::default();
                store
                    .writer()
                    .update_user(id, &edit, &policy)
                    .expect("edit");
                format!("edit {name}")
            }
            2 | 4 => {
                let pool = if self.rng.chance(50) {
                    &locals
                } else {
                    &imported
                };
                let Some((id, name)) = self.rng.pick(pool) else {
                    return "no delete".into();
                };
                store.writer().delete_user(id).expect("delete");
                format!("delete {name}")
            }
            _ => {
                let name = format!("l{n}");
                let policy = PasswordPolicy::default();
                store
                    .writer()
                    .create_local_user(&local(&name), &policy)
                    .expect("create");
                format!("create {name}")
            }
        }
    }

    /// Undoes a run not undone yet (the newest one half of the time).
    fn undo(&mut self) -> String {
        let undoable: Vec<i64> = self
            .db
            .store
            .reader()
            .runs()
            .expect("runs")
            .into_iter()
            .filter(|r| r.kind == RunKind::Sync && r.status == RunStatus::Succeeded)
            .map(|r| r.id)
            .collect();
        let target = if self.rng.chance(50) {
            undoable.first().copied()
        } else {
            self.rng.pick(&undoable)
        };
        let Some(target) = target else {
            return "nothing to undo".into();
        };
        let plan = self
            .db
            .store
            .writer()
            .undo_preview(target)
            .expect("preview");
        let mut choices = UndoChoices {
            all: if self.rng.chance(50) {
                Resolution::Restore
            } else {
                Resolution::KeepNewer
            },
            ..UndoChoices::default()
        };
        for c in &plan.conflicts {
            if self.rng.chance(30) {
                let each = if self.rng.chance(50) {
                    Resolution::Restore
                } else {
                    Resolution::KeepNewer
                };
                choices.each.insert(c.id, each);
            }
        }
        let untouched = |key: &str| !touched(&self.db, target, key);
        let objects_before = objects(self.db.store.writer().connection());
        let top = self.clean.last().map(|(id, _)| *id) == Some(target);
        if top {
            assert!(
                plan.conflicts.is_empty(),
                "run #{target} is the newest with only undos since, yet: {:?}",
                plan.conflicts
            );
        }
        let outcome = self
            .db
            .store
            .writer()
            .undo_run(target, &plan.token, &choices, "admin", &|| false)
            .expect("undo");
        self.undone.insert(target);
        let objects_after = objects(self.db.store.writer().connection());
        for key in objects_before.keys().chain(objects_after.keys()) {
            if untouched(key) {
                assert_eq!(
                    objects_before.get(key),
                    objects_after.get(key),
                    "the undo of run #{target} changed {key}, no part of that run"
                );
            }
        }
        let again = self.db.store.writer().undo_preview(target);
        assert!(
            matches!(&again, Err(StoreError::Invalid(m)) if m.contains("undone already")),
            "{again:?}"
        );
        if top {
            let (_, before) = self.clean.pop().expect("top");
            let now = state(self.db.store.writer().connection());
            assert_same(&now, &before, &format!("undo of the newest run #{target}"));
            self.model_checks += 1;
        } else {
            self.clean.clear();
        }
        format!(
            "undo #{target} ({} conflicts, {:?}, {} each; {} reverted, {} kept)",
            plan.conflicts.len(),
            choices.all,
            choices.each.len(),
            outcome.reverted,
            outcome.kept
        )
    }

    fn step(&mut self) {
        let said = match self.rng.below(10) {
            _ if self.steps.is_empty() => self.sync(),
            0..=4 => self.sync(),
            5 | 6 => self.local_edit(),
            _ => self.undo(),
        };
        self.steps.push(said);
    }

    /// The checks after every step, against the dump after the step before.
    fn check(&self, before: &Dump) -> Dump {
        let writer = self.db.store.writer();
        let conn = writer.connection();
        let now = dump(conn);
        assert_log_kept(before, &now, "append-only");
        assert_intact(conn, "after the step");
        let imported: BTreeSet<String> = people(conn).into_keys().collect();
        let deleted_here = tombstones(conn);
        let both: Vec<&String> = imported.intersection(&deleted_here).collect();
        assert!(both.is_empty(), "imported and tombstoned: {both:?}");
        drop(writer);
        let shown: BTreeMap<i64, RunStatus> = statuses(&self.db.store);
        for (id, status) in &shown {
            assert_eq!(
                *status == RunStatus::Undone,
                self.undone.contains(id),
                "run #{id} shown {status}"
            );
        }
        now
    }
}

/// Every object by what it is: "user:<object ID>", "local:<row id>" (a local user never
/// becomes another), "group:<object ID>", "member:<group>:<user>", "tombstone:<object ID>",
/// "org:<tenant>"; each with its row (imported objects: the server's and Entra ID's columns
/// together), but for the time a synchronization writes outside its changeset.
fn objects(conn: &rusqlite::Connection) -> BTreeMap<String, String> {
    const QUERIES: [&str; 6] = [
        "SELECT 'user:' || a.object_id, u.account_name, u.account_key, u.enabled, u.full_name,
                u.email, u.phone, u.department, u.description, u.updated_at,
                a.user_principal_name, a.display_name, a.department, a.account_enabled,
                a.deleted_in_directory, a.imported_via
         FROM users u JOIN azure_users a ON a.user_id = u.id",
        "SELECT 'local:' || u.id, u.* FROM users u
         WHERE u.id NOT IN (SELECT user_id FROM azure_users)",
        "SELECT 'group:' || a.object_id, g.name, g.description, g.updated_at, a.display_name,
                a.description, a.deleted_in_directory
         FROM groups g JOIN azure_groups a ON a.group_id = g.id",
        "SELECT 'member:' || coalesce(g.object_id, 'local:' || m.group_id) || ':' ||
                coalesce(u.object_id, 'local:' || m.user_id), m.source
         FROM memberships m LEFT JOIN azure_groups g ON g.group_id = m.group_id
         LEFT JOIN azure_users u ON u.user_id = m.user_id",
        "SELECT 'tombstone:' || object_id, * FROM azure_user_tombstones",
        "SELECT 'org:' || tenant_id, * FROM organizations",
    ];
    let mut all = BTreeMap::new();
    for sql in QUERIES {
        let mut stmt = conn.prepare(sql).expect(sql);
        let n = stmt.column_count();
        let rows = stmt
            .query_map([], |r| {
                let values: Vec<rusqlite::types::Value> =
                    (1..n).map(|i| r.get(i)).collect::<Result<_, _>>()?;
                Ok((r.get::<_, String>(0)?, format!("{values:?}")))
            })
            .expect(sql);
        for row in rows {
            let (key, values) = row.expect(sql);
            all.insert(key, values);
        }
    }
    all
}

/// Whether the object `key` names is one run `run_id` created, updated, disabled or deleted
/// (a membership: its group or its user), or its organization.
fn touched(db: &Db, run_id: i64, key: &str) -> bool {
    let writer = db.store.writer();
    let conn = writer.connection();
    let changed = |object_id: &str| -> bool {
        conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM sync_run_items WHERE run_id = ?1 AND object_id = ?2
                              AND outcome IN ('created', 'updated', 'disabled', 'deleted'))",
            rusqlite::params![run_id, object_id],
            |r| r.get(0),
        )
        .expect("items")
    };
    let (kind, rest) = key.split_once(':').expect("key");
    match kind {
        "user" | "group" | "tombstone" => changed(rest),
        "member" => {
            let (group, user) = rest.rsplit_once(':').expect("member");
            changed(group) || changed(user)
        }
        "org" => conn
            .query_row(
                "SELECT tenant_id = ?2 FROM sync_runs WHERE id = ?1",
                rusqlite::params![run_id, rest],
                |r| r.get(0),
            )
            .expect("run"),
        _ => false,
    }
}

fn sequence(seed: u64) -> usize {
    let mut world = World::new(seed);
    let mut before = dump(world.db.store.writer().connection());
    let steps = 8 + (seed % 8) as usize;
    for _ in 0..steps {
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            world.step();
            world.check(&before)
        }));
        match outcome {
            Ok(now) => before = now,
            Err(panic) => {
                eprintln!(
                    "AADSYNC_UNDO_SEED={seed}: failed after the steps:\n  {}",
                    world.steps.join("\n  ")
                );
                std::panic::resume_unwind(panic);
            }
        }
    }
    world.model_checks
}

#[test]
fn generated_sequences_keep_the_audit_log_and_undo_to_the_model() {
    let env = |name: &str| std::env::var(name).ok().and_then(|v| v.parse::<u64>().ok());
    let seeds: Vec<u64> = match env("AADSYNC_UNDO_SEED") {
        Some(seed) => vec![seed],
        None => (1..=env("AADSYNC_UNDO_SEQUENCES").unwrap_or(200)).collect(),
    };
    let checks: usize = seeds.iter().map(|s| sequence(*s)).sum();
    println!(
        "{} sequences, {checks} undos checked against the model",
        seeds.len()
    );
    if seeds.len() >= 100 {
        assert!(checks >= seeds.len() / 2, "only {checks} model checks");
    }
}
