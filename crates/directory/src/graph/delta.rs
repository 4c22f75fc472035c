//! Change tracking through `users/delta` and `groups/delta`: a link for "changes from now
//! on" (`$deltatoken=latest`), and one round of the changes since a stored link.
//!
//! Links are handed out relative to the Graph root ("/users/delta?$deltatoken=…"): the demo
//! tenant's root changes with every app start, and a stored link must never send the bearer
//! token to a host other than the organization's Graph root.

use super::client::{GraphClient, GraphError, page_items};
use super::model::{GROUP_SELECT, RemoteGroup, RemoteUser, USER_SELECT};
use serde_json::Value;
use std::collections::BTreeMap;

/// Graph honours a directory delta token this long after it was issued.
pub const DELTA_WINDOW_SECONDS: i64 = 7 * 86_400;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeltaKind {
    Users,
    Groups,
}

impl DeltaKind {
    fn first_path(self) -> String {
        match self {
            DeltaKind::Users => format!("/users/delta?$select={USER_SELECT}"),
            // `members` makes Graph report membership changes as `members@delta`.
            DeltaKind::Groups => format!("/groups/delta?$select={GROUP_SELECT},members"),
        }
    }

    fn collection(self) -> &'static str {
        match self {
            DeltaKind::Users => "/users/delta?",
            DeltaKind::Groups => "/groups/delta?",
        }
    }
}

/// An object Graph reports as removed since the link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemovedObject {
    pub id: String,
    /// `@removed.reason` "deleted": gone for good; "changed": in the recycle bin (restorable).
    pub permanently: bool,
}

/// A group's changes: its attributes (when Graph sent a readable object) and the user members
/// added and removed since the link. Graph may split one group over several items; they are
/// merged, the later item winning for a member.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupChange {
    pub group: Option<RemoteGroup>,
    pub added: Vec<String>,
    pub removed: Vec<String>,
}

/// One round of changes, and the link for the next round.
#[derive(Debug, Clone, Default)]
pub struct DeltaRound<T> {
    pub changed: Vec<T>,
    pub removed: Vec<RemovedObject>,
    /// Relative to the Graph root; store it for the next round.
    pub next_link: String,
}

/// Why a stored link cannot be used: the caller falls back to a full comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stale {
    /// 410 Gone, or 400 `syncStateNotFound` / `resyncRequired` ([`is_expired`]): Graph no
    /// longer has the state.
    Expired,
    /// Not a delta link of this organization's Graph root.
    Foreign,
}

/// Changes of a delta round, or why the stored link could not be used.
pub type DeltaAnswer<T> = Result<DeltaRound<T>, Stale>;

impl GraphClient {
    /// A link for the changes from now on, without enumerating anything.
    pub async fn latest_delta_link(&self, kind: DeltaKind) -> Result<String, GraphError> {
        let url = self.url(&format!("{}&$deltatoken=latest", kind.first_path()));
        let body = self.get(&url, false).await?;
        match body["@odata.deltaLink"].as_str() {
            Some(link) => self
                .relative_link(link, kind)
                .ok_or_else(|| malformed(link)),
            None => Err(GraphError::Http {
                status: 200,
                code: "noDeltaLink".into(),
                message: "Graph answered the delta request without an @odata.deltaLink".into(),
                request_id: None,
            }),
        }
    }

    /// Users changed or removed since `link`, each once: Graph may report a user more than
    /// once in a round, and the last copy is its state. `wanted` filters the changed users
    /// kept in memory (the tenant may have changed far more users than were imported).
    pub async fn user_changes(
        &self,
        link: &str,
        wanted: impl Fn(&str) -> bool,
    ) -> Result<DeltaAnswer<RemoteUser>, GraphError> {
        let mut changed: BTreeMap<String, RemoteUser> = BTreeMap::new();
        let answer = self
            .delta_round(link, DeltaKind::Users, |id, item| {
                // A later copy replaces an earlier one, a removal included.
                changed.remove(id);
                if let Some(item) = item.filter(|_| wanted(id)) {
                    let user = RemoteUser::from_json(item).ok_or_else(unreadable_item)?;
                    changed.insert(id.to_owned(), user);
                }
                Ok(())
            })
            .await?;
        Ok(answer.map(|(removed, next_link)| DeltaRound {
            changed: changed.into_values().collect(),
            removed,
            next_link,
        }))
    }

    /// Groups changed or removed since `link`, with their member changes (users only).
    pub async fn group_changes(
        &self,
        link: &str,
        wanted: impl Fn(&str) -> bool,
    ) -> Result<DeltaAnswer<(String, GroupChange)>, GraphError> {
        let mut by_id: BTreeMap<String, GroupChange> = BTreeMap::new();
        let answer = self
            .delta_round(link, DeltaKind::Groups, |id, item| {
                // Removed after earlier items: the removal is the group's last state.
                let Some(mut item) = item else {
                    by_id.remove(id);
                    return Ok(());
                };
                if !wanted(id) {
                    return Ok(());
                }
                let id = id.to_owned();
                let members = match item.as_object_mut().and_then(|o| o.remove("members@delta")) {
                    None | Some(Value::Null) => Vec::new(),
                    Some(Value::Array(members)) => members,
                    Some(_) => return Err(unreadable_item()),
                };
                let change = by_id.entry(id).or_default();
                for member in &members {
                    let is_user = member["@odata.type"]
                        .as_str()
                        .is_none_or(|t| t.eq_ignore_ascii_case("#microsoft.graph.user"));
                    if !is_user {
                        continue;
                    }
                    let Some(member_id) = member["id"].as_str() else {
                        return Err(unreadable_item());
                    };
                    let member_id = member_id.to_owned();
                    change.added.retain(|m| *m != member_id);
                    change.removed.retain(|m| *m != member_id);
                    if member.get("@removed").is_some() {
                        change.removed.push(member_id);
                    } else {
                        change.added.push(member_id);
                    }
                }
                // An item carrying only members@delta (no display name) keeps the attributes
                // an earlier item of the same group gave.
                if item.get("displayName").is_some() {
                    change.group = Some(RemoteGroup::from_json(item).ok_or_else(unreadable_item)?);
                }
                Ok(())
            })
            .await?;
        Ok(answer.map(|(removed, next_link)| DeltaRound {
            changed: by_id.into_iter().collect(),
            removed,
            next_link,
        }))
    }

    /// Follows `link` through its nextLinks to the new deltaLink. Every item goes to
    /// `on_item` in order, with its ID (`None` for an object marked `@removed`); the removed
    /// objects are also collected, each once, and dropped again when a later copy reports the
    /// object present (Graph may repeat an object; the last copy wins). A page without its
    /// `value` list, an item without an ID or one `on_item` cannot read fails the round: the
    /// new link would otherwise pass over the change for good.
    async fn delta_round(
        &self,
        link: &str,
        kind: DeltaKind,
        mut on_item: impl FnMut(&str, Option<Value>) -> Result<(), GraphError>,
    ) -> Result<Result<(Vec<RemovedObject>, String), Stale>, GraphError> {
        if !link.starts_with(kind.collection()) {
            return Ok(Err(Stale::Foreign));
        }
        let mut url = self.url(link);
        let mut pager = self.pager(&url);
        let mut removed = Vec::new();
        loop {
            let mut page = match self.get(&url, false).await {
                Ok(page) => page,
                Err(e) if is_expired(&e) => return Ok(Err(Stale::Expired)),
                Err(other) => return Err(other),
            };
            for item in page_items(&mut page)? {
                let id = item["id"].as_str().ok_or_else(unreadable_item)?.to_owned();
                removed.retain(|r: &RemovedObject| r.id != id);
                if let Some(reason) = item.get("@removed") {
                    removed.push(RemovedObject {
                        id: id.clone(),
                        permanently: reason["reason"].as_str() != Some("changed"),
                    });
                    on_item(&id, None)?;
                } else {
                    on_item(&id, Some(item))?;
                }
            }
            // A next page elsewhere than our Graph root is not followed with our token, nor
            // one outside this kind's delta, a repeated one or one too many.
            if let Some(next) = pager.next(&page)? {
                if self.relative_link(&next.url, kind).is_none() {
                    return Err(malformed(&next.url));
                }
                url = next.url;
                continue;
            }
            return match page["@odata.deltaLink"].as_str() {
                Some(delta) => match self.relative_link(delta, kind) {
                    Some(rel) => Ok(Ok((removed, rel))),
                    None => Err(malformed(delta)),
                },
                None => Err(GraphError::Http {
                    status: 200,
                    code: "noDeltaLink".into(),
                    message: "a delta page had neither @odata.nextLink nor @odata.deltaLink".into(),
                    request_id: None,
                }),
            };
        }
    }

    /// `link` relative to this client's Graph root, if it is a delta link of `kind` there.
    fn relative_link(&self, link: &str, kind: DeltaKind) -> Option<String> {
        let root = self.url("");
        let rel = link.strip_prefix(&root)?;
        rel.starts_with(kind.collection()).then(|| rel.to_owned())
    }
}

fn unreadable_item() -> GraphError {
    GraphError::unreadable("Microsoft Graph described a changed object unreadably")
}

/// The answers Microsoft documents for a delta token it no longer honours, all meaning "start
/// over with a full synchronization": 410 Gone ("Use delta query", synchronization reset), and
/// 400 with the code `syncStateNotFound` (directory tokens past their 7 days) or
/// `resyncRequired`. Any other error is a real failure and is reported as one.
pub fn is_expired(error: &GraphError) -> bool {
    match error {
        GraphError::Http { status: 410, .. } => true,
        GraphError::Http {
            status: 400, code, ..
        } => matches!(code.as_str(), "syncStateNotFound" | "resyncRequired"),
        _ => false,
    }
}

fn malformed(link: &str) -> GraphError {
    GraphError::Http {
        status: 200,
        code: "unexpectedLink".into(),
        message: format!("Graph returned a paging link outside its own root: {link}"),
        request_id: None,
    }
}
