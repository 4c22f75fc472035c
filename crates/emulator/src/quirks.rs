//! What Microsoft Graph documents it may do and a client must cope with, switchable per test:
//! all on by default (the strict emulator), deterministic (no randomness, so a failure
//! replays).
//!
//! Sources: "Use delta query to track changes" (an object may be returned more than once; the
//! last copy is its latest state), "groups: delta" (a group's `members@delta` may be split
//! across several items), the Microsoft 365 Developer blog on delta token lifetime (an
//! expired directory token answers 400 `syncStateNotFound`) beside the overview's 410 Gone, and
//! "JSON batching" (answers in any order), and "Microsoft Graph service-specific throttling
//! limits" (a budget of resource units per application and tenant).

use std::sync::atomic::{AtomicU64, Ordering};

/// How an expired (or foreign) delta token is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpiredDelta {
    /// 410 Gone with a `Location` to start over.
    Gone,
    /// 400 Bad Request, code `syncStateNotFound`.
    SyncStateNotFound,
    /// 410 first, then 400, then 410…: both answers meet every client that runs twice.
    Alternate,
}

/// The documented irregularities the emulator produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GraphQuirks {
    /// In a delta round, every other changed object is first reported as it was at the link
    /// (a stale copy) and then as it is now: a client must keep the last copy.
    pub repeat_delta_items: bool,
    /// A group whose `members@delta` has more than one entry is reported as two items, the
    /// second carrying only the `id` and the rest of the members.
    pub split_members_delta: bool,
    pub expired_delta: ExpiredDelta,
    /// `$batch` answers in an order other than the requests'.
    pub shuffle_batch: bool,
    /// Identity and access throttling: resource units per application and tenant
    /// ("Microsoft Graph service-specific throttling limits"; `graph::throttle`).
    pub throttling: Throttling,
}

/// How the emulator throttles Graph requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Throttling {
    Off,
    /// The documented quota for the tenant's size, per 10 seconds.
    Documented,
    /// `units` per `per`: a small budget, so a test meets throttling within seconds.
    Quota {
        units: u32,
        per: std::time::Duration,
    },
}

impl Default for GraphQuirks {
    fn default() -> Self {
        Self {
            repeat_delta_items: true,
            split_members_delta: true,
            expired_delta: ExpiredDelta::Alternate,
            shuffle_batch: true,
            throttling: Throttling::Documented,
        }
    }
}

impl GraphQuirks {
    /// Predictable answers: each object once, member lists whole, 410 for an expired token,
    /// batches in request order. For unit tests that check one thing at a time.
    pub fn lenient() -> Self {
        Self {
            repeat_delta_items: false,
            split_members_delta: false,
            expired_delta: ExpiredDelta::Gone,
            shuffle_batch: false,
            throttling: Throttling::Off,
        }
    }
}

/// Counts expired answers, for [`ExpiredDelta::Alternate`].
#[derive(Debug, Default)]
pub struct ExpiredCount(AtomicU64);

impl ExpiredCount {
    /// Whether this expired answer is the 400 `syncStateNotFound` form.
    pub fn next_is_bad_request(&self, how: ExpiredDelta) -> bool {
        match how {
            ExpiredDelta::Gone => false,
            ExpiredDelta::SyncStateNotFound => true,
            ExpiredDelta::Alternate => self.0.fetch_add(1, Ordering::Relaxed) % 2 == 1,
        }
    }
}
