//! Users and groups as Graph returns them, with exactly the properties aadsync stores.

use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// Every user property the Azure AD tab shows.
pub const USER_SELECT: &str = "id,userPrincipalName,displayName,givenName,surname,mail,jobTitle,department,officeLocation,mobilePhone,businessPhones,userType,accountEnabled,createdDateTime,onPremisesSyncEnabled";
/// The group properties aadsync stores.
pub const GROUP_SELECT: &str =
    "id,displayName,description,mail,mailEnabled,securityEnabled,groupTypes";

/// `null` reads as the type's default (Graph sends `null` for empty collections at times).
fn null_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RemoteUser {
    pub id: String,
    #[serde(default)]
    pub user_principal_name: Option<String>,
    #[serde(default, deserialize_with = "null_default")]
    pub display_name: String,
    #[serde(default)]
    pub given_name: Option<String>,
    #[serde(default)]
    pub surname: Option<String>,
    #[serde(default)]
    pub mail: Option<String>,
    #[serde(default)]
    pub job_title: Option<String>,
    #[serde(default)]
    pub department: Option<String>,
    #[serde(default)]
    pub office_location: Option<String>,
    #[serde(default)]
    pub mobile_phone: Option<String>,
    #[serde(default, deserialize_with = "null_default")]
    pub business_phones: Vec<String>,
    /// "Member" or "Guest".
    #[serde(default)]
    pub user_type: Option<String>,
    /// Absent only when not selected; Graph always has it for users.
    #[serde(default)]
    pub account_enabled: Option<bool>,
    #[serde(default)]
    pub created_date_time: Option<String>,
    #[serde(default)]
    pub on_premises_sync_enabled: Option<bool>,
}

impl RemoteUser {
    /// `None` for something that is not a user with an ID, logged; the caller decides
    /// whether that fails its read. Only an object is one: serde would also read a list
    /// (`["id"]`) as a user, field by field in order.
    pub fn from_json(value: Value) -> Option<Self> {
        if !value.is_object() {
            tracing::warn!("skipped a user Graph described as no object");
            return None;
        }
        match serde_json::from_value(value) {
            Ok(user) => Some(user),
            Err(err) => {
                tracing::warn!(error = %err, "skipped a user Graph described unreadably");
                None
            }
        }
    }

    pub fn is_guest(&self) -> bool {
        self.user_type
            .as_deref()
            .is_some_and(|t| t.eq_ignore_ascii_case("guest"))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RemoteGroup {
    pub id: String,
    #[serde(default, deserialize_with = "null_default")]
    pub display_name: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub mail: Option<String>,
    #[serde(default, deserialize_with = "null_default")]
    pub mail_enabled: bool,
    #[serde(default, deserialize_with = "null_default")]
    pub security_enabled: bool,
    #[serde(default, deserialize_with = "null_default")]
    pub group_types: Vec<String>,
    #[serde(default)]
    pub on_premises_sync_enabled: Option<bool>,
}

impl RemoteGroup {
    /// As [`RemoteUser::from_json`]: an object with an ID, or `None`.
    pub fn from_json(value: Value) -> Option<Self> {
        if !value.is_object() {
            tracing::warn!("skipped a group Graph described as no object");
            return None;
        }
        match serde_json::from_value(value) {
            Ok(group) => Some(group),
            Err(err) => {
                tracing::warn!(error = %err, "skipped a group Graph described unreadably");
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nulls_and_missing_properties_read_as_empty() {
        let user = RemoteUser::from_json(json!({
            "id": "1", "displayName": null, "businessPhones": null, "accountEnabled": false,
            "userType": "Guest", "@odata.type": "#microsoft.graph.user"
        }))
        .expect("user");
        assert_eq!(user.display_name, "");
        assert!(user.business_phones.is_empty() && user.is_guest());
        assert_eq!(user.account_enabled, Some(false));
        assert!(RemoteUser::from_json(json!({"displayName": "no id"})).is_none());
        let group =
            RemoteGroup::from_json(json!({"id": "g", "groupTypes": null, "mailEnabled": null}))
                .expect("group");
        assert!(group.group_types.is_empty() && !group.mail_enabled);
        // Found by the property tests: serde reads a list as a struct, field by field.
        assert_eq!(RemoteUser::from_json(json!(["an id"])), None);
        assert_eq!(RemoteGroup::from_json(json!(["an id", "a name"])), None);
    }
}
