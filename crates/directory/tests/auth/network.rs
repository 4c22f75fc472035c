//! The one HTTP client and the computer's network settings: a certificate the OS trust store
//! does not vouch for is refused with words an admin can act on; `HTTPS_PROXY` is followed
//! (through a CONNECT proxy played by the test) and loopback never goes through it.
//!
//! Proxy variables and the trust store's location are read from the environment, which a test
//! cannot change in-process (unsafe, forbidden here), so the proxied test runs its client in a
//! child copy of this binary while the parent serves the stub and the proxy and watches them.

use aadsync_directory::auth::Session;
use aadsync_directory::auth::signin::{SignInError, discover};
use aadsync_directory::graph::retry::RetryPolicy;
use aadsync_directory::graph::{GraphClient, GraphError};
use aadsync_directory::{ClientId, Cloud, Target, TenantRef};
use aadsync_emulator::{Emulator, EmulatorConfig};
use aadsync_keystore::SecretString;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
const CLIENT: &str = "11111111-2222-3333-4444-555555555555";
/// A name that resolves nowhere: only the proxy can reach it.
const REMOTE_HOST: &str = "login.aadsync-proxy-test.invalid";
const CHILD: &str = "AADSYNC_NETWORK_TEST_CHILD";

fn target(authority: &str) -> Target {
    Target::new(
        TenantRef::parse(TENANT).expect("tenant"),
        ClientId::parse(CLIENT).expect("client"),
        &Cloud::custom(authority, authority).expect("cloud"),
    )
    .expect("target")
}

async fn tls_emulator() -> Emulator {
    let mut config = EmulatorConfig::new(aadsync_emulator::demo_tenant().expect("demo"));
    config.tls = true;
    let emulator = Emulator::start(config).await.expect("emulator");
    assert!(emulator.base_url().starts_with("https://"));
    emulator
}

#[tokio::test]
async fn a_certificate_the_os_does_not_trust_is_refused_with_what_to_do() {
    let emulator = tls_emulator().await;
    let error = discover(&target(emulator.base_url()))
        .await
        .expect_err("the emulator's CA is in no trust store");
    assert!(
        matches!(error, SignInError::UntrustedCertificate { .. }),
        "{error:?}"
    );
    let message = error.to_string();
    for words in [
        "127.0.0.1",
        "the server's certificate is not trusted by this computer",
        "if your network inspects TLS, install its root certificate in the OS trust store",
        "UnknownIssuer",
    ] {
        assert!(message.contains(words), "{words:?} missing from: {message}");
    }
}

#[tokio::test]
async fn graph_stops_at_an_untrusted_certificate_instead_of_retrying() {
    let emulator = tls_emulator().await;
    let session = Session::with_tokens(
        target(emulator.base_url()),
        SecretString::new("bearer".to_owned()),
        Duration::from_secs(3600),
        None,
    );
    let client =
        GraphClient::with_policy(Arc::new(session), RetryPolicy::new(6, 10), 4).expect("client");
    let error = client.users(None, |_| {}).await.expect_err("untrusted");
    assert!(
        matches!(error, GraphError::UntrustedCertificate { .. }),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(
        message.contains("not trusted by this computer")
            && message.contains("install its root certificate in the OS trust store"),
        "{message}"
    );
}

/// The stub's certificate: for the remote name and for loopback, signed by a CA of its own.
struct StubCertificates {
    ca_pem: String,
    server: Arc<rustls::ServerConfig>,
}

fn stub_certificates() -> StubCertificates {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
    let ca_key = KeyPair::generate().expect("CA key");
    let mut ca = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_cert = ca.self_signed(&ca_key).expect("CA");
    let leaf_key = KeyPair::generate().expect("key");
    let leaf = CertificateParams::new(vec![
        REMOTE_HOST.to_owned(),
        "localhost".to_owned(),
        "127.0.0.1".to_owned(),
    ])
    .expect("params");
    let leaf_cert = leaf
        .signed_by(&leaf_key, &Issuer::new(ca, ca_key))
        .expect("leaf");
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(leaf_key.serialize_der().into());
    let server = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("versions")
    .with_no_client_auth()
    .with_single_cert(vec![leaf_cert.der().clone()], key)
    .expect("server config");
    StubCertificates {
        ca_pem: ca_cert.pem(),
        server: Arc::new(server),
    }
}

/// Reads one request head (up to the blank line).
async fn read_head<S: tokio::io::AsyncRead + Unpin>(stream: &mut S) -> String {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte).await {
            Ok(1) => head.push(byte[0]),
            _ => break,
        }
    }
    String::from_utf8_lossy(&head).into_owned()
}

/// An HTTPS server answering every request with the `Host` it was asked for.
async fn https_stub(server: Arc<rustls::ServerConfig>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let acceptor = tokio_rustls::TlsAcceptor::from(server);
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let head = read_head(&mut tls).await;
                let host = head
                    .lines()
                    .find_map(|l| l.strip_prefix("host: ").or(l.strip_prefix("Host: ")))
                    .unwrap_or("")
                    .to_owned();
                let body = format!("answered for {host}");
                let answer = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = tls.write_all(answer.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    port
}

/// A CONNECT proxy that tunnels every request to the stub, whatever host it names (the test's
/// stand-in for DNS), and records each request line it received.
async fn connect_proxy(stub_port: u16, seen: Arc<Mutex<Vec<String>>>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move {
        while let Ok((mut client, _)) = listener.accept().await {
            let seen = seen.clone();
            tokio::spawn(async move {
                let head = read_head(&mut client).await;
                let line = head.lines().next().unwrap_or("").to_owned();
                seen.lock().expect("log").push(line.clone());
                if !line.starts_with("CONNECT ") {
                    let _ = client.write_all(b"HTTP/1.1 502 Bad Gateway\r\n\r\n").await;
                    return;
                }
                let Ok(mut upstream) = TcpStream::connect(("127.0.0.1", stub_port)).await else {
                    return;
                };
                let _ = client
                    .write_all(b"HTTP/1.1 200 Connection Established\r\n\r\n")
                    .await;
                let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
            });
        }
    });
    port
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_proxy_is_followed_and_loopback_goes_direct() {
    if std::env::var_os(CHILD).is_some() {
        return proxied_requests_in_the_child().await;
    }
    let certificates = stub_certificates();
    let stub = https_stub(certificates.server.clone()).await;
    let seen = Arc::new(Mutex::new(Vec::new()));
    let proxy = connect_proxy(stub, seen.clone()).await;
    let dir = tempfile::tempdir().expect("dir");
    // The trust store's location as OpenSSL and rustls-native-certs read it on Linux: here it
    // holds the stub's CA alone.
    let bundle = dir.path().join("ca.pem");
    std::fs::write(&bundle, &certificates.ca_pem).expect("bundle");

    let exe = std::env::current_exe().expect("test binary");
    let mut child = std::process::Command::new(exe);
    child
        .args([
            "--exact",
            "network::https_proxy_is_followed_and_loopback_goes_direct",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD, stub.to_string())
        .env("HTTPS_PROXY", format!("http://127.0.0.1:{proxy}"))
        .env("HTTP_PROXY", format!("http://127.0.0.1:{proxy}"))
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .env_remove("SSL_CERT_DIR")
        .env("SSL_CERT_FILE", &bundle);
    let output = tokio::task::spawn_blocking(move || child.output())
        .await
        .expect("join")
        .expect("child");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.contains("1 passed"),
        "the client's requests failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // Exactly one tunnel, to the remote name and the port asked: the two loopback requests
    // went to the stub directly.
    assert_eq!(
        *seen.lock().expect("log"),
        vec![format!("CONNECT {REMOTE_HOST}:{stub} HTTP/1.1")]
    );
}

/// In the child: the environment names the proxy and the stub's CA as the trust store.
async fn proxied_requests_in_the_child() {
    let stub: u16 = std::env::var(CHILD)
        .expect("stub port")
        .parse()
        .expect("port");
    let remote = format!("https://{REMOTE_HOST}:{stub}");
    let client = target(&remote);
    for (url, host) in [
        (format!("{remote}/x"), format!("{REMOTE_HOST}:{stub}")),
        (
            format!("https://127.0.0.1:{stub}/x"),
            format!("127.0.0.1:{stub}"),
        ),
        (
            format!("https://localhost:{stub}/x"),
            format!("localhost:{stub}"),
        ),
    ] {
        let response = client.http().get(&url).send().await;
        let response = response.unwrap_or_else(|e| panic!("{url}: {e:?}"));
        assert_eq!(response.status(), 200, "{url}");
        let body = response.text().await.expect("body");
        assert_eq!(body, format!("answered for {host}"), "{url}");
    }
}
