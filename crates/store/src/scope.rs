//! The words of "What a synchronization decides" (ARCHITECTURE.md) that the stored data, the
//! plan and the User properties dialog share: why an object is in scope, and the
//! administrator's decisions about objects *Check deleted objects* listed.

/// Why an object is in scope: reached from `root_id` through `path` (group names joined with
/// " / "; empty for the root itself).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Reason {
    pub root_id: String,
    pub path: String,
}

/// What the administrator decided about an object *Check deleted objects* listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DecisionAction {
    Keep,
    Disable,
    Delete,
}

impl DecisionAction {
    pub fn as_sql(self) -> &'static str {
        match self {
            DecisionAction::Keep => "keep",
            DecisionAction::Disable => "disable",
            DecisionAction::Delete => "delete",
        }
    }

    pub fn from_sql(text: &str) -> Option<Self> {
        match text {
            "keep" => Some(DecisionAction::Keep),
            "disable" => Some(DecisionAction::Disable),
            "delete" => Some(DecisionAction::Delete),
            _ => None,
        }
    }
}

/// Why *Check deleted objects* listed an object: the finding a decision is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DecisionFinding {
    SoftDeleted,
    HardDeleted,
    /// Disabled in Entra ID.
    Disabled,
    /// No reason left to be in scope.
    OutOfScope,
}

impl DecisionFinding {
    /// As the audit log and the User properties dialog word it (deleted in Entra ID is one
    /// finding, in the recycle bin or permanently).
    pub fn describe(self) -> &'static str {
        match self {
            DecisionFinding::SoftDeleted | DecisionFinding::HardDeleted => "deleted in Entra ID",
            DecisionFinding::Disabled => "disabled in Entra ID",
            DecisionFinding::OutOfScope => "no longer in scope",
        }
    }

    pub fn as_sql(self) -> &'static str {
        match self {
            DecisionFinding::SoftDeleted => "soft_deleted",
            DecisionFinding::HardDeleted => "hard_deleted",
            DecisionFinding::Disabled => "disabled",
            DecisionFinding::OutOfScope => "out_of_scope",
        }
    }

    pub fn from_sql(text: &str) -> Option<Self> {
        match text {
            "soft_deleted" => Some(DecisionFinding::SoftDeleted),
            "hard_deleted" => Some(DecisionFinding::HardDeleted),
            "disabled" => Some(DecisionFinding::Disabled),
            "out_of_scope" => Some(DecisionFinding::OutOfScope),
            _ => None,
        }
    }

    /// Whether `other` is the same finding for a decision's purpose (a soft-deleted object
    /// that was then purged is still "deleted in Entra ID").
    pub fn same_as(self, other: DecisionFinding) -> bool {
        let deleted = |f| {
            matches!(
                f,
                DecisionFinding::SoftDeleted | DecisionFinding::HardDeleted
            )
        };
        self == other || (deleted(self) && deleted(other))
    }
}

/// A decision in force, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StandingDecision {
    pub action: DecisionAction,
    pub finding: DecisionFinding,
    pub decided_by: String,
    pub decided_at: String,
}
