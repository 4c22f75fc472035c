//! Many requests in few round trips: `$batch` (20 GETs each, throttled inner requests retried
//! alone), users by ID, and the members of groups, nested groups included.

use super::client::{GraphClient, GraphError, page_items};
use super::collections::{PAGE_SIZE, encode, every};
use super::model::{GROUP_SELECT, RemoteGroup, RemoteUser, USER_SELECT};
use super::retry;
use crate::paging::Pager;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap, HashSet};

/// Requests per `$batch` (Graph's limit).
pub const BATCH_SIZE: usize = 20;

impl GraphClient {
    /// Runs GETs (paths relative to `/v1.0`) in `$batch`es of 20; returns each path's status
    /// and body. Throttled or failed inner requests, and requests the answer left out, are
    /// asked again, waiting as the client's retry policy says; an answer that names one
    /// request twice is an error.
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
                let answered =
                    self.sort_answers(chunk, &answer, &mut results, &mut retry, &mut wait)?;
                // A response the batch left out is asked again.
                retry.extend(chunk.iter().filter(|i| !answered.contains(i)));
            }
            if retry.is_empty() {
                break;
            }
            let wait = self.policy().delay(rounds, wait);
            if rounds >= 6 || wait > self.policy().max_retry_after {
                return Err(GraphError::Exhausted {
                    retries: rounds - 1,
                    detail: format!("{} requests in a $batch kept failing", retry.len()),
                    request_id: None,
                });
            }
            tokio::time::sleep(wait).await;
            pending = retry;
        }
        Ok(results
            .into_iter()
            .map(|r| r.unwrap_or((0, Value::Null)))
            .collect())
    }

    /// The inner answers of one `$batch` for the requests in `chunk`: each final one into
    /// `results`, each to retry into `retry` (with the longest `Retry-After` into `wait`).
    /// The requests answered, or an error for an answer naming one of them twice.
    fn sort_answers(
        &self,
        chunk: &[usize],
        answer: &Value,
        results: &mut [Option<(u16, Value)>],
        retry: &mut Vec<usize>,
        wait: &mut Option<std::time::Duration>,
    ) -> Result<HashSet<usize>, GraphError> {
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
            if !answered.insert(i) {
                return Err(GraphError::unreadable(format!(
                    "Microsoft Graph answered request {i} of a $batch twice"
                )));
            }
            // Not a status (absent, or out of range: 65,736 is no 200): 0, an error below.
            let status = response["status"]
                .as_u64()
                .and_then(|s| u16::try_from(s).ok())
                .unwrap_or(0);
            if matches!(status, 429 | 500 | 502 | 503 | 504) {
                *wait = (*wait).max(inner_retry_after(response, self.now()));
                retry.push(i);
            } else if let Some(slot) = results.get_mut(i) {
                *slot = Some((status, response["body"].clone()));
            }
        }
        Ok(answered)
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
                // An unreadable user is neither found nor missing: an error, not left out.
                200 => found.push(RemoteUser::from_json(body).ok_or_else(|| {
                    GraphError::unreadable(format!(
                        "Microsoft Graph described the user {id} unreadably"
                    ))
                })?),
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
            let mut requests = first_pages(self, &level, nested);
            let mut next_level = Vec::new();
            while !requests.is_empty() {
                let mut more = Vec::new();
                // A couple of batches at a time: holding every answer before processing any
                // would keep all members of all groups in memory as JSON at once.
                let mut rest = requests;
                while !rest.is_empty() {
                    let tail = rest.split_off(rest.len().min(2 * BATCH_SIZE));
                    let chunk = std::mem::replace(&mut rest, tail);
                    let paths: Vec<String> = chunk.iter().map(|r| r.path.clone()).collect();
                    let answers = self.batch_get(&paths).await?;
                    for (request, (status, mut body)) in chunk.into_iter().zip(answers) {
                        let (group_id, path) = &level[request.group];
                        // "List group members": a group with hidden membership answers 403
                        // without Member.Read.Hidden. That group fails alone; the rest go on.
                        if status == 403 {
                            expansion.refused(group_id, &body);
                            continue;
                        }
                        if status != 200 {
                            return Err(batch_error(status, &body));
                        }
                        if expansion.unreadable.contains_key(group_id) {
                            continue;
                        }
                        let items = page_items(&mut body)?;
                        if request.groups_page {
                            expansion.add_groups(
                                group_id,
                                items,
                                path,
                                &mut seen,
                                &mut next_level,
                            )?;
                        } else {
                            expansion.add_members(group_id, path, items, known)?;
                        }
                        let mut request = request;
                        if let Some(next) = request.pager.next(&body)? {
                            request.path = next.relative;
                            more.push(request);
                        }
                    }
                }
                requests = more;
            }
            level = next_level;
        }
        Ok(expansion)
    }
}

/// One page of a group's members to ask for in a `$batch`.
struct PageRequest {
    /// The group's index in the level being expanded.
    group: usize,
    /// Member groups (to expand next) rather than member users.
    groups_page: bool,
    /// Relative to `/v1.0`.
    path: String,
    /// This group's member listing: its links stay on the Graph root, never repeat, and end.
    pager: Pager,
}

/// The first page of each group's user members and, with `nested`, of its member groups.
fn first_pages(client: &GraphClient, level: &[(String, String)], nested: bool) -> Vec<PageRequest> {
    let request = |group, groups_page, path: String| PageRequest {
        group,
        groups_page,
        pager: client.pager(&client.url(&path)),
        path,
    };
    let mut requests = Vec::new();
    for (group, (id, _)) in level.iter().enumerate() {
        let id = encode(id);
        requests.push(request(
            group,
            false,
            format!(
                "/groups/{id}/members/microsoft.graph.user?$select={USER_SELECT}&$top={PAGE_SIZE}"
            ),
        ));
        if nested {
            requests.push(request(
                group,
                true,
                format!(
                    "/groups/{id}/members/microsoft.graph.group?$select={GROUP_SELECT}&$top={PAGE_SIZE}"
                ),
            ));
        }
    }
    requests
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
    /// With `nested`: the member groups of each expanded group, by group ID (every edge, also
    /// to groups reached before through another path).
    pub children: HashMap<String, Vec<String>>,
    /// Groups whose members Graph refused to list (403), with the reason for the admin. Such a
    /// group has no entry in `members` or `children`.
    pub unreadable: BTreeMap<String, String>,
}

/// Why a group's members could not be read, for the run's results.
pub fn members_refused(code: &str) -> String {
    format!(
        "Entra ID refused to list this group's members (403 {code}). A group with hidden membership lists its members only with the Microsoft Graph permission Member.Read.Hidden: add it to the app registration and grant admin consent, or leave the group out"
    )
}

impl Expansion {
    /// Records a group whose members Graph refused to list, forgetting what it gave of them.
    fn refused(&mut self, group_id: &str, body: &Value) {
        self.members.remove(group_id);
        self.children.remove(group_id);
        let code = body["error"]["code"].as_str().unwrap_or("Forbidden");
        self.unreadable
            .insert(group_id.to_owned(), members_refused(code));
    }

    /// Member groups found through the group at `path`: each one new to the expansion is
    /// expanded next, under its path ("Sales / EMEA").
    fn add_groups(
        &mut self,
        group_id: &str,
        items: Vec<Value>,
        path: &str,
        seen: &mut HashSet<String>,
        next_level: &mut Vec<(String, String)>,
    ) -> Result<(), GraphError> {
        let children = self.children.entry(group_id.to_owned()).or_default();
        for child in every(items, RemoteGroup::from_json, "group")? {
            children.push(child.id.clone());
            if seen.insert(child.id.clone()) {
                next_level.push((child.id.clone(), format!("{path} / {}", child.display_name)));
                self.nested.push(child);
            }
        }
        Ok(())
    }

    /// User members of `group_id`; a user neither `known` nor seen before is kept, with the
    /// group path it was first found through.
    fn add_members(
        &mut self,
        group_id: &str,
        path: &str,
        items: Vec<Value>,
        known: &HashSet<String>,
    ) -> Result<(), GraphError> {
        let members = self.members.entry(group_id.to_owned()).or_default();
        // Every member is read, known or not: one left out would leave the group.
        for user in every(items, RemoteUser::from_json, "user")? {
            let id = user.id.clone();
            if !known.contains(&id) && !self.users.contains_key(&id) {
                self.users.insert(id.clone(), (user, path.to_owned()));
            }
            members.push(id);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
