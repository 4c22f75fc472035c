//! Injected faults and the request log: what the control API records and the fault layer reads.

use serde::Deserialize;

/// What a fault does to a matching request.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(
    rename_all = "camelCase",
    rename_all_fields = "camelCase",
    tag = "kind"
)]
pub enum FaultKind {
    /// 429 with `Retry-After` (e.g. "2" or "0.5") and Graph's TooManyRequests body.
    Throttle { retry_after: String },
    /// 503 with an optional `Retry-After`.
    Unavailable { retry_after: Option<String> },
    /// Waits, then serves normally.
    Latency { millis: u64 },
    /// Sends headers, then breaks the connection mid-body.
    Drop,
    /// Serves the response with its JSON cut in half.
    Truncate,
    /// Answers with Graph's error body and this status (e.g. 400 `Request_UnsupportedQuery`
    /// for a tenant that refuses a query, 500 `generalException`).
    Error {
        status: u16,
        code: String,
        #[serde(default)]
        message: Option<String>,
    },
}

/// A fault on requests whose path (and query) matches `path` (`*` matches anything).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Fault {
    pub path: String,
    #[serde(flatten)]
    pub kind: FaultKind,
    /// Let this many matching requests through first.
    #[serde(default)]
    pub after: u64,
    /// Apply to this many requests, then stop (absent: forever).
    #[serde(default)]
    pub times: Option<u64>,
    #[serde(skip)]
    pub seen: u64,
    #[serde(skip)]
    pub applied: u64,
}

/// One served request, for tests that count calls.
#[derive(Debug, Clone, serde::Serialize)]
pub struct LoggedRequest {
    pub method: String,
    pub path: String,
    pub query: String,
    pub status: u16,
}

/// Maximum request log length (the oldest entries go first).
pub const LOG_CAP: usize = 200_000;

/// `*` wildcard matching over the whole string.
pub fn glob(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let mut rest = text;
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            let Some(r) = rest.strip_prefix(part) else {
                return false;
            };
            rest = r;
        } else if i == parts.len() - 1 {
            return rest.ends_with(part);
        } else if let Some(at) = rest.find(part) {
            rest = &rest[at + part.len()..];
        } else {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::glob;

    #[test]
    fn globs() {
        for (p, t, expect) in [
            ("/v1.0/users*", "/v1.0/users?$top=999", true),
            ("/v1.0/users*", "/v1.0/groups", false),
            (
                "*/members*",
                "/v1.0/groups/abc/members/microsoft.graph.user",
                true,
            ),
            ("/v1.0/users", "/v1.0/users", true),
            ("/v1.0/users", "/v1.0/users/x", false),
            ("*skiptoken*", "/v1.0/users?$skiptoken=abc", true),
        ] {
            assert_eq!(glob(p, t), expect, "{p} {t}");
        }
    }
}
