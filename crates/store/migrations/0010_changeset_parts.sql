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

-- A part is written only by the apply (which holds the marker), only as the next part of its
-- run, and never for a run kept whole: a finished run's changeset cannot be extended, which
-- the undo would otherwise apply.
CREATE TRIGGER sync_run_change_parts_are_only_appended_by_the_apply
BEFORE INSERT ON sync_run_change_parts
WHEN NOT EXISTS (SELECT 1 FROM sync_apply_marker)
  OR NEW.part <> (SELECT count(*) FROM sync_run_change_parts WHERE run_id = NEW.run_id)
  OR EXISTS (SELECT 1 FROM sync_run_changes WHERE run_id = NEW.run_id)
BEGIN
    SELECT RAISE(ABORT, 'aadsync: the audit log is append-only; changesets are never replaced or extended');
END;

-- Nothing writes a whole changeset any more: a run of this version has its parts, or nothing.
CREATE TRIGGER sync_run_changes_are_kept_in_parts
BEFORE INSERT ON sync_run_changes
BEGIN
    SELECT RAISE(ABORT, 'aadsync: the audit log is append-only; changesets are kept in parts');
END;
