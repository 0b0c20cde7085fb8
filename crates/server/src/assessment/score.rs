//! Scoring: how a stint counts as of `now`; the rates, the composite score, the
//! minimum volume, the ranks and the 红黑榜 are the domain's rules
//! (`minsheng_domain::assessment`), re-exported here for the rest of the area.
//!
//! A stint counts in the period in which it was dispatched, evaluated as of `now`:
//! * sign-in is *decided* once the unit signed in or the sign-in deadline passed
//!   (before the stint ended by 退办/改派); it is *late* if signed after the deadline
//!   or not signed by then. Reply (已办结, reply published) likewise against the reply
//!   deadline as moved by approved extensions. Undecided stints are in no denominator.
//! * overdue = late on sign-in or on reply.
//! * rehandled = the first follow-up answer was 不满意 (the case went to L2 re-handling);
//!   satisfaction = the latest answer is 满意 or 基本满意; both over answered stints.

use chrono::{DateTime, Utc};

pub use minsheng_domain::assessment::{
    rank, rates, red_black, round2, score, Ranked, Rates, Weights, LIST_SIZE,
};

use crate::error::ApiError;
use minsheng_store::assessment::{Counts, Stint};

/// What one stint contributes, as of `now` (see `Stint::counts_at`).
pub fn outcome(s: &Stint, now: DateTime<Utc>) -> Counts {
    s.counts_at(now)
}

/// The weights as the admin sent them, or 400 with the domain's reason.
pub fn validate(w: &Weights) -> Result<(), ApiError> {
    w.validate()
        .map_err(|e| ApiError::BadRequest(e.to_string()))
}
