//! Where a synchronization's decisions take the time from: the 7-day change-tracking window,
//! the days left in Entra ID's recycle bin and the links' timestamp. Passed in, so a test can
//! decide at a time of its choosing.

/// The current time, in seconds since the Unix epoch.
pub trait Clock: Send + Sync {
    fn unix_now(&self) -> i64;
}

/// The machine's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn unix_now(&self) -> i64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or_default()
    }
}

/// A clock that always says the same time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FixedClock(pub i64);

impl Clock for FixedClock {
    fn unix_now(&self) -> i64 {
        self.0
    }
}
