//! Tauri command adapters, one module per area; each command mirrors an `aadsync_ipc` type.

mod app;
mod audit;
mod backups;
mod connection;
mod consent;
mod errors;
mod exports;
mod listing;
mod orgs;
mod register;
mod registration;
mod rows;
mod schedule;
mod scope;
mod sync;
mod users;

/// Declares the handlers once, producing both Tauri's invoke handler and the list of names
/// that a test compares with `aadsync_ipc::COMMANDS`.
macro_rules! app_commands {
    ($($module:ident :: $name:ident),* $(,)?) => {
        /// Names of the registered handlers, in registration order.
        #[cfg_attr(not(test), allow(dead_code))]
        pub const REGISTERED: &[&str] = &[$(stringify!($name)),*];

        pub fn handler<R: tauri::Runtime>()
        -> impl Fn(tauri::ipc::Invoke<R>) -> bool + Send + Sync + 'static {
            tauri::generate_handler![$($module::$name),*]
        }
    };
}

app_commands![
    app::app_status,
    schedule::get_schedule,
    schedule::add_schedule,
    schedule::remove_schedule,
    schedule::schedule_notices,
    users::list_users,
    users::get_user,
    users::create_local_user,
    users::update_user,
    users::delete_user,
    users::reverse_decision,
    orgs::list_organizations,
    orgs::start_sign_in,
    orgs::finish_sign_in,
    orgs::cancel_sign_in,
    orgs::cancel_starting_sign_in,
    consent::admin_consent_hint,
    register::start_registration,
    register::confirm_registration,
    register::cancel_registration,
    orgs::connect_organization,
    registration::check_registration,
    orgs::remove_organization,
    orgs::set_deletion_threshold,
    listing::start_listing,
    listing::listing_page,
    scope::saved_scope,
    sync::plan_sync,
    sync::plan_progress,
    sync::start_sync,
    sync::sync_status,
    sync::cancel_sync,
    sync::export_run,
    audit::list_runs,
    audit::run_items,
    audit::undo_preview,
    audit::undo_run,
    backups::list_backups,
    backups::backup_now,
    backups::restore_backup,
    audit::export_audit,
    exports::reveal_export,
];

#[cfg(test)]
mod tests {
    use super::REGISTERED;

    #[test]
    fn every_contract_command_has_a_handler_and_vice_versa() {
        assert_eq!(REGISTERED, aadsync_ipc::COMMANDS);
    }

    #[test]
    fn capability_grants_exactly_the_app_commands() {
        let text = include_str!("../../capabilities/main.json");
        let json: serde_json::Value = serde_json::from_str(text).unwrap_or_default();
        let mut granted: Vec<String> = json["permissions"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|p| p.as_str().map(str::to_owned))
            .collect();
        granted.sort();
        let mut expected: Vec<String> = aadsync_ipc::COMMANDS
            .iter()
            .map(|name| format!("allow-{}", name.replace('_', "-")))
            .collect();
        expected.sort();
        assert_eq!(
            granted, expected,
            "capabilities/main.json must grant only app commands"
        );
    }
}
