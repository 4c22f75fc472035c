//! `aadsync backup`, `aadsync backups` and `aadsync restore-backup`: the one full backup, the
//! files a restore accepts, and restoring one as a whole.

use crate::exit::{CliError, CliResult, Exit};
use aadsync_store::Store;
use std::path::Path;

/// `aadsync backup`: writes the backup and prints its path (alone, for scripts).
pub fn backup(store: &Store) -> CliResult {
    let path = store.writer().backup().map_err(CliError::failed)?;
    say!("{}", path.display());
    Ok(())
}

/// `aadsync backups`: newest first.
pub fn list(store: &Store, json: bool) -> CliResult {
    let backups = store.backups().map_err(CliError::failed)?;
    if json {
        say!(
            "{}",
            serde_json::to_string_pretty(&backups).map_err(CliError::failed)?
        );
        return Ok(());
    }
    if backups.is_empty() {
        say!("No backups yet: `aadsync backup` writes one.");
    }
    for b in backups {
        say!(
            "{:<8}  {}  {:>12} bytes  {}",
            b.kind.as_str(),
            b.taken_at,
            b.bytes,
            b.path.display()
        );
    }
    Ok(())
}

/// `aadsync restore-backup`: without `yes`, what the restore would do; with it, the restore.
pub fn restore(store: &Store, path: &Path, yes: bool) -> CliResult {
    let file = store.backup_at(path).map_err(CliError::failed)?;
    let kind = file.kind.as_str();
    if !yes {
        say!(
            "Restoring the {kind} {} (taken {}) replaces this database's users (local ones too), groups, memberships, tombstones and scope with the {kind}'s, and sets the decisions in force back to the {kind}'s. Organizations and the audit log are kept, the restore is recorded as a new run, and the next synchronization of each organization compares everything. Run again with --yes to do it.",
            file.path.display(),
            file.taken_at
        );
        return Err(CliError::new(Exit::PreviewOnly, "not restored (no --yes)"));
    }
    let by = std::env::var("USER").unwrap_or_else(|_| "aadsync CLI".into());
    let run = store
        .writer()
        .restore_backup(path, &by)
        .map_err(CliError::failed)?;
    say!(
        "Restored the {kind} {} (recorded as run #{run}).",
        file.path.display()
    );
    Ok(())
}
