//! What the administrator chose for each conflict of an undo preview, as plain Rust: every
//! conflict keeps its newer value until someone chooses Restore, Restore applies only where
//! it is possible, and the choices become the [`UndoArgs`] of the preview they were made on.

use aadsync_ipc::{Resolution, UndoArgs, UndoChoice, UndoConflictView, UndoDone, UndoPreviewView};
use std::collections::BTreeMap;

/// The choices made on one preview (conflict id → resolution). A fresh preview starts with
/// new, empty choices: its conflict ids need not mean the same conflicts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Choices {
    chosen: BTreeMap<u32, Resolution>,
}

impl Choices {
    /// The resolution of conflict `id`: [`Resolution::KeepNewer`] unless chosen otherwise.
    pub fn of(&self, id: u32) -> Resolution {
        self.chosen
            .get(&id)
            .copied()
            .unwrap_or(Resolution::KeepNewer)
    }

    /// Chooses for one conflict; Restore on a conflict that cannot be restored keeps the
    /// newer value.
    pub fn choose(&mut self, conflict: &UndoConflictView, resolution: Resolution) {
        let resolution = if conflict.restorable {
            resolution
        } else {
            Resolution::KeepNewer
        };
        self.chosen.insert(conflict.id, resolution);
    }

    /// Keep all newer values, or Restore all (those that can be restored).
    pub fn choose_all(&mut self, conflicts: &[UndoConflictView], resolution: Resolution) {
        for conflict in conflicts {
            self.choose(conflict, resolution);
        }
    }

    /// How many conflicts are restored.
    pub fn restored(&self, conflicts: &[UndoConflictView]) -> usize {
        conflicts
            .iter()
            .filter(|c| self.of(c.id) == Resolution::Restore)
            .count()
    }

    /// The undo of `preview` with these choices: one choice per conflict, said explicitly,
    /// and newer values kept for anything else.
    pub fn args(&self, preview: &UndoPreviewView) -> UndoArgs {
        UndoArgs {
            run: preview.run.id,
            token: preview.token.clone(),
            all: Resolution::KeepNewer,
            choices: preview
                .conflicts
                .iter()
                .map(|c| UndoChoice {
                    id: c.id,
                    resolution: self.of(c.id),
                })
                .collect(),
        }
    }
}

/// The value of a resolution in the choice `<select>`.
pub fn resolution_value(resolution: Resolution) -> &'static str {
    match resolution {
        Resolution::KeepNewer => "keep_newer",
        Resolution::Restore => "restore",
    }
}

/// The resolution a `<select>` value stands for (anything unknown keeps the newer value).
pub fn resolution_from(value: &str) -> Resolution {
    match value {
        "restore" => Resolution::Restore,
        _ => Resolution::KeepNewer,
    }
}

/// What an undo did, as the Audit log reports it.
pub fn done_text(run: i64, done: &UndoDone) -> String {
    let changes = match done.reverted {
        1 => "1 change reverted".to_owned(),
        n => format!("{n} changes reverted"),
    };
    let kept = match done.kept {
        1 => "1 newer value kept".to_owned(),
        n => format!("{n} newer values kept"),
    };
    format!(
        "Run #{run} undone (recorded as run #{}): {changes}, {kept}",
        done.undo_run
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use aadsync_ipc::RunView;

    fn conflict(id: u32, restorable: bool) -> UndoConflictView {
        UndoConflictView {
            id,
            object_type: "user".into(),
            object: format!("user{id}@contoso.com"),
            problem: "changed since the run".into(),
            fields: Vec::new(),
            restorable,
        }
    }

    fn preview(conflicts: Vec<UndoConflictView>) -> UndoPreviewView {
        UndoPreviewView {
            run: RunView {
                id: 4,
                kind: "sync".into(),
                organization: "Contoso".into(),
                started_by: "admin@contoso.com".into(),
                started_at: "2026-11-30T10:00:00Z".into(),
                status: "succeeded".into(),
                created: 3,
                updated: 0,
                unchanged: 0,
                disabled: 0,
                deleted: 0,
                failed: 0,
                message: String::new(),
            },
            summary: "Deletes the 3 users run #4 created".into(),
            changes: 2,
            conflicts,
            token: "t-17".into(),
        }
    }

    fn resolutions(choices: &Choices, conflicts: &[UndoConflictView]) -> Vec<Resolution> {
        conflicts.iter().map(|c| choices.of(c.id)).collect()
    }

    use Resolution::{KeepNewer as K, Restore as R};

    /// A choice for one conflict (`Some(id)`) or for all (`None`).
    type Step = (Option<u32>, Resolution);

    #[test]
    fn every_conflict_keeps_the_newer_value_until_chosen() {
        let conflicts = [conflict(0, true), conflict(1, true)];
        assert_eq!(resolutions(&Choices::default(), &conflicts), [K, K]);
    }

    #[test]
    fn choices_per_conflict_and_for_all() {
        let conflicts = [conflict(0, true), conflict(1, false), conflict(2, true)];
        // (steps, expected resolutions after them)
        let cases: [(&[Step], [Resolution; 3]); 6] = [
            (&[(Some(2), R)], [K, K, R]),
            (&[(Some(1), R)], [K, K, K]),
            (&[(None, R)], [R, K, R]),
            (&[(None, R), (Some(0), K)], [K, K, R]),
            (&[(None, R), (None, K)], [K, K, K]),
            (&[(Some(0), R), (Some(0), K)], [K, K, K]),
        ];
        for (steps, expected) in cases {
            let mut choices = Choices::default();
            for (target, resolution) in steps {
                match target {
                    Some(id) => choices.choose(&conflicts[*id as usize], *resolution),
                    None => choices.choose_all(&conflicts, *resolution),
                }
            }
            assert_eq!(resolutions(&choices, &conflicts), expected, "{steps:?}");
            let restored = expected.iter().filter(|r| **r == R).count();
            assert_eq!(choices.restored(&conflicts), restored, "{steps:?}");
        }
    }

    #[test]
    fn the_undo_names_the_preview_and_every_conflict() {
        let preview = preview(vec![conflict(0, true), conflict(1, true)]);
        let mut choices = Choices::default();
        choices.choose(&preview.conflicts[1], R);
        assert_eq!(
            choices.args(&preview),
            UndoArgs {
                run: 4,
                token: "t-17".into(),
                all: K,
                choices: vec![
                    UndoChoice {
                        id: 0,
                        resolution: K
                    },
                    UndoChoice {
                        id: 1,
                        resolution: R
                    },
                ],
            }
        );
        assert!(
            Choices::default()
                .args(&self::preview(Vec::new()))
                .choices
                .is_empty()
        );
    }

    #[test]
    fn select_values_round_trip() {
        for r in [K, R] {
            assert_eq!(resolution_from(resolution_value(r)), r);
        }
        assert_eq!(resolution_from("anything else"), K);
    }

    #[test]
    fn the_result_counts_in_words() {
        let done = |reverted, kept| UndoDone {
            undo_run: 9,
            reverted,
            kept,
        };
        for (d, expected) in [
            (
                done(12, 1),
                "Run #4 undone (recorded as run #9): 12 changes reverted, 1 newer value kept",
            ),
            (
                done(1, 0),
                "Run #4 undone (recorded as run #9): 1 change reverted, 0 newer values kept",
            ),
        ] {
            assert_eq!(done_text(4, &d), expected);
        }
    }
}
