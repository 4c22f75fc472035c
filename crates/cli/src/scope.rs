//! `aadsync scope`: an organization's saved scope, and the roots `sync --remove` may take out.

use crate::exit::{CliError, CliResult};
use aadsync_store::{ObjectKind, Organization, SavedRoot, Store};

fn roots(store: &Store, org: &Organization) -> Result<Vec<SavedRoot>, CliError> {
    store
        .reader()
        .saved_scope(&org.tenant_id)
        .map_err(CliError::failed)
}

/// One line per root: kind and flags, name, object ID, users reached; or JSON.
pub fn list(store: &Store, org: &Organization, json: bool) -> CliResult {
    let roots = roots(store, org)?;
    if json {
        say!(
            "{}",
            serde_json::to_string_pretty(&roots).map_err(CliError::failed)?
        );
        return Ok(());
    }
    if roots.is_empty() {
        say!("No saved scope yet: the first `aadsync sync --user … / --group …` saves one.");
        return Ok(());
    }
    for r in &roots {
        say!(
            "{:<38}  {:<36}  {}  ({} imported user{} in scope through it)",
            r.root().describe(),
            r.object_id,
            if r.display_name.is_empty() {
                "(not imported)"
            } else {
                r.display_name.as_str()
            },
            r.users_reached,
            if r.users_reached == 1 { "" } else { "s" }
        );
    }
    say!("{}", summary(&roots));
    Ok(())
}

/// "Saved scope: 3 groups with members, 1 group, 2 users".
pub fn summary(roots: &[SavedRoot]) -> String {
    let count = |pred: &dyn Fn(&SavedRoot) -> bool| roots.iter().filter(|r| pred(r)).count();
    let parts = [
        (
            count(&|r| r.kind == ObjectKind::Group && r.members),
            "group with members",
            "groups with members",
        ),
        (
            count(&|r| r.kind == ObjectKind::Group && !r.members),
            "group",
            "groups",
        ),
        (count(&|r| r.kind == ObjectKind::User), "user", "users"),
    ];
    let text: Vec<String> = parts
        .iter()
        .filter(|(n, ..)| *n > 0)
        .map(|(n, one, many)| format!("{n} {}", if *n == 1 { one } else { many }))
        .collect();
    format!("Saved scope: {}", text.join(", "))
}

/// `ids` when each names a saved root (compared case-insensitively, as Graph's IDs are), as
/// stored; otherwise an error naming the first that does not, and nothing runs.
pub fn saved_roots(
    store: &Store,
    org: &Organization,
    ids: Vec<String>,
) -> Result<Vec<String>, CliError> {
    if ids.is_empty() {
        return Ok(ids);
    }
    let roots = roots(store, org)?;
    ids.iter()
        .map(|id| {
            roots
                .iter()
                .find(|r| r.object_id.eq_ignore_ascii_case(id.trim()))
                .map(|r| r.object_id.clone())
                .ok_or_else(|| {
                    CliError::from(format!(
                        "{id} is not in the saved scope of this organization; see: aadsync scope --org …"
                    ))
                })
        })
        .collect()
}
