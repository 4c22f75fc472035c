//! Read and write handles, and the local-user operations of the User properties dialog.

use crate::model::*;
use crate::password::{self, PasswordPolicy};
use crate::snapshot::Snapshots;
use crate::view::UserIndex;
use crate::{Result, StoreError};
use aadsync_keystore::SecretString;
use rusqlite::{Connection, OptionalExtension, params};
use std::path::Path;
use std::sync::{Mutex, MutexGuard};

/// Longest account name accepted (Entra ID UPNs are at most 113 characters).
pub const MAX_ACCOUNT_NAME: usize = 256;
/// Longest free-text field accepted (names, e-mail, description).
pub const MAX_TEXT: usize = 4096;

/// Read access. Holds the read connection until dropped.
#[derive(Debug)]
pub struct ReadHandle<'a> {
    conn: MutexGuard<'a, Connection>,
    path: &'a Path,
    pub(crate) snapshots: &'a Snapshots,
}

/// Write access. Holds the write connection until dropped.
#[derive(Debug)]
pub struct WriteHandle<'a> {
    pub(crate) conn: MutexGuard<'a, Connection>,
    pub(crate) path: &'a Path,
    /// The read connection, asked whether a kept snapshot is still the database's state.
    pub(crate) reader: &'a Mutex<Connection>,
    pub(crate) snapshots: &'a Snapshots,
}

impl<'a> ReadHandle<'a> {
    pub(crate) fn new(
        conn: MutexGuard<'a, Connection>,
        path: &'a Path,
        snapshots: &'a Snapshots,
    ) -> Self {
        Self {
            conn,
            path,
            snapshots,
        }
    }

    fn sql(&self, err: rusqlite::Error) -> StoreError {
        StoreError::from_sqlite(self.path, err)
    }

    pub(crate) fn connection(&self) -> &Connection {
        &self.conn
    }

    pub(crate) fn error(&self, err: rusqlite::Error) -> StoreError {
        self.sql(err)
    }

    /// Every user, as the Users area lists them, ordered by id.
    pub fn user_rows(&self) -> Result<Vec<UserRow>> {
        let mut rows = Vec::new();
        self.each_user_row(|row| rows.push(row))?;
        Ok(rows)
    }

    /// Every user packed for the Users area, read row by row (a million users are never
    /// held as owned rows).
    pub fn user_index(&self) -> Result<UserIndex> {
        let mut builder = UserIndex::builder();
        self.each_user_row(|row| builder.push(&row))?;
        Ok(builder.finish())
    }

    fn each_user_row(&self, mut each: impl FnMut(UserRow)) -> Result<()> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT u.id, u.account_name, u.auth_type, u.enabled, u.full_name, u.email,
                        u.department, a.user_principal_name, a.user_type, a.deleted_in_directory,
                        a.last_synchronized_at
                 FROM users u LEFT JOIN azure_users a ON a.user_id = u.id
                 ORDER BY u.id",
            )
            .map_err(|e| self.sql(e))?;
        let mut rows = stmt.query([]).map_err(|e| self.sql(e))?;
        while let Some(r) = rows.next().map_err(|e| self.sql(e))? {
            each(user_row(r).map_err(|e| self.sql(e))?);
        }
        Ok(())
    }

    pub fn count_users(&self) -> Result<u64> {
        self.conn
            .query_row("SELECT count(*) FROM users", [], |r| r.get::<_, i64>(0))
            .map(|n| n.max(0) as u64)
            .map_err(|e| self.sql(e))
    }

    /// Everything the User properties dialog shows.
    pub fn user(&self, id: UserId) -> Result<UserDetails> {
        let mut details = self
            .conn
            .query_row(
                "SELECT id, account_name, auth_type, enabled, full_name, email, phone, department,
                        description, created_at, updated_at, password_hash IS NOT NULL
                 FROM users WHERE id = ?1",
                [id.0],
                |r| {
                    Ok(UserDetails {
                        id: UserId(r.get(0)?),
                        account_name: r.get(1)?,
                        auth_type: auth_type(r.get_ref(2)?.as_str()?),
                        enabled: r.get(3)?,
                        full_name: r.get(4)?,
                        email: r.get(5)?,
                        phone: r.get(6)?,
                        department: r.get(7)?,
                        description: r.get(8)?,
                        created_at: r.get(9)?,
                        updated_at: r.get(10)?,
                        has_password: r.get(11)?,
                        member_of: Vec::new(),
                        azure: None,
                    })
                },
            )
            .optional()
            .map_err(|e| self.sql(e))?
            .ok_or(StoreError::UserNotFound(id.0))?;

        details.member_of = self.member_of(id)?;
        details.azure = self.azure_attributes(id)?;
        Ok(details)
    }

    /// The groups a user is a member of, by name.
    fn member_of(&self, id: UserId) -> Result<Vec<GroupRef>> {
        let mut groups = self
            .conn
            .prepare_cached(
                "SELECT g.id, g.name, g.source FROM memberships m JOIN groups g ON g.id = m.group_id
                 WHERE m.user_id = ?1 ORDER BY g.name COLLATE NOCASE, g.id",
            )
            .map_err(|e| self.sql(e))?;
        groups
            .query_map([id.0], |r| {
                Ok(GroupRef {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    from_azure_ad: r.get::<_, String>(2)? == "azure_ad",
                })
            })
            .and_then(|rows| rows.collect())
            .map_err(|e| self.sql(e))
    }

    /// A user's copy of Entra ID's attributes (none for a local user).
    fn azure_attributes(&self, id: UserId) -> Result<Option<AzureUserAttributes>> {
        let attributes = self
            .conn
            .query_row(
                "SELECT a.tenant_id, o.display_name, a.object_id, a.user_principal_name,
                        a.display_name, a.given_name, a.surname, a.mail, a.job_title, a.department,
                        a.office_location, a.mobile_phone, a.business_phones, a.user_type,
                        a.account_enabled, a.created_in_entra_at, a.on_premises_sync_enabled,
                        a.last_synchronized_at, a.deleted_in_directory, a.imported_via
                 FROM azure_users a LEFT JOIN organizations o ON o.tenant_id = a.tenant_id
                 WHERE a.user_id = ?1",
                [id.0],
                |r| {
                    let phones: String = r.get(12)?;
                    Ok(AzureUserAttributes {
                        tenant_id: r.get(0)?,
                        organization: r.get(1)?,
                        object_id: r.get(2)?,
                        user_principal_name: r.get(3)?,
                        display_name: r.get(4)?,
                        given_name: r.get(5)?,
                        surname: r.get(6)?,
                        mail: r.get(7)?,
                        job_title: r.get(8)?,
                        department: r.get(9)?,
                        office_location: r.get(10)?,
                        mobile_phone: r.get(11)?,
                        business_phones: serde_json::from_str(&phones).unwrap_or_default(),
                        user_type: UserType::from_sql(&r.get::<_, String>(13)?),
                        account_enabled: r.get(14)?,
                        created_in_entra_at: r.get(15)?,
                        on_premises_sync_enabled: r.get(16)?,
                        last_synchronized_at: r.get(17)?,
                        deleted_in_directory: r
                            .get::<_, Option<String>>(18)?
                            .and_then(|d| DirectoryDeletion::from_sql(&d)),
                        imported_via: r.get(19)?,
                        scope: Vec::new(),
                        decision: None,
                    })
                },
            )
            .optional()
            .map_err(|e| self.sql(e))?;
        let Some(mut attributes) = attributes else {
            return Ok(None);
        };
        attributes.scope = self.scope_reasons(&attributes.tenant_id, &attributes.object_id)?;
        attributes.decision =
            self.standing_decision(&attributes.tenant_id, &attributes.object_id)?;
        Ok(Some(attributes))
    }

    /// Whether `password` is the local user's current password (false for other users).
    pub fn password_matches(&self, id: UserId, password: &SecretString) -> Result<bool> {
        let phc: Option<String> = self
            .conn
            .query_row(
                "SELECT password_hash FROM users WHERE id = ?1",
                [id.0],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.sql(e))?
            .flatten();
        Ok(phc.is_some_and(|phc| password::verify(password, &phc)))
    }
}

/// One line of the Users area from `each_user_row`'s query.
fn user_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<UserRow> {
    Ok(UserRow {
        id: UserId(r.get(0)?),
        account_name: r.get(1)?,
        auth_type: auth_type(r.get_ref(2)?.as_str()?),
        enabled: r.get(3)?,
        full_name: r.get(4)?,
        email: r.get(5)?,
        department: r.get(6)?,
        user_principal_name: r.get(7)?,
        user_type: r
            .get::<_, Option<String>>(8)?
            .map(|t| UserType::from_sql(&t)),
        deleted_in_directory: r
            .get::<_, Option<String>>(9)?
            .and_then(|d| DirectoryDeletion::from_sql(&d)),
        last_synchronized_at: r.get(10)?,
    })
}

fn auth_type(text: &str) -> AuthType {
    // The CHECK constraint makes anything else impossible; Local is the least privileged guess.
    AuthType::from_sql(text).unwrap_or(AuthType::Local)
}

/// Normalises and validates an account name; returns (name, case-insensitive key).
pub(crate) fn account_name(raw: &str) -> Result<(String, String)> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(StoreError::EmptyAccountName);
    }
    if name.chars().count() > MAX_ACCOUNT_NAME {
        return Err(StoreError::InvalidAccountName(
            name.chars().take(40).collect::<String>() + "…",
            "it is longer than 256 characters",
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(StoreError::InvalidAccountName(
            name.to_owned(),
            "it contains control characters (tabs, line breaks)",
        ));
    }
    Ok((name.to_owned(), name.to_lowercase()))
}

fn text_field(label: &str, value: &str) -> Result<String> {
    if value.chars().count() > MAX_TEXT {
        return Err(StoreError::Invalid(format!(
            "{label} is longer than {MAX_TEXT} characters"
        )));
    }
    Ok(value.trim().to_owned())
}

fn email_field(value: &str) -> Result<String> {
    let email = text_field("The e-mail address", value)?;
    if !email.is_empty() && (!email.contains('@') || email.chars().any(char::is_whitespace)) {
        return Err(StoreError::Invalid(format!(
            "{email:?} is not an e-mail address"
        )));
    }
    Ok(email)
}

impl<'a> WriteHandle<'a> {
    pub(crate) fn new(
        conn: MutexGuard<'a, Connection>,
        path: &'a Path,
        reader: &'a Mutex<Connection>,
        snapshots: &'a Snapshots,
    ) -> Self {
        Self {
            conn,
            path,
            reader,
            snapshots,
        }
    }

    pub(crate) fn sql(&self, err: rusqlite::Error) -> StoreError {
        StoreError::from_sqlite(self.path, err)
    }

    /// Creates a local user. The password is checked against `policy` and stored as argon2id.
    pub fn create_local_user(
        &mut self,
        user: &NewLocalUser,
        policy: &PasswordPolicy,
    ) -> Result<UserId> {
        let (name, key) = account_name(&user.account_name)?;
        let taken: bool = self
            .conn
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM users WHERE account_key = ?1)",
                [&key],
                |r| r.get(0),
            )
            .map_err(|e| self.sql(e))?;
        if taken {
            return Err(StoreError::AccountNameTaken(name));
        }
        let full_name = text_field("The full name", &user.full_name)?;
        let email = email_field(&user.email)?;
        let phone = text_field("The phone number", &user.phone)?;
        let department = text_field("The department", &user.department)?;
        let description = text_field("The description", &user.description)?;
        policy
            .check(&user.password, &name)
            .map_err(StoreError::WeakPassword)?;
        let hash = password::hash(&user.password).map_err(StoreError::Invalid)?;
        self.conn
            .execute(
                concat!(
                    "INSERT INTO users (id, account_name, account_key, auth_type, enabled,
                                        full_name, email, phone, department, description,
                                        password_hash)
                     VALUES (",
                    crate::ids::next_id!("users"),
                    ", ?1, ?2, 'local', ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
                ),
                params![
                    name,
                    key,
                    user.enabled,
                    full_name,
                    email,
                    phone,
                    department,
                    description,
                    hash
                ],
            )
            .map_err(|e| self.unique_to_taken(e, &name))?;
        let id = UserId(self.conn.last_insert_rowid());
        tracing::info!(user = id.0, "local user created");
        Ok(id)
    }

    fn unique_to_taken(&self, err: rusqlite::Error, name: &str) -> StoreError {
        if let rusqlite::Error::SqliteFailure(f, Some(msg)) = &err
            && f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
            && msg.contains("account_key")
        {
            return StoreError::AccountNameTaken(name.to_owned());
        }
        self.sql(err)
    }

    /// Saves the User properties dialog. Azure AD users: only the description may change.
    pub fn update_user(
        &mut self,
        id: UserId,
        edit: &LocalUserEdit,
        policy: &PasswordPolicy,
    ) -> Result<()> {
        let current = self.editable_fields(id)?;
        let description = text_field("The description", &edit.description)?;
        if auth_type(&current.kind) == AuthType::AzureAd {
            return self.update_azure_user(id, &current, edit, &description);
        }
        if edit.auth_type == AuthType::AzureAd {
            return Err(StoreError::ReadOnly(
                "users become Azure AD users only by being imported with Azure AD Synchronization"
                    .into(),
            ));
        }
        let (name, key) = account_name(&edit.account_name)?;
        let full_name = text_field("The full name", &edit.full_name)?;
        let email = email_field(&edit.email)?;
        let phone = text_field("The phone number", &edit.phone)?;
        let department = text_field("The department", &edit.department)?;
        let taken: bool = self
            .conn
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM users WHERE account_key = ?1 AND id <> ?2)",
                params![key, id.0],
                |r| r.get(0),
            )
            .map_err(|e| self.sql(e))?;
        if taken {
            return Err(StoreError::AccountNameTaken(name));
        }
        let hash = self.password_hash_after(id, edit, &name, policy)?;
        self.conn
            .execute(
                "UPDATE users SET account_name = ?2, account_key = ?3, auth_type = ?4,
                        enabled = ?5, full_name = ?6, email = ?7, phone = ?8, department = ?9,
                        description = ?10, password_hash = ?11,
                        updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now')
                 WHERE id = ?1",
                params![
                    id.0,
                    name,
                    key,
                    edit.auth_type.as_sql(),
                    edit.enabled,
                    full_name,
                    email,
                    phone,
                    department,
                    description,
                    hash
                ],
            )
            .map_err(|e| self.unique_to_taken(e, &name))?;
        Ok(())
    }

    /// The fields the dialog can change, as stored.
    fn editable_fields(&self, id: UserId) -> Result<EditableFields> {
        self.conn
            .query_row(
                "SELECT auth_type, account_name, enabled, full_name, email, phone, department
                 FROM users WHERE id = ?1",
                [id.0],
                |r| {
                    Ok(EditableFields {
                        kind: r.get(0)?,
                        account: r.get(1)?,
                        enabled: r.get(2)?,
                        full_name: r.get(3)?,
                        email: r.get(4)?,
                        phone: r.get(5)?,
                        department: r.get(6)?,
                    })
                },
            )
            .optional()
            .map_err(|e| self.sql(e))?
            .ok_or(StoreError::UserNotFound(id.0))
    }

    /// An Azure AD user: everything but the description comes from Entra ID.
    fn update_azure_user(
        &mut self,
        id: UserId,
        current: &EditableFields,
        edit: &LocalUserEdit,
        description: &str,
    ) -> Result<()> {
        let directory_owned = [
            (
                "account name",
                current.account.as_str(),
                edit.account_name.trim(),
            ),
            (
                "full name",
                current.full_name.as_str(),
                edit.full_name.trim(),
            ),
            ("e-mail address", current.email.as_str(), edit.email.trim()),
            ("phone number", current.phone.as_str(), edit.phone.trim()),
            (
                "department",
                current.department.as_str(),
                edit.department.trim(),
            ),
        ];
        if let Some((field, _, _)) = directory_owned.iter().find(|(_, old, new)| old != new) {
            return Err(StoreError::ReadOnly(format!(
                "the {field} of an Azure AD user comes from Entra ID and is read-only; change it in Entra ID and synchronize"
            )));
        }
        if edit.enabled != current.enabled {
            return Err(StoreError::ReadOnly(
                "whether an Azure AD user is enabled follows Entra ID; disable the account there and synchronize".into(),
            ));
        }
        if edit.auth_type != AuthType::AzureAd || edit.new_password.is_some() {
            return Err(StoreError::ReadOnly(
                "an Azure AD user always signs in with Azure Active Directory".into(),
            ));
        }
        self.conn
            .execute(
                "UPDATE users SET description = ?2,
                        updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now')
                 WHERE id = ?1",
                params![id.0, description],
            )
            .map_err(|e| self.sql(e))?;
        Ok(())
    }

    /// The password hash a local user keeps after the edit: a new password (checked against
    /// the policy), the current one, or none when switching to Active Directory.
    fn password_hash_after(
        &self,
        id: UserId,
        edit: &LocalUserEdit,
        name: &str,
        policy: &PasswordPolicy,
    ) -> Result<Option<String>> {
        match (edit.auth_type, &edit.new_password) {
            (AuthType::Local, Some(password)) => {
                policy
                    .check(password, name)
                    .map_err(StoreError::WeakPassword)?;
                Ok(Some(password::hash(password).map_err(StoreError::Invalid)?))
            }
            (AuthType::Local, None) => {
                let existing: Option<String> = self
                    .conn
                    .query_row(
                        "SELECT password_hash FROM users WHERE id = ?1",
                        [id.0],
                        |r| r.get(0),
                    )
                    .map_err(|e| self.sql(e))?;
                Ok(Some(existing.ok_or_else(|| {
                    StoreError::Invalid("set a password to make this a local user".into())
                })?))
            }
            _ => Ok(None),
        }
    }

    /// Deletes a user. Deleting an Azure AD user leaves a tombstone, so a later sync asks
    /// before importing the same person again.
    pub fn delete_user(&mut self, id: UserId) -> Result<()> {
        let n = self
            .conn
            .execute("DELETE FROM users WHERE id = ?1", [id.0])
            .map_err(|e| self.sql(e))?;
        if n == 0 {
            return Err(StoreError::UserNotFound(id.0));
        }
        tracing::info!(user = id.0, "user deleted");
        Ok(())
    }

    /// A read of the write connection, for callers that just wrote (sees their own writes).
    pub fn connection(&self) -> &Connection {
        &self.conn
    }
}

/// A user's fields the User properties dialog can change, as stored.
#[derive(Debug)]
struct EditableFields {
    kind: String,
    account: String,
    enabled: bool,
    full_name: String,
    email: String,
    phone: String,
    department: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_names() {
        let long = "x".repeat(MAX_ACCOUNT_NAME + 1);
        let cases: &[(&str, Option<(&str, &str)>)] = &[
            ("  alice  ", Some(("alice", "alice"))),
            (
                "Ärger@Contoso.com",
                Some(("Ärger@Contoso.com", "ärger@contoso.com")),
            ),
            ("\u{202e}evil", Some(("\u{202e}evil", "\u{202e}evil"))),
            (
                "<img src=x onerror=alert(1)>",
                Some((
                    "<img src=x onerror=alert(1)>",
                    "<img src=x onerror=alert(1)>",
                )),
            ),
            ("   ", None),
            ("a\tb", None),
            (&long, None),
        ];
        for (raw, expect) in cases {
            let got = account_name(raw).ok();
            let expect = expect.map(|(n, k)| (n.to_owned(), k.to_owned()));
            assert_eq!(got, expect, "{raw:?}");
        }
    }
}
