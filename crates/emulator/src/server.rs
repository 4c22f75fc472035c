//! The top layer: composes the handlers' routers into one app and runs it (start, serve, stop).

use crate::clock::Clock;
use crate::error::EmulatorError;
use crate::keys::SigningKeys;
use crate::model::{Tenant, roles};
use crate::state::{LimitedInformation, Shared};
use serde_json::json;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

/// Every route, with the fault/log middleware (feature `control`), bound to the state. `$batch`
/// gets this function to build the router its inner requests run through.
pub fn app(shared: &Shared) -> axum::Router {
    let routes = crate::graph::router(app)
        .merge(crate::identity::router())
        // Inside the fault layer: an injected fault answers before any budget is spent.
        .layer(axum::middleware::from_fn_with_state(
            shared.clone(),
            crate::graph::throttle::middleware,
        ));
    #[cfg(feature = "control")]
    let routes = with_control(routes, shared);
    routes.with_state(shared.clone())
}

/// Adds the control API, and the fault layer over every route (so faults and the request log
/// see Graph and identity requests alike).
#[cfg(feature = "control")]
fn with_control(routes: axum::Router<Shared>, shared: &Shared) -> axum::Router<Shared> {
    routes
        .merge(crate::control::router())
        .layer(axum::middleware::from_fn_with_state(
            shared.clone(),
            crate::control::middleware,
        ))
}

/// How to start an emulator.
#[derive(Debug, Clone)]
pub struct EmulatorConfig {
    pub tenant: Tenant,
    /// 0 picks a free port.
    pub port: u16,
    pub host: IpAddr,
    /// Show the demo credentials and the current second-factor code on the login pages (the
    /// offline demo); off for tests and for anything looking like a real tenant.
    pub demo_hints: bool,
    /// Serve https with a generated CA (see [`Emulator::ca_pem`]) instead of plain http.
    pub tls: bool,
    /// How objects the token may not read are listed (strict by default).
    pub limited_information: LimitedInformation,
    /// Graph's documented irregularities (repeated delta items, split `members@delta`, both
    /// expiry answers, shuffled `$batch`): all on unless a unit test turns one off.
    pub quirks: crate::quirks::GraphQuirks,
}

impl EmulatorConfig {
    pub fn new(tenant: Tenant) -> Self {
        Self {
            tenant,
            port: 0,
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            demo_hints: false,
            tls: false,
            limited_information: LimitedInformation::Strict,
            quirks: crate::quirks::GraphQuirks::default(),
        }
    }
}

/// A running emulator. Dropping it stops the server.
#[derive(Debug)]
pub struct Emulator {
    shared: Shared,
    addr: SocketAddr,
    ca_pem: Option<String>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

/// Binds the listener; the address it returns has the port actually chosen.
async fn bind(addr: SocketAddr) -> Result<(tokio::net::TcpListener, SocketAddr), EmulatorError> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| EmulatorError::Bind { addr, source })?;
    let addr = listener
        .local_addr()
        .map_err(|source| EmulatorError::Bind { addr, source })?;
    Ok((listener, addr))
}

/// Serves `app` in the background until `stop` fires, over TLS when `tls` is given.
fn serve(
    listener: tokio::net::TcpListener,
    app: axum::Router,
    tls: Option<crate::tls::TlsMaterial>,
    stop: tokio::sync::oneshot::Receiver<()>,
) {
    match tls {
        Some(material) => {
            tokio::spawn(crate::tls::serve(listener, app, material, stop));
        }
        None => {
            tokio::spawn(async move {
                let served = axum::serve(listener, app)
                    .with_graceful_shutdown(async {
                        let _ = stop.await;
                    })
                    .await;
                if let Err(err) = served {
                    tracing::error!(error = %err, "emulator server stopped");
                }
            });
        }
    }
}

impl Emulator {
    /// The shipped Contoso tenant (the offline demo's), without the demo's login-page hints:
    /// what most tests sign in to.
    pub async fn start_demo() -> Result<Self, EmulatorError> {
        let tenant = crate::demo_tenant().map_err(EmulatorError::InvalidTenant)?;
        Self::start(EmulatorConfig::new(tenant)).await
    }

    /// Binds, then serves in the background on the current tokio runtime.
    pub async fn start(config: EmulatorConfig) -> Result<Self, EmulatorError> {
        config
            .tenant
            .validate()
            .map_err(EmulatorError::InvalidTenant)?;
        let keys = SigningKeys::well_known().map_err(EmulatorError::Keys)?;
        let shared = Shared::new(
            config.tenant,
            keys,
            config.demo_hints,
            config.limited_information,
            config.quirks,
        );
        let (listener, addr) = bind(SocketAddr::new(config.host, config.port)).await?;
        let tls = if config.tls {
            Some(crate::tls::TlsMaterial::generate().map_err(EmulatorError::Tls)?)
        } else {
            None
        };
        let scheme = if tls.is_some() { "https" } else { "http" };
        shared.set_base_url(format!("{scheme}://{addr}"));
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let ca_pem = tls.as_ref().map(|t| t.ca_pem.clone());
        // Only requests addressed to the loopback at this port (DNS rebinding, see the module).
        let app = app(&shared).layer(axum::middleware::from_fn_with_state(
            addr.port(),
            crate::loopback_host::only_loopback,
        ));
        serve(listener, app, tls, rx);
        tracing::info!(base = %shared.base_url(), "entra emulator listening");
        Ok(Self {
            shared,
            addr,
            ca_pem,
            shutdown: Some(tx),
        })
    }

    /// `http://127.0.0.1:<port>`: the Graph root (`/v1.0/…`) and the identity host.
    pub fn base_url(&self) -> &str {
        self.shared.base_url()
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn tenant_id(&self) -> String {
        self.shared.directory().tenant.id.clone()
    }

    pub fn clock(&self) -> &Clock {
        &self.shared.clock
    }

    /// Test support: an access token for Microsoft Graph as the token endpoint issues it (v1
    /// shape: `aud` Graph, `scp`, `amr` with `mfa`, `wids`, `tid`, `oid`, `upn`).
    pub fn mint_access_token(
        &self,
        upn: &str,
        scopes: &[&str],
        lifetime_seconds: i64,
    ) -> Result<String, EmulatorError> {
        let directory = self.shared.directory();
        let user = directory
            .user_record(upn)
            .ok_or_else(|| EmulatorError::UnknownUser(upn.to_owned()))?;
        let tenant = &directory.tenant;
        let oid = user.id.as_str();
        let mut wids: Vec<String> = tenant
            .held_roles_of(oid)
            .into_iter()
            .map(str::to_owned)
            .collect();
        wids.push(roles::DEFAULT_MEMBER.to_owned());
        let now = self.shared.clock.now();
        let claims = json!({
            "aud": "https://graph.microsoft.com",
            "iss": format!("https://sts.windows.net/{}/", tenant.id),
            "iat": now, "nbf": now, "exp": now + lifetime_seconds,
            "amr": ["pwd", "mfa"],
            "appid": tenant.applications.first().map(|a| a.client_id.as_str()).unwrap_or_default(),
            "idtyp": "user",
            "name": user.display_name,
            "oid": oid,
            "scp": scopes.join(" "),
            "sub": oid,
            "tid": tenant.id,
            "unique_name": user.user_principal_name,
            "upn": user.user_principal_name,
            "uti": self.shared.next_guid(),
            "ver": "1.0",
            "wids": wids,
        });
        Ok(self.shared.keys.sign(&claims))
    }

    /// With TLS: the PEM of the CA that signed the server certificate, for clients to trust.
    pub fn ca_pem(&self) -> Option<&str> {
        self.ca_pem.as_deref()
    }

    /// The authority URL for a tenant segment (GUID, domain, `organizations`, `common`).
    pub fn authority(&self) -> String {
        format!("{}/{}", self.base_url(), self.tenant_id())
    }

    /// Revokes every refresh token issued to the user so far (what "Revoke sessions" does).
    pub fn revoke_refresh_tokens(&self, upn: &str) -> Result<(), EmulatorError> {
        self.shared.revoke_refresh_tokens(upn)
    }

    /// Stops accepting requests and lets in-flight ones finish.
    pub fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}
