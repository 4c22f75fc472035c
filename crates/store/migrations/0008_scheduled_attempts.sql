-- Scheduled synchronization (issue 18): every attempt of a schedule leaves one row, whether it
-- wrote a run or not, so a run stopped by the deletion safeguard, one that needs a new sign-in
-- or one that failed and rolled back still says why. `aadsync sync --scheduled` writes it in
-- its own transaction after the attempt. Append-only like the audit log; not a directory
-- table, so no run's changeset holds it and no undo or restore touches it.

CREATE TABLE scheduled_attempts (
    id           INTEGER PRIMARY KEY,
    tenant_id    TEXT NOT NULL,
    -- The organization's name when the attempt ran: it may be removed later.
    organization TEXT NOT NULL,
    started_at   TEXT NOT NULL,
    finished_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    outcome      TEXT NOT NULL CHECK (outcome IN
                     ('succeeded', 'some_failed', 'safeguard', 'sign_in', 'failed')),
    reason       TEXT NOT NULL,
    -- The run the attempt wrote, if it wrote one.
    run_id       INTEGER REFERENCES sync_runs (id)
) STRICT;

CREATE INDEX scheduled_attempts_by_tenant ON scheduled_attempts (tenant_id, id);

CREATE TRIGGER scheduled_attempts_are_never_deleted
BEFORE DELETE ON scheduled_attempts
BEGIN
    SELECT RAISE(ABORT, 'aadsync: scheduled attempts are append-only; never deleted');
END;

CREATE TRIGGER scheduled_attempts_are_never_changed
BEFORE UPDATE ON scheduled_attempts
BEGIN
    SELECT RAISE(ABORT, 'aadsync: scheduled attempts are append-only; never changed');
END;

-- INSERT OR REPLACE deletes the row it replaces without firing the delete trigger.
CREATE TRIGGER scheduled_attempts_are_never_replaced
BEFORE INSERT ON scheduled_attempts
WHEN EXISTS (SELECT 1 FROM scheduled_attempts WHERE id = NEW.id)
BEGIN
    SELECT RAISE(ABORT, 'aadsync: scheduled attempts are append-only; never replaced');
END;
