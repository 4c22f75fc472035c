//! A local Microsoft Entra ID + Microsoft Graph emulator for tests, benchmarks and the demo.
//!
//! It follows `shared/reference/entra-graph-contract.md`: the app talks to it exactly as to a
//! real tenant, only the base URLs differ. This version serves Microsoft Graph v1.0 users,
//! groups, members, transitive members, `/me` and `/me/memberOf`, app registrations
//! (`applications`, `servicePrincipals`, `oauth2PermissionGrants`, and the admin consent
//! endpoint) with `$select`, `$top`,
//! `$skiptoken` paging, `$filter`, `$search` + `ConsistencyLevel`, `$count` and `$orderby`,
//! Graph-shaped errors and `request-id`/`client-request-id` headers, and checks RS256 bearer
//! tokens (signature, audience, tenant, lifetime, scopes). Tenants come from a JSON fixture
//! (`fixtures/README.md`) or the seeded [`generate`] function.

// Modules read top-down, with no cycles: `server` composes the handlers' routers and runs the
// app; the handlers (`graph`, `identity`, `control`) import only the layers below them, never
// each other or `server`; `state` ties together the bottom modules, which are built from the
// tenant `model` and its helpers.

// Top: the app and its lifecycle, and the check every request passes first.
mod loopback_host;
mod server;

// Handlers.
pub mod budget;
#[cfg(feature = "control")]
pub mod control;
pub mod graph;
pub mod identity;

// Bottom: the shared state and what it is made of.
mod changes;
mod clock;
mod directory;
mod error;
#[cfg(feature = "control")]
mod faults;
mod query_string;
pub mod quirks;
pub mod registrations;
mod sign_in;
mod state;

// Foundations: the tenant model, its generator and the demo's fixed accounts, keys, TLS.
pub mod demo;
pub mod generate;
pub mod keys;
pub mod model;
pub mod tls;

// A client, outside the server's layers: tests drive the sign-in pages with it.
#[cfg(feature = "browser")]
pub mod browser;

pub use clock::Clock;
pub use error::EmulatorError;
pub use generate::{GeneratorConfig, generate};
pub use model::Tenant;
pub use quirks::{ExpiredDelta, GraphQuirks, Throttling};
pub use server::{Emulator, EmulatorConfig};
pub use state::LimitedInformation;

/// Reads a tenant fixture (JSON, see `fixtures/README.md`).
pub fn load_fixture(path: &std::path::Path) -> Result<Tenant, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let tenant: Tenant =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    tenant
        .validate()
        .map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(tenant)
}

/// The shipped demo tenant, "Contoso" (`fixtures/contoso-demo.json`).
pub fn demo_tenant() -> Result<Tenant, String> {
    let tenant: Tenant = serde_json::from_str(include_str!("../fixtures/contoso-demo.json"))
        .map_err(|e| format!("the embedded demo fixture is invalid: {e}"))?;
    tenant.validate()?;
    Ok(tenant)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_shipped_demo_fixture_is_the_generator_output() {
        let shipped = super::demo_tenant();
        let generated = super::generate(super::GeneratorConfig {
            users: 300,
            groups: 25,
            seed: 1,
        });
        assert_eq!(
            shipped.as_ref().ok(),
            Some(&generated),
            "regenerate fixtures/contoso-demo.json (see fixtures/README.md)"
        );
    }
}
