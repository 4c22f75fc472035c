//! `aadsync runs`, `aadsync undo` and `aadsync reverse-decision`: the audit log, undoing the
//! last synchronization, and reversing an administrator's decision.

use crate::exit::{CliError, CliResult};
use aadsync_store::{Resolution, Store, UndoChoices, UndoPlan};

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

/// What `aadsync undo --yes` was told.
#[derive(Debug, Clone, Default)]
pub struct UndoAnswer {
    /// The preview the administrator saw; none: the one made now.
    pub token: Option<String>,
    pub restore_all: bool,
    /// Conflicts to restore; every other keeps its newer value.
    pub restore: Vec<u32>,
}

/// `aadsync undo`: without an answer, the preview with its conflicts; with one, the undo.
pub fn undo(store: &Store, run: i64, answer: Option<UndoAnswer>) -> CliResult {
    let plan = store.writer().undo_preview(run).map_err(CliError::failed)?;
    let Some(answer) = answer else {
        print_undo_plan(&plan);
        return Err("not undone (no --yes)".to_owned().into());
    };
    let choices = UndoChoices {
        all: if answer.restore_all {
            Resolution::Restore
        } else {
            Resolution::KeepNewer
        },
        each: answer
            .restore
            .iter()
            .map(|id| (*id, Resolution::Restore))
            .collect(),
    };
    let by = std::env::var("USER").unwrap_or_else(|_| "aadsync CLI".into());
    let token = answer.token.unwrap_or(plan.token);
    let done = store
        .writer()
        .undo_run(run, &token, &choices, &by, &|| false)
        .map_err(CliError::failed)?;
    println!(
        "Run #{run} undone (recorded as run #{}): {} changes reverted, {} newer values kept.",
        done.undo_run, done.reverted, done.kept
    );
    Ok(())
}

fn print_undo_plan(plan: &UndoPlan) {
    let r = &plan.run;
    println!(
        "Undoing run #{} ({}, {} created, {} updated, {} disabled, {} deleted) reverts {} row changes of that run and nothing else.",
        r.id, r.started_at, r.created, r.updated, r.disabled, r.deleted, plan.changes
    );
    if plan.conflicts.is_empty() {
        println!("Nothing it changed was changed since.");
    } else {
        println!(
            "Changed since the run ({}; each keeps its newer value unless restored):",
            plan.conflicts.len()
        );
    }
    for c in &plan.conflicts {
        println!(
            "  [{}] {} {}: {}{}",
            c.id,
            c.object_type,
            c.object,
            c.problem.describe(),
            if c.restorable {
                ""
            } else {
                " (keeps its newer value)"
            }
        );
        for f in &c.fields {
            println!(
                "        {}: now {:?}, the undo would restore {:?}",
                f.field, f.now, f.restore
            );
        }
    }
    println!(
        "Run again with --yes --token {} to undo (add --restore-all or --restore ID,… to restore conflicts).",
        plan.token
    );
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
