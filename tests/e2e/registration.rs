//! Step 1's *Check registration* as an administrator meets it (issue 20): the organization
//! signed in once, then its app registration broken in the tenant — as an administrator would
//! break it in the admin center, here through the emulator's control API — and checked from the
//! wizard after each break: the redirect URI removed, public client flows off, a permission
//! removed, no admin consent. Asserted: the break is in place (the control API's dump), the
//! window names the finding and its fix, and the check changed neither the registration nor
//! the database. A removed permission also fails the wizard's listing once the token lapses,
//! and that refusal comes with the check's finding. Restored, the registration is complete
//! again.

use crate::signin::{BrowserPlay, launch_with};
use crate::sync::connect_new;
use aadsync_e2e::support::{App, Result, actions, checks, finders};
use aadsync_emulator::{Emulator, demo};
use serde_json::{Value, json};

/// The README's permissions, and what lets the check read the whole registration:
/// Application.Read.All (the application, the service principals) and, for the grants,
/// DelegatedPermissionGrant.ReadWrite.All (Directory.Read.All would stand in for User.Read.All
/// and hide the removed permission).
const FULL: &[(&str, &str)] = &[
    ("User.Read", "e1fe6dd8-ba31-4d61-89e7-88639da4683d"),
    ("User.Read.All", "a154be20-db9c-4678-8ab7-66f6cc099a59"),
    (
        "GroupMember.Read.All",
        "bc024368-1153-4739-b217-4326f2e966d0",
    ),
    ("Group.Read.All", "5f8c59db-677d-491f-a6b8-5f174b11ec1d"),
    ("Member.Read.Hidden", "f6a3db3e-f7e8-4ed2-a414-557c8c9830be"),
    (
        "Application.Read.All",
        "c79f8feb-a9db-4090-85f9-90d820caa0eb",
    ),
    (
        "DelegatedPermissionGrant.ReadWrite.All",
        "41ce6ca6-6826-4807-84f1-1c82854f7ee5",
    ),
];

/// The emulator's `/_emulator/` API for the demo application.
struct Registration<'a> {
    emulator: &'a Emulator,
    http: reqwest::Client,
}

impl Registration<'_> {
    fn url(&self, path: &str) -> String {
        format!(
            "{}/_emulator/applications/{}{path}",
            self.emulator.base_url(),
            demo::CLIENT_ID
        )
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Result {
        let response = request.send().await?;
        let status = response.status();
        if !status.is_success() {
            return Err(format!("control API: {status} {}", response.text().await?).into());
        }
        Ok(())
    }

    async fn patch(&self, body: Value) -> Result {
        self.send(self.http.patch(self.url("")).json(&body)).await
    }

    /// The application requests every permission of [`FULL`] but `left_out`, and the
    /// tenant-wide grant holds the same.
    async fn permissions_without(&self, left_out: &str) -> Result {
        let kept: Vec<&(&str, &str)> = FULL.iter().filter(|(n, _)| *n != left_out).collect();
        let access: Vec<Value> = kept
            .iter()
            .map(|(_, id)| json!({"id": id, "type": "Scope"}))
            .collect();
        self.patch(json!({"requiredResourceAccess": [{
            "resourceAppId": "00000003-0000-0000-c000-000000000000",
            "resourceAccess": access,
        }]}))
        .await?;
        let scope: Vec<&str> = kept.iter().map(|(n, _)| *n).collect();
        self.send(
            self.http
                .put(self.url("/grant"))
                .json(&json!({"scope": scope.join(" ")})),
        )
        .await
    }

    /// Moves the tenant's clock on: tokens issued before then have lapsed.
    async fn advance_clock(&self, seconds: i64) -> Result {
        self.send(
            self.http
                .post(format!("{}/_emulator/clock", self.emulator.base_url()))
                .json(&json!({"advanceSeconds": seconds})),
        )
        .await
    }

    async fn delete_grant(&self) -> Result {
        self.send(self.http.delete(self.url("/grant"))).await
    }

    /// Everything the control API shows of the tenant's registrations.
    async fn dump(&self) -> Result<Value> {
        Ok(self
            .http
            .get(format!(
                "{}/_emulator/registrations",
                self.emulator.base_url()
            ))
            .send()
            .await?
            .json()
            .await?)
    }

    async fn application(&self) -> Result<Value> {
        let dump = self.dump().await?;
        dump["applications"]
            .as_array()
            .and_then(|apps| apps.iter().find(|a| a["appId"] == demo::CLIENT_ID))
            .cloned()
            .ok_or_else(|| format!("no demo application in {dump}").into())
    }

    /// The scopes of the demo application's grants.
    async fn granted(&self) -> Result<Vec<String>> {
        let dump = self.dump().await?;
        let principal = dump["servicePrincipals"]
            .as_array()
            .and_then(|sps| sps.iter().find(|s| s["appId"] == demo::CLIENT_ID))
            .map(|s| s["id"].clone());
        Ok(dump["oauth2PermissionGrants"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|g| principal.as_ref().is_some_and(|id| g["clientId"] == *id))
            .flat_map(|g| {
                g["scope"]
                    .as_str()
                    .unwrap_or_default()
                    .split_whitespace()
                    .map(str::to_owned)
                    .collect::<Vec<_>>()
            })
            .collect())
    }
}

/// Clicks *Check registration* and waits for its headline; the check must leave the
/// registration and the database as they were. Returns the headline and the findings' text.
async fn check(app: &App, registration: &Registration<'_>) -> Result<(String, String)> {
    let before = (registration.dump().await?, database_rows(app)?);
    // The previous answer is marked, so the wait below is for this check's answer (a new
    // element), not the one still shown when the click lands.
    app.client
        .execute(
            "const h = document.getElementById('org-registration-headline'); if (h) h.setAttribute('data-old', '');",
            vec![],
        )
        .await?;
    actions::click(app, "org-registration-check").await?;
    let headline = finders::by_css(app, "#org-registration-headline:not([data-old])")
        .await?
        .text()
        .await?;
    let findings =
        checks::content_becomes(app, "org-registration-findings", "the list", |_| true).await?;
    let after = (registration.dump().await?, database_rows(app)?);
    if before != after {
        return Err("the registration check changed the registration or the database".into());
    }
    Ok((headline, findings))
}

/// The organizations and users tables, as text: what a check must not change.
fn database_rows(app: &App) -> Result<Vec<String>> {
    let db = rusqlite::Connection::open(&app.expected_database)?;
    let mut rows = Vec::new();
    for sql in [
        "SELECT id, tenant_id, client_id, admin_upn FROM organizations ORDER BY id",
        "SELECT COUNT(*) FROM users",
    ] {
        let mut stmt = db.prepare(sql)?;
        let count = stmt.column_count();
        let found = stmt.query_map([], |r| {
            (0..count)
                .map(|i| {
                    r.get::<_, rusqlite::types::Value>(i)
                        .map(|v| format!("{v:?}"))
                })
                .collect::<rusqlite::Result<Vec<_>>>()
        })?;
        for row in found {
            rows.push(row?.join("|"));
        }
    }
    Ok(rows)
}

/// Closes the wizard and opens it again: step 1 with the stored organization selected.
async fn reopen_step_1(app: &App) -> Result {
    actions::click(app, "wizard-cancel").await?;
    if checks::gone(app, "wizard").await.is_err() {
        // Step 3 with nothing ticked closes at once; a question would be a failure here.
        return Err("the wizard did not close".into());
    }
    actions::choose_menu(app, "tools", "menu-azure-sync").await?;
    checks::enabled_is(app, "org-registration-check", true).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_broken_registration_is_found_with_its_fix() -> Result {
    let emulator = Emulator::start_demo().await?;
    let registration = Registration {
        emulator: &emulator,
        http: reqwest::Client::new(),
    };
    registration.permissions_without("").await?;
    let play = BrowserPlay::new()?;
    play.admin()?;
    let mut app = launch_with("registration_check", &play).await?;
    checks::shell_is_rendered(&app).await?;
    connect_new(&app, &emulator).await?;
    checks::text_becomes(&app, "dir-counts", "the directory", |t| {
        !t.contains("loading")
    })
    .await?;
    reopen_step_1(&app).await?;

    // Complete.
    let (headline, findings) = check(&app, &registration).await?;
    assert!(
        headline.starts_with("The registration is complete"),
        "{headline}"
    );
    assert_eq!(findings, "");

    // The redirect URI removed.
    registration
        .patch(json!({"publicClient": {"redirectUris": []}}))
        .await?;
    assert_eq!(
        registration.application().await?["publicClient"]["redirectUris"],
        json!([])
    );
    let (headline, findings) = check(&app, &registration).await?;
    assert!(
        headline.starts_with("1 finding: aadsync cannot work"),
        "{headline}"
    );
    assert!(
        findings.contains("(needed)")
            && findings.contains("AADSTS50011")
            && findings.contains("Mobile and desktop applications")
            && findings.contains("http://localhost"),
        "{findings}"
    );
    app.screenshot("registration-check").await?;
    registration
        .patch(json!({"publicClient": {"redirectUris": ["http://localhost"]}}))
        .await?;

    // Public client flows off.
    registration
        .patch(json!({"isFallbackPublicClient": false}))
        .await?;
    assert_eq!(
        registration.application().await?["isFallbackPublicClient"],
        json!(false)
    );
    let (_, findings) = check(&app, &registration).await?;
    assert!(
        findings.contains("AADSTS7000218")
            && findings.contains("set Allow public client flows to Yes"),
        "{findings}"
    );
    registration
        .patch(json!({"isFallbackPublicClient": true}))
        .await?;

    // User.Read.All removed from the registration and the consent.
    registration.permissions_without("User.Read.All").await?;
    assert!(
        !registration
            .granted()
            .await?
            .contains(&"User.Read.All".to_owned())
    );
    let (headline, findings) = check(&app, &registration).await?;
    assert!(headline.contains("aadsync cannot work"), "{headline}");
    assert!(
        findings.contains("Delegated permissions, add User.Read.All")
            && findings.contains("Grant admin consent"),
        "{findings}"
    );
    // The same break where it bites, without the button: the session's token lapses (the
    // emulator's clock two hours on), so listing the users renews it without User.Read.All
    // and Graph refuses; the check runs on its own and the refusal names the fix.
    registration.advance_clock(2 * 3600).await?;
    actions::click(&app, "wizard-next").await?;
    let refused = checks::text_becomes(&app, "dir-error", "the refusal with the check", |t| {
        t.contains("The registration check found:")
    })
    .await?;
    assert!(
        refused.contains("403")
            && refused.contains("Delegated permissions, add User.Read.All")
            && refused.contains("Grant admin consent"),
        "{refused}"
    );
    reopen_step_1(&app).await?;
    registration.permissions_without("").await?;

    // No admin consent: Entra ID refuses the saved sign-in, and the check says why.
    registration.delete_grant().await?;
    assert!(registration.granted().await?.is_empty());
    let (_, findings) = check(&app, &registration).await?;
    assert!(
        findings.contains("AADSTS65001") && findings.contains("Grant admin consent"),
        "{findings}"
    );
    registration.permissions_without("").await?;

    // Restored: complete again, with the same saved sign-in.
    let (headline, _) = check(&app, &registration).await?;
    assert!(
        headline.starts_with("The registration is complete"),
        "{headline}"
    );
    app.finish().await
}
