//! The emulator's clock: wall time plus an offset tests move to expire codes and tokens.

use crate::generate::iso_date;
use std::sync::atomic::{AtomicI64, Ordering};

/// The emulator's clock: wall time plus an offset the tests can move.
#[derive(Debug, Default)]
pub struct Clock {
    offset_seconds: AtomicI64,
}

impl Clock {
    /// Seconds since the Unix epoch, as the emulator sees it.
    pub fn now(&self) -> i64 {
        let wall = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or_default();
        wall + self.offset_seconds.load(Ordering::Relaxed)
    }

    pub fn now_iso(&self) -> String {
        let now = self.now();
        iso_date(now.div_euclid(86_400), now.rem_euclid(86_400))
    }

    /// Moves the clock forward (or back) by `seconds`.
    pub fn advance(&self, seconds: i64) {
        self.offset_seconds.fetch_add(seconds, Ordering::Relaxed);
    }
}
