//! Waiting for a condition with a deadline, instead of sleeping and hoping.

use std::time::{Duration, Instant};

#[derive(Debug, thiserror::Error)]
#[error("timed out after {waited:?} waiting for {what}")]
pub struct WaitError {
    pub what: String,
    pub waited: Duration,
}

/// Polls `check` until it returns `Some`, or fails after `timeout`.
///
/// The poll interval starts at 5 ms and doubles up to 200 ms, so quick conditions are seen
/// quickly and slow ones do not burn a core.
pub fn wait_until<T>(
    what: &str,
    timeout: Duration,
    mut check: impl FnMut() -> Option<T>,
) -> Result<T, WaitError> {
    let start = Instant::now();
    let mut interval = Duration::from_millis(5);
    loop {
        if let Some(value) = check() {
            return Ok(value);
        }
        if start.elapsed() >= timeout {
            return Err(WaitError {
                what: what.to_owned(),
                waited: start.elapsed(),
            });
        }
        std::thread::sleep(interval);
        interval = (interval * 2).min(Duration::from_millis(200));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn returns_the_value_once_ready() {
        let mut n = 0;
        let got = wait_until("n to reach 3", Duration::from_secs(5), || {
            n += 1;
            (n >= 3).then_some(n)
        });
        assert_eq!(got.ok(), Some(3));
    }

    #[test]
    fn times_out_with_what_it_waited_for() {
        let err = wait_until::<()>("never", Duration::from_millis(30), || None)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("never"), "{err}");
    }
}
