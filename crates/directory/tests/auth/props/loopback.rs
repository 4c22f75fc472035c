//! The loopback listener's request parsing: whatever reaches the port — arbitrary bytes, a
//! valid `query` or `form_post` response with arbitrary parameters, a valid one cut short —
//! completes the sign-in only with exactly a response carrying our `state` once, and then
//! with exactly its code or error.

use super::{config, text};
use aadsync_directory::auth::{LoopbackError, LoopbackListener};
use proptest::prelude::*;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const STATE: &str = "state-4f1c-9a7e";

fn runtime() -> &'static tokio::runtime::Runtime {
    thread_local! {
        static RUNTIME: &'static tokio::runtime::Runtime = Box::leak(Box::new(
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("runtime"),
        ));
    }
    RUNTIME.with(|r| *r)
}

/// Sends `bytes` to the listener and reads its whole answer. `end`: then close our side, so
/// that a cut request ends there (a whole one carries `Connection: close` instead: the server
/// drops a request whose client half-closed before its answer).
async fn send(port: u16, bytes: &[u8], end: bool) -> String {
    // Refused: the listener has stopped, its sign-in decided.
    let Ok(mut socket) = tokio::net::TcpStream::connect(("127.0.0.1", port)).await else {
        return String::new();
    };
    let _ = socket.write_all(bytes).await;
    if end {
        let _ = socket.shutdown().await;
    }
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), socket.read_to_end(&mut answer)).await;
    assert!(read.is_ok(), "the listener answers or closes");
    String::from_utf8_lossy(&answer).into_owned()
}

/// What the listener must decide for these parameters, written out from RFC 6749 (4.1.2):
/// `None` to refuse and keep waiting; else the code, or the error and its description's first
/// line.
fn oracle(params: &[(String, String)]) -> Option<Result<String, (String, String)>> {
    let mut names: Vec<&str> = params.iter().map(|(n, _)| n.as_str()).collect();
    names.sort_unstable();
    let twice = names.windows(2).any(|w| w[0] == w[1]);
    let get = |name: &str| {
        params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    if twice || get("state") != Some(STATE) {
        return None;
    }
    Some(match (get("error"), get("code")) {
        (Some(error), _) => Err((
            error.to_owned(),
            get("error_description")
                .unwrap_or_default()
                .lines()
                .next()
                .unwrap_or_default()
                .to_owned(),
        )),
        (None, Some(code)) if !code.is_empty() => Ok(code.to_owned()),
        _ => Err((
            "invalid_response".to_owned(),
            "the response had neither a code nor an error".to_owned(),
        )),
    })
}

fn params() -> impl Strategy<Value = Vec<(String, String)>> {
    let name = prop_oneof![
        3 => prop::sample::select(vec!["code", "state", "error", "error_description", "client_info", "session_state"])
            .prop_map(str::to_owned),
        1 => text(),
    ];
    let value = prop_oneof![3 => text(), 2 => Just(STATE.to_owned())];
    let state = prop::option::weighted(0.8, Just(("state".to_owned(), STATE.to_owned())));
    (
        prop::collection::vec((name, value), 0..5),
        state,
        any::<usize>(),
    )
        .prop_map(|(mut params, state, at)| {
            if let Some(state) = state {
                params.insert(at % (params.len() + 1), state);
            }
            params
        })
}

/// The request a browser sends: the parameters in the query (GET) or as a form (POST).
fn request(params: &[(String, String)], post: bool, port: u16) -> Vec<u8> {
    let encoded = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params)
        .finish();
    let host = format!("Host: localhost:{port}\r\nConnection: close\r\n");
    if post {
        format!(
            "POST / HTTP/1.1\r\n{host}Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{encoded}",
            encoded.len()
        )
    } else {
        format!("GET /?{encoded} HTTP/1.1\r\n{host}\r\n")
    }
    .into_bytes()
}

/// Sends `bytes` to a fresh listener waiting for `STATE`; then, if the sign-in is still open,
/// our own response with code `final`. The outcome the listener reports.
fn deliver(bytes: Vec<u8>, end: bool) -> Result<String, (String, String)> {
    runtime().block_on(async move {
        let listener = LoopbackListener::bind().await.expect("bind");
        let port = listener.port();
        let waiting = tokio::spawn(listener.wait(STATE, Duration::from_secs(20), std::future::pending()));
        let answer = send(port, &bytes, end).await;
        // The page's words only choose whether to send ours too; the decision is read from
        // the listener's outcome below (a wrong one stands: ours then finds it completed).
        let decided = ["You are signed in", "Sign-in was not completed"]
            .iter()
            .any(|words| answer.contains(words));
        if !decided {
            let ours = format!("GET /?code=final&state={STATE} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
            send(port, ours.as_bytes(), false).await;
        }
        match waiting.await.expect("join") {
            Ok(response) => Ok(response.code.expose().to_owned()),
            Err(LoopbackError::Denied { error, description }) => Err((error, description)),
            Err(other) => Err(("other".to_owned(), other.to_string())),
        }
    })
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn a_response_decides_exactly_as_its_parameters_say(params in params(), post in any::<bool>()) {
        let outcome = deliver(request(&params, post, 0), false);
        let expected = oracle(&params).unwrap_or_else(|| Ok("final".to_owned()));
        prop_assert_eq!(outcome, expected);
    }

    #[test]
    fn a_cut_response_completes_nothing(params in params(), post in any::<bool>(), at in any::<usize>()) {
        let mut bytes = request(&params, post, 0);
        bytes.truncate(at % bytes.len());
        prop_assert_eq!(deliver(bytes, true), Ok("final".to_owned()));
    }

    #[test]
    fn arbitrary_bytes_complete_nothing(bytes in prop_oneof![
        any::<Vec<u8>>(),
        "(GET|POST) /[ -~]{0,40} HTTP/1\\.[01]\r\n([A-Za-z-]{1,12}: [ -~]{0,20}\r\n){0,3}\r\n[ -~]{0,30}"
            .prop_map(String::into_bytes),
    ]) {
        prop_assert_eq!(deliver(bytes, true), Ok("final".to_owned()));
    }
}
