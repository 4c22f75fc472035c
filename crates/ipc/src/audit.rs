//! The audit log view: synchronization runs, their items, undo of the last one, export.

use crate::{Command, NoArgs};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunView {
    pub id: i64,
    /// "sync" or "undo".
    pub kind: String,
    pub organization: String,
    pub started_by: String,
    pub started_at: String,
    pub status: String,
    pub created: i64,
    pub updated: i64,
    pub unchanged: i64,
    pub disabled: i64,
    pub deleted: i64,
    pub failed: i64,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunItemView {
    pub object_type: String,
    pub object_id: String,
    pub display_name: String,
    pub outcome: String,
    pub detail: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunRef {
    pub run: i64,
}

#[derive(Debug)]
pub enum ListRuns {}

impl Command for ListRuns {
    const NAME: &'static str = "list_runs";
    type Args = NoArgs;
    type Output = Vec<RunView>;
}

#[derive(Debug)]
pub enum RunItems {}

impl Command for RunItems {
    const NAME: &'static str = "run_items";
    type Args = RunRef;
    type Output = Vec<RunItemView>;
}

/// What an undo does with a row changed since the run it undoes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Resolution {
    /// Leave the newer value as it is (the default: nothing later is reverted silently).
    KeepNewer,
    /// Put back the value from before the run.
    Restore,
}

/// One field of a conflict: its value now and the value the undo would restore.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UndoFieldView {
    pub field: String,
    pub now: String,
    pub restore: String,
}

/// Something changed since the run that its undo would revert.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UndoConflictView {
    /// Identifies the conflict in [`UndoArgs::choices`] (stable for one preview).
    pub id: u32,
    /// "user", "group" or "membership".
    pub object_type: String,
    /// The user's account name or the group's name (for a membership: "user in group").
    pub object: String,
    /// What happened since, in words ("changed since the run", "deleted since the run", …).
    pub problem: String,
    pub fields: Vec<UndoFieldView>,
    /// False when restoring is impossible (the account name now belongs to another user):
    /// only [`Resolution::KeepNewer`] applies.
    pub restorable: bool,
}

/// What undoing a run would do; an error when it cannot be undone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UndoPreviewView {
    pub run: RunView,
    /// One sentence: what the undo reverts.
    pub summary: String,
    /// Row changes the undo reverts when every conflict keeps the newer value.
    pub changes: u32,
    pub conflicts: Vec<UndoConflictView>,
    /// Hands back to [`UndoRun`]: the undo refuses to write when the database changed since.
    pub token: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct UndoChoice {
    pub id: u32,
    pub resolution: Resolution,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UndoArgs {
    pub run: i64,
    /// [`UndoPreviewView::token`] of the preview the administrator decided on.
    pub token: String,
    /// For every conflict without its own choice.
    pub all: Resolution,
    pub choices: Vec<UndoChoice>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct UndoDone {
    /// The "undo" run recorded in the audit log.
    pub undo_run: i64,
    /// Row changes reverted.
    pub reverted: u32,
    /// Conflicts whose newer value was kept.
    pub kept: u32,
}

/// What undoing a run would do and which later changes it meets.
#[derive(Debug)]
pub enum UndoPreviewCmd {}

impl Command for UndoPreviewCmd {
    const NAME: &'static str = "undo_preview";
    type Args = RunRef;
    type Output = UndoPreviewView;
}

/// Undoes a synchronization (any, newest first), with the administrator's choices for its
/// conflicts. `ErrorCode::Stale` when the database changed since the preview.
#[derive(Debug)]
pub enum UndoRun {}

impl Command for UndoRun {
    const NAME: &'static str = "undo_run";
    type Args = UndoArgs;
    type Output = UndoDone;
}

/// A full backup of the database or an old pre-run snapshot, for Restore backup….
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupView {
    pub path: String,
    /// "backup" (the one kept) or "snapshot" (taken before a run by an older version).
    pub kind: String,
    /// When the file was written (UTC, ISO 8601).
    pub taken_at: String,
    pub bytes: u64,
}

/// The backups that can be restored, newest first.
#[derive(Debug)]
pub enum ListBackups {}

impl Command for ListBackups {
    const NAME: &'static str = "list_backups";
    type Args = NoArgs;
    type Output = Vec<BackupView>;
}

/// Writes the one full backup now (replacing the previous one); returns its path.
#[derive(Debug)]
pub enum BackupNow {}

impl Command for BackupNow {
    const NAME: &'static str = "backup_now";
    type Args = NoArgs;
    type Output = String;
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RestoreBackupArgs {
    /// One of [`ListBackups`]' paths.
    pub path: String,
}

/// Restores the directory data and local users of a backup as a whole; the audit log keeps
/// every run and records the restore. Returns the run recorded.
#[derive(Debug)]
pub enum RestoreBackup {}

impl Command for RestoreBackup {
    const NAME: &'static str = "restore_backup";
    type Args = RestoreBackupArgs;
    type Output = i64;
}

/// Writes the audit log (runs and items) as CSV where the admin chooses in the OS save
/// dialog; returns the path, or `None` when the admin cancelled the dialog.
#[derive(Debug)]
pub enum ExportAudit {}

impl Command for ExportAudit {
    const NAME: &'static str = "export_audit";
    type Args = NoArgs;
    type Output = Option<String>;
}
