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

/// What undoing a run would do and lose; an error when it cannot be undone.
#[derive(Debug)]
pub enum UndoPreviewCmd {}

impl Command for UndoPreviewCmd {
    const NAME: &'static str = "undo_preview";
    type Args = RunRef;
    type Output = String;
}

/// Undoes the last synchronization; returns the id of the "undo" run recorded.
#[derive(Debug)]
pub enum UndoRun {}

impl Command for UndoRun {
    const NAME: &'static str = "undo_run";
    type Args = RunRef;
    type Output = i64;
}

/// Writes the audit log (runs and items) as CSV to the Downloads folder; returns the path.
#[derive(Debug)]
pub enum ExportAudit {}

impl Command for ExportAudit {
    const NAME: &'static str = "export_audit";
    type Args = NoArgs;
    type Output = String;
}
