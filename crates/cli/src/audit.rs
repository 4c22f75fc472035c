//! `aadsync runs`, `aadsync undo` and `aadsync reverse-decision`: the audit log, undoing the
//! last synchronization, and reversing an administrator's decision.

use crate::exit::{CliError, CliResult};
use aadsync_store::Store;

/// `aadsync runs`: every run, newest first.
pub fn runs(store: &Store, json: bool) -> CliResult {
    let runs = store.reader().runs().map_err(CliError::failed)?;
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&runs).map_err(CliError::failed)?
        );
        return Ok(());
    }
    if runs.is_empty() {
        println!("No synchronizations yet.");
    }
    for r in runs {
        println!(
            "#{:<4} {:<5} {:<10} {}  {:<24} by {}: {} created, {} updated, {} unchanged, {} disabled, {} deleted, {} failed{}",
            r.id,
            r.kind,
            r.status,
            r.started_at,
            r.organization.as_deref().unwrap_or(&r.tenant_id),
            r.started_by,
            r.created,
            r.updated,
            r.unchanged,
            r.disabled,
            r.deleted,
            r.failed,
            r.message.map(|m| format!(" — {m}")).unwrap_or_default()
        );
    }
    Ok(())
}

/// `aadsync undo`: without `yes`, what would be lost; with it, the undo.
pub fn undo(store: &Store, run: i64, yes: bool) -> CliResult {
    let preview = store.writer().undo_preview(run).map_err(CliError::failed)?;
    let lost = if preview.later_user_changes > 0 {
        format!(
            " {} user(s) created or edited on the server since then will be lost too.",
            preview.later_user_changes
        )
    } else {
        String::new()
    };
    if !yes {
        println!(
            "Undoing run #{run} restores the database as it was before it ({} created, {} updated, {} disabled, {} deleted).{lost} Run again with --yes to do it.",
            preview.run.created, preview.run.updated, preview.run.disabled, preview.run.deleted
        );
        return Err("not undone (no --yes)".to_owned().into());
    }
    let by = std::env::var("USER").unwrap_or_else(|_| "aadsync CLI".into());
    let undo = store
        .writer()
        .undo_run(run, &by)
        .map_err(CliError::failed)?;
    println!("Run #{run} undone (recorded as run #{undo}).{lost}");
    Ok(())
}

/// `aadsync reverse-decision`: the decision in force about the user is reversed by the
/// operating-system account running the command.
pub fn reverse_decision(store: &Store, org: &aadsync_store::Organization, user: &str) -> CliResult {
    let tenant = org.tenant_id.to_lowercase();
    let object_id = store
        .reader()
        .azure_user_id(&tenant, user)
        .map_err(CliError::failed)?
        .ok_or_else(|| format!("no user {user:?} was imported from this organization"))?;
    let by = std::env::var("USER").unwrap_or_else(|_| "aadsync CLI".into());
    store
        .writer()
        .reverse_decision(&tenant, &object_id, &by)
        .map_err(CliError::failed)?;
    println!("Decision about {user} reversed: the user follows Entra ID again.");
    Ok(())
}
