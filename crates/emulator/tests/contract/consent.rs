//! The admin consent endpoint and registrations broken through the control API: each answer
//! is the redirect or page the identity platform documents, and what consent leaves in the
//! tenant is read back through Graph.

use super::registrations::{Env, GRAPH_APP_ID, REDIRECT, aadsts, scp, start};
use aadsync_emulator::browser::{Browser, Page, Redirect};
use aadsync_emulator::demo;
use serde_json::{Value, json};
use std::collections::HashMap;

fn consent_url(env: &Env, client_id: &str, redirect: &str) -> String {
    format!(
        "{}/{}/v2.0/adminconsent?client_id={client_id}&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default&redirect_uri={}&state=st-42",
        env.base(),
        env.emulator.tenant_id(),
        redirect.replace(':', "%3A").replace('/', "%2F"),
    )
}

/// What the tenant holds for `app_id`, read through Graph: its service principal and the
/// scopes of its grants.
async fn consent_state(env: &Env, app_id: &str) -> (Option<Value>, Vec<String>) {
    let token = env.admin_token();
    let (_, sps) = env
        .call(
            "GET",
            &format!("servicePrincipals?$filter=appId eq '{app_id}'"),
            &token,
            None,
        )
        .await;
    let sp = sps["value"].get(0).cloned();
    let Some(sp_id) = sp.as_ref().and_then(|s| s["id"].as_str()) else {
        return (None, Vec::new());
    };
    let (_, grants) = env
        .call(
            "GET",
            &format!("oauth2PermissionGrants?$filter=clientId eq '{sp_id}'"),
            &token,
            None,
        )
        .await;
    let scopes = grants["value"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|g| g["scope"].as_str().unwrap_or_default().to_owned())
        .collect();
    (sp, scopes)
}

fn query(location: &str) -> HashMap<String, String> {
    aadsync_emulator::graph::query::parse_pairs(location.split_once('?').map(|(_, q)| q))
        .into_iter()
        .collect()
}

#[tokio::test]
async fn admin_consent_brings_the_publishers_application_into_the_tenant() {
    let env = start().await;
    let publisher = demo::PUBLISHER_CLIENT_ID;
    assert_eq!(consent_state(&env, publisher).await, (None, Vec::new()));
    // Before consent a user of the tenant is stopped in the browser (AADSTS90094).
    let url = env.authorize_url(publisher, "https://graph.microsoft.com/.default");
    let (_, page) = env.signed_in_page(&url, 1).await;
    assert!(page.html.contains("AADSTS90094"), "{}", page.html);

    let redirect = Browser::new()
        .expect("browser")
        .sign_in(&consent_url(&env, publisher, REDIRECT), &env.person(0))
        .await
        .expect("consent");
    let Redirect::Query { location, params } = &redirect else {
        panic!("expected a query redirect: {redirect:?}");
    };
    assert!(location.starts_with(REDIRECT), "{location}");
    assert_eq!(
        params.get("admin_consent").map(String::as_str),
        Some("True")
    );
    assert_eq!(params.get("tenant"), Some(&env.emulator.tenant_id()));
    assert_eq!(
        params.get("scope").map(String::as_str),
        Some("https://graph.microsoft.com/.default")
    );
    assert_eq!(params.get("state").map(String::as_str), Some("st-42"));

    let (sp, scopes) = consent_state(&env, publisher).await;
    let sp = sp.expect("a service principal was created");
    assert_eq!(sp["appOwnerOrganizationId"], demo::PUBLISHER_TENANT_ID);
    assert_eq!(
        scopes,
        vec!["GroupMember.Read.All User.Read User.Read.All".to_owned()]
    );
    // Now any user of the tenant signs in with the consented permissions.
    let (status, body) = env
        .sign_in_and_redeem(1, publisher, "https://graph.microsoft.com/.default")
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(scp(&body), "GroupMember.Read.All User.Read User.Read.All");
    // Consenting again leaves one grant.
    Browser::new()
        .expect("browser")
        .sign_in(&consent_url(&env, publisher, REDIRECT), &env.person(2))
        .await
        .expect("again, as Application Administrator");
    assert_eq!(consent_state(&env, publisher).await.1.len(), 1);
}

#[tokio::test]
async fn admin_consent_refusals_redirect_or_show_the_documented_error() {
    let env = start().await;
    let publisher = demo::PUBLISHER_CLIENT_ID;
    let url = consent_url(&env, publisher, REDIRECT);

    // A user without a role that can consent. "User is directed to the admin consent flow": "Users are blocked from granting consent
    // to the application, and they're told to ask their admin" — a page (AADSTS90094,
    // AdminConsentRequired), not a redirect; nothing created.
    let (_, page) = env.signed_in_page(&url, 1).await;
    assert!(page.html.contains("AADSTS90094"), "{}", page.html);
    assert!(!page.html.starts_with(REDIRECT), "{}", page.html);
    assert!(!page.html.contains("document.forms[0].submit()"));
    assert_eq!(consent_state(&env, publisher).await, (None, Vec::new()));
    // Privileged Role Administrator may consent, so the consent page shows; Cancel declines.
    let (browser, page) = env.signed_in_page(&url, 3).await;
    assert_eq!(page.step(), Some("consent"), "{}", page.html);
    let response = browser.submit(&page, "", true).await.expect("cancel");
    let params = query(response.headers()["location"].to_str().expect("location"));
    // The documented error response of the admin consent endpoint.
    assert_eq!(
        params.get("error").map(String::as_str),
        Some("consent_required")
    );
    assert!(
        params["error_description"].starts_with("AADSTS65004:"),
        "{params:?}"
    );
    assert_eq!(
        params.get("admin_consent").map(String::as_str),
        Some("True")
    );
    assert_eq!(params.get("state").map(String::as_str), Some("st-42"));
    assert_eq!(consent_state(&env, publisher).await, (None, Vec::new()));

    // Errors before the redirect URI is known to be the app's: a page, never a redirect.
    let browser = Browser::new().expect("browser");
    for (url, code) in [
        (
            consent_url(&env, "11111111-2222-3333-4444-555555555555", REDIRECT),
            "AADSTS700016",
        ),
        (
            consent_url(&env, publisher, "https://evil.example.com/cb"),
            "AADSTS50011",
        ),
    ] {
        let response = browser.client().get(&url).send().await.expect("get");
        assert_ne!(response.status(), reqwest::StatusCode::FOUND);
        let html = response.text().await.expect("html");
        assert!(html.contains(code), "{code}: {html}");
    }
    assert_eq!(consent_state(&env, publisher).await, (None, Vec::new()));
}

async fn control(env: &Env, method: &str, path: &str, body: Option<Value>) -> u16 {
    let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
    let mut request = env
        .http
        .request(method, format!("{}/_emulator/{path}", env.base()));
    if let Some(body) = body {
        request = request.json(&body);
    }
    request.send().await.expect("control").status().as_u16()
}

#[tokio::test]
async fn each_broken_registration_gives_its_documented_error() {
    let env = start().await;
    let app = demo::CLIENT_ID;
    let full = "openid offline_access https://graph.microsoft.com/User.Read.All https://graph.microsoft.com/GroupMember.Read.All";
    let (status, body) = env.sign_in_and_redeem(0, app, full).await;
    assert_eq!(status, 200, "the demo registration works first: {body}");

    // A permission not granted: asking for it is consent_required; .default leaves it out.
    assert_eq!(
        control(
            &env,
            "PUT",
            &format!("applications/{app}/grant"),
            Some(json!({"scope": "User.Read User.Read.All"}))
        )
        .await,
        204
    );
    let granted = "openid https://graph.microsoft.com/User.Read.All";
    let (status, body) = env.sign_in_and_redeem_with(1, app, granted, full).await;
    assert_eq!(
        (status, aadsts(&body), body["suberror"].as_str()),
        (400, 65001, Some("consent_required")),
        "{body}"
    );
    let (_, page) = env.signed_in_page(&env.authorize_url(app, full), 1).await;
    assert!(page.html.contains("AADSTS90094"), "{}", page.html);
    let (_, body) = env
        .sign_in_and_redeem(1, app, "https://graph.microsoft.com/.default")
        .await;
    assert_eq!(scp(&body), "User.Read User.Read.All");

    // No grant at all, then no service principal: a user is stopped, an administrator is
    // asked to consent.
    assert_eq!(
        control(&env, "DELETE", &format!("applications/{app}/grant"), None).await,
        204
    );
    let default = env.authorize_url(app, "https://graph.microsoft.com/.default");
    let (_, page) = env.signed_in_page(&default, 1).await;
    assert!(page.html.contains("AADSTS90094"), "{}", page.html);
    let (_, page) = env.signed_in_page(&default, 0).await;
    assert_eq!(page.step(), Some("consent"), "{}", page.html);
    assert_eq!(
        control(
            &env,
            "DELETE",
            &format!("applications/{app}/servicePrincipal"),
            None
        )
        .await,
        204
    );
    assert_eq!(consent_state(&env, app).await, (None, Vec::new()));
    let (_, page) = env.signed_in_page(&default, 1).await;
    assert!(page.html.contains("AADSTS90094"), "{}", page.html);

    // The redirect URI removed: AADSTS50011 on a page at /authorize.
    assert_eq!(
        control(
            &env,
            "PATCH",
            &format!("applications/{app}"),
            Some(json!({"publicClient": {"redirectUris": []}}))
        )
        .await,
        204
    );
    let authorize = format!(
        "{}/{}/oauth2/v2.0/authorize?client_id={app}&response_type=code&redirect_uri=http%3A%2F%2Flocalhost%3A53117&scope=openid",
        env.base(),
        env.emulator.tenant_id()
    );
    let response = env.http.get(&authorize).send().await.expect("authorize");
    assert_ne!(response.status().as_u16(), 302);
    assert!(response.text().await.expect("html").contains("AADSTS50011"));

    // Graph reads the registration the control API changed.
    let (_, read) = env
        .call(
            "GET",
            &format!("applications?$filter=appId eq '{app}'"),
            &env.admin_token(),
            None,
        )
        .await;
    assert_eq!(
        read["value"][0]["publicClient"]["redirectUris"],
        json!([]),
        "{read}"
    );
    assert_eq!(
        read["value"][0]["requiredResourceAccess"][0]["resourceAppId"],
        GRAPH_APP_ID
    );
}

#[tokio::test]
async fn public_client_flows_off_fails_the_device_code_poll() {
    let env = start().await;
    let app = demo::CLIENT_ID;
    assert_eq!(
        control(
            &env,
            "PATCH",
            &format!("applications/{app}"),
            Some(json!({"isFallbackPublicClient": false}))
        )
        .await,
        204
    );
    let tid = env.emulator.tenant_id();
    let start: Value = env
        .http
        .post(format!("{}/{tid}/oauth2/v2.0/devicecode", env.base()))
        .form(&[
            ("client_id", app),
            ("scope", "openid https://graph.microsoft.com/User.Read"),
        ])
        .send()
        .await
        .expect("devicecode")
        .json()
        .await
        .expect("json");
    let code = start["device_code"].as_str().expect("device code");
    Browser::new()
        .expect("browser")
        .device_login(
            start["verification_uri"].as_str().expect("uri"),
            start["user_code"].as_str().expect("code"),
            &env.person(0),
            true,
        )
        .await
        .expect("device login");
    let response = env
        .http
        .post(format!("{}/{tid}/oauth2/v2.0/token", env.base()))
        .form(&[
            ("client_id", app),
            ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
            ("device_code", code),
        ])
        .send()
        .await
        .expect("poll");
    let status = response.status().as_u16();
    let body: Value = response.json().await.expect("json");
    assert_eq!((status, aadsts(&body)), (401, 7000218), "{body}");
}

#[tokio::test]
async fn a_user_who_cannot_consent_sees_need_admin_approval() {
    let env = start().await;
    let app = demo::CLIENT_ID;
    assert_eq!(
        control(&env, "DELETE", &format!("applications/{app}/grant"), None).await,
        204
    );
    let tid = env.emulator.tenant_id();
    let url = format!(
        "{}/{tid}/oauth2/v2.0/authorize?client_id={app}&response_type=code&redirect_uri=http%3A%2F%2Flocalhost%3A53117&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default&state=s",
        env.base()
    );
    // Alex has no role that may consent: the browser shows the error, nothing is redirected.
    let (_, page) = env.signed_in_page(&url, 1).await;
    assert!(page.html.contains("AADSTS90094"), "{}", page.html);
    assert!(!page.html.contains("document.forms[0].submit()"));
    // The grant back, the same sign-in goes through.
    assert_eq!(
        control(
            &env,
            "PUT",
            &format!("applications/{app}/grant"),
            Some(json!({"scope": "User.Read"}))
        )
        .await,
        204
    );
    let (status, body) = env
        .sign_in_and_redeem(1, app, "https://graph.microsoft.com/.default")
        .await;
    assert_eq!(
        (status, scp(&body)),
        (200, "User.Read".to_owned()),
        "{body}"
    );
    // Asking for more than granted: Alex is stopped in the browser again.
    let more = url.replace(".default", "User.Read.All");
    let (_, page) = env.signed_in_page(&more, 1).await;
    assert!(page.html.contains("AADSTS90094"), "{}", page.html);
}

#[tokio::test]
async fn another_tenants_single_tenant_application_is_not_for_use_here() {
    let env = start().await;
    let publisher = demo::PUBLISHER_CLIENT_ID;
    // The publisher makes its registration single-tenant: "AADSTS650059 The application is
    // not configured for use in the tenant. The value AzureADMyOrg set for application
    // property signInAudience is limiting its use in the tenant."
    let audience = json!({"signInAudience": "AzureADMyOrg"});
    assert_eq!(
        control(
            &env,
            "PATCH",
            &format!("applications/{publisher}"),
            Some(audience)
        )
        .await,
        204
    );
    let browser = Browser::new().expect("browser");
    let response = browser
        .client()
        .get(consent_url(&env, publisher, REDIRECT))
        .send()
        .await
        .expect("get");
    assert_ne!(response.status(), reqwest::StatusCode::FOUND);
    let html = response.text().await.expect("html");
    assert!(html.contains("AADSTS650059"), "{html}");
    assert_eq!(consent_state(&env, publisher).await, (None, Vec::new()));
    // The same at /authorize.
    let url = env.authorize_url(publisher, "https://graph.microsoft.com/.default");
    let html = browser
        .client()
        .get(&url)
        .send()
        .await
        .expect("get")
        .text()
        .await
        .expect("html");
    assert!(html.contains("AADSTS650059"), "{html}");
    // Multi-tenant again: the consent page is reachable (the account step shows).
    let audience = json!({"signInAudience": "AzureADMultipleOrgs"});
    assert_eq!(
        control(
            &env,
            "PATCH",
            &format!("applications/{publisher}"),
            Some(audience)
        )
        .await,
        204
    );
    let page = browser
        .open(&consent_url(&env, publisher, REDIRECT))
        .await
        .expect("open");
    assert_eq!(page.step(), Some("account"), "{}", page.html);
}

/// The code a redirect location carries (empty when it carries none).
fn code_of(page: &Page) -> String {
    query(&page.html).get("code").cloned().unwrap_or_default()
}

#[tokio::test]
async fn an_administrator_consents_at_sign_in_for_himself_or_for_the_organization() {
    let env = start().await;
    let app = demo::CLIENT_ID;
    assert_eq!(
        control(&env, "DELETE", &format!("applications/{app}/grant"), None).await,
        204
    );
    let default = env.authorize_url(app, "https://graph.microsoft.com/.default");
    // Cancel on the prompt: access_denied, nothing granted.
    let (browser, page) = env.signed_in_page(&default, 0).await;
    assert_eq!(page.step(), Some("consent"), "{}", page.html);
    assert!(page.html.contains("Consent on behalf of your organization"));
    let response = browser.submit(&page, "", true).await.expect("cancel");
    let params = query(response.headers()["location"].to_str().expect("location"));
    assert!(
        params["error_description"].starts_with("AADSTS65004:"),
        "{params:?}"
    );
    assert_eq!(consent_state(&env, app).await.1, Vec::<String>::new());

    // Accept without the box: a grant for the administrator alone.
    let (browser, page) = env.signed_in_page(&default, 0).await;
    let response = browser
        .submit(&page, "accept", false)
        .await
        .expect("accept");
    let location = response.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    let code = code_of(&super::registrations::redirected(location));
    let (status, body) = env
        .redeem(app, &code, "https://graph.microsoft.com/.default")
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(scp(&body), "GroupMember.Read.All User.Read User.Read.All");
    let token = env.admin_token();
    let (_, sp) = env
        .call(
            "GET",
            &format!("servicePrincipals(appId='{app}')"),
            &token,
            None,
        )
        .await;
    let sp_id = sp["id"].as_str().expect("sp");
    let (_, grants) = env
        .call(
            "GET",
            &format!("oauth2PermissionGrants?$filter=clientId eq '{sp_id}'"),
            &token,
            None,
        )
        .await;
    assert_eq!(
        grants["value"].as_array().map(Vec::len),
        Some(1),
        "{grants}"
    );
    assert_eq!(grants["value"][0]["consentType"], "Principal");
    assert!(grants["value"][0]["principalId"].is_string(), "{grants}");
    // Alex is not covered by the administrator's own consent.
    let (_, page) = env.signed_in_page(&default, 1).await;
    assert!(page.html.contains("AADSTS90094"), "{}", page.html);

    // A new permission, accepted for the organization: Alex gets it too.
    let group_read = env.authorize_url(app, "https://graph.microsoft.com/Group.Read.All");
    let (browser, page) = env.signed_in_page(&group_read, 0).await;
    assert_eq!(page.step(), Some("consent"), "{}", page.html);
    let response = browser
        .submit(&page, "organization", false)
        .await
        .expect("accept");
    assert_eq!(response.status().as_u16(), 302);
    let (status, body) = env
        .sign_in_and_redeem(1, app, "https://graph.microsoft.com/Group.Read.All")
        .await;
    assert_eq!(
        (status, scp(&body)),
        (200, "Group.Read.All".to_owned()),
        "{body}"
    );
}

async fn refresh(env: &Env, refresh_token: &str) -> (u16, Value) {
    let response = env
        .http
        .post(format!(
            "{}/{}/oauth2/v2.0/token",
            env.base(),
            env.emulator.tenant_id()
        ))
        .form(&[
            ("client_id", demo::CLIENT_ID),
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            (
                "scope",
                "https://graph.microsoft.com/.default offline_access",
            ),
        ])
        .send()
        .await
        .expect("refresh");
    (
        response.status().as_u16(),
        response.json().await.unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn consent_revoked_ends_the_refresh_token_and_a_narrower_grant_narrows_the_next_token() {
    let env = start().await;
    let app = demo::CLIENT_ID;
    let (status, body) = env
        .sign_in_and_redeem(
            1,
            app,
            "offline_access https://graph.microsoft.com/.default",
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let refresh_token = body["refresh_token"]
        .as_str()
        .expect("refresh token")
        .to_owned();
    assert_eq!(
        control(&env, "DELETE", &format!("applications/{app}/grant"), None).await,
        204
    );
    let (status, body) = refresh(&env, &refresh_token).await;
    assert_eq!((status, aadsts(&body)), (400, 65001), "{body}");
    let grant = json!({"scope": "User.Read"});
    assert_eq!(
        control(
            &env,
            "PUT",
            &format!("applications/{app}/grant"),
            Some(grant)
        )
        .await,
        204
    );
    let (status, body) = refresh(&env, &refresh_token).await;
    assert_eq!(
        (status, scp(&body)),
        (200, "User.Read".to_owned()),
        "{body}"
    );
}

#[tokio::test]
async fn permissions_users_may_grant_are_prompted_to_everyone_and_only_a_global_administrator_sees_the_box()
 {
    let env = start().await;
    let app = demo::CLIENT_ID;
    assert_eq!(
        control(&env, "DELETE", &format!("applications/{app}/grant"), None).await,
        204
    );
    let user_read = env.authorize_url(app, "https://graph.microsoft.com/User.Read");
    const BOX: &str = "Consent on behalf of your organization";
    // "App requires a permission that the user has the right to grant": the Global
    // Administrator sees the box; a Cloud Application Administrator does not.
    let (_, page) = env.signed_in_page(&user_read, 0).await;
    assert_eq!(page.step(), Some("consent"), "{}", page.html);
    assert!(page.html.contains(BOX), "{}", page.html);
    let (_, page) = env.signed_in_page(&user_read, 4).await;
    assert_eq!(page.step(), Some("consent"), "{}", page.html);
    assert!(!page.html.contains(BOX), "{}", page.html);
    // "Users see the traditional consent prompt": Alex (no role) consents for himself.
    let (browser, page) = env.signed_in_page(&user_read, 1).await;
    assert_eq!(page.step(), Some("consent"), "{}", page.html);
    assert!(!page.html.contains(BOX), "{}", page.html);
    // Even a forged box value grants for Alex alone.
    let response = browser
        .submit(&page, "organization", false)
        .await
        .expect("accept");
    let location = response.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    let code = code_of(&super::registrations::redirected(location));
    let (status, body) = env
        .redeem(app, &code, "https://graph.microsoft.com/User.Read")
        .await;
    assert_eq!(
        (status, scp(&body)),
        (200, "User.Read".to_owned()),
        "{body}"
    );
    let token = env.admin_token();
    let (_, sp) = env
        .call(
            "GET",
            &format!("servicePrincipals(appId='{app}')"),
            &token,
            None,
        )
        .await;
    let sp_id = sp["id"].as_str().expect("sp");
    let (_, grants) = env
        .call(
            "GET",
            &format!("oauth2PermissionGrants?$filter=clientId eq '{sp_id}'"),
            &token,
            None,
        )
        .await;
    assert_eq!(
        grants["value"].as_array().map(Vec::len),
        Some(1),
        "{grants}"
    );
    assert_eq!(grants["value"][0]["consentType"], "Principal");
    assert_eq!(grants["value"][0]["scope"], "User.Read");
    // A permission only an administrator can grant still stops him (AADSTS90094).
    let all_users = env.authorize_url(app, "https://graph.microsoft.com/User.Read.All");
    let (_, page) = env.signed_in_page(&all_users, 1).await;
    assert!(page.html.contains("AADSTS90094"), "{}", page.html);
}
