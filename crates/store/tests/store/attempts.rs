//! Scheduled attempts (issue 18): one row per attempt, kept by the database itself (raw SQL
//! cannot delete, change or replace one), and left alone by an undo of the run it wrote.

use crate::support::*;
use crate::undo::undo;
use aadsync_store::{AttemptOutcome, NewAttempt, UndoChoices};

fn attempt(outcome: AttemptOutcome, reason: &str, run_id: Option<i64>) -> NewAttempt {
    NewAttempt {
        tenant_id: TENANT.into(),
        organization: "Contoso".into(),
        // 2026-12-01T06:00:00Z
        started_unix: 1_796_104_800,
        outcome,
        reason: reason.into(),
        run_id,
    }
}

/// The rows as SQL reads them, not as the store's own reader does.
fn rows(db: &Db) -> Vec<(String, String, String, Option<i64>)> {
    db.store
        .writer()
        .connection()
        .prepare("SELECT started_at, outcome, reason, run_id FROM scheduled_attempts ORDER BY id")
        .and_then(|mut s| {
            s.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
                .collect()
        })
        .expect("rows")
}

#[test]
fn an_attempt_is_one_row_with_its_outcome_reason_and_run() {
    let (db, run_id, _) = crate::undo::basics::synced();
    db.store
        .writer()
        .record_scheduled_attempt(&attempt(AttemptOutcome::Succeeded, "", Some(run_id)))
        .expect("record");
    db.store
        .writer()
        .record_scheduled_attempt(&attempt(
            AttemptOutcome::SignIn,
            "Sign in again: the refresh token was revoked",
            None,
        ))
        .expect("record");
    assert_eq!(
        rows(&db),
        [
            (
                "2026-12-01T06:00:00Z".to_owned(),
                "succeeded".to_owned(),
                String::new(),
                Some(run_id)
            ),
            (
                "2026-12-01T06:00:00Z".to_owned(),
                "sign_in".to_owned(),
                "Sign in again: the refresh token was revoked".to_owned(),
                None
            ),
        ]
    );
    let last = db.store.reader().last_scheduled_attempts().expect("last");
    assert_eq!(last.len(), 1, "one per tenant: {last:?}");
    assert_eq!(last[0].outcome, AttemptOutcome::SignIn);
}

#[test]
fn the_database_refuses_to_delete_change_or_replace_an_attempt() {
    let db = contoso_with_carl();
    db.store
        .writer()
        .record_scheduled_attempt(&attempt(AttemptOutcome::Safeguard, "3 of 4", None))
        .expect("record");
    let before = rows(&db);
    for sql in [
        "DELETE FROM scheduled_attempts",
        "UPDATE scheduled_attempts SET outcome = 'succeeded'",
        "UPDATE scheduled_attempts SET reason = ''",
        "INSERT OR REPLACE INTO scheduled_attempts
             (id, tenant_id, organization, started_at, outcome, reason)
         SELECT id, tenant_id, organization, started_at, 'succeeded', '' FROM scheduled_attempts",
    ] {
        let refused = db.store.writer().connection().execute(sql, []);
        assert!(
            matches!(&refused, Err(e) if e.to_string().contains("append-only")),
            "{sql}: {refused:?}"
        );
        assert_eq!(rows(&db), before, "{sql}");
    }
    // Not a word the table knows.
    let odd = db.store.writer().connection().execute(
        "INSERT INTO scheduled_attempts (tenant_id, organization, started_at, outcome, reason)
         VALUES ('t', 'o', 'now', 'fine', '')",
        [],
    );
    assert!(odd.is_err(), "{odd:?}");
}

#[test]
fn undoing_a_scheduled_run_leaves_its_attempt_alone() {
    let (db, run_id, _) = crate::undo::basics::synced();
    db.store
        .writer()
        .record_scheduled_attempt(&attempt(AttemptOutcome::Succeeded, "", Some(run_id)))
        .expect("record");
    let before = rows(&db);
    // The run's own changeset holds no attempt: nothing of the table is in its inverse.
    let plan = db.store.writer().undo_preview(run_id).expect("preview");
    assert!(plan.conflicts.is_empty(), "{:?}", plan.conflicts);
    undo(&db, run_id, &UndoChoices::default()).expect("undo");
    assert_eq!(rows(&db), before, "the attempt after the undo");
    // A later attempt still appends.
    db.store
        .writer()
        .record_scheduled_attempt(&attempt(AttemptOutcome::Failed, "locked", None))
        .expect("record after the undo");
    assert_eq!(rows(&db).len(), 2);
}
