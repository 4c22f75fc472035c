//! The model: ARCHITECTURE.md's "What a synchronization decides", written as code from that
//! section alone (never from the sync's implementation). It keeps what the database must
//! hold after each synchronization — the imported users and groups, their Azure AD members,
//! the tombstones, and why each object is in scope ([`Model::reasons`]) — plus the
//! organization's scope roots and the administrator's standing decisions, and moves them on
//! by one synchronization at a time from the tenant as Graph shows it ([`Tenant`], the test's
//! own record of what it changed).
//!
//! Where the section leaves a choice open, the reading taken is stated at the rule as
//! "Reading:" (and listed in the report of issue 19).

use crate::generate::SyncSpec;
use crate::tenant::{Id, Life, Tenant};
use aadsync_sync::deleted::Action;
use std::collections::{BTreeMap, BTreeSet};

/// An imported user as the database must hold it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRow {
    pub upn: String,
    pub display: String,
    pub mail: Option<String>,
    pub department: Option<String>,
    /// Entra ID's `accountEnabled` as last read.
    pub entra_enabled: bool,
    /// The server account (`users.enabled`).
    pub enabled: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupRow {
    pub name: String,
    /// Object IDs of its Azure AD members (`memberships.source = 'azure_ad'`).
    pub members: BTreeSet<Id>,
}

/// The database, projected to what the rules decide.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Db {
    pub users: BTreeMap<Id, UserRow>,
    pub groups: BTreeMap<Id, GroupRow>,
    /// Azure AD users deleted on this server.
    pub tombstones: BTreeSet<Id>,
}

/// Why "Check deleted objects" lists an object (the finding a decision is recorded with).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Finding {
    SoftDeleted,
    HardDeleted,
    DisabledInEntra,
    OutOfScope,
}

/// One line of "Check deleted objects".
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Listed {
    pub id: Id,
    pub group: bool,
    pub finding: Finding,
    /// Keep or Disable.
    pub proposal: Proposal,
}

/// `Action` has no `Ord`; the proposals are only these two.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Proposal {
    Keep,
    Disable,
}

impl Proposal {
    pub fn action(self) -> Action {
        match self {
            Proposal::Keep => Action::Keep,
            Proposal::Disable => Action::Disable,
        }
    }
}

/// A scope root's flags.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Flags {
    members: bool,
    nested: bool,
}

#[derive(Debug, Clone, Default)]
pub struct Model {
    pub db: Db,
    user_roots: BTreeSet<Id>,
    group_roots: BTreeMap<Id, Flags>,
    /// Standing disable decisions: user → the finding it was taken for.
    disabled: BTreeMap<Id, Finding>,
    /// Standing keep decisions: (object, finding).
    kept: BTreeSet<(Id, Finding)>,
}

/// The objects in scope now.
#[derive(Debug, Default)]
pub struct Scope {
    pub users: BTreeSet<Id>,
    pub groups: BTreeSet<Id>,
}

/// The reasons an object is in scope: root → how many groups its path goes through (0 for
/// the root itself). Which of several shortest paths is stored is left open by
/// ARCHITECTURE.md, so the model decides only their length; `db::reason_differences` checks
/// that the stored path is a real chain of the tenant.
pub type Reasons = BTreeMap<Id, BTreeMap<Id, usize>>;

impl Model {
    /// "An object is in scope when it has at least one reason, computed from IDs on the
    /// tenant as Graph shows it now (a deleted user is a member of nothing)": the objects
    /// [`Model::reasons`] gives a reason.
    pub fn scope(&self, t: &Tenant) -> Scope {
        let mut scope = Scope::default();
        for id in self.reasons(t).into_keys() {
            if self.user_roots.contains(&id) || t.users.contains_key(&id) {
                scope.users.insert(id);
            } else {
                scope.groups.insert(id);
            }
        }
        scope
    }

    /// Every object's reasons (ARCHITECTURE.md, "What a synchronization decides"):
    /// - a user: it is a root; or it is a direct user member of a group root with *members*;
    ///   or, for a root with *members* and *nested*, a direct user member of a group nested in
    ///   it at any depth;
    /// - a group: it is a root; or it is nested at any depth in a root with *members* and
    ///   *nested*.
    ///
    /// "Each reason is the root and the path of groups it goes through ("Sales / EMEA")", one
    /// shortest path per root ("breadth-first through nested groups"): a direct member of a
    /// root goes through the root (one group), a member of a group nested in it through the
    /// root and that group (two), and so on.
    ///
    /// Reading: the object itself is not on its path — the schema stores '' for the root
    /// itself, so a group nested in a root goes through the root alone, as a user member
    /// of that root does.
    ///
    /// Reading: a root is a reason of its own whatever Entra ID did to it (roots are "kept
    /// until an administrator takes one out"; only membership is said to end with a
    /// deletion). A deleted group (recycle bin or gone) is, like a deleted user, a member of
    /// nothing and has no members as Graph shows it, so no path goes through it.
    ///
    /// These are also the rows `azure_scope_reasons` must hold after a synchronization
    /// ("Every sync recomputes them"). Reading: every object in scope has its rows, imported
    /// or not — an in-scope user deleted on this server (tombstone) too: "An object is in
    /// scope when it has at least one reason" and the schema's "no row = out of scope" (its
    /// "Why an imported object is in scope" above it is the looser wording).
    pub fn reasons(&self, t: &Tenant) -> Reasons {
        let mut out = Reasons::new();
        let mut add = |object: &Id, root: &Id, groups: usize| {
            let length = out
                .entry(object.clone())
                .or_default()
                .entry(root.clone())
                .or_insert(groups);
            *length = (*length).min(groups);
        };
        for root in self.user_roots.iter().chain(self.group_roots.keys()) {
            add(root, root, 0);
        }
        for (root, flags) in &self.group_roots {
            if !flags.members {
                continue;
            }
            // Level by level, so the first time an object is met is through a shortest path.
            let mut level = vec![root.clone()];
            let mut seen = BTreeSet::from([root.clone()]);
            let mut groups = 1;
            while !level.is_empty() {
                let mut next = Vec::new();
                for g in &level {
                    for m in t.visible_members(g) {
                        if t.users.contains_key(m) {
                            add(m, root, groups);
                        } else if flags.nested && seen.insert(m.clone()) {
                            add(m, root, groups);
                            next.push(m.clone());
                        }
                    }
                }
                level = next;
                groups += 1;
            }
        }
        out
    }

    /// Whether a finding still holds for an object.
    fn holds(t: &Tenant, scope: &Scope, id: &str, finding: Finding) -> bool {
        let life = t
            .users
            .get(id)
            .map(|u| u.life)
            .or_else(|| t.groups.get(id).map(|g| g.life));
        match finding {
            // Deleted in Entra ID is one finding (ARCHITECTURE.md): a purge does not end it.
            Finding::HardDeleted | Finding::SoftDeleted => {
                life.is_none() || life == Some(Life::Recycled)
            }
            Finding::DisabledInEntra => t.users.get(id).is_some_and(|u| !u.enabled),
            Finding::OutOfScope => !scope.users.contains(id),
        }
    }

    /// The finding "Check deleted objects" lists an imported user with, if any.
    ///
    /// Reading: one finding per object, the strongest first — deleted (permanently, or in the
    /// recycle bin) before disabled before out of scope.
    fn user_finding(t: &Tenant, scope: &Scope, id: &str) -> Option<Finding> {
        match t.users.get(id) {
            None => Some(Finding::HardDeleted),
            Some(u) if u.life == Life::Recycled => Some(Finding::SoftDeleted),
            Some(u) if !u.enabled => Some(Finding::DisabledInEntra),
            Some(_) if !scope.users.contains(id) => Some(Finding::OutOfScope),
            Some(_) => None,
        }
    }

    fn group_finding(t: &Tenant, id: &str) -> Option<Finding> {
        match t.groups.get(id) {
            None => Some(Finding::HardDeleted),
            Some(g) if g.life == Life::Recycled => Some(Finding::SoftDeleted),
            Some(_) => None,
        }
    }

    /// "Check deleted objects lists every imported user Entra ID deleted (…), disabled, or
    /// that is out of scope (no reason left), and every imported group Entra ID deleted, each
    /// with a proposed action: Disable, or Keep when the administrator already decided to
    /// keep that object for the same finding."
    ///
    /// Reading: "imported" means imported before this run (a user this run imports is not
    /// listed in the same run).
    fn listing(&self, t: &Tenant, scope: &Scope) -> Vec<Listed> {
        let proposal = |id: &Id, finding| {
            // ARCHITECTURE.md: deleted in Entra ID is one finding, in the recycle bin or
            // permanently (a Keep of a soft-deleted user still holds once he is purged).
            let same = |kept: Finding| {
                let deleted = |f| matches!(f, Finding::SoftDeleted | Finding::HardDeleted);
                kept == finding || (deleted(kept) && deleted(finding))
            };
            if self.kept.iter().any(|(k, f)| k == id && same(*f)) {
                Proposal::Keep
            } else {
                Proposal::Disable
            }
        };
        let users = self.db.users.keys().filter_map(|id| {
            Self::user_finding(t, scope, id).map(|finding| Listed {
                id: id.clone(),
                group: false,
                finding,
                proposal: proposal(id, finding),
            })
        });
        let groups = self.db.groups.keys().filter_map(|id| {
            Self::group_finding(t, id).map(|finding| Listed {
                id: id.clone(),
                group: true,
                finding,
                proposal: proposal(id, finding),
            })
        });
        let mut all: Vec<Listed> = users.chain(groups).collect();
        all.sort();
        all
    }

    /// One synchronization: `spec` on the tenant `t`, the administrator acting on the listed
    /// objects with `act`. Returns what "Check deleted objects" listed (empty without it).
    pub fn sync(
        &mut self,
        t: &Tenant,
        spec: &SyncSpec,
        act: &dyn Fn(&Listed) -> Action,
    ) -> Vec<Listed> {
        // Scope roots: "saved by every synchronization from its selection and never
        // forgotten … Selecting a root again only adds to its flags."
        let selected_users: Vec<&Id> = spec
            .users
            .iter()
            .filter(|u| t.live_user(u).is_some())
            .collect();
        for u in &selected_users {
            self.user_roots.insert((*u).clone());
        }
        for g in spec.groups.iter().filter(|g| t.live_group(g).is_some()) {
            let flags = self.group_roots.entry(g.clone()).or_default();
            flags.members |= spec.members;
            flags.nested |= spec.nested;
        }
        let scope = self.scope(t);

        // "Decisions stay decided … until … its finding stops holding — the user is back in
        // scope, restored in Entra ID, or enabled again there; then the sync follows Entra ID
        // again." The same for keep decisions (they make the proposal Keep only "for the
        // same finding").
        self.disabled
            .retain(|id, finding| Self::holds(t, &scope, id, *finding));
        self.kept
            .retain(|(id, finding)| Self::holds(t, &scope, id, *finding));

        let listed = if spec.check_deleted {
            self.listing(t, &scope)
        } else {
            Vec::new()
        };

        self.import(t, spec, &selected_users, &scope);
        self.refresh(t);

        // The administrator's actions, each recorded as a decision.
        let mut emptied = BTreeSet::new();
        for l in &listed {
            match (act(l), l.group) {
                (Action::Keep, _) => {
                    // ARCHITECTURE.md: Keep is proposed when the decision in force about the
                    // object (its latest) is Keep for the same finding: a new decision
                    // replaces what was kept for another finding.
                    self.kept.retain(|(id, _)| id != &l.id);
                    self.kept.insert((l.id.clone(), l.finding));
                }
                (Action::Disable, false) => {
                    if let Some(row) = self.db.users.get_mut(&l.id) {
                        row.enabled = false;
                    }
                    // The decision in force is what the next check proposes (ARCHITECTURE.md):
                    // a Disable replaces any Keep.
                    self.kept.retain(|(id, _)| id != &l.id);
                    // Reading: one standing disable decision per user, the newest finding.
                    self.disabled.insert(l.id.clone(), l.finding);
                }
                (Action::Disable, true) => {
                    // "a group loses its Azure AD members and is marked deleted in Entra ID".
                    emptied.insert(l.id.clone());
                    // As for users: a Disable replaces any Keep.
                    self.kept.retain(|(id, _)| id != &l.id);
                }
                (Action::Delete, false) => {
                    // "the user (leaving a tombstone) … is deleted on the server".
                    // Reading: the user's decisions go with him.
                    self.db.users.remove(&l.id);
                    self.db.tombstones.insert(l.id.clone());
                    self.disabled.remove(&l.id);
                    self.kept.retain(|(id, _)| id != &l.id);
                }
                (Action::Delete, true) => {
                    self.db.groups.remove(&l.id);
                    self.kept.retain(|(id, _)| id != &l.id);
                }
            }
        }
        self.memberships(t, &emptied);
        listed
    }

    /// Rule 1: "imports every in-scope user and group not imported yet, except users deleted
    /// on this server (tombstones): they come back only when selected directly in this run
    /// or re-imported explicitly". Only what Entra ID has (active) can be imported.
    ///
    /// Reading: `Reimport::All` brings back every tombstoned user in scope; a user who comes
    /// back has no tombstone any more.
    fn import(&mut self, t: &Tenant, spec: &SyncSpec, selected: &[&Id], scope: &Scope) {
        for id in &scope.users {
            let Some(u) = t.live_user(id) else { continue };
            if self.db.users.contains_key(id) {
                continue;
            }
            let tombstoned = self.db.tombstones.contains(id);
            if tombstoned && !spec.reimport_all && !selected.contains(&id) {
                continue;
            }
            self.db.tombstones.remove(id);
            self.db.users.insert(
                id.clone(),
                UserRow {
                    upn: u.upn.clone(),
                    display: u.display.clone(),
                    mail: u.mail.clone(),
                    department: u.department.clone(),
                    entra_enabled: u.enabled,
                    enabled: u.enabled,
                },
            );
        }
        for id in &scope.groups {
            let Some(g) = t.live_group(id) else { continue };
            self.db
                .groups
                .entry(id.clone())
                .or_insert_with(|| GroupRow {
                    name: g.name.clone(),
                    members: BTreeSet::new(),
                });
        }
    }

    /// Rule 2: "refreshes every imported user and group Entra ID still has: attributes as
    /// Entra ID has them; a user is enabled on the server exactly when Entra ID has it enabled
    /// and no standing disable decision holds". Rule 4: objects Entra ID deleted are left as
    /// they are.
    fn refresh(&mut self, t: &Tenant) {
        for (id, row) in &mut self.db.users {
            let Some(u) = t.live_user(id) else { continue };
            *row = UserRow {
                upn: u.upn.clone(),
                display: u.display.clone(),
                mail: u.mail.clone(),
                department: u.department.clone(),
                entra_enabled: u.enabled,
                enabled: u.enabled && !self.disabled.contains_key(id),
            };
        }
        for (id, row) in &mut self.db.groups {
            if let Some(g) = t.live_group(id) {
                row.name = g.name.clone();
            }
        }
    }

    /// Rule 3: "sets every imported group's Azure AD members to its direct user members in
    /// Entra ID that are imported users".
    ///
    /// Reading: this holds for the groups Entra ID still has. A group Entra ID deleted keeps
    /// its Azure AD members as they are (rule 4: "leaves imported objects Entra ID deleted …
    /// as they are") until the administrator disables it ("a group loses its Azure AD
    /// members"), or Entra ID restores it ("A group emptied by a decision gets its members
    /// back when Entra ID restores it"); only users deleted on the server leave it.
    fn memberships(&mut self, t: &Tenant, emptied: &BTreeSet<Id>) {
        let imported: BTreeSet<Id> = self.db.users.keys().cloned().collect();
        for (id, row) in &mut self.db.groups {
            if emptied.contains(id) {
                row.members.clear();
            } else if t.live_group(id).is_some() {
                row.members = t
                    .visible_members(id)
                    .into_iter()
                    .filter(|m| imported.contains(*m))
                    .cloned()
                    .collect();
            } else {
                row.members.retain(|m| imported.contains(m));
            }
        }
    }
}

/// The model agrees with itself: right after any step of the generated sequences, one more
/// synchronization without a selection (full or not: the model cannot tell) changes nothing,
/// so "the database equals the model" and "incremental ≡ full" never contradict each other.
#[test]
fn the_model_is_idempotent() {
    for seed in 1..=crate::DEFAULT_SEQUENCES {
        let case = crate::generate::generate(seed);
        let mut tenant = case.tenant.clone();
        let mut model = Model::default();
        for (i, step) in case.steps.iter().enumerate() {
            for c in &step.changes {
                c.apply(&mut tenant);
            }
            let actions = step.sync.actions;
            model.sync(&tenant, &step.sync, &|l: &Listed| {
                actions.pick(&l.id, l.proposal.action())
            });
            let mut again = model.clone();
            again.sync(&tenant, &SyncSpec::refresh(), &|_: &Listed| Action::Keep);
            assert_eq!(again.db, model.db, "seed {seed} step {i}");
        }
    }
}
