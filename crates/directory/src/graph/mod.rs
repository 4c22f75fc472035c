//! Microsoft Graph reads for synchronization: users and groups page by page (streamed to the
//! caller), `$search`, group members through `$batch`, users by ID through `$batch`, and
//! change tracking (`delta`).
//!
//! Every call goes through [`GraphClient`], which retries what is worth retrying. Nothing here
//! issues one request per object when a paged or batched call exists.

mod client;
pub mod delta;
mod model;
pub mod retry;

pub use client::{DEFAULT_CONCURRENCY, GraphClient, GraphError, Stats};
pub use delta::{DELTA_WINDOW_SECONDS, DeltaKind, DeltaRound, GroupChange, RemovedObject, Stale};
pub use model::{GROUP_SELECT, RemoteGroup, RemoteUser, USER_SELECT};

use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap, HashSet};

/// Requests per `$batch` (Graph's limit).
pub const BATCH_SIZE: usize = 20;
/// Objects per page (Graph's maximum for users and groups).
pub const PAGE_SIZE: u32 = 999;

/// Percent-encodes a query value.
fn encode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// Graph's `$search` clause for a typed query, over the properties admins search by.
pub fn search_clause(query: &str, properties: &[&str]) -> String {
    // Double quotes and backslashes would end the clause early.
    let q: String = query
        .trim()
        .chars()
        .filter(|c| *c != '"' && *c != '\\')
        .collect();
    properties
        .iter()
        .map(|p| format!("\"{p}:{q}\""))
        .collect::<Vec<_>>()
        .join(" OR ")
}

impl GraphClient {
    /// Follows `@odata.nextLink` from `first` (each link used as given), handing each page's
    /// `value` to `on_page` as it arrives.
    pub async fn pages(
        &self,
        first: String,
        eventual: bool,
        mut on_page: impl FnMut(Vec<Value>),
    ) -> Result<(), GraphError> {
        let mut next = Some(first);
        while let Some(url) = next.take() {
            let mut page = self.get(&url, eventual).await?;
            next = page["@odata.nextLink"].as_str().map(str::to_owned);
            let items = match page["value"].take() {
                Value::Array(items) => items,
                _ => Vec::new(),
            };
            on_page(items);
        }
        Ok(())
    }

    /// The first page of a collection with `$select`, `$top` and, for a non-empty search,
    /// `$search` over `searched` (which needs `ConsistencyLevel: eventual`: the bool).
    fn collection_url(
        &self,
        collection: &str,
        select: &str,
        search: Option<&str>,
        searched: &[&str],
    ) -> (String, bool) {
        let mut url = self.url(&format!("/{collection}?$select={select}&$top={PAGE_SIZE}"));
        let search = search.map(str::trim).filter(|s| !s.is_empty());
        if let Some(q) = search {
            let clause = search_clause(q, searched);
            url.push_str(&format!("&$search={}", encode(&clause)));
        }
        (url, search.is_some())
    }

    /// All users, or those matching `search` (server-side `$search`), page by page.
    pub async fn users(
        &self,
        search: Option<&str>,
        mut on_page: impl FnMut(Vec<RemoteUser>),
    ) -> Result<(), GraphError> {
        let (url, eventual) = self.collection_url(
            "users",
            USER_SELECT,
            search,
            &["displayName", "userPrincipalName", "mail"],
        );
        self.pages(url, eventual, |items| {
            on_page(
                items
                    .into_iter()
                    .filter_map(RemoteUser::from_json)
                    .collect(),
            )
        })
        .await
    }

    /// All groups, or those matching `search`, page by page.
    pub async fn groups(
        &self,
        search: Option<&str>,
        mut on_page: impl FnMut(Vec<RemoteGroup>),
    ) -> Result<(), GraphError> {
        let (url, eventual) = self.collection_url(
            "groups",
            GROUP_SELECT,
            search,
            &["displayName", "mail", "description"],
        );
        self.pages(url, eventual, |items| {
            on_page(
                items
                    .into_iter()
                    .filter_map(RemoteGroup::from_json)
                    .collect(),
            )
        })
        .await
    }

    /// Runs GETs (paths relative to `/v1.0`) in `$batch`es of 20; returns each path's status
    /// and body. Throttled or failed inner requests are retried through the client's policy.
    pub async fn batch_get(&self, paths: &[String]) -> Result<Vec<(u16, Value)>, GraphError> {
        let mut results: Vec<Option<(u16, Value)>> = vec![None; paths.len()];
        let mut pending: Vec<usize> = (0..paths.len()).collect();
        let mut rounds = 0;
        while !pending.is_empty() {
            rounds += 1;
            let mut retry = Vec::new();
            let mut wait = None;
            for chunk in pending.chunks(BATCH_SIZE) {
                let requests: Vec<Value> = chunk
                    .iter()
                    .map(|i| json!({"id": i.to_string(), "method": "GET", "url": paths[*i]}))
                    .collect();
                let answer = self
                    .post(&self.url("/$batch"), &json!({ "requests": requests }))
                    .await?;
                let mut answered = HashSet::new();
                for response in answer["responses"].as_array().into_iter().flatten() {
                    let Some(i) = response["id"]
                        .as_str()
                        .and_then(|s| s.parse::<usize>().ok())
                    else {
                        continue;
                    };
                    if !chunk.contains(&i) {
                        continue;
                    }
                    answered.insert(i);
                    let status = response["status"].as_u64().unwrap_or(0) as u16;
                    if matches!(status, 429 | 500 | 502 | 503 | 504) {
                        wait = wait.max(inner_retry_after(response, self.now()));
                        retry.push(i);
                    } else {
                        results[i] = Some((status, response["body"].clone()));
                    }
                }
                // A response the batch left out is asked again.
                retry.extend(chunk.iter().filter(|i| !answered.contains(i)));
            }
            if retry.is_empty() {
                break;
            }
            if rounds >= 6 {
                return Err(GraphError::Exhausted {
                    retries: rounds - 1,
                    detail: format!("{} requests in a $batch kept failing", retry.len()),
                    request_id: None,
                });
            }
            tokio::time::sleep(
                wait.unwrap_or(std::time::Duration::from_millis(400 * (1 << rounds))),
            )
            .await;
            pending = retry;
        }
        Ok(results
            .into_iter()
            .map(|r| r.unwrap_or((0, Value::Null)))
            .collect())
    }

    /// Users by object ID (20 per `$batch`). IDs Graph no longer has come back in `missing`.
    pub async fn users_by_ids(&self, ids: &[String]) -> Result<UsersById, GraphError> {
        let paths: Vec<String> = ids
            .iter()
            .map(|id| format!("/users/{}?$select={USER_SELECT}", encode(id)))
            .collect();
        let mut found = Vec::new();
        let mut missing = Vec::new();
        for (id, (status, body)) in ids.iter().zip(self.batch_get(&paths).await?) {
            match status {
                200 => found.extend(RemoteUser::from_json(body)),
                404 => missing.push(id.clone()),
                _ => return Err(batch_error(status, &body)),
            }
        }
        Ok(UsersById { found, missing })
    }

    /// The user members of `groups` and, with `nested`, of the groups inside them (each group
    /// once, however often it is nested). First pages and every further page go through
    /// `$batch` (20 per request). Users whose ID is in `known` are listed as members but not
    /// returned again (the caller has them already).
    pub async fn expand_groups(
        &self,
        groups: &[(String, String)],
        nested: bool,
        known: &HashSet<String>,
    ) -> Result<Expansion, GraphError> {
        let mut expansion = Expansion::default();
        let mut level: Vec<(String, String)> = groups.to_vec();
        let mut seen: HashSet<String> = groups.iter().map(|(id, _)| id.clone()).collect();
        while !level.is_empty() {
            // (group index in level, is a groups page, path relative to /v1.0)
            let mut requests: Vec<(usize, bool, String)> = Vec::new();
            for (i, (id, _)) in level.iter().enumerate() {
                let id = encode(id);
                requests.push((
                    i,
                    false,
                    format!("/groups/{id}/members/microsoft.graph.user?$select={USER_SELECT}&$top={PAGE_SIZE}"),
                ));
                if nested {
                    requests.push((
                        i,
                        true,
                        format!("/groups/{id}/members/microsoft.graph.group?$select={GROUP_SELECT}&$top={PAGE_SIZE}"),
                    ));
                }
            }
            let mut next_level = Vec::new();
            while !requests.is_empty() {
                let mut more = Vec::new();
                // A couple of batches at a time: holding every answer before processing any
                // would keep all members of all groups in memory as JSON at once.
                let mut rest = requests;
                while !rest.is_empty() {
                    let tail = rest.split_off(rest.len().min(2 * BATCH_SIZE));
                    let chunk = std::mem::replace(&mut rest, tail);
                    let paths: Vec<String> = chunk.iter().map(|(_, _, p)| p.clone()).collect();
                    let answers = self.batch_get(&paths).await?;
                    for ((i, groups_page, _), (status, mut body)) in chunk.into_iter().zip(answers)
                    {
                        if status != 200 {
                            return Err(batch_error(status, &body));
                        }
                        let (group_id, path) = &level[i];
                        let items = match body["value"].take() {
                            Value::Array(items) => items,
                            _ => Vec::new(),
                        };
                        if groups_page {
                            for child in items.into_iter().filter_map(RemoteGroup::from_json) {
                                if seen.insert(child.id.clone()) {
                                    next_level.push((
                                        child.id.clone(),
                                        format!("{path} / {}", child.display_name),
                                    ));
                                    expansion.nested.push(child);
                                }
                            }
                        } else {
                            let members = expansion.members.entry(group_id.clone()).or_default();
                            for item in items {
                                let Some(id) = item["id"].as_str().map(str::to_owned) else {
                                    continue;
                                };
                                if !known.contains(&id)
                                    && !expansion.users.contains_key(&id)
                                    && let Some(user) = RemoteUser::from_json(item)
                                {
                                    expansion.users.insert(id.clone(), (user, path.clone()));
                                }
                                members.push(id);
                            }
                        }
                        if let Some(next) = body["@odata.nextLink"].as_str() {
                            more.push((i, groups_page, self.relative(next)));
                        }
                    }
                }
                requests = more;
            }
            level = next_level;
        }
        Ok(expansion)
    }

    /// A whole Graph URL as the path a `$batch` request takes (relative to `/v1.0`).
    fn relative(&self, url: &str) -> String {
        match url.find("/v1.0/") {
            Some(at) => url[at + "/v1.0".len()..].to_owned(),
            None => url.to_owned(),
        }
    }
}

/// The `Retry-After` of one answer inside a `$batch`, read at `now`.
fn inner_retry_after(response: &Value, now: std::time::SystemTime) -> Option<std::time::Duration> {
    response["headers"]["Retry-After"]
        .as_str()
        .or(response["headers"]["retry-after"].as_str())
        .and_then(|v| retry::parse_retry_after(v, now))
}

/// The error of one request answered inside a `$batch`.
pub fn batch_error(status: u16, body: &Value) -> GraphError {
    GraphError::Http {
        status,
        code: body["error"]["code"].as_str().unwrap_or("").to_owned(),
        message: body["error"]["message"]
            .as_str()
            .unwrap_or("no details")
            .to_owned(),
        request_id: None,
    }
}

impl GraphClient {
    /// Users in Entra ID's recycle bin: object ID → when they were deleted (seconds since
    /// the epoch). A complete read (every page) or an error.
    pub async fn recycle_bin_users(&self) -> Result<HashMap<String, i64>, GraphError> {
        self.recycle_bin("microsoft.graph.user").await
    }

    /// Groups in the recycle bin (Microsoft 365 groups; security groups are deleted for good).
    pub async fn recycle_bin_groups(&self) -> Result<HashMap<String, i64>, GraphError> {
        self.recycle_bin("microsoft.graph.group").await
    }

    async fn recycle_bin(&self, cast: &str) -> Result<HashMap<String, i64>, GraphError> {
        let mut out = HashMap::new();
        let url = self.url(&format!(
            "/directory/deletedItems/{cast}?$select=id,deletedDateTime&$top={PAGE_SIZE}"
        ));
        self.pages(url, false, |items| {
            for item in items {
                if let (Some(id), Some(at)) = (
                    item["id"].as_str(),
                    item["deletedDateTime"].as_str().and_then(parse_iso_seconds),
                ) {
                    out.insert(id.to_owned(), at);
                }
            }
        })
        .await?;
        Ok(out)
    }
}

/// `2026-11-26T07:35:00Z` (fractions and offsets other than Z are tolerated: Graph sends UTC).
pub fn parse_iso_seconds(text: &str) -> Option<i64> {
    let (date, time) = text.trim().split_once('T')?;
    let mut d = date.split('-').map(|p| p.parse::<i64>().ok());
    let (y, m, day) = (d.next()??, d.next()??, d.next()??);
    let time = time.trim_end_matches('Z');
    let time = time.split(['+', '.']).next()?;
    let mut t = time.split(':').map(|p| p.parse::<i64>().ok());
    let (hh, mm, ss) = (t.next()??, t.next()??, t.next().flatten().unwrap_or(0));
    let yy = if m <= 2 { y - 1 } else { y };
    let era = yy.div_euclid(400);
    let yoe = yy - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + hh * 3600 + mm * 60 + ss)
}

/// Result of [`GraphClient::users_by_ids`].
#[derive(Debug, Default)]
pub struct UsersById {
    pub found: Vec<RemoteUser>,
    /// Object IDs Graph answered 404 for (deleted, or never existed).
    pub missing: Vec<String>,
}

/// Result of [`GraphClient::expand_groups`].
#[derive(Debug, Default)]
pub struct Expansion {
    /// Every user member, with the group path it was first found through ("Sales / EMEA").
    pub users: BTreeMap<String, (RemoteUser, String)>,
    /// Direct user members of each expanded group, by group ID.
    pub members: HashMap<String, Vec<String>>,
    /// Groups found inside the selected ones (with `nested`).
    pub nested: Vec<RemoteGroup>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_dates() {
        assert_eq!(parse_iso_seconds("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_iso_seconds("1994-11-06T08:49:37Z"), Some(784_111_777));
        assert_eq!(
            parse_iso_seconds("1994-11-06T08:49:37.123Z"),
            Some(784_111_777)
        );
        assert_eq!(
            parse_iso_seconds("2024-02-29T00:00:00Z"),
            Some(1_709_164_800)
        );
        assert_eq!(parse_iso_seconds("yesterday"), None);
    }

    #[test]
    fn an_inner_retry_after_date_counts_from_the_clock() {
        use crate::clock::{Clock, FixedClock};
        use std::time::Duration;
        let clock = FixedClock::at_unix(784_111_770);
        let answer = |name: &str, value: &str| json!({"status": 429, "headers": {name: value}});
        let date = "Sun, 06 Nov 1994 08:49:37 GMT";
        assert_eq!(
            inner_retry_after(&answer("Retry-After", date), clock.now()),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            inner_retry_after(&answer("retry-after", "2"), clock.now()),
            Some(Duration::from_secs(2))
        );
        clock.advance(Duration::from_secs(3));
        assert_eq!(
            inner_retry_after(&answer("Retry-After", date), clock.now()),
            Some(Duration::from_secs(4))
        );
        assert_eq!(
            inner_retry_after(&json!({"status": 429}), clock.now()),
            None
        );
    }

    #[test]
    fn search_clauses_are_quoted_and_sanitized() {
        assert_eq!(
            search_clause(" ann ", &["displayName", "mail"]),
            "\"displayName:ann\" OR \"mail:ann\""
        );
        assert_eq!(
            search_clause("a\"b\\c", &["displayName"]),
            "\"displayName:abc\""
        );
    }
}
