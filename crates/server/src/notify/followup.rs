//! Follow-up rounds of cases: whenever a case waits for the citizen's answer (已办结,
//! after 重办, after the leader's sign-off and the investigation, after a 督办通知) the
//! round is opened once, keyed `followup:{case}:{level}:{round}`, and its SMS queued in
//! the same transaction. Unanswered rounds become phone tasks for the 回访员.

use chrono::{DateTime, Utc};
use minsheng_domain::case::{Case, FollowUpLevel};
use minsheng_domain::ids::CaseId;

use super::config::NotifyConfig;
use super::staff;
use super::templates::{self, is_mobile};
use crate::error::ApiError;
use crate::state::AppState;
use minsheng_store::notify::{FollowUpSubject, NewFollowUp};

/// The wire code of a level (`l1`, `l2`, `l3`, `difficult`), as stored in the case JSON.
pub fn level_code(level: FollowUpLevel) -> &'static str {
    match level {
        FollowUpLevel::L1 => "l1",
        FollowUpLevel::L2 => "l2",
        FollowUpLevel::L3 => "l3",
        FollowUpLevel::Difficult => "difficult",
    }
}

/// The (level, round) the case waits on now, if it waits for the citizen at all.
pub fn current_round(c: &Case) -> Option<(&'static str, u32)> {
    use minsheng_domain::case::CaseState as S;
    let level = level_code(c.follow_up.level?);
    match c.state {
        S::DifficultSupervision if c.follow_up.supervision_notices > 0 => {
            Some((level, c.follow_up.supervision_notices))
        }
        S::Completed | S::FollowUpL2 | S::FollowUpL3 if c.follow_up.awaiting_answer => {
            Some((level, 0))
        }
        _ => None,
    }
}

/// Opens missing rounds and expires unanswered ones; returns (opened, phone tasks).
pub fn pass(s: &AppState, cfg: &NotifyConfig) -> Result<(usize, usize), ApiError> {
    s.store.supersede_followups()?;
    let now = s.now();
    let mut opened = 0;
    let mut phone_tasks = 0;
    for (case_id, level, round) in s.store.followup_candidates(cfg.batch)? {
        match open_round(s, cfg, case_id, &level, round, now) {
            Ok((o, p)) => {
                opened += o;
                phone_tasks += p;
            }
            // One broken case must not stop the others; it is retried next pass.
            Err(e) => tracing::error!(%case_id, error = %e, "follow-up round not opened"),
        }
    }
    for rec in s.store.expire_followups(now)? {
        staff::phone_task(s, &rec)?;
        phone_tasks += 1;
    }
    Ok((opened, phone_tasks))
}

/// Opens one case's round with its SMS; (opened, phone tasks raised).
fn open_round(
    s: &AppState,
    cfg: &NotifyConfig,
    case_id: CaseId,
    level: &str,
    round: u32,
    now: DateTime<Utc>,
) -> Result<(usize, usize), ApiError> {
    let Some(case) = s.store.case(case_id)? else {
        return Ok((0, 0));
    };
    if !current_round(&case).is_some_and(|(l, r)| l == level && r == round) {
        return Ok((0, 0)); // changed since the candidate query
    }
    let key = format!("followup:{case_id}:{level}:{round}");
    let phone = case.citizen.phone.as_ref().map(|p| p.as_str().to_owned());
    let sms = match phone.as_deref().filter(|p| is_mobile(p)) {
        Some(p) => Some(templates::sms(
            s,
            key.clone(),
            &format!("followup.{level}"),
            p,
            serde_json::json!({
                "caseNumber": case.number.clone().unwrap_or_default(),
                "name": case.citizen.name,
                "title": case.title,
            }),
        )?),
        None => None,
    };
    let no_sms = sms.is_none();
    let f = NewFollowUp {
        event_key: key,
        subject: FollowUpSubject::Case {
            case_id,
            level: level.to_owned(),
            round,
        },
        phone,
        due_at: s
            .config()
            .calendar
            .add_working_days(now, cfg.no_reply_working_days),
        sms,
    };
    if !s.store.open_followup(&f, now)? {
        return Ok((0, 0));
    }
    if no_sms {
        // No mobile number: straight to the 回访员's phone list.
        if let Some(rec) = s
            .store
            .followups(Some(case_id), None, 1)?
            .into_iter()
            .next()
        {
            staff::phone_task(s, &rec)?;
            return Ok((1, 1));
        }
    }
    Ok((1, 0))
}
