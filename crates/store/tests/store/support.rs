//! Shared fixtures: a fresh database file, directory users to apply, and a dump of every row
//! to compare a database with itself before and after.

use aadsync_keystore::SecretString;
use aadsync_store::{
    CloudKind, DirectoryChanges, DirectoryGroup, DirectoryUser, NewLocalUser, NewOrganization,
    OpenOptions, RunInfo, Store,
};
use rusqlite::Connection;
use std::collections::BTreeMap;
use std::time::Duration;

pub const TENANT: &str = "3f1c2e2a-5d0b-4a4f-9f3e-2b8c6a7d9e10";

pub struct Db {
    pub dir: tempfile::TempDir,
    pub store: Store,
}

pub fn fresh() -> Db {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(&dir.path().join("users.sqlite3"), &quick()).expect("open");
    Db { dir, store }
}

/// A fresh database with Contoso saved and the local user carl: what the server holds before a
/// first synchronization.
pub fn contoso_with_carl() -> Db {
    let db = fresh();
    db.store
        .writer()
        .save_organization(&contoso())
        .expect("org");
    db.store
        .writer()
        .create_local_user(&local("carl"), &aadsync_store::PasswordPolicy::default())
        .expect("carl");
    db
}

pub fn quick() -> OpenOptions {
    OpenOptions {
        busy_timeout: Duration::from_millis(200),
    }
}

pub fn local(account: &str) -> NewLocalUser {
    NewLocalUser {
        account_name: account.into(),
        full_name: format!("{account} Example"),
        email: format!("{}@example.org", account.trim()),
        phone: "+1 555 0100".into(),
        department: "IT".into(),
        description: String::new(),
        enabled: true,
        password: SecretString::new("Correct-Horse-9"),
    }
}

pub fn entra_user(object_id: &str, upn: &str, name: &str) -> DirectoryUser {
    DirectoryUser {
        object_id: object_id.into(),
        user_principal_name: Some(upn.into()),
        display_name: name.into(),
        given_name: name.split(' ').next().map(Into::into),
        surname: name.split(' ').nth(1).map(Into::into),
        mail: Some(upn.into()),
        job_title: Some("Engineer".into()),
        department: Some("R&D".into()),
        office_location: Some("Building 4".into()),
        mobile_phone: None,
        business_phones: vec!["+1 425 555 0109".into()],
        user_type: None,
        account_enabled: true,
        created_in_entra_at: Some("2024-03-01T09:00:00Z".into()),
        on_premises_sync_enabled: Some(false),
        imported_via: String::new(),
    }
}

pub fn entra_group(object_id: &str, name: &str, members: &[&str]) -> DirectoryGroup {
    DirectoryGroup {
        object_id: object_id.into(),
        display_name: name.into(),
        description: Some(format!("{name} team")),
        mail: None,
        mail_enabled: false,
        security_enabled: true,
        group_types: vec![],
        members: Some(members.iter().map(|m| (*m).to_owned()).collect()),
        members_unreadable: None,
    }
}

/// This test binary run again for `test` alone, in a process of its own: for a test that a
/// kill, a second writer or process-wide state must not share with the others.
pub fn alone(test: &str) -> std::process::Command {
    let mut command = std::process::Command::new(std::env::current_exe().expect("test binary"));
    command.args(["--exact", test, "--nocapture", "--test-threads=1"]);
    command
}

pub fn run() -> RunInfo {
    RunInfo {
        tenant_id: TENANT.into(),
        started_by: "admin@contoso.com".into(),
    }
}

pub fn changes(users: Vec<DirectoryUser>, groups: Vec<DirectoryGroup>) -> DirectoryChanges {
    DirectoryChanges {
        users,
        groups,
        removals: vec![],
        delta: None,
        ..DirectoryChanges::default()
    }
}

/// The organization the test tenant belongs to, as a sign-in saves it.
pub fn contoso() -> NewOrganization {
    NewOrganization {
        tenant_id: TENANT.to_uppercase(),
        display_name: "Contoso".into(),
        primary_domain: "contoso.com".into(),
        cloud: CloudKind::Global,
        authority_url: "https://login.microsoftonline.com".into(),
        graph_url: "https://graph.microsoft.com".into(),
        client_id: "2F5E7C1A-9B3D-4E8F-A6C2-1D4B8E9F0A37".into(),
        admin_upn: "admin@contoso.com".into(),
        admin_object_id: "0f0e0d0c-0000-4000-8000-000000000002".into(),
        demo: false,
    }
}

/// Every row of every table of the `main` schema (the schema itself included, as
/// `sqlite_schema`), each row rendered as text and the rows sorted, so two dumps are equal
/// exactly when the databases hold the same data. TEMP objects a test adds are not in it.
pub type Dump = BTreeMap<String, Vec<String>>;

pub fn dump(conn: &Connection) -> Dump {
    aadsync_testenv::db::dump_connection(conn)
        .expect("dump")
        .tables
}

/// Asserts two dumps are equal, table by table, so a failure names the table that differs.
pub fn assert_same(actual: &Dump, expected: &Dump, what: &str) {
    let tables: std::collections::BTreeSet<&String> =
        actual.keys().chain(expected.keys()).collect();
    for table in tables {
        assert_eq!(
            actual.get(table),
            expected.get(table),
            "{what}: table {table} differs"
        );
    }
}

/// [`dump`] of a database file no one has open (read-only: looking changes nothing).
pub fn dump_file(path: &std::path::Path) -> Dump {
    aadsync_testenv::db::dump(path).expect("dump").tables
}
