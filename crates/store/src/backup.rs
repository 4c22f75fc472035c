//! Full backups of the database: the one kept backup, the pre-run snapshots older versions
//! took, listing them, and restoring one as a whole (`restore`).
//!
//! A database's backups live in a folder only it uses, named after it
//! (`<db dir>/<db file name>.backups/`). The one backup is `<db stem>.backup.sqlite3` there,
//! written through SQLite's online backup API into `.<db stem>.backup.sqlite3.partial` (by one
//! process at a time, holding `.<db stem>.backup.lock`), synced and renamed over the previous
//! one: there is at most one, and a crash leaves the previous one in place. Nothing here deletes a file aadsync did not create, and only files aadsync wrote
//! for this database are listed or restored: the backup, and the snapshots its audit log names
//! (`sync_runs.snapshot_path`), while they exist.

pub(crate) mod decisions;
mod restore;

use crate::users::WriteHandle;
use crate::{Result, Store, StoreError};
use rusqlite::Connection;
use rusqlite::backup::{Backup, StepResult};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// Which kind of file a [`BackupFile`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BackupKind {
    /// The one full backup (before an organization's first sync, or on demand).
    Backup,
    /// A copy taken before a synchronization by an older version, named in the audit log.
    Snapshot,
}

impl BackupKind {
    pub fn as_str(self) -> &'static str {
        match self {
            BackupKind::Backup => "backup",
            BackupKind::Snapshot => "snapshot",
        }
    }
}

/// A file [`WriteHandle::restore_backup`] accepts.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct BackupFile {
    pub path: PathBuf,
    pub kind: BackupKind,
    /// When the file was last written (its modification time), UTC ISO 8601.
    pub taken_at: String,
    pub bytes: u64,
}

/// `<db dir>/<db file name>.backups`: a folder only this database uses.
fn backups_dir_of(db: &Path) -> PathBuf {
    let mut name = db.file_name().unwrap_or_default().to_os_string();
    name.push(".backups");
    db.with_file_name(name)
}

/// The database file's name without its extension (`aadsync` for `aadsync.sqlite3`).
fn stem_of(db: &Path) -> String {
    db.file_stem()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned()
}

/// The one backup of the database at `db`.
fn backup_path_of(db: &Path) -> PathBuf {
    backups_dir_of(db).join(format!("{}.backup.sqlite3", stem_of(db)))
}

impl Store {
    /// The folder this database's backups go to (it may not exist yet).
    pub fn backups_dir(&self) -> PathBuf {
        backups_dir_of(self.path())
    }

    /// The backups that can be restored, newest first: the one backup if there is one, and
    /// the pre-run snapshots the audit log names that still exist.
    pub fn backups(&self) -> Result<Vec<BackupFile>> {
        let reader = self.reader();
        list(reader.connection(), self.path()).map_err(|e| reader.error(e))
    }

    /// The restorable file at `path`, or [`StoreError::NotABackup`].
    pub fn backup_at(&self, path: &Path) -> Result<BackupFile> {
        find(self.backups()?, path)
    }
}

/// The file of `listed` at `path` (the same file, however the path is written).
fn find(listed: Vec<BackupFile>, path: &Path) -> Result<BackupFile> {
    let wanted = same_file(path);
    listed
        .into_iter()
        .find(|f| same_file(&f.path) == wanted)
        .ok_or_else(|| StoreError::NotABackup {
            path: path.to_path_buf(),
        })
}

/// The path of a file for comparison: resolved when it exists, else made absolute.
fn same_file(path: &Path) -> PathBuf {
    std::fs::canonicalize(path)
        .or_else(|_| std::path::absolute(path))
        .unwrap_or_else(|_| path.to_path_buf())
}

/// Every restorable file of the database at `db`, newest first.
fn list(conn: &Connection, db: &Path) -> rusqlite::Result<Vec<BackupFile>> {
    let mut found: Vec<(SystemTime, BackupFile)> = Vec::new();
    let mut add = |path: PathBuf, kind: BackupKind| {
        let Ok(meta) = std::fs::metadata(&path) else {
            return;
        };
        if !meta.is_file() || found.iter().any(|(_, f)| f.path == path) {
            return;
        }
        let modified = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
        let file = BackupFile {
            path,
            kind,
            taken_at: iso_utc(modified),
            bytes: meta.len(),
        };
        found.push((modified, file));
    };
    add(backup_path_of(db), BackupKind::Backup);
    let mut stmt = conn.prepare(
        "SELECT DISTINCT snapshot_path FROM sync_runs
         WHERE snapshot_path IS NOT NULL AND snapshot_path <> ''",
    )?;
    let named = stmt
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    for path in named {
        add(PathBuf::from(path), BackupKind::Snapshot);
    }
    found.sort_by(|(a, x), (b, y)| b.cmp(a).then_with(|| x.path.cmp(&y.path)));
    Ok(found.into_iter().map(|(_, file)| file).collect())
}

/// A file time as UTC ISO 8601 ("2026-11-26T04:19:06Z"), to the second.
fn iso_utc(time: SystemTime) -> String {
    let secs = match time.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX),
    };
    let (days, rest) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

impl WriteHandle<'_> {
    /// Writes the one full backup of the database (replacing the previous one) and returns
    /// its path. Written to a temporary name in the same folder, synced, then renamed, so the
    /// previous backup stays whole until the new one is; one process at a time writes it
    /// (`.<db stem>.backup.lock` in the folder). Call it outside a transaction: SQLite's
    /// backup cannot read from a connection that is writing.
    pub fn backup(&self) -> Result<PathBuf> {
        if !self.conn.is_autocommit() {
            return Err(StoreError::Invalid(
                "a backup is taken outside a transaction".into(),
            ));
        }
        let dest = self.write_backup()?;
        tracing::info!(backup = %dest.display(), "backup written");
        Ok(dest)
    }

    fn write_backup(&self) -> Result<PathBuf> {
        let dest = backup_path_of(self.path);
        let fail = |detail: String| StoreError::Backup {
            path: dest.clone(),
            detail,
        };
        let dir = backups_dir_of(self.path);
        crate::private::own_dir(&dir)
            .map_err(|e| fail(format!("cannot create the folder {} ({e})", dir.display())))?;
        let _lock = self.lock_backup(&dir).map_err(&fail)?;
        // Only the holder of the lock writes this name: a file left there is a crashed one's.
        let partial = dir.join(format!(".{}.backup.sqlite3.partial", stem_of(self.path)));
        remove_if_present(&partial).map_err(|e| fail(format!("cannot replace {e}")))?;
        let written = self
            .copy_to(&partial)
            .map_err(|e| fail(format!("cannot write it ({e})")));
        let written = written.and_then(|()| {
            std::fs::File::options()
                .write(true)
                .open(&partial)
                .and_then(|f| f.sync_all())
                .map_err(|e| fail(format!("cannot save it to disk ({e})")))
        });
        let renamed = written.and_then(|()| {
            std::fs::rename(&partial, &dest).map_err(|e| fail(format!("cannot rename it ({e})")))
        });
        if let Err(err) = renamed {
            let _ = remove_if_present(&partial);
            return Err(err);
        }
        sync_dir(&dir);
        Ok(dest)
    }

    /// Waits (as long as the connection waits for another writer) until no other process
    /// writes this database's backup, and holds that until the returned file is dropped.
    fn lock_backup(&self, dir: &Path) -> std::result::Result<std::fs::File, String> {
        let path = dir.join(format!(".{}.backup.lock", stem_of(self.path)));
        let file = crate::private::open_or_create(&path)
            .map_err(|e| format!("cannot create {} ({e})", path.display()))?;
        let wait_ms: i64 = self
            .conn
            .query_row("PRAGMA busy_timeout", [], |r| r.get(0))
            .unwrap_or(10_000);
        let wait = Duration::from_millis(u64::try_from(wait_ms).unwrap_or(0));
        let started = std::time::Instant::now();
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(file),
                Err(std::fs::TryLockError::WouldBlock) if started.elapsed() < wait => {
                    std::thread::sleep(Duration::from_millis(20));
                }
                Err(std::fs::TryLockError::WouldBlock) => {
                    return Err(
                        "another aadsync is writing a backup of this database; try again when it is done"
                            .into(),
                    );
                }
                Err(std::fs::TryLockError::Error(e)) => {
                    return Err(format!("cannot lock {} ({e})", path.display()));
                }
            }
        }
    }

    /// A consistent copy of the database as one self-contained file (no WAL) at `dest`.
    fn copy_to(&self, dest: &Path) -> rusqlite::Result<()> {
        // Created 0600 first: SQLite would create it with the umask's mode.
        crate::private::create_new(dest).map_err(io_error)?;
        let mut target = Connection::open(dest)?;
        copy_whole(&self.conn, &mut target)?;
        target.query_row("PRAGMA journal_mode = DELETE", [], |_| Ok(()))?;
        target.close().map_err(|(_, e)| e)
    }

    /// The restorable files, as [`Store::backups`] lists them, read on the write connection.
    fn backups_here(&self) -> Result<Vec<BackupFile>> {
        list(&self.conn, self.path).map_err(|e| StoreError::from_sqlite(self.path, e))
    }
}

/// Copies every page of `from` into `to` in one step, so the copy is of one committed state
/// (a step that meets a lock waits and tries again, for up to 10 s).
pub(crate) fn copy_whole(from: &Connection, to: &mut Connection) -> rusqlite::Result<()> {
    let backup = Backup::new(from, to)?;
    for _ in 0..200 {
        if backup.step(-1)? == StepResult::Done {
            return Ok(());
        }
        // Busy or locked by another connection (or, never with -1, more to copy).
        std::thread::sleep(Duration::from_millis(50));
    }
    Err(rusqlite::Error::SqliteFailure(
        rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY),
        Some("the database stayed busy for 10 s".into()),
    ))
}

/// An I/O error where an SQLite one is expected (SQLITE_CANTOPEN with the reason).
fn io_error(err: std::io::Error) -> rusqlite::Error {
    rusqlite::Error::SqliteFailure(
        rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CANTOPEN),
        Some(err.to_string()),
    )
}

/// Removes `path` if it exists (a file of ours: a left-over partial or temporary copy).
fn remove_if_present(path: &Path) -> std::result::Result<(), String> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(format!("{} ({e})", path.display())),
    }
}

/// Makes a rename in `dir` durable (where the platform allows syncing a directory).
fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Err(err) = std::fs::File::open(dir).and_then(|d| d.sync_all()) {
        tracing::warn!(error = %err, dir = %dir.display(), "could not sync the backups folder");
    }
    #[cfg(not(unix))]
    let _ = dir;
}

// Pre-run snapshots and restoring one in place, for "Undo last synchronization" until undo by
// changesets replaces it (its last callers are `sync::write` and `store::audit`).
impl WriteHandle<'_> {
    /// Writes a consistent copy of the database to `dest` (which must not exist yet).
    pub fn snapshot_to(&self, dest: &Path) -> Result<()> {
        let fail = |detail: String| StoreError::Snapshot {
            path: dest.to_path_buf(),
            detail,
        };
        if dest.exists() {
            return Err(fail(
                "the file already exists; snapshots are never overwritten".into(),
            ));
        }
        if let Some(parent) = dest.parent() {
            crate::private::create_dir_all(parent).map_err(|e| fail(e.to_string()))?;
        }
        crate::private::create_new(dest).map_err(|e| fail(e.to_string()))?;
        let mut target = Connection::open(dest).map_err(|e| fail(e.to_string()))?;
        let backup = Backup::new(&self.conn, &mut target).map_err(|e| fail(e.to_string()))?;
        backup
            .run_to_completion(1024, Duration::ZERO, None)
            .map_err(|e| fail(e.to_string()))?;
        drop(backup);
        // A snapshot is a single self-contained file, not a WAL pair.
        target
            .query_row("PRAGMA journal_mode = DELETE", [], |_| Ok(()))
            .map_err(|e| fail(e.to_string()))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_times_are_utc_iso_8601() {
        let at = |secs: u64| iso_utc(SystemTime::UNIX_EPOCH + Duration::from_secs(secs));
        assert_eq!(at(0), "1970-01-01T00:00:00Z");
        assert_eq!(at(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(at(1_795_659_546), "2026-11-26T02:19:06Z");
        assert_eq!(at(1_795_737_599), "2026-11-26T23:59:59Z");
        assert_eq!(at(1_795_737_600), "2026-11-27T00:00:00Z");
        assert_eq!(
            iso_utc(SystemTime::UNIX_EPOCH - Duration::from_secs(1)),
            "1969-12-31T23:59:59Z"
        );
    }

    #[test]
    fn a_database_has_a_folder_of_its_own() {
        let db = Path::new("/srv/x/aadsync.sqlite3");
        assert_eq!(
            backups_dir_of(db),
            Path::new("/srv/x/aadsync.sqlite3.backups")
        );
        assert_eq!(
            backup_path_of(db),
            Path::new("/srv/x/aadsync.sqlite3.backups/aadsync.backup.sqlite3")
        );
    }
}
