//! `aadsync runs`, `aadsync undo` and `aadsync reverse-decision`: the audit log, undoing the
//! last synchronization, and reversing an administrator's decision.

use crate::args::UndoAnswer;
use crate::exit::{CliError, CliResult, Exit};
use aadsync_store::{Resolution, Store, UndoChoices, UndoPlan};

/// `aadsync runs`: every run, newest first.
pub fn runs(store: &Store, json: bool) -> CliResult {
    let runs = store.reader().runs().map_err(CliError::failed)?;
    if json {
        let mut rows = serde_json::to_value(&runs).map_err(CliError::failed)?;
        if let Some(rows) = rows.as_array_mut() {
            for row in rows {
                let by = row["started_by"].as_str().unwrap_or_default();
                row["started_by_schedule"] = aadsync_schedule::by_schedule(by).into();
            }
        }
        say!(
            "{}",
            serde_json::to_string_pretty(&rows).map_err(CliError::failed)?
        );
        return Ok(());
    }
    if runs.is_empty() {
        say!("No synchronizations yet.");
    }
    for r in runs {
        say!(
            "#{:<4} {:<5} {:<10} {}  {:<24} by {}: {} created, {} updated, {} unchanged, {} disabled, {} deleted, {} failed{}",
            r.id,
            r.kind,
            r.status,
            r.started_at,
            r.organization.as_deref().unwrap_or(&r.tenant_id),
            starter(&r.started_by),
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

/// Who started a run: an administrator, or a schedule with the administrator's sign-in.
fn starter(started_by: &str) -> String {
    match started_by.strip_suffix(aadsync_schedule::STARTED_BY_SCHEDULE) {
        Some(admin) => format!("the schedule (signed in as {admin})"),
        None => started_by.to_owned(),
    }
}

/// `aadsync undo`: without an answer, the preview with its conflicts; with one, the undo.
pub fn undo(store: &Store, run: i64, answer: Option<UndoAnswer>) -> CliResult {
    let plan = store.writer().undo_preview(run).map_err(CliError::failed)?;
    let Some(answer) = answer else {
        print_undo_plan(&plan);
        return Err(CliError::new(Exit::PreviewOnly, "not undone (no --yes)"));
    };
    if answer.token.is_none() && (answer.restore_all || !answer.restore.is_empty()) {
        return Err(
            "--restore and --restore-all need the --token of the preview they answer (conflict IDs belong to one preview)"
                .to_owned()
                .into(),
        );
    }
    if let Some(id) = answer
        .restore
        .iter()
        .find(|id| !plan.conflicts.iter().any(|c| c.id == **id))
    {
        return Err(format!("the preview has no conflict [{id}]").into());
    }
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
    let token = answer.token.unwrap_or(plan.token.clone());
    let done = store
        .writer()
        .undo_run(run, &token, &choices, &by, &|| false)
        .map_err(CliError::failed)?;
    say!(
        "Run #{run} undone (recorded as run #{}): {} changes reverted, {} newer values kept.",
        done.undo_run,
        done.reverted,
        done.kept
    );
    for c in &plan.conflicts {
        let restored = choices.each.get(&c.id).copied().unwrap_or(choices.all)
            == Resolution::Restore
            && c.restorable;
        let what = if restored {
            "restored"
        } else {
            "kept as it is now"
        };
        say!("  [{}] {} {}: {what}", c.id, c.object_type, c.object);
    }
    Ok(())
}

fn print_undo_plan(plan: &UndoPlan) {
    let r = &plan.run;
    say!(
        "Undoing run #{} ({}) reverts {} changes it made and withdraws the decisions it recorded; nothing else changes. The next sync reads Entra ID again from before that run.",
        r.id,
        r.started_at,
        plan.changes
    );
    if plan.conflicts.is_empty() {
        say!("Nothing it changed was changed since.");
    } else {
        say!(
            "Changed since the run ({}; each keeps its newer value unless restored):",
            plan.conflicts.len()
        );
    }
    for c in &plan.conflicts {
        say!(
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
            say!(
                "        {}: now “{}”, the undo would restore “{}”",
                f.field,
                f.now,
                f.restore
            );
        }
    }
    say!(
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
    say!("Decision about {user} reversed: the user follows Entra ID again.");
    Ok(())
}
