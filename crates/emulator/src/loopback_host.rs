//! The `Host` check against DNS rebinding: the emulator answers only requests addressed to the
//! loopback address it listens on.
//!
//! A web page on `evil.example` whose name an attacker then points at 127.0.0.1 can make the
//! browser send requests to the emulator (the offline demo's tenant); the browser still sends
//! `Host: evil.example:<port>`. So every request whose host is not `127.0.0.1`, `localhost` or
//! `[::1]`, or whose port is not the one the emulator listens on, is refused with 421
//! Misdirected Request before any route sees it.

use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// The names a loopback request may carry; compared case-insensitively.
const LOOPBACK_NAMES: [&str; 3] = ["127.0.0.1", "localhost", "::1"];

/// Whether `host` (a `Host` header or URI authority: `name`, `name:port`, `[v6]` or
/// `[v6]:port`) names the loopback at `port`. A missing port is accepted (the client's default
/// port); a different one is not.
pub(crate) fn is_loopback(host: &str, port: u16) -> bool {
    let (name, rest) = match host.strip_prefix('[') {
        Some(bracketed) => match bracketed.split_once(']') {
            Some((name, rest)) => (name, rest),
            None => return false,
        },
        None => match host.find(':') {
            Some(colon) => host.split_at(colon),
            None => (host, ""),
        },
    };
    let port_ok = match rest {
        "" => true,
        rest => rest
            .strip_prefix(':')
            .and_then(|p| p.parse::<u16>().ok())
            .is_some_and(|p| p == port),
    };
    let bracketed = host.starts_with('[');
    let name_ok = LOOPBACK_NAMES
        .iter()
        .any(|known| known.eq_ignore_ascii_case(name) && (*known == "::1") == bracketed);
    port_ok && name_ok
}

/// Middleware: refuses a request addressed to any other host than the loopback at `port`.
pub(crate) async fn only_loopback(
    State(port): State<u16>,
    request: Request,
    next: Next,
) -> Response {
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_owned)
        .or_else(|| request.uri().authority().map(|a| a.as_str().to_owned()));
    match host {
        Some(host) if is_loopback(&host, port) => next.run(request).await,
        host => {
            tracing::warn!(
                host = host.as_deref().unwrap_or(""),
                "request for another host refused"
            );
            (
                StatusCode::MISDIRECTED_REQUEST,
                "This emulator answers only requests to 127.0.0.1, localhost or [::1] on its own port",
            )
                .into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::is_loopback;

    #[test]
    fn only_the_loopback_at_the_emulators_port_is_accepted() {
        let cases = [
            ("127.0.0.1:8080", true),
            ("localhost:8080", true),
            ("LocalHost:8080", true),
            ("[::1]:8080", true),
            ("127.0.0.1", true),
            ("localhost", true),
            ("[::1]", true),
            ("evil.example", false),
            ("evil.example:8080", false),
            ("localhost.evil.example:8080", false),
            ("127.0.0.1.evil.example:8080", false),
            ("127.0.0.2:8080", false),
            ("0.0.0.0:8080", false),
            ("127.0.0.1:8081", false),
            ("localhost:80", false),
            ("localhost:", false),
            ("localhost:8080x", false),
            ("[::1]:8081", false),
            ("[::1", false),
            ("[::1]x", false),
            ("[localhost]:8080", false),
            ("::1", false),
            ("user@localhost:8080", false),
            ("", false),
        ];
        for (host, expected) in cases {
            assert_eq!(is_loopback(host, 8080), expected, "{host:?}");
        }
    }
}
