//! `--link` and `--import-as`: the administrator's resolutions of account-name conflicts, named
//! by object ID or UPN on the command line and turned into the run's resolutions by object ID.

use crate::exit::CliError;
use aadsync_store::{ConflictResolution, DirectoryUser};
use aadsync_sync::run::PlannedRun;
use std::collections::BTreeMap;

/// `KEY=VALUE` of `--link` and `--import-as`: the user (object ID or UPN) and the account.
pub fn pair(raw: &str) -> Result<(String, String), String> {
    match raw.split_once('=') {
        Some((user, account)) if !user.trim().is_empty() && !account.trim().is_empty() => {
            Ok((user.trim().to_owned(), account.trim().to_owned()))
        }
        _ => Err(format!(
            "expected <object-id-or-upn>=<account name>, got {raw:?}"
        )),
    }
}

/// The resolutions the flags ask for, as the command line gives them.
#[derive(Debug, Clone, Default)]
pub struct Requested {
    /// (user, local account) of each `--link`.
    pub links: Vec<(String, String)>,
    /// (user, new account name) of each `--import-as`.
    pub import_as: Vec<(String, String)>,
}

fn names(user: &DirectoryUser, key: &str) -> bool {
    user.object_id.eq_ignore_ascii_case(key)
        || user
            .user_principal_name
            .as_deref()
            .is_some_and(|upn| upn.trim().to_lowercase() == key.to_lowercase())
}

/// The resolutions by object ID; a flag naming no user of this run, or a user without an open
/// conflict, is refused (a typo must not quietly leave the conflict as it is).
pub fn resolutions(
    planned: &PlannedRun,
    requested: &Requested,
) -> Result<BTreeMap<String, ConflictResolution>, CliError> {
    let mut out = BTreeMap::new();
    let links = requested.links.iter().map(|(user, account)| {
        let link = ConflictResolution::Link {
            local_account: account.clone(),
        };
        ("--link", user, link)
    });
    let import_as = requested.import_as.iter().map(|(user, account)| {
        let import_as = ConflictResolution::ImportAs {
            account_name: account.clone(),
        };
        ("--import-as", user, import_as)
    });
    for (flag, key, resolution) in links.chain(import_as) {
        let Some(user) = planned.changes.users.iter().find(|u| names(u, key)) else {
            return Err(CliError::failed(format!(
                "{flag} {key}: no user of this synchronization has that object ID or user principal name; nothing was written"
            )));
        };
        // Only an open conflict is resolved: a flag on any other user would rename it or be
        // ignored, neither of which the administrator asked for.
        if !planned
            .plan
            .conflicts
            .iter()
            .any(|c| c.object_id == user.object_id)
        {
            return Err(CliError::failed(format!(
                "{flag} {key}: this user has no account-name conflict in this synchronization; nothing was written"
            )));
        }
        if out.insert(user.object_id.clone(), resolution).is_some() {
            return Err(CliError::failed(format!(
                "{key} is resolved twice (--link and --import-as name the same user); nothing was written"
            )));
        }
    }
    Ok(out)
}

/// The conflicts of a plan that `resolved` leaves open and the flags that resolve them, one
/// line each.
pub fn hints(planned: &PlannedRun, resolved: &BTreeMap<String, ConflictResolution>) -> Vec<String> {
    planned
        .plan
        .conflicts
        .iter()
        .filter(|c| !resolved.contains_key(&c.object_id))
        .map(|c| {
            let link = if c.linkable {
                format!(
                    "--link {0}={0} (it becomes that local user) or ",
                    c.account_name
                )
            } else {
                String::new()
            };
            format!(
                "Conflict: {} ({}): the account name is used by another user; resolve with {link}--import-as {}=<another account name>",
                c.display_name, c.object_id, c.object_id
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_are_split_at_the_first_equals_sign() {
        assert_eq!(
            pair(" ann@contoso.com = ann "),
            Ok(("ann@contoso.com".into(), "ann".into()))
        );
        assert_eq!(pair("o-1=a=b"), Ok(("o-1".into(), "a=b".into())));
        for bad in ["ann", "=ann", "ann=", " = "] {
            assert!(pair(bad).is_err(), "{bad}");
        }
    }
}
