//! The New… organization form and where sign-in errors are shown: plain data, unit-tested.

use aadsync_ipc::{CloudName, ErrorCode, IpcError, NewOrganization};

/// Which application aadsync signs in with, as chosen in New….
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Application {
    /// "Add the aadsync application to my tenant": admin consent to the publisher's
    /// multi-tenant application, then the sign-in with it. Offered first: no registration to
    /// get right by hand.
    #[default]
    Publisher,
    /// "I registered my own app": the client ID typed in the form.
    Own,
    /// "Register aadsync in my tenant": the bootstrap sign-in, a preview of the app
    /// registration aadsync creates, then the sign-in with its new client ID.
    Register,
}

/// The New… form as typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOrgForm {
    pub tenant: String,
    pub application: Application,
    /// Only sent with [`Application::Own`].
    pub client_id: String,
    pub cloud: CloudName,
    pub authority_host: String,
    /// Advanced options shown: only then is a custom authority offered, because a sign-in
    /// through an authority the admin typed is trusted with the tenant it claims.
    pub advanced: bool,
}

impl Default for NewOrgForm {
    fn default() -> Self {
        Self {
            tenant: String::new(),
            application: Application::default(),
            client_id: String::new(),
            cloud: CloudName::Global,
            authority_host: String::new(),
            advanced: false,
        }
    }
}

/// The clouds the form offers, as `<option>` value and label.
pub const CLOUDS: &[CloudName] = &[
    CloudName::Global,
    CloudName::Gcc,
    CloudName::GccHigh,
    CloudName::Dod,
    CloudName::China,
    CloudName::Custom,
];

pub fn cloud_value(cloud: CloudName) -> &'static str {
    match cloud {
        CloudName::Global => "global",
        CloudName::Gcc => "gcc",
        CloudName::GccHigh => "gcc_high",
        CloudName::Dod => "dod",
        CloudName::China => "china",
        CloudName::Custom => "custom",
        CloudName::Demo => "demo",
    }
}

pub fn cloud_from_value(value: &str) -> CloudName {
    CLOUDS
        .iter()
        .copied()
        .find(|c| cloud_value(*c) == value)
        .unwrap_or(CloudName::Global)
}

impl NewOrgForm {
    /// The clouds the dropdown offers: the custom authority only with advanced options.
    pub fn offered_clouds(&self) -> impl Iterator<Item = CloudName> + '_ {
        CLOUDS
            .iter()
            .copied()
            .filter(|c| *c != CloudName::Custom || self.advanced)
    }

    /// Hiding the advanced options takes a chosen custom authority back to the global cloud,
    /// so what is sent is always what the dropdown shows.
    pub fn set_advanced(&mut self, advanced: bool) {
        self.advanced = advanced;
        if !advanced && self.cloud == CloudName::Custom {
            self.cloud = CloudName::Global;
        }
    }

    pub fn to_request(&self) -> NewOrganization {
        let publisher = self.application == Application::Publisher;
        NewOrganization {
            tenant: self.tenant.trim().to_owned(),
            // The backend fills in the publisher's client ID.
            client_id: if publisher {
                String::new()
            } else {
                self.client_id.trim().to_owned()
            },
            cloud: if self.cloud == CloudName::Custom && !self.advanced {
                CloudName::Global
            } else {
                self.cloud
            },
            authority_host: if self.cloud == CloudName::Custom && self.advanced {
                self.authority_host.trim().to_owned()
            } else {
                String::new()
            },
            graph_root: String::new(),
            add_publisher_app: publisher,
        }
    }

    /// The tenant and cloud for `start_registration`; the backend fills in the publisher's
    /// client ID for the bootstrap sign-in.
    pub fn to_registration(&self) -> NewOrganization {
        NewOrganization {
            client_id: String::new(),
            add_publisher_app: false,
            ..self.to_request()
        }
    }

    /// The offline demo: the backend fills in the demo tenant and its app registration.
    pub fn demo() -> NewOrganization {
        NewOrganization {
            tenant: String::new(),
            client_id: String::new(),
            cloud: CloudName::Demo,
            authority_host: String::new(),
            graph_root: String::new(),
            add_publisher_app: false,
        }
    }
}

/// Messages next to the form's fields, or under it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FormErrors {
    pub tenant: Option<String>,
    pub client_id: Option<String>,
    pub authority: Option<String>,
    pub general: Option<String>,
}

/// Puts a `start_sign_in` error next to the field it is about.
pub fn place(err: &IpcError) -> FormErrors {
    let message = Some(err.message.clone());
    match err.code {
        ErrorCode::InvalidTenant => FormErrors {
            tenant: message,
            ..FormErrors::default()
        },
        ErrorCode::InvalidClientId => FormErrors {
            client_id: message,
            ..FormErrors::default()
        },
        ErrorCode::InvalidAuthority => FormErrors {
            authority: message,
            ..FormErrors::default()
        },
        _ => FormErrors {
            general: message,
            ..FormErrors::default()
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_carry_the_authority_only_for_custom() {
        let mut form = NewOrgForm {
            tenant: " contoso.com ".into(),
            application: Application::Own,
            client_id: "2f5e7c1a-9b3d-4e8f-a6c2-1d4b8e9f0a37".into(),
            cloud: CloudName::Global,
            authority_host: "http://127.0.0.1:1".into(),
            advanced: false,
        };
        assert_eq!(form.to_request().tenant, "contoso.com");
        assert_eq!(form.to_request().authority_host, "");
        form.cloud = CloudName::Custom;
        assert_eq!(
            (
                form.to_request().cloud,
                form.to_request().authority_host.as_str()
            ),
            (CloudName::Global, ""),
            "no custom authority without advanced options"
        );
        form.set_advanced(true);
        form.cloud = CloudName::Custom;
        assert_eq!(form.to_request().authority_host, "http://127.0.0.1:1");
        assert_eq!(NewOrgForm::demo().cloud, CloudName::Demo);
    }

    #[test]
    fn the_publishers_application_is_the_default_and_sends_no_client_id() {
        let mut form = NewOrgForm {
            tenant: "contoso.com".into(),
            client_id: "typed before switching".into(),
            ..NewOrgForm::default()
        };
        let request = form.to_request();
        assert!(request.add_publisher_app);
        assert_eq!(request.client_id, "");
        form.application = Application::Own;
        let request = form.to_request();
        assert!(!request.add_publisher_app);
        assert_eq!(request.client_id, "typed before switching");
        assert!(!NewOrgForm::demo().add_publisher_app);
    }

    #[test]
    fn a_registration_sends_the_tenant_and_cloud_only() {
        let form = NewOrgForm {
            tenant: " contoso.com ".into(),
            application: Application::Register,
            client_id: "typed before switching".into(),
            ..NewOrgForm::default()
        };
        let request = form.to_registration();
        assert_eq!(request.tenant, "contoso.com");
        assert_eq!(request.client_id, "");
        assert!(!request.add_publisher_app);
    }

    #[test]
    fn the_custom_authority_is_an_advanced_option() {
        let mut form = NewOrgForm::default();
        assert!(!form.offered_clouds().any(|c| c == CloudName::Custom));
        form.set_advanced(true);
        assert!(form.offered_clouds().any(|c| c == CloudName::Custom));
        form.cloud = CloudName::Custom;
        form.set_advanced(false);
        assert_eq!(form.cloud, CloudName::Global);
    }

    #[test]
    fn cloud_values_round_trip() {
        for cloud in CLOUDS {
            assert_eq!(cloud_from_value(cloud_value(*cloud)), *cloud);
        }
        assert_eq!(cloud_from_value("bogus"), CloudName::Global);
    }

    #[test]
    fn errors_go_to_their_field() {
        let at = |code| place(&IpcError::new(code, "m"));
        assert_eq!(at(ErrorCode::InvalidTenant).tenant.as_deref(), Some("m"));
        assert_eq!(
            at(ErrorCode::InvalidClientId).client_id.as_deref(),
            Some("m")
        );
        assert_eq!(
            at(ErrorCode::InvalidAuthority).authority.as_deref(),
            Some("m")
        );
        assert_eq!(at(ErrorCode::Internal).general.as_deref(), Some("m"));
    }
}
