//! DNS rebinding: a request whose `Host` is not the loopback address at the emulator's port is
//! refused with 421 before any route runs; the loopback names work (issue 14, item 5).

use aadsync_emulator::{Emulator, EmulatorConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Sends one raw HTTP/1.1 GET with exactly this `Host` header (no client rewrites it) and
/// returns the status code.
async fn status_with_host(emulator: &Emulator, path: &str, host: &str) -> u16 {
    let mut stream = tokio::net::TcpStream::connect(emulator.addr())
        .await
        .expect("connect");
    let request = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("send");
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.expect("answer");
    let answer = String::from_utf8_lossy(&answer);
    let status = answer.split(' ').nth(1).expect("a status line");
    status.parse().expect("a status code")
}

#[tokio::test]
async fn a_foreign_host_is_refused_and_loopback_hosts_work() {
    // What the offline demo starts: the demo tenant, with the login-page hints.
    let mut config = EmulatorConfig::new(aadsync_emulator::demo_tenant().expect("demo"));
    config.demo_hints = true;
    let emulator = Emulator::start(config).await.expect("emulator");
    let port = emulator.addr().port();
    let discovery = format!(
        "/{}/v2.0/.well-known/openid-configuration",
        emulator.tenant_id()
    );
    // (Host, refused)
    let cases = [
        (format!("127.0.0.1:{port}"), false),
        (format!("localhost:{port}"), false),
        (format!("[::1]:{port}"), false),
        ("evil.example".to_owned(), true),
        (format!("evil.example:{port}"), true),
        (format!("localhost.evil.example:{port}"), true),
        (format!("127.0.0.1:{}", port.wrapping_add(1)), true),
    ];
    // Identity, Graph, and (in tests, which build it in) the control API alike.
    for path in [discovery.as_str(), "/v1.0/users", "/_emulator/requests"] {
        for (host, refused) in &cases {
            let status = status_with_host(&emulator, path, host).await;
            if *refused {
                assert_eq!(status, 421, "{path} with Host {host}");
            } else {
                // Past the check: whatever the route answers (401 without a token), not 421.
                assert_ne!(status, 421, "{path} with Host {host}");
            }
        }
    }
    for host in [
        format!("127.0.0.1:{port}"),
        format!("localhost:{port}"),
        format!("[::1]:{port}"),
    ] {
        assert_eq!(
            status_with_host(&emulator, &discovery, &host).await,
            200,
            "{host}"
        );
    }
}
