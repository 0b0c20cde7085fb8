//! PostgreSQL: `SupervisorStore` (the 优秀监督员 register and consultation rounds, see
//! `minsheng_store::supervisors`). A round's period is UNIQUE and inserted with
//! `ON CONFLICT DO NOTHING`, so two instances opening the same period write one round;
//! an answer lands only on a row still `pending` (one UPDATE), so two answers cannot
//! both land.

use chrono::{DateTime, Utc};
use minsheng_domain::case::CaseState;
use minsheng_domain::ids::CaseId;
use minsheng_store::notify::NewSms;
use minsheng_store::supervisors::{
    Consultation, ConsultationQuery, ConsultationStatus, RecordedAnswer, RequesterCount,
    SupervisorQuery, SupervisorRecord, SupervisorRound, SupervisorStore,
};
use minsheng_store::{AuditRecord, StoreError, StoreResult};
use postgres::types::ToSql;
use postgres::Row;

use crate::audit::append_audit;
use crate::notify::outbox::{cancel_pending, insert_sms};
use crate::{db, from_ms, ms, parse_id, DbResult, PgStore};

const SUP_COLS: &str = "id, name, phone, kind, status, reason, unit_id, contact_preferences, \
    address, note, since, ended_at, proposed_at, proposed_by, updated_at, version";

const CON_COLS: &str = "id, round_id, period, supervisor_id, supervisor_name, phone, unit_id, \
    channel, status, opened_at, answered_at, answered_by, satisfaction, answer_text, suggestion, \
    case_id";

fn parse_text<T: std::str::FromStr>(s: &str) -> DbResult<T> {
    parse_id(s)
}

fn sup_from_row(r: &Row) -> DbResult<SupervisorRecord> {
    let prefs: String = r.try_get("contact_preferences")?;
    Ok(SupervisorRecord {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        phone: r.try_get("phone")?,
        kind: parse_text(&r.try_get::<_, String>("kind")?)?,
        status: parse_text(&r.try_get::<_, String>("status")?)?,
        reason: r.try_get("reason")?,
        unit_id: parse_id(&r.try_get::<_, String>("unit_id")?)?,
        contact_preferences: serde_json::from_str(&prefs)?,
        address: r.try_get("address")?,
        note: r.try_get("note")?,
        since: r.try_get::<_, Option<i64>>("since")?.map(from_ms),
        ended_at: r.try_get::<_, Option<i64>>("ended_at")?.map(from_ms),
        proposed_at: from_ms(r.try_get("proposed_at")?),
        proposed_by: r
            .try_get::<_, Option<String>>("proposed_by")?
            .map(|s| parse_id(&s))
            .transpose()?,
        updated_at: from_ms(r.try_get("updated_at")?),
        version: u64::try_from(r.try_get::<_, i64>("version")?).unwrap_or_default(),
    })
}

fn satisfaction_code(s: minsheng_domain::case::Satisfaction) -> String {
    serde_json::to_value(s)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn con_from_row(r: &Row) -> DbResult<Consultation> {
    let status: String = r.try_get("status")?;
    Ok(Consultation {
        id: r.try_get("id")?,
        round_id: r.try_get("round_id")?,
        period: r.try_get("period")?,
        supervisor_id: r.try_get("supervisor_id")?,
        supervisor_name: r.try_get("supervisor_name")?,
        phone: r.try_get("phone")?,
        unit_id: parse_id(&r.try_get::<_, String>("unit_id")?)?,
        channel: parse_text(&r.try_get::<_, String>("channel")?)?,
        status: ConsultationStatus::from_code(&status).unwrap_or(ConsultationStatus::Pending),
        opened_at: from_ms(r.try_get("opened_at")?),
        answered_at: r.try_get::<_, Option<i64>>("answered_at")?.map(from_ms),
        answered_by: r
            .try_get::<_, Option<String>>("answered_by")?
            .map(|s| parse_id(&s))
            .transpose()?,
        satisfaction: r
            .try_get::<_, Option<String>>("satisfaction")?
            .and_then(|s| serde_json::from_value(serde_json::Value::String(s)).ok()),
        text: r.try_get("answer_text")?,
        suggestion: r.try_get("suggestion")?,
        case_id: r
            .try_get::<_, Option<String>>("case_id")?
            .map(|s| parse_id::<CaseId>(&s))
            .transpose()?,
    })
}

/// The 16 columns of `SUP_COLS`, in order, as owned values.
struct SupParams {
    text: [Option<String>; 11],
    nums: [Option<i64>; 5],
}

fn sup_params(s: &SupervisorRecord) -> DbResult<SupParams> {
    Ok(SupParams {
        text: [
            Some(s.id.clone()),
            Some(s.name.clone()),
            Some(s.phone.clone()),
            Some(s.kind.to_string()),
            Some(s.status.to_string()),
            Some(s.reason.clone()),
            Some(s.unit_id.to_string()),
            Some(serde_json::to_string(&s.contact_preferences)?),
            s.address.clone(),
            s.note.clone(),
            s.proposed_by.map(|u| u.to_string()),
        ],
        nums: [
            s.since.map(ms),
            s.ended_at.map(ms),
            Some(ms(s.proposed_at)),
            Some(ms(s.updated_at)),
            Some(i64::try_from(s.version).unwrap_or(i64::MAX)),
        ],
    })
}

impl SupParams {
    /// References in `SUP_COLS` order.
    fn refs(&self) -> Vec<&(dyn ToSql + Sync)> {
        let t = &self.text;
        let n = &self.nums;
        vec![
            &t[0], &t[1], &t[2], &t[3], &t[4], &t[5], &t[6], &t[7], &t[8], &t[9], &n[0], &n[1],
            &n[2], &t[10], &n[3], &n[4],
        ]
    }
}

fn codes(states: &[CaseState]) -> Vec<String> {
    states.iter().map(|s| s.code()).collect()
}

fn limit_of(n: usize) -> i64 {
    i64::try_from(n.max(1)).unwrap_or(i64::MAX)
}

impl SupervisorStore for PgStore {
    fn insert_supervisors(
        &self,
        rows: &[SupervisorRecord],
        audit: &AuditRecord,
    ) -> StoreResult<()> {
        db(|| {
            self.write(|tx| {
                for r in rows {
                    let p = sup_params(r)?;
                    let n = tx.execute(
                        &format!(
                            "INSERT INTO supervisors({SUP_COLS}) VALUES \
                             ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16)
                             ON CONFLICT (id) DO NOTHING"
                        ),
                        &p.refs(),
                    )?;
                    if n == 0 {
                        return Err(StoreError::AlreadyExists(format!("监督员 {}", r.id)).into());
                    }
                }
                append_audit(tx, audit)
            })
        })
    }

    fn supervisor(&self, id: &str) -> StoreResult<Option<SupervisorRecord>> {
        db(|| {
            self.read(|c| {
                c.query_opt(
                    &format!("SELECT {SUP_COLS} FROM supervisors WHERE id = $1"),
                    &[&id],
                )?
                .as_ref()
                .map(sup_from_row)
                .transpose()
            })
        })
    }

    fn supervisors(&self, q: &SupervisorQuery) -> StoreResult<Vec<SupervisorRecord>> {
        db(|| {
            let status = q.status.map(|s| s.to_string());
            let unit = q.unit.map(|u| u.to_string());
            let rows = self.read(|c| {
                Ok(c.query(
                    &format!(
                        "SELECT {SUP_COLS} FROM supervisors
                          WHERE (CAST($1 AS TEXT) IS NULL OR status = $1)
                            AND (CAST($2 AS TEXT) IS NULL OR unit_id = $2)
                          ORDER BY proposed_at DESC, id COLLATE \"C\" DESC LIMIT $3"
                    ),
                    &[&status, &unit, &limit_of(q.limit)],
                )?)
            })?;
            rows.iter().map(sup_from_row).collect()
        })
    }

    fn supervisors_by_phone(&self, phone: &str) -> StoreResult<Vec<SupervisorRecord>> {
        db(|| {
            let rows = self.read(|c| {
                Ok(c.query(
                    &format!(
                        "SELECT {SUP_COLS} FROM supervisors WHERE phone = $1
                          ORDER BY proposed_at, id COLLATE \"C\""
                    ),
                    &[&phone],
                )?)
            })?;
            rows.iter().map(sup_from_row).collect()
        })
    }

    fn supervisor_phones(&self) -> StoreResult<Vec<String>> {
        db(|| {
            let rows =
                self.read(|c| Ok(c.query("SELECT DISTINCT phone FROM supervisors", &[])?))?;
            rows.iter()
                .map(|r| Ok(r.try_get::<_, String>(0)?))
                .collect()
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
                let current: i64 = tx
                    .query_opt(
                        "SELECT version FROM supervisors WHERE id = $1 FOR UPDATE",
                        &[&row.id],
                    )?
                    .ok_or(StoreError::NotFound("监督员"))?
                    .try_get(0)?;
                let current = u64::try_from(current).unwrap_or_default();
                if current != expected_version {
                    return Err(StoreError::StaleVersion { current }.into());
                }
                let p = sup_params(row)?;
                tx.execute(
                    "UPDATE supervisors SET name = $2, phone = $3, kind = $4, status = $5,
                        reason = $6, unit_id = $7, contact_preferences = $8, address = $9,
                        note = $10, since = $11, ended_at = $12, proposed_at = $13,
                        proposed_by = $14, updated_at = $15, version = $16
                      WHERE id = $1",
                    &p.refs(),
                )?;
                append_audit(tx, audit)
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
            let (bad, skip) = (codes(unreasonable), codes(not_counted));
            let min = i64::try_from(min_requests).unwrap_or(i64::MAX);
            let rows = self.read(|c| {
                Ok(c.query(
                    "SELECT citizen_phone, COUNT(*) AS n,
                            SUM(CASE WHEN state = ANY($2) THEN 1 ELSE 0 END) AS bad
                       FROM cases
                      WHERE citizen_phone IS NOT NULL AND received_at >= $1
                        AND NOT (state = ANY($3))
                      GROUP BY citizen_phone
                     HAVING COUNT(*) >= $4
                      ORDER BY n DESC, citizen_phone COLLATE \"C\" LIMIT $5",
                    &[&ms(since), &bad, &skip, &min, &limit_of(limit)],
                )?)
            })?;
            rows.iter()
                .map(|r| {
                    Ok(RequesterCount {
                        phone: r.try_get(0)?,
                        requests: u64::try_from(r.try_get::<_, i64>(1)?).unwrap_or_default(),
                        unreasonable: u64::try_from(r.try_get::<_, i64>(2)?).unwrap_or_default(),
                    })
                })
                .collect()
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
                let by = round.opened_by.map(|u| u.to_string());
                let n = tx.execute(
                    "INSERT INTO supervisor_rounds(id, period, opened_at, opened_by)
                     VALUES ($1, $2, $3, $4) ON CONFLICT (period) DO NOTHING",
                    &[&round.id, &round.period, &ms(round.opened_at), &by],
                )?;
                if n == 0 {
                    return Ok(false);
                }
                for c in consultations {
                    tx.execute(
                        &format!(
                            "INSERT INTO supervisor_consultations({CON_COLS}) VALUES \
                             ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,NULL,NULL,NULL,NULL,FALSE,NULL)"
                        ),
                        &[
                            &c.id,
                            &round.id,
                            &round.period,
                            &c.supervisor_id,
                            &c.supervisor_name,
                            &c.phone,
                            &c.unit_id.to_string(),
                            &c.channel.to_string(),
                            &ConsultationStatus::Pending.code(),
                            &ms(c.opened_at),
                        ],
                    )?;
                }
                for m in sms {
                    insert_sms(tx, m, round.opened_at)?;
                }
                Ok(true)
            })
        })
    }

    fn supervisor_rounds(&self, limit: usize) -> StoreResult<Vec<SupervisorRound>> {
        db(|| {
            let rows = self.read(|c| {
                Ok(c.query(
                    "SELECT r.id, r.period, r.opened_at, r.opened_by,
                            (SELECT COUNT(*) FROM supervisor_consultations c WHERE c.round_id = r.id),
                            (SELECT COUNT(*) FROM supervisor_consultations c
                              WHERE c.round_id = r.id AND c.status = 'answered')
                       FROM supervisor_rounds r ORDER BY r.period COLLATE \"C\" DESC LIMIT $1",
                    &[&limit_of(limit)],
                )?)
            })?;
            rows.iter()
                .map(|r| {
                    Ok(SupervisorRound {
                        id: r.try_get(0)?,
                        period: r.try_get(1)?,
                        opened_at: from_ms(r.try_get(2)?),
                        opened_by: r
                            .try_get::<_, Option<String>>(3)?
                            .map(|s| parse_id(&s))
                            .transpose()?,
                        consultations: u64::try_from(r.try_get::<_, i64>(4)?).unwrap_or_default(),
                        answered: u64::try_from(r.try_get::<_, i64>(5)?).unwrap_or_default(),
                    })
                })
                .collect()
        })
    }

    fn consultation(&self, id: &str) -> StoreResult<Option<Consultation>> {
        db(|| {
            self.read(|c| {
                c.query_opt(
                    &format!("SELECT {CON_COLS} FROM supervisor_consultations WHERE id = $1"),
                    &[&id],
                )?
                .as_ref()
                .map(con_from_row)
                .transpose()
            })
        })
    }

    fn consultations(&self, q: &ConsultationQuery) -> StoreResult<Vec<Consultation>> {
        db(|| {
            let channels: Vec<String> = q.channels.iter().map(ToString::to_string).collect();
            let unit = q.unit.map(|u| u.to_string());
            let status = q.status.map(|s| s.code().to_owned());
            let answered = q.answered_from.is_some() || q.answered_to.is_some();
            let (from, to) = (q.answered_from.map(ms), q.answered_to.map(ms));
            let rows = self.read(|c| {
                Ok(c.query(
                    &format!(
                        "SELECT {CON_COLS} FROM supervisor_consultations
                          WHERE (CAST($1 AS TEXT) IS NULL OR round_id = $1)
                            AND (CAST($2 AS TEXT) IS NULL OR supervisor_id = $2)
                            AND (CAST($3 AS TEXT) IS NULL OR unit_id = $3)
                            AND (CAST($4 AS TEXT) IS NULL OR status = $4)
                            AND (NOT $5 OR answered_at IS NOT NULL)
                            AND (CAST($6 AS BIGINT) IS NULL OR answered_at >= $6)
                            AND (CAST($7 AS BIGINT) IS NULL OR answered_at < $7)
                            AND (cardinality($8::TEXT[]) = 0 OR channel = ANY($8))
                          ORDER BY COALESCE(answered_at, opened_at) DESC, id COLLATE \"C\" DESC
                          LIMIT $9"
                    ),
                    &[
                        &q.round_id,
                        &q.supervisor_id,
                        &unit,
                        &status,
                        &answered,
                        &from,
                        &to,
                        &channels,
                        &limit_of(q.limit),
                    ],
                )?)
            })?;
            rows.iter().map(con_from_row).collect()
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
                let by = answer.by.map(|u| u.to_string());
                let n = tx.execute(
                    "UPDATE supervisor_consultations
                        SET status = 'answered', answered_at = $2, answered_by = $3,
                            satisfaction = $4, answer_text = $5, suggestion = $6
                      WHERE id = $1 AND status = 'pending'",
                    &[
                        &id,
                        &ms(answer.at),
                        &by,
                        &satisfaction_code(answer.satisfaction),
                        &answer.text,
                        &answer.suggestion,
                    ],
                )?;
                if n == 0 {
                    return Ok(false);
                }
                cancel_pending(tx, &[sms_key.to_owned()])?;
                if let Some(a) = audit {
                    append_audit(tx, a)?;
                }
                Ok(true)
            })
        })
    }

    fn link_consultation_case(&self, id: &str, case_id: CaseId) -> StoreResult<()> {
        db(|| {
            self.write(|tx| {
                tx.execute(
                    "UPDATE supervisor_consultations SET case_id = $2 WHERE id = $1",
                    &[&id, &case_id.to_string()],
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
            self.read(|c| {
                c.query_opt(
                    &format!(
                        "SELECT {CON_COLS} FROM supervisor_consultations
                          WHERE phone = $1 AND channel = '短信' AND status = 'pending'
                            AND opened_at <= $2
                          ORDER BY opened_at DESC, id COLLATE \"C\" DESC LIMIT 1"
                    ),
                    &[&phone, &ms(sent_at)],
                )?
                .as_ref()
                .map(con_from_row)
                .transpose()
            })
        })
    }
}
