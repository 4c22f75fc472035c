-- What a synchronization decides (ARCHITECTURE.md): the scope an organization was configured
-- with, why each imported object is in scope, and the administrator's decisions about objects
-- Check deleted objects listed. All three are written only by synchronization (and a decision
-- is reversed only through the store's own method), like the other Azure AD data.

-- Every selection a synchronization ran with, kept: a root's flags only grow.
CREATE TABLE azure_scope_roots (
    tenant_id   TEXT NOT NULL,
    object_id   TEXT NOT NULL,
    object_type TEXT NOT NULL CHECK (object_type IN ('user', 'group')),
    -- Groups: import the user members, and those of the groups nested in it.
    members     INTEGER NOT NULL DEFAULT 0 CHECK (members IN (0, 1)),
    nested      INTEGER NOT NULL DEFAULT 0 CHECK (nested IN (0, 1)),
    added_by    TEXT NOT NULL,
    added_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    PRIMARY KEY (tenant_id, object_id),
    CHECK (object_type = 'group' OR (members = 0 AND nested = 0)),
    CHECK (nested = 0 OR members = 1)
) STRICT;

-- Why an imported object is in scope: one row per root it is reached from, with the path of
-- group names it goes through ('' for the root itself). Replaced by every synchronization for
-- the objects it read; no row = out of scope.
CREATE TABLE azure_scope_reasons (
    tenant_id TEXT NOT NULL,
    object_id TEXT NOT NULL,
    root_id   TEXT NOT NULL,
    path      TEXT NOT NULL,
    PRIMARY KEY (tenant_id, object_id, root_id)
) STRICT;

-- The administrator's decisions, append-only: the latest row per object is the one in force
-- unless it is a 'lifted' or 'reversed' row.
CREATE TABLE azure_decisions (
    id          INTEGER PRIMARY KEY,
    tenant_id   TEXT NOT NULL,
    object_id   TEXT NOT NULL,
    object_type TEXT NOT NULL CHECK (object_type IN ('user', 'group')),
    display_name TEXT NOT NULL DEFAULT '',
    action      TEXT NOT NULL CHECK (action IN ('keep', 'disable', 'delete', 'lifted', 'reversed')),
    finding     TEXT NOT NULL CHECK (finding IN ('soft_deleted', 'hard_deleted', 'disabled', 'out_of_scope')),
    decided_by  TEXT NOT NULL,
    decided_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    run_id      INTEGER REFERENCES sync_runs (id) ON DELETE SET NULL
) STRICT;
CREATE INDEX azure_decisions_by_object ON azure_decisions (tenant_id, object_id, id);

-- Databases synchronized before this migration: their selections were not kept, so they are
-- rebuilt from what each user's import path says. A user imported directly is a root; the
-- group at the top of an import path is a group root with its members (and its nested
-- groups' members when a path goes deeper); a user whose top group is not found by name
-- (renamed since) stays a root itself, so nobody drops out of scope by the upgrade; an
-- imported group that is no import path's top or inner group was selected on its own.
INSERT INTO azure_scope_roots (tenant_id, object_id, object_type, added_by)
SELECT tenant_id, object_id, 'user', 'upgrade' FROM azure_users WHERE imported_via = '';

INSERT OR IGNORE INTO azure_scope_roots (tenant_id, object_id, object_type, members, nested, added_by)
SELECT g.tenant_id, g.object_id, 'group', 1, max(instr(u.imported_via, ' / ') > 0), 'upgrade'
FROM azure_users u
JOIN azure_groups g ON g.tenant_id = u.tenant_id
 AND g.display_name = CASE WHEN instr(u.imported_via, ' / ') > 0
                           THEN substr(u.imported_via, 1, instr(u.imported_via, ' / ') - 1)
                           ELSE u.imported_via END
WHERE u.imported_via <> ''
GROUP BY g.tenant_id, g.object_id;

INSERT OR IGNORE INTO azure_scope_roots (tenant_id, object_id, object_type, added_by)
SELECT u.tenant_id, u.object_id, 'user', 'upgrade' FROM azure_users u
WHERE u.imported_via <> '' AND NOT EXISTS (
    SELECT 1 FROM azure_groups g WHERE g.tenant_id = u.tenant_id
       AND g.display_name = CASE WHEN instr(u.imported_via, ' / ') > 0
                                 THEN substr(u.imported_via, 1, instr(u.imported_via, ' / ') - 1)
                                 ELSE u.imported_via END);

INSERT OR IGNORE INTO azure_scope_roots (tenant_id, object_id, object_type, added_by)
SELECT g.tenant_id, g.object_id, 'group', 'upgrade' FROM azure_groups g
WHERE NOT EXISTS (SELECT 1 FROM azure_users u WHERE u.tenant_id = g.tenant_id
                     AND ' / ' || u.imported_via || ' / ' LIKE '% / ' || g.display_name || ' / %');

CREATE TRIGGER azure_decisions_are_append_only_update
BEFORE UPDATE ON azure_decisions
BEGIN
    SELECT RAISE(ABORT, 'aadsync: decisions are never changed, only followed by a newer one');
END;

CREATE TRIGGER azure_decisions_are_append_only_delete
BEFORE DELETE ON azure_decisions
BEGIN
    SELECT RAISE(ABORT, 'aadsync: decisions are never deleted');
END;

CREATE TRIGGER azure_scope_roots_written_only_by_sync_insert
BEFORE INSERT ON azure_scope_roots
WHEN NOT EXISTS (SELECT 1 FROM sync_apply_marker)
BEGIN
    SELECT RAISE(ABORT, 'aadsync: scope and decisions are written only by synchronization');
END;

CREATE TRIGGER azure_scope_roots_written_only_by_sync_update
BEFORE UPDATE ON azure_scope_roots
WHEN NOT EXISTS (SELECT 1 FROM sync_apply_marker)
BEGIN
    SELECT RAISE(ABORT, 'aadsync: scope and decisions are written only by synchronization');
END;

CREATE TRIGGER azure_scope_roots_written_only_by_sync_delete
BEFORE DELETE ON azure_scope_roots
WHEN NOT EXISTS (SELECT 1 FROM sync_apply_marker)
BEGIN
    SELECT RAISE(ABORT, 'aadsync: scope and decisions are written only by synchronization');
END;

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

CREATE TRIGGER azure_decisions_written_only_by_sync_insert
BEFORE INSERT ON azure_decisions
WHEN NOT EXISTS (SELECT 1 FROM sync_apply_marker)
BEGIN
    SELECT RAISE(ABORT, 'aadsync: scope and decisions are written only by synchronization');
END;
