//! The redirect URI of an interactive sign-in: a one-shot HTTP listener on the loopback
//! interface, both families.
//!
//! The browser comes back to `http://localhost:<port>` with the authorization code, either as
//! query parameters (`response_mode=query`) or as a POSTed form (`form_post`, what MSAL uses);
//! the admin consent endpoint comes back the same way with its own parameters
//! (`auth::admin_consent`). What a flow expects is its [`RedirectResponse`]; the `state` check
//! and the `error` response are the same for every flow.
//! The listener accepts exactly one response whose `state` matches (compared in constant
//! time), answers anything else with an explanation and keeps waiting, and stops after the
//! first accepted response, a timeout or a cancel.
//!
//! `localhost` may resolve to `127.0.0.1` or to `::1`, so the listener owns the port on both:
//! were it only on 127.0.0.1, another local user could bind `[::1]:<port>` and receive the
//! code, `state` and `client_info`. A port already taken on `::1` is given up for another
//! one; a computer without an IPv6 loopback (nobody can bind `::1` there) gets 127.0.0.1 alone.
use aadsync_keystore::SecretString;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::{Form, Router};
use std::collections::HashMap;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::{oneshot, watch};

/// What one kind of flow expects at its redirect URI, read once the `state` matched. An
/// `error` response (RFC 6749, 4.1.2.1) is read the same way for every flow, as
/// [`LoopbackError::Denied`].
pub trait RedirectResponse: Sized + Send + 'static {
    /// What the administrator is doing, capitalized, for the page the browser shows
    /// ("Sign-in", "Admin consent").
    const FLOW: &'static str;
    /// The heading of the page shown when it completed.
    const DONE: &'static str;
    /// The response from its parameters (`state` and `error` already handled); `Err` says what
    /// the response lacks.
    fn read(params: HashMap<String, String>) -> Result<Self, String>;
}

/// What the authorization server sent back.
#[derive(Debug)]
pub struct AuthorizationResponse {
    /// The authorization code: a secret until redeemed.
    pub code: SecretString,
    pub client_info: Option<String>,
    pub session_state: Option<String>,
}

impl RedirectResponse for AuthorizationResponse {
    const FLOW: &'static str = "Sign-in";
    const DONE: &'static str = "You are signed in";

    fn read(mut params: HashMap<String, String>) -> Result<Self, String> {
        let code = params
            .remove("code")
            .filter(|c| !c.is_empty())
            .ok_or("the response had neither a code nor an error")?;
        Ok(Self {
            code: SecretString::new(code),
            client_info: params.remove("client_info"),
            session_state: params.remove("session_state"),
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LoopbackError {
    #[error("cannot listen for the sign-in response on this computer: {0}")]
    Bind(std::io::Error),
    #[error(
        "cannot listen for the sign-in response safely: another program holds port {port} on the IPv6 loopback ([::1]) and could receive the sign-in. Try again, or close the program that listens there"
    )]
    Squatted { port: u16 },
    #[error("sign-in was not completed: {description} ({error})")]
    Denied { error: String, description: String },
    #[error("sign-in timed out after {0:?}: nobody completed it in the browser")]
    TimedOut(Duration),
    #[error("sign-in was cancelled")]
    Cancelled,
    #[error("the sign-in listener stopped unexpectedly")]
    Closed,
}

type Outcome<T> = Result<T, LoopbackError>;

struct Shared<T> {
    /// Set by `wait`: responses before that cannot be ours.
    state: Mutex<Option<String>>,
    done: Mutex<Option<oneshot::Sender<Outcome<T>>>>,
}

/// A bound listener waiting for one response of a flow: by default an authorization response
/// (sign-in); `auth::admin_consent` waits for its own.
#[derive(Debug)]
pub struct LoopbackListener<T = AuthorizationResponse> {
    port: u16,
    outcome: oneshot::Receiver<Outcome<T>>,
    stop: Option<watch::Sender<bool>>,
    shared: Arc<Shared<T>>,
}

impl<T> std::fmt::Debug for Shared<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared").finish_non_exhaustive()
    }
}

impl LoopbackListener<AuthorizationResponse> {
    /// Binds a random port on 127.0.0.1 and the same port on `[::1]` (see the module docs).
    /// The sign-in's `state` is given to [`Self::wait`], since it is generated with the
    /// authorization URL, which needs this redirect URI first.
    pub async fn bind() -> Result<Self, LoopbackError> {
        Self::bind_expecting().await
    }

    /// Binds `port` (0: any free one) on 127.0.0.1 and on `[::1]`; `Squatted` when another
    /// program holds it on `[::1]`.
    pub async fn bind_at(port: u16) -> Result<Self, LoopbackError> {
        Self::bind_at_expecting(port).await
    }
}

impl<T: RedirectResponse> LoopbackListener<T> {
    /// [`LoopbackListener::bind`] for a flow whose response is `T`.
    pub async fn bind_expecting() -> Result<Self, LoopbackError> {
        let mut squatted = 0;
        for _ in 0..BIND_ATTEMPTS {
            match Self::bind_at_expecting(0).await {
                Err(LoopbackError::Squatted { port }) => squatted = port,
                other => return other,
            }
        }
        Err(LoopbackError::Squatted { port: squatted })
    }

    async fn bind_at_expecting(port: u16) -> Result<Self, LoopbackError> {
        let v4 = TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, port)))
            .await
            .map_err(LoopbackError::Bind)?;
        let port = v4.local_addr().map_err(LoopbackError::Bind)?.port();
        let v6 = match TcpListener::bind(SocketAddr::from((Ipv6Addr::LOCALHOST, port))).await {
            Ok(v6) => Some(v6),
            Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => {
                return Err(LoopbackError::Squatted { port });
            }
            // No IPv6 loopback on this computer: nobody can listen on [::1] either.
            Err(e) if no_ipv6(&e) => {
                tracing::debug!(error = %e, "no IPv6 loopback: listening on 127.0.0.1 only");
                None
            }
            Err(e) => return Err(LoopbackError::Bind(e)),
        };
        let (tx, rx) = oneshot::channel();
        let shared = Arc::new(Shared {
            state: Mutex::new(None),
            done: Mutex::new(Some(tx)),
        });
        let app = Router::new()
            .route("/", axum::routing::get(on_query::<T>).post(on_form::<T>))
            .with_state(Arc::clone(&shared));
        let (stop_tx, stop_rx) = watch::channel(false);
        for listener in std::iter::once(v4).chain(v6) {
            let (app, mut stop_rx) = (app.clone(), stop_rx.clone());
            tokio::spawn(async move {
                let _ = axum::serve(listener, app)
                    .with_graceful_shutdown(async move {
                        let _ = stop_rx.wait_for(|stop| *stop).await;
                    })
                    .await;
            });
        }
        drop(stop_rx);
        Ok(Self {
            port,
            outcome: rx,
            stop: Some(stop_tx),
            shared,
        })
    }

    /// `http://localhost:<port>`: matches a registered `http://localhost` redirect URI.
    pub fn redirect_uri(&self) -> String {
        format!("http://localhost:{}", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Waits for the response carrying `state`, at most `timeout`, or until `cancel` completes.
    /// The state is recorded when this is called, not when the future is first polled, so a
    /// response arriving right after a `spawn` is not refused.
    pub fn wait<C: std::future::Future<Output = ()>>(
        mut self,
        state: &str,
        timeout: Duration,
        cancel: C,
    ) -> impl std::future::Future<Output = Outcome<T>> + use<C, T> {
        *self
            .shared
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(state.to_owned());
        async move {
            let outcome = tokio::select! {
                received = &mut self.outcome => received.unwrap_or(Err(LoopbackError::Closed)),
                _ = tokio::time::sleep(timeout) => Err(LoopbackError::TimedOut(timeout)),
                _ = cancel => Err(LoopbackError::Cancelled),
            };
            if let Some(stop) = self.stop.take() {
                let _ = stop.send(true);
            }
            outcome
        }
    }
}

impl<T> Drop for LoopbackListener<T> {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(true);
        }
    }
}

/// Random ports tried before giving up when each is taken on `[::1]` (a squatter would have to
/// guess each one; a busy computer rarely collides twice).
const BIND_ATTEMPTS: usize = 8;

/// Whether a bind on `[::1]` failed because this computer has no IPv6 loopback.
fn no_ipv6(error: &std::io::Error) -> bool {
    // EAFNOSUPPORT (97 on Linux, 47 on macOS) when IPv6 is disabled altogether.
    matches!(
        error.kind(),
        std::io::ErrorKind::AddrNotAvailable | std::io::ErrorKind::Unsupported
    ) || matches!(error.raw_os_error(), Some(97 | 47))
}

/// `a == b` in time that depends only on the lengths: a response's `state` is compared with
/// ours without telling, by how fast it is refused, how many leading characters matched.
pub fn same_secret(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let difference = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(difference) == 0
}

async fn on_query<T: RedirectResponse>(
    State(shared): State<Arc<Shared<T>>>,
    Query(params): Query<Vec<(String, String)>>,
) -> Response {
    handle(&shared, params)
}

async fn on_form<T: RedirectResponse>(
    State(shared): State<Arc<Shared<T>>>,
    Form(params): Form<Vec<(String, String)>>,
) -> Response {
    handle(&shared, params)
}

/// The parameters by name, or `None` when one is given twice: RFC 6749 (3.1) allows none to
/// be, and taking the first or the last `code` (or `state`) would be a guess.
fn unique(pairs: Vec<(String, String)>) -> Option<HashMap<String, String>> {
    let mut params = HashMap::with_capacity(pairs.len());
    for (name, value) in pairs {
        if params.insert(name, value).is_some() {
            return None;
        }
    }
    Some(params)
}

fn page(status: StatusCode, heading: &str, text: &str) -> Response {
    let escape = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    let body = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>aadsync</title></head>\
         <body style=\"font-family:system-ui,sans-serif;margin:10vh auto;max-width:36em\"><h1>{}</h1><p>{}</p></body></html>",
        escape(heading),
        escape(text)
    );
    (status, Html(body)).into_response()
}

fn handle<T: RedirectResponse>(shared: &Shared<T>, pairs: Vec<(String, String)>) -> Response {
    let expected = shared
        .state
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone();
    let mut params = unique(pairs).unwrap_or_default();
    let matches = match (expected.as_deref(), params.get("state")) {
        (Some(expected), Some(got)) => same_secret(expected.as_bytes(), got.as_bytes()),
        _ => false,
    };
    if !matches {
        // Not ours (a stale tab, another program, an attack): refuse, keep waiting for ours.
        tracing::warn!("ignored a sign-in response with a state that does not match");
        return page(
            StatusCode::BAD_REQUEST,
            "This page is not part of the current sign-in",
            "aadsync ignored it. If you are signing in to aadsync, use the browser window it opened.",
        );
    }
    let Some(sender) = shared
        .done
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .take()
    else {
        return page(
            StatusCode::GONE,
            &format!("{} already completed", T::FLOW),
            "You can close this window and return to aadsync.",
        );
    };
    let not_completed = format!("{} was not completed", T::FLOW);
    if let Some(error) = params.remove("error") {
        let description = params.remove("error_description").unwrap_or_default();
        let first_line = description.lines().next().unwrap_or_default().to_owned();
        let _ = sender.send(Err(LoopbackError::Denied {
            error: error.clone(),
            description: first_line.clone(),
        }));
        return page(
            StatusCode::OK,
            &not_completed,
            &format!("{first_line} You can close this window and return to aadsync."),
        );
    }
    params.remove("state");
    match T::read(params) {
        Ok(response) => {
            let _ = sender.send(Ok(response));
            page(
                StatusCode::OK,
                T::DONE,
                "You can close this window and return to aadsync.",
            )
        }
        Err(lacks) => {
            let _ = sender.send(Err(LoopbackError::Denied {
                error: "invalid_response".into(),
                description: lacks.clone(),
            }));
            page(
                StatusCode::BAD_REQUEST,
                &not_completed,
                &format!("The response was incomplete ({lacks}). Return to aadsync and try again."),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::same_secret;

    #[test]
    fn secrets_compare_whole() {
        assert!(same_secret(b"state-4f1c", b"state-4f1c"));
        assert!(same_secret(b"", b""));
        for other in [
            &b"state-4f1d"[..],
            b"xtate-4f1c",
            b"state-4f1",
            b"state-4f1cc",
            b"",
        ] {
            assert!(!same_secret(b"state-4f1c", other), "{other:?}");
        }
    }
}
