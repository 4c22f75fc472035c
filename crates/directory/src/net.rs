//! How the one HTTP client reaches the network the way this computer does: it trusts the
//! certificates of the OS trust store and goes through the OS proxy settings, but never
//! through a proxy to a loopback address; and what a refused certificate means, in words an
//! administrator can act on.
//!
//! Enterprises that inspect TLS install their inspection root in the OS trust store and set a
//! proxy in the OS (or the environment); the browser follows both, so the app must too, or
//! sign-in fails here while it works in the browser. The offline demo's tenant and the
//! redirect listener live on loopback, which a proxy cannot reach.

use hyper_util::client::proxy::matcher::{Intercept, Matcher};
use std::error::Error as StdError;

/// What the admin reads when a server's certificate does not chain to a root this computer
/// trusts (the usual cause: a TLS-inspecting proxy whose root is not installed).
pub const UNTRUSTED_CERTIFICATE: &str = "the server's certificate is not trusted by this computer — if your network inspects TLS, install its root certificate in the OS trust store";

/// `builder` with this computer's trust store and proxy settings.
///
/// The roots are the OS trust store's alone (`rustls-native-certs`: the system CA bundle on
/// Linux, the keychain's trust settings on macOS, the Windows certificate store). The
/// bundled Mozilla roots are switched off explicitly because other crates (`oauth2`) turn
/// reqwest's `webpki-roots` feature on, and a root the admin removed from the OS must not
/// stay trusted through them.
pub(crate) fn configure(builder: reqwest::ClientBuilder) -> reqwest::ClientBuilder {
    builder
        .tls_built_in_webpki_certs(false)
        .tls_built_in_native_certs(true)
        .proxy(os_proxy())
}

/// The proxy the OS names for a URL: `HTTPS_PROXY`/`HTTP_PROXY`/`ALL_PROXY` with `NO_PROXY`
/// (as curl reads them), else on Windows and macOS the system proxy settings; never one for
/// loopback, whatever `NO_PROXY` says (curl and the OS settings do not exempt it by default).
fn os_proxy() -> reqwest::Proxy {
    let system = Matcher::from_system();
    reqwest::Proxy::custom(move |url| {
        if is_loopback(url) {
            return None;
        }
        let uri: http::Uri = url.as_str().parse().ok()?;
        system.intercept(&uri).and_then(|found| proxy_url(&found))
    })
}

/// True for `localhost` and loopback addresses: the demo tenant and the redirect listener.
pub fn is_loopback(url: &reqwest::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(name)) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            name == "localhost" || name.ends_with(".localhost")
        }
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// The matched proxy as a URL, with its credentials back in it: reqwest reads them from there
/// (the matcher keeps them apart, as a ready `Proxy-Authorization` value).
fn proxy_url(found: &Intercept) -> Option<reqwest::Url> {
    let mut url = reqwest::Url::parse(&found.uri().to_string()).ok()?;
    if let Some((user, password)) = found
        .basic_auth()
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Basic "))
        .and_then(|encoded| {
            use base64::Engine as _;
            base64::engine::general_purpose::STANDARD
                .decode(encoded)
                .ok()
        })
        .and_then(|decoded| String::from_utf8(decoded).ok())
        .and_then(|pair| {
            pair.split_once(':')
                .map(|(u, p)| (u.to_owned(), p.to_owned()))
        })
    {
        url.set_username(&user).ok()?;
        url.set_password(Some(&password)).ok()?;
    }
    Some(url)
}

/// `error` for the admin: a refused certificate says so and what to do about it; anything
/// else as reqwest words it.
pub fn describe(error: &reqwest::Error) -> String {
    match untrusted_certificate(error) {
        Some(verdict) => format!("{UNTRUSTED_CERTIFICATE} ({verdict})"),
        None => error.to_string(),
    }
}

/// rustls's verdict when `error` is a server certificate this computer does not accept
/// (retrying cannot help, so callers stop at once); `None` for any other failure.
pub fn untrusted_certificate(error: &reqwest::Error) -> Option<String> {
    certificate_problem(error).map(ToString::to_string)
}

/// The rustls verdict on the server's certificate somewhere in `error`'s causes. tokio-rustls
/// wraps it in an `io::Error` (hyper-util in another), whose `source()` skips the wrapped
/// error itself, so an `io::Error` is opened by hand.
fn certificate_problem(error: &reqwest::Error) -> Option<&rustls::Error> {
    let mut next: Option<&(dyn StdError + 'static)> = Some(error);
    while let Some(current) = next {
        if let Some(
            problem @ (rustls::Error::InvalidCertificate(_)
            | rustls::Error::NoCertificatesPresented),
        ) = current.downcast_ref::<rustls::Error>()
        {
            return Some(problem);
        }
        next = match current.downcast_ref::<std::io::Error>() {
            Some(io) => io.get_ref().map(|inner| inner as &(dyn StdError + 'static)),
            None => current.source(),
        };
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts_are_recognized() {
        let cases = [
            ("http://127.0.0.1:5000/x", true),
            ("http://127.8.9.1/", true),
            ("http://[::1]:80/", true),
            ("https://localhost:443/", true),
            ("https://LOCALHOST./", true),
            ("http://app.localhost/", true),
            ("https://login.microsoftonline.com/", false),
            ("https://graph.microsoft.com/v1.0/", false),
            ("http://10.0.0.1/", false),
            ("http://localhost.example.com/", false),
            ("http://[::2]/", false),
        ];
        for (url, expected) in cases {
            let parsed = reqwest::Url::parse(url).unwrap();
            assert_eq!(is_loopback(&parsed), expected, "{url}");
        }
    }
}
