//! Users area and User properties dialog: adapters over `aadsync_store`.

use crate::commands::errors::{blocking, to_ipc};
use crate::state::AppState;
use aadsync_ipc as ipc;
use aadsync_ipc::IpcError;
use aadsync_keystore::SecretString;
use aadsync_store as store;
use aadsync_store::view::{SortKey, UserQuery};
use aadsync_store::{PasswordPolicy, UserId};
use tauri::State;

#[tauri::command]
pub async fn list_users(
    state: State<'_, AppState>,
    args: ipc::UserQuery,
) -> Result<ipc::UserPage, IpcError> {
    let database = state.inner().database_handle();
    blocking(move || {
        let index = database.index().map_err(to_ipc)?;
        let page = index.query(&UserQuery {
            filter: args.filter,
            sort: sort_key(args.sort),
            descending: args.descending,
            offset: args.offset as usize,
            limit: args.limit.min(2000) as usize,
        });
        Ok(ipc::UserPage {
            total: page.total as u32,
            offset: page.offset as u32,
            rows: page.rows.iter().map(row).collect(),
            all: index.len() as u32,
        })
    })
    .await
}

#[tauri::command]
pub async fn get_user(
    state: State<'_, AppState>,
    args: ipc::UserRef,
) -> Result<ipc::UserDetails, IpcError> {
    let database = state.inner().database_handle();
    blocking(move || {
        let store = database.store().map_err(to_ipc)?;
        let details = store.reader().user(UserId(args.id)).map_err(to_ipc)?;
        Ok(user_details(details))
    })
    .await
}

#[tauri::command]
pub async fn create_local_user(
    state: State<'_, AppState>,
    args: ipc::NewLocalUser,
) -> Result<ipc::UserRef, IpcError> {
    let database = state.inner().database_handle();
    blocking(move || {
        let store = database.store().map_err(to_ipc)?;
        let user = new_local_user(args);
        let id = store
            .writer()
            .create_local_user(&user, &PasswordPolicy::default())
            .map_err(to_ipc)?;
        database.changed();
        Ok(ipc::UserRef { id: id.0 })
    })
    .await
}

#[tauri::command]
pub async fn update_user(
    state: State<'_, AppState>,
    args: ipc::UserUpdate,
) -> Result<(), IpcError> {
    let database = state.inner().database_handle();
    blocking(move || {
        let store = database.store().map_err(to_ipc)?;
        let (id, edit) = local_user_edit(args);
        store
            .writer()
            .update_user(id, &edit, &PasswordPolicy::default())
            .map_err(to_ipc)?;
        database.changed();
        Ok(())
    })
    .await
}

#[tauri::command]
pub async fn delete_user(state: State<'_, AppState>, args: ipc::UserRef) -> Result<(), IpcError> {
    let database = state.inner().database_handle();
    blocking(move || {
        let store = database.store().map_err(to_ipc)?;
        store
            .writer()
            .delete_user(UserId(args.id))
            .map_err(to_ipc)?;
        database.changed();
        Ok(())
    })
    .await
}

fn sort_key(column: ipc::SortColumn) -> SortKey {
    match column {
        ipc::SortColumn::Account => SortKey::Account,
        ipc::SortColumn::Authentication => SortKey::Authentication,
        ipc::SortColumn::UserPrincipalName => SortKey::UserPrincipalName,
        ipc::SortColumn::State => SortKey::State,
        ipc::SortColumn::FullName => SortKey::FullName,
        ipc::SortColumn::Email => SortKey::Email,
        ipc::SortColumn::Department => SortKey::Department,
        ipc::SortColumn::LastSynchronized => SortKey::LastSynchronized,
    }
}

fn authentication(kind: store::AuthType) -> ipc::Authentication {
    match kind {
        store::AuthType::Local => ipc::Authentication::Local,
        store::AuthType::ActiveDirectory => ipc::Authentication::ActiveDirectory,
        store::AuthType::AzureAd => ipc::Authentication::AzureActiveDirectory,
    }
}

fn auth_type(kind: ipc::Authentication) -> store::AuthType {
    match kind {
        ipc::Authentication::Local => store::AuthType::Local,
        ipc::Authentication::ActiveDirectory => store::AuthType::ActiveDirectory,
        ipc::Authentication::AzureActiveDirectory => store::AuthType::AzureAd,
    }
}

fn row(r: &store::UserRow) -> ipc::UserRow {
    ipc::UserRow {
        id: r.id.0,
        account_name: r.account_name.clone(),
        authentication: authentication(r.auth_type),
        user_principal_name: r.user_principal_name.clone(),
        state: store::view::state_label(r).to_owned(),
        enabled: r.enabled,
        guest: r.user_type == Some(store::UserType::Guest),
        full_name: r.full_name.clone(),
        email: r.email.clone(),
        department: r.department.clone(),
        last_synchronized: r.last_synchronized_at.clone(),
    }
}

/// The New user dialog's arguments; the password becomes a `SecretString` here.
fn new_local_user(args: ipc::NewLocalUser) -> store::NewLocalUser {
    store::NewLocalUser {
        account_name: args.account_name,
        full_name: args.full_name,
        email: args.email,
        phone: args.phone,
        department: args.department,
        description: args.description,
        enabled: args.enabled,
        password: SecretString::new(args.password.into_exposed()),
    }
}

/// The User properties dialog's arguments; an empty new password keeps the current one.
fn local_user_edit(args: ipc::UserUpdate) -> (UserId, store::LocalUserEdit) {
    let edit = store::LocalUserEdit {
        account_name: args.account_name,
        full_name: args.full_name,
        email: args.email,
        phone: args.phone,
        department: args.department,
        description: args.description,
        enabled: args.enabled,
        auth_type: auth_type(args.authentication),
        new_password: args
            .new_password
            .filter(|p| !p.is_empty())
            .map(|p| SecretString::new(p.into_exposed())),
    };
    (UserId(args.id), edit)
}

fn user_details(d: store::UserDetails) -> ipc::UserDetails {
    ipc::UserDetails {
        id: d.id.0,
        account_name: d.account_name,
        authentication: authentication(d.auth_type),
        enabled: d.enabled,
        full_name: d.full_name,
        email: d.email,
        phone: d.phone,
        department: d.department,
        description: d.description,
        created: d.created_at,
        updated: d.updated_at,
        has_password: d.has_password,
        member_of: d
            .member_of
            .into_iter()
            .map(|g| ipc::GroupMembership {
                id: g.id,
                name: g.name,
                from_azure_ad: g.from_azure_ad,
            })
            .collect(),
        azure: d.azure.map(|a| ipc::AzureAttributes {
            object_id: a.object_id,
            tenant_id: a.tenant_id,
            organization: a.organization,
            user_principal_name: a.user_principal_name,
            display_name: a.display_name,
            given_name: a.given_name,
            surname: a.surname,
            mail: a.mail,
            job_title: a.job_title,
            department: a.department,
            office_location: a.office_location,
            mobile_phone: a.mobile_phone,
            business_phones: a.business_phones,
            user_type: a.user_type.as_sql().to_owned(),
            account_enabled: a.account_enabled,
            created_in_entra: a.created_in_entra_at,
            on_premises_synced: a.on_premises_sync_enabled,
            last_synchronized: a.last_synchronized_at,
            deleted_in_directory: a.deleted_in_directory.map(|d| {
                match d {
                    store::DirectoryDeletion::SoftDeleted => "Deleted (restorable)",
                    store::DirectoryDeletion::HardDeleted => "Deleted permanently",
                }
                .to_owned()
            }),
            scope: scope_lines(&a.scope),
            decision: a.decision.as_ref().map(decision_line),
            imported_via: a.imported_via,
        }),
    }
}

/// The scope reasons as the Azure AD tab lists them.
fn scope_lines(reasons: &[store::Reason]) -> Vec<String> {
    reasons
        .iter()
        .map(|r| {
            if r.path.is_empty() {
                "Selected directly".to_owned()
            } else {
                format!("Member of {}", r.path)
            }
        })
        .collect()
}

/// The decision in force as one line.
fn decision_line(d: &store::StandingDecision) -> String {
    let action = match d.action {
        store::DecisionAction::Keep => "Kept on this server",
        store::DecisionAction::Disable => "Disabled on this server",
        store::DecisionAction::Delete => "Deleted on this server",
    };
    let finding = d.finding.describe();
    format!(
        "{action} ({finding}) by {} on {}",
        d.decided_by, d.decided_at
    )
}

#[tauri::command]
pub async fn reverse_decision(
    state: State<'_, AppState>,
    args: ipc::UserRef,
) -> Result<(), IpcError> {
    let database = state.database_handle();
    let azure = {
        let database = state.database_handle();
        blocking(move || {
            let store = database.store().map_err(to_ipc)?;
            let details = store.reader().user(UserId(args.id)).map_err(to_ipc)?;
            details.azure.ok_or_else(|| {
                IpcError::invalid_input("Only Azure AD users have decisions to reverse")
            })
        })
        .await?
    };
    let by = state.signins.actor(Some(&azure.tenant_id));
    blocking(move || {
        let store = database.store().map_err(to_ipc)?;
        store
            .writer()
            .reverse_decision(&azure.tenant_id, &azure.object_id, &by)
            .map_err(to_ipc)?;
        database.changed();
        Ok(())
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use aadsync_ipc::Password;

    const FIRST: &str = "Ipc-Scan-First-5e8c1a";
    const SECOND: &str = "Ipc-Scan-Second-90d7f4";

    fn payload<T: serde::Serialize>(args: &T) -> serde_json::Value {
        serde_json::json!({ ipc::ARGS_KEY: args })
    }

    fn args_of<T: serde::de::DeserializeOwned>(payload: serde_json::Value) -> T {
        serde_json::from_value(payload[ipc::ARGS_KEY].clone()).expect("args")
    }

    /// A password reaches the backend in the one payload that carries it, and no answer the
    /// frontend can get about the user (its row, its properties) carries it back; `Debug` of
    /// the arguments on either side shows neither password (issue 14, item 8).
    #[test]
    fn a_password_crosses_ipc_once_and_never_comes_back() {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = store::Store::open(
            &dir.path().join("users.sqlite3"),
            &store::OpenOptions::default(),
        )
        .expect("open");
        let policy = PasswordPolicy::default();

        // What the New user dialog sends (the frontend serialises ipc::NewLocalUser).
        let sent = payload(&ipc::NewLocalUser {
            account_name: "jdoe".into(),
            full_name: "Jane Doe".into(),
            email: "jdoe@example.org".into(),
            phone: String::new(),
            department: String::new(),
            description: String::new(),
            enabled: true,
            password: Password::new(FIRST),
        });
        assert!(sent.to_string().contains(FIRST), "the one trip: {sent}");
        let args: ipc::NewLocalUser = args_of(sent);
        let user = new_local_user(args);
        let id = db
            .writer()
            .create_local_user(&user, &policy)
            .expect("create");

        let sent = payload(&ipc::UserUpdate {
            id: id.0,
            account_name: "jdoe".into(),
            full_name: "Jane Doe".into(),
            email: "jdoe@example.org".into(),
            phone: String::new(),
            department: String::new(),
            description: String::new(),
            enabled: true,
            authentication: ipc::Authentication::Local,
            new_password: Some(Password::new(SECOND)),
        });
        let args: ipc::UserUpdate = args_of(sent);
        let printed = format!("{args:?} {user:?}");
        let (id, edit) = local_user_edit(args);
        let printed = format!("{printed} {edit:?}");
        db.writer().update_user(id, &edit, &policy).expect("update");
        assert!(
            db.reader()
                .password_matches(id, &SecretString::new(SECOND))
                .expect("verify")
        );

        let details = user_details(db.reader().user(id).expect("user"));
        assert!(details.has_password);
        let rows = db.reader().user_rows().expect("rows");
        let answers = format!(
            "{} {} {}",
            serde_json::to_string(&ipc::UserRef { id: id.0 }).expect("json"),
            serde_json::to_string(&details).expect("json"),
            serde_json::to_string(&rows.iter().map(row).collect::<Vec<_>>()).expect("json"),
        );
        assert!(answers.contains("jdoe"), "{answers}");
        for secret in [FIRST, SECOND] {
            assert!(!answers.contains(secret), "an answer carries it: {answers}");
            assert!(!printed.contains(secret), "Debug shows it: {printed}");
        }
    }
}
