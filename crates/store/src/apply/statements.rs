//! The statements that write imported users (create, update, link a local user, the copy of
//! Entra ID's attributes), prepared once per apply.

use crate::changes::DirectoryUser;
use crate::ids::next_id;
use crate::model::UserType;
use crate::plan::ServerFields;
use rusqlite::{Statement, Transaction, params};

/// The statements that write imported users, prepared once per apply.
pub(super) struct UserStatements<'t> {
    insert: Statement<'t>,
    update: Statement<'t>,
    attributes: Statement<'t>,
    link: Statement<'t>,
}

impl<'t> UserStatements<'t> {
    pub(super) fn prepare(tx: &'t Transaction<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            insert: tx.prepare(concat!(
                "INSERT INTO users (id, account_name, account_key, auth_type, enabled, full_name,
                                    email, phone, department)
                 VALUES (",
                next_id!("users"),
                ", ?1, ?2, 'azure_ad', ?3, ?4, ?5, ?6, ?7)"
            ))?,
            update: tx.prepare(
                "UPDATE users SET account_name = ?2, account_key = ?3, enabled = ?4,
                        full_name = ?5, email = ?6, phone = ?7, department = ?8,
                        updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now')
                 WHERE id = ?1",
            )?,
            attributes: tx.prepare(
                "INSERT INTO azure_users (user_id, tenant_id, object_id, user_principal_name,
                display_name, given_name, surname, mail, job_title, department, office_location,
                mobile_phone, business_phones, user_type, account_enabled, created_in_entra_at,
                on_premises_sync_enabled, last_synchronized_at, deleted_in_directory,
                deleted_detected_at, imported_via)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,
                 strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), NULL, NULL, ?18)
         ON CONFLICT (user_id) DO UPDATE SET
                user_principal_name = excluded.user_principal_name,
                display_name = excluded.display_name, given_name = excluded.given_name,
                surname = excluded.surname, mail = excluded.mail, job_title = excluded.job_title,
                department = excluded.department, office_location = excluded.office_location,
                mobile_phone = excluded.mobile_phone, business_phones = excluded.business_phones,
                user_type = excluded.user_type, account_enabled = excluded.account_enabled,
                created_in_entra_at = excluded.created_in_entra_at,
                on_premises_sync_enabled = excluded.on_premises_sync_enabled,
                last_synchronized_at = excluded.last_synchronized_at,
                deleted_in_directory = NULL, deleted_detected_at = NULL,
                imported_via = excluded.imported_via",
            )?,
            // Azure AD users sign in through Entra ID: the local password goes (the database
            // requires it of every user that is not local).
            link: tx.prepare(
                "UPDATE users SET auth_type = 'azure_ad', password_hash = NULL,
                        account_name = ?2, account_key = ?3, enabled = ?4,
                        full_name = ?5, email = ?6, phone = ?7, department = ?8,
                        updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now')
                 WHERE id = ?1 AND auth_type = 'local'",
            )?,
        })
    }

    /// The user's copy of Entra ID's attributes (inserted, or replacing the stored one).
    pub(super) fn write_attributes(
        &mut self,
        user_id: i64,
        tenant_id: &str,
        user: &DirectoryUser,
        fields: &ServerFields,
    ) -> rusqlite::Result<usize> {
        self.attributes.execute(params![
            user_id,
            tenant_id,
            user.object_id,
            fields.upn,
            user.display_name,
            user.given_name,
            user.surname,
            user.mail,
            user.job_title,
            user.department,
            user.office_location,
            user.mobile_phone,
            serde_json::to_string(&user.business_phones).unwrap_or_else(|_| "[]".into()),
            user.user_type.unwrap_or(UserType::Member).as_sql(),
            user.account_enabled,
            user.created_in_entra_at,
            user.on_premises_sync_enabled,
            user.imported_via,
        ])
    }

    pub(super) fn create(&mut self, fields: &ServerFields) -> rusqlite::Result<usize> {
        self.insert.execute(params![
            fields.account_name,
            fields.account_key,
            fields.enabled,
            fields.full_name,
            fields.email,
            fields.phone,
            fields.department
        ])
    }

    pub(super) fn update(
        &mut self,
        user_id: i64,
        fields: &ServerFields,
    ) -> rusqlite::Result<usize> {
        self.server_fields(false, user_id, fields)
    }

    /// Turns the local user `user_id` into an Azure AD user with `fields`.
    pub(super) fn link(&mut self, user_id: i64, fields: &ServerFields) -> rusqlite::Result<usize> {
        match self.server_fields(true, user_id, fields)? {
            1 => Ok(1),
            // The plan saw a local user in this very transaction.
            _ => Err(rusqlite::Error::QueryReturnedNoRows),
        }
    }

    fn server_fields(
        &mut self,
        link: bool,
        user_id: i64,
        fields: &ServerFields,
    ) -> rusqlite::Result<usize> {
        let statement = if link {
            &mut self.link
        } else {
            &mut self.update
        };
        statement.execute(params![
            user_id,
            fields.account_name,
            fields.account_key,
            fields.enabled,
            fields.full_name,
            fields.email,
            fields.phone,
            fields.department
        ])
    }
}
