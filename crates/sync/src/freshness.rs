//! How current an organization's import is: "last synchronized 3 hours ago", and whether the
//! next sync can still be incremental (Graph keeps change-tracking state for 7 days).

use aadsync_directory::graph::{DELTA_WINDOW_SECONDS, parse_iso_seconds};

/// Warn this long before the change-tracking window lapses.
pub const WARN_BEFORE_SECONDS: i64 = 86_400;

/// The note the organization step and `aadsync org list` show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncNote {
    pub text: String,
    /// The admin should act (synchronize soon) or expect a slower full comparison.
    pub warning: bool,
}

/// "just now", "5 minutes", "3 hours", "2 days".
pub fn span(seconds: i64) -> String {
    let s = seconds.max(0);
    let (n, unit) = match s {
        0..60 => return "less than a minute".into(),
        60..3_600 => (s / 60, "minute"),
        3_600..86_400 => (s / 3_600, "hour"),
        _ => (s / 86_400, "day"),
    };
    format!("{n} {unit}{}", if n == 1 { "" } else { "s" })
}

/// `None` for an organization never synchronized (its label says so).
pub fn sync_note(
    last_sync_at: Option<&str>,
    delta_taken_at: Option<&str>,
    now: i64,
) -> Option<SyncNote> {
    let last = parse_iso_seconds(last_sync_at?)?;
    let ago = format!("Last synchronized {} ago.", span(now - last));
    let Some(taken) = delta_taken_at.and_then(parse_iso_seconds) else {
        return Some(SyncNote {
            text: format!(
                "{ago} The next synchronization compares every imported object (no change-tracking link was kept)."
            ),
            warning: false,
        });
    };
    let left = taken + DELTA_WINDOW_SECONDS - now;
    Some(if left <= 0 {
        SyncNote {
            text: format!(
                "{ago} The 7-day change-tracking window lapsed {} ago: the next synchronization compares every imported object, which takes longer on a large tenant.",
                span(-left)
            ),
            warning: true,
        }
    } else if left <= WARN_BEFORE_SECONDS {
        SyncNote {
            text: format!(
                "{ago} Synchronize within {} to keep incremental sync; after that the next synchronization compares every imported object.",
                span(left)
            ),
            warning: true,
        }
    } else {
        SyncNote {
            text: format!(
                "{ago} The next synchronization reads only the changes (possible for another {}).",
                span(left)
            ),
            warning: false,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_795_651_200; // 2026-11-26T00:00:00Z

    #[test]
    fn spans() {
        let cases = [
            (0, "less than a minute"),
            (59, "less than a minute"),
            (60, "1 minute"),
            (3_599, "59 minutes"),
            (3_600, "1 hour"),
            (7_200, "2 hours"),
            (86_400, "1 day"),
            (8 * 86_400, "8 days"),
            (-5, "less than a minute"),
        ];
        for (seconds, expected) in cases {
            assert_eq!(span(seconds), expected, "{seconds}");
        }
    }

    #[test]
    fn notes() {
        /// Last sync, links taken, expected start of the second sentence and warning.
        type Case<'a> = (Option<&'a str>, Option<&'a str>, Option<(&'a str, bool)>);
        let cases: [Case<'_>; 6] = [
            (None, None, None),
            (
                Some("2026-11-25T21:00:00Z"),
                None,
                Some(("The next synchronization compares every", false)),
            ),
            (
                Some("2026-11-25T21:00:00Z"),
                Some("2026-11-25T21:00:00Z"),
                Some((
                    "The next synchronization reads only the changes (possible for another 6 days",
                    false,
                )),
            ),
            (
                Some("2026-11-19T06:00:00Z"),
                Some("2026-11-19T06:00:00Z"),
                Some(("Synchronize within 6 hours", true)),
            ),
            (
                Some("2026-11-10T00:00:00Z"),
                Some("2026-11-10T00:00:00Z"),
                Some(("The 7-day change-tracking window lapsed 9 days ago", true)),
            ),
            // A sync that kept no new links (an object failed) but the old ones still count.
            (
                Some("2026-11-25T23:00:00Z"),
                Some("2026-11-19T12:00:00Z"),
                Some(("Synchronize within 12 hours", true)),
            ),
        ];
        for (last, taken, expected) in cases {
            let note = sync_note(last, taken, NOW);
            match expected {
                None => assert_eq!(note, None),
                Some((start, warning)) => {
                    let note = note.expect("a note");
                    let (_, second) = note.text.split_once(" ago. ").expect("two sentences");
                    assert!(
                        second.starts_with(start),
                        "{last:?} {taken:?}: {}",
                        note.text
                    );
                    assert_eq!(note.warning, warning, "{}", note.text);
                }
            }
        }
        let note = sync_note(Some("2026-11-25T21:00:00Z"), None, NOW).expect("note");
        assert!(
            note.text.starts_with("Last synchronized 3 hours ago."),
            "{}",
            note.text
        );
    }
}
