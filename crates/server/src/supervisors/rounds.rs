//! Consultation rounds: once per period (Beijing month) every engaged supervisor is
//! consulted on the first of their preferences that can reach them — an SMS survey from
//! the `supervisor.survey` template through the outbox, or a phone/visit task of the
//! responsible unit (its work list `GET /supervisors/consultations`, plus a staff
//! notification to the unit head). The round, its consultations and its SMS are one
//! store transaction keyed by the period, so running the pass twice (or on two
//! instances) opens one round. Answers are recorded once; an answer marked as a
//! suggestion becomes a case (type 建议, channel 监督员) through the case service.

use minsheng_domain::capability::Capability;
use minsheng_domain::case::{Channel, RequestType, Satisfaction};
use minsheng_domain::role::Actor;
use minsheng_domain::supervisors::{
    self as rules, period_of, Access, ContactChannel, SupervisorAnswer, SupervisorStatus,
};
use minsheng_domain::workflow::NewCase;
use minsheng_store::notify::{InboundSms, NewSms};
use minsheng_store::supervisors::{
    Consultation, ConsultationQuery, ConsultationStatus, RecordedAnswer, SupervisorQuery,
    SupervisorRound,
};
use minsheng_store::AuditRecord;
use serde::Serialize;

use super::{require, NOT_FOUND};
use crate::error::ApiError;
use crate::http::notify_pii::{mask_phone, redact};
use crate::notify::templates::{self, is_mobile};
use crate::state::AppState;

/// The survey's SMS template (admin-editable like the others).
pub const SURVEY_TEMPLATE: &str = "supervisor.survey";

/// Most supervisors one round consults.
const ROUND_LIMIT: usize = 10_000;

/// The outbox key of a consultation's SMS (cancelled when answered another way).
pub fn sms_key(consultation_id: &str) -> String {
    format!("supervisor:{consultation_id}")
}

/// What opening a round did.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RoundOpened {
    /// False: the period already had its round (nothing new was sent).
    pub opened: bool,
    pub round: Option<SupervisorRound>,
    pub sms: usize,
    pub tasks: usize,
}

/// Opens the round of the current period unless it exists. `by` is the clerk who asked
/// (None: the scheduled pass).
pub fn open_current(s: &AppState, by: Option<&Actor>) -> Result<RoundOpened, ApiError> {
    let now = s.now();
    let period = period_of(now);
    let existing = |s: &AppState| -> Result<Option<SupervisorRound>, ApiError> {
        Ok(s.store
            .supervisor_rounds(24)?
            .into_iter()
            .find(|r| r.period == period))
    };
    if existing(s)?.is_some() {
        return Ok(RoundOpened {
            opened: false,
            round: existing(s)?,
            sms: 0,
            tasks: 0,
        });
    }
    let engaged = s.store.supervisors(&SupervisorQuery {
        status: Some(SupervisorStatus::Engaged),
        unit: None,
        limit: ROUND_LIMIT,
    })?;
    let round = SupervisorRound {
        id: uuid::Uuid::now_v7().to_string(),
        period: period.clone(),
        opened_at: now,
        opened_by: by.map(|a| a.user_id),
        consultations: 0,
        answered: 0,
    };
    let template = s
        .store
        .sms_template(SURVEY_TEMPLATE)?
        .ok_or(ApiError::NotFound("短信模板"))?;
    let mut consultations = Vec::with_capacity(engaged.len());
    let mut sms: Vec<NewSms> = Vec::new();
    for sup in &engaged {
        let channel = rules::round_channel(&sup.contact_preferences, is_mobile(&sup.phone));
        let c = Consultation {
            id: uuid::Uuid::now_v7().to_string(),
            round_id: round.id.clone(),
            period: period.clone(),
            supervisor_id: sup.id.clone(),
            supervisor_name: sup.name.clone(),
            phone: sup.phone.clone(),
            unit_id: sup.unit_id,
            channel,
            status: ConsultationStatus::Pending,
            opened_at: now,
            answered_at: None,
            answered_by: None,
            satisfaction: None,
            text: None,
            suggestion: false,
            case_id: None,
        };
        if channel == ContactChannel::Sms {
            sms.push(templates::sms_of(
                &template,
                sms_key(&c.id),
                &sup.phone,
                serde_json::json!({"name": sup.name, "period": period}),
            ));
        }
        consultations.push(c);
    }
    if !s
        .store
        .open_supervisor_round(&round, &consultations, &sms)?
    {
        // Another instance (or pass) opened it meanwhile.
        return Ok(RoundOpened {
            opened: false,
            round: existing(s)?,
            sms: 0,
            tasks: 0,
        });
    }
    let mut tasks = 0;
    for c in consultations
        .iter()
        .filter(|c| c.channel != ContactChannel::Sms)
    {
        tasks += 1;
        if let Err(e) = crate::notify::staff::supervisor_task(s, c) {
            // The task is in the unit's list either way; the notice is a convenience.
            tracing::warn!(consultation = %c.id, error = %e, "supervisor task notice failed");
        }
    }
    if let Some(a) = by {
        s.store.audit(&AuditRecord {
            at: now,
            user_id: a.user_id,
            action: "supervisorRoundOpen".into(),
            target: round.id.clone(),
            detail: format!(
                "{period} 监督员征询：短信{}人，电话/走访{tasks}人",
                sms.len()
            ),
        })?;
    }
    Ok(RoundOpened {
        opened: true,
        round: existing(s)?,
        sms: sms.len(),
        tasks,
    })
}

/// The scheduled step (run by the notify pass under its worker lock): opens the
/// period's round once, when there is anyone engaged. Returns rounds opened (0 or 1).
pub fn pass(s: &AppState) -> Result<usize, ApiError> {
    let period = period_of(s.now());
    if s.store
        .supervisor_rounds(24)?
        .iter()
        .any(|r| r.period == period)
    {
        return Ok(0);
    }
    let any_engaged = !s
        .store
        .supervisors(&SupervisorQuery {
            status: Some(SupervisorStatus::Engaged),
            unit: None,
            limit: 1,
        })?
        .is_empty();
    if !any_engaged {
        return Ok(0);
    }
    Ok(usize::from(open_current(s, None)?.opened))
}

/// A consultation as lists show it: number masked, free text redacted.
pub fn consultation_view(mut c: Consultation) -> Consultation {
    c.phone = mask_phone(&c.phone);
    c.text = c.text.as_deref().map(redact);
    c
}

/// Consultations the actor may see: the platform office and the leader all of them,
/// the responsible unit its own phone and visit tasks.
pub fn list(
    s: &AppState,
    actor: &Actor,
    mut q: ConsultationQuery,
) -> Result<Vec<Consultation>, ApiError> {
    let reads_all = actor.role.can(Capability::ManageSupervisors)
        || actor.role.can(Capability::SupervisorFeedback);
    if !reads_all {
        require(actor, Capability::SupervisorTasks)?;
        q.unit = Some(actor.unit_id);
        q.channels = vec![ContactChannel::Phone, ContactChannel::Visit];
    }
    Ok(s.store
        .consultations(&q)?
        .into_iter()
        .map(consultation_view)
        .collect())
}

/// Records an answer given on the phone or on a visit (the responsible unit, for its
/// phone/visit tasks) or taken down by the platform office (any consultation).
pub fn answer(
    s: &AppState,
    actor: &Actor,
    id: &str,
    a: &SupervisorAnswer,
) -> Result<Consultation, ApiError> {
    if !(actor.role.can(Capability::ManageSupervisors)
        || actor.role.can(Capability::SupervisorTasks))
    {
        return Err(ApiError::Forbidden);
    }
    if uuid::Uuid::parse_str(id).is_err() {
        return Err(ApiError::NotFound("征询任务"));
    }
    let c = s
        .store
        .consultation(id)?
        .ok_or(ApiError::NotFound("征询任务"))?;
    match rules::access(actor, c.unit_id) {
        Access::Manage => {}
        Access::OwnUnit if c.channel != ContactChannel::Sms => {}
        Access::OwnUnit => {
            return Err(ApiError::Conflict {
                code: "CONSULTATION_BY_SMS",
                message: "该监督员本轮以短信征询，由平台办录入".into(),
            })
        }
        Access::None => {
            // Another unit's task looks missing; a role without tasks is refused.
            require(actor, Capability::SupervisorTasks)?;
            return Err(ApiError::NotFound("征询任务"));
        }
    }
    let a = a.checked()?;
    let how = if actor.role.can(Capability::ManageSupervisors) {
        "平台办录入"
    } else {
        c.channel.label_zh()
    };
    let audit = AuditRecord {
        at: s.now(),
        user_id: actor.user_id,
        action: "supervisorAnswer".into(),
        target: c.id.clone(),
        detail: format!(
            "{} {} {}：{}{}",
            c.period,
            c.supervisor_name,
            how,
            a.satisfaction.label_zh(),
            if a.suggestion { "（建议）" } else { "" }
        ),
    };
    record(s, Some(actor), &c, &a, Some(&audit))
}

/// Stores the answer once; a suggestion then becomes a 建议 case.
fn record(
    s: &AppState,
    actor: Option<&Actor>,
    c: &Consultation,
    a: &SupervisorAnswer,
    audit: Option<&AuditRecord>,
) -> Result<Consultation, ApiError> {
    let now = s.now();
    let intake_actor = match actor {
        Some(x) if x.role.can(Capability::Register) => x.clone(),
        _ => crate::cases::system_actor(s)?,
    };
    let new_case = a.suggestion.then(|| suggestion_case(s, c, &a.text));
    if let Some(n) = &new_case {
        // Refused before the answer is stored, so a stored answer always has its case.
        minsheng_domain::workflow::intake(n, &intake_actor, now)?;
    }
    let stored = s.store.answer_consultation(
        &c.id,
        &RecordedAnswer {
            satisfaction: a.satisfaction,
            text: a.text.clone(),
            suggestion: a.suggestion,
            at: now,
            by: actor.map(|x| x.user_id),
        },
        &sms_key(&c.id),
        audit,
    )?;
    if !stored {
        return Err(ApiError::Conflict {
            code: "CONSULTATION_ANSWERED",
            message: "该监督员本轮意见已记录，不能重复记录".into(),
        });
    }
    if let Some(n) = new_case {
        let view = crate::cases::register(s, &intake_actor, &n)?;
        let case_id = view
            .case
            .get("id")
            .and_then(serde_json::Value::as_str)
            .and_then(|id| id.parse::<minsheng_domain::ids::CaseId>().ok())
            .ok_or_else(|| ApiError::internal("registered case without an id"))?;
        s.store.link_consultation_case(&c.id, case_id)?;
    }
    Ok(consultation_view(
        s.store.consultation(&c.id)?.ok_or(NOT_FOUND)?,
    ))
}

fn suggestion_case(s: &AppState, c: &Consultation, text: &str) -> NewCase {
    let address = s
        .store
        .supervisor(&c.supervisor_id)
        .ok()
        .flatten()
        .and_then(|r| r.address);
    NewCase {
        id: None,
        channel: Channel::Supervisor,
        request_type: RequestType::Suggestion,
        category: None,
        title: rules::suggestion_title(&c.supervisor_name, text),
        content: format!(
            "{text}\n（民生警务优秀监督员{}于{}月度征询中提出，征询方式：{}）",
            c.supervisor_name,
            c.period,
            c.channel.label_zh()
        ),
        citizen_name: c.supervisor_name.chars().take(50).collect(),
        citizen_phone: Some(c.phone.clone()),
        citizen_id_card: None,
        address,
        district: None,
        received_at: None,
        urgency: minsheng_domain::case::Urgency::default(),
        flags: minsheng_domain::case::CaseFlags::default(),
        leader_instruction: None,
    }
}

/// An inbound SMS from a supervisor with a pending survey: a 1/2/3 answer (with any
/// words after it) is recorded as their answer, as the platform itself; free text
/// without a score is left for the platform office. None: not a supervisor's reply.
pub fn sms_reply(s: &AppState, reply: &InboundSms) -> Result<Option<(String, String)>, ApiError> {
    let Some(consultation) = s
        .store
        .consultation_for_reply(&reply.phone, reply.sent_at)?
    else {
        return Ok(None);
    };
    let Some(sat) = crate::notify::inbound::parse_answer(&reply.text) else {
        return Ok(Some((
            "needsReview".into(),
            "监督员回复未含1/2/3评价，请平台办在“优秀监督员”中录入".into(),
        )));
    };
    let text: String = reply.text.trim().chars().take(rules::TEXT_MAX).collect();
    let answer = SupervisorAnswer {
        satisfaction: sat,
        text,
        suggestion: false,
    };
    match record(s, None, &consultation, &answer, None) {
        Ok(_) => Ok(Some((
            "recorded".into(),
            format!("监督员征询：{}", label(sat)),
        ))),
        Err(ApiError::Conflict { .. }) => {
            Ok(Some(("stale".into(), "该监督员本轮意见已记录".into())))
        }
        Err(other) => Err(other),
    }
}

const fn label(s: Satisfaction) -> &'static str {
    s.label_zh()
}
