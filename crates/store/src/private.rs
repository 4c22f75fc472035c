//! Files only their owner may read (issue 14). The database, its WAL and shared memory, the
//! backups, the logs and the exports hold argon2 hashes of local accounts and the whole
//! directory: on Unix files are created 0600 and the folders aadsync creates 0700, whatever the
//! umask. Windows has no mode bits: there they inherit the user-only ACL of the profile folders
//! (`%APPDATA%`, Downloads) they are created in.

use std::fs::File;
use std::io;
use std::path::Path;

/// Creates `dir` and any missing parents; the ones created here are 0700. Folders that
/// already exist (the admin's own, say `/tmp` for `--db /tmp/x.db`) are left as they are.
pub fn create_dir_all(dir: &Path) -> io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Creates `dir` like [`create_dir_all`] and makes it 0700 even if it existed: for folders that
/// are aadsync's own (the backups folder, the log folder).
pub fn own_dir(dir: &Path) -> io::Result<()> {
    create_dir_all(dir)?;
    set_mode(dir, 0o700)
}

/// Creates a new, empty file that only its owner may read and write (fails if it exists).
pub fn create_new(path: &Path) -> io::Result<File> {
    let mut options = File::options();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

/// Opens (creating it 0600 if needed) a file to write without truncating it.
pub fn open_or_create(path: &Path) -> io::Result<File> {
    let mut options = File::options();
    options.write(true).create(true).truncate(false);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let file = options.open(path)?;
    set_mode(path, 0o600)?;
    Ok(file)
}

/// Makes an existing file 0600 (one written before this rule, or by a library that does not
/// take a mode); a missing file is fine.
pub fn restrict(path: &Path) -> io::Result<()> {
    match set_mode(path, 0o600) {
        Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(()),
        other => other,
    }
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(path: &Path, _mode: u32) -> io::Result<()> {
    std::fs::metadata(path).map(|_| ())
}
