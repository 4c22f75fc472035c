//! The read side of a run: what a sync of the selection needs from Graph — the selected
//! objects, who the organization's scope roots reach now (with the reasons, `scope`), and
//! everything imported earlier (through Graph's changes since the last sync when its links are
//! usable, else by reading all of it) — and which decisions in force no longer hold. Nothing
//! here writes; a failure leaves everything as it was.

pub use crate::check::{
    DeletedCheck, GROUPS_SKIPPED, check_deleted, check_deleted_noting, removals,
};
use crate::clock::{Clock, unix_now};
use crate::convert::{
    apply_group_change, remote_from_stored, to_directory_group, to_directory_user,
};
use crate::fetch::{fetch_groups, fetch_users};
pub use crate::gathered::{FullReason, Gathered, ReadMode};
use crate::model::{Phase, Progress, Selection, SyncError};
use crate::scope;
use aadsync_directory::graph::{
    DeltaKind, DeltaRound, GraphClient, GraphError, GroupChange, RemoteGroup, RemoteUser,
};
use aadsync_store::plan::Imported;
use aadsync_store::{
    DeltaLinks, DirectoryChanges, DirectoryGroup, DirectoryUser, ObjectKind, ScopeRoot,
};
use std::collections::{BTreeMap, HashMap, HashSet};

mod rescope;
mod scoped;

use rescope::Rescope;

/// Changes since the stored links, limited to what was imported.
struct Rounds {
    users: DeltaRound<RemoteUser>,
    groups: DeltaRound<(String, GroupChange)>,
}

/// Reads what a sync of `selection` needs, comparing every imported object. Nothing is
/// written; a failure here leaves everything as it was.
pub async fn gather(
    graph: &GraphClient,
    imported: &Imported,
    selection: &Selection,
    progress: &(dyn Fn(Progress) + Send + Sync),
) -> Result<Gathered, SyncError> {
    gather_with(graph, imported, selection, None, progress).await
}

/// Reads what a sync of `selection` needs: the objects imported earlier through Graph's
/// changes since `links` when they are usable and no full comparison is `forced`, else by
/// comparing all of them. Either way the result carries fresh links for the next sync
/// (stored by the apply).
pub async fn gather_incremental(
    graph: &GraphClient,
    imported: &Imported,
    selection: &Selection,
    links: Option<&DeltaLinks>,
    forced: Option<FullReason>,
    clock: &dyn Clock,
    progress: &(dyn Fn(Progress) + Send + Sync),
) -> Result<Gathered, SyncError> {
    let now = unix_now(clock);
    let usable = links.filter(|l| crate::freshness::links_usable(l.taken_at, now));
    let reason = match (links, usable, forced) {
        (_, _, Some(reason)) => reason,
        (None, _, None) => FullReason::NoLinks,
        (Some(_), None, None) => FullReason::Expired,
        (Some(_), Some(l), None) => {
            progress(Progress {
                phase: Phase::ReadingChanges,
                done: 0,
            });
            let users = graph
                .user_changes(&l.users, |id| imported.users.contains_key(id))
                .await?;
            let groups = graph
                .group_changes(&l.groups, |id| imported.groups.contains_key(id))
                .await?;
            match (users, groups) {
                (Ok(users), Ok(groups)) => {
                    let next = DeltaLinks {
                        users: users.next_link.clone(),
                        groups: groups.next_link.clone(),
                        taken_at: now,
                    };
                    let rounds = Rounds { users, groups };
                    let mut gathered =
                        gather_with(graph, imported, selection, Some(&rounds), progress).await?;
                    gathered.changes.delta = Some(next);
                    gathered.read = ReadMode::Incremental { since: l.taken_at };
                    return Ok(gathered);
                }
                (Err(stale), _) | (_, Err(stale)) => {
                    tracing::info!(
                        ?stale,
                        "change-tracking links unusable; comparing everything"
                    );
                    FullReason::Expired
                }
            }
        }
    };
    // Taken before the read: a change made while it runs is in the next round (again).
    let next = fresh_links(graph, now).await?;
    let mut gathered = gather_with(graph, imported, selection, None, progress).await?;
    gathered.changes.delta = next;
    gathered.read = ReadMode::Full(reason);
    Ok(gathered)
}

/// Links for the changes from now on. Any error is the run's: a Graph that refuses the
/// request is a real failure to report (the admin sees why), never quietly "compare everything
/// from now on".
async fn fresh_links(graph: &GraphClient, now: i64) -> Result<Option<DeltaLinks>, GraphError> {
    let users = graph.latest_delta_link(DeltaKind::Users).await?;
    let groups = graph.latest_delta_link(DeltaKind::Groups).await?;
    Ok(Some(DeltaLinks {
        users,
        groups,
        taken_at: now,
    }))
}

/// One read as it goes: what was found so far.
struct Reading<'a> {
    graph: &'a GraphClient,
    imported: &'a Imported,
    selection: &'a Selection,
    rounds: Option<&'a Rounds>,
    progress: &'a (dyn Fn(Progress) + Send + Sync),
    /// The selected users' IDs or UPNs, lower-cased.
    selected_users: HashSet<String>,
    users: BTreeMap<String, DirectoryUser>,
    missing_users: Vec<String>,
    groups: BTreeMap<String, RemoteGroup>,
    missing_groups: Vec<String>,
    /// Group ID → its user members, for the groups whose member lists were read.
    memberships: BTreeMap<String, Vec<String>>,
    /// Groups whose members Graph refused to list (hidden membership), with why: each is a
    /// failed object of the run.
    unreadable: BTreeMap<String, String>,
    /// Imported groups with a round's changes applied (incremental reads only).
    changed_groups: Vec<DirectoryGroup>,
    /// The roots this run writes (the selection's, users by the IDs Graph resolved them to,
    /// and saved ones given other flags).
    new_roots: Vec<ScopeRoot>,
    /// Saved roots this run deletes (taken out, or written again with fewer flags).
    dropped_roots: Vec<ScopeRoot>,
    /// The organization's roots with this run's added: what the scope is computed from.
    roots: Vec<ScopeRoot>,
    /// With *nested* roots: each expanded group's member groups.
    children: HashMap<String, Vec<String>>,
    /// Which roots this run recomputes the scope of (see [`Rescope`]).
    rescope: Rescope,
}

async fn gather_with(
    graph: &GraphClient,
    imported: &Imported,
    selection: &Selection,
    rounds: Option<&Rounds>,
    progress: &(dyn Fn(Progress) + Send + Sync),
) -> Result<Gathered, SyncError> {
    let mut reading = Reading {
        graph,
        imported,
        selection,
        rounds,
        progress,
        selected_users: selection.users.iter().map(|u| u.to_lowercase()).collect(),
        users: BTreeMap::new(),
        missing_users: Vec::new(),
        groups: BTreeMap::new(),
        missing_groups: Vec::new(),
        memberships: BTreeMap::new(),
        unreadable: BTreeMap::new(),
        changed_groups: Vec::new(),
        new_roots: Vec::new(),
        dropped_roots: Vec::new(),
        roots: Vec::new(),
        children: HashMap::new(),
        rescope: Rescope::All,
    };
    reading.users().await?;
    reading.groups().await?;
    reading.members().await?;
    Ok(reading.finish())
}

/// `ids` without repeats, compared case-insensitively (Graph's IDs and UPNs are).
fn unique(mut ids: Vec<String>) -> Vec<String> {
    let mut seen = HashSet::new();
    ids.retain(|id| seen.insert(id.to_lowercase()));
    ids
}

impl Reading<'_> {
    fn phase(&self, phase: Phase, done: u64) {
        (self.progress)(Progress { phase, done });
    }

    /// The selected users and every one imported earlier: read again, or taken from the
    /// round of changes.
    async fn users(&mut self) -> Result<(), SyncError> {
        self.phase(Phase::ReadingUsers, 0);
        let mut wanted: Vec<String> = self.selection.users.clone();
        if self.rounds.is_none() {
            wanted.extend(self.imported.users.keys().cloned());
        }
        // User roots not imported (deleted on this server, or refused earlier) are in scope:
        // read, so a re-import or a fixed conflict can bring them.
        let unimported_roots: HashSet<String> = self
            .imported
            .roots
            .iter()
            .filter(|r| {
                r.kind == ObjectKind::User && !self.imported.users.contains_key(&r.object_id)
            })
            .map(|r| r.object_id.clone())
            .collect();
        wanted.extend(unimported_roots.iter().cloned());
        let wanted = unique(wanted);
        let mut resolved = Vec::new();
        let mut read = 0u64;
        let progress = self.progress;
        let fetched = fetch_users(self.graph, &wanted, &mut |n| {
            read += n;
            progress(Progress {
                phase: Phase::ReadingUsers,
                done: read,
            });
        })
        .await?;
        for (asked, user) in fetched {
            let Some(user) = user else {
                if self.selected_users.contains(&asked.to_lowercase()) {
                    return Err(SyncError::NotFound {
                        kind: "user",
                        id: asked,
                    });
                }
                // Gone from Entra ID: the deleted-objects check (its own step) decides about it
                // (a root never imported is nothing to decide about).
                if !unimported_roots.contains(&asked) {
                    self.missing_users.push(asked);
                }
                continue;
            };
            let direct = self.selected_users.contains(&user.id.to_lowercase())
                || user
                    .user_principal_name
                    .as_deref()
                    .is_some_and(|u| self.selected_users.contains(&u.to_lowercase()));
            if direct {
                resolved.push(user.id.clone());
            }
            let via = match (direct, self.imported.users.get(&user.id)) {
                (false, Some(stored)) => stored.directory.imported_via.clone(),
                _ => String::new(),
            };
            self.users
                .insert(user.id.clone(), to_directory_user(user, via));
        }
        if let Some(rounds) = self.rounds {
            self.users_from_round(&rounds.users);
        }
        let change = scope::change(
            &self.imported.roots,
            &scope::roots_of(self.selection, &unique(resolved)),
            &self.selection.remove,
            &self.selection.reflag,
        );
        self.new_roots = change.written;
        self.dropped_roots = change.dropped;
        self.roots = change.roots;
        self.rescope = self.rescope_of_round();
        Ok(())
    }

    fn users_from_round(&mut self, round: &DeltaRound<RemoteUser>) {
        for user in &round.changed {
            if let Some(stored) = self.imported.users.get(&user.id)
                && !self.users.contains_key(&user.id)
            {
                let via = stored.directory.imported_via.clone();
                self.users
                    .insert(user.id.clone(), to_directory_user(user.clone(), via));
            }
        }
        let removed = round
            .removed
            .iter()
            .filter(|r| self.imported.users.contains_key(&r.id) && !self.users.contains_key(&r.id))
            .map(|r| r.id.clone());
        self.missing_users.extend(removed.collect::<Vec<_>>());
    }

    /// The selected groups and every one imported earlier (a full read).
    async fn groups(&mut self) -> Result<(), SyncError> {
        self.phase(Phase::ReadingGroups, 0);
        let mut ids: Vec<String> = self.selection.groups.clone();
        if self.rescope.any() {
            // Every group root recomputed is read: its name and members decide the scope.
            ids.extend(
                self.roots
                    .iter()
                    .filter(|r| r.kind == ObjectKind::Group && self.rescope.covers(&r.object_id))
                    .map(|r| r.object_id.clone()),
            );
        }
        if self.rounds.is_none() {
            ids.extend(self.imported.groups.keys().cloned());
        }
        let ids = unique(ids);
        let selected: HashSet<&str> = self.selection.groups.iter().map(String::as_str).collect();
        for (id, group) in fetch_groups(self.graph, &ids).await? {
            match group {
                Some(g) => {
                    self.groups.insert(g.id.clone(), g);
                }
                None if selected.contains(id.as_str()) => {
                    return Err(SyncError::NotFound { kind: "group", id });
                }
                // Every other ID asked for is a group imported earlier.
                None => self.missing_groups.push(id),
            }
        }
        Ok(())
    }

    /// Members: of the selected groups (users imported with them), and of every group for the
    /// memberships.
    async fn members(&mut self) -> Result<(), SyncError> {
        self.phase(Phase::ReadingMembers, 0);
        if self.rescope.any() {
            for nested in [false, true] {
                self.expand_roots(nested).await?;
            }
        }
        if let Some(rounds) = self.rounds {
            self.groups_from_round(&rounds.groups).await?;
        }
        let rest: Vec<(String, String)> = self
            .groups
            .values()
            .filter(|g| {
                !self.memberships.contains_key(&g.id) && !self.unreadable.contains_key(&g.id)
            })
            .map(|g| (g.id.clone(), g.display_name.clone()))
            .collect();
        if !rest.is_empty() {
            // Only the member lists: users not imported are not imported through these groups.
            let known: HashSet<String> = self.users.keys().cloned().collect();
            let expansion = self.graph.expand_groups(&rest, false, &known).await?;
            self.memberships.extend(expansion.members);
            self.unreadable.extend(expansion.unreadable);
        }
        self.phase(Phase::ReadingMembers, self.memberships.len() as u64);
        Ok(())
    }

    /// The user members of the group roots with *members* (and, for those with *nested*, of
    /// the groups inside them): imported with the path they came through, and the groups'
    /// member lists and nesting kept for the scope.
    async fn expand_roots(&mut self, nested: bool) -> Result<(), SyncError> {
        let roots: Vec<(String, String)> = self
            .roots
            .iter()
            .filter(|r| r.kind == ObjectKind::Group && r.members && r.nested == nested)
            .filter(|r| self.rescope.covers(&r.object_id))
            .filter_map(|r| {
                self.groups
                    .get(&r.object_id)
                    .map(|g| (g.id.clone(), g.display_name.clone()))
            })
            .collect();
        if roots.is_empty() {
            return Ok(());
        }
        // Users imported before are refreshed by the read of users (or the round of changes),
        // not here: only the member lists matter for them.
        let known: HashSet<String> = self
            .users
            .keys()
            .chain(self.imported.users.keys())
            .cloned()
            .collect();
        let expansion = self.graph.expand_groups(&roots, nested, &known).await?;
        for (id, (user, path)) in expansion.users {
            self.users
                .entry(id)
                .or_insert_with(|| to_directory_user(user, path));
        }
        for group in expansion.nested {
            self.groups.entry(group.id.clone()).or_insert(group);
        }
        self.memberships.extend(expansion.members);
        self.unreadable.extend(expansion.unreadable);
        for (group, children) in expansion.children {
            self.children.entry(group).or_default().extend(children);
        }
        Ok(())
    }

    /// Incremental: imported groups take the round's attribute and member changes — unless
    /// users are imported for the first time, whose memberships in groups that did not change
    /// no round reports; then every imported group's members are read, as in a full read.
    async fn groups_from_round(
        &mut self,
        round: &DeltaRound<(String, GroupChange)>,
    ) -> Result<(), SyncError> {
        if self
            .users
            .keys()
            .any(|id| !self.imported.users.contains_key(id))
        {
            let more: Vec<String> = self
                .imported
                .groups
                .keys()
                .filter(|id| !self.groups.contains_key(*id))
                .cloned()
                .collect();
            for (id, group) in fetch_groups(self.graph, &more).await? {
                match group {
                    Some(g) => {
                        self.groups.insert(g.id.clone(), g);
                    }
                    None => self.missing_groups.push(id),
                }
            }
            return Ok(());
        }
        let removed: Vec<String> = round
            .removed
            .iter()
            .filter(|r| {
                self.imported.groups.contains_key(&r.id) && !self.groups.contains_key(&r.id)
            })
            .map(|r| r.id.clone())
            .collect();
        self.missing_groups.extend(removed);
        for (id, change) in &round.changed {
            let Some(stored) = self
                .imported
                .groups
                .get(id)
                .filter(|_| !self.groups.contains_key(id))
            else {
                continue;
            };
            if stored.deleted_in_directory {
                // Restored after a sync took its members away: read them all again.
                let remote = change
                    .group
                    .clone()
                    .unwrap_or_else(|| remote_from_stored(&stored.directory));
                self.groups.insert(id.clone(), remote);
            } else {
                self.changed_groups
                    .push(apply_group_change(&stored.directory, change));
            }
        }
        Ok(())
    }

    /// The changes to write. Users deleted on the server are not brought back through a group
    /// unless the admin says so (a user selected directly is a clear enough "bring back").
    fn finish(mut self) -> Gathered {
        let mut tombstoned = Vec::new();
        for id in self.imported.tombstones.keys() {
            if !self.selected_users.contains(&id.to_lowercase())
                && let Some(user) = self.users.remove(id)
            {
                tombstoned.push(user);
            }
        }
        tombstoned.sort_by(|a, b| a.user_principal_name.cmp(&b.user_principal_name));
        let scope = self.rescope.any().then(|| self.scope());
        let lifted = self.lifted(scope.as_ref());
        // A lifted user this run did not read is unchanged in Entra ID: written from what is
        // stored, so the account follows Entra ID again.
        for lift in &lifted {
            if let Some(stored) = self.imported.users.get(&lift.object_id) {
                self.users
                    .entry(lift.object_id.clone())
                    .or_insert_with(|| stored.directory.clone());
            }
        }
        let dropped_roots = self
            .dropped_roots
            .iter()
            .map(|r| scope::named(r, self.imported))
            .collect();
        let mut memberships = std::mem::take(&mut self.memberships);
        let mut groups: Vec<DirectoryGroup> = std::mem::take(&mut self.groups)
            .into_values()
            .map(|g| {
                let members = memberships.remove(&g.id);
                let unreadable = self.unreadable.remove(&g.id);
                DirectoryGroup {
                    members_unreadable: unreadable,
                    ..to_directory_group(g, members)
                }
            })
            .collect();
        groups.extend(self.changed_groups);
        let leaving_scope = scope
            .as_ref()
            .map_or_else(Vec::new, |scope| scope::leaving(self.imported, scope));
        Gathered {
            changes: DirectoryChanges {
                users: self.users.into_values().collect(),
                groups,
                roots: self.new_roots,
                dropped_roots,
                scope,
                lifted,
                ..DirectoryChanges::default()
            },
            missing_users: unique(self.missing_users),
            missing_groups: unique(self.missing_groups),
            tombstoned,
            leaving_scope,
            read: ReadMode::Full(FullReason::Requested),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deleted::{Action, DeletedObject, Finding};
    use aadsync_store::{DirectoryDeletion, RemovalAction};

    /// What step 6's progress line and step 4's read note say (the end-to-end tests wait for
    /// some of these words).
    #[test]
    fn the_wizard_says_where_a_run_is_and_how_it_read() {
        let phases = [
            (
                Phase::ReadingChanges,
                "Reading the changes since the last synchronization",
            ),
            (Phase::ReadingUsers, "Reading users from Entra ID"),
            (Phase::ReadingGroups, "Reading groups from Entra ID"),
            (Phase::ReadingMembers, "Reading group members"),
            (Phase::CheckingDeleted, "Checking for deleted objects"),
            (Phase::Planning, "Comparing with the database"),
            (
                Phase::Backup,
                "Saving a backup of the database (first synchronization)",
            ),
            (Phase::Writing, "Writing to the database"),
        ];
        for (phase, label) in phases {
            assert_eq!(phase.label(), label);
        }
        let reads = [
            (
                ReadMode::Incremental { since: 0 },
                "Incremental: only the changes Entra ID reported since the last synchronization were read",
            ),
            (
                ReadMode::Full(FullReason::NoLinks),
                "Full comparison: no change-tracking link from an earlier synchronization",
            ),
            (
                ReadMode::Full(FullReason::Expired),
                "Full comparison: the 7-day change-tracking window lapsed",
            ),
            (
                ReadMode::Full(FullReason::CheckDeleted),
                "Full comparison: Check deleted objects compares every imported object",
            ),
            (
                ReadMode::Full(FullReason::Requested),
                "Full comparison: requested",
            ),
        ];
        for (mode, text) in reads {
            assert_eq!(mode.describe(), text);
        }
    }

    /// Keep, Disable and Delete as the admin decided, with the Entra ID state recorded on the
    /// object and the reason the audit log shows.
    #[test]
    fn removals_carry_the_decision_the_deletion_state_and_the_reason() {
        let object = |id: &str, finding: Finding, action: Action| DeletedObject {
            kind: aadsync_store::ObjectKind::User,
            object_id: id.into(),
            display_name: id.to_uppercase(),
            account: format!("{id}@contoso.com"),
            finding,
            action,
        };
        let objects = [
            object("kept", Finding::HardDeleted, Action::Keep),
            object(
                "soft",
                Finding::SoftDeleted { days_left: 12 },
                Action::Disable,
            ),
            object("hard", Finding::HardDeleted, Action::Delete),
            object("off", Finding::DisabledInEntra, Action::Disable),
        ];
        let got: Vec<_> = removals(&objects)
            .into_iter()
            .map(|r| (r.object_id, r.action, r.deletion, r.reason))
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    "soft".to_owned(),
                    RemovalAction::Disable,
                    Some(DirectoryDeletion::SoftDeleted),
                    "deleted in Entra ID, restorable for 12 more days".to_owned()
                ),
                (
                    "hard".to_owned(),
                    RemovalAction::Delete,
                    Some(DirectoryDeletion::HardDeleted),
                    "permanently deleted in Entra ID".to_owned()
                ),
                (
                    "off".to_owned(),
                    RemovalAction::Disable,
                    None,
                    "disabled in Entra ID".to_owned()
                ),
            ]
        );
    }
}
