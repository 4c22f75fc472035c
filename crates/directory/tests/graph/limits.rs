//! Size caps on answers, over real HTTP: a Graph page larger than the cap is refused with a
//! clear error, whether it announces its length or streams it in chunks, and so is a sign-in
//! answer (discovery) larger than the sign-in cap.

use aadsync_directory::auth::Session;
use aadsync_directory::auth::signin::{Interactive, SignInError};
use aadsync_directory::graph::retry::RetryPolicy;
use aadsync_directory::graph::{GraphClient, GraphError};
use aadsync_directory::{ClientId, Cloud, HttpLimits, Target, TenantRef};
use aadsync_emulator::demo;
use aadsync_keystore::SecretString;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const CAP: usize = 1 << 20;

/// A JSON page of about `bytes` bytes.
fn big_page(bytes: usize) -> String {
    format!(r#"{{"value":[],"padding":"{}"}}"#, "x".repeat(bytes))
}

/// A raw HTTP server answering every request with a 2 MiB JSON page, with `Content-Length`
/// or chunked; counts the requests.
async fn oversized(chunked: bool) -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let requests = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&requests);
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            counted.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let mut request = [0u8; 8192];
                let _ = socket.read(&mut request).await;
                let body = big_page(2 * CAP);
                let head = if chunked {
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n".to_owned()
                } else {
                    format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
                        body.len()
                    )
                };
                let _ = socket.write_all(head.as_bytes()).await;
                if chunked {
                    for part in body.as_bytes().chunks(64 * 1024) {
                        let _ = socket
                            .write_all(format!("{:x}\r\n", part.len()).as_bytes())
                            .await;
                        let _ = socket.write_all(part).await;
                        let _ = socket.write_all(b"\r\n").await;
                    }
                    let _ = socket.write_all(b"0\r\n\r\n").await;
                } else {
                    let _ = socket.write_all(body.as_bytes()).await;
                }
            });
        }
    });
    (base, requests)
}

fn target(base: &str) -> Target {
    Target::new(
        TenantRef::parse("11111111-2222-3333-4444-555555555555").expect("tenant"),
        ClientId::parse(demo::CLIENT_ID).expect("client"),
        &Cloud::custom(base, base).expect("cloud"),
    )
    .expect("target")
    .with_limits(HttpLimits {
        max_graph_body: CAP,
        max_sign_in_body: CAP,
        ..HttpLimits::default()
    })
    .expect("limits")
}

#[tokio::test]
async fn a_graph_answer_larger_than_the_cap_is_refused_clearly() {
    for chunked in [false, true] {
        let (base, requests) = oversized(chunked).await;
        let session = Session::with_tokens(
            target(&base),
            SecretString::new("secret-bearer".to_owned()),
            Duration::from_secs(3600),
            None,
        );
        let client = GraphClient::with_policy(Arc::new(session), RetryPolicy::new(6, 10), 4)
            .expect("client");
        let error = client.users(None, |_| {}).await.expect_err("too large");
        assert!(matches!(error, GraphError::TooLarge(_)), "{error}");
        let message = error.to_string();
        assert!(
            message.contains("larger than 1 MiB") && message.contains("127.0.0.1"),
            "{message}"
        );
        assert_eq!(
            requests.load(Ordering::SeqCst),
            1,
            "a size is not retried (chunked: {chunked})"
        );
    }
}

#[tokio::test]
async fn a_sign_in_answer_larger_than_the_cap_is_refused_clearly() {
    let (base, _) = oversized(true).await;
    match Interactive::prepare(&target(&base), None).await {
        Err(error @ SignInError::Unreachable { .. }) => {
            assert!(error.to_string().contains("larger than 1 MiB"), "{error}");
        }
        other => panic!("expected a refused answer, got {:?}", other.map(|_| ())),
    }
}
