//! A synchronization run: read from Graph what the selection needs (plus everything imported
//! earlier from the tenant, so its attributes and memberships stay current), plan it purely
//! (`store::plan`), then snapshot the database and apply the plan in one transaction.

use crate::deleted::{Action, CompleteRead, DeletedObject, Finding, triage};
use aadsync_directory::graph::{
    DeltaKind, DeltaRound, GraphClient, GraphError, GroupChange, RemoteGroup, RemoteUser,
    batch_error,
};
use aadsync_store::plan::{Imported, Plan};
use aadsync_store::{
    ApplyReport, DeltaLinks, DirectoryChanges, DirectoryDeletion, DirectoryGroup, DirectoryUser,
    Removal, RemovalAction, RunInfo, Store, StoreError, UserType,
};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

/// Above this many users to read by ID, listing everything is cheaper than `$batch`es (2,000
/// IDs are 100 batches, about what listing a 100k-user tenant at 999 per page costs).
pub const LIST_INSTEAD_OF_BATCH: usize = 2_000;
/// Snapshots kept next to the database (the newest ones).
pub const SNAPSHOTS_KEPT: usize = 5;

/// What the admin picked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    /// User object IDs (or UPNs: Graph resolves both).
    pub users: Vec<String>,
    /// Group object IDs.
    pub groups: Vec<String>,
    /// Import the user members of the selected groups.
    pub members: bool,
    /// …and of the groups inside them.
    pub nested: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("{0}")]
    Graph(#[from] GraphError),
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("the selected {kind} {id} does not exist in Entra ID (any more)")]
    NotFound { kind: &'static str, id: String },
    #[error("the synchronization was cancelled; the database is unchanged")]
    Cancelled,
}

/// Where a run is, for progress bars.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    ReadingChanges,
    ReadingUsers,
    ReadingGroups,
    ReadingMembers,
    Planning,
    Snapshot,
    Writing,
}

impl Phase {
    pub fn label(self) -> &'static str {
        match self {
            Phase::ReadingChanges => "Reading the changes since the last synchronization",
            Phase::ReadingUsers => "Reading users from Entra ID",
            Phase::ReadingGroups => "Reading groups from Entra ID",
            Phase::ReadingMembers => "Reading group members",
            Phase::Planning => "Comparing with the database",
            Phase::Snapshot => "Saving a snapshot for undo",
            Phase::Writing => "Writing to the database",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub phase: Phase,
    /// Objects read so far in this phase.
    pub done: u64,
}

pub fn to_directory_user(user: RemoteUser, imported_via: String) -> DirectoryUser {
    let user_type = Some(if user.is_guest() {
        UserType::Guest
    } else {
        UserType::Member
    });
    DirectoryUser {
        object_id: user.id,
        user_principal_name: user.user_principal_name,
        display_name: user.display_name,
        given_name: user.given_name,
        surname: user.surname,
        mail: user.mail,
        job_title: user.job_title,
        department: user.department,
        office_location: user.office_location,
        mobile_phone: user.mobile_phone,
        business_phones: user.business_phones,
        user_type,
        // Unknown is not enabled: nobody gets in on a property Graph did not send.
        account_enabled: user.account_enabled.unwrap_or(false),
        created_in_entra_at: user.created_date_time,
        on_premises_sync_enabled: user.on_premises_sync_enabled,
        imported_via,
    }
}

pub fn to_directory_group(group: RemoteGroup, members: Option<Vec<String>>) -> DirectoryGroup {
    DirectoryGroup {
        object_id: group.id,
        display_name: group.display_name,
        description: group.description,
        mail: group.mail,
        mail_enabled: group.mail_enabled,
        security_enabled: group.security_enabled,
        group_types: group.group_types,
        members,
    }
}

/// What a completed read found.
#[derive(Debug, Clone, Default)]
pub struct Gathered {
    pub changes: DirectoryChanges,
    /// Users imported earlier that Graph answered 404 for (deleted, maybe restorable).
    pub missing_users: Vec<String>,
    /// Groups imported earlier that Graph no longer has.
    pub missing_groups: Vec<String>,
    /// Users the selection would bring back although they were deleted on the server; left
    /// out of `changes` until the admin chooses Re-import.
    pub tombstoned: Vec<DirectoryUser>,
    /// How the imported objects were read (`changes.delta` has the links for the next read).
    pub read: ReadMode,
}

impl Gathered {
    /// Imported users and groups Entra ID no longer has (decided about only by "Check deleted
    /// objects").
    pub fn deleted_in_entra(&self) -> usize {
        self.missing_users.len() + self.missing_groups.len()
    }
}

impl Default for ReadMode {
    fn default() -> Self {
        ReadMode::Full(FullReason::Requested)
    }
}

/// How a sync read the objects imported earlier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadMode {
    /// Every imported object was read again.
    Full(FullReason),
    /// Only Graph's changes since the stored links (taken at `since`, seconds since the
    /// epoch) were read.
    Incremental { since: i64 },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FullReason {
    /// No sync stored change-tracking links yet (first sync, or the last one had failures).
    NoLinks,
    /// The links are older than Graph's 7-day window, or Graph no longer has their state.
    Expired,
    /// "Check deleted objects" compares every imported object (it must also find objects
    /// an earlier round of changes reported and the admin chose to keep).
    CheckDeleted,
    /// Asked for (`aadsync sync --full`), or a plain [`gather`].
    Requested,
}

impl ReadMode {
    /// For the preview and the CLI.
    pub fn describe(&self) -> String {
        match self {
            ReadMode::Incremental { .. } => {
                "Incremental: only the changes Entra ID reported since the last synchronization were read".into()
            }
            ReadMode::Full(reason) => format!(
                "Full comparison: {}",
                match reason {
                    FullReason::NoLinks => "no change-tracking link from an earlier synchronization",
                    FullReason::Expired => "the 7-day change-tracking window lapsed",
                    FullReason::CheckDeleted => "Check deleted objects compares every imported object",
                    FullReason::Requested => "requested",
                }
            ),
        }
    }
}

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
    progress: &(dyn Fn(Progress) + Send + Sync),
) -> Result<Gathered, SyncError> {
    let now = unix_now();
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

/// Links for the changes from now on. A Graph that refuses change tracking for this request
/// (a 4xx other than authentication and throttling, which the client handles) costs only the
/// incremental reads: every sync then compares everything, as without links.
async fn fresh_links(graph: &GraphClient, now: i64) -> Result<Option<DeltaLinks>, GraphError> {
    let refused = |e: &GraphError| matches!(e, GraphError::Http { status, .. } if matches!(status, 400 | 404 | 405 | 501));
    let mut links = Vec::with_capacity(2);
    for kind in [DeltaKind::Users, DeltaKind::Groups] {
        match graph.latest_delta_link(kind).await {
            Ok(link) => links.push(link),
            Err(e) if refused(&e) => {
                tracing::warn!(error = %e, ?kind, "Graph refused change tracking; full comparisons only");
                return Ok(None);
            }
            Err(e) => return Err(e),
        }
    }
    let groups = links.pop().unwrap_or_default();
    let users = links.pop().unwrap_or_default();
    Ok(Some(DeltaLinks {
        users,
        groups,
        taken_at: now,
    }))
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

async fn gather_with(
    graph: &GraphClient,
    imported: &Imported,
    selection: &Selection,
    rounds: Option<&Rounds>,
    progress: &(dyn Fn(Progress) + Send + Sync),
) -> Result<Gathered, SyncError> {
    let mut missing_users = Vec::new();
    // Users: the selected ones and every one imported earlier (refreshed on each sync: read
    // again, or taken from the round of changes).
    progress(Progress {
        phase: Phase::ReadingUsers,
        done: 0,
    });
    let mut wanted: Vec<String> = selection.users.clone();
    let selected_users: HashSet<String> =
        selection.users.iter().map(|u| u.to_lowercase()).collect();
    if rounds.is_none() {
        wanted.extend(imported.users.keys().cloned());
    }
    let mut seen = HashSet::new();
    wanted.retain(|id| seen.insert(id.to_lowercase()));
    let mut users: BTreeMap<String, DirectoryUser> = BTreeMap::new();
    let mut read = 0u64;
    let fetched = fetch_users(graph, &wanted, &mut |n| {
        read += n;
        progress(Progress {
            phase: Phase::ReadingUsers,
            done: read,
        });
    })
    .await?;
    for (asked, user) in fetched {
        let Some(user) = user else {
            if selected_users.contains(&asked.to_lowercase()) {
                return Err(SyncError::NotFound {
                    kind: "user",
                    id: asked,
                });
            }
            // Gone from Entra ID: the deleted-objects check (its own step) decides about it.
            missing_users.push(asked);
            continue;
        };
        let direct = selected_users.contains(&user.id.to_lowercase())
            || user
                .user_principal_name
                .as_deref()
                .is_some_and(|u| selected_users.contains(&u.to_lowercase()));
        let via = match (direct, imported.users.get(&user.id)) {
            (true, _) => String::new(),
            (false, Some(stored)) => stored.directory.imported_via.clone(),
            (false, None) => String::new(),
        };
        users.insert(user.id.clone(), to_directory_user(user, via));
    }
    if let Some(rounds) = rounds {
        for user in &rounds.users.changed {
            if let Some(stored) = imported.users.get(&user.id)
                && !users.contains_key(&user.id)
            {
                let via = stored.directory.imported_via.clone();
                users.insert(user.id.clone(), to_directory_user(user.clone(), via));
            }
        }
        missing_users.extend(
            rounds
                .users
                .removed
                .iter()
                .filter(|r| imported.users.contains_key(&r.id) && !users.contains_key(&r.id))
                .map(|r| r.id.clone()),
        );
    }

    // Groups: the selected ones and every one imported earlier.
    progress(Progress {
        phase: Phase::ReadingGroups,
        done: 0,
    });
    let mut group_ids: Vec<String> = selection.groups.clone();
    if rounds.is_none() {
        group_ids.extend(imported.groups.keys().cloned());
    }
    let mut seen = HashSet::new();
    group_ids.retain(|id| seen.insert(id.to_lowercase()));
    let selected_groups: HashSet<&str> = selection.groups.iter().map(String::as_str).collect();
    let mut groups: BTreeMap<String, RemoteGroup> = BTreeMap::new();
    let mut missing_groups = Vec::new();
    for (id, group) in fetch_groups(graph, &group_ids).await? {
        match group {
            Some(g) => {
                groups.insert(g.id.clone(), g);
            }
            None if selected_groups.contains(id.as_str()) => {
                return Err(SyncError::NotFound { kind: "group", id });
            }
            // Every other ID asked for is a group imported earlier.
            None => missing_groups.push(id),
        }
    }

    // Members: of the selected groups (users imported with them), and of every group for the
    // memberships.
    progress(Progress {
        phase: Phase::ReadingMembers,
        done: 0,
    });
    let with_path = |ids: &mut dyn Iterator<Item = &String>| -> Vec<(String, String)> {
        ids.filter_map(|id| {
            groups
                .get(id)
                .map(|g| (g.id.clone(), g.display_name.clone()))
        })
        .collect()
    };
    let mut memberships: BTreeMap<String, Vec<String>> = BTreeMap::new();
    if selection.members && !selection.groups.is_empty() {
        let known: HashSet<String> = users.keys().cloned().collect();
        let expansion = graph
            .expand_groups(
                &with_path(&mut selection.groups.iter()),
                selection.nested,
                &known,
            )
            .await?;
        for (id, (user, path)) in expansion.users {
            users
                .entry(id)
                .or_insert_with(|| to_directory_user(user, path));
        }
        for group in expansion.nested {
            groups.entry(group.id.clone()).or_insert(group);
        }
        memberships.extend(expansion.members);
    }
    // Incremental: imported groups take the round's attribute and member changes — unless
    // users are imported for the first time, whose memberships in groups that did not change
    // no round reports; then every imported group's members are read, as in a full read.
    let mut changed_groups: Vec<DirectoryGroup> = Vec::new();
    if let Some(rounds) = rounds {
        if users.keys().any(|id| !imported.users.contains_key(id)) {
            let more: Vec<String> = imported
                .groups
                .keys()
                .filter(|id| !groups.contains_key(*id))
                .cloned()
                .collect();
            for (id, group) in fetch_groups(graph, &more).await? {
                match group {
                    Some(g) => {
                        groups.insert(g.id.clone(), g);
                    }
                    None => missing_groups.push(id),
                }
            }
        } else {
            missing_groups.extend(
                rounds
                    .groups
                    .removed
                    .iter()
                    .filter(|r| imported.groups.contains_key(&r.id) && !groups.contains_key(&r.id))
                    .map(|r| r.id.clone()),
            );
            for (id, change) in &rounds.groups.changed {
                let Some(stored) = imported.groups.get(id).filter(|_| !groups.contains_key(id))
                else {
                    continue;
                };
                if stored.deleted_in_directory {
                    // Restored after a sync took its members away: read them all again.
                    let remote = change
                        .group
                        .clone()
                        .unwrap_or_else(|| remote_from_stored(&stored.directory));
                    groups.insert(id.clone(), remote);
                } else {
                    changed_groups.push(apply_group_change(&stored.directory, change));
                }
            }
        }
    }
    let rest: Vec<(String, String)> = groups
        .values()
        .filter(|g| !memberships.contains_key(&g.id))
        .map(|g| (g.id.clone(), g.display_name.clone()))
        .collect();
    if !rest.is_empty() {
        // Only the member lists: users not imported are not imported through these groups.
        let known: HashSet<String> = users.keys().cloned().collect();
        let expansion = graph.expand_groups(&rest, false, &known).await?;
        memberships.extend(expansion.members);
    }
    progress(Progress {
        phase: Phase::ReadingMembers,
        done: memberships.len() as u64,
    });

    // Deleted on the server: not brought back through a group unless the admin says so
    // (a user selected directly is a clear enough "bring back").
    let mut tombstoned = Vec::new();
    for id in imported.tombstones.keys() {
        if !selected_users.contains(&id.to_lowercase())
            && let Some(user) = users.remove(id)
        {
            tombstoned.push(user);
        }
    }
    tombstoned.sort_by(|a, b| a.user_principal_name.cmp(&b.user_principal_name));

    let mut groups: Vec<DirectoryGroup> = groups
        .into_values()
        .map(|g| {
            let members = memberships.remove(&g.id);
            to_directory_group(g, members)
        })
        .collect();
    groups.extend(changed_groups);
    Ok(Gathered {
        changes: DirectoryChanges {
            users: users.into_values().collect(),
            groups,
            removals: Vec::new(),
            delta: None,
        },
        missing_users,
        missing_groups,
        tombstoned,
        read: ReadMode::Full(FullReason::Requested),
    })
}

fn remote_from_stored(stored: &DirectoryGroup) -> RemoteGroup {
    RemoteGroup {
        id: stored.object_id.clone(),
        display_name: stored.display_name.clone(),
        description: stored.description.clone(),
        mail: stored.mail.clone(),
        mail_enabled: stored.mail_enabled,
        security_enabled: stored.security_enabled,
        group_types: stored.group_types.clone(),
        on_premises_sync_enabled: None,
    }
}

/// A stored group with a round's changes applied: new attributes when Graph sent them, members
/// as stored plus the added minus the removed (members not imported are ignored by the plan).
fn apply_group_change(stored: &DirectoryGroup, change: &GroupChange) -> DirectoryGroup {
    let mut group = match &change.group {
        Some(remote) => to_directory_group(remote.clone(), None),
        // Its members are set below in either case.
        None => stored.clone(),
    };
    let mut members: Vec<String> = stored.members.clone().unwrap_or_default();
    members.retain(|m| !change.removed.contains(m));
    for added in &change.added {
        if !members.contains(added) {
            members.push(added.clone());
        }
    }
    group.members = Some(members);
    group
}

/// "Check deleted objects": reads the recycle bin (a complete read, or an error and no
/// decision), then sorts every imported user Entra ID no longer has, has disabled, or no longer
/// puts in scope, and every imported group it no longer has. Each gets the proposed action
/// (Disable).
pub async fn check_deleted(
    graph: &GraphClient,
    imported: &Imported,
    gathered: &Gathered,
    selection: &Selection,
) -> Result<Vec<DeletedObject>, SyncError> {
    let mut recycle_bin = HashMap::new();
    if !gathered.missing_users.is_empty() {
        recycle_bin.extend(graph.recycle_bin_users().await?);
    }
    if !gathered.missing_groups.is_empty() {
        recycle_bin.extend(graph.recycle_bin_groups().await?);
    }
    let read = CompleteRead {
        changes: gathered.changes.clone(),
        missing_users: gathered.missing_users.clone(),
        missing_groups: gathered.missing_groups.clone(),
        recycle_bin,
        selected_users: selection.users.iter().cloned().collect(),
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default();
    Ok(triage(imported, &read, now))
}

/// The removals the admin's decisions amount to (Keep is no removal).
pub fn removals(objects: &[DeletedObject]) -> Vec<Removal> {
    objects
        .iter()
        .filter_map(|o| {
            let action = match o.action {
                Action::Keep => return None,
                Action::Disable => RemovalAction::Disable,
                Action::Delete => RemovalAction::Delete,
            };
            let deletion = match o.finding {
                Finding::SoftDeleted { .. } => Some(DirectoryDeletion::SoftDeleted),
                Finding::HardDeleted => Some(DirectoryDeletion::HardDeleted),
                _ => None,
            };
            Some(Removal {
                kind: o.kind,
                object_id: o.object_id.clone(),
                action,
                deletion,
                reason: o.finding.describe(),
            })
        })
        .collect()
}

/// Users by ID (or UPN), in the order asked; `None` for those Graph does not have.
async fn fetch_users(
    graph: &GraphClient,
    ids: &[String],
    counted: &mut (dyn FnMut(u64) + Send),
) -> Result<Vec<(String, Option<RemoteUser>)>, GraphError> {
    if ids.len() > LIST_INSTEAD_OF_BATCH {
        let wanted: HashSet<String> = ids.iter().map(|id| id.to_lowercase()).collect();
        let mut by_key: HashMap<String, RemoteUser> = HashMap::with_capacity(ids.len());
        graph
            .users(None, |page| {
                counted(page.len() as u64);
                for user in page {
                    let id = user.id.to_lowercase();
                    let upn = user.user_principal_name.as_deref().map(str::to_lowercase);
                    // Kept once, under whichever key the caller asked for.
                    if wanted.contains(&id) {
                        by_key.insert(id, user);
                    } else if let Some(upn) = upn.filter(|u| wanted.contains(u)) {
                        by_key.insert(upn, user);
                    }
                }
            })
            .await?;
        return Ok(ids
            .iter()
            .map(|id| (id.clone(), by_key.remove(&id.to_lowercase())))
            .collect());
    }
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(400) {
        let by_id = graph.users_by_ids(chunk).await?;
        counted(chunk.len() as u64);
        let missing: HashSet<&String> = by_id.missing.iter().collect();
        let mut found: BTreeMap<String, RemoteUser> = BTreeMap::new();
        for user in by_id.found {
            if let Some(upn) = &user.user_principal_name {
                found.insert(upn.to_lowercase(), user.clone());
            }
            found.insert(user.id.to_lowercase(), user);
        }
        for id in chunk {
            let user = if missing.contains(id) {
                None
            } else {
                found.get(&id.to_lowercase()).cloned()
            };
            out.push((id.clone(), user));
        }
    }
    Ok(out)
}

async fn fetch_groups(
    graph: &GraphClient,
    ids: &[String],
) -> Result<Vec<(String, Option<RemoteGroup>)>, GraphError> {
    if ids.len() > LIST_INSTEAD_OF_BATCH / 4 {
        // 20 groups per $batch vs 999 per page: past a few hundred, listing is cheaper.
        let mut all: BTreeMap<String, RemoteGroup> = BTreeMap::new();
        graph
            .groups(None, |page| {
                all.extend(page.into_iter().map(|g| (g.id.to_lowercase(), g)));
            })
            .await?;
        return Ok(ids
            .iter()
            .map(|id| (id.clone(), all.get(&id.to_lowercase()).cloned()))
            .collect());
    }
    let paths: Vec<String> = ids
        .iter()
        .map(|id| {
            format!(
                "/groups/{}?$select={}",
                url_escape(id),
                aadsync_directory::graph::GROUP_SELECT
            )
        })
        .collect();
    let mut out = Vec::with_capacity(ids.len());
    for (id, (status, body)) in ids.iter().zip(graph.batch_get(&paths).await?) {
        match status {
            200 => out.push((id.clone(), RemoteGroup::from_json(body))),
            404 => out.push((id.clone(), None)),
            _ => return Err(batch_error(status, &body)),
        }
    }
    Ok(out)
}

fn url_escape(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '@'))
        .collect()
}

/// The preview: what applying `changes` would do now.
pub fn preview(
    store: &Store,
    tenant_id: &str,
    changes: &DirectoryChanges,
) -> Result<Plan, SyncError> {
    let imported = store.reader().imported(tenant_id)?;
    Ok(aadsync_store::plan::plan(&imported, changes))
}

/// Where the snapshot before a run goes: `<db dir>/snapshots/<db name>.<unix time>.sqlite3`.
fn snapshot_path(db: &Path) -> PathBuf {
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or_default();
    let name = db
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "aadsync".into());
    db.parent()
        .unwrap_or_else(|| Path::new("."))
        .join("snapshots")
        .join(format!("{name}.{stamp}.sqlite3"))
}

/// Snapshots the database, then applies `changes` in one transaction. Old snapshots beyond
/// [`SNAPSHOTS_KEPT`] are removed afterwards.
pub fn apply(
    store: &Store,
    run: &RunInfo,
    changes: &DirectoryChanges,
    progress: &(dyn Fn(Progress) + Send + Sync),
) -> Result<(ApplyReport, PathBuf), SyncError> {
    apply_cancellable(store, run, changes, progress, &Cancel::default())
}

/// A Cancel button for [`apply_cancellable`]: before the transaction it stops the run; during
/// it, it interrupts SQLite, which rolls the transaction back; after the commit it does nothing,
/// so a late Cancel can never turn a committed run into an error.
#[derive(Default)]
pub struct Cancel {
    requested: std::sync::atomic::AtomicBool,
    /// Set only while the apply's transaction may be running.
    armed: std::sync::Mutex<Option<std::sync::Arc<aadsync_store::InterruptHandle>>>,
}

impl std::fmt::Debug for Cancel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cancel")
            .field("requested", &self.is_requested())
            .finish_non_exhaustive()
    }
}

impl Cancel {
    pub fn cancel(&self) {
        self.requested
            .store(true, std::sync::atomic::Ordering::SeqCst);
        if let Some(handle) = self.armed().as_ref() {
            handle.interrupt();
        }
    }

    pub fn is_requested(&self) -> bool {
        self.requested.load(std::sync::atomic::Ordering::SeqCst)
    }

    fn armed(
        &self,
    ) -> std::sync::MutexGuard<'_, Option<std::sync::Arc<aadsync_store::InterruptHandle>>> {
        self.armed
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// [`apply`] with a Cancel: the database is unchanged when it returns [`SyncError::Cancelled`].
pub fn apply_cancellable(
    store: &Store,
    run: &RunInfo,
    changes: &DirectoryChanges,
    progress: &(dyn Fn(Progress) + Send + Sync),
    cancel: &Cancel,
) -> Result<(ApplyReport, PathBuf), SyncError> {
    if cancel.is_requested() {
        return Err(SyncError::Cancelled);
    }
    progress(Progress {
        phase: Phase::Snapshot,
        done: 0,
    });
    let snapshot = snapshot_path(store.path());
    if let Some(dir) = snapshot.parent() {
        std::fs::create_dir_all(dir).map_err(|e| StoreError::Snapshot {
            path: dir.to_path_buf(),
            detail: e.to_string(),
        })?;
    }
    // One write handle for both: nothing can be written between the snapshot and the apply.
    let mut writer = store.writer();
    writer.snapshot_to(&snapshot)?;
    progress(Progress {
        phase: Phase::Writing,
        done: 0,
    });
    *cancel.armed() = Some(store.interrupt_handle());
    let applied = if cancel.is_requested() {
        Err(StoreError::Interrupted)
    } else {
        writer.apply_directory_changes_until(run, changes, &|| cancel.is_requested())
    };
    // Disarmed before anything else is written: the run is committed (or rolled back) now.
    *cancel.armed() = None;
    let report = applied.map_err(|e| match e {
        StoreError::Interrupted => SyncError::Cancelled,
        other => other.into(),
    })?;
    writer.set_run_snapshot(report.run_id, &snapshot)?;
    drop(writer);
    prune_snapshots(&snapshot);
    Ok((report, snapshot))
}

fn prune_snapshots(latest: &Path) {
    let Some(dir) = latest.parent() else {
        return;
    };
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut files: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "sqlite3"))
        .collect();
    files.sort();
    let excess = files.len().saturating_sub(SNAPSHOTS_KEPT);
    for old in files.into_iter().take(excess) {
        if let Err(err) = std::fs::remove_file(&old) {
            tracing::warn!(error = %err, file = %old.display(), "could not remove an old snapshot");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
            (Phase::Planning, "Comparing with the database"),
            (Phase::Snapshot, "Saving a snapshot for undo"),
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

    /// The 5 newest snapshots stay; older ones go; files that are not snapshots stay.
    #[test]
    fn old_snapshots_are_pruned() {
        let dir = tempfile::tempdir().expect("dir");
        let names: Vec<String> = (1..=7)
            .map(|n| format!("aadsync.2026113015000{n}.sqlite3"))
            .collect();
        for name in names.iter().map(String::as_str).chain(["notes.txt"]) {
            std::fs::write(dir.path().join(name), b"x").expect("write");
        }
        prune_snapshots(&dir.path().join(&names[6]));
        let mut left: Vec<String> = std::fs::read_dir(dir.path())
            .expect("list")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        let mut expected: Vec<String> = names[2..].to_vec();
        expected.push("notes.txt".into());
        assert_eq!(left, expected);
    }

    #[test]
    fn a_cancel_shows_whether_it_was_requested() {
        let cancel = Cancel::default();
        assert_eq!(format!("{cancel:?}"), "Cancel { requested: false, .. }");
        cancel.cancel();
        assert_eq!(format!("{cancel:?}"), "Cancel { requested: true, .. }");
    }
}
