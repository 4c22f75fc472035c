//! Scheduled synchronization in the app (issue 18): wizard step 1 shows the selected
//! organization's schedule and its last attempt, adds and removes it; the Users area asks on
//! start which organizations' last scheduled attempt needs the administrator.

use crate::{Command, DeletedAction, NoArgs, OrganizationRef};
use serde::{Deserialize, Serialize};

/// The intervals step 1 offers (`--every` words with their labels), 15 minutes to 7 days.
pub const INTERVALS: &[(&str, &str)] = &[
    ("15m", "Every 15 minutes"),
    ("30m", "Every 30 minutes"),
    ("1h", "Every hour"),
    ("2h", "Every 2 hours"),
    ("6h", "Every 6 hours"),
    ("12h", "Every 12 hours"),
    ("1d", "Every day"),
    ("7d", "Every 7 days"),
];

/// The schedule of one organization on this database, with its last attempt.
#[derive(Debug)]
pub enum GetSchedule {}

impl Command for GetSchedule {
    const NAME: &'static str = "get_schedule";
    type Args = OrganizationRef;
    type Output = ScheduleView;
}

/// Installs (or replaces) the organization's schedule in the user's job scheduler.
#[derive(Debug)]
pub enum AddSchedule {}

impl Command for AddSchedule {
    const NAME: &'static str = "add_schedule";
    type Args = NewSchedule;
    type Output = ScheduleView;
}

/// Removes the organization's schedule; its recorded attempts stay.
#[derive(Debug)]
pub enum RemoveSchedule {}

impl Command for RemoveSchedule {
    const NAME: &'static str = "remove_schedule";
    type Args = OrganizationRef;
    type Output = ScheduleView;
}

/// The organizations whose last scheduled attempt failed or needs a new sign-in (no later
/// attempt succeeded), for the Users area's notice.
#[derive(Debug)]
pub enum ScheduleNotices {}

impl Command for ScheduleNotices {
    const NAME: &'static str = "schedule_notices";
    type Args = NoArgs;
    type Output = Vec<AttemptView>;
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewSchedule {
    pub organization_id: i64,
    /// One of [`INTERVALS`]' words (`6h`).
    pub every: String,
    /// Check deleted objects with this action; `None`: deleted objects are left alone. The
    /// deletion safeguard always applies.
    pub deleted_action: Option<DeletedAction>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ScheduleView {
    /// `None`: no schedule on this database.
    pub installed: Option<InstalledSchedule>,
    pub last_attempt: Option<AttemptView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstalledSchedule {
    /// As given (`6h`).
    pub every: String,
    pub deleted_action: Option<DeletedAction>,
}

/// How a scheduled attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttemptOutcome {
    Succeeded,
    SomeFailed,
    Safeguard,
    SignIn,
    Failed,
}

impl AttemptOutcome {
    /// Whether the administrator needs to act (the Users area's notice).
    pub fn needs_attention(self) -> bool {
        matches!(self, Self::Safeguard | Self::SignIn | Self::Failed)
    }
}

/// One recorded scheduled attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttemptView {
    pub id: i64,
    /// The organization when it is still configured (`None`: removed since).
    pub organization_id: Option<i64>,
    pub organization: String,
    pub tenant_id: String,
    pub started_at: String,
    pub finished_at: String,
    pub outcome: AttemptOutcome,
    pub reason: String,
    pub run_id: Option<i64>,
}
