//! Opening the database file safely: check, configure, migrate.

use crate::users::{ReadHandle, WriteHandle};
use crate::{Result, StoreError};
use rusqlite::{Connection, OpenFlags};
use rusqlite_migration::{M, Migrations};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

static MIGRATION_LIST: &[M<'static>] = &[
    M::up(include_str!("../migrations/0001_init.sql")),
    M::up(include_str!("../migrations/0002_demo_organization.sql")),
    M::up(include_str!("../migrations/0003_deletion_threshold.sql")),
    M::up(include_str!("../migrations/0004_scope_and_decisions.sql")),
    M::up(include_str!(
        "../migrations/0005_changesets_and_append_only_audit.sql"
    )),
    M::up(include_str!(
        "../migrations/0006_row_ids_are_never_reused.sql"
    )),
    M::up(include_str!("../migrations/0007_conflict_resolutions.sql")),
    M::up(include_str!("../migrations/0008_scheduled_attempts.sql")),
    M::up(include_str!(
        "../migrations/0009_scope_reasons_without_rowid.sql"
    )),
    M::up(include_str!("../migrations/0010_changeset_parts.sql")),
];

/// The schema history, append-only. A test calls `MIGRATIONS.validate()`.
pub static MIGRATIONS: Migrations<'static> = Migrations::from_slice(MIGRATION_LIST);

/// The schema version this build writes (`PRAGMA user_version` after every migration).
pub fn schema_version() -> usize {
    MIGRATION_LIST.len()
}

/// aadsync's `PRAGMA application_id` (header offset 68): `0x41414453`, "AADS" in ASCII. A new
/// database gets it at creation, one written before it existed (user_version ≥ 1, our tables)
/// gets it on its next open; any other SQLite file is refused unchanged
/// ([`StoreError::NotOurs`]).
pub const APPLICATION_ID: i32 = 0x4141_4453;

pub(crate) const SQLITE_HEADER: &[u8; 16] = b"SQLite format 3\0";

#[derive(Debug, Clone)]
pub struct OpenOptions {
    /// How long a statement waits for another connection's lock before failing as Locked.
    pub busy_timeout: Duration,
}

impl Default for OpenOptions {
    fn default() -> Self {
        Self {
            // Long enough to wait out another aadsync's write (a scheduled CLI sync of 100k
            // users holds the write lock for about 3 s), short enough to report a database that
            // another program keeps locked.
            busy_timeout: Duration::from_secs(10),
        }
    }
}

/// The open database: one write connection and one read connection.
pub struct Store {
    path: PathBuf,
    writer: Mutex<Connection>,
    reader: Mutex<Connection>,
    interrupt: std::sync::Arc<crate::InterruptHandle>,
    snapshots: crate::snapshot::Snapshots,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Opens (creating if needed) and migrates the database at `path`.
    ///
    /// A file that exists but is not SQLite is refused before anything writes to it.
    pub fn open(path: &Path, options: &OpenOptions) -> Result<Self> {
        let path = std::path::absolute(path).map_err(|source| StoreError::Open {
            path: path.to_path_buf(),
            source,
        })?;
        check_header(&path)?;
        create_private(&path)?;
        let sql = |err| StoreError::from_sqlite(&path, err);

        let mut writer = Connection::open_with_flags(
            &path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(sql)?;
        writer.busy_timeout(options.busy_timeout).map_err(sql)?;
        // Read before any write: a damaged header or a foreign file fails here, unchanged.
        writer
            .query_row("SELECT count(*) FROM sqlite_schema", [], |r| {
                r.get::<_, i64>(0)
            })
            .map_err(sql)?;
        // Another program's SQLite file is refused here, before any write (WAL included).
        let claim = claim(&writer, &path)?;
        let (found, known) = (claim.version, MIGRATION_LIST.len());
        if found > known {
            return Err(StoreError::TooNew { path, found, known });
        }
        restrict_existing(&path)?;
        configure(&writer).map_err(sql)?;
        if claim.mark {
            writer
                .pragma_update(None, "application_id", APPLICATION_ID)
                .map_err(sql)?;
        }
        MIGRATIONS.to_latest(&mut writer).map_err(|err| match err {
            rusqlite_migration::Error::RusqliteError { err, .. } => sql(err),
            other => StoreError::Migration(other),
        })?;

        let reader = Connection::open_with_flags(
            &path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(sql)?;
        reader.busy_timeout(options.busy_timeout).map_err(sql)?;
        reader
            .pragma_update(None, "foreign_keys", true)
            .map_err(sql)?;
        tracing::debug!(path = %path.display(), "database open");
        let interrupt = std::sync::Arc::new(writer.get_interrupt_handle());
        Ok(Self {
            path,
            writer: Mutex::new(writer),
            reader: Mutex::new(reader),
            interrupt,
            snapshots: Default::default(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Stops whatever the write connection is running (a sync's apply: its transaction rolls
    /// back and it answers [`StoreError::Interrupted`]). Harmless when nothing runs.
    pub fn interrupt_handle(&self) -> std::sync::Arc<crate::InterruptHandle> {
        std::sync::Arc::clone(&self.interrupt)
    }

    /// The read connection. Reads see the last committed state (WAL), never a write half-done.
    pub fn reader(&self) -> ReadHandle<'_> {
        ReadHandle::new(
            self.reader.lock().unwrap_or_else(PoisonError::into_inner),
            &self.path,
            &self.snapshots,
        )
    }

    /// The write connection; one writer at a time.
    pub fn writer(&self) -> WriteHandle<'_> {
        WriteHandle::new(
            self.writer.lock().unwrap_or_else(PoisonError::into_inner),
            &self.path,
            &self.reader,
            &self.snapshots,
        )
    }
}

/// Creates the missing folders (0700) and a missing database file (0600) before SQLite does,
/// so SQLite, which gives its WAL and shared-memory files the database file's mode, never
/// creates anything with the umask's 0644.
fn create_private(path: &Path) -> Result<()> {
    let open = |source| StoreError::Open {
        path: path.to_path_buf(),
        source,
    };
    if let Some(parent) = path.parent() {
        crate::private::create_dir_all(parent).map_err(open)?;
    }
    match crate::private::create_new(path) {
        Err(err) if err.kind() != std::io::ErrorKind::AlreadyExists => Err(open(err)),
        _ => Ok(()),
    }
}

/// Makes a database of ours, and its WAL and shared memory, 0600 (files from before the rule).
fn restrict_existing(path: &Path) -> Result<()> {
    for suffix in ["", "-wal", "-shm"] {
        let mut name = path.as_os_str().to_os_string();
        name.push(suffix);
        crate::private::restrict(Path::new(&name)).map_err(|source| StoreError::Open {
            path: path.to_path_buf(),
            source,
        })?;
    }
    Ok(())
}

/// What [`claim`] found out about a file that may be written.
struct Claim {
    /// Its `user_version`.
    version: usize,
    /// It is ours but has no application_id yet (new, empty, or from before it existed).
    mark: bool,
}

/// Decides whether the SQLite file behind `conn` is ours to write: it carries our
/// application_id, or it is new or empty (no schema, user_version 0), or it is an aadsync
/// database from before the application_id (user_version ≥ 1 and our tables). Reads only.
fn claim(conn: &Connection, path: &Path) -> Result<Claim> {
    let sql = |err| StoreError::from_sqlite(path, err);
    let pragma = |name: &str| {
        conn.query_row(&format!("PRAGMA {name}"), [], |r| r.get::<_, i64>(0))
            .map_err(sql)
    };
    let (id, version) = (pragma("application_id")?, pragma("user_version")?);
    let objects = conn
        .query_row("SELECT count(*) FROM sqlite_schema", [], |r| {
            r.get::<_, i64>(0)
        })
        .map_err(sql)?;
    let ours = id == i64::from(APPLICATION_ID)
        || (id == 0 && version == 0 && objects == 0)
        || (id == 0 && version >= 1 && has_our_shape(conn).map_err(sql)?);
    if !ours {
        return Err(StoreError::NotOurs {
            path: path.to_path_buf(),
        });
    }
    Ok(Claim {
        version: usize::try_from(version).unwrap_or(0),
        mark: id == 0,
    })
}

/// The tables (and some of their columns) every aadsync schema since 0001 has.
const OUR_SHAPE: &[(&str, &[&str])] = &[
    (
        "users",
        &[
            "id",
            "account_name",
            "account_key",
            "auth_type",
            "password_hash",
        ],
    ),
    (
        "sync_runs",
        &["id", "organization_id", "tenant_id", "started_by", "status"],
    ),
];

fn has_our_shape(conn: &Connection) -> rusqlite::Result<bool> {
    let mut statement = conn.prepare("SELECT name FROM pragma_table_info(?1)")?;
    for (table, columns) in OUR_SHAPE {
        let found = statement
            .query_map([table], |r| r.get::<_, String>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        if !columns.iter().all(|c| found.iter().any(|f| f == c)) {
            return Ok(false);
        }
    }
    Ok(true)
}

fn configure(conn: &Connection) -> rusqlite::Result<()> {
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        tracing::warn!(mode, "the database could not switch to WAL");
    }
    conn.pragma_update(None, "foreign_keys", true)?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    Ok(())
}

/// Refuses an existing non-empty file that does not start with SQLite's magic header.
fn check_header(path: &Path) -> Result<()> {
    let mut file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(source) => {
            return Err(StoreError::Open {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    let mut header = Vec::with_capacity(16);
    file.by_ref()
        .take(16)
        .read_to_end(&mut header)
        .map_err(|source| StoreError::Open {
            path: path.to_path_buf(),
            source,
        })?;
    if header.is_empty() || header.as_slice() == SQLITE_HEADER {
        Ok(())
    } else {
        Err(StoreError::NotADatabase {
            path: path.to_path_buf(),
        })
    }
}
