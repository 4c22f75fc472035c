//! Many requests in few round trips: `$batch` (20 GETs each, throttled inner requests retried
//! alone), users by ID, and the members of groups, nested groups included.

use super::client::{GraphClient, GraphError};
use super::collections::{PAGE_SIZE, encode};
use super::model::{GROUP_SELECT, RemoteGroup, RemoteUser, USER_SELECT};
use super::page::Page;
use super::retry;
use crate::paging::Pager;
use answer::{BatchAnswer, Body};
use serde_json::value::RawValue;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::atomic::Ordering;
use tokio::task::JoinSet;

mod answer;

/// Requests per `$batch` (Graph's limit).
pub const BATCH_SIZE: usize = 20;

impl GraphClient {
    /// Runs GETs (paths relative to `/v1.0`) in `$batch`es of 20, as many batches at once as
    /// the client's pace allows; returns each path's status and body, in the order asked.
    /// Throttled or failed inner requests, and requests the answer left out, are asked again
    /// (`Batches`); an answer that names one request twice is an error, and so is a body that
    /// is no JSON a `Value` can hold (it is never taken for an empty answer).
    pub async fn batch_get(&self, paths: &[String]) -> Result<Vec<(u16, Value)>, GraphError> {
        let mut results: Vec<(u16, Value)> = vec![(0, Value::Null); paths.len()];
        let mut batches = Batches::new(self);
        for (i, path) in paths.iter().enumerate() {
            batches.push(i, path.clone());
        }
        while let Some((i, status, body)) = batches.next().await? {
            if let Some(slot) = results.get_mut(i) {
                *slot = (status, body.read()?);
            }
        }
        Ok(results)
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
        // Where each user was first found: (level, group in it). Answers arrive in any order,
        // so the path a user is imported through is chosen by this rank, not by arrival.
        let mut ranks: HashMap<String, (usize, usize)> = HashMap::new();
        let mut depth = 0;
        while !level.is_empty() {
            // Every page of the level in flight together, as the pace allows; a group's next
            // page is asked for as soon as its previous one is in. Only the batches in flight
            // are held as JSON, never every member of every group at once.
            let mut batches = Batches::new(self).at_most(MEMBER_BATCHES_IN_FLIGHT);
            for request in first_pages(self, &level, nested) {
                let path = request.path.clone();
                batches.push(request, path);
            }
            let mut found: HashMap<String, RemoteGroup> = HashMap::new();
            while let Some((mut request, status, body)) = batches.next().await? {
                let (group_id, path) = &level[request.group];
                // "List group members": a group with hidden membership answers 403 without
                // Member.Read.Hidden. That group fails alone; the rest go on.
                if status == 403 {
                    expansion.refused(group_id, &body.value());
                    continue;
                }
                if status != 200 {
                    return Err(batch_error(status, &body.value()));
                }
                if expansion.unreadable.contains_key(group_id) {
                    continue;
                }
                let page = Page::read(body.text())?;
                if request.groups_page {
                    expansion.add_groups(group_id, &page, &mut found)?;
                } else {
                    let rank = (depth, request.group);
                    expansion.add_members(group_id, path, &page, known, rank, &mut ranks)?;
                }
                if let Some(next) = request.pager.follow(&page.next_link, &page.count)? {
                    request.path = next.relative;
                    let path = request.path.clone();
                    batches.push(request, path);
                }
            }
            level = expansion.next_level(&level, &mut found, &mut seen);
            depth += 1;
        }
        Ok(expansion)
    }
}

/// One GET of a `$batch` and the caller's key for its answer.
struct Job<K> {
    key: K,
    path: String,
    tries: u32,
    /// Its `id` in every batch it is sent in (unique among the requests of one `Batches`, so
    /// Graph's `request-id`s and logs can be matched to it across retries).
    id: usize,
}

/// What a `$batch` answered for one of its requests.
enum Inner {
    Final(u16, Body),
    Retry(Option<std::time::Duration>),
}

/// GETs through `$batch`es of 20 with several batches in flight (as many as the client's pace
/// allows); answers come back as they arrive, not in the order asked. A throttled or failed
/// inner request is asked again in a later batch after the client's pause (a `Retry-After`
/// pauses every request of the client, its siblings included); one that keeps failing ends
/// the read.
struct Batches<K> {
    client: GraphClient,
    queue: VecDeque<Job<K>>,
    running: JoinSet<Sent<K>>,
    ready: VecDeque<(K, u16, Body)>,
    pushed: usize,
    /// In flight at most, below the pace's limit.
    cap: usize,
}

/// A batch sent: its requests and Graph's answer.
type Sent<K> = (Vec<Job<K>>, Result<BatchAnswer, GraphError>);

/// Member batches in flight at most, whatever the pace allows: each answer can hold 20 pages
/// of 999 users as JSON (tens of megabytes parsed), and more of them at once only trade
/// memory for little speed (BENCHMARKS.md, issue 17).
pub const MEMBER_BATCHES_IN_FLIGHT: usize = 4;

/// Tries of one inner request, the first included.
const INNER_TRIES: u32 = 6;

impl<K: Send + 'static> Batches<K> {
    fn new(client: &GraphClient) -> Self {
        Self {
            client: client.clone(),
            queue: VecDeque::new(),
            running: JoinSet::new(),
            ready: VecDeque::new(),
            pushed: 0,
            cap: usize::MAX,
        }
    }

    /// At most `cap` batches in flight, whatever the pace allows.
    fn at_most(mut self, cap: usize) -> Self {
        self.cap = cap.max(1);
        self
    }

    fn push(&mut self, key: K, path: String) {
        self.queue.push_back(Job {
            key,
            path,
            tries: 0,
            id: self.pushed,
        });
        self.pushed += 1;
    }

    /// The next answer (key, status, body); `None` when every request is answered.
    async fn next(&mut self) -> Result<Option<(K, u16, Body)>, GraphError> {
        loop {
            if let Some(answer) = self.ready.pop_front() {
                return Ok(Some(answer));
            }
            self.start();
            let Some(joined) = self.running.join_next().await else {
                return Ok(None);
            };
            let (jobs, answer) = joined.map_err(|e| {
                if e.is_cancelled() {
                    GraphError::Cancelled
                } else {
                    GraphError::unreadable("a Microsoft Graph request stopped unexpectedly")
                }
            })?;
            self.sort(jobs, answer?)?;
        }
    }

    /// Starts batches while the pace has room for more.
    fn start(&mut self) {
        let room = self.client.pace().limit().min(self.cap);
        while !self.queue.is_empty() && self.running.len() < room {
            let take = self.queue.len().min(BATCH_SIZE);
            let jobs: Vec<Job<K>> = self.queue.drain(..take).collect();
            let requests: Vec<Value> = jobs
                .iter()
                .map(|job| json!({"id": job.id.to_string(), "method": "GET", "url": job.path}))
                .collect();
            let client = self.client.clone();
            self.running.spawn(async move {
                let answer = client
                    .post_as::<Box<RawValue>>(
                        &client.url("/$batch"),
                        &json!({ "requests": requests }),
                    )
                    .await
                    .map(|text| BatchAnswer::read(text.get()));
                (jobs, answer)
            });
        }
    }

    /// Final answers to `ready`; throttled, failed and left-out requests back to the queue,
    /// with the client paused for the longest `Retry-After` (or a backoff).
    fn sort(&mut self, jobs: Vec<Job<K>>, answer: BatchAnswer) -> Result<(), GraphError> {
        let mut inner: Vec<Option<Inner>> = jobs.iter().map(|_| None).collect();
        let place: HashMap<String, usize> = jobs
            .iter()
            .enumerate()
            .map(|(at, job)| (job.id.to_string(), at))
            .collect();
        for response in answer.responses {
            // An answer to no request of this batch is ignored.
            let Some((i, slot)) = response
                .id
                .as_str()
                .and_then(|id| place.get(id).map(|at| (id, *at)))
                .and_then(|(id, at)| inner.get_mut(at).map(|slot| (id, slot)))
            else {
                continue;
            };
            if slot.is_some() {
                return Err(GraphError::unreadable(format!(
                    "Microsoft Graph answered request {i} of a $batch twice"
                )));
            }
            let status = response.status();
            *slot = Some(if matches!(status, 429 | 500 | 502 | 503 | 504) {
                if status == 429 {
                    self.client
                        .stats()
                        .throttled
                        .fetch_add(1, Ordering::Relaxed);
                }
                Inner::Retry(inner_retry_after(&response.headers, self.client.now()))
            } else {
                Inner::Final(status, response.body)
            });
        }
        let mut wait: Option<std::time::Duration> = None;
        let mut tries = 0;
        let mut retry = Vec::new();
        for (job, answer) in jobs.into_iter().zip(inner) {
            match answer {
                Some(Inner::Final(status, body)) => self.ready.push_back((job.key, status, body)),
                // A request the batch left out is asked again.
                answer => {
                    if let Some(Inner::Retry(after)) = answer {
                        wait = wait.max(after);
                    }
                    tries = tries.max(job.tries + 1);
                    retry.push(job);
                }
            }
        }
        if retry.is_empty() {
            return Ok(());
        }
        let policy = self.client.policy();
        if tries >= INNER_TRIES || wait.is_some_and(|w| w > policy.max_retry_after) {
            return Err(GraphError::Exhausted {
                retries: tries.saturating_sub(1),
                detail: format!("{} requests in a $batch kept failing", retry.len()),
                request_id: None,
            });
        }
        self.client
            .stats()
            .retries
            .fetch_add(retry.len() as u64, Ordering::Relaxed);
        self.client
            .pace()
            .throttled(Some(policy.delay(tries, wait)));
        // First in the queue: the oldest requests are the ones a caller waits for.
        for mut job in retry.into_iter().rev() {
            job.tries += 1;
            self.queue.push_front(job);
        }
        Ok(())
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

/// The `Retry-After` of one answer inside a `$batch` (its `headers`), read at `now`.
fn inner_retry_after(headers: &Value, now: std::time::SystemTime) -> Option<std::time::Duration> {
    headers["Retry-After"]
        .as_str()
        .or(headers["retry-after"].as_str())
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

    /// Member groups of `group_id` (one page of them): each edge kept, each group kept in
    /// `found` for the next level.
    fn add_groups(
        &mut self,
        group_id: &str,
        page: &Page<'_>,
        found: &mut HashMap<String, RemoteGroup>,
    ) -> Result<(), GraphError> {
        let children = self.children.entry(group_id.to_owned()).or_default();
        for child in page.objects(RemoteGroup::from_text, "group")? {
            children.push(child.id.clone());
            found.entry(child.id.clone()).or_insert(child);
        }
        Ok(())
    }

    /// The groups to expand after `level`: each member group new to the expansion, under the
    /// path of the first group (in the level's order) it was found in ("Sales / EMEA"). In
    /// the level's order, not the answers', so the same tenant gives the same paths.
    fn next_level(
        &mut self,
        level: &[(String, String)],
        found: &mut HashMap<String, RemoteGroup>,
        seen: &mut HashSet<String>,
    ) -> Vec<(String, String)> {
        let mut next = Vec::new();
        for (group_id, path) in level {
            // A group refused (403) has no children here: nothing is reached through it.
            let Some(children) = self.children.get(group_id) else {
                continue;
            };
            for child in children {
                if seen.insert(child.clone())
                    && let Some(group) = found.remove(child)
                {
                    next.push((child.clone(), format!("{path} / {}", group.display_name)));
                    self.nested.push(group);
                }
            }
        }
        next
    }

    /// User members of `group_id`; a user not `known` is kept with the path of the group of
    /// lowest `rank` (level, then place in it) it was found in.
    fn add_members(
        &mut self,
        group_id: &str,
        path: &str,
        page: &Page<'_>,
        known: &HashSet<String>,
        rank: (usize, usize),
        ranks: &mut HashMap<String, (usize, usize)>,
    ) -> Result<(), GraphError> {
        let members = self.members.entry(group_id.to_owned()).or_default();
        // Every member is read, known or not: one left out would leave the group.
        for user in page.objects(RemoteUser::from_text, "user")? {
            let id = user.id.clone();
            let earlier = ranks.get(&id).is_some_and(|r| *r <= rank);
            if !known.contains(&id) && !earlier {
                ranks.insert(id.clone(), rank);
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
        let answer = |name: &str, value: &str| json!({name: value});
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
        assert_eq!(inner_retry_after(&Value::Null, clock.now()), None);
    }
}
