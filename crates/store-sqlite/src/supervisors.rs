//! SQLite side of the 优秀监督员 register and consultation rounds (see
//! `minsheng_store::supervisors`).

use chrono::{DateTime, Utc};
use minsheng_domain::case::CaseState;
use minsheng_domain::ids::CaseId;
use minsheng_store::notify::NewSms;
use minsheng_store::supervisors::{
    Consultation, ConsultationQuery, ConsultationStatus, RecordedAnswer, RequesterCount,
    SupervisorQuery, SupervisorRecord, SupervisorRound, SupervisorStore,
};
use minsheng_store::{AuditRecord, StoreError, StoreResult};
use rusqlite::types::Value;
use rusqlite::{params, params_from_iter, OptionalExtension, Row};

use super::{from_ms, ms, parse_id, SqliteStore};
use crate::{db, DbResult};

pub(super) const MIGRATION: &str = r"
CREATE TABLE supervisors (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    phone TEXT NOT NULL,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    reason TEXT NOT NULL,
    unit_id TEXT NOT NULL,
    contact_preferences TEXT NOT NULL,
    address TEXT,
    note TEXT,
    since INTEGER,
    ended_at INTEGER,
    proposed_at INTEGER NOT NULL,
    proposed_by TEXT,
    updated_at INTEGER NOT NULL,
    version INTEGER NOT NULL
);
CREATE INDEX supervisors_phone ON supervisors(phone);
CREATE INDEX supervisors_unit ON supervisors(unit_id, proposed_at DESC);
CREATE TABLE supervisor_rounds (
    id TEXT PRIMARY KEY,
    period TEXT NOT NULL UNIQUE,
    opened_at INTEGER NOT NULL,
    opened_by TEXT
);
CREATE TABLE supervisor_consultations (
    id TEXT PRIMARY KEY,
    round_id TEXT NOT NULL REFERENCES supervisor_rounds(id),
    period TEXT NOT NULL,
    supervisor_id TEXT NOT NULL REFERENCES supervisors(id),
    supervisor_name TEXT NOT NULL,
    phone TEXT NOT NULL,
    unit_id TEXT NOT NULL,
    channel TEXT NOT NULL,
    status TEXT NOT NULL,
    opened_at INTEGER NOT NULL,
    answered_at INTEGER,
    answered_by TEXT,
    satisfaction TEXT,
    answer_text TEXT,
    suggestion INTEGER NOT NULL DEFAULT 0,
    case_id TEXT,
    UNIQUE (round_id, supervisor_id)
);
CREATE INDEX supervisor_consultations_unit ON supervisor_consultations(unit_id, status);
CREATE INDEX supervisor_consultations_answered ON supervisor_consultations(answered_at);
CREATE INDEX supervisor_consultations_phone ON supervisor_consultations(phone, opened_at);
INSERT OR IGNORE INTO sms_templates(code, name, body, updated_at) VALUES
 ('supervisor.survey', '优秀监督员月度征询', '【济南公安】{name}您好，感谢您担任民生警务优秀监督员。请对本月({period})民生警务工作评价，回复：1满意 2基本满意 3不满意；有意见建议请直接回复文字。', 0);
";

const SUP_COLS: &str = "id, name, phone, kind, status, reason, unit_id, contact_preferences, \
    address, note, since, ended_at, proposed_at, proposed_by, updated_at, version";

const CON_COLS: &str = "id, round_id, period, supervisor_id, supervisor_name, phone, unit_id, \
    channel, status, opened_at, answered_at, answered_by, satisfaction, answer_text, suggestion, \
    case_id";

fn parse_text<T: std::str::FromStr>(s: &str) -> rusqlite::Result<T> {
    parse_id(s)
}

fn sup_from_row(r: &Row<'_>) -> rusqlite::Result<SupervisorRecord> {
    let prefs: String = r.get("contact_preferences")?;
    Ok(SupervisorRecord {
        id: r.get("id")?,
        name: r.get("name")?,
        phone: r.get("phone")?,
        kind: parse_text(&r.get::<_, String>("kind")?)?,
        status: parse_text(&r.get::<_, String>("status")?)?,
        reason: r.get("reason")?,
        unit_id: parse_id(&r.get::<_, String>("unit_id")?)?,
        contact_preferences: serde_json::from_str(&prefs).map_err(|_| {
            rusqlite::Error::InvalidColumnType(0, prefs.clone(), rusqlite::types::Type::Text)
        })?,
        address: r.get("address")?,
        note: r.get("note")?,
        since: r.get::<_, Option<i64>>("since")?.map(from_ms),
        ended_at: r.get::<_, Option<i64>>("ended_at")?.map(from_ms),
        proposed_at: from_ms(r.get("proposed_at")?),
        proposed_by: r
            .get::<_, Option<String>>("proposed_by")?
            .map(|s| parse_id(&s))
            .transpose()?,
        updated_at: from_ms(r.get("updated_at")?),
        version: r.get::<_, i64>("version")?.try_into().unwrap_or_default(),
    })
}

fn satisfaction_code(s: minsheng_domain::case::Satisfaction) -> String {
    serde_json::to_value(s)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn con_from_row(r: &Row<'_>) -> rusqlite::Result<Consultation> {
    let status: String = r.get("status")?;
    Ok(Consultation {
        id: r.get("id")?,
        round_id: r.get("round_id")?,
        period: r.get("period")?,
        supervisor_id: r.get("supervisor_id")?,
        supervisor_name: r.get("supervisor_name")?,
        phone: r.get("phone")?,
        unit_id: parse_id(&r.get::<_, String>("unit_id")?)?,
        channel: parse_text(&r.get::<_, String>("channel")?)?,
        status: ConsultationStatus::from_code(&status).unwrap_or(ConsultationStatus::Pending),
        opened_at: from_ms(r.get("opened_at")?),
        answered_at: r.get::<_, Option<i64>>("answered_at")?.map(from_ms),
        answered_by: r
            .get::<_, Option<String>>("answered_by")?
            .map(|s| parse_id(&s))
            .transpose()?,
        satisfaction: r
            .get::<_, Option<String>>("satisfaction")?
            .and_then(|s| serde_json::from_value(serde_json::Value::String(s)).ok()),
        text: r.get("answer_text")?,
        suggestion: r.get("suggestion")?,
        case_id: r
            .get::<_, Option<String>>("case_id")?
            .map(|s| parse_id::<CaseId>(&s))
            .transpose()?,
    })
}

fn sup_params(s: &SupervisorRecord) -> DbResult<Vec<Value>> {
    let opt_text = |v: Option<String>| v.map_or(Value::Null, Value::Text);
    let opt_ms = |v: Option<DateTime<Utc>>| v.map_or(Value::Null, |t| Value::Integer(ms(t)));
    Ok(vec![
        Value::Text(s.id.clone()),
        Value::Text(s.name.clone()),
        Value::Text(s.phone.clone()),
        Value::Text(s.kind.to_string()),
        Value::Text(s.status.to_string()),
        Value::Text(s.reason.clone()),
        Value::Text(s.unit_id.to_string()),
        Value::Text(serde_json::to_string(&s.contact_preferences)?),
        opt_text(s.address.clone()),
        opt_text(s.note.clone()),
        opt_ms(s.since),
        opt_ms(s.ended_at),
        Value::Integer(ms(s.proposed_at)),
        opt_text(s.proposed_by.map(|u| u.to_string())),
        Value::Integer(ms(s.updated_at)),
        Value::Integer(i64::try_from(s.version).unwrap_or(i64::MAX)),
    ])
}

fn state_list(states: &[CaseState]) -> String {
    if states.is_empty() {
        return "('')".into();
    }
    let q: Vec<String> = states.iter().map(|s| format!("'{}'", s.code())).collect();
    format!("({})", q.join(","))
}

fn limit_of(n: usize) -> i64 {
    i64::try_from(n.max(1)).unwrap_or(i64::MAX)
}

impl SupervisorStore for SqliteStore {
    fn insert_supervisors(
        &self,
        rows: &[SupervisorRecord],
        audit: &AuditRecord,
    ) -> StoreResult<()> {
        db(|| {
            self.write(|tx| {
                for r in rows {
                    let taken: bool = tx.query_row(
                        "SELECT EXISTS(SELECT 1 FROM supervisors WHERE id = ?1)",
                        [&r.id],
                        |x| x.get(0),
                    )?;
                    if taken {
                        return Err(StoreError::AlreadyExists(format!("监督员 {}", r.id)).into());
                    }
                    tx.execute(
                        &format!(
                            "INSERT INTO supervisors({SUP_COLS}) VALUES \
                             (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16)"
                        ),
                        params_from_iter(sup_params(r)?),
                    )?;
                }
                super::audit::append(tx, audit)
            })
        })
    }

    fn supervisor(&self, id: &str) -> StoreResult<Option<SupervisorRecord>> {
        db(|| {
            Ok(self
                .conn()?
                .query_row(
                    &format!("SELECT {SUP_COLS} FROM supervisors WHERE id = ?1"),
                    [id],
                    sup_from_row,
                )
                .optional()?)
        })
    }

    fn supervisors(&self, q: &SupervisorQuery) -> StoreResult<Vec<SupervisorRecord>> {
        db(|| {
            let conn = self.conn()?;
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {SUP_COLS} FROM supervisors
                  WHERE (?1 IS NULL OR status = ?1) AND (?2 IS NULL OR unit_id = ?2)
                  ORDER BY proposed_at DESC, id DESC LIMIT ?3"
            ))?;
            let rows = stmt.query_map(
                params![
                    q.status.map(|s| s.to_string()),
                    q.unit.map(|u| u.to_string()),
                    limit_of(q.limit)
                ],
                sup_from_row,
            )?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }

    fn supervisors_by_phone(&self, phone: &str) -> StoreResult<Vec<SupervisorRecord>> {
        db(|| {
            let conn = self.conn()?;
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {SUP_COLS} FROM supervisors WHERE phone = ?1 ORDER BY proposed_at, id"
            ))?;
            let rows = stmt.query_map([phone], sup_from_row)?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }

    fn supervisor_phones(&self) -> StoreResult<Vec<String>> {
        db(|| {
            let conn = self.conn()?;
            let mut stmt = conn.prepare_cached("SELECT DISTINCT phone FROM supervisors")?;
            let rows = stmt.query_map([], |r| r.get(0))?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }

    fn update_supervisor(
        &self,
        row: &SupervisorRecord,
        expected_version: u64,
        audit: &AuditRecord,
    ) -> StoreResult<()> {
        db(|| {
            self.write(|tx| {
                let current: Option<i64> = tx
                    .query_row(
                        "SELECT version FROM supervisors WHERE id = ?1",
                        [&row.id],
                        |r| r.get(0),
                    )
                    .optional()?;
                let current = current.ok_or(StoreError::NotFound("监督员"))?;
                let current = u64::try_from(current).unwrap_or_default();
                if current != expected_version {
                    return Err(StoreError::StaleVersion { current }.into());
                }
                tx.execute(
                    "UPDATE supervisors SET name = ?2, phone = ?3, kind = ?4, status = ?5,
                        reason = ?6, unit_id = ?7, contact_preferences = ?8, address = ?9,
                        note = ?10, since = ?11, ended_at = ?12, proposed_at = ?13,
                        proposed_by = ?14, updated_at = ?15, version = ?16
                      WHERE id = ?1",
                    params_from_iter(sup_params(row)?),
                )?;
                super::audit::append(tx, audit)
            })
        })
    }

    fn requester_counts(
        &self,
        since: DateTime<Utc>,
        not_counted: &[CaseState],
        unreasonable: &[CaseState],
        min_requests: u64,
        limit: usize,
    ) -> StoreResult<Vec<RequesterCount>> {
        db(|| {
            let conn = self.conn()?;
            let sql = format!(
                "SELECT citizen_phone, COUNT(*) AS n,
                        SUM(CASE WHEN state IN {} THEN 1 ELSE 0 END) AS bad
                   FROM cases
                  WHERE citizen_phone IS NOT NULL AND received_at >= ?1 AND state NOT IN {}
                  GROUP BY citizen_phone
                 HAVING COUNT(*) >= ?2
                  ORDER BY n DESC, citizen_phone LIMIT ?3",
                state_list(unreasonable),
                state_list(not_counted)
            );
            let mut stmt = conn.prepare(&sql)?;
            let rows = stmt.query_map(
                params![
                    ms(since),
                    i64::try_from(min_requests).unwrap_or(i64::MAX),
                    limit_of(limit)
                ],
                |r| {
                    Ok(RequesterCount {
                        phone: r.get(0)?,
                        requests: r.get::<_, i64>(1)?.try_into().unwrap_or_default(),
                        unreasonable: r.get::<_, i64>(2)?.try_into().unwrap_or_default(),
                    })
                },
            )?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }

    fn open_supervisor_round(
        &self,
        round: &SupervisorRound,
        consultations: &[Consultation],
        sms: &[NewSms],
    ) -> StoreResult<bool> {
        db(|| {
            self.write(|tx| {
                let n = tx.execute(
                    "INSERT INTO supervisor_rounds(id, period, opened_at, opened_by)
                     VALUES (?1, ?2, ?3, ?4) ON CONFLICT(period) DO NOTHING",
                    params![
                        round.id,
                        round.period,
                        ms(round.opened_at),
                        round.opened_by.map(|u| u.to_string())
                    ],
                )?;
                if n == 0 {
                    return Ok(false);
                }
                for c in consultations {
                    tx.execute(
                        &format!(
                            "INSERT INTO supervisor_consultations({CON_COLS}) VALUES \
                             (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,NULL,NULL,NULL,NULL,0,NULL)"
                        ),
                        params![
                            c.id,
                            round.id,
                            round.period,
                            c.supervisor_id,
                            c.supervisor_name,
                            c.phone,
                            c.unit_id.to_string(),
                            c.channel.to_string(),
                            ConsultationStatus::Pending.code(),
                            ms(c.opened_at)
                        ],
                    )?;
                }
                for m in sms {
                    super::notify::insert_sms(tx, m, round.opened_at)?;
                }
                Ok(true)
            })
        })
    }

    fn supervisor_rounds(&self, limit: usize) -> StoreResult<Vec<SupervisorRound>> {
        db(|| {
            let conn = self.conn()?;
            let mut stmt = conn.prepare_cached(
                "SELECT r.id, r.period, r.opened_at, r.opened_by,
                        (SELECT COUNT(*) FROM supervisor_consultations c WHERE c.round_id = r.id),
                        (SELECT COUNT(*) FROM supervisor_consultations c
                          WHERE c.round_id = r.id AND c.status = 'answered')
                   FROM supervisor_rounds r ORDER BY r.period DESC LIMIT ?1",
            )?;
            let rows = stmt.query_map([limit_of(limit)], |r| {
                Ok(SupervisorRound {
                    id: r.get(0)?,
                    period: r.get(1)?,
                    opened_at: from_ms(r.get(2)?),
                    opened_by: r
                        .get::<_, Option<String>>(3)?
                        .map(|s| parse_id(&s))
                        .transpose()?,
                    consultations: r.get::<_, i64>(4)?.try_into().unwrap_or_default(),
                    answered: r.get::<_, i64>(5)?.try_into().unwrap_or_default(),
                })
            })?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }

    fn consultation(&self, id: &str) -> StoreResult<Option<Consultation>> {
        db(|| {
            Ok(self
                .conn()?
                .query_row(
                    &format!("SELECT {CON_COLS} FROM supervisor_consultations WHERE id = ?1"),
                    [id],
                    con_from_row,
                )
                .optional()?)
        })
    }

    fn consultations(&self, q: &ConsultationQuery) -> StoreResult<Vec<Consultation>> {
        db(|| {
            let conn = self.conn()?;
            let channels: Vec<String> = q.channels.iter().map(ToString::to_string).collect();
            let channel_filter = if channels.is_empty() {
                String::new()
            } else {
                let quoted: Vec<String> = channels
                    .iter()
                    .map(|c| format!("'{}'", c.replace('\'', "''")))
                    .collect();
                format!(" AND channel IN ({})", quoted.join(","))
            };
            let answered = q.answered_from.is_some() || q.answered_to.is_some();
            let sql = format!(
                "SELECT {CON_COLS} FROM supervisor_consultations
                  WHERE (?1 IS NULL OR round_id = ?1) AND (?2 IS NULL OR supervisor_id = ?2)
                    AND (?3 IS NULL OR unit_id = ?3) AND (?4 IS NULL OR status = ?4)
                    AND (?5 = 0 OR answered_at IS NOT NULL)
                    AND (?6 IS NULL OR answered_at >= ?6) AND (?7 IS NULL OR answered_at < ?7)
                    {channel_filter}
                  ORDER BY COALESCE(answered_at, opened_at) DESC, id DESC LIMIT ?8"
            );
            let mut stmt = conn.prepare_cached(&sql)?;
            let rows = stmt.query_map(
                params![
                    q.round_id,
                    q.supervisor_id,
                    q.unit.map(|u| u.to_string()),
                    q.status.map(ConsultationStatus::code),
                    answered,
                    q.answered_from.map(ms),
                    q.answered_to.map(ms),
                    limit_of(q.limit)
                ],
                con_from_row,
            )?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }

    fn answer_consultation(
        &self,
        id: &str,
        answer: &RecordedAnswer,
        sms_key: &str,
        audit: Option<&AuditRecord>,
    ) -> StoreResult<bool> {
        db(|| {
            self.write(|tx| {
                let n = tx.execute(
                    "UPDATE supervisor_consultations
                        SET status = 'answered', answered_at = ?2, answered_by = ?3,
                            satisfaction = ?4, answer_text = ?5, suggestion = ?6
                      WHERE id = ?1 AND status = 'pending'",
                    params![
                        id,
                        ms(answer.at),
                        answer.by.map(|u| u.to_string()),
                        satisfaction_code(answer.satisfaction),
                        answer.text,
                        answer.suggestion
                    ],
                )?;
                if n == 0 {
                    return Ok(false);
                }
                tx.execute(
                    "UPDATE sms_outbox SET status = 'cancelled', lease_until = NULL
                      WHERE event_key = ?1 AND status = 'pending'",
                    [sms_key],
                )?;
                if let Some(a) = audit {
                    super::audit::append(tx, a)?;
                }
                Ok(true)
            })
        })
    }

    fn link_consultation_case(&self, id: &str, case_id: CaseId) -> StoreResult<()> {
        db(|| {
            self.write(|tx| {
                tx.execute(
                    "UPDATE supervisor_consultations SET case_id = ?2 WHERE id = ?1",
                    params![id, case_id.to_string()],
                )?;
                Ok(())
            })
        })
    }

    fn consultation_for_reply(
        &self,
        phone: &str,
        sent_at: DateTime<Utc>,
    ) -> StoreResult<Option<Consultation>> {
        db(|| {
            Ok(self
                .conn()?
                .query_row(
                    &format!(
                        "SELECT {CON_COLS} FROM supervisor_consultations
                          WHERE phone = ?1 AND channel = '短信' AND status = 'pending'
                            AND opened_at <= ?2
                          ORDER BY opened_at DESC, id DESC LIMIT 1"
                    ),
                    params![phone, ms(sent_at)],
                    con_from_row,
                )
                .optional()?)
        })
    }
}
