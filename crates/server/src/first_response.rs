//! 首问负责: a duplicate linked to a master follows it. Once the master has its reply
//! (it is in the follow-up phase), every merged duplicate takes that reply through the
//! workflow as the System actor (`AdoptMasterReply`): it goes to the master's handling
//! unit, enters 已办结 and so gets its own follow-up round and SMS to its own caller
//! (the notify worker opens those from the case state, as for any replied case).
//!
//! Exactly once, by state: the action is only legal on a `Merged` case and the store
//! applies it under the case's write lock, so a repeated pass, a second server instance
//! or a master replied offline and pushed twice cannot reply a duplicate twice.

use minsheng_domain::case::CaseState;
use minsheng_domain::ids::CaseId;
use minsheng_domain::workflow::{Action, MasterAnswer};
use minsheng_domain::DomainError;

use crate::error::ApiError;
use crate::state::AppState;

/// Master states in which its reply is final enough to be shared.
fn replied_states() -> Vec<CaseState> {
    CaseState::ALL
        .iter()
        .copied()
        .filter(|s| s.is_follow_up_phase())
        .collect()
}

/// One pass: duplicates whose master is replied take the reply. Returns how many did.
pub fn pass(s: &AppState, batch: usize) -> Result<usize, ApiError> {
    let pairs = s
        .store
        .duplicates_of_masters_in(CaseState::Merged, &replied_states(), batch)?;
    let mut adopted = 0;
    for (duplicate, master) in pairs {
        match adopt(s, duplicate, master) {
            Ok(true) => adopted += 1,
            Ok(false) => {}
            // One broken case must not stop the others; it is retried next pass.
            Err(e) => tracing::error!(%duplicate, %master, error = %e, "master reply not adopted"),
        }
    }
    Ok(adopted)
}

/// Applies the master's reply to one duplicate; false when there was nothing to do
/// (changed since the query, or the master has no reply after all).
fn adopt(s: &AppState, duplicate: CaseId, master: CaseId) -> Result<bool, ApiError> {
    let Some(m) = s.store.case(master)? else {
        return Ok(false);
    };
    let (Some(reply), Some(unit)) = (m.reply, m.handling_unit) else {
        return Ok(false);
    };
    let actor = crate::cases::system_actor(s)?;
    let action = Action::AdoptMasterReply {
        master,
        answer: MasterAnswer {
            reply,
            sign_offs: m.sign_offs,
            handling_unit: unit,
            supervising_unit: m.supervising_unit,
            category: m.category,
            flags: m.flags,
        },
    };
    let org = s.org();
    let now = s.now();
    // The workflow refuses the step unless the case is still merged into this master, so
    // a duplicate changed since the query (or adopted by another instance) is skipped.
    let mut step = crate::cases::transition(s, &actor, &action, &org, now, None);
    match s
        .store
        .update_case(&org, duplicate, None, &mut step)
        .map_err(ApiError::from)
    {
        Ok(c) => {
            s.intel.index(&c);
            Ok(true)
        }
        Err(ApiError::Domain(
            DomainError::IllegalTransition { .. }
            | DomainError::InvalidField {
                field: "master", ..
            },
        )) => Ok(false),
        Err(e) => Err(e),
    }
}
