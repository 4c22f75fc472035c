//! One Microsoft Graph request, done right: bearer token from the session (renewed once on
//! 401), `client-request-id`, bounded concurrency, retries on throttling, 5xx, dropped
//! connections and unreadable bodies, a timeout and a size cap on each answer (the target's
//! `HttpLimits`), and errors that carry Graph's `request-id`.

use super::pace::{MAX_CONCURRENCY, Pace};
use super::retry::{RetryPolicy, parse_retry_after};
use crate::auth::session::{Session, SessionError};
use crate::body::{BodyError, read_capped};
use crate::clock::Clock;
use crate::paging::{Pager, PagingError};
use crate::target::HttpLimits;
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde_json::Value;
use serde_json::value::RawValue;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

pub use crate::target::GRAPH_REQUEST_TIMEOUT;

/// Requests in flight at once per client to begin with: the client then adapts it to what
/// Graph answers (`pace`), between one and `MAX_CONCURRENCY`.
pub const DEFAULT_CONCURRENCY: usize = 4;

#[derive(Debug, thiserror::Error)]
pub enum GraphError {
    #[error(
        "Microsoft Graph is throttling this tenant and did not recover after {retries} retries ({detail}). Try again later{}",
        support(request_id)
    )]
    Exhausted {
        retries: u32,
        detail: String,
        request_id: Option<String>,
    },
    #[error(
        "Microsoft Graph answered {status} {code}: {message}{}",
        support(request_id)
    )]
    Http {
        status: u16,
        code: String,
        message: String,
        request_id: Option<String>,
    },
    #[error("{0}")]
    Session(#[from] SessionError),
    #[error("{0}")]
    Paging(#[from] PagingError),
    #[error("{0}")]
    TooLarge(BodyError),
    #[error("the operation was cancelled")]
    Cancelled,
    #[error(
        "cannot connect securely to Microsoft Graph: {} ({verdict})",
        crate::net::UNTRUSTED_CERTIFICATE
    )]
    UntrustedCertificate { verdict: String },
}

fn support(request_id: &Option<String>) -> String {
    request_id
        .as_deref()
        .map(|id| format!(" (request-id {id})"))
        .unwrap_or_default()
}

impl GraphError {
    /// An answer Graph gave with success but that cannot be read whole (a page without its
    /// `value` list, an object without an ID): deciding from the readable part would treat
    /// what was lost as absent, so the read fails instead.
    pub fn unreadable(detail: impl Into<String>) -> Self {
        GraphError::Http {
            status: 200,
            code: "unreadableAnswer".into(),
            message: detail.into(),
            request_id: None,
        }
    }

    /// Missing permission or consent: worth a different message in the UI.
    pub fn is_forbidden(&self) -> bool {
        matches!(self, GraphError::Http { status: 403, .. })
    }
}

/// Counters for support and benchmarks.
#[derive(Debug, Default)]
pub struct Stats {
    pub requests: AtomicU64,
    pub retries: AtomicU64,
    pub throttled: AtomicU64,
}

/// A Graph client for one organization and run.
#[derive(Debug, Clone)]
pub struct GraphClient {
    http: reqwest::Client,
    limits: HttpLimits,
    clock: Arc<dyn Clock>,
    root: String,
    session: Arc<Session>,
    policy: Arc<RetryPolicy>,
    pace: Arc<Pace>,
    stats: Arc<Stats>,
    ids: Arc<AtomicU64>,
}

enum Attempt<T> {
    Done(T),
    Retry {
        detail: String,
        retry_after: Option<Duration>,
        request_id: Option<String>,
    },
    Fail(GraphError),
}

/// The parts of a response read before its body.
struct Answer {
    status: StatusCode,
    request_id: Option<String>,
    retry_after: Option<Duration>,
}

impl GraphClient {
    /// A client on the session's target: its HTTP client and clock, the default retry policy.
    ///
    /// This no longer fails (the HTTP client is built with the target); the `Result` is kept
    /// so that the app's and the CLI's callers need no change.
    pub fn new(session: Arc<Session>) -> Result<Self, GraphError> {
        Self::with_policy(session, RetryPolicy::new(6, 200), DEFAULT_CONCURRENCY)
    }

    /// As [`GraphClient::new`], with a retry policy and the requests in flight to begin with
    /// (adapted to throttling from there, up to `MAX_CONCURRENCY` or `concurrency` if more).
    pub fn with_policy(
        session: Arc<Session>,
        policy: RetryPolicy,
        concurrency: usize,
    ) -> Result<Self, GraphError> {
        let http = session.target().http().clone();
        let clock = Arc::clone(session.target().clock());
        let root = session
            .target()
            .endpoints
            .graph_root
            .as_str()
            .trim_end_matches('/')
            .to_owned();
        Ok(Self {
            http,
            limits: *session.target().limits(),
            clock,
            root,
            session,
            policy: Arc::new(policy),
            pace: Arc::new(Pace::new(concurrency, concurrency.max(MAX_CONCURRENCY))),
            stats: Arc::new(Stats::default()),
            ids: Arc::new(AtomicU64::new(0)),
        })
    }

    /// The same client with its own pace: `start` requests in flight at first, never more
    /// than `max` (1 and 1: one request at a time, as a baseline to compare with).
    pub fn with_pace(mut self, start: usize, max: usize) -> Self {
        self.pace = Arc::new(Pace::new(start, max));
        self
    }

    /// How this client waits between tries (a `$batch`'s inner retries follow it too).
    pub(super) fn policy(&self) -> &RetryPolicy {
        &self.policy
    }

    /// The current time on the session's clock (an HTTP-date `Retry-After` counts from it).
    pub(super) fn now(&self) -> SystemTime {
        self.clock.now()
    }

    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// The requests in flight this client allows now, and the most it had at once.
    pub fn pace(&self) -> &Pace {
        &self.pace
    }

    /// `https://graph.microsoft.com/v1.0` + `path` (which starts with `/`).
    pub fn url(&self, path: &str) -> String {
        format!("{}/v1.0{path}", self.root)
    }

    /// The pager for a listing starting at `first`: its links must stay under this client's
    /// Graph root (`crate::paging`).
    pub fn pager(&self, first: &str) -> Pager {
        Pager::new(&self.root, first)
    }

    fn client_request_id(&self) -> String {
        // Unique per request within the process; a GUID shape so Graph accepts it. The system
        // clock only makes IDs differ between runs, and no decision depends on it, so this is
        // not the session's clock (a fixed test clock would repeat IDs across runs).
        let n = self.ids.fetch_add(1, Ordering::Relaxed);
        let t = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or_default();
        let pid = u64::from(std::process::id());
        format!(
            "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
            (t >> 32) as u32,
            (t >> 16) as u16,
            (t & 0xfff) as u16,
            (pid & 0xfff) as u16,
            n & 0xffff_ffff_ffff
        )
    }

    pub async fn get(&self, url: &str, eventual: bool) -> Result<Value, GraphError> {
        self.send(Method::GET, url, None, eventual).await
    }

    pub async fn post(&self, url: &str, body: &Value) -> Result<Value, GraphError> {
        self.send(Method::POST, url, Some(body), false).await
    }

    /// A GET whose answer is kept as its JSON text (checked to be JSON), for the caller to
    /// read straight into what it expects instead of through a `Value` tree.
    pub(super) async fn get_raw(
        &self,
        url: &str,
        eventual: bool,
    ) -> Result<Box<RawValue>, GraphError> {
        self.send_with(Method::GET, url, None, eventual, None).await
    }

    /// A POST whose answer is read as `T` (an answer `T` cannot read is retried as a broken
    /// one, then an error).
    pub(super) async fn post_as<T: DeserializeOwned>(
        &self,
        url: &str,
        body: &Value,
    ) -> Result<T, GraphError> {
        self.send_with(Method::POST, url, Some(body), false, None)
            .await
    }

    /// A PATCH; `prefer` is the `Prefer` header (`create-if-missing` makes an alternate-key
    /// PATCH an upsert). An answer without a body (204 No Content) is `Value::Null`.
    pub async fn patch(
        &self,
        url: &str,
        body: &Value,
        prefer: Option<&str>,
    ) -> Result<Value, GraphError> {
        self.send_with(Method::PATCH, url, Some(body), false, prefer)
            .await
    }

    async fn send(
        &self,
        method: Method,
        url: &str,
        body: Option<&Value>,
        eventual: bool,
    ) -> Result<Value, GraphError> {
        self.send_with(method, url, body, eventual, None).await
    }

    async fn send_with<T: DeserializeOwned>(
        &self,
        method: Method,
        url: &str,
        body: Option<&Value>,
        eventual: bool,
        prefer: Option<&str>,
    ) -> Result<T, GraphError> {
        let mut attempt = 0;
        let mut renewed = false;
        loop {
            attempt += 1;
            let outcome = {
                let _permit = self.pace.acquire().await;
                self.once(&method, url, body, (eventual, prefer), &mut renewed)
                    .await
            };
            match outcome {
                Attempt::Done(value) => {
                    self.pace.calm();
                    return Ok(value);
                }
                Attempt::Fail(err) => return Err(err),
                Attempt::Retry {
                    detail,
                    retry_after,
                    request_id,
                } => {
                    let too_long = retry_after.is_some_and(|d| d > self.policy.max_retry_after);
                    if attempt >= self.policy.max_attempts || too_long || !self.policy.take_retry()
                    {
                        return Err(GraphError::Exhausted {
                            retries: attempt - 1,
                            detail,
                            request_id,
                        });
                    }
                    self.stats.retries.fetch_add(1, Ordering::Relaxed);
                    let wait = self.policy.delay(attempt, retry_after);
                    tracing::debug!(%url, attempt, ?wait, %detail, "retrying a Graph request");
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }

    /// The request of one try, with the headers Graph documents: the client request ID for
    /// support, `ConsistencyLevel: eventual` for advanced queries, `Prefer` for upserts.
    fn request(
        &self,
        method: &Method,
        url: &str,
        token: &str,
        client_request_id: &str,
        body: Option<&Value>,
        (eventual, prefer): (bool, Option<&str>),
    ) -> reqwest::RequestBuilder {
        let mut request = self
            .http
            .request(method.clone(), url)
            .timeout(self.limits.graph_request_timeout)
            .bearer_auth(token)
            .header("client-request-id", client_request_id)
            .header("return-client-request-id", "true");
        if eventual {
            request = request.header("ConsistencyLevel", "eventual");
        }
        if let Some(prefer) = prefer {
            request = request.header("Prefer", prefer);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        request
    }

    /// One try: the outcome, or why and how soon to try again.
    async fn once<T: DeserializeOwned>(
        &self,
        method: &Method,
        url: &str,
        body: Option<&Value>,
        (eventual, prefer): (bool, Option<&str>),
        renewed: &mut bool,
    ) -> Attempt<T> {
        let token = match self.session.access_token().await {
            Ok(t) => t,
            Err(e) => return Attempt::Fail(e.into()),
        };
        let client_request_id = self.client_request_id();
        let request = self.request(
            method,
            url,
            token.expose(),
            &client_request_id,
            body,
            (eventual, prefer),
        );
        self.stats.requests.fetch_add(1, Ordering::Relaxed);
        let response = match request.send().await {
            Ok(r) => r,
            Err(e) => {
                // Another try meets the same certificate: say why at once.
                if let Some(verdict) = crate::net::untrusted_certificate(&e) {
                    return Attempt::Fail(GraphError::UntrustedCertificate { verdict });
                }
                return Attempt::Retry {
                    detail: format!("connection failed: {}", e.without_url()),
                    retry_after: None,
                    request_id: None,
                };
            }
        };
        let answer = Answer {
            status: response.status(),
            request_id: response
                .headers()
                .get("request-id")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
            retry_after: retry_after(response.headers(), self.now()),
        };
        let bytes = match read_capped(response, self.limits.max_graph_body).await {
            Ok(b) => b,
            // Too large is not a broken answer: another try gets the same size.
            Err(e) if e.is_too_large() => return Attempt::Fail(GraphError::TooLarge(e)),
            Err(e) => {
                return Attempt::Retry {
                    detail: format!("the answer broke off: {e}"),
                    retry_after: None,
                    request_id: answer.request_id,
                };
            }
        };
        // A write Graph answers with 204 No Content has no body to read.
        let bytes: &[u8] = if answer.status == StatusCode::NO_CONTENT {
            b"null"
        } else {
            &bytes
        };
        if answer.status.is_success() {
            return match serde_json::from_slice::<T>(bytes) {
                Ok(value) => Attempt::Done(value),
                // A cut-off body reads as malformed JSON; another try usually gets it whole.
                Err(e) => Attempt::Retry {
                    detail: format!("an unreadable answer ({e})"),
                    retry_after: None,
                    request_id: answer.request_id,
                },
            };
        }
        let error: Value = serde_json::from_slice(bytes).unwrap_or(Value::Null);
        tracing::debug!(%url, status = answer.status.as_u16(), code = %error["error"]["code"].as_str().unwrap_or(""), request_id = ?answer.request_id, %client_request_id, "Graph error");
        self.on_error(answer, &error, renewed).await
    }

    /// What an error answer means: renew the token once after a 401, retry throttling and
    /// server errors, fail on anything else.
    async fn on_error<T>(&self, answer: Answer, error: &Value, renewed: &mut bool) -> Attempt<T> {
        let Answer {
            status,
            request_id,
            retry_after,
        } = answer;
        let code = error["error"]["code"].as_str().unwrap_or("").to_owned();
        match status {
            StatusCode::UNAUTHORIZED if !*renewed => {
                *renewed = true;
                if let Err(e) = self.session.renew_now().await {
                    return Attempt::Fail(e.into());
                }
                Attempt::Retry {
                    detail: "the access token was refused".into(),
                    retry_after: Some(Duration::ZERO),
                    request_id,
                }
            }
            StatusCode::TOO_MANY_REQUESTS
            | StatusCode::SERVICE_UNAVAILABLE
            | StatusCode::BAD_GATEWAY
            | StatusCode::GATEWAY_TIMEOUT
            | StatusCode::INTERNAL_SERVER_ERROR => {
                if status == StatusCode::TOO_MANY_REQUESTS {
                    self.stats.throttled.fetch_add(1, Ordering::Relaxed);
                }
                if matches!(
                    status,
                    StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE
                ) {
                    self.pace.throttled(retry_after);
                }
                Attempt::Retry {
                    detail: format!("{} {code}", status.as_u16()),
                    retry_after,
                    request_id,
                }
            }
            _ => Attempt::Fail(GraphError::Http {
                status: status.as_u16(),
                code,
                message: error["error"]["message"]
                    .as_str()
                    .unwrap_or("no details")
                    .to_owned(),
                request_id,
            }),
        }
    }
}

/// The objects of one collection page: its `value` list, taken out of `page`. A page that is
/// no JSON object or has no `value` list is an error, never an empty page.
pub(super) fn page_items(page: &mut Value) -> Result<Vec<Value>, GraphError> {
    match page.as_object_mut().and_then(|o| o.remove("value")) {
        Some(Value::Array(items)) => Ok(items),
        _ => Err(GraphError::unreadable(
            "Microsoft Graph answered a page without its list of objects",
        )),
    }
}

/// How long Graph asked to wait before the next try, read at `now`.
fn retry_after(headers: &reqwest::header::HeaderMap, now: SystemTime) -> Option<Duration> {
    headers
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| parse_retry_after(v, now))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::FixedClock;
    use reqwest::header::{HeaderMap, HeaderValue, RETRY_AFTER};

    #[test]
    fn an_http_date_retry_after_counts_from_the_clock() {
        // 784111777 = Sun, 06 Nov 1994 08:49:37 GMT
        let clock = FixedClock::at_unix(784_111_770);
        let mut headers = HeaderMap::new();
        assert_eq!(retry_after(&headers, clock.now()), None);
        headers.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Sun, 06 Nov 1994 08:49:37 GMT"),
        );
        assert_eq!(
            retry_after(&headers, clock.now()),
            Some(Duration::from_secs(7))
        );
        clock.advance(Duration::from_secs(10));
        assert_eq!(retry_after(&headers, clock.now()), Some(Duration::ZERO));
    }
}
