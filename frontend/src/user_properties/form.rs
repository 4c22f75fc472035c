//! The User properties form as plain data: which tabs exist, client-side checks, and where a
//! backend error is shown.

use aadsync_ipc::{
    Authentication, AzureAttributes, ErrorCode, GroupMembership, IpcError, NewLocalUser, Password,
    UserDetails, UserUpdate,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    General,
    Account,
    MemberOf,
    AzureAd,
}

impl Tab {
    pub fn title(self) -> &'static str {
        match self {
            Tab::General => "General",
            Tab::Account => "Account",
            Tab::MemberOf => "Member of",
            Tab::AzureAd => "Azure AD",
        }
    }

    pub fn id(self) -> &'static str {
        match self {
            Tab::General => "tab-general",
            Tab::Account => "tab-account",
            Tab::MemberOf => "tab-member-of",
            Tab::AzureAd => "tab-azure-ad",
        }
    }
}

/// Messages shown next to fields, or under the tabs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FormErrors {
    pub account: Option<String>,
    pub password: Option<String>,
    pub general: Option<String>,
}

impl FormErrors {
    pub fn is_empty(&self) -> bool {
        self.account.is_none() && self.password.is_none() && self.general.is_none()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserForm {
    /// `None` while creating a new user.
    pub id: Option<i64>,
    pub account_name: String,
    pub full_name: String,
    pub email: String,
    pub phone: String,
    pub department: String,
    pub description: String,
    pub enabled: bool,
    pub authentication: Authentication,
    pub password: String,
    pub confirm: String,
    pub has_password: bool,
    pub member_of: Vec<GroupMembership>,
    pub azure: Option<AzureAttributes>,
}

impl UserForm {
    pub fn new_local() -> Self {
        Self {
            id: None,
            account_name: String::new(),
            full_name: String::new(),
            email: String::new(),
            phone: String::new(),
            department: String::new(),
            description: String::new(),
            enabled: true,
            authentication: Authentication::Local,
            password: String::new(),
            confirm: String::new(),
            has_password: false,
            member_of: Vec::new(),
            azure: None,
        }
    }

    pub fn from_details(d: UserDetails) -> Self {
        Self {
            id: Some(d.id),
            account_name: d.account_name,
            full_name: d.full_name,
            email: d.email,
            phone: d.phone,
            department: d.department,
            description: d.description,
            enabled: d.enabled,
            authentication: d.authentication,
            password: String::new(),
            confirm: String::new(),
            has_password: d.has_password,
            member_of: d.member_of,
            azure: d.azure,
        }
    }

    /// Imported from Entra ID: everything but the description is read-only.
    pub fn is_azure(&self) -> bool {
        self.authentication == Authentication::AzureActiveDirectory && self.id.is_some()
    }

    pub fn tabs(&self) -> Vec<Tab> {
        let mut tabs = vec![Tab::General, Tab::Account];
        if self.id.is_some() {
            tabs.push(Tab::MemberOf);
        }
        if self.is_azure() {
            tabs.push(Tab::AzureAd);
        }
        tabs
    }

    /// A password is asked for when the user will be local: always for a new one, and for an
    /// existing one that has none yet (switching from Active Directory).
    pub fn password_required(&self) -> bool {
        self.authentication == Authentication::Local && (self.id.is_none() || !self.has_password)
    }

    /// Checks that need no backend; the tab to show with the first problem.
    pub fn check(&self) -> (FormErrors, Option<Tab>) {
        let mut errors = FormErrors::default();
        if self.is_azure() {
            return (errors, None);
        }
        if self.account_name.trim().is_empty() {
            errors.account = Some("Enter an account name".into());
        }
        if self.authentication == Authentication::Local {
            if self.password_required() && self.password.is_empty() {
                errors.password = Some("Enter a password for this local user".into());
            } else if self.password != self.confirm {
                errors.password = Some("The two passwords do not match".into());
            }
        }
        let tab = (!errors.is_empty()).then_some(Tab::Account);
        (errors, tab)
    }

    /// Places a backend error next to its field.
    pub fn place(err: &IpcError) -> (FormErrors, Tab) {
        let mut errors = FormErrors::default();
        let tab = match err.code {
            ErrorCode::InvalidAccountName | ErrorCode::AccountNameTaken => {
                errors.account = Some(err.message.clone());
                Tab::Account
            }
            ErrorCode::WeakPassword => {
                errors.password = Some(err.message.clone());
                Tab::Account
            }
            _ => {
                errors.general = Some(err.message.clone());
                Tab::General
            }
        };
        (errors, tab)
    }

    pub fn to_new(&self) -> NewLocalUser {
        NewLocalUser {
            account_name: self.account_name.clone(),
            full_name: self.full_name.clone(),
            email: self.email.clone(),
            phone: self.phone.clone(),
            department: self.department.clone(),
            description: self.description.clone(),
            enabled: self.enabled,
            password: Password::new(self.password.clone()),
        }
    }

    pub fn to_update(&self, id: i64) -> UserUpdate {
        UserUpdate {
            id,
            account_name: self.account_name.clone(),
            full_name: self.full_name.clone(),
            email: self.email.clone(),
            phone: self.phone.clone(),
            department: self.department.clone(),
            description: self.description.clone(),
            enabled: self.enabled,
            authentication: self.authentication,
            new_password: (self.authentication == Authentication::Local
                && !self.password.is_empty())
            .then(|| Password::new(self.password.clone())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn azure_form() -> UserForm {
        UserForm {
            id: Some(7),
            authentication: Authentication::AzureActiveDirectory,
            ..UserForm::new_local()
        }
    }

    #[test]
    fn tabs_depend_on_the_kind_of_user() {
        assert_eq!(
            UserForm::new_local().tabs(),
            vec![Tab::General, Tab::Account]
        );
        let existing_local = UserForm {
            id: Some(1),
            has_password: true,
            ..UserForm::new_local()
        };
        assert_eq!(
            existing_local.tabs(),
            vec![Tab::General, Tab::Account, Tab::MemberOf]
        );
        assert_eq!(
            azure_form().tabs(),
            vec![Tab::General, Tab::Account, Tab::MemberOf, Tab::AzureAd]
        );
    }

    #[test]
    fn client_checks() {
        let mut form = UserForm::new_local();
        let (errors, tab) = form.check();
        assert!(errors.account.is_some() && errors.password.is_some());
        assert_eq!(tab, Some(Tab::Account));

        form.account_name = "alice".into();
        form.password = "Correct-Horse-9".into();
        form.confirm = "Correct-Horse-8".into();
        assert_eq!(
            form.check().0.password.as_deref(),
            Some("The two passwords do not match")
        );
        form.confirm = form.password.clone();
        assert!(form.check().0.is_empty());

        // An existing local user may keep the current password.
        let keep = UserForm {
            id: Some(3),
            account_name: "bob".into(),
            has_password: true,
            ..UserForm::new_local()
        };
        assert!(keep.check().0.is_empty());
        assert_eq!(keep.to_update(3).new_password, None);
        // Azure AD users are never checked client-side: only the description can change.
        assert!(azure_form().check().0.is_empty());
    }

    #[test]
    fn backend_errors_land_on_their_field() {
        let cases = [
            (ErrorCode::AccountNameTaken, Tab::Account, "account"),
            (ErrorCode::InvalidAccountName, Tab::Account, "account"),
            (ErrorCode::WeakPassword, Tab::Account, "password"),
            (ErrorCode::ReadOnly, Tab::General, "general"),
            (ErrorCode::DatabaseUnavailable, Tab::General, "general"),
        ];
        for (code, tab, field) in cases {
            let (errors, got_tab) = UserForm::place(&IpcError::new(code, "msg"));
            let placed = match field {
                "account" => errors.account,
                "password" => errors.password,
                _ => errors.general,
            };
            assert_eq!((got_tab, placed.as_deref()), (tab, Some("msg")), "{code:?}");
        }
    }
}
