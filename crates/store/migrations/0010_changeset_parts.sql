-- A run's changeset in parts of at most 4 MiB (issue 17), written as SQLite's session extension
-- produces it: the apply never holds the whole changeset. Kept whole, a first import of
-- 100,000 users held it about four times at once (the bytes produced, their buffer's spare
-- room, and SQLite's two copies of the bound value). Runs written before keep theirs whole in
-- `sync_run_changes`; a run has one or the other. Append-only like the rest of the log.
CREATE TABLE sync_run_change_parts (
    run_id INTEGER NOT NULL REFERENCES sync_runs (id),
    part   INTEGER NOT NULL CHECK (part >= 0),
    bytes  BLOB NOT NULL,
    PRIMARY KEY (run_id, part)
) STRICT;

CREATE TRIGGER sync_run_change_parts_are_never_deleted
BEFORE DELETE ON sync_run_change_parts
BEGIN
    SELECT RAISE(ABORT, 'aadsync: the audit log is append-only; changesets are never deleted');
END;

CREATE TRIGGER sync_run_change_parts_are_never_changed
BEFORE UPDATE ON sync_run_change_parts
BEGIN
    SELECT RAISE(ABORT, 'aadsync: the audit log is append-only; changesets are never changed');
END;

CREATE TRIGGER sync_run_change_parts_are_never_replaced
BEFORE INSERT ON sync_run_change_parts
WHEN EXISTS (SELECT 1 FROM sync_run_change_parts WHERE run_id = NEW.run_id AND part = NEW.part)
  OR EXISTS (SELECT 1 FROM sync_run_changes WHERE run_id = NEW.run_id)
BEGIN
    SELECT RAISE(ABORT, 'aadsync: the audit log is append-only; changesets are never replaced');
END;
