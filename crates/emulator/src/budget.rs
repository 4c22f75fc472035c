//! Graph's identity and access budget as numbers: the resource units each request costs and a
//! token bucket per application, as Microsoft Learn's "Microsoft Graph service-specific
//! throttling limits" gives them (`graph::throttle` answers with them).

use axum::http::Method;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;
use tokio::time::Instant;

/// The window the documented quotas are given over.
pub const WINDOW: Duration = Duration::from_secs(10);

/// Resource units per [`WINDOW`] for an application in a tenant of `users` users.
pub fn quota(users: usize) -> u32 {
    match users {
        0..50 => 3_500,
        50..=500 => 5_000,
        _ => 8_000,
    }
}

/// What one request costs, as the documentation's table and rules say. `path` is the URL path
/// (with `/v1.0/`), `query` the raw query string.
pub fn cost(method: &Method, path: &str, query: &str) -> u32 {
    let rest = path.trim_start_matches("/v1.0/").trim_end_matches('/');
    let parts: Vec<&str> = rest.split('/').collect();
    let get = method == Method::GET;
    let base = match parts.as_slice() {
        ["users"] | ["applications"] if get => 2,
        ["applications", _, "extensionProperties"] if get => 2,
        ["groups", _, "members", ..] if get => 3,
        ["groups", _, "transitiveMembers", ..] if get => 5,
        ["directoryObjects", "getByIds"] if method == Method::POST => 5,
        [
            "me" | "users",
            ..,
            "memberOf" | "transitiveMemberOf" | "ownedObjects",
        ] if get => 2,
        ["oauth2PermissionGrants"] | ["oauth2PermissionGrants", _] if get => 2,
        ["servicePrincipals", _, "appRoleAssignments"] if get => 2,
        _ => 1,
    };
    let option = |name: &str| {
        query.split('&').find_map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let key = key.replace("%24", "$");
            key.eq_ignore_ascii_case(name).then(|| value.to_owned())
        })
    };
    let select = option("$select").is_some();
    if select && matches!(parts.as_slice(), ["directoryObjects", "getByIds"]) {
        return 2;
    }
    let mut cost = base as i64;
    if select {
        cost -= 1;
    }
    if option("$expand").is_some() {
        cost += 1;
    }
    if option("$top")
        .and_then(|t| t.parse::<u32>().ok())
        .is_some_and(|t| t < 20)
    {
        cost -= 1;
    }
    cost.max(1) as u32
}

/// The buckets of the applications calling this emulator.
#[derive(Debug, Default)]
pub struct Budgets {
    buckets: Mutex<HashMap<String, Bucket>>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    units: f64,
    at: Instant,
}

/// What the budget says about one request.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Verdict {
    /// Served; the share of the quota now used (0 to 1).
    Served { used: f64 },
    /// Over the budget: try again after this long.
    Throttled { retry_after: Duration },
}

impl Budgets {
    /// Takes `cost` units from `app`'s bucket of `quota` per `window`, refilled continuously
    /// (real time: the emulator's adjustable clock is for token lifetimes, not for rates).
    pub fn take(&self, app: &str, cost: u32, (quota, window): (u32, Duration)) -> Verdict {
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let now = Instant::now();
        let quota = f64::from(quota);
        let rate = quota / window.as_secs_f64();
        let bucket = buckets.entry(app.to_owned()).or_insert(Bucket {
            units: quota,
            at: now,
        });
        bucket.units =
            (bucket.units + now.duration_since(bucket.at).as_secs_f64() * rate).min(quota);
        bucket.at = now;
        let cost = f64::from(cost);
        if bucket.units >= cost {
            bucket.units -= cost;
            Verdict::Served {
                used: 1.0 - bucket.units / quota,
            }
        } else {
            Verdict::Throttled {
                retry_after: Duration::from_secs_f64((cost - bucket.units) / rate),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn costs_follow_the_documented_table_and_rules() {
        let get = Method::GET;
        let cases = [
            (&get, "/v1.0/users", "", 2),
            (&get, "/v1.0/users", "$select=id,displayName&$top=999", 1),
            (&get, "/v1.0/users/abc", "", 1),
            (&get, "/v1.0/groups", "$select=id", 1),
            (&get, "/v1.0/groups/g1/members", "", 3),
            (
                &get,
                "/v1.0/groups/g1/members/microsoft.graph.user",
                "%24select=id&%24top=999",
                2,
            ),
            (&get, "/v1.0/groups/g1/members", "$top=5", 2),
            (&get, "/v1.0/groups/g1/transitiveMembers", "", 5),
            (
                &get,
                "/v1.0/groups/g1/transitiveMembers",
                "$expand=manager",
                6,
            ),
            (&get, "/v1.0/me/transitiveMemberOf", "", 2),
            (&get, "/v1.0/users/u1/memberOf", "", 2),
            (&get, "/v1.0/applications", "", 2),
            (&get, "/v1.0/oauth2PermissionGrants", "$filter=x", 2),
            (&get, "/v1.0/me", "$select=id&$top=1", 1),
            (&Method::POST, "/v1.0/directoryObjects/getByIds", "", 5),
            (
                &Method::POST,
                "/v1.0/directoryObjects/getByIds",
                "$select=id",
                2,
            ),
            (&Method::PATCH, "/v1.0/applications/x", "", 1),
        ];
        for (method, path, query, want) in cases {
            assert_eq!(cost(method, path, query), want, "{method} {path}?{query}");
        }
    }

    #[test]
    fn the_quota_follows_the_tenant_size() {
        assert_eq!(quota(0), 3_500);
        assert_eq!(quota(49), 3_500);
        assert_eq!(quota(50), 5_000);
        assert_eq!(quota(500), 5_000);
        assert_eq!(quota(501), 8_000);
    }

    #[tokio::test(start_paused = true)]
    async fn the_bucket_refuses_past_its_quota_and_refills_over_the_window() {
        let budgets = Budgets::default();
        // 100 units per 10 s: 10 per second.
        let quota = (100, WINDOW);
        for _ in 0..50 {
            assert!(matches!(
                budgets.take("a", 2, quota),
                Verdict::Served { .. }
            ));
        }
        let Verdict::Throttled { retry_after } = budgets.take("a", 3, quota) else {
            panic!("the 101st unit is over the quota");
        };
        assert_eq!(retry_after, Duration::from_millis(300));
        // Another application has its own bucket.
        assert!(matches!(budgets.take("b", 100, quota), Verdict::Served { used } if used == 1.0));
        tokio::time::advance(Duration::from_millis(300)).await;
        assert!(matches!(
            budgets.take("a", 3, quota),
            Verdict::Served { .. }
        ));
        tokio::time::advance(Duration::from_secs(60)).await;
        // Never more than the quota banked.
        assert!(matches!(
            budgets.take("a", 100, quota),
            Verdict::Served { .. }
        ));
        assert!(matches!(
            budgets.take("a", 1, quota),
            Verdict::Throttled { .. }
        ));
    }
}
