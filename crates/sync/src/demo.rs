//! The offline demo tenant: the Entra ID + Graph emulator with the shipped Contoso data,
//! running inside this process on a loopback port chosen at start.
//!
//! It runs on its own thread and runtime, so it lives as long as the process whatever async
//! runtime asked for it first. Its refresh tokens are sealed (not remembered), so a demo
//! organization signed in during one run resumes silently in the next, on another port.

use std::sync::OnceLock;

/// Where the running demo tenant answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoTenant {
    /// `http://127.0.0.1:<port>`: authority host and Graph root at once.
    pub base_url: String,
    pub tenant_id: String,
    pub client_id: String,
}

static DEMO: OnceLock<Result<DemoTenant, String>> = OnceLock::new();

/// Starts the demo tenant on first use (blocking for the moment it takes) and returns it.
pub fn demo_tenant() -> Result<&'static DemoTenant, String> {
    DEMO.get_or_init(start).as_ref().map_err(Clone::clone)
}

/// Without the `demo` feature the binary has no emulator in it.
#[cfg(not(feature = "demo"))]
fn start() -> Result<DemoTenant, String> {
    Err(
        "this build of aadsync has no offline demo (it was built without the `demo` feature)"
            .into(),
    )
}

#[cfg(feature = "demo")]
fn start() -> Result<DemoTenant, String> {
    use aadsync_emulator::{Emulator, EmulatorConfig};
    let tenant = aadsync_emulator::demo_tenant()?;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("demo-tenant".into())
        .spawn(move || {
            let runtime = match tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    let _ = tx.send(Err(e.to_string()));
                    return;
                }
            };
            runtime.block_on(async move {
                let mut config = EmulatorConfig::new(tenant);
                // The login page shows the demo credentials and the current second-factor code.
                config.demo_hints = true;
                match Emulator::start(config).await {
                    Ok(emulator) => {
                        let _ = tx.send(Ok(DemoTenant {
                            base_url: emulator.base_url().to_owned(),
                            tenant_id: emulator.tenant_id(),
                            client_id: aadsync_emulator::demo::CLIENT_ID.to_owned(),
                        }));
                        std::future::pending::<()>().await;
                        drop(emulator);
                    }
                    Err(e) => {
                        let _ = tx.send(Err(e.to_string()));
                    }
                }
            });
        })
        .map_err(|e| e.to_string())?;
    rx.recv()
        .map_err(|_| "the demo tenant stopped while starting".to_owned())?
        .inspect(|demo| tracing::info!(url = %demo.base_url, "offline demo tenant started"))
}
