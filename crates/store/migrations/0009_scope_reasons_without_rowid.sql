-- The scope's reasons kept in their primary key's order (issue 17): one B-tree instead of a
-- table and an index over the same three columns. A full sync of 100,000 users writes about
-- 500,000 reasons, and every run reads them back ordered by object; both got cheaper. The
-- columns and the key are unchanged, so the changesets kept for undo still apply.

CREATE TABLE azure_scope_reasons_by_key (
    tenant_id TEXT NOT NULL,
    object_id TEXT NOT NULL,
    root_id   TEXT NOT NULL,
    path      TEXT NOT NULL,
    PRIMARY KEY (tenant_id, object_id, root_id)
) STRICT, WITHOUT ROWID;

INSERT INTO azure_scope_reasons_by_key (tenant_id, object_id, root_id, path)
SELECT tenant_id, object_id, root_id, path FROM azure_scope_reasons;

-- Its guards go with it.
DROP TABLE azure_scope_reasons;
ALTER TABLE azure_scope_reasons_by_key RENAME TO azure_scope_reasons;

CREATE TRIGGER azure_scope_reasons_written_only_by_sync_insert
BEFORE INSERT ON azure_scope_reasons
WHEN NOT EXISTS (SELECT 1 FROM sync_apply_marker)
BEGIN
    SELECT RAISE(ABORT, 'aadsync: scope and decisions are written only by synchronization');
END;

CREATE TRIGGER azure_scope_reasons_written_only_by_sync_update
BEFORE UPDATE ON azure_scope_reasons
WHEN NOT EXISTS (SELECT 1 FROM sync_apply_marker)
BEGIN
    SELECT RAISE(ABORT, 'aadsync: scope and decisions are written only by synchronization');
END;

CREATE TRIGGER azure_scope_reasons_written_only_by_sync_delete
BEFORE DELETE ON azure_scope_reasons
WHEN NOT EXISTS (SELECT 1 FROM sync_apply_marker)
BEGIN
    SELECT RAISE(ABORT, 'aadsync: scope and decisions are written only by synchronization');
END;
