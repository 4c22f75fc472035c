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
/// Whether change-tracking links taken at `taken_at` can still be used at `now` (seconds since
/// the epoch): Graph keeps the state behind them for 7 days, so at exactly 7 days they cannot.
pub fn links_usable(taken_at: i64, now: i64) -> bool {
    now - taken_at < DELTA_WINDOW_SECONDS
}

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
    Some(if !links_usable(taken, now) {
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
    /// Exactly 7 days (604,800 s) after the links were taken, they are no longer used.
    #[test]
    fn links_are_usable_for_seven_days_less_a_second() {
        let taken = 1_800_000_000;
        for (age, usable) in [
            (0, true),
            (604_799, true),
            (604_800, false),
            (604_801, false),
            (-60, true),
        ] {
            assert_eq!(links_usable(taken, taken + age), usable, "age {age} s");
        }
    }

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
            (86_399, "23 hours"),
            (86_400, "1 day"),
            (8 * 86_400, "8 days"),
            (-5, "less than a minute"),
        ];
        for (seconds, expected) in cases {
            assert_eq!(span(seconds), expected, "{seconds}");
        }
    }

    /// Every note in full, at a fixed `now`: the window's edges (exactly 7 days, exactly one
    /// day left) and a clock that runs behind the last sync's.
    #[test]
    fn notes() {
        const NONE: &str = "The next synchronization compares every imported object (no change-tracking link was kept).";
        const LAPSED: &str = "the next synchronization compares every imported object, which takes longer on a large tenant.";
        const SOON: &str = "to keep incremental sync; after that the next synchronization compares every imported object.";
        let only = |left: &str| {
            format!(
                "The next synchronization reads only the changes (possible for another {left})."
            )
        };
        /// Last sync, links taken, the note expected.
        type Case = (
            Option<&'static str>,
            Option<&'static str>,
            Option<(String, bool)>,
        );
        let cases: Vec<Case> = vec![
            (None, None, None),
            (None, Some("2026-11-25T21:00:00Z"), None),
            (
                Some("2026-11-26T00:00:00Z"),
                None,
                Some((
                    format!("Last synchronized less than a minute ago. {NONE}"),
                    false,
                )),
            ),
            // The machine's clock behind the last sync's time: not "-1 minutes".
            (
                Some("2026-11-26T00:05:00Z"),
                None,
                Some((
                    format!("Last synchronized less than a minute ago. {NONE}"),
                    false,
                )),
            ),
            (
                Some("2026-11-25T21:00:00Z"),
                None,
                Some((format!("Last synchronized 3 hours ago. {NONE}"), false)),
            ),
            // 7 days minus 3 hours left.
            (
                Some("2026-11-25T21:00:00Z"),
                Some("2026-11-25T21:00:00Z"),
                Some((
                    format!("Last synchronized 3 hours ago. {}", only("6 days")),
                    false,
                )),
            ),
            // One day and one second left: not yet the warning.
            (
                Some("2026-11-20T00:00:01Z"),
                Some("2026-11-20T00:00:01Z"),
                Some((
                    format!("Last synchronized 5 days ago. {}", only("1 day")),
                    false,
                )),
            ),
            // Exactly one day left: the warning.
            (
                Some("2026-11-20T00:00:00Z"),
                Some("2026-11-20T00:00:00Z"),
                Some((
                    format!("Last synchronized 6 days ago. Synchronize within 1 day {SOON}"),
                    true,
                )),
            ),
            (
                Some("2026-11-19T06:00:00Z"),
                Some("2026-11-19T06:00:00Z"),
                Some((
                    format!("Last synchronized 6 days ago. Synchronize within 6 hours {SOON}"),
                    true,
                )),
            ),
            // A sync that kept no new links (an object failed) but the old ones still count.
            (
                Some("2026-11-25T23:00:00Z"),
                Some("2026-11-19T12:00:00Z"),
                Some((
                    format!("Last synchronized 1 hour ago. Synchronize within 12 hours {SOON}"),
                    true,
                )),
            ),
            // Exactly 7 days: lapsed (Graph's window is "less than 7 days").
            (
                Some("2026-11-19T00:00:00Z"),
                Some("2026-11-19T00:00:00Z"),
                Some((
                    format!(
                        "Last synchronized 7 days ago. The 7-day change-tracking window lapsed less than a minute ago: {LAPSED}"
                    ),
                    true,
                )),
            ),
            (
                Some("2026-11-10T00:00:00Z"),
                Some("2026-11-10T00:00:00Z"),
                Some((
                    format!(
                        "Last synchronized 16 days ago. The 7-day change-tracking window lapsed 9 days ago: {LAPSED}"
                    ),
                    true,
                )),
            ),
        ];
        for (last, taken, expected) in cases {
            let note = sync_note(last, taken, NOW);
            let expected = expected.map(|(text, warning)| SyncNote { text, warning });
            assert_eq!(note, expected, "{last:?} {taken:?}");
        }
    }
}
