//! The deletion safeguard: when disabling or deleting imported objects needs the administrator's
//! explicit confirmation. One predicate for the wizard (WASM), the backend's re-check, the engine
//! and the CLI.

/// An organization's deletion safeguard: confirmation is needed when *more than* `count` objects
/// *and more than* `percent` % of the organization's imported objects would be disabled or
/// deleted. Both comparisons are strict, so exactly 10 % of 110 (11 objects) passes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Safeguard {
    pub count: u64,
    pub percent: u64,
}

impl Default for Safeguard {
    /// What a new organization gets: more than 10 objects and more than 10 %.
    fn default() -> Self {
        Self {
            count: 10,
            percent: 10,
        }
    }
}

impl Safeguard {
    /// Whether disabling or deleting `affected` of `imported_total` objects needs a confirmation.
    ///
    /// The share is compared in whole numbers (`affected × 100 > total × percent`) so that the
    /// boundary is exact; saturating, because a count read from a database must not wrap.
    pub fn exceeded(&self, affected: u64, imported_total: u64) -> bool {
        affected > self.count
            && affected.saturating_mul(100) > imported_total.saturating_mul(self.percent)
    }
}

/// One row of [`BOUNDARIES`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SafeguardCase {
    pub safeguard: Safeguard,
    pub affected: u64,
    pub imported_total: u64,
    pub exceeded: bool,
    pub why: &'static str,
}

const fn case(
    count: u64,
    percent: u64,
    affected: u64,
    imported_total: u64,
    exceeded: bool,
    why: &'static str,
) -> SafeguardCase {
    SafeguardCase {
        safeguard: Safeguard { count, percent },
        affected,
        imported_total,
        exceeded,
        why,
    }
}

/// The rule's boundaries, written down once: every place that decides about the safeguard (the
/// wizard's preview, the backend's re-check, and the engine's `needs_confirmation`, which the CLI
/// uses) is
/// tested against this table, so a `>` that becomes `>=` anywhere fails a test.
pub const BOUNDARIES: &[SafeguardCase] = &[
    case(
        10,
        10,
        11,
        110,
        false,
        "11 of 110 is exactly 10 %: not more",
    ),
    case(10, 10, 12, 110, true, "12 of 110 is 10.9 %"),
    case(10, 10, 11, 109, true, "11 of 109 is 10.09 %"),
    case(10, 10, 11, 111, false, "11 of 111 is 9.9 %"),
    case(10, 10, 10, 10, false, "10 objects are not more than 10"),
    case(10, 10, 11, 11, true, "11 of 11: both crossed"),
    case(10, 10, 0, 0, false, "nothing to disable or delete"),
    case(25, 5, 25, 100, false, "25 is not more than 25"),
    case(25, 5, 26, 520, false, "26 of 520 is exactly 5 %"),
    case(25, 5, 26, 519, true, "26 of 519 is 5.01 %"),
    case(0, 0, 1, 1_000_000, true, "0 / 0 % confirms every removal"),
    case(
        0,
        0,
        0,
        5,
        false,
        "0 / 0 %: still nothing when nothing is removed",
    ),
    case(10, 100, 500, 500, false, "100 % is never exceeded"),
    case(
        1_000_000,
        10,
        1_000_000,
        1_000_000,
        false,
        "the largest count",
    ),
    case(
        10,
        10,
        u64::MAX,
        u64::MAX,
        false,
        "saturates instead of wrapping",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_boundaries_hold() {
        for c in BOUNDARIES {
            assert_eq!(
                c.safeguard.exceeded(c.affected, c.imported_total),
                c.exceeded,
                "{}: {c:?}",
                c.why
            );
        }
    }

    #[test]
    fn a_new_organization_gets_10_and_10() {
        assert_eq!(
            Safeguard::default(),
            Safeguard {
                count: 10,
                percent: 10
            }
        );
    }
}
