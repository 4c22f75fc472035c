//! The record of a scheduled synchronization (`aadsync sync --scheduled`): after the attempt,
//! one row in `scheduled_attempts` says how it ended and why, in its own transaction, so an
//! attempt that wrote nothing is on record too. When the database cannot take the row, the
//! log file the job appends to is the record, and the line says so.

use crate::exit::{CliError, CliResult, Exit};
use aadsync_store::{AttemptOutcome, NewAttempt, Store};

/// What is known before the attempt: when it started, and the newest run then.
pub struct Started {
    unix: i64,
    newest_run: i64,
}

pub fn start(store: &Store) -> Started {
    let unix = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    // A failed read only makes the run ID unknown; the attempt still runs and is recorded.
    let newest_run = store
        .reader()
        .runs()
        .ok()
        .and_then(|r| r.first().map(|r| r.id))
        .unwrap_or(0);
    Started { unix, newest_run }
}

/// How an attempt's result is recorded.
fn outcome(result: &CliResult) -> AttemptOutcome {
    match result {
        Ok(()) => AttemptOutcome::Succeeded,
        Err(e) => match e.exit {
            Exit::SomeObjectsFailed => AttemptOutcome::SomeFailed,
            Exit::SafeguardExceeded => AttemptOutcome::Safeguard,
            Exit::SignInRequired => AttemptOutcome::SignIn,
            _ => AttemptOutcome::Failed,
        },
    }
}

/// Records the attempt of the organization `key` names; returns `result` unchanged, its
/// message extended when the record could not be written.
pub fn record(store: &Store, key: &str, started: &Started, result: CliResult) -> CliResult {
    let (tenant_id, organization) = match crate::orgs::find(store, key) {
        Ok(org) => (org.tenant_id, org.display_name),
        Err(_) => (key.trim().to_owned(), key.trim().to_owned()),
    };
    // The run this attempt wrote: a schedule never runs twice at once (one timer, one
    // service), so a newer run of this schedule's tenant is this attempt's.
    let run = store.reader().runs().ok().and_then(|runs| {
        runs.into_iter().find(|r| {
            r.id > started.newest_run
                && r.tenant_id.eq_ignore_ascii_case(&tenant_id)
                && aadsync_schedule::by_schedule(&r.started_by)
        })
    });
    let outcome = outcome(&result);
    let reason = match (&result, &run) {
        (Err(e), Some(r)) if e.message.is_empty() => format!(
            "run #{}: {} object(s) failed (see: aadsync runs)",
            r.id, r.failed
        ),
        (Err(e), _) => e.message.clone(),
        (Ok(()), _) => String::new(),
    };
    let written = store.writer().record_scheduled_attempt(&NewAttempt {
        tenant_id,
        organization,
        started_unix: started.unix,
        outcome,
        reason,
        run_id: run.map(|r| r.id),
    });
    match written {
        Ok(_) => result,
        Err(e) => {
            let unrecorded = format!(
                "this scheduled attempt ({outcome}) could not be recorded in the database ({e}); this log is its record"
            );
            match result {
                Ok(()) => Err(CliError::failed(unrecorded)),
                Err(err) if err.message.is_empty() => Err(CliError::new(err.exit, unrecorded)),
                Err(err) => Err(CliError::new(
                    err.exit,
                    format!("{}; {unrecorded}", err.message),
                )),
            }
        }
    }
}

/// A scheduled attempt that could not open its database: the log line is the record.
pub fn unopened(err: CliError) -> CliError {
    CliError::new(
        err.exit,
        format!(
            "{}; this scheduled attempt could not be recorded in the database: this log is its record",
            err.message
        ),
    )
}
