//! Users and groups as Graph returns them, with exactly the properties aadsync stores.

use serde::de::{Error as _, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::Value;
use serde_json::value::RawValue;
use std::fmt;

/// Every user property the Azure AD tab shows.
pub const USER_SELECT: &str = "id,userPrincipalName,displayName,givenName,surname,mail,jobTitle,department,officeLocation,mobilePhone,businessPhones,userType,accountEnabled,createdDateTime,onPremisesSyncEnabled";
/// The group properties aadsync stores.
pub const GROUP_SELECT: &str =
    "id,displayName,description,mail,mailEnabled,securityEnabled,groupTypes";

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RemoteUser {
    pub id: String,
    pub user_principal_name: Option<String>,
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
    pub user_type: Option<String>,
    /// Absent only when not selected; Graph always has it for users.
    pub account_enabled: Option<bool>,
    pub created_date_time: Option<String>,
    pub on_premises_sync_enabled: Option<bool>,
}

impl RemoteUser {
    /// `None` for something that is not a user with an ID, logged; the caller decides
    /// whether that fails its read.
    pub fn from_json(value: Value) -> Option<Self> {
        Self::from_text(&value.to_string())
    }

    /// [`Self::from_json`] from the user's JSON text, without building a `Value` first.
    pub fn from_text(text: &str) -> Option<Self> {
        read_logged(serde_json::from_str(text), "user")
    }

    pub fn is_guest(&self) -> bool {
        self.user_type
            .as_deref()
            .is_some_and(|t| t.eq_ignore_ascii_case("guest"))
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RemoteGroup {
    pub id: String,
    pub display_name: String,
    pub description: Option<String>,
    pub mail: Option<String>,
    pub mail_enabled: bool,
    pub security_enabled: bool,
    pub group_types: Vec<String>,
    pub on_premises_sync_enabled: Option<bool>,
}

impl RemoteGroup {
    /// As [`RemoteUser::from_json`]: an object with an ID, or `None`.
    pub fn from_json(value: Value) -> Option<Self> {
        Self::from_text(&value.to_string())
    }

    /// As [`RemoteUser::from_text`].
    pub fn from_text(text: &str) -> Option<Self> {
        read_logged(serde_json::from_str(text), "group")
    }
}

fn read_logged<T>(read: serde_json::Result<T>, kind: &str) -> Option<T> {
    match read {
        Ok(object) => Some(object),
        Err(err) => {
            tracing::warn!(error = %err, "skipped a {kind} Graph described unreadably");
            None
        }
    }
}

/// The JSON text of the properties an object reader keeps, the last of each (indexed by its
/// field enum), read into their types once the whole object is seen.
pub(super) struct Slots<'de, const N: usize>([Option<&'de RawValue>; N]);

/// Reads a JSON object whose properties are named by `F` (a field enum whose last variant,
/// `Other`, stands for every property not kept) into slots, then builds a `T` from them.
pub(super) struct ObjectVisitor<'de, F, T, const N: usize> {
    pub what: &'static str,
    pub build: fn(&Slots<'de, N>) -> serde_json::Result<T>,
    pub field: std::marker::PhantomData<F>,
}

impl<'de, F: Deserialize<'de> + Into<usize>, T, const N: usize> Visitor<'de>
    for ObjectVisitor<'de, F, T, N>
{
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(self.what)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<T, A::Error> {
        let mut slots = Slots::new();
        while let Some(field) = map.next_key::<F>()? {
            slots.keep(&mut map, field.into())?;
        }
        (self.build)(&slots).map_err(A::Error::custom)
    }
}

impl<'de, const N: usize> Slots<'de, N> {
    pub fn new() -> Self {
        Self([None; N])
    }

    /// Keeps the next value of `map` as the text of property `at` (a later one replaces it;
    /// one past the slots, `Other`, is passed over).
    pub fn keep<A: MapAccess<'de>>(&mut self, map: &mut A, at: usize) -> Result<(), A::Error> {
        let raw = map.next_value::<&'de RawValue>()?;
        if let Some(slot) = self.0.get_mut(at) {
            *slot = Some(raw);
        }
        Ok(())
    }

    /// Property `at` read as `T`; absent or `null` is `None`.
    pub fn get<T: Deserialize<'de>, E: serde::de::Error>(
        &self,
        at: impl Into<usize>,
    ) -> Result<Option<T>, E> {
        let raw = self.0.get(at.into()).copied().flatten();
        raw.map(|raw| serde_json::from_str::<Option<T>>(raw.get()).map_err(E::custom))
            .transpose()
            .map(Option::flatten)
    }

    /// Property `at` read as `T`; absent or `null` is the type's default (Graph sends `null`
    /// for empty collections at times).
    pub fn or_default<T: Default + Deserialize<'de>, E: serde::de::Error>(
        &self,
        at: impl Into<usize>,
    ) -> Result<T, E> {
        Ok(self.get(at)?.unwrap_or_default())
    }
}

// The readers below are written out rather than derived: a derived reader would also take a
// list for an object (field by field, in order), and it refuses a property named twice,
// where a JSON reader keeps the last (as `serde_json::Value` does, and the property tests
// expect of every page) — even when an earlier one has the wrong type. So each property's
// text is kept while the object is read, and read into its type at the end. They read JSON
// text only (`serde_json::from_str`); a `Value` is read through its text.

/// `Deserialize` for `$object` through [`ObjectVisitor`]: properties named by `$field`, the
/// object built by `$build`.
macro_rules! object_reader {
    ($object:ty, $field:ident, $what:literal, $build:ident) => {
        impl From<$field> for usize {
            fn from(field: $field) -> usize {
                field as usize
            }
        }

        impl<'de> Deserialize<'de> for $object {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                d.deserialize_map(
                    ObjectVisitor::<'de, $field, _, { $field::Other as usize }> {
                        what: $what,
                        build: $build,
                        field: std::marker::PhantomData,
                    },
                )
            }
        }
    };
}

/// The user properties aadsync reads; the rest of what Graph sends is passed over.
#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "camelCase")]
enum UserField {
    Id,
    UserPrincipalName,
    DisplayName,
    GivenName,
    Surname,
    Mail,
    JobTitle,
    Department,
    OfficeLocation,
    MobilePhone,
    BusinessPhones,
    UserType,
    AccountEnabled,
    CreatedDateTime,
    OnPremisesSyncEnabled,
    #[serde(other)]
    Other,
}

object_reader!(RemoteUser, UserField, "a user object", user_from);

fn user_from(p: &Slots<'_, { UserField::Other as usize }>) -> serde_json::Result<RemoteUser> {
    use UserField as F;
    Ok(RemoteUser {
        id: p
            .get(F::Id as usize)?
            .ok_or_else(|| serde::de::Error::missing_field("id"))?,
        user_principal_name: p.get(F::UserPrincipalName)?,
        display_name: p.or_default(F::DisplayName)?,
        given_name: p.get(F::GivenName)?,
        surname: p.get(F::Surname)?,
        mail: p.get(F::Mail)?,
        job_title: p.get(F::JobTitle)?,
        department: p.get(F::Department)?,
        office_location: p.get(F::OfficeLocation)?,
        mobile_phone: p.get(F::MobilePhone)?,
        business_phones: p.or_default(F::BusinessPhones)?,
        user_type: p.get(F::UserType)?,
        account_enabled: p.get(F::AccountEnabled)?,
        created_date_time: p.get(F::CreatedDateTime)?,
        on_premises_sync_enabled: p.get(F::OnPremisesSyncEnabled)?,
    })
}

/// The group properties aadsync reads.
#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "camelCase")]
enum GroupField {
    Id,
    DisplayName,
    Description,
    Mail,
    MailEnabled,
    SecurityEnabled,
    GroupTypes,
    OnPremisesSyncEnabled,
    #[serde(other)]
    Other,
}

object_reader!(RemoteGroup, GroupField, "a group object", group_from);

fn group_from(p: &Slots<'_, { GroupField::Other as usize }>) -> serde_json::Result<RemoteGroup> {
    use GroupField as F;
    Ok(RemoteGroup {
        id: p
            .get(F::Id as usize)?
            .ok_or_else(|| serde::de::Error::missing_field("id"))?,
        display_name: p.or_default(F::DisplayName)?,
        description: p.get(F::Description)?,
        mail: p.get(F::Mail)?,
        mail_enabled: p.or_default(F::MailEnabled)?,
        security_enabled: p.or_default(F::SecurityEnabled)?,
        group_types: p.or_default(F::GroupTypes)?,
        on_premises_sync_enabled: p.get(F::OnPremisesSyncEnabled)?,
    })
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

    #[test]
    fn the_text_reads_as_its_json_tree_does() {
        let texts = [
            r#"{"id":"1","displayName":null,"businessPhones":["+1 5"],"extra":{"a":[1,2]}}"#,
            r#"{"displayName":"first","id":"2","displayName":"last","id":"3"}"#,
            r#"{"id":"4","accountEnabled":true,"accountEnabled":null,"mail":"a@b"}"#,
            r#"{"id":"5","groupTypes":["Unified"],"mailEnabled":true,"securityEnabled":null}"#,
            r#"{"id":null}"#,
            r#"{"id":"6","accountEnabled":"yes"}"#,
            r#"["7","a name"]"#,
            r#""8""#,
            "null",
        ];
        for text in texts {
            let tree: Value = serde_json::from_str(text).expect("JSON");
            assert_eq!(
                RemoteUser::from_text(text),
                RemoteUser::from_json(tree.clone()),
                "{text}"
            );
            assert_eq!(
                RemoteGroup::from_text(text),
                RemoteGroup::from_json(tree),
                "{text}"
            );
        }
        // The last of a property named twice counts, as in the JSON tree.
        let user = RemoteUser::from_text(texts[1]).expect("user");
        assert_eq!(
            (user.id.as_str(), user.display_name.as_str()),
            ("3", "last")
        );
        assert_eq!(
            RemoteUser::from_text(texts[2])
                .expect("user")
                .account_enabled,
            None
        );
    }
}
