//! The seeded generator: a small tenant (20–40 users with guests and disabled accounts, 6–10
//! groups, security groups nested up to three levels) and 5–15 steps, each a few changes in
//! Entra ID followed by one synchronization with random options. Same seed, same case.

use crate::tenant::{
    Change, Field, Group, Id, Life, Tenant, User, alias, aliases, group_id, user_id,
};
use aadsync_emulator::generate::Rng;
use aadsync_sync::deleted::Action;

/// What the administrator does with the objects "Check deleted objects" lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actions {
    /// Takes the proposals as they are.
    Proposals,
    /// Keep, Disable or Delete per object, a function of (this seed, object ID): the model
    /// and the product get the same action for the same object whatever each listed.
    Random(u64),
}

impl Actions {
    pub fn pick(self, id: &str, proposal: Action) -> Action {
        match self {
            Actions::Proposals => proposal,
            Actions::Random(seed) => {
                let mut h = seed;
                for b in id.bytes() {
                    h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
                }
                match Rng::new(h).below(3) {
                    0 => Action::Keep,
                    1 => Action::Disable,
                    _ => Action::Delete,
                }
            }
        }
    }
}

/// One synchronization as the administrator asks for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncSpec {
    /// Selected directly (only the ones still active in Entra ID are sent).
    pub users: Vec<Id>,
    pub groups: Vec<Id>,
    pub members: bool,
    pub nested: bool,
    pub full: bool,
    pub check_deleted: bool,
    pub actions: Actions,
    /// `Reimport::All`.
    pub reimport_all: bool,
    /// Days the clock moves forward before the run (8: past Graph's 7-day window).
    pub advance_days: i64,
}

impl SyncSpec {
    pub fn refresh() -> Self {
        SyncSpec {
            users: vec![],
            groups: vec![],
            members: false,
            nested: false,
            full: false,
            check_deleted: false,
            actions: Actions::Proposals,
            reimport_all: false,
            advance_days: 0,
        }
    }

    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if self.advance_days > 0 {
            parts.push(format!("clock +{} days", self.advance_days));
        }
        if !self.users.is_empty() || !self.groups.is_empty() {
            parts.push(format!(
                "select users {} groups {}{}{}",
                aliases(&self.users),
                aliases(&self.groups),
                if self.members { " +members" } else { "" },
                if self.nested { " +nested" } else { "" },
            ));
        }
        if self.full {
            parts.push("full".into());
        }
        if self.check_deleted {
            parts.push(match self.actions {
                Actions::Proposals => "check deleted (proposals)".into(),
                Actions::Random(s) => format!("check deleted (random actions {s})"),
            });
        }
        if self.reimport_all {
            parts.push("re-import all".into());
        }
        if parts.is_empty() {
            parts.push("refresh".into());
        }
        format!("sync: {}", parts.join(", "))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub changes: Vec<Change>,
    pub sync: SyncSpec,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Case {
    pub seed: u64,
    pub tenant: Tenant,
    pub steps: Vec<Step>,
}

impl Case {
    /// The case for a report: the tenant, then each step (up to `last`).
    pub fn describe(&self, last: usize) -> String {
        let mut out = format!(
            "seed {}; tenant:\n{}",
            self.seed,
            crate::tenant::describe(&self.tenant)
        );
        for (i, step) in self.steps.iter().enumerate().take(last + 1) {
            out += &format!("step {i}:\n");
            for c in &step.changes {
                out += &format!("    {}\n", c.describe());
            }
            out += &format!("    {}\n", step.sync.describe());
        }
        out
    }
}

/// Numbers for new objects and fresh names, so every name in a case is unique.
struct Fresh {
    users: usize,
    groups: usize,
    names: usize,
}

pub fn generate(seed: u64) -> Case {
    let mut rng = Rng::new(seed);
    let tenant = initial(&mut rng);
    let mut fresh = Fresh {
        users: tenant.users.len(),
        groups: tenant.groups.len(),
        names: 0,
    };
    let mut scratch = tenant.clone();
    let count = 5 + rng.below(11);
    let mut steps = Vec::with_capacity(count);
    let mut advances = 0;
    for i in 0..count {
        let mut changes = Vec::new();
        if i > 0 {
            for _ in 0..1 + rng.below(4) {
                if let Some(c) = change(&mut rng, &scratch, &mut fresh) {
                    let applied = c.apply(&mut scratch);
                    assert!(applied, "generated a change that does not apply: {c:?}");
                    changes.push(c);
                }
            }
        }
        let mut sync = sync(&mut rng, &scratch, i == 0);
        // At most three jumps past the window: 24 days stays inside the 30-day recycle bin.
        if i > 0 && advances < 3 && rng.chance(12) {
            sync.advance_days = 8;
            advances += 1;
        }
        steps.push(Step { changes, sync });
    }
    Case {
        seed,
        tenant,
        steps,
    }
}

fn initial(rng: &mut Rng) -> Tenant {
    let mut t = Tenant::default();
    for n in 0..20 + rng.below(21) {
        t.users.insert(user_id(n), person(rng, n, 12));
    }
    let users: Vec<Id> = t.users.keys().cloned().collect();
    for n in 0..6 + rng.below(5) {
        let unified = rng.chance(25);
        let size = 2 + rng.below(7);
        let members = pick_some(rng, &users, size);
        let id = group_id(n);
        let group = Group {
            name: format!("Group {n}"),
            unified,
            members,
            life: Life::Live,
        };
        // Nest each new security group in up to two earlier ones.
        let parents: Vec<Id> = t.groups.keys().cloned().collect();
        t.groups.insert(id.clone(), group);
        if !unified {
            for _ in 0..usize::from(rng.chance(60)) + usize::from(rng.chance(20)) {
                if let Some(parent) = pick(rng, &parents)
                    && t.may_nest(&parent, &id)
                    && let Some(p) = t.groups.get_mut(&parent)
                {
                    p.members.push(id.clone());
                }
            }
        }
    }
    t
}

fn person(rng: &mut Rng, n: usize, guest_percent: u64) -> User {
    let guest = rng.chance(guest_percent);
    let (upn, mail) = if guest {
        let mail = (!rng.chance(30)).then(|| format!("u{n}@fabrikam.com"));
        (
            format!("u{n}_fabrikam.com#EXT#@contoso.onmicrosoft.com"),
            mail,
        )
    } else {
        (
            format!("u{n}@contoso.com"),
            Some(format!("u{n}@contoso.com")),
        )
    };
    User {
        upn,
        display: format!("User {n}"),
        mail,
        department: (!guest).then(|| DEPARTMENTS[rng.below(DEPARTMENTS.len())].to_owned()),
        enabled: !rng.chance(10),
        guest,
        life: Life::Live,
    }
}

const DEPARTMENTS: [&str; 4] = ["Sales", "Finance", "Engineering", "Legal"];

fn pick_some(rng: &mut Rng, from: &[Id], n: usize) -> Vec<Id> {
    let mut out: Vec<Id> = Vec::new();
    for _ in 0..n {
        if from.is_empty() {
            break;
        }
        let pick = from[rng.below(from.len())].clone();
        if !out.contains(&pick) {
            out.push(pick);
        }
    }
    out
}

fn pick<T: Clone>(rng: &mut Rng, items: &[T]) -> Option<T> {
    (!items.is_empty()).then(|| items[rng.below(items.len())].clone())
}

fn users_where(t: &Tenant, f: impl Fn(&User) -> bool) -> Vec<Id> {
    t.users
        .iter()
        .filter(|(_, u)| f(u))
        .map(|(id, _)| id.clone())
        .collect()
}

fn groups_where(t: &Tenant, f: impl Fn(&Group) -> bool) -> Vec<Id> {
    t.groups
        .iter()
        .filter(|(_, g)| f(g))
        .map(|(id, _)| id.clone())
        .collect()
}

/// One random change that applies to `t` (a few tries; `None` when none was found).
fn change(rng: &mut Rng, t: &Tenant, fresh: &mut Fresh) -> Option<Change> {
    for _ in 0..8 {
        let candidate = candidate(rng, t, fresh);
        if let Some(c) = candidate
            && c.apply(&mut t.clone())
        {
            return Some(c);
        }
    }
    None
}

fn candidate(rng: &mut Rng, t: &Tenant, fresh: &mut Fresh) -> Option<Change> {
    let live = users_where(t, |u| u.life == Life::Live);
    let recycled = users_where(t, |u| u.life == Life::Recycled);
    let groups = groups_where(t, |g| g.life == Life::Live);
    let user = pick(rng, &live);
    Some(match rng.below(100) {
        0..10 => {
            fresh.names += 1;
            let field = match rng.below(4) {
                0 => Field::Display(format!("Renamed {}", fresh.names)),
                1 => Field::Department(
                    pick(rng, &DEPARTMENTS.map(str::to_owned)).filter(|_| rng.chance(85)),
                ),
                2 => Field::Mail(
                    rng.chance(85)
                        .then(|| format!("m{}@contoso.com", fresh.names)),
                ),
                _ => {
                    let id = user.clone()?;
                    Field::Upn(format!("{}.r{}@contoso.com", alias(&id), fresh.names))
                }
            };
            Change::SetUser { user: user?, field }
        }
        10..18 => {
            let u = user?;
            let enabled = !t.users.get(&u)?.enabled;
            Change::SetUser {
                user: u,
                field: Field::Enabled(enabled),
            }
        }
        18..36 => Change::AddMember {
            group: pick(rng, &groups)?,
            member: user?,
        },
        36..52 => {
            let group = pick(rng, &groups)?;
            let members: Vec<Id> = t.visible_members(&group).into_iter().cloned().collect();
            Change::RemoveMember {
                group,
                member: pick(rng, &members)?,
            }
        }
        52..60 => Change::AddMember {
            group: pick(rng, &groups)?,
            member: pick(rng, &groups)?,
        },
        60..68 => Change::DeleteUser {
            user: pick(rng, &[live, recycled.clone()].concat())?,
            hard: rng.chance(35),
        },
        68..74 => Change::RestoreUser {
            user: pick(rng, &recycled)?,
        },
        74..82 => {
            let n = fresh.users;
            fresh.users += 1;
            Change::NewUser {
                id: user_id(n),
                user: person(rng, n, 30),
            }
        }
        82..87 => {
            let n = fresh.groups;
            fresh.groups += 1;
            let live = users_where(t, |u| u.life == Life::Live);
            let size = rng.below(5);
            Change::NewGroup {
                id: group_id(n),
                group: Group {
                    name: format!("Group {n}"),
                    unified: rng.chance(30),
                    members: pick_some(rng, &live, size),
                    life: Life::Live,
                },
            }
        }
        87..91 => {
            fresh.names += 1;
            Change::RenameGroup {
                group: pick(rng, &groups)?,
                name: format!("Team {}", fresh.names),
            }
        }
        91..96 => Change::DeleteGroup {
            group: pick(rng, &groups)?,
        },
        _ => Change::RestoreGroup {
            group: pick(rng, &groups_where(t, |g| g.life == Life::Recycled))?,
        },
    })
}

fn sync(rng: &mut Rng, t: &Tenant, first: bool) -> SyncSpec {
    let mut spec = SyncSpec::refresh();
    if first || rng.chance(55) {
        let users = users_where(t, |u| u.life == Life::Live);
        let groups = groups_where(t, |g| g.life == Life::Live);
        let (n_users, n_groups) = (rng.below(3), usize::from(first) + rng.below(2));
        spec.users = pick_some(rng, &users, n_users);
        spec.groups = pick_some(rng, &groups, n_groups);
        spec.members = rng.chance(75);
        // "…and of the groups inside them" only makes sense with members.
        spec.nested = spec.members && rng.chance(60);
    }
    if !first {
        spec.full = rng.chance(25);
        spec.check_deleted = rng.chance(35);
        if spec.check_deleted && rng.chance(50) {
            spec.actions = Actions::Random(rng.next_u64());
        }
        spec.reimport_all = rng.chance(12);
    }
    spec
}

/// What a case exercises, by name: every kind of change and of synchronization option.
fn exercised(case: &Case) -> std::collections::BTreeSet<&'static str> {
    let group = |id: &Id| id.starts_with('b');
    let mut out = std::collections::BTreeSet::new();
    for step in &case.steps {
        for c in &step.changes {
            out.insert(match c {
                Change::SetUser { field, .. } => match field {
                    Field::Display(_) => "rename user",
                    Field::Department(_) => "department",
                    Field::Mail(_) => "mail",
                    Field::Upn(_) => "new UPN",
                    Field::Enabled(true) => "enable",
                    Field::Enabled(false) => "disable",
                },
                Change::AddMember { member, .. } if group(member) => "nest",
                Change::AddMember { .. } => "add member",
                Change::RemoveMember { member, .. } if group(member) => "un-nest",
                Change::RemoveMember { .. } => "remove member",
                Change::DeleteUser { hard: true, .. } => "hard delete",
                Change::DeleteUser { hard: false, .. } => "soft delete",
                Change::RestoreUser { .. } => "restore user",
                Change::NewUser { user, .. } if user.guest => "new guest",
                Change::NewUser { .. } => "new user",
                Change::NewGroup { .. } => "new group",
                Change::RenameGroup { .. } => "rename group",
                Change::DeleteGroup { .. } => "delete group",
                Change::RestoreGroup { .. } => "restore group",
            });
        }
        let s = &step.sync;
        let options = [
            (!s.users.is_empty(), "select users"),
            (!s.groups.is_empty() && !s.members, "select groups alone"),
            (s.members && !s.nested, "select with members"),
            (s.nested, "select nested"),
            (s.users.is_empty() && s.groups.is_empty(), "no selection"),
            (s.full, "full"),
            (
                s.check_deleted && s.actions == Actions::Proposals,
                "proposals",
            ),
            (matches!(s.actions, Actions::Random(_)), "random actions"),
            (s.reimport_all, "re-import all"),
            (s.advance_days > 0, "window lapsed"),
        ];
        out.extend(options.iter().filter(|(on, _)| *on).map(|(_, name)| *name));
    }
    out
}

/// The sequences the test command runs exercise every change and every option, and the same
/// seed gives the same case.
#[test]
fn the_generator_exercises_everything() {
    let mut all = std::collections::BTreeSet::new();
    for seed in 1..=crate::DEFAULT_SEQUENCES {
        all.extend(exercised(&generate(seed)));
    }
    let expected = [
        "rename user",
        "department",
        "mail",
        "new UPN",
        "enable",
        "disable",
        "nest",
        "add member",
        "un-nest",
        "remove member",
        "hard delete",
        "soft delete",
        "restore user",
        "new guest",
        "new user",
        "new group",
        "rename group",
        "delete group",
        "restore group",
        "select users",
        "select groups alone",
        "select with members",
        "select nested",
        "no selection",
        "full",
        "proposals",
        "random actions",
        "re-import all",
        "window lapsed",
    ];
    let missing: Vec<&str> = expected.into_iter().filter(|e| !all.contains(e)).collect();
    assert!(missing.is_empty(), "never generated: {missing:?}");
    assert_eq!(generate(7), generate(7));
}
