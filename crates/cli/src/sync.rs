//! `aadsync sync`: the synchronization use case (`aadsync_sync::run`) with the options as
//! flags, the safeguard as exit code 5, and the results as a table or JSON.

use crate::exit::{CliError, CliResult, Exit};
use crate::resolve::{self, Requested};
use aadsync_directory::graph::GraphClient;
use aadsync_store::{
    ApplyOutcome, ChangedField, Counts, DirectoryChanges, OutcomeItem, RunInfo, Store, StoreError,
};
use aadsync_sync::Connected;
use aadsync_sync::clock::SystemClock;
use aadsync_sync::deleted::Action;
use aadsync_sync::engine::{Cancel, Progress, SyncError};
use aadsync_sync::registration_check::after_sync_failure;
use aadsync_sync::run::{self, Decisions, PlannedRun, Reimport, RunRequest, ThresholdExceeded};
use std::io::IsTerminal;
use std::sync::Arc;

/// What `--check-deleted` asks for.
#[derive(Debug, Clone, Copy)]
pub struct DeletedOptions {
    pub action: Action,
    pub allow_mass: bool,
}

#[derive(Debug, Clone, Copy)]
pub struct SyncOptions {
    pub deleted: Option<DeletedOptions>,
    pub reimport: bool,
    pub dry_run: bool,
    pub json: bool,
    /// Started by `aadsync schedule`: the run is recorded as the schedule's.
    pub scheduled: bool,
}

/// One line of the results, in the tense of a plan (`done` false) or a report.
struct Line<'a> {
    item: &'a OutcomeItem,
    outcome: &'static str,
    detail: String,
}

fn line(item: &OutcomeItem, done: bool) -> Line<'_> {
    let tense = |plan: &'static str, report: &'static str| if done { report } else { plan };
    let (outcome, detail) = match &item.outcome {
        ApplyOutcome::Created => (tense("create", "created"), String::new()),
        ApplyOutcome::CreatedAs { .. } => (
            tense("create", "created"),
            item.outcome.resolution_note().unwrap_or_default(),
        ),
        ApplyOutcome::Linked { .. } => (
            tense("link", "linked"),
            item.outcome.resolution_note().unwrap_or_default(),
        ),
        ApplyOutcome::Updated { fields } => {
            (tense("update", "updated"), ChangedField::join(fields))
        }
        ApplyOutcome::Unchanged => ("unchanged", String::new()),
        ApplyOutcome::Disabled { reason } => (tense("disable", "disabled"), reason.clone()),
        ApplyOutcome::Deleted { reason } => (tense("delete", "deleted"), reason.clone()),
        ApplyOutcome::Failed { reason } => ("failed", reason.clone()),
    };
    Line {
        item,
        outcome,
        detail,
    }
}

/// Progress on a terminal, on one line of stderr; nothing in scripts.
fn progress() -> Arc<dyn Fn(Progress) + Send + Sync> {
    let terminal = std::io::stderr().is_terminal();
    Arc::new(move |p: Progress| {
        if terminal {
            eprint!("\r\x1b[2K{}… {}", p.phase.label(), p.done);
        }
    })
}

/// The administrator's decisions, as the flags give them.
fn decisions(
    options: SyncOptions,
    planned: &PlannedRun,
    requested: &Requested,
) -> Result<Decisions, CliError> {
    Ok(Decisions {
        resolutions: resolve::resolutions(planned, requested)?,
        default_action: options.deleted.map(|d| d.action),
        reimport: if options.reimport {
            Reimport::All
        } else {
            Reimport::None
        },
        // A dry run writes nothing, so there is nothing to stop.
        confirm_mass: options.dry_run || options.deleted.is_some_and(|d| d.allow_mass),
        ..Decisions::default()
    })
}

pub async fn sync(
    store: Arc<Store>,
    graph: &GraphClient,
    connected: &Connected,
    request: RunRequest,
    options: SyncOptions,
    requested: &Requested,
) -> CliResult {
    let progress = progress();
    let run = RunInfo {
        tenant_id: connected.organization.tenant_id.clone(),
        started_by: if options.scheduled {
            aadsync_schedule::started_by(&connected.account.upn)
        } else {
            connected.account.upn.clone()
        },
    };
    let mut attempt = 1;
    let (planned, decided, items, counts, summary) = loop {
        let planned = run::plan_run(
            graph,
            &store,
            run.clone(),
            &connected.organization,
            &request,
            &SystemClock,
            &*progress,
        )
        .await;
        let planned = match planned {
            Ok(planned) => planned,
            Err(e) => return Err(sync_failure(connected, e).await),
        };
        let decided = decisions(options, &planned, requested)?;
        if !options.json && attempt == 1 {
            notes(&planned, options, &decided);
            scope_notes(&planned, &request);
        }
        let changes = planned
            .decide(&decided)
            .map_err(|r| safeguard_stop(r, options.scheduled))?;
        match write(&store, &planned, changes, options.dry_run, progress.clone()).await? {
            Written::Done(items, counts, summary) => {
                break (planned, decided, items, counts, summary);
            }
            Written::Stale(why) if attempt < PLANS => {
                tell!("{why}; planning again.");
                attempt += 1;
            }
            Written::Stale(why) => return Err(CliError::failed(why)),
        }
    };
    if std::io::stderr().is_terminal() {
        eprint!("\r\x1b[2K");
    }
    let lines: Vec<Line<'_>> = items.iter().map(|i| line(i, !options.dry_run)).collect();
    let open = resolve::hints(&planned, &decided.resolutions);
    print_results(&planned, &lines, &summary, options.json, &open)?;
    if counts.failed > 0 {
        return Err(CliError::new(Exit::SomeObjectsFailed, ""));
    }
    Ok(())
}

/// What [`write`] did.
enum Written {
    /// The items, their counts and the summary line.
    Done(Vec<OutcomeItem>, Counts, String),
    /// Nothing: the database changed since the plan (another process wrote to it).
    Stale(String),
}

/// How often a sync plans again when another process wrote to the database in between.
const PLANS: usize = 3;

/// Applies `changes`, or only plans them for a dry run.
async fn write(
    store: &Arc<Store>,
    planned: &PlannedRun,
    changes: DirectoryChanges,
    dry_run: bool,
    progress: Arc<dyn Fn(Progress) + Send + Sync>,
) -> Result<Written, CliError> {
    let started = std::time::Instant::now();
    if dry_run {
        let (_, plan) = run::preview(store, &planned.run.tenant_id, changes)
            .await
            .map_err(CliError::failed)?;
        let c = plan.counts;
        let summary = format!(
            "Plan (nothing written): {} to create, {} to update, {} unchanged, {} to disable, {} to delete, {} conflicts",
            c.created, c.updated, c.unchanged, c.disabled, c.deleted, c.failed
        );
        Ok(Written::Done(plan.items().cloned().collect(), c, summary))
    } else {
        let (report, backup) = match run::apply(
            store,
            &planned.run,
            Arc::new(changes),
            Arc::new(Cancel::default()),
            progress,
        )
        .await
        {
            Err(SyncError::Store(StoreError::Stale(why))) => return Ok(Written::Stale(why)),
            other => other.map_err(CliError::failed)?,
        };
        let c = report.counts;
        let summary = format!(
            "Run #{}: {} created, {} updated, {} unchanged, {} disabled, {} deleted, {} failed in {:.1} s{}",
            report.run_id,
            c.created,
            c.updated,
            c.unchanged,
            c.disabled,
            c.deleted,
            c.failed,
            started.elapsed().as_secs_f64(),
            backup
                .map(|b| format!(
                    " (backup before the first synchronization: {})",
                    b.display()
                ))
                .unwrap_or_default()
        );
        Ok(Written::Done(report.items, c, summary))
    }
}

/// How the run read, and what it leaves alone, on stderr.
fn notes(planned: &PlannedRun, options: SyncOptions, decided: &Decisions) {
    tell!("{}", planned.read.describe());
    for line in planned.lifted() {
        tell!("Decision lifted: {line}");
    }
    for skipped in &planned.deleted_skipped {
        tell!("{skipped}");
    }
    for hint in resolve::hints(planned, &decided.resolutions) {
        tell!("{hint}");
    }
    if planned.deleted_unchecked > 0 {
        tell!(
            "Entra ID reports {} imported object(s) as deleted; left as they are (--check-deleted decides about them)",
            planned.deleted_unchecked
        );
    }
    if !options.reimport && !planned.tombstoned.is_empty() {
        tell!(
            "{} user(s) deleted on this server left out (--reimport-deleted brings them back): {}",
            planned.tombstoned.len(),
            planned
                .tombstoned
                .iter()
                .filter_map(|u| u.user_principal_name.as_deref())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
}

/// What the run does to the saved scope, and who leaves it, on stderr.
fn scope_notes(planned: &PlannedRun, request: &RunRequest) {
    let s = &request.selection;
    if s.users.is_empty() && s.groups.is_empty() {
        tell!("Nothing newly selected: synchronizing the saved scope (see: aadsync scope --org …)");
    }
    for line in run::scope_change_lines(&planned.changes) {
        tell!("Saved scope: {line}");
    }
    if planned.leaving_scope.is_empty() {
        return;
    }
    let names: Vec<&str> = planned
        .leaving_scope
        .iter()
        .map(|(_, name)| name.as_str())
        .collect();
    tell!(
        "{} imported user(s) leave the scope: {}. {}",
        names.len(),
        names.join(", "),
        if request.check_deleted {
            "--check-deleted decides about them (listed below)"
        } else {
            "They are left as they are; --check-deleted decides about them"
        }
    );
}

/// How many of the objects a scheduled run's record names: the rest are counted.
const NAMED: usize = 10;

/// Exit 5: the objects that would go, then what to do about it. A scheduled run's message is
/// its record (`scheduled_attempts`), read later with no terminal: it names the objects.
/// A synchronization that failed before writing, with the registration check's findings when
/// the registration can cause the failure (`directory::graph_failure`).
async fn sync_failure(connected: &Connected, err: SyncError) -> CliError {
    match after_sync_failure(connected, &err).await {
        Some(report) => CliError::failed(format!("{err}\n{}", report.explain())),
        None => CliError::failed(err),
    }
}

fn safeguard_stop(refused: ThresholdExceeded, scheduled: bool) -> CliError {
    for o in &refused.objects {
        tell!(
            "{}  {}  ({})",
            if o.account.is_empty() {
                "group"
            } else {
                o.account.as_str()
            },
            o.display_name,
            o.finding.describe()
        );
    }
    if scheduled {
        let names: Vec<&str> = refused
            .objects
            .iter()
            .take(NAMED)
            .map(|o| {
                if o.account.is_empty() {
                    o.display_name.as_str()
                } else {
                    o.account.as_str()
                }
            })
            .collect();
        let more = refused.objects.len().saturating_sub(NAMED);
        return CliError::new(
            Exit::SafeguardExceeded,
            format!(
                "{} of the {} objects imported from this organization would have been disabled or deleted ({}{}); the scheduled run stopped at the deletion safeguard and nothing was written",
                refused.affected,
                refused.total,
                names.join(", "),
                if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                }
            ),
        );
    }
    CliError::new(
        Exit::SafeguardExceeded,
        format!(
            "{} of the {} objects imported from this organization would be disabled or deleted; nothing was written. Check the list above, then add --allow-mass-delete",
            refused.affected, refused.total
        ),
    )
}

fn print_results(
    planned: &PlannedRun,
    lines: &[Line<'_>],
    summary: &str,
    json: bool,
    conflicts: &[String],
) -> CliResult {
    if json {
        let items: Vec<serde_json::Value> = lines
            .iter()
            .map(|l| {
                serde_json::json!({
                    "type": l.item.kind.as_str(),
                    "id": l.item.object_id,
                    "displayName": l.item.display_name,
                    "outcome": l.outcome,
                    "detail": l.detail,
                })
            })
            .collect();
        let out = serde_json::json!({
            "summary": summary,
            "read": planned.read.describe(),
            "deleted_in_entra_unchecked": planned.deleted_unchecked,
            "deleted_check_skipped": planned.deleted_skipped,
            "conflicts": conflicts,
            "scope_changes": run::scope_change_lines(&planned.changes),
            "leaving_scope": planned.leaving_scope.iter().map(|(id, name)| {
                serde_json::json!({"id": id, "displayName": name})
            }).collect::<Vec<_>>(),
            "items": items,
        });
        say!(
            "{}",
            serde_json::to_string_pretty(&out).map_err(CliError::failed)?
        );
        return Ok(());
    }
    for l in lines.iter().filter(|l| l.outcome != "unchanged") {
        say!(
            "{:<9}  {:<5}  {}{}",
            l.outcome,
            l.item.kind.as_str(),
            l.item.display_name,
            if l.detail.is_empty() {
                String::new()
            } else {
                format!("  ({})", l.detail)
            }
        );
    }
    say!("{summary}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use aadsync_store::ObjectKind;

    #[test]
    fn lines_say_plans_in_the_future_and_reports_in_the_past() {
        let item = |outcome| OutcomeItem {
            kind: ObjectKind::User,
            object_id: "o".into(),
            display_name: "Ann".into(),
            outcome,
        };
        let cases = [
            (ApplyOutcome::Created, "create", "created", ""),
            (
                ApplyOutcome::Updated {
                    fields: vec![ChangedField::FullName, ChangedField::Department],
                },
                "update",
                "updated",
                "full name, department",
            ),
            (ApplyOutcome::Unchanged, "unchanged", "unchanged", ""),
            (
                ApplyOutcome::Disabled { reason: "r".into() },
                "disable",
                "disabled",
                "r",
            ),
            (
                ApplyOutcome::Deleted { reason: "r".into() },
                "delete",
                "deleted",
                "r",
            ),
            (
                ApplyOutcome::Failed { reason: "r".into() },
                "failed",
                "failed",
                "r",
            ),
        ];
        for (outcome, planned, done, detail) in cases {
            let it = item(outcome);
            assert_eq!(line(&it, false).outcome, planned);
            assert_eq!(line(&it, true).outcome, done);
            assert_eq!(line(&it, true).detail, detail);
        }
    }
}
