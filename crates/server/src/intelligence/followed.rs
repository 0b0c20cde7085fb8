//! Several server instances on one database each keep a duplicate index in memory. An
//! instance indexes its own intakes at once and the others' by following the change log
//! past the position its index reflects, before every duplicate lookup (so a case
//! registered through another instance a moment ago is a candidate).

use std::collections::HashSet;
use std::sync::{Mutex, PoisonError};

use minsheng_domain::ids::CaseId;

use crate::error::ApiError;
use crate::state::AppState;

/// Change-log rows read per step of a catch-up.
const PAGE: usize = 500;

/// What the index reflects: the change-log position and the cases in it.
#[derive(Default)]
pub struct Followed {
    through: u64,
    ids: HashSet<CaseId>,
}

impl Followed {
    pub fn reset(&mut self, through: u64, ids: HashSet<CaseId>) {
        self.through = through;
        self.ids = ids;
    }

    pub fn insert(&mut self, id: CaseId) {
        self.ids.insert(id);
    }

    pub fn remove(&mut self, id: CaseId) {
        self.ids.remove(&id);
    }
}

/// The index and its follower, under one lock for the follower's part.
pub type FollowedLock = Mutex<Followed>;

/// Indexes the cases registered since the index's position that it does not hold yet
/// (by any instance); returns how many. Cases already held keep their entry (a case's
/// text does not change after intake); merged ones are filtered at lookup.
pub fn catch_up(s: &AppState) -> Result<usize, ApiError> {
    let followed = s.intel.followed();
    // One catch-up at a time; requests that arrive meanwhile wait for it, then find
    // little or nothing left to read.
    let mut f = followed.lock().unwrap_or_else(PoisonError::into_inner);
    let now = s.now();
    let mut added = 0;
    loop {
        let page = s.store.changes_after(f.through, now, PAGE)?;
        let Some(last) = page.last().map(|c| c.seq) else {
            break;
        };
        let unseen: HashSet<CaseId> = page
            .iter()
            .map(|c| c.case_id)
            .filter(|id| !f.ids.contains(id))
            .collect();
        for id in unseen {
            if let Some(c) = s.store.case(id)? {
                if c.state != minsheng_domain::case::CaseState::Merged {
                    s.intel.index_unfollowed(&c);
                    f.ids.insert(id);
                    added += 1;
                }
            }
        }
        f.through = last;
        if page.len() < PAGE {
            break;
        }
    }
    Ok(added)
}

/// `catch_up` before a lookup; a failure is logged (the lookup then sees what this
/// instance holds, as before).
pub fn before_lookup(s: &AppState) {
    if let Err(e) = catch_up(s) {
        tracing::warn!(error = ?e, "duplicate index catch-up failed");
    }
}
