//! Where a synchronization's decisions take the time from: the 7-day change-tracking window,
//! the days left in Entra ID's recycle bin and the links' timestamp. Passed in, so a test can
//! decide at a time of its choosing. The same clock as the directory client's (one notion of
//! "now" for tokens and for syncs).

pub use aadsync_directory::clock::{Clock, FixedClock, SystemClock, unix_seconds};

/// `clock`'s time in seconds since the Unix epoch.
pub fn unix_now(clock: &dyn Clock) -> i64 {
    unix_seconds(clock.now())
}
