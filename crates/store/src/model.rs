//! The store's data types, independent of SQL and of the IPC wire format.

use aadsync_keystore::SecretString;

/// Row id of a server user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UserId(pub i64);

/// How a user signs in to the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AuthType {
    Local,
    ActiveDirectory,
    AzureAd,
}

impl AuthType {
    pub fn as_sql(self) -> &'static str {
        match self {
            AuthType::Local => "local",
            AuthType::ActiveDirectory => "active_directory",
            AuthType::AzureAd => "azure_ad",
        }
    }

    pub fn from_sql(text: &str) -> Option<Self> {
        match text {
            "local" => Some(AuthType::Local),
            "active_directory" => Some(AuthType::ActiveDirectory),
            "azure_ad" => Some(AuthType::AzureAd),
            _ => None,
        }
    }

    /// The label the Users area and the Account tab show.
    pub fn label(self) -> &'static str {
        match self {
            AuthType::Local => "Local",
            AuthType::ActiveDirectory => "Active Directory",
            AuthType::AzureAd => "Azure Active Directory",
        }
    }
}

/// Entra ID's `userType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UserType {
    Member,
    Guest,
}

impl UserType {
    pub fn as_sql(self) -> &'static str {
        match self {
            UserType::Member => "Member",
            UserType::Guest => "Guest",
        }
    }

    pub fn from_sql(text: &str) -> Self {
        if text == "Guest" {
            UserType::Guest
        } else {
            UserType::Member
        }
    }
}

/// Whether Entra ID still has an imported object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DirectoryDeletion {
    /// In Entra ID's recycle bin: restorable for up to 30 days.
    SoftDeleted,
    HardDeleted,
}

impl DirectoryDeletion {
    pub fn as_sql(self) -> &'static str {
        match self {
            DirectoryDeletion::SoftDeleted => "soft_deleted",
            DirectoryDeletion::HardDeleted => "hard_deleted",
        }
    }

    pub fn from_sql(text: &str) -> Option<Self> {
        match text {
            "soft_deleted" => Some(DirectoryDeletion::SoftDeleted),
            "hard_deleted" => Some(DirectoryDeletion::HardDeleted),
            _ => None,
        }
    }
}

/// One line of the Users area.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRow {
    pub id: UserId,
    pub account_name: String,
    pub auth_type: AuthType,
    pub enabled: bool,
    pub full_name: String,
    pub email: String,
    pub department: String,
    /// Azure AD users only.
    pub user_principal_name: Option<String>,
    pub user_type: Option<UserType>,
    pub deleted_in_directory: Option<DirectoryDeletion>,
    pub last_synchronized_at: Option<String>,
}

/// Everything the User properties dialog shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserDetails {
    pub id: UserId,
    pub account_name: String,
    pub auth_type: AuthType,
    pub enabled: bool,
    pub full_name: String,
    pub email: String,
    pub phone: String,
    pub department: String,
    pub description: String,
    pub created_at: String,
    pub updated_at: String,
    pub has_password: bool,
    pub member_of: Vec<GroupRef>,
    pub azure: Option<AzureUserAttributes>,
}

/// A group a user belongs to, for the Member of tab.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupRef {
    pub id: i64,
    pub name: String,
    pub from_azure_ad: bool,
}

/// The Entra ID attributes of an imported user, read-only everywhere.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AzureUserAttributes {
    pub tenant_id: String,
    /// The organization's display name, if the organization is still configured.
    pub organization: Option<String>,
    pub object_id: String,
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
    pub user_type: UserType,
    pub account_enabled: bool,
    pub created_in_entra_at: Option<String>,
    pub on_premises_sync_enabled: Option<bool>,
    pub last_synchronized_at: String,
    pub deleted_in_directory: Option<DirectoryDeletion>,
    /// '' when the user was selected directly, else the group path it came through.
    pub imported_via: String,
    /// Why the user is in scope now (empty: out of scope), as the last synchronization found.
    pub scope: Vec<crate::scope::Reason>,
    /// The administrator's decision in force about the user, if any.
    pub decision: Option<crate::scope::StandingDecision>,
}

/// A local user as typed into the New user dialog.
#[derive(Debug)]
pub struct NewLocalUser {
    pub account_name: String,
    pub full_name: String,
    pub email: String,
    pub phone: String,
    pub department: String,
    pub description: String,
    pub enabled: bool,
    pub password: SecretString,
}

/// Changes from the User properties dialog. For Azure AD users only `description` may differ
/// from the stored values; everything else comes from Entra ID.
#[derive(Debug)]
pub struct LocalUserEdit {
    pub account_name: String,
    pub full_name: String,
    pub email: String,
    pub phone: String,
    pub department: String,
    pub description: String,
    pub enabled: bool,
    /// Local ↔ Active Directory; Azure AD can be neither the source nor the target.
    pub auth_type: AuthType,
    /// A new password for a local user; `None` keeps the current one.
    pub new_password: Option<SecretString>,
}
