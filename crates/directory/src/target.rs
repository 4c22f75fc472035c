//! Where one organization signs in and reads Graph, and the one HTTP client that talks to it.
//!
//! Sign-in, token renewal and the Graph client all start from a [`Target`], which is why it
//! sits below all of them. The target builds its HTTP client once; every clone shares it
//! (`reqwest::Client` is a handle to one connection pool), so a renewal reuses the connections
//! that the sign-in opened instead of building a client of its own. The target also carries
//! the [`Clock`] that time-dependent decisions ask (`crate::clock`).

use crate::body::{CappedClient, MAX_GRAPH_BODY, MAX_SIGN_IN_BODY};
use crate::clock::{Clock, SystemClock};
use crate::cloud::{Cloud, EndpointError, Endpoints};
use crate::ids::{ClientId, TenantRef};
use std::sync::Arc;
use std::time::Duration;

/// How long any one request may take unless it says otherwise (Graph pages do: see
/// `graph::client`). Sign-in calls answer in well under a second.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// How long to wait for a connection: an unreachable host is reported, not waited out.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);
/// How long one Graph request may take: a page of 999 users with every property can take a
/// while on a slow tenant, longer than the sign-in calls' limit.
pub const GRAPH_REQUEST_TIMEOUT: Duration = Duration::from_secs(120);

/// Every HTTP call's time and size limits: each call through the target's client has a
/// timeout, and each answer a size cap (`crate::body`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpLimits {
    /// A sign-in call (discovery, keys, code redemption, device code, renewal, roles).
    pub request_timeout: Duration,
    pub connect_timeout: Duration,
    /// A Graph request.
    pub graph_request_timeout: Duration,
    /// The most a sign-in answer may hold.
    pub max_sign_in_body: usize,
    /// The most a Graph answer may hold.
    pub max_graph_body: usize,
}

impl Default for HttpLimits {
    fn default() -> Self {
        Self {
            request_timeout: REQUEST_TIMEOUT,
            connect_timeout: CONNECT_TIMEOUT,
            graph_request_timeout: GRAPH_REQUEST_TIMEOUT,
            max_sign_in_body: MAX_SIGN_IN_BODY,
            max_graph_body: MAX_GRAPH_BODY,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    #[error("{0}")]
    Endpoint(#[from] EndpointError),
    #[error("cannot prepare connections to the sign-in service on this computer: {0}")]
    Http(String),
}

/// Which tenant, through which app registration, at which endpoints, and the HTTP client
/// that reaches them and the clock that times them.
#[derive(Clone)]
pub struct Target {
    pub tenant: TenantRef,
    pub client_id: ClientId,
    pub endpoints: Endpoints,
    http: reqwest::Client,
    limits: HttpLimits,
    clock: Arc<dyn Clock>,
}

impl Target {
    /// `tenant` through `client_id` at `cloud`'s endpoints for that tenant.
    pub fn new(tenant: TenantRef, client_id: ClientId, cloud: &Cloud) -> Result<Self, TargetError> {
        Ok(Self {
            endpoints: cloud.endpoints(&tenant)?,
            tenant,
            client_id,
            http: http_client(&HttpLimits::default())
                .map_err(|e| TargetError::Http(e.to_string()))?,
            limits: HttpLimits::default(),
            clock: Arc::new(SystemClock),
        })
    }

    /// The same target timed by `clock` (tests: a [`crate::clock::FixedClock`]).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The same target with other time and size limits (tests: short ones), on a client of
    /// its own built with them.
    pub fn with_limits(mut self, limits: HttpLimits) -> Result<Self, TargetError> {
        self.http = http_client(&limits).map_err(|e| TargetError::Http(e.to_string()))?;
        self.limits = limits;
        Ok(self)
    }

    pub fn limits(&self) -> &HttpLimits {
        &self.limits
    }

    /// The shared HTTP client as the `oauth2` crate's client, capped at a sign-in answer's size.
    pub fn oauth(&self) -> CappedClient {
        CappedClient::new(self.http.clone(), self.limits.max_sign_in_body)
    }

    /// What every decision about token lifetimes and waits asks for the current time.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// The shared HTTP client: sign-in, token renewal and Graph requests all go through it.
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }
}

/// Two targets are the same place; which client and clock come with it does not matter.
impl PartialEq for Target {
    fn eq(&self, other: &Self) -> bool {
        (&self.tenant, &self.client_id, &self.endpoints)
            == (&other.tenant, &other.client_id, &other.endpoints)
    }
}

impl Eq for Target {}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Target")
            .field("tenant", &self.tenant)
            .field("client_id", &self.client_id)
            .field("endpoints", &self.endpoints)
            .finish_non_exhaustive()
    }
}

/// The one place HTTP settings are chosen. Redirects are never followed: a token request or a
/// Graph call that is redirected would carry a code or a bearer token to wherever the
/// redirect points. TLS (rustls) trusts the OS trust store, and requests go through the OS
/// proxy settings except to loopback (`crate::net`).
fn http_client(limits: &HttpLimits) -> Result<reqwest::Client, reqwest::Error> {
    crate::net::configure(reqwest::Client::builder())
        .redirect(reqwest::redirect::Policy::none())
        .timeout(limits.request_timeout)
        .connect_timeout(limits.connect_timeout)
        .build()
}
