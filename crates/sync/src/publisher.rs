//! Which multi-tenant application "Add the aadsync application to my tenant" consents to: the
//! publisher's, whose client ID is configuration — a default built in, and the
//! `AADSYNC_PUBLISHER_CLIENT_ID` environment variable for a build published under another
//! registration (or a test tenant). The offline demo and the emulator know the default as a
//! multi-tenant application homed in another tenant (`aadsync_emulator::demo::PUBLISHER_*`).

use crate::orgs::OrgError;
use aadsync_directory::ClientId;

/// The publisher's multi-tenant application (client) ID, used unless the variable says otherwise.
pub const DEFAULT_PUBLISHER_CLIENT_ID: &str = "5d2b9e40-7c1f-4a83-b6e2-0f9a4c3d8e71";

/// The environment variable that replaces [`DEFAULT_PUBLISHER_CLIENT_ID`].
pub const PUBLISHER_CLIENT_ID_VAR: &str = "AADSYNC_PUBLISHER_CLIENT_ID";

/// The publisher's client ID this process uses: the variable when set, else the default.
pub fn publisher_client_id() -> Result<ClientId, OrgError> {
    match std::env::var(PUBLISHER_CLIENT_ID_VAR) {
        Ok(value) => client_id_from(Some(&value)),
        Err(std::env::VarError::NotPresent) => client_id_from(None),
        Err(std::env::VarError::NotUnicode(_)) => Err(OrgError::PublisherClientId(format!(
            "{PUBLISHER_CLIENT_ID_VAR} is not valid text"
        ))),
    }
}

/// The client ID for a setting of the variable: unset or blank means the default; anything
/// else must be a client ID, and a wrong one is named with the variable (the admin typed no
/// client ID, so the usual "copy it from the Overview page" would not say where it came from).
pub fn client_id_from(setting: Option<&str>) -> Result<ClientId, OrgError> {
    let value = setting
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .unwrap_or(DEFAULT_PUBLISHER_CLIENT_ID);
    ClientId::parse(value).map_err(|_| {
        OrgError::PublisherClientId(format!(
            "{PUBLISHER_CLIENT_ID_VAR} is {value:?}, not an application (client) ID: set it to the GUID of the publisher's multi-tenant application, or unset it to use aadsync's ({DEFAULT_PUBLISHER_CLIENT_ID})"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_variable_overrides_the_default() {
        let other = "0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f";
        let cases = [
            (None, Ok(DEFAULT_PUBLISHER_CLIENT_ID)),
            (Some(""), Ok(DEFAULT_PUBLISHER_CLIENT_ID)),
            (Some("  "), Ok(DEFAULT_PUBLISHER_CLIENT_ID)),
            (Some(other), Ok(other)),
            (Some(" 0C1D2E3F-4A5B-4C6D-8E7F-9A0B1C2D3E4F "), Ok(other)),
            (Some("contoso"), Err("\"contoso\"")),
        ];
        for (setting, expected) in cases {
            let found = client_id_from(setting);
            match (found, expected) {
                (Ok(id), Ok(want)) => assert_eq!(id.as_str(), want, "{setting:?}"),
                (Err(err), Err(named)) => {
                    let text = err.to_string();
                    assert!(
                        text.contains(PUBLISHER_CLIENT_ID_VAR) && text.contains(named),
                        "{text}"
                    );
                }
                (found, _) => panic!("{setting:?}: {found:?}"),
            }
        }
    }

    /// The emulator (and so the offline demo and every test) knows the default as the
    /// publisher's multi-tenant application.
    #[test]
    fn the_default_is_the_emulators_publisher_application() {
        assert_eq!(
            DEFAULT_PUBLISHER_CLIENT_ID,
            aadsync_emulator::demo::PUBLISHER_CLIENT_ID
        );
    }
}
