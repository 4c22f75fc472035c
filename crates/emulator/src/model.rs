//! The directory an emulator serves: one tenant with users, groups, roles and app registrations.

use serde::{Deserialize, Serialize};

/// Role template IDs of the built-in directory roles the app cares about.
pub mod roles {
    pub const GLOBAL_ADMINISTRATOR: &str = "62e90394-69f5-4237-9190-012177145e10";
    pub const PRIVILEGED_ROLE_ADMINISTRATOR: &str = "e8611ab8-c189-46e8-94e1-60213ab1f814";
    pub const USER_ADMINISTRATOR: &str = "fe930be7-5e62-47db-91af-98c3a49a38b1";
    pub const GLOBAL_READER: &str = "f2ef992c-3afb-46b9-b7cf-a126ee74c451";
    pub const HELPDESK_ADMINISTRATOR: &str = "729827e3-9c14-49f7-bb1b-9608f156bbb8";
    pub const APPLICATION_ADMINISTRATOR: &str = "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3";
    pub const CLOUD_APPLICATION_ADMINISTRATOR: &str = "158c047a-c907-4556-b7ef-446551a6b5f7";
    pub const APPLICATION_DEVELOPER: &str = "cf1c38e5-3621-4004-a7cb-879624dced7c";
    pub const DIRECTORY_READERS: &str = "88d8e3e3-8f55-4a1e-953a-9b9898b8876b";
    pub const DIRECTORY_WRITERS: &str = "9360feb5-f418-4baa-8175-e2a00bac4301";
    /// The "default member" role every member user carries in `wids`.
    pub const DEFAULT_MEMBER: &str = "b79fbf4d-3ef9-4689-8143-76b194e85509";

    /// Display name of a role template, as Graph returns it.
    pub fn display_name(template_id: &str) -> &'static str {
        match template_id {
            GLOBAL_ADMINISTRATOR => "Global Administrator",
            PRIVILEGED_ROLE_ADMINISTRATOR => "Privileged Role Administrator",
            USER_ADMINISTRATOR => "User Administrator",
            GLOBAL_READER => "Global Reader",
            HELPDESK_ADMINISTRATOR => "Helpdesk Administrator",
            APPLICATION_ADMINISTRATOR => "Application Administrator",
            CLOUD_APPLICATION_ADMINISTRATOR => "Cloud Application Administrator",
            APPLICATION_DEVELOPER => "Application Developer",
            DIRECTORY_READERS => "Directory Readers",
            DIRECTORY_WRITERS => "Directory Writers",
            _ => "Directory role",
        }
    }
}

/// A tenant as the fixture file describes it (see `fixtures/README.md`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Tenant {
    /// Tenant ID (lower-case GUID).
    pub id: String,
    pub display_name: String,
    /// Verified domains; the first is the default (e.g. `contoso.com`), and every tenant also
    /// has its initial `*.onmicrosoft.com` domain in this list.
    pub domains: Vec<String>,
    #[serde(default)]
    pub users: Vec<User>,
    #[serde(default)]
    pub groups: Vec<Group>,
    /// Directory role assignments: role template ID → member user IDs.
    #[serde(default)]
    pub role_assignments: Vec<RoleAssignment>,
    #[serde(default)]
    pub applications: Vec<Application>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct User {
    pub id: String,
    pub user_principal_name: String,
    pub display_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub surname: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mail: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub department: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub office_location: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mobile_phone: Option<String>,
    #[serde(default)]
    pub business_phones: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preferred_language: Option<String>,
    /// "Member" or "Guest".
    #[serde(default = "member")]
    pub user_type: String,
    #[serde(default = "yes")]
    pub account_enabled: bool,
    /// ISO 8601 UTC, e.g. "2024-03-01T09:00:00Z".
    pub created_date_time: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_premises_sync_enabled: Option<bool>,
    /// Sign-in password (emulator only; real Entra ID never exposes one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// Base32 TOTP secret for the second factor (RFC 6238, SHA-1, 6 digits, 30 s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub totp_secret: Option<String>,
    /// Set while the user is in the recycle bin (soft-deleted, restorable for 30 days).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_date_time: Option<String>,
}

fn member() -> String {
    "Member".into()
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Group {
    pub id: String,
    pub display_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mail: Option<String>,
    #[serde(default)]
    pub mail_enabled: bool,
    #[serde(default = "yes")]
    pub security_enabled: bool,
    /// e.g. `["Unified"]` for Microsoft 365 groups.
    #[serde(default)]
    pub group_types: Vec<String>,
    /// `Public`, `Private` or `HiddenMembership` (Microsoft 365 groups); absent: Graph's
    /// default (`Public` for a Microsoft 365 group, null for a security group).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visibility: Option<String>,
    pub created_date_time: String,
    /// Direct members: user or group IDs.
    #[serde(default)]
    pub members: Vec<String>,
    /// Set while the group is in the recycle bin (Microsoft 365 groups; security groups are
    /// deleted permanently, as in Entra ID).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_date_time: Option<String>,
    /// A role-assignable group (`isAssignableToRole`): directory roles may be assigned to it,
    /// and its members hold them.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub is_assignable_to_role: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RoleAssignment {
    pub role_template_id: String,
    /// Active assignments: users, or role-assignable groups whose members then hold the role.
    pub members: Vec<String>,
    /// PIM-eligible users who have not activated the role: they hold nothing until they do, so
    /// the role is in none of `memberOf`, `transitiveMemberOf` or `wids`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub eligible: Vec<String>,
}

/// An app registration that can sign users in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Application {
    /// Application (client) ID.
    pub client_id: String,
    pub display_name: String,
    /// Registered redirect URIs; `http://localhost` matches any loopback port.
    #[serde(default)]
    pub redirect_uris: Vec<String>,
    #[serde(default = "yes")]
    pub public_client_flows: bool,
    /// Delegated Microsoft Graph permissions with admin consent, e.g. "User.Read.All".
    #[serde(default)]
    pub granted_scopes: Vec<String>,
    /// Put the user's directory roles into the ID token's `wids` claim: the registration's
    /// Token configuration → groups claim → "Directory roles" (`groupMembershipClaims`
    /// `DirectoryRole` or `All`).
    #[serde(default)]
    pub wids_in_tokens: bool,
}

/// A directory object that can sit in the recycle bin.
pub trait Recyclable {
    /// The object ID, and when the object was deleted (`None` while it is active).
    fn recycle_state(&mut self) -> (&str, &mut Option<String>);
}

impl Recyclable for User {
    fn recycle_state(&mut self) -> (&str, &mut Option<String>) {
        (&self.id, &mut self.deleted_date_time)
    }
}

impl Recyclable for Group {
    fn recycle_state(&mut self) -> (&str, &mut Option<String>) {
        (&self.id, &mut self.deleted_date_time)
    }
}

impl Tenant {
    pub fn default_domain(&self) -> &str {
        self.domains
            .first()
            .map(String::as_str)
            .unwrap_or("contoso.onmicrosoft.com")
    }

    /// Role template IDs assigned to the user directly (what `memberOf` lists).
    pub fn roles_of(&self, user_id: &str) -> Vec<&str> {
        self.role_assignments
            .iter()
            .filter(|r| r.members.iter().any(|m| m == user_id))
            .map(|r| r.role_template_id.as_str())
            .collect()
    }

    /// Role template IDs the user holds directly or through a role-assignable group it is a
    /// member of (what `transitiveMemberOf` and `wids` show). Role-assignable groups cannot
    /// contain groups, so direct membership is the whole path.
    pub fn held_roles_of(&self, user_id: &str) -> Vec<&str> {
        let through_group = |m: &String| {
            self.groups.iter().any(|g| {
                &g.id == m
                    && g.is_assignable_to_role
                    && g.deleted_date_time.is_none()
                    && g.members.iter().any(|x| x == user_id)
            })
        };
        self.role_assignments
            .iter()
            .filter(|r| r.members.iter().any(|m| m == user_id || through_group(m)))
            .map(|r| r.role_template_id.as_str())
            .collect()
    }

    /// Checks references and uniqueness; the error names the offending object.
    pub fn validate(&self) -> Result<(), String> {
        let mut ids = std::collections::HashSet::new();
        let mut upns = std::collections::HashSet::new();
        for u in &self.users {
            if !ids.insert(u.id.as_str()) {
                return Err(format!("duplicate object id {}", u.id));
            }
            if !upns.insert(u.user_principal_name.to_lowercase()) {
                return Err(format!(
                    "duplicate userPrincipalName {}",
                    u.user_principal_name
                ));
            }
            if u.user_type != "Member" && u.user_type != "Guest" {
                return Err(format!("user {}: userType must be Member or Guest", u.id));
            }
        }
        for g in &self.groups {
            if !ids.insert(g.id.as_str()) {
                return Err(format!("duplicate object id {}", g.id));
            }
        }
        for g in &self.groups {
            if let Some(m) = g.members.iter().find(|m| !ids.contains(m.as_str())) {
                return Err(format!("group {} has unknown member {m}", g.id));
            }
        }
        for r in &self.role_assignments {
            if let Some(m) = r
                .members
                .iter()
                .chain(&r.eligible)
                .find(|m| !ids.contains(m.as_str()))
            {
                return Err(format!(
                    "role {} has unknown member {m}",
                    r.role_template_id
                ));
            }
        }
        Ok(())
    }
}
