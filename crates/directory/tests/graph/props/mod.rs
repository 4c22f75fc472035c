//! Property tests of every parser of Graph answers (issue 14): arbitrary bytes, valid pages
//! with arbitrary values, and valid pages cut short or with a byte changed, served over real
//! HTTP by a raw stub. Each property: no panic, and either exactly the input's values or an
//! error — never a partial result a caller could decide from.
//!
//! `PROPTEST_CASES=N` runs N cases per property instead of the default.

use aadsync_directory::auth::Session;
use aadsync_directory::graph::GraphClient;
use aadsync_directory::graph::retry::RetryPolicy;
use aadsync_directory::{ClientId, Cloud, Target, TenantRef};
use aadsync_emulator::demo;
use aadsync_keystore::SecretString;
use proptest::prelude::*;
use proptest::test_runner::Config;
use serde_json::{Map, Value, json};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

mod batch;
mod body;
mod collections;
mod delta;
mod regress;
mod roles;

/// Cases per property: 256 unless `PROPTEST_CASES` says otherwise.
pub fn config() -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(256);
    Config::with_cases(cases)
}

/// How the stub answers one request: from its method and path-and-query and its body, the
/// status and the body bytes.
pub type Handler = Box<dyn FnMut(&str, &str, &[u8]) -> (u16, Vec<u8>) + Send>;

/// A Graph that answers with whatever bytes the current case gives, over plain HTTP/1.1 with
/// `Content-Length` (so a cut body arrives cut, exactly as written).
pub struct Stub {
    pub base: String,
    handler: Arc<Mutex<Option<Handler>>>,
    pub runtime: tokio::runtime::Runtime,
    client: std::sync::OnceLock<GraphClient>,
}

impl Stub {
    pub fn start() -> Stub {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let handler: Arc<Mutex<Option<Handler>>> = Arc::default();
        let serving = Arc::clone(&handler);
        runtime.spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let handler = Arc::clone(&serving);
                tokio::spawn(serve(socket, handler));
            }
        });
        Stub {
            base,
            handler,
            runtime,
            client: std::sync::OnceLock::new(),
        }
    }

    /// Answers every request from now on with `handler`.
    pub fn answer(
        &self,
        handler: impl FnMut(&str, &str, &[u8]) -> (u16, Vec<u8>) + Send + 'static,
    ) {
        *self.handler.lock().expect("handler") = Some(Box::new(handler));
    }

    /// A client of this stub's Graph root that tries each request once (an unreadable answer
    /// is an error at once) and retries a `$batch`'s inner requests after a millisecond.
    /// Built once per stub: building the HTTP client (its TLS roots) is most of a case's time.
    pub fn client(&self) -> GraphClient {
        self.client.get_or_init(|| self.new_client()).clone()
    }

    fn new_client(&self) -> GraphClient {
        // The session and its HTTP client belong to the stub's runtime.
        let _inside = self.runtime.enter();
        let target = Target::new(
            TenantRef::parse("11111111-2222-3333-4444-555555555555").expect("tenant"),
            ClientId::parse(demo::CLIENT_ID).expect("client"),
            &Cloud::custom(&self.base, &self.base).expect("cloud"),
        )
        .expect("target");
        let session = Session::with_tokens(
            target,
            SecretString::new("secret-bearer".to_owned()),
            Duration::from_secs(3600),
            None,
        );
        let mut policy = RetryPolicy::new(1, 1000);
        policy.base_delay = Duration::from_millis(1);
        policy.max_delay = Duration::from_millis(4);
        GraphClient::with_policy(Arc::new(session), policy, 4).expect("client")
    }

    /// A plain HTTP client, built once per test thread (loading the TLS roots is slow).
    pub fn http(&self) -> reqwest::Client {
        thread_local! {
            static HTTP: reqwest::Client = reqwest::Client::new();
        }
        HTTP.with(reqwest::Client::clone)
    }

    /// Runs `future` on the stub's runtime, failing after 30 s (a hang is a failure too).
    pub fn run<T>(&self, future: impl std::future::Future<Output = T>) -> T {
        self.runtime
            .block_on(async { tokio::time::timeout(Duration::from_secs(30), future).await })
            .expect("the call ends")
    }
}

async fn serve(mut socket: tokio::net::TcpStream, handler: Arc<Mutex<Option<Handler>>>) {
    let _ = socket.set_nodelay(true);
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    loop {
        let head_end = buffer.windows(4).position(|w| w == b"\r\n\r\n");
        if let Some(end) = head_end {
            let head = String::from_utf8_lossy(&buffer[..end]).into_owned();
            let length = head
                .lines()
                .filter_map(|l| l.split_once(':'))
                .find(|(k, _)| k.trim().eq_ignore_ascii_case("content-length"))
                .and_then(|(_, v)| v.trim().parse::<usize>().ok())
                .unwrap_or(0);
            if buffer.len() >= end + 4 + length {
                let body = buffer[end + 4..end + 4 + length].to_vec();
                buffer.drain(..end + 4 + length);
                let mut words = head.split_whitespace();
                let (method, target) = (
                    words.next().unwrap_or("").to_owned(),
                    words.next().unwrap_or("").to_owned(),
                );
                let (status, answer) = match handler.lock().expect("handler").as_mut() {
                    Some(h) => h(&method, &target, &body),
                    None => (500, Vec::new()),
                };
                // One write: a head and a body in two packets wait out delayed ACKs.
                let mut out = format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
                    answer.len()
                )
                .into_bytes();
                out.extend_from_slice(&answer);
                if socket.write_all(&out).await.is_err() {
                    return;
                }
                continue;
            }
        }
        match socket.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
        }
    }
}

/// This test thread's stub (each test runs on its own thread, so no test answers another's
/// requests).
pub fn stub() -> &'static Stub {
    thread_local! {
        static STUB: &'static Stub = Box::leak(Box::new(Stub::start()));
    }
    STUB.with(|stub| *stub)
}

/// Text Graph may hold: any Unicode (escapes, quotes, astral planes, controls), often short.
pub fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "[a-zA-Z0-9 ._@-]{0,12}",
        2 => any::<String>(),
        1 => Just(String::new()),
        1 => "[\"\\\\/\u{0}-\u{1f}\u{7f}\u{ffff}\u{10ffff}é漢😀]{0,6}",
    ]
}

/// An object ID: mostly GUID-shaped, sometimes any text.
pub fn object_id() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
        1 => "[a-zA-Z0-9]{1,8}",
        1 => any::<String>(),
    ]
}

/// Any JSON value Graph could add beside what we read (huge numbers, nesting, nulls).
pub fn extra_value() -> BoxedStrategy<Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("JSON has no NaN or infinity", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        text().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z@.]{1,8}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect::<Map<_, _>>())),
        ]
    })
    .boxed()
}

/// Unknown properties to add to an object (names Graph's annotations could have).
pub fn extras() -> impl Strategy<Value = Vec<(String, Value)>> {
    prop::collection::vec(("(x|@odata\\.)[a-zA-Z]{1,6}", extra_value()), 0..3)
}

/// `object` as JSON text with `duplicate` written first under the same key as the real
/// value: a parser that keeps the last of duplicate keys (as serde_json and Graph's own
/// clients do) reads the real one.
pub fn with_duplicate(object: &Value, duplicate: Option<(&str, Value)>) -> String {
    let text = object.to_string();
    match duplicate {
        Some((key, value)) if text.len() > 1 && object.get(key).is_some() => {
            let key = Value::String(key.to_owned());
            if text == "{}" {
                text
            } else {
                format!("{{{key}:{value},{}", &text[1..])
            }
        }
        _ => text,
    }
}

/// `bytes` with the byte at `at` (modulo the length) replaced by `by` (made different).
pub fn changed(bytes: &[u8], at: usize, by: u8) -> Vec<u8> {
    let mut out = bytes.to_vec();
    if !out.is_empty() {
        let i = at % out.len();
        out[i] = if out[i] == by { by.wrapping_add(1) } else { by };
    }
    out
}
