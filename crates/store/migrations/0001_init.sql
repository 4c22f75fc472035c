-- aadsync user database, version 1.
-- Append-only: never edit a released migration; add 0002_*.sql instead.
-- Timestamps are UTC ISO 8601 text ("2026-11-26T04:19:06Z").

CREATE TABLE organizations (
    id                INTEGER PRIMARY KEY,
    tenant_id         TEXT NOT NULL UNIQUE,          -- lower-case GUID
    display_name      TEXT NOT NULL DEFAULT '',
    primary_domain    TEXT NOT NULL DEFAULT '',
    cloud             TEXT NOT NULL CHECK (cloud IN ('global', 'us_government', 'china', 'custom')),
    authority_url     TEXT NOT NULL,
    graph_url         TEXT NOT NULL,
    client_id         TEXT NOT NULL,
    admin_upn         TEXT,
    admin_object_id   TEXT,
    created_at        TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    last_sync_at      TEXT,
    users_delta_link  TEXT,
    groups_delta_link TEXT,
    delta_taken_at    TEXT
) STRICT;

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    account_name  TEXT NOT NULL CHECK (length(trim(account_name)) > 0),
    -- Unicode-lower-cased account_name, computed in Rust (SQLite's lower() is ASCII only).
    account_key   TEXT NOT NULL UNIQUE,
    auth_type     TEXT NOT NULL CHECK (auth_type IN ('local', 'active_directory', 'azure_ad')),
    enabled       INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    full_name     TEXT NOT NULL DEFAULT '',
    email         TEXT NOT NULL DEFAULT '',
    phone         TEXT NOT NULL DEFAULT '',
    department    TEXT NOT NULL DEFAULT '',
    description   TEXT NOT NULL DEFAULT '',
    password_hash TEXT,
    created_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    updated_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    -- Only local users have a password (an argon2 PHC string); directory users never do.
    CHECK ((auth_type = 'local') = (password_hash IS NOT NULL)),
    CHECK (password_hash IS NULL OR password_hash LIKE '$argon2%')
) STRICT;

-- Entra ID attributes of imported users. Identity is (tenant_id, object_id): a renamed UPN
-- updates the same row. Rows survive removal of their organization.
CREATE TABLE azure_users (
    user_id                  INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    tenant_id                TEXT NOT NULL,
    object_id                TEXT NOT NULL,
    user_principal_name      TEXT NOT NULL,
    display_name             TEXT NOT NULL DEFAULT '',
    given_name               TEXT,
    surname                  TEXT,
    mail                     TEXT,
    job_title                TEXT,
    department               TEXT,
    office_location          TEXT,
    mobile_phone             TEXT,
    business_phones          TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(business_phones)),
    user_type                TEXT NOT NULL DEFAULT 'Member' CHECK (user_type IN ('Member', 'Guest')),
    account_enabled          INTEGER NOT NULL CHECK (account_enabled IN (0, 1)),
    created_in_entra_at      TEXT,
    on_premises_sync_enabled INTEGER CHECK (on_premises_sync_enabled IN (0, 1)),
    last_synchronized_at     TEXT NOT NULL,
    deleted_in_directory     TEXT CHECK (deleted_in_directory IN ('soft_deleted', 'hard_deleted')),
    deleted_detected_at      TEXT,
    -- How the user came in: '' when selected directly, else the group path ("Sales / EMEA").
    imported_via             TEXT NOT NULL DEFAULT '',
    UNIQUE (tenant_id, object_id)
) STRICT;

CREATE TABLE groups (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL CHECK (length(trim(name)) > 0),
    source      TEXT NOT NULL CHECK (source IN ('local', 'azure_ad')),
    description TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    updated_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
) STRICT;

CREATE TABLE azure_groups (
    group_id             INTEGER PRIMARY KEY REFERENCES groups (id) ON DELETE CASCADE,
    tenant_id            TEXT NOT NULL,
    object_id            TEXT NOT NULL,
    display_name         TEXT NOT NULL,
    description          TEXT,
    mail                 TEXT,
    mail_enabled         INTEGER NOT NULL CHECK (mail_enabled IN (0, 1)),
    security_enabled     INTEGER NOT NULL CHECK (security_enabled IN (0, 1)),
    group_types          TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(group_types)),
    last_synchronized_at TEXT NOT NULL,
    deleted_in_directory TEXT CHECK (deleted_in_directory IN ('soft_deleted', 'hard_deleted')),
    UNIQUE (tenant_id, object_id)
) STRICT;

CREATE TABLE memberships (
    group_id INTEGER NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    user_id  INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    source   TEXT NOT NULL CHECK (source IN ('local', 'azure_ad')),
    PRIMARY KEY (group_id, user_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX memberships_by_user ON memberships (user_id);

-- Azure AD users deleted on the server: kept so a later sync can offer "Re-import / Ignore"
-- instead of silently bringing them back.
CREATE TABLE azure_user_tombstones (
    tenant_id           TEXT NOT NULL,
    object_id           TEXT NOT NULL,
    user_principal_name TEXT NOT NULL,
    deleted_at          TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    PRIMARY KEY (tenant_id, object_id)
) STRICT;

-- The audit log.
CREATE TABLE sync_runs (
    id              INTEGER PRIMARY KEY,
    organization_id INTEGER REFERENCES organizations (id) ON DELETE SET NULL,
    tenant_id       TEXT NOT NULL,
    kind            TEXT NOT NULL DEFAULT 'sync' CHECK (kind IN ('sync', 'undo')),
    started_by      TEXT NOT NULL,
    started_at      TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    finished_at     TEXT,
    status          TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'cancelled', 'undone')),
    created         INTEGER NOT NULL DEFAULT 0,
    updated         INTEGER NOT NULL DEFAULT 0,
    unchanged       INTEGER NOT NULL DEFAULT 0,
    disabled        INTEGER NOT NULL DEFAULT 0,
    deleted         INTEGER NOT NULL DEFAULT 0,
    failed          INTEGER NOT NULL DEFAULT 0,
    snapshot_path   TEXT,
    message         TEXT
) STRICT;

CREATE TABLE sync_run_items (
    id             INTEGER PRIMARY KEY,
    run_id         INTEGER NOT NULL REFERENCES sync_runs (id) ON DELETE CASCADE,
    object_type    TEXT NOT NULL CHECK (object_type IN ('user', 'group')),
    object_id      TEXT NOT NULL,
    display_name   TEXT NOT NULL,
    outcome        TEXT NOT NULL CHECK (outcome IN ('created', 'updated', 'unchanged', 'disabled', 'deleted', 'failed', 'skipped')),
    reason         TEXT,
    changed_fields TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(changed_fields))
) STRICT;
CREATE INDEX sync_run_items_by_run ON sync_run_items (run_id);

-- While the sync apply path writes, it holds a row here inside its transaction (and deletes it
-- before commit). The guards below let directory-owned data change only then, so a bug in any
-- other code path cannot edit, convert or forge an Azure AD user.
CREATE TABLE sync_apply_marker (
    id INTEGER PRIMARY KEY CHECK (id = 1)
) STRICT;

CREATE TRIGGER users_auth_type_azure_is_permanent
BEFORE UPDATE OF auth_type ON users
WHEN (OLD.auth_type = 'azure_ad') <> (NEW.auth_type = 'azure_ad')
BEGIN
    SELECT RAISE(ABORT, 'aadsync: the authentication type of an Azure AD user cannot be changed, and no user can become one except through synchronization');
END;

CREATE TRIGGER users_azure_created_only_by_sync
BEFORE INSERT ON users
WHEN NEW.auth_type = 'azure_ad' AND NOT EXISTS (SELECT 1 FROM sync_apply_marker)
BEGIN
    SELECT RAISE(ABORT, 'aadsync: Azure AD users are created only by synchronization');
END;

CREATE TRIGGER users_azure_fields_read_only
BEFORE UPDATE OF account_name, account_key, enabled, full_name, email, phone, department ON users
WHEN OLD.auth_type = 'azure_ad' AND NOT EXISTS (SELECT 1 FROM sync_apply_marker)
BEGIN
    SELECT RAISE(ABORT, 'aadsync: this field of an Azure AD user comes from Entra ID and is read-only');
END;

CREATE TRIGGER azure_users_only_for_azure_users
BEFORE INSERT ON azure_users
WHEN (SELECT auth_type FROM users WHERE id = NEW.user_id) IS NOT 'azure_ad'
  OR NOT EXISTS (SELECT 1 FROM sync_apply_marker)
BEGIN
    SELECT RAISE(ABORT, 'aadsync: Entra ID attributes belong to Azure AD users and are written only by synchronization');
END;

CREATE TRIGGER azure_users_written_only_by_sync
BEFORE UPDATE ON azure_users
WHEN NOT EXISTS (SELECT 1 FROM sync_apply_marker)
BEGIN
    SELECT RAISE(ABORT, 'aadsync: Entra ID attributes are written only by synchronization');
END;

CREATE TRIGGER azure_groups_written_only_by_sync_insert
BEFORE INSERT ON azure_groups
WHEN NOT EXISTS (SELECT 1 FROM sync_apply_marker)
BEGIN
    SELECT RAISE(ABORT, 'aadsync: Azure AD groups are written only by synchronization');
END;

CREATE TRIGGER azure_groups_written_only_by_sync_update
BEFORE UPDATE ON azure_groups
WHEN NOT EXISTS (SELECT 1 FROM sync_apply_marker)
BEGIN
    SELECT RAISE(ABORT, 'aadsync: Azure AD groups are written only by synchronization');
END;

CREATE TRIGGER azure_memberships_written_only_by_sync
BEFORE INSERT ON memberships
WHEN NEW.source = 'azure_ad' AND NOT EXISTS (SELECT 1 FROM sync_apply_marker)
BEGIN
    SELECT RAISE(ABORT, 'aadsync: Azure AD group memberships are written only by synchronization');
END;

CREATE TRIGGER azure_users_leave_a_tombstone
AFTER DELETE ON azure_users
WHEN NOT EXISTS (SELECT 1 FROM sync_apply_marker)
BEGIN
    INSERT OR REPLACE INTO azure_user_tombstones (tenant_id, object_id, user_principal_name)
    VALUES (OLD.tenant_id, OLD.object_id, OLD.user_principal_name);
END;
