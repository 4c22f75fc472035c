//! National clouds and the custom authority of the emulator: where to sign in, where Graph is.
//! The endpoints are Microsoft Learn's ("Microsoft Graph national cloud deployments"): GCC
//! (Microsoft 365 Government Community Cloud) uses the global endpoints; GCC High is US
//! Government L4 (`login.microsoftonline.us`, `graph.microsoft.us`); DoD is US Government L5
//! (`login.microsoftonline.us`, `dod-graph.microsoft.us`); China is operated by 21Vianet.

use crate::ids::TenantRef;
use url::Url;

/// Which Microsoft cloud the tenant lives in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cloud {
    Global,
    /// Government Community Cloud: the global endpoints.
    Gcc,
    /// US Government L4 (what "US Government" meant in earlier versions).
    GccHigh,
    /// US Government L5 (Department of Defense).
    Dod,
    China,
    /// An explicit authority host and Graph root, e.g. the offline demo's emulator.
    Custom {
        authority_host: Url,
        graph_root: Url,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EndpointError {
    #[error("{0:?} is not a URL")]
    NotAUrl(String),
    #[error(
        "{0} must use https: tokens may only travel over http to this computer (localhost or 127.0.0.1)"
    )]
    InsecureScheme(String),
    #[error("{0} must not contain a user name, password, query or fragment")]
    Unexpected(String),
}

/// The URLs one organization uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    /// `https://login.microsoftonline.com/<tenant>`
    pub authority: Url,
    /// `https://graph.microsoft.com` (paths start with `/v1.0/`).
    pub graph_root: Url,
    /// The resource identifier scopes are qualified with.
    pub graph_resource: String,
}

/// Accepts https anywhere and http only on loopback, without credentials, query or fragment.
pub fn checked_url(text: &str) -> Result<Url, EndpointError> {
    let url = Url::parse(text.trim()).map_err(|_| EndpointError::NotAUrl(text.to_owned()))?;
    let loopback = matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        _ => return Err(EndpointError::InsecureScheme(text.to_owned())),
    }
    if !url.username().is_empty()
        || url.password().is_some()
        || url.query().is_some()
        || url.fragment().is_some()
    {
        return Err(EndpointError::Unexpected(text.to_owned()));
    }
    Ok(url)
}

impl Cloud {
    pub fn custom(authority_host: &str, graph_root: &str) -> Result<Self, EndpointError> {
        Ok(Cloud::Custom {
            authority_host: checked_url(authority_host)?,
            graph_root: checked_url(graph_root)?,
        })
    }

    fn hosts(&self) -> (String, String, String) {
        match self {
            Cloud::Global | Cloud::Gcc => (
                "https://login.microsoftonline.com".into(),
                "https://graph.microsoft.com".into(),
                "https://graph.microsoft.com".into(),
            ),
            Cloud::GccHigh => (
                "https://login.microsoftonline.us".into(),
                "https://graph.microsoft.us".into(),
                "https://graph.microsoft.us".into(),
            ),
            Cloud::Dod => (
                "https://login.microsoftonline.us".into(),
                "https://dod-graph.microsoft.us".into(),
                "https://dod-graph.microsoft.us".into(),
            ),
            Cloud::China => (
                "https://login.chinacloudapi.cn".into(),
                "https://microsoftgraph.chinacloudapi.cn".into(),
                "https://microsoftgraph.chinacloudapi.cn".into(),
            ),
            // The emulator accepts Graph tokens for the global resource, like the real service.
            Cloud::Custom {
                authority_host,
                graph_root,
            } => (
                authority_host.as_str().trim_end_matches('/').to_owned(),
                graph_root.as_str().trim_end_matches('/').to_owned(),
                "https://graph.microsoft.com".into(),
            ),
        }
    }

    pub fn endpoints(&self, tenant: &TenantRef) -> Result<Endpoints, EndpointError> {
        let (login, graph, resource) = self.hosts();
        Ok(Endpoints {
            authority: checked_url(&format!("{login}/{}", tenant.segment()))?,
            graph_root: checked_url(&graph)?,
            graph_resource: resource,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clouds() {
        let tenant = TenantRef::parse("contoso.com").expect("tenant");
        let cases = [
            (
                Cloud::Global,
                "https://login.microsoftonline.com/contoso.com",
                "https://graph.microsoft.com/",
            ),
            (
                Cloud::Gcc,
                "https://login.microsoftonline.com/contoso.com",
                "https://graph.microsoft.com/",
            ),
            (
                Cloud::GccHigh,
                "https://login.microsoftonline.us/contoso.com",
                "https://graph.microsoft.us/",
            ),
            (
                Cloud::Dod,
                "https://login.microsoftonline.us/contoso.com",
                "https://dod-graph.microsoft.us/",
            ),
            (
                Cloud::China,
                "https://login.chinacloudapi.cn/contoso.com",
                "https://microsoftgraph.chinacloudapi.cn/",
            ),
        ];
        for (cloud, authority, graph) in cases {
            let e = cloud.endpoints(&tenant).expect("endpoints");
            assert_eq!(
                (e.authority.as_str(), e.graph_root.as_str()),
                (authority, graph),
                "{cloud:?}"
            );
        }
        let emulator =
            Cloud::custom("http://127.0.0.1:8080", "http://127.0.0.1:8080").expect("loopback http");
        assert_eq!(
            emulator.endpoints(&tenant).expect("e").authority.as_str(),
            "http://127.0.0.1:8080/contoso.com"
        );
    }

    #[test]
    fn https_required_except_loopback() {
        for (url, ok) in [
            ("https://login.example.com", true),
            ("http://localhost:3000", true),
            ("http://127.0.0.1:3000", true),
            ("http://login.example.com", false),
            ("http://192.168.1.10", false),
            ("ftp://localhost", false),
            ("https://user:pw@login.example.com", false),
            ("https://login.example.com/?x=1", false),
            ("not a url", false),
        ] {
            assert_eq!(checked_url(url).is_ok(), ok, "{url}");
        }
    }
}
