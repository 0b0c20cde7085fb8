//! Follow-up rounds (回访), citizens' SMS replies and window-service events.
//!
//! A round changes status in single guarded `UPDATE`s (`WHERE status IN (…)`): when two
//! instances race (an SMS answer and a phone answer, two expiry passes), the second
//! waits for the first's row lock, re-checks the status on the committed row and
//! changes nothing, so a round is answered once and expired once.

use chrono::{DateTime, Utc};
use postgres::{Row, Transaction};

use minsheng_domain::ids::CaseId;
use minsheng_store::notify::{
    FollowUpRecord, FollowUpStatsRow, FollowUpStatus, FollowUpSubject, InboundRecord, InboundSms,
    NewFollowUp, ServiceEvent,
};

use super::outbox::{cancel_pending, insert_sms};
use super::{limit_param, new_id, opt_ms};
use crate::{from_ms, ms, parse_id, DbResult, PgStore};

/// The case document as JSON (`cases.data` is TEXT).
const DOC: &str = "CAST(c.data AS JSON)";

/// Level and round a case in follow-up currently waits on, as SQL over `c`.
fn case_round() -> String {
    format!(
        "({DOC} -> 'followUp' ->> 'level') AS lvl,
         CASE WHEN c.state = 'difficultSupervision'
              THEN COALESCE(CAST({DOC} -> 'followUp' ->> 'supervisionNotices' AS INTEGER), 0)
              ELSE 0 END AS rnd"
    )
}

/// The case is waiting for the citizen's answer (疑难督办: once a notice went out).
fn case_awaiting() -> String {
    format!(
        "c.state IN ('completed','followUpL2','followUpL3','difficultSupervision')
         AND (CASE WHEN c.state = 'difficultSupervision'
                   THEN COALESCE(CAST({DOC} -> 'followUp' ->> 'supervisionNotices' AS INTEGER), 0) > 0
                   ELSE ({DOC} -> 'followUp' ->> 'awaitingAnswer') = 'true' END)"
    )
}

const FOLLOWUP_COLS: &str =
    "id, event_key, case_id, level, round, service_event_id, service, phone,
    status, created_at, due_at, answered_at, satisfaction, answer_text";

const INBOUND_COLS: &str =
    "message_id, phone, text, sent_at, arrived_at, followup_id, outcome, detail";

fn followup_from_row(r: &Row) -> DbResult<FollowUpRecord> {
    let status: String = r.try_get("status")?;
    let case_id: Option<String> = r.try_get("case_id")?;
    let round: i32 = r.try_get("round")?;
    Ok(FollowUpRecord {
        id: r.try_get("id")?,
        event_key: r.try_get("event_key")?,
        case_id: case_id.map(|s| parse_id(&s)).transpose()?,
        level: r.try_get("level")?,
        round: u32::try_from(round).unwrap_or(0),
        service_event_id: r.try_get("service_event_id")?,
        service: r.try_get("service")?,
        phone: r.try_get("phone")?,
        status: FollowUpStatus::from_code(&status).unwrap_or(FollowUpStatus::Awaiting),
        created_at: from_ms(r.try_get("created_at")?),
        due_at: from_ms(r.try_get("due_at")?),
        answered_at: opt_ms(r.try_get("answered_at")?),
        satisfaction: r.try_get("satisfaction")?,
        answer_text: r.try_get("answer_text")?,
    })
}

fn inbound_from_row(r: &Row) -> DbResult<InboundRecord> {
    Ok(InboundRecord {
        message_id: r.try_get("message_id")?,
        phone: r.try_get("phone")?,
        text: r.try_get("text")?,
        sent_at: from_ms(r.try_get("sent_at")?),
        arrived_at: from_ms(r.try_get("arrived_at")?),
        followup_id: r.try_get("followup_id")?,
        outcome: r.try_get("outcome")?,
        detail: r.try_get("detail")?,
    })
}

/// Opens the round and queues its SMS inside `tx`; false when the round already existed
/// (nothing queued). `ON CONFLICT DO NOTHING` (no target: the event key or the
/// case/level/round) makes a concurrent opener of the same round wait for the first and
/// then insert nothing.
fn open_tx(tx: &mut Transaction<'_>, f: &NewFollowUp, now: DateTime<Utc>) -> DbResult<bool> {
    let (case_id, level, round, event_id, service) = match &f.subject {
        FollowUpSubject::Case {
            case_id,
            level,
            round,
        } => (
            Some(case_id.to_string()),
            Some(level.clone()),
            *round,
            None,
            None,
        ),
        FollowUpSubject::Service { event_id, service } => {
            (None, None, 0, Some(event_id.clone()), Some(service.clone()))
        }
    };
    let status = if f.sms.is_some() {
        FollowUpStatus::Awaiting
    } else {
        FollowUpStatus::PhoneTask
    };
    let round = i32::try_from(round).unwrap_or(i32::MAX);
    let n = tx.execute(
        "INSERT INTO followups(id, event_key, case_id, level, round, service_event_id, service,
             phone, status, created_at, due_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT DO NOTHING",
        &[
            &new_id(),
            &f.event_key,
            &case_id,
            &level,
            &round,
            &event_id,
            &service,
            &f.phone,
            &status.code(),
            &ms(now),
            &ms(f.due_at),
        ],
    )?;
    if n == 0 {
        return Ok(false);
    }
    if let Some(sms) = &f.sms {
        insert_sms(tx, sms, now)?;
    }
    Ok(true)
}

pub(super) fn candidates(s: &PgStore, limit: usize) -> DbResult<Vec<(CaseId, String, u32)>> {
    s.read(|c| {
        let rows = c.query(
            &format!(
                "SELECT x.id, x.lvl, x.rnd FROM (
                    SELECT c.id, {} FROM cases c WHERE {}
                 ) x
                 WHERE x.lvl IS NOT NULL AND NOT EXISTS (
                    SELECT 1 FROM followups f
                     WHERE f.case_id = x.id AND f.level = x.lvl AND f.round = x.rnd)
                 LIMIT $1",
                case_round(),
                case_awaiting()
            ),
            &[&limit_param(limit)],
        )?;
        rows.iter()
            .map(|r| {
                let rnd: i32 = r.try_get(2)?;
                Ok((
                    parse_id::<CaseId>(r.try_get(0)?)?,
                    r.try_get::<_, String>(1)?,
                    u32::try_from(rnd).unwrap_or(0),
                ))
            })
            .collect()
    })
}

pub(super) fn open(s: &PgStore, f: &NewFollowUp, now: DateTime<Utc>) -> DbResult<bool> {
    s.write(|tx| open_tx(tx, f, now))
}

pub(super) fn supersede(s: &PgStore) -> DbResult<u64> {
    s.write(|tx| {
        let keys: Vec<String> = tx
            .query(
                &format!(
                    "UPDATE followups SET status = 'superseded'
                     WHERE status IN ('awaiting','phoneTask') AND case_id IS NOT NULL
                       AND NOT EXISTS (SELECT 1 FROM (SELECT c.id, {} FROM cases c
                                         WHERE c.id = followups.case_id AND {}) x
                                       WHERE x.lvl = followups.level AND x.rnd = followups.round)
                     RETURNING event_key",
                    case_round(),
                    case_awaiting()
                ),
                &[],
            )?
            .iter()
            .map(|r| r.try_get(0))
            .collect::<Result<_, _>>()?;
        cancel_pending(tx, &keys)?;
        Ok(keys.len() as u64)
    })
}

pub(super) fn expire(s: &PgStore, now: DateTime<Utc>) -> DbResult<Vec<FollowUpRecord>> {
    s.write(|tx| {
        tx.query(
            &format!(
                "UPDATE followups SET status = 'phoneTask'
                 WHERE status = 'awaiting' AND due_at <= $1
                 RETURNING {FOLLOWUP_COLS}"
            ),
            &[&ms(now)],
        )?
        .iter()
        .map(followup_from_row)
        .collect()
    })
}

/// Most recent open round asked before the reply was sent; else the most recent round
/// at all (the reply is then late and recorded without effect).
pub(super) fn for_reply(
    s: &PgStore,
    phone: &str,
    sent_at: DateTime<Utc>,
) -> DbResult<Option<FollowUpRecord>> {
    s.read(|c| {
        c.query_opt(
            &format!(
                "SELECT {FOLLOWUP_COLS} FROM followups WHERE phone = $1 AND created_at <= $2
                 ORDER BY (status IN ('awaiting','phoneTask')) DESC, created_at DESC, pos DESC
                 LIMIT 1"
            ),
            &[&phone, &ms(sent_at)],
        )?
        .as_ref()
        .map(followup_from_row)
        .transpose()
    })
}

pub(super) fn answer(
    s: &PgStore,
    id: &str,
    satisfaction: Option<&str>,
    text: &str,
    now: DateTime<Utc>,
) -> DbResult<bool> {
    s.write(|tx| {
        // `superseded` too: the worker may have seen the case move on before the reply
        // that moved it was recorded here.
        let n = tx.execute(
            "UPDATE followups SET status = 'answered', satisfaction = $2, answer_text = $3,
               answered_at = $4 WHERE id = $1 AND status <> 'answered'",
            &[&id, &satisfaction, &text, &ms(now)],
        )?;
        Ok(n == 1)
    })
}

pub(super) fn answer_by_phone(
    s: &PgStore,
    id: &str,
    satisfaction: &str,
    text: &str,
    now: DateTime<Utc>,
) -> DbResult<bool> {
    s.write(|tx| {
        let key: Option<String> = tx
            .query_opt(
                "UPDATE followups SET status = 'answered', satisfaction = $2, answer_text = $3,
                   answered_at = $4 WHERE id = $1 AND status IN ('awaiting','phoneTask')
                 RETURNING event_key",
                &[&id, &satisfaction, &text, &ms(now)],
            )?
            .map(|r| r.try_get(0))
            .transpose()?;
        let Some(key) = key else {
            return Ok(false);
        };
        // Its question is answered: an SMS still waiting is not sent.
        cancel_pending(tx, &[key])?;
        Ok(true)
    })
}

pub(super) fn one(s: &PgStore, id: &str) -> DbResult<Option<FollowUpRecord>> {
    s.read(|c| {
        c.query_opt(
            &format!("SELECT {FOLLOWUP_COLS} FROM followups WHERE id = $1"),
            &[&id],
        )?
        .as_ref()
        .map(followup_from_row)
        .transpose()
    })
}

pub(super) fn list(
    s: &PgStore,
    case_id: Option<CaseId>,
    status: Option<FollowUpStatus>,
    limit: usize,
) -> DbResult<Vec<FollowUpRecord>> {
    s.read(|c| {
        c.query(
            &format!(
                "SELECT {FOLLOWUP_COLS} FROM followups
                 WHERE ($1::TEXT IS NULL OR case_id = $1::TEXT)
                   AND ($2::TEXT IS NULL OR status = $2::TEXT)
                 ORDER BY created_at DESC, pos DESC LIMIT $3"
            ),
            &[
                &case_id.map(|c| c.to_string()),
                &status.map(FollowUpStatus::code),
                &limit_param(limit),
            ],
        )?
        .iter()
        .map(followup_from_row)
        .collect()
    })
}

/// Counts per group; groups in byte order (`COLLATE "C"`, as SQLite sorts), a round with
/// neither service nor level first. `SUM(CASE …)` rather than `FILTER`, which not every
/// PG-compatible database accepts.
pub(super) fn stats(
    s: &PgStore,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
) -> DbResult<Vec<FollowUpStatsRow>> {
    s.read(|c| {
        let rows = c.query(
            "SELECT COALESCE(service, level) AS grp, COUNT(*),
                SUM(CASE WHEN status = 'answered' THEN 1 ELSE 0 END),
                SUM(CASE WHEN satisfaction = 'satisfied' THEN 1 ELSE 0 END),
                SUM(CASE WHEN satisfaction = 'basicallySatisfied' THEN 1 ELSE 0 END),
                SUM(CASE WHEN satisfaction = 'unsatisfied' THEN 1 ELSE 0 END),
                SUM(CASE WHEN status = 'phoneTask' THEN 1 ELSE 0 END)
             FROM followups
             WHERE ($1::BIGINT IS NULL OR created_at >= $1::BIGINT)
               AND ($2::BIGINT IS NULL OR created_at < $2::BIGINT)
             GROUP BY COALESCE(service, level)
             ORDER BY COALESCE(service, level) COLLATE \"C\" NULLS FIRST",
            &[&from.map(ms), &to.map(ms)],
        )?;
        rows.iter()
            .map(|r| {
                let n = |i: usize| -> DbResult<u64> {
                    Ok(u64::try_from(r.try_get::<_, Option<i64>>(i)?.unwrap_or(0)).unwrap_or(0))
                };
                Ok(FollowUpStatsRow {
                    group: r.try_get::<_, Option<String>>(0)?.unwrap_or_default(),
                    sent: n(1)?,
                    answered: n(2)?,
                    satisfied: n(3)?,
                    basically_satisfied: n(4)?,
                    unsatisfied: n(5)?,
                    phone_tasks: n(6)?,
                })
            })
            .collect()
    })
}

pub(super) fn insert_inbound(s: &PgStore, m: &InboundSms, now: DateTime<Utc>) -> DbResult<bool> {
    s.write(|tx| {
        let n = tx.execute(
            "INSERT INTO sms_inbound(message_id, phone, text, sent_at, arrived_at, outcome)
             VALUES ($1, $2, $3, $4, $5, 'pending') ON CONFLICT (message_id) DO NOTHING",
            &[&m.message_id, &m.phone, &m.text, &ms(m.sent_at), &ms(now)],
        )?;
        Ok(n == 1)
    })
}

pub(super) fn inbound(s: &PgStore, message_id: &str) -> DbResult<Option<InboundRecord>> {
    s.read(|c| {
        c.query_opt(
            &format!("SELECT {INBOUND_COLS} FROM sms_inbound WHERE message_id = $1"),
            &[&message_id],
        )?
        .as_ref()
        .map(inbound_from_row)
        .transpose()
    })
}

pub(super) fn set_outcome(
    s: &PgStore,
    message_id: &str,
    followup_id: Option<&str>,
    outcome: &str,
    detail: Option<&str>,
) -> DbResult<()> {
    s.write(|tx| {
        tx.execute(
            "UPDATE sms_inbound SET followup_id = $2, outcome = $3, detail = $4
             WHERE message_id = $1",
            &[&message_id, &followup_id, &outcome, &detail],
        )?;
        Ok(())
    })
}

pub(super) fn pending_inbound(
    s: &PgStore,
    arrived_before: DateTime<Utc>,
) -> DbResult<Vec<InboundRecord>> {
    s.read(|c| {
        c.query(
            &format!(
                "SELECT {INBOUND_COLS} FROM sms_inbound
                 WHERE outcome = 'pending' AND arrived_at <= $1
                 ORDER BY sent_at, arrived_at, pos LIMIT 100"
            ),
            &[&ms(arrived_before)],
        )?
        .iter()
        .map(inbound_from_row)
        .collect()
    })
}

pub(super) fn recent_inbound(s: &PgStore, limit: usize) -> DbResult<Vec<InboundRecord>> {
    s.read(|c| {
        c.query(
            &format!(
                "SELECT {INBOUND_COLS} FROM sms_inbound
                 ORDER BY arrived_at DESC, pos DESC LIMIT $1"
            ),
            &[&limit_param(limit)],
        )?
        .iter()
        .map(inbound_from_row)
        .collect()
    })
}

/// Each new event (`ON CONFLICT (id) DO NOTHING`: a concurrent import of the same event
/// waits and then inserts nothing) opens its round in the same transaction.
pub(super) fn insert_service_events(
    s: &PgStore,
    events: &[(ServiceEvent, NewFollowUp)],
    now: DateTime<Utc>,
) -> DbResult<Vec<ServiceEvent>> {
    s.write(|tx| {
        let stmt = tx.prepare(
            "INSERT INTO service_events(id, service, phone, citizen_name, unit_name, summary,
                 occurred_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING",
        )?;
        let mut out = Vec::new();
        for (e, round) in events {
            let n = tx.execute(
                &stmt,
                &[
                    &e.id,
                    &e.service,
                    &e.phone,
                    &e.citizen_name,
                    &e.unit_name,
                    &e.summary,
                    &ms(e.occurred_at),
                ],
            )?;
            if n == 1 {
                open_tx(tx, round, now)?;
                out.push(e.clone());
            }
        }
        Ok(out)
    })
}
