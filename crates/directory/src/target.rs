//! Where one organization signs in and reads Graph, and the one HTTP client that talks to it.
//!
//! Sign-in, token renewal and the Graph client all start from a [`Target`], which is why it
//! sits below all of them. The target builds its HTTP client once; every clone shares it
//! (`reqwest::Client` is a handle to one connection pool), so a renewal reuses the connections
//! that the sign-in opened instead of building a client of its own. The target also carries
//! the [`Clock`] that time-dependent decisions ask (`crate::clock`).

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
    clock: Arc<dyn Clock>,
}

impl Target {
    /// `tenant` through `client_id` at `cloud`'s endpoints for that tenant.
    pub fn new(tenant: TenantRef, client_id: ClientId, cloud: &Cloud) -> Result<Self, TargetError> {
        Ok(Self {
            endpoints: cloud.endpoints(&tenant)?,
            tenant,
            client_id,
            http: http_client().map_err(|e| TargetError::Http(e.to_string()))?,
            clock: Arc::new(SystemClock),
        })
    }

    /// The same target timed by `clock` (tests: a [`crate::clock::FixedClock`]).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
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
/// redirect points. TLS is rustls with the webpki roots (this crate's `reqwest` features).
fn http_client() -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(REQUEST_TIMEOUT)
        .connect_timeout(CONNECT_TIMEOUT)
        .build()
}
