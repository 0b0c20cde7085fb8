//! SQLite side of `storage::notify`.

use crate::{db, DbResult};
use chrono::{DateTime, Utc};
use minsheng_domain::ids::{CaseId, UserId};
use rusqlite::{params, OptionalExtension, Row, Transaction};

use super::{from_ms, ms, parse_id, SqliteStore};
use minsheng_store::notify::{
    CaseChange, DeadlineHit, FollowUpRecord, FollowUpStatsRow, FollowUpStatus, FollowUpSubject,
    InboundRecord, InboundSms, LimitedEnqueue, NewFollowUp, NewSms, NotifyPrefs, OutboxMessage,
    OutboxStatus, SendResult, ServiceEvent, SmsLimit, SmsTemplate, StaffNotification,
};
use minsheng_store::StoreResult;

/// Schema of the notify area (migration entry in `migrations.rs`).
pub(super) const MIGRATION: &str = r"
CREATE TABLE sms_templates (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    body TEXT NOT NULL,
    provider_template_id TEXT,
    updated_at INTEGER NOT NULL
);
INSERT INTO sms_templates(code, name, body, updated_at) VALUES
 ('followup.l1', '办结回访（一级）', '【济南公安】您好，您反映的诉求（编号{caseNumber}）已办结。请对办理结果评价，回复数字：1满意 2基本满意 3不满意，也可直接回复您的意见。', 0),
 ('followup.l2', '重办回访（二级）', '【济南公安】您好，您反映的诉求（编号{caseNumber}）已由承办单位重新办理并上门回访。请再次评价，回复：1满意 2基本满意 3不满意。', 0),
 ('followup.l3', '领导督办回访（三级）', '【济南公安】您好，您反映的诉求（编号{caseNumber}）已经市局领导签批并由纪委/督察/法制部门调查。请评价，回复：1满意 2基本满意 3不满意。', 0),
 ('followup.difficult', '疑难督办回访', '【济南公安】您好，您反映的诉求（编号{caseNumber}）已列入疑难督办并下发督办通知。请评价办理情况，回复：1满意 2基本满意 3不满意。', 0),
 ('service.110', '110接处警回访', '【济南公安】您好，您于{date}拨打110报警，{unitName}已出警处置。请评价，回复：1满意 2基本满意 3不满意。', 0),
 ('service.household', '户政业务回访', '【济南公安】您好，您于{date}在{unitName}办理的户政业务已完成。请评价，回复：1满意 2基本满意 3不满意。', 0),
 ('service.exitEntry', '出入境业务回访', '【济南公安】您好，您于{date}在{unitName}办理的出入境业务已完成。请评价，回复：1满意 2基本满意 3不满意。', 0),
 ('service.vehicle', '车驾管业务回访', '【济南公安】您好，您于{date}在{unitName}办理的车驾管业务已完成。请评价，回复：1满意 2基本满意 3不满意。', 0),
 ('reminder.documentReady', '温馨提示：证件可领取', '【济南公安】温馨提示：{name}您好，您办理的{item}已制作完成，请携带身份证件到{place}领取。', 0),
 ('staff.notice', '工作提醒（民警）', '【民生警务】{title}：{body}', 0);

-- One row per SMS; event_key makes a business event produce at most one message.
CREATE TABLE sms_outbox (
    id TEXT PRIMARY KEY,
    event_key TEXT NOT NULL UNIQUE,
    phone TEXT NOT NULL,
    template TEXT NOT NULL,
    provider_template_id TEXT,
    params TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    lease_until INTEGER,
    last_error TEXT,
    provider_id TEXT,
    delivery_status TEXT,
    created_at INTEGER NOT NULL,
    sent_at INTEGER
);
CREATE INDEX sms_outbox_due ON sms_outbox(status, next_attempt_at);

-- One follow-up round (回访): a case at a level/round, or a window-service event.
CREATE TABLE followups (
    id TEXT PRIMARY KEY,
    event_key TEXT NOT NULL UNIQUE,
    case_id TEXT,
    level TEXT,
    round INTEGER NOT NULL DEFAULT 0,
    service_event_id TEXT,
    service TEXT,
    phone TEXT,
    status TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    due_at INTEGER NOT NULL,
    answered_at INTEGER,
    satisfaction TEXT,
    answer_text TEXT,
    UNIQUE (case_id, level, round)
);
CREATE INDEX followups_phone ON followups(phone, created_at DESC);
CREATE INDEX followups_status ON followups(status, due_at);

-- Every webhook delivery of a citizen reply, once per gateway message id.
CREATE TABLE sms_inbound (
    message_id TEXT PRIMARY KEY,
    phone TEXT NOT NULL,
    text TEXT NOT NULL,
    sent_at INTEGER NOT NULL,
    arrived_at INTEGER NOT NULL,
    followup_id TEXT,
    outcome TEXT NOT NULL,
    detail TEXT
);
CREATE INDEX sms_inbound_arrived ON sms_inbound(arrived_at DESC);

CREATE TABLE service_events (
    id TEXT PRIMARY KEY,
    service TEXT NOT NULL,
    phone TEXT NOT NULL,
    citizen_name TEXT,
    unit_name TEXT,
    summary TEXT,
    occurred_at INTEGER NOT NULL
);

CREATE TABLE staff_notifications (
    id TEXT PRIMARY KEY,
    event_key TEXT NOT NULL UNIQUE,
    user_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    case_id TEXT,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    read_at INTEGER
);
CREATE INDEX staff_notifications_user ON staff_notifications(user_id, created_at DESC);
CREATE TABLE notify_prefs (user_id TEXT PRIMARY KEY, data TEXT NOT NULL);
-- Deadline reminders already raised (kind:case:deadline).
CREATE TABLE notify_reminders (key TEXT PRIMARY KEY, at INTEGER NOT NULL) WITHOUT ROWID;
-- Position in the sync change log up to which staff notifications were derived; starts
-- at the current end so an upgraded database does not replay its history.
CREATE TABLE notify_cursor (id INTEGER PRIMARY KEY CHECK (id = 1), seq INTEGER NOT NULL);
INSERT INTO notify_cursor(id, seq) VALUES (1, (SELECT COALESCE(MAX(seq), 0) FROM changes));
";

/// Level and round a case in follow-up currently waits on, as SQL over `c`.
const CASE_ROUND: &str = "json_extract(c.data, '$.followUp.level') AS lvl,
    CASE WHEN c.state = 'difficultSupervision'
         THEN COALESCE(json_extract(c.data, '$.followUp.supervisionNotices'), 0) ELSE 0 END AS rnd";

/// The case is waiting for the citizen's answer (疑难督办: once a notice went out).
const CASE_AWAITING: &str =
    "c.state IN ('completed','followUpL2','followUpL3','difficultSupervision')
    AND (CASE WHEN c.state = 'difficultSupervision'
              THEN COALESCE(json_extract(c.data, '$.followUp.supervisionNotices'), 0) > 0
              ELSE json_extract(c.data, '$.followUp.awaitingAnswer') = 1 END)";

pub(super) const OUTBOX_COLS: &str =
    "id, event_key, phone, template, provider_template_id, params, body, status,
    attempts, next_attempt_at, last_error, provider_id, delivery_status, created_at, sent_at,
    discard_reason";

const FOLLOWUP_COLS: &str =
    "id, event_key, case_id, level, round, service_event_id, service, phone,
    status, created_at, due_at, answered_at, satisfaction, answer_text";

const INBOUND_COLS: &str =
    "message_id, phone, text, sent_at, arrived_at, followup_id, outcome, detail";

const NOTE_COLS: &str = "id, event_key, user_id, kind, case_id, title, body, created_at, read_at";

fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

fn opt_ms(v: Option<i64>) -> Option<DateTime<Utc>> {
    v.map(from_ms)
}

pub(super) fn outbox_from_row(r: &Row<'_>) -> rusqlite::Result<OutboxMessage> {
    let params: String = r.get("params")?;
    let status: String = r.get("status")?;
    Ok(OutboxMessage {
        id: r.get("id")?,
        event_key: r.get("event_key")?,
        phone: r.get("phone")?,
        template: r.get("template")?,
        provider_template_id: r.get("provider_template_id")?,
        params: serde_json::from_str(&params).unwrap_or_default(),
        body: r.get("body")?,
        status: OutboxStatus::from_code(&status).unwrap_or(OutboxStatus::Pending),
        attempts: r.get("attempts")?,
        next_attempt_at: from_ms(r.get("next_attempt_at")?),
        last_error: r.get("last_error")?,
        provider_id: r.get("provider_id")?,
        delivery_status: r.get("delivery_status")?,
        created_at: from_ms(r.get("created_at")?),
        sent_at: opt_ms(r.get("sent_at")?),
        discard_reason: r.get("discard_reason")?,
    })
}

fn followup_from_row(r: &Row<'_>) -> rusqlite::Result<FollowUpRecord> {
    let status: String = r.get("status")?;
    let case_id: Option<String> = r.get("case_id")?;
    Ok(FollowUpRecord {
        id: r.get("id")?,
        event_key: r.get("event_key")?,
        case_id: case_id.map(|s| parse_id(&s)).transpose()?,
        level: r.get("level")?,
        round: r.get("round")?,
        service_event_id: r.get("service_event_id")?,
        service: r.get("service")?,
        phone: r.get("phone")?,
        status: FollowUpStatus::from_code(&status).unwrap_or(FollowUpStatus::Awaiting),
        created_at: from_ms(r.get("created_at")?),
        due_at: from_ms(r.get("due_at")?),
        answered_at: opt_ms(r.get("answered_at")?),
        satisfaction: r.get("satisfaction")?,
        answer_text: r.get("answer_text")?,
    })
}

fn inbound_from_row(r: &Row<'_>) -> rusqlite::Result<InboundRecord> {
    Ok(InboundRecord {
        message_id: r.get("message_id")?,
        phone: r.get("phone")?,
        text: r.get("text")?,
        sent_at: from_ms(r.get("sent_at")?),
        arrived_at: from_ms(r.get("arrived_at")?),
        followup_id: r.get("followup_id")?,
        outcome: r.get("outcome")?,
        detail: r.get("detail")?,
    })
}

fn note_from_row(r: &Row<'_>) -> rusqlite::Result<StaffNotification> {
    let case_id: Option<String> = r.get("case_id")?;
    Ok(StaffNotification {
        id: r.get("id")?,
        event_key: r.get("event_key")?,
        user_id: parse_id(&r.get::<_, String>("user_id")?)?,
        kind: r.get("kind")?,
        case_id: case_id.map(|s| parse_id(&s)).transpose()?,
        title: r.get("title")?,
        body: r.get("body")?,
        created_at: from_ms(r.get("created_at")?),
        read_at: opt_ms(r.get("read_at")?),
    })
}

pub(super) fn template_from_row(r: &Row<'_>) -> rusqlite::Result<SmsTemplate> {
    Ok(SmsTemplate {
        code: r.get("code")?,
        name: r.get("name")?,
        body: r.get("body")?,
        provider_template_id: r.get("provider_template_id")?,
        updated_at: from_ms(r.get("updated_at")?),
    })
}

/// Adds or replaces a template.
pub(super) fn upsert_template(tx: &Transaction<'_>, t: &SmsTemplate) -> DbResult<()> {
    tx.execute(
        "INSERT INTO sms_templates(code, name, body, provider_template_id, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT(code) DO UPDATE SET name = excluded.name, body = excluded.body,
           provider_template_id = excluded.provider_template_id, updated_at = excluded.updated_at",
        params![
            t.code,
            t.name,
            t.body,
            t.provider_template_id,
            ms(t.updated_at)
        ],
    )?;
    Ok(())
}

pub(super) fn insert_sms(tx: &Transaction<'_>, sms: &NewSms, now: DateTime<Utc>) -> DbResult<bool> {
    let n = tx.execute(
        "INSERT INTO sms_outbox(id, event_key, phone, template, provider_template_id, params, body,
             status, attempts, next_attempt_at, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'pending', 0, ?8, ?8)
         ON CONFLICT(event_key) DO NOTHING",
        params![
            new_id(),
            sms.event_key,
            sms.phone,
            sms.template,
            sms.provider_template_id,
            sms.params.to_string(),
            sms.body,
            ms(now)
        ],
    )?;
    Ok(n == 1)
}

/// Opens the round and queues its SMS inside `tx`; false when the round already existed
/// (nothing queued).
fn open_followup_tx(tx: &Transaction<'_>, f: &NewFollowUp, now: DateTime<Utc>) -> DbResult<bool> {
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
    let n = tx.execute(
        "INSERT INTO followups(id, event_key, case_id, level, round, service_event_id, service,
             phone, status, created_at, due_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) ON CONFLICT DO NOTHING",
        params![
            new_id(),
            f.event_key,
            case_id,
            level,
            round,
            event_id,
            service,
            f.phone,
            status.code(),
            ms(now),
            ms(f.due_at)
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

impl minsheng_store::notify::NotifyStore for SqliteStore {
    fn sms_templates(&self) -> StoreResult<Vec<SmsTemplate>> {
        db(|| {
            let conn = self.conn()?;
            let mut stmt = conn.prepare(
            "SELECT code, name, body, provider_template_id, updated_at FROM sms_templates ORDER BY code",
        )?;
            let rows = stmt.query_map([], template_from_row)?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }

    fn sms_template(&self, code: &str) -> StoreResult<Option<SmsTemplate>> {
        db(|| {
            let conn = self.conn()?;
            Ok(conn
            .query_row(
                "SELECT code, name, body, provider_template_id, updated_at FROM sms_templates WHERE code = ?1",
                [code],
                template_from_row,
            )
            .optional()?)
        })
    }

    fn upsert_sms_template(&self, t: &SmsTemplate) -> StoreResult<()> {
        db(|| self.write(|tx| upsert_template(tx, t)))
    }

    fn enqueue_sms(&self, sms: &NewSms, now: DateTime<Utc>) -> StoreResult<bool> {
        db(|| self.write(|tx| insert_sms(tx, sms, now)))
    }

    fn claim_due_sms(
        &self,
        now: DateTime<Utc>,
        lease_secs: i64,
        limit: usize,
    ) -> StoreResult<Vec<OutboxMessage>> {
        db(|| {
            self.write(|tx| {
                let mut stmt = tx.prepare(&format!(
                "UPDATE sms_outbox SET status = 'sending', lease_until = ?2, attempts = attempts + 1
                 WHERE id IN (SELECT id FROM sms_outbox
                   WHERE (status = 'pending' AND next_attempt_at <= ?1)
                      OR (status = 'sending' AND lease_until <= ?1)
                   ORDER BY next_attempt_at, created_at LIMIT ?3)
                 RETURNING {OUTBOX_COLS}"
            ))?;
                let rows = stmt.query_map(
                    params![ms(now), ms(now) + lease_secs * 1000, limit as i64],
                    outbox_from_row,
                )?;
                let mut out: Vec<OutboxMessage> = rows.collect::<Result<_, _>>()?;
                out.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
                Ok(out)
            })
        })
    }

    fn finish_sms(&self, id: &str, result: &SendResult, now: DateTime<Utc>) -> StoreResult<()> {
        db(|| {
            self.write(|tx| {
                match result {
                    SendResult::Sent { provider_id } => tx.execute(
                        "UPDATE sms_outbox SET status = 'sent', provider_id = ?2, sent_at = ?3,
                       lease_until = NULL, last_error = NULL WHERE id = ?1 AND status = 'sending'",
                        params![id, provider_id, ms(now)],
                    )?,
                    SendResult::Failed {
                        error,
                        retry_at,
                        dead,
                    } => tx.execute(
                        "UPDATE sms_outbox SET status = ?2, next_attempt_at = ?3, last_error = ?4,
                       lease_until = NULL WHERE id = ?1 AND status = 'sending'",
                        params![
                            id,
                            if *dead { "dead" } else { "pending" },
                            ms(*retry_at),
                            error
                        ],
                    )?,
                };
                Ok(())
            })
        })
    }

    fn sms_delivery_report(&self, id: &str, status: &str) -> StoreResult<bool> {
        db(|| {
            self.write(|tx| {
                let n = tx.execute(
                    "UPDATE sms_outbox SET delivery_status = ?2 WHERE id = ?1 OR provider_id = ?1",
                    params![id, status],
                )?;
                Ok(n > 0)
            })
        })
    }

    fn outbox(
        &self,
        status: Option<OutboxStatus>,
        limit: usize,
    ) -> StoreResult<Vec<OutboxMessage>> {
        db(|| {
            let conn = self.conn()?;
            let mut stmt = conn.prepare(&format!(
                "SELECT {OUTBOX_COLS} FROM sms_outbox WHERE (?1 IS NULL OR status = ?1)
             ORDER BY created_at DESC, id DESC LIMIT ?2"
            ))?;
            let rows = stmt.query_map(
                params![status.map(OutboxStatus::code), limit as i64],
                outbox_from_row,
            )?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }

    fn requeue_sms(&self, id: &str, now: DateTime<Utc>) -> StoreResult<bool> {
        db(|| {
            self.write(|tx| {
                let n = tx.execute(
                    "UPDATE sms_outbox SET status = 'pending', attempts = 0, next_attempt_at = ?2
                 WHERE id = ?1 AND status = 'dead'",
                    params![id, ms(now)],
                )?;
                Ok(n == 1)
            })
        })
    }

    fn count_sms_since(
        &self,
        event_key_prefix: &str,
        phone: Option<&str>,
        since: DateTime<Utc>,
    ) -> StoreResult<u64> {
        db(|| {
            let conn = self.conn()?;
            let n: i64 = conn.query_row(
                "SELECT COUNT(*) FROM sms_outbox
             WHERE substr(event_key, 1, length(?1)) = ?1
               AND (?2 IS NULL OR phone = ?2) AND created_at >= ?3",
                params![event_key_prefix, phone, ms(since)],
                |r| r.get(0),
            )?;
            Ok(u64::try_from(n).unwrap_or(0))
        })
    }

    fn enqueue_sms_within(
        &self,
        sms: &NewSms,
        limits: &[SmsLimit],
        now: DateTime<Utc>,
    ) -> StoreResult<LimitedEnqueue> {
        // The one writer (an IMMEDIATE transaction) serializes the check with the insert.
        db(|| {
            self.write(|tx| {
                let exists: bool = tx.query_row(
                    "SELECT EXISTS(SELECT 1 FROM sms_outbox WHERE event_key = ?1)",
                    [&sms.event_key],
                    |r| r.get(0),
                )?;
                if exists {
                    return Ok(LimitedEnqueue::Queued(false));
                }
                for (i, l) in limits.iter().enumerate() {
                    let n: i64 = tx.query_row(
                        "SELECT COUNT(*) FROM sms_outbox
                         WHERE substr(event_key, 1, length(?1)) = ?1
                           AND (?2 IS NULL OR phone = ?2) AND created_at >= ?3",
                        params![l.event_key_prefix, l.phone, ms(l.since)],
                        |r| r.get(0),
                    )?;
                    if u64::try_from(n).unwrap_or(0) >= l.max {
                        return Ok(LimitedEnqueue::Limited(i));
                    }
                }
                Ok(LimitedEnqueue::Queued(insert_sms(tx, sms, now)?))
            })
        })
    }

    fn followup_candidates(&self, limit: usize) -> StoreResult<Vec<(CaseId, String, u32)>> {
        db(|| {
            let conn = self.conn()?;
            let mut stmt = conn.prepare(&format!(
            "SELECT x.id, x.lvl, x.rnd FROM (
                SELECT c.id, {CASE_ROUND} FROM cases c WHERE {CASE_AWAITING}
             ) x
             WHERE x.lvl IS NOT NULL AND NOT EXISTS (
                SELECT 1 FROM followups f WHERE f.case_id = x.id AND f.level = x.lvl AND f.round = x.rnd)
             LIMIT ?1"
        ))?;
            let rows = stmt.query_map([limit as i64], |r| {
                Ok((
                    parse_id::<CaseId>(&r.get::<_, String>(0)?)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, u32>(2)?,
                ))
            })?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }

    fn open_followup(&self, f: &NewFollowUp, now: DateTime<Utc>) -> StoreResult<bool> {
        db(|| self.write(|tx| open_followup_tx(tx, f, now)))
    }

    fn supersede_followups(&self) -> StoreResult<u64> {
        db(|| {
            self.write(|tx| {
                let mut stmt = tx.prepare(&format!(
                    "UPDATE followups SET status = 'superseded'
                 WHERE status IN ('awaiting','phoneTask') AND case_id IS NOT NULL
                   AND NOT EXISTS (SELECT 1 FROM (SELECT c.id, {CASE_ROUND} FROM cases c
                                     WHERE c.id = followups.case_id AND {CASE_AWAITING}) x
                                   WHERE x.lvl = followups.level AND x.rnd = followups.round)
                 RETURNING event_key"
                ))?;
                let keys: Vec<String> = stmt
                    .query_map([], |r| r.get(0))?
                    .collect::<Result<_, _>>()?;
                // A round and its SMS share the event key. A row being sent right now is
                // left alone: it is already with the gateway.
                let mut cancel = tx.prepare(
                    "UPDATE sms_outbox SET status = 'cancelled', lease_until = NULL
                 WHERE event_key = ?1 AND status = 'pending'",
                )?;
                for k in &keys {
                    cancel.execute([k])?;
                }
                Ok(keys.len() as u64)
            })
        })
    }

    fn expire_followups(&self, now: DateTime<Utc>) -> StoreResult<Vec<FollowUpRecord>> {
        db(|| {
            self.write(|tx| {
            let mut stmt = tx.prepare(&format!(
                "UPDATE followups SET status = 'phoneTask' WHERE status = 'awaiting' AND due_at <= ?1
                 RETURNING {FOLLOWUP_COLS}"
            ))?;
            let rows = stmt.query_map([ms(now)], followup_from_row)?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
        })
    }

    fn followup_for_reply(
        &self,
        phone: &str,
        sent_at: DateTime<Utc>,
    ) -> StoreResult<Option<FollowUpRecord>> {
        db(|| {
            let conn = self.conn()?;
            // Most recent open round asked before the reply was sent; else the most recent
            // round at all (the reply is then late and recorded without effect).
            Ok(conn
                .query_row(
                    &format!(
                    "SELECT {FOLLOWUP_COLS} FROM followups WHERE phone = ?1 AND created_at <= ?2
                     ORDER BY status IN ('awaiting','phoneTask') DESC, created_at DESC, rowid DESC
                     LIMIT 1"
                ),
                    params![phone, ms(sent_at)],
                    followup_from_row,
                )
                .optional()?)
        })
    }

    fn answer_followup(
        &self,
        id: &str,
        satisfaction: Option<&str>,
        text: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        db(|| {
            self.write(|tx| {
                // `superseded` too: the worker may have seen the case move on before the
                // reply that moved it was recorded here.
                let n = tx.execute(
                    "UPDATE followups SET status = 'answered', satisfaction = ?2, answer_text = ?3,
                   answered_at = ?4 WHERE id = ?1 AND status != 'answered'",
                    params![id, satisfaction, text, ms(now)],
                )?;
                Ok(n == 1)
            })
        })
    }

    fn answer_followup_by_phone(
        &self,
        id: &str,
        satisfaction: &str,
        text: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        db(|| {
            self.write(|tx| {
                let key: Option<String> = tx
                .query_row(
                    "UPDATE followups SET status = 'answered', satisfaction = ?2, answer_text = ?3,
                       answered_at = ?4 WHERE id = ?1 AND status IN ('awaiting','phoneTask')
                     RETURNING event_key",
                    params![id, satisfaction, text, ms(now)],
                    |r| r.get(0),
                )
                .optional()?;
                let Some(key) = key else {
                    return Ok(false);
                };
                // Its question is answered: an SMS still waiting is not sent (one being
                // sent right now is already with the gateway).
                tx.execute(
                    "UPDATE sms_outbox SET status = 'cancelled', lease_until = NULL
                 WHERE event_key = ?1 AND status = 'pending'",
                    [key],
                )?;
                Ok(true)
            })
        })
    }

    fn followup(&self, id: &str) -> StoreResult<Option<FollowUpRecord>> {
        db(|| {
            let conn = self.conn()?;
            Ok(conn
                .query_row(
                    &format!("SELECT {FOLLOWUP_COLS} FROM followups WHERE id = ?1"),
                    [id],
                    followup_from_row,
                )
                .optional()?)
        })
    }

    fn followups(
        &self,
        case_id: Option<CaseId>,
        status: Option<FollowUpStatus>,
        limit: usize,
    ) -> StoreResult<Vec<FollowUpRecord>> {
        db(|| {
            let conn = self.conn()?;
            let mut stmt = conn.prepare(&format!(
                "SELECT {FOLLOWUP_COLS} FROM followups
             WHERE (?1 IS NULL OR case_id = ?1) AND (?2 IS NULL OR status = ?2)
             ORDER BY created_at DESC, rowid DESC LIMIT ?3"
            ))?;
            let rows = stmt.query_map(
                params![
                    case_id.map(|c| c.to_string()),
                    status.map(FollowUpStatus::code),
                    limit as i64
                ],
                followup_from_row,
            )?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }

    fn followup_stats(
        &self,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
    ) -> StoreResult<Vec<FollowUpStatsRow>> {
        db(|| {
            let conn = self.conn()?;
            let mut stmt = conn.prepare(
            "SELECT COALESCE(service, level) AS grp, COUNT(*),
                SUM(status = 'answered'),
                SUM(satisfaction = 'satisfied'),
                SUM(satisfaction = 'basicallySatisfied'),
                SUM(satisfaction = 'unsatisfied'),
                SUM(status = 'phoneTask')
             FROM followups WHERE (?1 IS NULL OR created_at >= ?1) AND (?2 IS NULL OR created_at < ?2)
             GROUP BY grp ORDER BY grp",
        )?;
            let rows = stmt.query_map(params![from.map(ms), to.map(ms)], |r| {
                let n = |i: usize| -> rusqlite::Result<u64> {
                    Ok(r.get::<_, Option<i64>>(i)?
                        .unwrap_or(0)
                        .max(0)
                        .unsigned_abs())
                };
                Ok(FollowUpStatsRow {
                    group: r.get::<_, Option<String>>(0)?.unwrap_or_default(),
                    sent: n(1)?,
                    answered: n(2)?,
                    satisfied: n(3)?,
                    basically_satisfied: n(4)?,
                    unsatisfied: n(5)?,
                    phone_tasks: n(6)?,
                })
            })?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }

    fn insert_inbound(&self, m: &InboundSms, now: DateTime<Utc>) -> StoreResult<bool> {
        db(|| {
            self.write(|tx| {
                let n = tx.execute(
                    "INSERT INTO sms_inbound(message_id, phone, text, sent_at, arrived_at, outcome)
                 VALUES (?1, ?2, ?3, ?4, ?5, 'pending') ON CONFLICT(message_id) DO NOTHING",
                    params![m.message_id, m.phone, m.text, ms(m.sent_at), ms(now)],
                )?;
                Ok(n == 1)
            })
        })
    }

    fn inbound(&self, message_id: &str) -> StoreResult<Option<InboundRecord>> {
        db(|| {
            let conn = self.conn()?;
            Ok(conn
                .query_row(
                    &format!("SELECT {INBOUND_COLS} FROM sms_inbound WHERE message_id = ?1"),
                    [message_id],
                    inbound_from_row,
                )
                .optional()?)
        })
    }

    fn set_inbound_outcome(
        &self,
        message_id: &str,
        followup_id: Option<&str>,
        outcome: &str,
        detail: Option<&str>,
    ) -> StoreResult<()> {
        db(|| {
            self.write(|tx| {
            tx.execute(
                "UPDATE sms_inbound SET followup_id = ?2, outcome = ?3, detail = ?4 WHERE message_id = ?1",
                params![message_id, followup_id, outcome, detail],
            )?;
            Ok(())
        })
        })
    }

    fn pending_inbound(&self, arrived_before: DateTime<Utc>) -> StoreResult<Vec<InboundRecord>> {
        db(|| {
            let conn = self.conn()?;
            let mut stmt = conn.prepare(&format!(
            "SELECT {INBOUND_COLS} FROM sms_inbound WHERE outcome = 'pending' AND arrived_at <= ?1
             ORDER BY sent_at, arrived_at LIMIT 100"
        ))?;
            let rows = stmt.query_map([ms(arrived_before)], inbound_from_row)?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }

    fn recent_inbound(&self, limit: usize) -> StoreResult<Vec<InboundRecord>> {
        db(|| {
            let conn = self.conn()?;
            let mut stmt = conn.prepare(&format!(
            "SELECT {INBOUND_COLS} FROM sms_inbound ORDER BY arrived_at DESC, rowid DESC LIMIT ?1"
        ))?;
            let rows = stmt.query_map([limit as i64], inbound_from_row)?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }

    fn insert_service_events(
        &self,
        events: &[(ServiceEvent, NewFollowUp)],
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<ServiceEvent>> {
        db(|| {
            self.write(|tx| {
            let mut stmt = tx.prepare(
                "INSERT INTO service_events(id, service, phone, citizen_name, unit_name, summary, occurred_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT(id) DO NOTHING",
            )?;
            let mut out = Vec::new();
            for (e, round) in events {
                let n = stmt.execute(params![
                    e.id,
                    e.service,
                    e.phone,
                    e.citizen_name,
                    e.unit_name,
                    e.summary,
                    ms(e.occurred_at)
                ])?;
                if n == 1 {
                    open_followup_tx(tx, round, now)?;
                    out.push(e.clone());
                }
            }
            Ok(out)
        })
        })
    }

    fn insert_notifications(
        &self,
        items: &[(StaffNotification, Option<NewSms>)],
        reminded: Option<&str>,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<StaffNotification>> {
        db(|| {
            self.write(|tx| {
            let mut stmt = tx.prepare(&format!(
                "INSERT INTO staff_notifications({NOTE_COLS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, NULL)
                 ON CONFLICT(event_key) DO NOTHING"
            ))?;
            let mut out = Vec::new();
            for (n, sms) in items {
                let inserted = stmt.execute(params![
                    n.id,
                    n.event_key,
                    n.user_id.to_string(),
                    n.kind,
                    n.case_id.map(|c| c.to_string()),
                    n.title,
                    n.body,
                    ms(n.created_at)
                ])?;
                if inserted == 1 {
                    if let Some(sms) = sms {
                        insert_sms(tx, sms, now)?;
                    }
                    out.push(n.clone());
                }
            }
            if let Some(key) = reminded {
                tx.execute(
                    "INSERT OR IGNORE INTO notify_reminders(key, at) VALUES (?1, ?2)",
                    params![key, ms(now)],
                )?;
            }
            Ok(out)
        })
        })
    }

    fn notifications(
        &self,
        user: UserId,
        unread_only: bool,
        limit: usize,
    ) -> StoreResult<Vec<StaffNotification>> {
        db(|| {
            let conn = self.conn()?;
            let mut stmt = conn.prepare(&format!(
                "SELECT {NOTE_COLS} FROM staff_notifications
             WHERE user_id = ?1 AND (?2 = 0 OR read_at IS NULL)
             ORDER BY created_at DESC, id DESC LIMIT ?3"
            ))?;
            let rows = stmt.query_map(
                params![user.to_string(), unread_only, limit as i64],
                note_from_row,
            )?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }

    fn unread_count(&self, user: UserId) -> StoreResult<u64> {
        db(|| {
            let conn = self.conn()?;
            let n: i64 = conn.query_row(
                "SELECT COUNT(*) FROM staff_notifications WHERE user_id = ?1 AND read_at IS NULL",
                [user.to_string()],
                |r| r.get(0),
            )?;
            Ok(n.unsigned_abs())
        })
    }

    fn mark_notifications_read(
        &self,
        user: UserId,
        ids: Option<&[String]>,
        now: DateTime<Utc>,
    ) -> StoreResult<u64> {
        db(|| {
            self.write(|tx| {
            let user = user.to_string();
            let n = match ids {
                None => tx.execute(
                    "UPDATE staff_notifications SET read_at = ?2 WHERE user_id = ?1 AND read_at IS NULL",
                    params![user, ms(now)],
                )?,
                Some(ids) => {
                    let mut stmt = tx.prepare(
                        "UPDATE staff_notifications SET read_at = ?3
                         WHERE user_id = ?1 AND id = ?2 AND read_at IS NULL",
                    )?;
                    let mut n = 0;
                    for id in ids {
                        n += stmt.execute(params![user, id, ms(now)])?;
                    }
                    n
                }
            };
            Ok(n as u64)
        })
        })
    }

    fn notify_prefs(&self, user: UserId) -> StoreResult<NotifyPrefs> {
        db(|| {
            let conn = self.conn()?;
            let data: Option<String> = conn
                .query_row(
                    "SELECT data FROM notify_prefs WHERE user_id = ?1",
                    [user.to_string()],
                    |r| r.get(0),
                )
                .optional()?;
            Ok(match data {
                Some(d) => serde_json::from_str(&d)?,
                None => NotifyPrefs::default(),
            })
        })
    }

    fn set_notify_prefs(&self, user: UserId, p: &NotifyPrefs) -> StoreResult<()> {
        db(|| {
            self.write(|tx| {
                tx.execute(
                    "INSERT INTO notify_prefs(user_id, data) VALUES (?1, ?2)
                 ON CONFLICT(user_id) DO UPDATE SET data = excluded.data",
                    params![user.to_string(), serde_json::to_string(p)?],
                )?;
                Ok(())
            })
        })
    }

    fn notify_cursor(&self) -> StoreResult<u64> {
        db(|| {
            let conn = self.conn()?;
            let n: i64 = conn.query_row("SELECT seq FROM notify_cursor WHERE id = 1", [], |r| {
                r.get(0)
            })?;
            Ok(n.unsigned_abs())
        })
    }

    fn set_notify_cursor(&self, seq: u64) -> StoreResult<()> {
        db(|| {
            self.write(|tx| {
                tx.execute(
                    "UPDATE notify_cursor SET seq = MAX(seq, ?1) WHERE id = 1",
                    [i64::try_from(seq).unwrap_or(i64::MAX)],
                )?;
                Ok(())
            })
        })
    }

    fn changes_after(
        &self,
        after: u64,
        since: DateTime<Utc>,
        limit: usize,
    ) -> StoreResult<Vec<CaseChange>> {
        db(|| {
            let conn = self.conn()?;
            let mut stmt = conn.prepare(
                "SELECT ch.seq, ch.case_id, ch.version, CASE WHEN t.at >= ?3 THEN t.data END
             FROM changes ch LEFT JOIN timeline t ON t.case_id = ch.case_id AND t.seq = ch.version
             WHERE ch.seq > ?1 ORDER BY ch.seq LIMIT ?2",
            )?;
            let rows = stmt.query_map(
                params![
                    i64::try_from(after).unwrap_or(i64::MAX),
                    limit as i64,
                    ms(since)
                ],
                |r| {
                    Ok((
                        r.get::<_, i64>(0)?.unsigned_abs(),
                        parse_id::<CaseId>(&r.get::<_, String>(1)?)?,
                        r.get::<_, i64>(2)?.unsigned_abs(),
                        r.get::<_, Option<String>>(3)?,
                    ))
                },
            )?;
            let mut out = Vec::new();
            for row in rows {
                let (seq, case_id, version, data) = row?;
                out.push(CaseChange {
                    seq,
                    case_id,
                    version,
                    entry: data.map(|d| serde_json::from_str(&d)).transpose()?,
                });
            }
            Ok(out)
        })
    }

    fn deadline_hits(
        &self,
        now: DateTime<Utc>,
        since: DateTime<Utc>,
        limit: usize,
    ) -> StoreResult<Vec<DeadlineHit>> {
        db(|| {
            let conn = self.conn()?;
            let mut stmt = conn.prepare(
                "SELECT kind, id, deadline FROM (
               SELECT 'signInReminder' AS kind, c.id, c.sign_in_deadline AS deadline FROM cases c
                WHERE c.state = 'pendingSignIn' AND c.sign_in_warn <= ?1 AND c.sign_in_deadline > ?1
               UNION ALL
               SELECT 'overdueSignIn', c.id, c.sign_in_deadline FROM cases c
                WHERE c.state = 'pendingSignIn' AND c.sign_in_deadline <= ?1
               UNION ALL
               SELECT 'overdueReply', c.id, c.reply_deadline FROM cases c
                WHERE c.state IN ('inProgress','pendingReview') AND c.reply_deadline <= ?1
               UNION ALL
               SELECT 'overdueFollowUp', c.id, f.due FROM cases c,
                 (SELECT CAST(ROUND((julianday(json_extract(c2.data, '$.deadlines.followUpTask'))
                                     - 2440587.5) * 86400000) AS INTEGER) AS due, c2.id AS cid
                    FROM cases c2 WHERE c2.state IN ('followUpL2','followUpL3')
                     AND json_extract(c2.data, '$.followUp.awaitingAnswer') = 0) f
                WHERE c.id = f.cid AND f.due <= ?1
             ) h WHERE h.deadline >= ?3 AND NOT EXISTS (SELECT 1 FROM notify_reminders r
                                   WHERE r.key = h.kind || ':' || h.id || ':' || h.deadline)
             LIMIT ?2",
            )?;
            let rows = stmt.query_map(params![ms(now), limit as i64, ms(since)], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                ))
            })?;
            let hits: Vec<(String, String, i64)> = rows.collect::<Result<_, _>>()?;
            let mut out = Vec::with_capacity(hits.len());
            for (kind, id, deadline) in hits {
                out.push(DeadlineHit {
                    case_id: parse_id(&id)?,
                    kind,
                    deadline: from_ms(deadline),
                });
            }
            Ok(out)
        })
    }
}
