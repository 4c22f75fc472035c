//! The time that decisions are taken against: when an access token is renewed, how long a
//! `Retry-After` date means to wait, whether an ID token is within its lifetime.
//!
//! Every such decision asks a [`Clock`] carried by the organization's `Target` instead of
//! reading the system clock itself, so tests can put it exactly on a boundary.
//! It is wall-clock time on purpose: token lifetimes and HTTP dates are stated in it, and
//! unlike a monotonic clock it keeps counting while the computer sleeps, so a token that ran
//! out during a suspend is renewed rather than sent.

use std::sync::{Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A source of the current time.
pub trait Clock: Send + Sync + std::fmt::Debug {
    fn now(&self) -> SystemTime;
}

/// The computer's clock: what the app uses.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// A clock that stands still until a test moves it.
#[derive(Debug)]
pub struct FixedClock {
    now: Mutex<SystemTime>,
}

impl FixedClock {
    pub fn at(now: SystemTime) -> Self {
        Self {
            now: Mutex::new(now),
        }
    }

    /// `seconds` after the Unix epoch.
    pub fn at_unix(seconds: u64) -> Self {
        Self::at(UNIX_EPOCH + Duration::from_secs(seconds))
    }

    pub fn advance(&self, by: Duration) {
        *self.now.lock().unwrap_or_else(PoisonError::into_inner) += by;
    }
}

impl Clock for FixedClock {
    fn now(&self) -> SystemTime {
        *self.now.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Seconds since the Unix epoch, as JWT claims count them (0 for a clock set before 1970).
pub fn unix_seconds(time: SystemTime) -> i64 {
    time.duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fixed_clock_moves_only_when_told() {
        let clock = FixedClock::at_unix(1_800_000_000);
        assert_eq!(unix_seconds(clock.now()), 1_800_000_000);
        clock.advance(Duration::from_secs(90));
        assert_eq!(unix_seconds(clock.now()), 1_800_000_090);
        assert_eq!(unix_seconds(UNIX_EPOCH - Duration::from_secs(5)), 0);
    }
}
