//! A driver for the emulator's sign-in pages: it plays the person at the browser.
//!
//! Tests of the emulator, of the directory client and of the app (as the `BROWSER` helper)
//! all need the same steps: open the authorize or device-login URL, type the account, the
//! password and the current second-factor code, and deliver the result to the redirect URI.
//! Enabled with the `browser` feature.

use crate::identity::totp;
use std::collections::HashMap;

/// An HTML page of the sign-in: its form's action and inputs.
#[derive(Debug, Clone)]
pub struct Page {
    pub html: String,
    pub action: String,
    pub fields: HashMap<String, String>,
}

impl Page {
    pub fn parse(html: String) -> Self {
        let (action, fields) = parse_form(&html);
        Self {
            html,
            action,
            fields,
        }
    }

    /// The sign-in step this page asks for (`account`, `password`, `mfa`, `device`).
    pub fn step(&self) -> Option<&str> {
        self.fields.get("step").map(String::as_str)
    }
}

/// `(form action, input name → value)` of a page, with HTML entities decoded.
pub fn parse_form(html: &str) -> (String, HashMap<String, String>) {
    let attr = |tag: &str, name: &str| -> Option<String> {
        let start = tag.find(&format!("{name}=\""))? + name.len() + 2;
        let end = tag[start..].find('"')? + start;
        Some(
            tag[start..end]
                .replace("&quot;", "\"")
                .replace("&#39;", "'")
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&amp;", "&"),
        )
    };
    let action = html
        .split("<form")
        .nth(1)
        .and_then(|t| attr(t, "action"))
        .unwrap_or_default();
    let fields = html
        .split("<input")
        .skip(1)
        .filter_map(|t| Some((attr(t, "name")?, attr(t, "value").unwrap_or_default())))
        .collect();
    (action, fields)
}

/// Where the authorization response goes, as the browser would send it.
#[derive(Debug, Clone)]
pub enum Redirect {
    /// `response_mode=query`: a 302 to this URL.
    Query {
        location: String,
        params: HashMap<String, String>,
    },
    /// `response_mode=form_post`: an auto-submitting form posting `fields` to `action`.
    FormPost {
        action: String,
        fields: HashMap<String, String>,
        html: String,
    },
}

impl Redirect {
    /// `code`, `state`, `client_info`, `session_state` (or `error`, `error_description`).
    pub fn params(&self) -> &HashMap<String, String> {
        match self {
            Redirect::Query { params, .. } => params,
            Redirect::FormPost { fields, .. } => fields,
        }
    }

    /// The redirect URI the response is sent to (without the query).
    pub fn target(&self) -> &str {
        match self {
            Redirect::Query { location, .. } => location.split('?').next().unwrap_or(location),
            Redirect::FormPost { action, .. } => action,
        }
    }
}

/// The person's credentials.
#[derive(Debug, Clone)]
pub struct Person<'a> {
    pub upn: &'a str,
    pub password: &'a str,
    pub totp_secret: &'a str,
    /// The emulator's clock (`Emulator::clock().now()`), for the second-factor code.
    pub now: i64,
}

impl<'a> Person<'a> {
    /// The demo tenant's Global Administrator.
    pub fn demo_admin(now: i64) -> Self {
        Self {
            upn: "admin@contoso.com",
            password: crate::demo::ADMIN_PASSWORD,
            totp_secret: crate::demo::ADMIN_TOTP_SECRET,
            now,
        }
    }

    fn code(&self) -> String {
        totp::base32_decode(self.totp_secret)
            .map(|s| totp::code_at(&s, self.now))
            .unwrap_or_default()
    }
}

pub type Error = String;

/// An HTTP client that does not follow redirects, so each step can be seen.
#[derive(Debug, Clone)]
pub struct Browser {
    http: reqwest::Client,
}

impl Browser {
    pub fn new() -> Result<Self, Error> {
        Self::build(reqwest::Client::builder())
    }

    /// A browser that trusts the emulator's generated CA (for `tls` emulators).
    pub fn trusting(ca_pem: &str) -> Result<Self, Error> {
        let ca = reqwest::Certificate::from_pem(ca_pem.as_bytes()).map_err(|e| e.to_string())?;
        Self::build(reqwest::Client::builder().add_root_certificate(ca))
    }

    fn build(builder: reqwest::ClientBuilder) -> Result<Self, Error> {
        let http = builder
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Self { http })
    }

    pub fn client(&self) -> &reqwest::Client {
        &self.http
    }

    pub async fn open(&self, url: &str) -> Result<Page, Error> {
        let html = self
            .http
            .get(url)
            .send()
            .await
            .map_err(|e| e.to_string())?
            .text()
            .await
            .map_err(|e| e.to_string())?;
        Ok(Page::parse(html))
    }

    /// Submits the page's form with `value`, pressing Next (`cancel` presses Cancel).
    pub async fn submit(
        &self,
        page: &Page,
        value: &str,
        cancel: bool,
    ) -> Result<reqwest::Response, Error> {
        let mut fields = page.fields.clone();
        fields.insert("value".into(), value.into());
        fields.insert(
            "action".into(),
            if cancel { "cancel" } else { "next" }.into(),
        );
        self.http
            .post(&page.action)
            .form(&fields)
            .send()
            .await
            .map_err(|e| e.to_string())
    }

    /// Like [`Self::submit`], for a step that answers with the next page.
    pub async fn next(&self, page: &Page, value: &str) -> Result<Page, Error> {
        let html = self
            .submit(page, value, false)
            .await?
            .text()
            .await
            .map_err(|e| e.to_string())?;
        Ok(Page::parse(html))
    }

    /// Walks account → password → second factor from the authorize URL; returns the redirect.
    pub async fn sign_in(
        &self,
        authorize_url: &str,
        person: &Person<'_>,
    ) -> Result<Redirect, Error> {
        let page = self.open(authorize_url).await?;
        self.complete(page, person).await
    }

    /// Walks the sign-in steps from an account page (and, at the admin consent endpoint,
    /// accepts on the consent page).
    async fn complete(&self, mut page: Page, person: &Person<'_>) -> Result<Redirect, Error> {
        for (step, value) in [
            ("account", person.upn.to_owned()),
            ("password", person.password.to_owned()),
            ("mfa", person.code()),
            ("consent", "accept".to_owned()),
        ] {
            if step == "mfa" && page.step() == Some("consent") {
                continue;
            }
            if page.step() != Some(step) {
                return Err(format!("expected the {step} step, got: {}", page.html));
            }
            let response = self.submit(&page, &value, false).await?;
            if response.status() == reqwest::StatusCode::FOUND {
                let location = response
                    .headers()
                    .get(reqwest::header::LOCATION)
                    .and_then(|v| v.to_str().ok())
                    .ok_or("a redirect without a location")?
                    .to_owned();
                let params =
                    crate::query_string::parse_pairs(location.split_once('?').map(|(_, q)| q))
                        .into_iter()
                        .collect();
                return Ok(Redirect::Query { location, params });
            }
            let html = response.text().await.map_err(|e| e.to_string())?;
            if html.contains("document.forms[0].submit()") {
                let (action, fields) = parse_form(&html);
                return Ok(Redirect::FormPost {
                    action,
                    fields,
                    html,
                });
            }
            page = Page::parse(html);
        }
        Err(format!("the sign-in did not redirect: {}", page.html))
    }

    /// Sends the authorization response to the redirect URI, as the browser does.
    pub async fn deliver(&self, redirect: &Redirect) -> Result<reqwest::Response, Error> {
        let request = match redirect {
            Redirect::Query { location, .. } => self.http.get(location),
            Redirect::FormPost { action, fields, .. } => self.http.post(action).form(fields),
        };
        request.send().await.map_err(|e| e.to_string())
    }

    /// On the device-login page: types the code, then signs in (or cancels at the account
    /// step). Returns the final page ("You're signed in" / "Sign-in canceled").
    pub async fn device_login(
        &self,
        verification_uri: &str,
        user_code: &str,
        person: &Person<'_>,
        approve: bool,
    ) -> Result<String, Error> {
        let page = self.open(verification_uri).await?;
        let mut page = self.next(&page, user_code).await?;
        if !approve {
            return self
                .submit(&page, "", true)
                .await?
                .text()
                .await
                .map_err(|e| e.to_string());
        }
        for value in [
            person.upn.to_owned(),
            person.password.to_owned(),
            person.code(),
        ] {
            page = self.next(&page, &value).await?;
        }
        Ok(page.html)
    }
}
