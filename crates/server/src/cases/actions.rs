//! A workflow action: its references resolved (never trusting client-sent units or
//! roles) and its state-machine step, which the store runs on the locked current case.

use chrono::{DateTime, Utc};
use minsheng_domain::case::Case;
use minsheng_domain::ids::{CaseId, EntryId, UserId};
use minsheng_domain::org::OrgTree;
use minsheng_domain::role::Actor;
use minsheng_domain::scope::can_see;
use minsheng_domain::timeline::TimelineEntry;
use minsheng_domain::workflow::{self, Action, Assignee};
use minsheng_store::{CaseUpdate, StoreError, UserRecord};

use crate::error::ApiError;
use crate::state::AppState;

/// Where `resolve_action_with` reads what an action names: the store for online
/// actions; for a pushed command its batch's own transaction, which holds the write
/// lock and must not wait for another connection.
pub trait References {
    fn user(&mut self, id: UserId) -> Result<Option<UserRecord>, ApiError>;
    fn case(&mut self, id: CaseId) -> Result<Option<Case>, ApiError>;
}

struct StoreReferences<'a>(&'a AppState);

impl References for StoreReferences<'_> {
    fn user(&mut self, id: UserId) -> Result<Option<UserRecord>, ApiError> {
        Ok(self.0.store.user(id)?)
    }

    fn case(&mut self, id: CaseId) -> Result<Option<Case>, ApiError> {
        Ok(self.0.store.case(id)?)
    }
}

/// Resolves references the domain cannot look up itself; never trusts client-sent unit/role.
pub fn resolve_action(s: &AppState, actor: &Actor, action: Action) -> Result<Action, ApiError> {
    resolve_action_with(s, actor, action, &mut StoreReferences(s))
}

/// `resolve_action` reading through `refs`.
pub fn resolve_action_with(
    s: &AppState,
    actor: &Actor,
    action: Action,
    refs: &mut dyn References,
) -> Result<Action, ApiError> {
    match action {
        Action::Assign { officer } => {
            let u = refs
                .user(officer.id)?
                .filter(|u| u.active)
                .ok_or(ApiError::NotFound("民警"))?;
            Ok(Action::Assign {
                officer: Assignee {
                    id: u.id,
                    unit: u.unit_id,
                    role: u.role,
                },
            })
        }
        Action::LinkDuplicate { master } => {
            // Like `visible_case`: missing and out of scope look the same.
            let m = refs
                .case(master)?
                .filter(|m| can_see(actor, m, &s.org()))
                .ok_or(ApiError::NotFound("诉求件"))?;
            workflow::check_master(&m)?;
            Ok(Action::LinkDuplicate { master })
        }
        other => Ok(other),
    }
}

/// The state-machine step of an action, run by the store on the locked current case:
/// re-checks visibility, applies, checks invariants, builds the timeline entry. Shared
/// by online actions and pushed offline commands.
pub fn transition<'a>(
    s: &'a AppState,
    actor: &'a Actor,
    action: &'a Action,
    org: &'a OrgTree,
    now: DateTime<Utc>,
    device_at: Option<DateTime<Utc>>,
) -> impl FnMut(&Case, &TimelineEntry) -> Result<CaseUpdate, StoreError> + 'a {
    let cfg = s.config();
    move |c: &Case, last: &TimelineEntry| {
        if !can_see(actor, c, org) {
            return Err(ApiError::NotFound("诉求件").into());
        }
        let next = workflow::apply(c, actor, action, &cfg.ctx(now, org))?;
        let broken = next.invariant_violations();
        if !broken.is_empty() {
            return Err(StoreError::Internal(format!(
                "invariant violated: {broken:?}"
            )));
        }
        let entry = TimelineEntry::next(
            Some(last),
            EntryId::mint(now),
            c.id,
            now,
            device_at,
            actor,
            action.kind().code(),
            Some(c.state),
            next.state,
            serde_json::to_value(action)?,
        );
        // 责任倒查: a 涉警投诉 found substantiated opens its record in this transaction.
        match crate::accountability::opening(&next, action, actor, &entry, now) {
            Some(open) => Ok(CaseUpdate::WriteAndOpen(
                Box::new(next),
                Box::new(entry),
                Box::new(open),
            )),
            None => Ok(CaseUpdate::Write(Box::new(next), Box::new(entry))),
        }
    }
}
