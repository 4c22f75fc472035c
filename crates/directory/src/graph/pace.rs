//! How many Graph requests one client keeps in flight: adapted to throttling (halved when
//! Graph answers 429 or 503, grown by one after a round of answers without it), and paused
//! for every request while one of them waits out a `Retry-After`.
//!
//! Microsoft documents the identity and access limits as a token bucket of resource units per
//! application and tenant (3,500 to 8,000 per 10 s by tenant size), not as a number of
//! connections: the only way to learn the room left is to be told "too many". So the client
//! starts at a few requests in flight, grows while Graph keeps up and backs off as soon as it
//! does not (additive increase, multiplicative decrease, as TCP does for the same reason).

use std::sync::Mutex;
use std::time::Duration;
use tokio::sync::Notify;
use tokio::time::Instant;

/// Requests in flight per client at most, however well Graph keeps up. Graph documents no
/// connection limit for directory reads; its per-app budget is in resource units, which
/// throttling enforces. Past 16 `$batch`es of 20 a single client gains nothing but answers
/// held in memory at once.
pub const MAX_CONCURRENCY: usize = 16;

/// The in-flight limit of one client, shared by every request it sends.
#[derive(Debug)]
pub struct Pace {
    state: Mutex<State>,
    changed: Notify,
}

#[derive(Debug)]
struct State {
    limit: usize,
    max: usize,
    in_flight: usize,
    /// Answers without throttling since the limit last changed.
    calm: usize,
    /// No request starts before this (the longest `Retry-After` still running).
    paused_until: Option<Instant>,
    /// When the limit was last halved: the siblings of one throttled request, answered 429
    /// in the same moment, halve it once, not once each.
    halved_at: Option<Instant>,
    /// The most requests in flight at once so far (benchmarks and tests read it).
    peak: usize,
}

/// A place among the requests in flight; given back when dropped.
#[derive(Debug)]
pub struct Permit<'a> {
    pace: &'a Pace,
}

impl Pace {
    /// Starts at `start` requests in flight and never goes beyond `max`.
    pub fn new(start: usize, max: usize) -> Self {
        let max = max.max(1);
        Self {
            state: Mutex::new(State {
                limit: start.clamp(1, max),
                max,
                in_flight: 0,
                calm: 0,
                paused_until: None,
                halved_at: None,
                peak: 0,
            }),
            changed: Notify::new(),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic while holding this lock leaves counters only: still usable.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The current limit.
    pub fn limit(&self) -> usize {
        self.state().limit
    }

    /// The most requests that were in flight at once.
    pub fn peak(&self) -> usize {
        self.state().peak
    }

    /// Waits for a place: fewer requests in flight than the limit, and no pause running.
    pub async fn acquire(&self) -> Permit<'_> {
        loop {
            // Registered before the check, so a release between the two is not missed.
            let changed = self.changed.notified();
            let wait = {
                let mut s = self.state();
                let now = Instant::now();
                match s.paused_until {
                    Some(until) if until > now => Some(until),
                    _ if s.in_flight < s.limit => {
                        s.in_flight += 1;
                        s.peak = s.peak.max(s.in_flight);
                        return Permit { pace: self };
                    }
                    _ => None,
                }
            };
            match wait {
                Some(until) => tokio::time::sleep_until(until).await,
                None => changed.await,
            }
        }
    }

    /// An answer without throttling: after as many of them as the limit, one more in flight.
    pub fn calm(&self) {
        let mut s = self.state();
        s.calm += 1;
        if s.calm >= s.limit && s.limit < s.max {
            s.limit += 1;
            s.calm = 0;
            drop(s);
            self.changed.notify_waiters();
        }
    }

    /// Graph answered 429 or 503: half as many in flight (once per throttled moment), and no
    /// request starts before `retry_after` has passed.
    pub fn throttled(&self, retry_after: Option<Duration>) {
        let mut s = self.state();
        let now = Instant::now();
        let pause = retry_after.unwrap_or(Duration::ZERO);
        // Answers to requests sent before the last halving tell nothing new about the limit.
        let recent = s
            .halved_at
            .is_some_and(|at| now.duration_since(at) < pause.max(Duration::from_millis(500)));
        if !recent {
            s.limit = (s.limit / 2).max(1);
            s.halved_at = Some(now);
        }
        s.calm = 0;
        if !pause.is_zero() {
            let until = now + pause;
            s.paused_until = Some(s.paused_until.map_or(until, |p| p.max(until)));
        }
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        self.pace.state().in_flight -= 1;
        self.pace.changed.notify_waiters();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn the_limit_halves_on_throttling_and_grows_back_one_round_at_a_time() {
        let pace = Pace::new(4, 8);
        pace.throttled(None);
        assert_eq!(pace.limit(), 2);
        // A sibling answered 429 in the same moment: no second halving.
        pace.throttled(None);
        assert_eq!(pace.limit(), 2);
        tokio::time::advance(Duration::from_secs(1)).await;
        pace.throttled(None);
        assert_eq!(pace.limit(), 1);
        pace.throttled(None);
        assert_eq!(pace.limit(), 1, "never below one");
        pace.calm();
        assert_eq!(pace.limit(), 2, "one calm answer at limit 1 is a round");
        pace.calm();
        assert_eq!(pace.limit(), 2);
        pace.calm();
        assert_eq!(pace.limit(), 3);
        for _ in 0..100 {
            pace.calm();
        }
        assert_eq!(pace.limit(), 8, "never beyond the maximum");
    }

    #[tokio::test(start_paused = true)]
    async fn no_more_than_the_limit_are_in_flight() {
        let pace = Pace::new(2, 2);
        let a = pace.acquire().await;
        let _b = pace.acquire().await;
        let third = tokio::time::timeout(Duration::from_secs(5), pace.acquire()).await;
        assert!(third.is_err(), "a third place while two are taken");
        drop(a);
        let third = tokio::time::timeout(Duration::from_secs(5), pace.acquire()).await;
        assert!(third.is_ok(), "a place freed is taken");
        assert_eq!(pace.peak(), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_retry_after_pauses_every_request() {
        let pace = Pace::new(4, 4);
        let started = Instant::now();
        pace.throttled(Some(Duration::from_secs(3)));
        drop(pace.acquire().await);
        assert!(started.elapsed() >= Duration::from_secs(3));
        // A shorter pause does not cut the running one short.
        pace.throttled(Some(Duration::from_secs(10)));
        pace.throttled(Some(Duration::from_secs(1)));
        let again = Instant::now();
        let _second = pace.acquire().await;
        assert!(again.elapsed() >= Duration::from_secs(10));
    }
}
