//! Commands of the Users area and the User properties dialog.

use crate::{Command, Password};
use serde::{Deserialize, Serialize};

/// A window of the (filtered, sorted) users table.
#[derive(Debug)]
pub enum ListUsers {}
impl Command for ListUsers {
    const NAME: &'static str = "list_users";
    type Args = UserQuery;
    type Output = UserPage;
}

/// Everything the User properties dialog shows.
#[derive(Debug)]
pub enum GetUser {}
impl Command for GetUser {
    const NAME: &'static str = "get_user";
    type Args = UserRef;
    type Output = UserDetails;
}

/// Creates a local user (Azure AD users are only ever imported).
#[derive(Debug)]
pub enum CreateLocalUser {}
impl Command for CreateLocalUser {
    const NAME: &'static str = "create_local_user";
    type Args = NewLocalUser;
    type Output = UserRef;
}

/// Saves the User properties dialog.
#[derive(Debug)]
pub enum UpdateUser {}
impl Command for UpdateUser {
    const NAME: &'static str = "update_user";
    type Args = UserUpdate;
    type Output = ();
}

#[derive(Debug)]
pub enum DeleteUser {}
impl Command for DeleteUser {
    const NAME: &'static str = "delete_user";
    type Args = UserRef;
    type Output = ();
}

/// Reverses the decision in force about an Azure AD user (made in *Check deleted objects*):
/// a user it kept disabled follows Entra ID again.
#[derive(Debug)]
pub enum ReverseDecision {}
impl Command for ReverseDecision {
    const NAME: &'static str = "reverse_decision";
    type Args = UserRef;
    type Output = ();
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRef {
    pub id: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SortColumn {
    Account,
    Authentication,
    UserPrincipalName,
    State,
    FullName,
    Email,
    Department,
    LastSynchronized,
}

impl SortColumn {
    pub const ALL: [SortColumn; 8] = [
        SortColumn::Account,
        SortColumn::Authentication,
        SortColumn::UserPrincipalName,
        SortColumn::State,
        SortColumn::FullName,
        SortColumn::Email,
        SortColumn::Department,
        SortColumn::LastSynchronized,
    ];

    pub fn heading(self) -> &'static str {
        match self {
            SortColumn::Account => "Account",
            SortColumn::Authentication => "Authentication",
            SortColumn::UserPrincipalName => "User Principal Name",
            SortColumn::State => "State",
            SortColumn::FullName => "Full name",
            SortColumn::Email => "Email",
            SortColumn::Department => "Department",
            SortColumn::LastSynchronized => "Last synchronized",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserQuery {
    pub filter: String,
    pub sort: SortColumn,
    pub descending: bool,
    pub offset: u32,
    pub limit: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserPage {
    /// Rows matching the filter (all of them, not just this window).
    pub total: u32,
    pub offset: u32,
    pub rows: Vec<UserRow>,
    /// Users in the database, filter or not.
    pub all: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Authentication {
    Local,
    ActiveDirectory,
    AzureActiveDirectory,
}

impl Authentication {
    pub fn label(self) -> &'static str {
        match self {
            Authentication::Local => "Local",
            Authentication::ActiveDirectory => "Active Directory",
            Authentication::AzureActiveDirectory => "Azure Active Directory",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRow {
    pub id: i64,
    pub account_name: String,
    pub authentication: Authentication,
    pub user_principal_name: Option<String>,
    /// "Enabled", "Disabled", "Deleted in Azure AD", …
    pub state: String,
    pub enabled: bool,
    pub guest: bool,
    pub full_name: String,
    pub email: String,
    pub department: String,
    pub last_synchronized: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserDetails {
    pub id: i64,
    pub account_name: String,
    pub authentication: Authentication,
    pub enabled: bool,
    pub full_name: String,
    pub email: String,
    pub phone: String,
    pub department: String,
    pub description: String,
    pub created: String,
    pub updated: String,
    pub has_password: bool,
    pub member_of: Vec<GroupMembership>,
    pub azure: Option<AzureAttributes>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupMembership {
    pub id: i64,
    pub name: String,
    pub from_azure_ad: bool,
}

/// The read-only Azure AD tab.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AzureAttributes {
    pub object_id: String,
    pub tenant_id: String,
    pub organization: Option<String>,
    pub user_principal_name: String,
    pub display_name: String,
    pub given_name: Option<String>,
    pub surname: Option<String>,
    pub mail: Option<String>,
    pub job_title: Option<String>,
    pub department: Option<String>,
    pub office_location: Option<String>,
    pub mobile_phone: Option<String>,
    pub business_phones: Vec<String>,
    /// "Member" or "Guest".
    pub user_type: String,
    pub account_enabled: bool,
    pub created_in_entra: Option<String>,
    pub on_premises_synced: Option<bool>,
    pub last_synchronized: String,
    /// `None` while Entra ID still has the user.
    pub deleted_in_directory: Option<String>,
    /// Empty when selected directly, else the group path.
    pub imported_via: String,
    /// Why the user is in scope ("Selected directly", "Member of Sales / EMEA"); empty: out of
    /// scope.
    #[serde(default)]
    pub scope: Vec<String>,
    /// The administrator's decision in force ("Disabled on this server: no longer in scope —
    /// by admin@contoso.com, 2026-11-30 10:00"), reversible with `reverse_decision`.
    #[serde(default)]
    pub decision: Option<String>,
}

/// The New user dialog. The password travels once, to be hashed; it is never sent back.
#[derive(Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewLocalUser {
    pub account_name: String,
    pub full_name: String,
    pub email: String,
    pub phone: String,
    pub department: String,
    pub description: String,
    pub enabled: bool,
    pub password: Password,
}

#[derive(Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserUpdate {
    pub id: i64,
    pub account_name: String,
    pub full_name: String,
    pub email: String,
    pub phone: String,
    pub department: String,
    pub description: String,
    pub enabled: bool,
    pub authentication: Authentication,
    /// A new password for a local user; `None` keeps the current one.
    pub new_password: Option<Password>,
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "Correct-Horse-9-secret";

    /// The dialogs' passwords reach the backend as typed, but `Debug` of the arguments (a
    /// log line, a panic message) never shows them (issue 14, item 8).
    #[test]
    fn debug_of_the_dialogs_arguments_never_shows_the_password() {
        let new = NewLocalUser {
            account_name: "jdoe".into(),
            full_name: "Jane Doe".into(),
            email: String::new(),
            phone: String::new(),
            department: String::new(),
            description: String::new(),
            enabled: true,
            password: Password::new(SECRET),
        };
        let update = UserUpdate {
            id: 7,
            account_name: "jdoe".into(),
            full_name: "Jane Doe".into(),
            email: String::new(),
            phone: String::new(),
            department: String::new(),
            description: String::new(),
            enabled: true,
            authentication: Authentication::Local,
            new_password: Some(Password::new(SECRET)),
        };
        let printed = format!("{new:?} {new:#?} {update:?} {update:#?}");
        assert!(!printed.contains(SECRET), "{printed}");
        assert!(printed.contains("jdoe"), "{printed}");

        // On the wire the password is the string the backend hashes.
        let wire = serde_json::to_value(&new).expect("json");
        assert_eq!(wire["password"], SECRET);
        let back: UserUpdate =
            serde_json::from_value(serde_json::to_value(&update).expect("json")).expect("back");
        assert_eq!(
            back.new_password.map(Password::into_exposed).as_deref(),
            Some(SECRET)
        );
    }
}
