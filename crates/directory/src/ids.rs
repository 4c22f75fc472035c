//! Identifiers an admin types: tenant (GUID or verified domain) and application (client) ID.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("enter the tenant: its ID (a GUID) or a verified domain such as contoso.com")]
    EmptyTenant,
    #[error(
        "{0:?} is neither a tenant ID (a GUID such as 72f988bf-86f1-41af-91ab-2d7cd011db47) nor a domain name such as contoso.com"
    )]
    BadTenant(String),
    #[error(
        "\"common\", \"organizations\" and \"consumers\" are not tenants: enter your organization's tenant ID or domain"
    )]
    MultiTenant,
    #[error(
        "{0:?} is not an application (client) ID: copy the GUID from the app registration's Overview page"
    )]
    BadClientId(String),
}

/// Parses a GUID in its usual 8-4-4-4-12 form (braces and case tolerated), lower-cased.
pub fn parse_guid(text: &str) -> Option<String> {
    let t = text.trim().trim_start_matches('{').trim_end_matches('}');
    let groups: Vec<&str> = t.split('-').collect();
    let lengths = [8, 4, 4, 4, 12];
    (groups.len() == 5
        && groups
            .iter()
            .zip(lengths)
            .all(|(g, n)| g.len() == n && g.chars().all(|c| c.is_ascii_hexdigit())))
    .then(|| t.to_ascii_lowercase())
}

/// A specific tenant: its GUID, or one of its verified domains.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TenantRef {
    Id(String),
    Domain(String),
}

impl TenantRef {
    pub fn parse(text: &str) -> Result<Self, IdError> {
        let t = text.trim();
        if t.is_empty() {
            return Err(IdError::EmptyTenant);
        }
        if let Some(guid) = parse_guid(t) {
            return Ok(TenantRef::Id(guid));
        }
        let lower = t.to_ascii_lowercase();
        if ["common", "organizations", "consumers"].contains(&lower.as_str()) {
            return Err(IdError::MultiTenant);
        }
        let labels: Vec<&str> = lower.split('.').collect();
        let label_ok = |l: &&str| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        };
        let tld_ok = labels
            .last()
            .is_some_and(|l| l.len() >= 2 && l.chars().all(|c| c.is_ascii_alphabetic()));
        if labels.len() >= 2 && labels.iter().all(label_ok) && tld_ok && lower.len() <= 253 {
            Ok(TenantRef::Domain(lower))
        } else {
            Err(IdError::BadTenant(t.to_owned()))
        }
    }

    /// The path segment in authority URLs.
    pub fn segment(&self) -> &str {
        match self {
            TenantRef::Id(id) | TenantRef::Domain(id) => id,
        }
    }
}

impl fmt::Display for TenantRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.segment())
    }
}

/// An application (client) ID.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ClientId(String);

impl ClientId {
    pub fn parse(text: &str) -> Result<Self, IdError> {
        parse_guid(text)
            .map(ClientId)
            .ok_or_else(|| IdError::BadClientId(text.trim().to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenants() {
        let cases: &[(&str, Result<TenantRef, IdError>)] = &[
            (
                "72F988BF-86F1-41AF-91AB-2D7CD011DB47",
                Ok(TenantRef::Id("72f988bf-86f1-41af-91ab-2d7cd011db47".into())),
            ),
            (
                "{72f988bf-86f1-41af-91ab-2d7cd011db47}",
                Ok(TenantRef::Id("72f988bf-86f1-41af-91ab-2d7cd011db47".into())),
            ),
            (" Contoso.com ", Ok(TenantRef::Domain("contoso.com".into()))),
            (
                "contoso.onmicrosoft.com",
                Ok(TenantRef::Domain("contoso.onmicrosoft.com".into())),
            ),
            ("", Err(IdError::EmptyTenant)),
            ("common", Err(IdError::MultiTenant)),
            ("Organizations", Err(IdError::MultiTenant)),
            ("contoso", Err(IdError::BadTenant("contoso".into()))),
            (
                "contoso..com",
                Err(IdError::BadTenant("contoso..com".into())),
            ),
            (
                "https://login.microsoftonline.com/contoso.com",
                Err(IdError::BadTenant(
                    "https://login.microsoftonline.com/contoso.com".into(),
                )),
            ),
            (
                "72f988bf-86f1-41af-91ab-2d7cd011db4",
                Err(IdError::BadTenant(
                    "72f988bf-86f1-41af-91ab-2d7cd011db4".into(),
                )),
            ),
            ("-bad-.com", Err(IdError::BadTenant("-bad-.com".into()))),
        ];
        for (input, expect) in cases {
            assert_eq!(&TenantRef::parse(input), expect, "{input:?}");
        }
    }

    #[test]
    fn client_ids() {
        assert_eq!(
            ClientId::parse("2F5E7C1A-9B3D-4E8F-A6C2-1D4B8E9F0A37").map(|c| c.as_str().to_owned()),
            Ok("2f5e7c1a-9b3d-4e8f-a6c2-1d4b8e9f0a37".into())
        );
        assert!(matches!(
            ClientId::parse("my-app"),
            Err(IdError::BadClientId(_))
        ));
        assert!(matches!(ClientId::parse(""), Err(IdError::BadClientId(_))));
    }
}
