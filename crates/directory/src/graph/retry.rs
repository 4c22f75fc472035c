//! When to retry a Graph request and how long to wait: `Retry-After` first (integer or decimal
//! seconds, or an HTTP date), else exponential backoff with full jitter; a per-run budget.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::Duration;

/// Retry settings for one client (one run).
#[derive(Debug)]
pub struct RetryPolicy {
    /// Attempts per request, the first included.
    pub max_attempts: u32,
    /// First backoff step; doubles per attempt.
    pub base_delay: Duration,
    /// No single wait is longer (a `Retry-After` above it is honoured up to `max_retry_after`).
    pub max_delay: Duration,
    /// The longest `Retry-After` honoured before giving up on the request.
    pub max_retry_after: Duration,
    /// Retries left for the whole run, across requests.
    budget: AtomicU32,
    seed: AtomicU64,
}

impl RetryPolicy {
    pub fn new(max_attempts: u32, budget: u32) -> Self {
        Self {
            max_attempts,
            base_delay: Duration::from_millis(400),
            max_delay: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(300),
            budget: AtomicU32::new(budget),
            // Only a jitter seed: clients started together should not back off in step. No
            // decision depends on this time, so it is not the session's clock.
            seed: AtomicU64::new(
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_nanos() as u64)
                    .unwrap_or(0x9e37_79b9_7f4a_7c15)
                    | 1,
            ),
        }
    }

    /// Takes one retry from the run's budget; false when it is spent.
    pub fn take_retry(&self) -> bool {
        self.budget
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |left| {
                left.checked_sub(1)
            })
            .is_ok()
    }

    pub fn budget_left(&self) -> u32 {
        self.budget.load(Ordering::Relaxed)
    }

    /// A number in [0, 1) for jitter (xorshift; not for secrets).
    fn unit(&self) -> f64 {
        let mut x = self.seed.load(Ordering::Relaxed);
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.seed.store(x, Ordering::Relaxed);
        (x >> 11) as f64 / (1u64 << 53) as f64
    }

    /// How long to wait before attempt `attempt + 1` (attempt counts from 1).
    pub fn delay(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        if let Some(wait) = retry_after {
            return wait;
        }
        let exp = self
            .base_delay
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(16))
            .min(self.max_delay);
        // Full jitter: spreads clients that were throttled together.
        exp.mul_f64(0.5 + self.unit() / 2.0)
    }
}

/// `Retry-After` as Graph sends it: seconds (`"2"`, `"0.5"`) or an HTTP date.
pub fn parse_retry_after(value: &str, now: std::time::SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<f64>() {
        // Finite and not negative, only too large for a `Duration` is left: that is "longer
        // than any wait honoured", not a panic.
        return (seconds.is_finite() && seconds >= 0.0)
            .then(|| Duration::try_from_secs_f64(seconds).unwrap_or(Duration::MAX));
    }
    let date = httpdate(value)?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

/// Parses an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`).
fn httpdate(text: &str) -> Option<std::time::SystemTime> {
    let parts: Vec<&str> = text.split_whitespace().collect();
    let [_, day, month, year, time, "GMT"] = parts.as_slice() else {
        return None;
    };
    let months = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let month = months.iter().position(|m| m == month)? as i64 + 1;
    // Fixed digits as IMF-fixdate has them, so the arithmetic below cannot overflow.
    let digits = |p: &str, n: usize| {
        (p.len() == n && p.bytes().all(|b| b.is_ascii_digit()))
            .then(|| p.parse::<i64>().ok())
            .flatten()
    };
    let (day, year) = (digits(day, 2)?, digits(year, 4)?);
    let hms: Vec<i64> = time.split(':').filter_map(|p| digits(p, 2)).collect();
    let [h, m, s] = hms.as_slice() else {
        return None;
    };
    // Days since the epoch (Howard Hinnant's days_from_civil).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days * 86_400 + h * 3600 + m * 60 + s;
    u64::try_from(secs)
        .ok()
        .map(|s| std::time::UNIX_EPOCH + Duration::from_secs(s))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{SystemTime, UNIX_EPOCH};

    #[test]
    fn retry_after_forms() {
        let now = UNIX_EPOCH + Duration::from_secs(784_111_770);
        let cases = [
            ("2", Some(Duration::from_secs(2))),
            (" 0.5 ", Some(Duration::from_millis(500))),
            ("0", Some(Duration::ZERO)),
            ("-1", None),
            ("soon", None),
            // 784111777 = Sun, 06 Nov 1994 08:49:37 GMT
            (
                "Sun, 06 Nov 1994 08:49:37 GMT",
                Some(Duration::from_secs(7)),
            ),
            ("Sun, 06 Nov 1994 08:49:00 GMT", Some(Duration::ZERO)),
            // Found by the property tests: panics (a float too large for a Duration, an
            // overflow in debug builds), now the longest wait or no date.
            ("1e300", Some(Duration::MAX)),
            ("Sun, 06 Nov 99999999999999999 08:49:00 GMT", None),
            ("Sun, 99999999999999999 Nov 1994 08:49:00 GMT", None),
            ("Sun, 06 Nov 1994 99999999999999999:49:00 GMT", None),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_retry_after(text, now), expected, "{text:?}");
        }
        assert!(parse_retry_after("Thu, 01 Jan 2099 00:00:00 GMT", SystemTime::now()).is_some());
    }

    #[test]
    fn backoff_grows_with_jitter_and_honours_retry_after() {
        let policy = RetryPolicy::new(5, 10);
        for attempt in 1..=4 {
            let d = policy.delay(attempt, None);
            let full = policy.base_delay * (1 << (attempt - 1));
            assert!(d >= full / 2 && d <= full, "attempt {attempt}: {d:?}");
        }
        assert!(policy.delay(30, None) <= policy.max_delay);
        assert_eq!(
            policy.delay(1, Some(Duration::from_millis(1500))),
            Duration::from_millis(1500)
        );
    }

    #[test]
    fn the_budget_runs_out() {
        let policy = RetryPolicy::new(5, 2);
        assert!(policy.take_retry() && policy.take_retry());
        assert!(!policy.take_retry());
        assert_eq!(policy.budget_left(), 0);
    }
}
