//! `--every`: how often a scheduled synchronization runs (`15m`, `6h`, `1d`).

use std::fmt;
use std::str::FromStr;

/// An interval of whole minutes, at least 15 (Graph's change tracking makes more frequent
/// runs cheap, but a directory sync every few seconds is a mistake, not a schedule) and at
/// most 7 days (the delta token's lifetime: a longer gap makes every run a full read).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Every {
    minutes: u32,
}

pub const MIN_MINUTES: u32 = 15;
pub const MAX_MINUTES: u32 = 7 * 24 * 60;

impl Every {
    pub fn minutes(self) -> u32 {
        self.minutes
    }
}

impl FromStr for Every {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let split = text
            .find(|c: char| !c.is_ascii_digit())
            .ok_or_else(|| format!("{text:?}: give a unit, e.g. 30m, 6h or 1d"))?;
        let (number, unit) = text.split_at(split);
        let number: u32 = number
            .parse()
            .map_err(|_| format!("{text:?}: start with a whole number, e.g. 6h"))?;
        let per = match unit {
            "m" | "min" => 1,
            "h" => 60,
            "d" => 24 * 60,
            _ => return Err(format!("{text:?}: the unit is m, h or d")),
        };
        let minutes = number
            .checked_mul(per)
            .filter(|m| (MIN_MINUTES..=MAX_MINUTES).contains(m))
            .ok_or_else(|| {
                format!("{text:?}: choose between 15m and 7d (Entra ID keeps changes for 7 days)")
            })?;
        Ok(Self { minutes })
    }
}

impl fmt::Display for Every {
    /// The largest unit that divides it: 360 minutes is `6h`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let m = self.minutes;
        if m.is_multiple_of(24 * 60) {
            write!(f, "{}d", m / (24 * 60))
        } else if m.is_multiple_of(60) {
            write!(f, "{}h", m / 60)
        } else {
            write!(f, "{m}m")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_read_and_print_in_their_largest_unit() {
        for (text, minutes, shown) in [
            ("15m", 15, "15m"),
            ("90min", 90, "90m"),
            ("120m", 120, "2h"),
            ("6h", 360, "6h"),
            ("24h", 1440, "1d"),
            (" 7d ", 10080, "7d"),
        ] {
            let every: Every = text.parse().unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(
                (every.minutes(), every.to_string().as_str()),
                (minutes, shown)
            );
        }
    }

    #[test]
    fn nonsense_and_out_of_range_intervals_are_refused_with_the_rule() {
        for (text, says) in [
            ("", "give a unit"),
            ("6", "give a unit"),
            ("h", "whole number"),
            ("6 h", "the unit is"),
            ("6w", "the unit is"),
            ("14m", "between 15m and 7d"),
            ("8d", "between 15m and 7d"),
            ("4294967295d", "between 15m and 7d"),
            ("-1h", "whole number"),
        ] {
            let err = text.parse::<Every>().err().unwrap_or_default();
            assert!(err.contains(says), "{text:?}: {err}");
        }
    }
}
