//! Minimizes a failing case (greedy delta debugging): drop steps (halves, quarters, … one),
//! then single changes, then simplify each synchronization's options and selection, then
//! drop objects and memberships from the initial tenant — keeping a candidate only when it
//! still fails with the same kind of difference — until nothing more can go or the time
//! budget (`AADSYNC_MODEL_SHRINK_SECONDS`, 150 by default) is spent.

use crate::driver::{self, Failure};
use crate::generate::{Actions, Case, SyncSpec};
use crate::tenant::Id;
use std::time::{Duration, Instant};

struct Shrinker {
    category: String,
    best: Case,
    failure: Failure,
    /// Steps before `failure` that differ in other ways.
    earlier: usize,
    deadline: Instant,
    tries: usize,
}

impl Shrinker {
    /// Keeps `candidate` when it still fails the same way.
    async fn try_case(&mut self, mut candidate: Case) -> bool {
        if Instant::now() > self.deadline || candidate == self.best {
            return false;
        }
        self.tries += 1;
        let failures = driver::replay_steps(&candidate, false).await;
        match failures.iter().position(|f| f.has(&self.category)) {
            Some(at) => {
                candidate.steps.truncate(failures[at].step + 1);
                self.best = candidate;
                self.failure = failures[at].clone();
                self.earlier = at;
                true
            }
            None => false,
        }
    }

    async fn steps(&mut self) {
        let mut chunk = self.best.steps.len().div_ceil(2);
        while chunk >= 1 {
            let mut i = 0;
            while i < self.best.steps.len() && self.best.steps.len() > 1 {
                let mut candidate = self.best.clone();
                let end = (i + chunk).min(candidate.steps.len());
                candidate.steps.drain(i..end);
                if candidate.steps.is_empty() || !self.try_case(candidate).await {
                    i += chunk;
                }
            }
            chunk /= 2;
        }
    }

    async fn changes(&mut self) {
        for s in 0..self.best.steps.len() {
            let mut c = 0;
            while s < self.best.steps.len() && c < self.best.steps[s].changes.len() {
                let mut candidate = self.best.clone();
                candidate.steps[s].changes.remove(c);
                if !self.try_case(candidate).await {
                    c += 1;
                }
            }
        }
    }

    async fn syncs(&mut self) {
        let simplifications: [fn(&mut SyncSpec); 8] = [
            |s| s.full = false,
            |s| s.check_deleted = false,
            |s| s.actions = Actions::Proposals,
            |s| s.reimport_all = false,
            |s| s.advance_days = 0,
            |s| s.nested = false,
            |s| {
                s.members = false;
                s.nested = false;
            },
            |s| *s = SyncSpec::refresh(),
        ];
        for s in 0..self.best.steps.len() {
            for simplify in simplifications {
                if s >= self.best.steps.len() {
                    break;
                }
                let mut candidate = self.best.clone();
                simplify(&mut candidate.steps[s].sync);
                self.try_case(candidate).await;
            }
            for which in [true, false] {
                let mut k = 0;
                while let Some(sync) = self.best.steps.get(s).map(|st| &st.sync) {
                    let list = if which { &sync.users } else { &sync.groups };
                    if k >= list.len() {
                        break;
                    }
                    let mut candidate = self.best.clone();
                    let sync = &mut candidate.steps[s].sync;
                    let list = if which {
                        &mut sync.users
                    } else {
                        &mut sync.groups
                    };
                    list.remove(k);
                    if !self.try_case(candidate).await {
                        k += 1;
                    }
                }
            }
        }
    }

    async fn tenant(&mut self) {
        let drop_object = |case: &mut Case, id: &Id| {
            case.tenant.users.remove(id);
            case.tenant.groups.remove(id);
            for g in case.tenant.groups.values_mut() {
                g.members.retain(|m| m != id);
            }
        };
        // Users in chunks, then groups one by one.
        let users: Vec<Id> = self.best.tenant.users.keys().cloned().collect();
        let mut chunk = users.len().div_ceil(2).max(1);
        while chunk >= 1 {
            let current: Vec<Id> = self.best.tenant.users.keys().cloned().collect();
            for part in current.chunks(chunk) {
                let mut candidate = self.best.clone();
                for id in part {
                    drop_object(&mut candidate, id);
                }
                self.try_case(candidate).await;
            }
            chunk /= 2;
        }
        let groups: Vec<Id> = self.best.tenant.groups.keys().cloned().collect();
        for id in groups {
            let mut candidate = self.best.clone();
            drop_object(&mut candidate, &id);
            self.try_case(candidate).await;
        }
        let memberships: Vec<(Id, Id)> = self
            .best
            .tenant
            .groups
            .iter()
            .flat_map(|(g, group)| group.members.iter().map(|m| (g.clone(), m.clone())))
            .collect();
        for (g, m) in memberships {
            let mut candidate = self.best.clone();
            if let Some(group) = candidate.tenant.groups.get_mut(&g) {
                group.members.retain(|x| *x != m);
            }
            self.try_case(candidate).await;
        }
    }
}

/// The smallest case found that still fails like `failure` (with its first kind of
/// difference, or `category` when given, at any step; `earlier` steps before it differ in
/// other ways), with its differences.
pub async fn minimize(
    case: Case,
    failure: &Failure,
    earlier: usize,
    category: Option<&str>,
) -> String {
    let seconds = std::env::var("AADSYNC_MODEL_SHRINK_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(150);
    let started = Instant::now();
    let mut best = case;
    best.steps.truncate(failure.step + 1);
    let mut s = Shrinker {
        category: category.unwrap_or(failure.category()).to_owned(),
        best,
        failure: failure.clone(),
        earlier,
        deadline: started + Duration::from_secs(seconds),
        tries: 0,
    };
    loop {
        let before = s.best.clone();
        s.steps().await;
        s.changes().await;
        s.syncs().await;
        s.tenant().await;
        if s.best == before || Instant::now() > s.deadline {
            break;
        }
    }
    let earlier = if s.earlier > 0 {
        format!("; {} earlier steps differ in other ways", s.earlier)
    } else {
        String::new()
    };
    format!(
        "{}\n({} replays in {:.0?}, keeping the difference [{}]{earlier})",
        driver::report(&s.best, &s.failure),
        s.tries,
        started.elapsed(),
        s.category
    )
}
