-- Undo by changesets (ARCHITECTURE.md, "Undo"): every synchronization keeps the SQLite
-- changeset of its own writes, and an undo applies its inverse. The audit log becomes
-- append-only: a run is never deleted or replaced, an undo is a new run that names the run it
-- undid, and a restored backup is a new run that names the file.

ALTER TABLE sync_runs ADD COLUMN undoes_run INTEGER REFERENCES sync_runs (id);
ALTER TABLE sync_runs ADD COLUMN restored_from TEXT;
CREATE UNIQUE INDEX sync_runs_one_undo_per_run ON sync_runs (undoes_run)
    WHERE undoes_run IS NOT NULL;

-- The changeset of a run's own writes to the directory data (users, groups, memberships,
-- tombstones, scope, the organization's change-tracking links), as SQLite's session extension
-- produced it inside the run's transaction.
CREATE TABLE sync_run_changes (
    run_id    INTEGER PRIMARY KEY REFERENCES sync_runs (id),
    changeset BLOB NOT NULL
) STRICT;

CREATE TRIGGER sync_runs_are_never_deleted
BEFORE DELETE ON sync_runs
BEGIN
    SELECT RAISE(ABORT, 'aadsync: the audit log is append-only; runs are never deleted');
END;

-- A run is completed once (while it is 'running'); afterwards only the organization link may
-- change, to NULL (when its organization is removed).
CREATE TRIGGER sync_runs_are_never_rewritten
BEFORE UPDATE ON sync_runs
WHEN OLD.status <> 'running' AND (
       (NEW.organization_id IS NOT OLD.organization_id AND NEW.organization_id IS NOT NULL)
    OR NEW.id IS NOT OLD.id OR NEW.tenant_id IS NOT OLD.tenant_id OR NEW.kind IS NOT OLD.kind
    OR NEW.started_by IS NOT OLD.started_by OR NEW.started_at IS NOT OLD.started_at
    OR NEW.finished_at IS NOT OLD.finished_at OR NEW.status IS NOT OLD.status
    OR NEW.created IS NOT OLD.created OR NEW.updated IS NOT OLD.updated
    OR NEW.unchanged IS NOT OLD.unchanged OR NEW.disabled IS NOT OLD.disabled
    OR NEW.deleted IS NOT OLD.deleted OR NEW.failed IS NOT OLD.failed
    OR NEW.snapshot_path IS NOT OLD.snapshot_path OR NEW.message IS NOT OLD.message
    OR NEW.undoes_run IS NOT OLD.undoes_run OR NEW.restored_from IS NOT OLD.restored_from)
BEGIN
    SELECT RAISE(ABORT, 'aadsync: the audit log is append-only; a finished run is never changed');
END;

CREATE TRIGGER sync_run_items_are_never_deleted
BEFORE DELETE ON sync_run_items
BEGIN
    SELECT RAISE(ABORT, 'aadsync: the audit log is append-only; items are never deleted');
END;

CREATE TRIGGER sync_run_items_are_never_changed
BEFORE UPDATE ON sync_run_items
BEGIN
    SELECT RAISE(ABORT, 'aadsync: the audit log is append-only; items are never changed');
END;

CREATE TRIGGER sync_run_changes_are_never_deleted
BEFORE DELETE ON sync_run_changes
BEGIN
    SELECT RAISE(ABORT, 'aadsync: the audit log is append-only; changesets are never deleted');
END;

CREATE TRIGGER sync_run_changes_are_never_changed
BEFORE UPDATE ON sync_run_changes
BEGIN
    SELECT RAISE(ABORT, 'aadsync: the audit log is append-only; changesets are never changed');
END;

-- INSERT OR REPLACE deletes the row it replaces without firing the delete triggers above:
-- an insert over an existing row of the log is refused instead.
CREATE TRIGGER sync_runs_are_never_replaced
BEFORE INSERT ON sync_runs WHEN EXISTS (SELECT 1 FROM sync_runs WHERE id = NEW.id)
BEGIN
    SELECT RAISE(ABORT, 'aadsync: the audit log is append-only; runs are never replaced');
END;

CREATE TRIGGER sync_run_items_are_never_replaced
BEFORE INSERT ON sync_run_items WHEN EXISTS (SELECT 1 FROM sync_run_items WHERE id = NEW.id)
BEGIN
    SELECT RAISE(ABORT, 'aadsync: the audit log is append-only; items are never replaced');
END;

CREATE TRIGGER sync_run_changes_are_never_replaced
BEFORE INSERT ON sync_run_changes
WHEN EXISTS (SELECT 1 FROM sync_run_changes WHERE run_id = NEW.run_id)
BEGIN
    SELECT RAISE(ABORT, 'aadsync: the audit log is append-only; changesets are never replaced');
END;

CREATE TRIGGER azure_decisions_are_never_replaced
BEFORE INSERT ON azure_decisions WHEN EXISTS (SELECT 1 FROM azure_decisions WHERE id = NEW.id)
BEGIN
    SELECT RAISE(ABORT, 'aadsync: decisions are never replaced, only followed by a newer one');
END;
