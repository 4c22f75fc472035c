//! Reading answers with a size cap: no answer is read whole into memory before its size is
//! known to be sane. Sign-in answers (OpenID configuration, signing keys, tokens, device codes)
//! are a few kilobytes; a Graph page of 999 users, or a `$batch` of 20 such pages, tens of
//! megabytes at most. Anything larger is refused with `BodyError::TooLarge` after reading no
//! more than the cap (a `Content-Length` above it is refused before reading at all).
//!
//! [`CappedClient`] is the same for the `oauth2` crate's requests (code redemption, device
//! code start and polling, token renewal): they go through the target's one HTTP client, with
//! its timeouts, and this cap.

use serde_json::Value;
use std::future::Future;
use std::pin::Pin;

/// The most a sign-in endpoint's answer may hold (theirs are a few kilobytes).
pub const MAX_SIGN_IN_BODY: usize = 1 << 20;
/// The most one Graph answer may hold: a `$batch` of 20 pages of 999 users with every
/// property `$select`ed is about 30 MiB.
pub const MAX_GRAPH_BODY: usize = 64 << 20;

#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    #[error(
        "the answer from {host} is larger than {}, more than it can be; it was not read. Check the sign-in and Graph addresses in the organization's settings",
        size(*cap)
    )]
    TooLarge { host: String, cap: usize },
    #[error("{}", crate::net::describe(.0))]
    Http(reqwest::Error),
    #[error("an unreadable answer ({0})")]
    Json(#[from] serde_json::Error),
    #[error("cannot prepare the request: {0}")]
    Request(String),
}

impl BodyError {
    pub fn is_too_large(&self) -> bool {
        matches!(self, BodyError::TooLarge { .. })
    }
}

fn size(bytes: usize) -> String {
    if bytes >= 1 << 20 {
        format!("{} MiB", bytes >> 20)
    } else {
        format!("{bytes} bytes")
    }
}

/// The whole body of `response`, at most `cap` bytes.
pub async fn read_capped(
    mut response: reqwest::Response,
    cap: usize,
) -> Result<Vec<u8>, BodyError> {
    let too_large = |response: &reqwest::Response| BodyError::TooLarge {
        host: response.url().host_str().unwrap_or("the server").to_owned(),
        cap,
    };
    if response.content_length().is_some_and(|n| n > cap as u64) {
        return Err(too_large(&response));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| BodyError::Http(e.without_url()))?
    {
        if body.len() + chunk.len() > cap {
            return Err(too_large(&response));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// The body of `response` as JSON, at most `cap` bytes.
pub async fn read_json(response: reqwest::Response, cap: usize) -> Result<Value, BodyError> {
    Ok(serde_json::from_slice(&read_capped(response, cap).await?)?)
}

/// The target's HTTP client as the `oauth2` crate's client, with a cap on each answer.
#[derive(Debug, Clone)]
pub struct CappedClient {
    http: reqwest::Client,
    cap: usize,
}

impl CappedClient {
    pub fn new(http: reqwest::Client, cap: usize) -> Self {
        Self { http, cap }
    }

    async fn send(&self, request: oauth2::HttpRequest) -> Result<oauth2::HttpResponse, BodyError> {
        let request =
            reqwest::Request::try_from(request).map_err(|e| BodyError::Request(e.to_string()))?;
        let response = self
            .http
            .execute(request)
            .await
            .map_err(|e| BodyError::Http(e.without_url()))?;
        let mut builder = oauth2::http::Response::builder().status(response.status());
        for (name, value) in response.headers() {
            builder = builder.header(name, value);
        }
        let body = read_capped(response, self.cap).await?;
        builder
            .body(body)
            .map_err(|e| BodyError::Request(e.to_string()))
    }
}

impl<'c> oauth2::AsyncHttpClient<'c> for CappedClient {
    type Error = BodyError;
    type Future =
        Pin<Box<dyn Future<Output = Result<oauth2::HttpResponse, Self::Error>> + Send + 'c>>;

    fn call(&'c self, request: oauth2::HttpRequest) -> Self::Future {
        Box::pin(self.send(request))
    }
}
