//! Citizen replies from the webhook. Each gateway message id is stored once (a repeat
//! delivery is answered from the stored outcome), then matched to the round it answers:
//! the most recent open round to that number asked before the reply was sent. A reply
//! for a round that is already closed is recorded and has no effect, so late and
//! out-of-order deliveries cannot move a case twice or to the wrong level.

use minsheng_domain::case::{Case, Satisfaction};
use minsheng_domain::citizen::Phone;
use minsheng_domain::timeline::TimelineEntry;
use minsheng_domain::workflow::{Action, FollowUpChannel};
use minsheng_domain::DomainError;
use serde::Serialize;

use super::followup::current_round;
use super::staff;
use super::templates::mask;
use crate::error::ApiError;
use crate::state::AppState;
use minsheng_store::notify::{FollowUpRecord, InboundRecord, InboundSms};

/// 1/2/3 (full-width too) or the words, alone or leading a comment ("3 民警态度差").
pub fn parse_answer(text: &str) -> Option<Satisfaction> {
    let t: String = text
        .trim()
        .chars()
        .map(|c| match c {
            '１' => '1',
            '２' => '2',
            '３' => '3',
            c => c,
        })
        .collect();
    let t = t.trim_start_matches(['【', '[', '(', '（', ' ']);
    match t.chars().next() {
        Some('1') if !t[1..].starts_with(|c: char| c.is_ascii_digit()) => {
            return Some(Satisfaction::Satisfied)
        }
        Some('2') if !t[1..].starts_with(|c: char| c.is_ascii_digit()) => {
            return Some(Satisfaction::BasicallySatisfied)
        }
        Some('3') if !t[1..].starts_with(|c: char| c.is_ascii_digit()) => {
            return Some(Satisfaction::Unsatisfied)
        }
        _ => {}
    }
    if t.contains("不满意") {
        Some(Satisfaction::Unsatisfied)
    } else if t.contains("基本满意") {
        Some(Satisfaction::BasicallySatisfied)
    } else if t.contains("满意") {
        Some(Satisfaction::Satisfied)
    } else {
        None
    }
}

/// `13812345678` from `+86 138-1234-5678`; other input is kept as digits.
pub fn normalize_phone(raw: &str) -> String {
    Phone::parse(raw).map_or_else(
        |_| raw.chars().filter(char::is_ascii_digit).collect(),
        |p| p.as_str().to_owned(),
    )
}

pub(crate) fn satisfaction_code(s: Satisfaction) -> &'static str {
    match s {
        Satisfaction::Satisfied => "satisfied",
        Satisfaction::BasicallySatisfied => "basicallySatisfied",
        Satisfaction::Unsatisfied => "unsatisfied",
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReplyOutcome {
    /// This message id was delivered before; the stored outcome is returned.
    pub duplicate: bool,
    #[serde(flatten)]
    pub record: InboundRecord,
}

/// Stores and processes one reply (webhook path).
pub fn handle_reply(s: &AppState, m: &InboundSms) -> Result<ReplyOutcome, ApiError> {
    let fresh = s.store.insert_inbound(m, s.now())?;
    if fresh {
        process(s, m)?;
    }
    let record = s
        .store
        .inbound(&m.message_id)?
        .ok_or(ApiError::NotFound("短信回复"))?;
    Ok(ReplyOutcome {
        duplicate: !fresh,
        record,
    })
}

/// Replies stored but never processed (the server stopped in between).
pub fn reprocess_pending(s: &AppState) -> Result<usize, ApiError> {
    let stranded = s
        .store
        .pending_inbound(s.now() - chrono::Duration::minutes(1))?;
    for r in &stranded {
        let m = InboundSms {
            message_id: r.message_id.clone(),
            phone: r.phone.clone(),
            text: r.text.clone(),
            sent_at: r.sent_at,
        };
        if let Err(e) = process(s, &m) {
            // Recorded as an error so one bad reply does not block the others forever.
            tracing::error!(id = %m.message_id, error = %e, "sms reply could not be processed");
            s.store.set_inbound_outcome(
                &m.message_id,
                None,
                "error",
                Some("处理失败，请人工核对"),
            )?;
        }
    }
    Ok(stranded.len())
}

fn process(s: &AppState, m: &InboundSms) -> Result<(), ApiError> {
    let set = |f: Option<&FollowUpRecord>, outcome: &str, detail: Option<&str>| {
        Ok::<_, ApiError>(s.store.set_inbound_outcome(
            &m.message_id,
            f.map(|f| f.id.as_str()),
            outcome,
            detail,
        )?)
    };
    let found = s.store.followup_for_reply(&m.phone, m.sent_at)?;
    if found.as_ref().is_none_or(|f| !f.status.is_open()) {
        // A supervisor answering their monthly survey (no open follow-up to that number).
        if let Some((outcome, detail)) = crate::supervisors::rounds::sms_reply(s, m)? {
            return set(None, &outcome, Some(&detail));
        }
    }
    let Some(f) = found else {
        tracing::warn!(from = %mask(&m.phone), id = %m.message_id, "sms reply from a number with no follow-up");
        return set(None, "unmatched", Some("该号码没有待回访的记录"));
    };
    if !f.status.is_open() {
        return set(Some(&f), "stale", Some("该轮回访已结束，回复未改变诉求件"));
    }
    let Some(sat) = parse_answer(&m.text) else {
        staff::free_text(s, &m.message_id, &f, &m.text)?;
        return set(Some(&f), "needsReview", Some("非1/2/3回复，已转回访员处理"));
    };
    if let Some(case_id) = f.case_id {
        match answer_case(s, case_id, &f, sat, &m.text) {
            Ok(_) => {}
            // Refused by the workflow (answered by phone meanwhile, case moved on).
            Err(ApiError::Domain(e)) => {
                return set(Some(&f), "stale", Some(&e.to_string()));
            }
            Err(e) => return Err(e),
        }
    }
    s.store
        .answer_followup(&f.id, Some(satisfaction_code(sat)), &m.text, s.now())?;
    let outcome = if f.case_id.is_some() {
        "applied"
    } else {
        "recorded"
    };
    set(Some(&f), outcome, Some(sat.label_zh()))
}

/// The citizen's answer as the System actor, through the state machine, only while the
/// case still waits on this round.
fn answer_case(
    s: &AppState,
    case_id: minsheng_domain::ids::CaseId,
    f: &FollowUpRecord,
    sat: Satisfaction,
    text: &str,
) -> Result<Case, ApiError> {
    let actor = crate::cases::system_actor(s)?;
    let action = Action::FollowUpAnswer {
        satisfaction: sat,
        channel: FollowUpChannel::Sms,
        note: Some(format!(
            "短信回复：{}",
            text.chars().take(500).collect::<String>()
        )),
    };
    let org = s.org();
    let now = s.now();
    let mut inner = crate::cases::transition(s, &actor, &action, &org, now, None);
    let level = f.level.clone().unwrap_or_default();
    let round = f.round;
    let mut step = |c: &Case, last: &TimelineEntry| {
        if !current_round(c).is_some_and(|(l, r)| l == level && r == round) {
            return Err(DomainError::NotAwaitingAnswer.into());
        }
        inner(c, last)
    };
    Ok(s.store.update_case(&org, case_id, None, &mut step)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_answers() {
        assert_eq!(parse_answer("1"), Some(Satisfaction::Satisfied));
        assert_eq!(parse_answer(" ２ "), Some(Satisfaction::BasicallySatisfied));
        assert_eq!(
            parse_answer("3 民警态度差"),
            Some(Satisfaction::Unsatisfied)
        );
        assert_eq!(parse_answer("很不满意"), Some(Satisfaction::Unsatisfied));
        assert_eq!(
            parse_answer("基本满意吧"),
            Some(Satisfaction::BasicallySatisfied)
        );
        assert_eq!(parse_answer("满意，谢谢"), Some(Satisfaction::Satisfied));
        assert_eq!(parse_answer("12"), None);
        assert_eq!(parse_answer("什么时候来处理？"), None);
    }

    #[test]
    fn normalizes_phones() {
        assert_eq!(normalize_phone("+86 138-1234-5678"), "13812345678");
        assert_eq!(normalize_phone("abc"), "");
    }
}
