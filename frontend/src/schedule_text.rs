//! The words of scheduled synchronization, pure: wizard step 1's schedule line and last
//! attempt, and the Users area's notice (what happened, why, and what to do).

use aadsync_ipc::{AttemptOutcome, AttemptView, DeletedAction, INTERVALS, ScheduleView};

/// "Every 6 hours" for `6h`; a word step 1 does not offer (`90m`, from the CLI) as it is.
pub fn interval_label(every: &str) -> String {
    INTERVALS
        .iter()
        .find(|(word, _)| *word == every)
        .map_or_else(
            || format!("Every {every}"),
            |(_, label)| (*label).to_owned(),
        )
}

/// What a scheduled run does with deleted objects.
pub fn deleted_label(action: Option<DeletedAction>) -> &'static str {
    match action {
        None => "deleted objects are not checked",
        Some(DeletedAction::Keep) => "deleted objects are checked and kept",
        Some(DeletedAction::Disable) => "deleted objects are checked and disabled",
        Some(DeletedAction::Delete) => "deleted objects are checked and deleted",
    }
}

/// How an attempt ended, for people.
pub fn outcome_label(outcome: AttemptOutcome) -> &'static str {
    match outcome {
        AttemptOutcome::Succeeded => "succeeded",
        AttemptOutcome::SomeFailed => "completed, but some objects failed",
        AttemptOutcome::Safeguard => "stopped by the deletion safeguard",
        AttemptOutcome::SignIn => "needs a new sign-in",
        AttemptOutcome::Failed => "failed",
    }
}

/// Step 1's schedule line: "Every 6 hours; deleted objects are checked and disabled."
pub fn schedule_line(view: &ScheduleView) -> String {
    match &view.installed {
        None => "No schedule: this organization is synchronized only when you run the wizard."
            .to_owned(),
        Some(s) => format!(
            "Scheduled: {}; {}. The deletion safeguard always applies.",
            interval_label(&s.every),
            deleted_label(s.deleted_action)
        ),
    }
}

/// Step 1's last attempt line, `at` being its start in local time.
pub fn attempt_line(attempt: &AttemptView, at: &str) -> String {
    let run = attempt
        .run_id
        .map(|id| format!(" (run #{id})"))
        .unwrap_or_default();
    let reason = if attempt.reason.is_empty() {
        String::new()
    } else {
        format!(": {}", attempt.reason)
    };
    format!(
        "Last scheduled attempt {at}: {}{run}{reason}",
        outcome_label(attempt.outcome)
    )
}

/// The Users area's notice of one organization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub title: String,
    pub reason: String,
    pub fix: String,
}

/// What the notice says about `attempt` (one that needs attention), `at` its local time.
pub fn notice(attempt: &AttemptView, at: &str) -> Notice {
    let org = &attempt.organization;
    let fix = match attempt.outcome {
        AttemptOutcome::SignIn => format!(
            "Open the wizard (Synchronize), select {org} in step 1 and sign in again. The next scheduled run uses the new sign-in."
        ),
        AttemptOutcome::Safeguard => format!(
            "Review what would be disabled or deleted: open the wizard, select {org} and check Deleted objects, or run `aadsync sync --org {} --check-deleted --dry-run`. If it is right, synchronize once with your confirmation; if not, restore the objects in Entra ID.",
            attempt.tenant_id
        ),
        AttemptOutcome::Failed if locked(&attempt.reason) => {
            "Another program held the database: close it (or the other aadsync) so the next scheduled run can write.".to_owned()
        }
        _ => format!(
            "Nothing was written. The next scheduled run tries again; to find out now, open the wizard and synchronize {org}, or see the log of scheduled runs."
        ),
    };
    Notice {
        title: format!(
            "The scheduled synchronization of {org} {} ({at})",
            outcome_label(attempt.outcome)
        ),
        reason: attempt.reason.clone(),
        fix,
    }
}

/// Whether a failure was the database held by another program (the store's words for it).
fn locked(reason: &str) -> bool {
    let reason = reason.to_ascii_lowercase();
    reason.contains("locked") || reason.contains("busy")
}

#[cfg(test)]
mod tests {
    use super::*;
    use aadsync_ipc::InstalledSchedule;

    fn attempt(outcome: AttemptOutcome, reason: &str) -> AttemptView {
        AttemptView {
            id: 3,
            organization_id: Some(1),
            organization: "Contoso".into(),
            tenant_id: "contoso.com".into(),
            started_at: "2026-12-01T06:00:00Z".into(),
            finished_at: "2026-12-01T06:00:09Z".into(),
            outcome,
            reason: reason.into(),
            run_id: None,
        }
    }

    #[test]
    fn each_notice_says_what_to_do() {
        let cases = [
            (
                AttemptOutcome::SignIn,
                "AADSTS50173: revoked",
                "The scheduled synchronization of Contoso needs a new sign-in (at 06:00)",
                "Open the wizard (Synchronize), select Contoso in step 1 and sign in again.",
            ),
            (
                AttemptOutcome::Safeguard,
                "3 of the 4 objects would have been disabled or deleted (ann@contoso.com)",
                "The scheduled synchronization of Contoso stopped by the deletion safeguard (at 06:00)",
                "`aadsync sync --org contoso.com --check-deleted --dry-run`",
            ),
            (
                AttemptOutcome::Failed,
                "the database is locked by another program",
                "The scheduled synchronization of Contoso failed (at 06:00)",
                "Another program held the database: close it",
            ),
            (
                AttemptOutcome::Failed,
                "Graph answered 503",
                "The scheduled synchronization of Contoso failed (at 06:00)",
                "The next scheduled run tries again",
            ),
        ];
        for (outcome, reason, title, fix) in cases {
            let n = notice(&attempt(outcome, reason), "at 06:00");
            assert_eq!(n.title, title);
            assert_eq!(n.reason, reason);
            assert!(n.fix.contains(fix), "{outcome:?}: {}", n.fix);
        }
    }

    #[test]
    fn step_one_lines() {
        let view = ScheduleView {
            installed: Some(InstalledSchedule {
                every: "6h".into(),
                deleted_action: Some(DeletedAction::Disable),
            }),
            last_attempt: None,
        };
        assert_eq!(
            schedule_line(&view),
            "Scheduled: Every 6 hours; deleted objects are checked and disabled. The deletion safeguard always applies."
        );
        assert!(schedule_line(&ScheduleView::default()).starts_with("No schedule"));
        assert_eq!(interval_label("90m"), "Every 90m");
        let mut done = attempt(AttemptOutcome::Succeeded, "");
        done.run_id = Some(7);
        assert_eq!(
            attempt_line(&done, "2026-12-01 06:00 UTC+00:00"),
            "Last scheduled attempt 2026-12-01 06:00 UTC+00:00: succeeded (run #7)"
        );
        assert_eq!(
            attempt_line(&attempt(AttemptOutcome::SignIn, "revoked"), "x"),
            "Last scheduled attempt x: needs a new sign-in: revoked"
        );
    }
}
