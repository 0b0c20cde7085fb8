//! SMS templates and the SMS outbox.
//!
//! Several server instances run the sending loop against one database: a message is
//! claimed with `FOR UPDATE SKIP LOCKED`, so two workers never take the same row, and
//! every later step (finish, cancel, requeue) is one `UPDATE` guarded by the status it
//! expects, so a step that lost a race changes nothing.

use chrono::{DateTime, Utc};
use postgres::{Row, Transaction};

use minsheng_store::notify::{
    LimitedEnqueue, NewSms, OutboxMessage, OutboxStatus, SendResult, SmsLimit, SmsTemplate,
};

use super::{limit_param, new_id, opt_ms};
use crate::{from_ms, ms, DbResult, PgStore};

/// The columns `outbox_from_row` reads (the admin console's dead-letter pages use it too).
pub(crate) const OUTBOX_COLS: &str =
    "id, event_key, phone, template, provider_template_id, params, body, status,
    attempts, next_attempt_at, last_error, provider_id, delivery_status, created_at, sent_at,
    discard_reason";

const TEMPLATE_COLS: &str = "code, name, body, provider_template_id, updated_at";

pub(crate) fn outbox_from_row(r: &Row) -> DbResult<OutboxMessage> {
    let params: String = r.try_get("params")?;
    let status: String = r.try_get("status")?;
    let attempts: i32 = r.try_get("attempts")?;
    Ok(OutboxMessage {
        id: r.try_get("id")?,
        event_key: r.try_get("event_key")?,
        phone: r.try_get("phone")?,
        template: r.try_get("template")?,
        provider_template_id: r.try_get("provider_template_id")?,
        params: serde_json::from_str(&params).unwrap_or_default(),
        body: r.try_get("body")?,
        status: OutboxStatus::from_code(&status).unwrap_or(OutboxStatus::Pending),
        attempts: u32::try_from(attempts).unwrap_or(0),
        next_attempt_at: from_ms(r.try_get("next_attempt_at")?),
        last_error: r.try_get("last_error")?,
        provider_id: r.try_get("provider_id")?,
        delivery_status: r.try_get("delivery_status")?,
        created_at: from_ms(r.try_get("created_at")?),
        sent_at: opt_ms(r.try_get("sent_at")?),
        discard_reason: r.try_get("discard_reason")?,
    })
}

pub(crate) fn template_from_row(r: &Row) -> DbResult<SmsTemplate> {
    Ok(SmsTemplate {
        code: r.try_get("code")?,
        name: r.try_get("name")?,
        body: r.try_get("body")?,
        provider_template_id: r.try_get("provider_template_id")?,
        updated_at: from_ms(r.try_get("updated_at")?),
    })
}

/// Adds or replaces a template (one statement: two admins saving at once both land,
/// the later commit wins).
pub(crate) fn upsert_template(tx: &mut Transaction<'_>, t: &SmsTemplate) -> DbResult<()> {
    tx.execute(
        "INSERT INTO sms_templates(code, name, body, provider_template_id, updated_at)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, body = EXCLUDED.body,
           provider_template_id = EXCLUDED.provider_template_id,
           updated_at = EXCLUDED.updated_at",
        &[
            &t.code,
            &t.name,
            &t.body,
            &t.provider_template_id,
            &ms(t.updated_at),
        ],
    )?;
    Ok(())
}

/// Queues `sms` unless its event key is taken; true when inserted. `ON CONFLICT DO
/// NOTHING` makes a concurrent enqueue of the same key wait for the first and then
/// insert nothing (never a unique-violation error).
pub(crate) fn insert_sms(
    tx: &mut Transaction<'_>,
    sms: &NewSms,
    now: DateTime<Utc>,
) -> DbResult<bool> {
    let n = tx.execute(
        "INSERT INTO sms_outbox(id, event_key, phone, template, provider_template_id, params,
             body, status, attempts, next_attempt_at, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', 0, $8, $8)
         ON CONFLICT (event_key) DO NOTHING",
        &[
            &new_id(),
            &sms.event_key,
            &sms.phone,
            &sms.template,
            &sms.provider_template_id,
            &sms.params.to_string(),
            &sms.body,
            &ms(now),
        ],
    )?;
    Ok(n == 1)
}

/// Cancels the SMS of answered or superseded rounds that is still waiting (a round and
/// its SMS share the event key). A row being sent right now is left alone: it is
/// already with the gateway; if a worker holds it, this waits for the worker's claim to
/// commit and then sees `sending`, so it never cancels a claimed message.
pub(crate) fn cancel_pending(tx: &mut Transaction<'_>, keys: &[String]) -> DbResult<()> {
    if keys.is_empty() {
        return Ok(());
    }
    tx.execute(
        "UPDATE sms_outbox SET status = 'cancelled', lease_until = NULL
         WHERE event_key = ANY($1) AND status = 'pending'",
        &[&keys],
    )?;
    Ok(())
}

pub(super) fn templates(s: &PgStore) -> DbResult<Vec<SmsTemplate>> {
    s.read(|c| {
        c.query(
            &format!("SELECT {TEMPLATE_COLS} FROM sms_templates ORDER BY code COLLATE \"C\""),
            &[],
        )?
        .iter()
        .map(template_from_row)
        .collect()
    })
}

pub(super) fn template(s: &PgStore, code: &str) -> DbResult<Option<SmsTemplate>> {
    s.read(|c| {
        c.query_opt(
            &format!("SELECT {TEMPLATE_COLS} FROM sms_templates WHERE code = $1"),
            &[&code],
        )?
        .as_ref()
        .map(template_from_row)
        .transpose()
    })
}

/// Claims due messages for `lease_secs`, counting the attempt.
///
/// Concurrency: the candidate rows are locked with `FOR UPDATE SKIP LOCKED`, so a
/// second instance claiming at the same moment skips the rows this one is taking
/// instead of waiting for them and then claiming them again (without the lock, both
/// UPDATEs would pick the same ids from their snapshots, and the second would re-update
/// the row after the first committed). A row another worker updated and committed
/// meanwhile is re-read at lock time and its status re-checked.
pub(super) fn claim_due(
    s: &PgStore,
    now: DateTime<Utc>,
    lease_secs: i64,
    limit: usize,
) -> DbResult<Vec<OutboxMessage>> {
    s.write(|tx| {
        let now_ms = ms(now);
        let lease_until = now_ms.saturating_add(lease_secs.saturating_mul(1000));
        let rows = tx.query(
            &format!(
                "UPDATE sms_outbox SET status = 'sending', lease_until = $2,
                   attempts = attempts + 1
                 WHERE id IN (SELECT id FROM sms_outbox
                   WHERE (status = 'pending' AND next_attempt_at <= $1)
                      OR (status = 'sending' AND lease_until <= $1)
                   ORDER BY next_attempt_at, created_at LIMIT $3
                   FOR UPDATE SKIP LOCKED)
                 RETURNING {OUTBOX_COLS}"
            ),
            &[&now_ms, &lease_until, &limit_param(limit)],
        )?;
        let mut out = rows
            .iter()
            .map(outbox_from_row)
            .collect::<DbResult<Vec<_>>>()?;
        out.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        Ok(out)
    })
}

/// Ends a send attempt; only a message still `sending` changes (a worker whose lease ran
/// out and whose message was finished by another changes nothing).
pub(super) fn finish(
    s: &PgStore,
    id: &str,
    result: &SendResult,
    now: DateTime<Utc>,
) -> DbResult<()> {
    s.write(|tx| {
        match result {
            SendResult::Sent { provider_id } => tx.execute(
                "UPDATE sms_outbox SET status = 'sent', provider_id = $2, sent_at = $3,
                   lease_until = NULL, last_error = NULL WHERE id = $1 AND status = 'sending'",
                &[&id, provider_id, &ms(now)],
            )?,
            SendResult::Failed {
                error,
                retry_at,
                dead,
            } => tx.execute(
                "UPDATE sms_outbox SET status = $2, next_attempt_at = $3, last_error = $4,
                   lease_until = NULL WHERE id = $1 AND status = 'sending'",
                &[
                    &id,
                    &if *dead { "dead" } else { "pending" },
                    &ms(*retry_at),
                    error,
                ],
            )?,
        };
        Ok(())
    })
}

pub(super) fn delivery_report(s: &PgStore, id: &str, status: &str) -> DbResult<bool> {
    s.write(|tx| {
        let n = tx.execute(
            "UPDATE sms_outbox SET delivery_status = $2 WHERE id = $1 OR provider_id = $1",
            &[&id, &status],
        )?;
        Ok(n > 0)
    })
}

pub(super) fn list(
    s: &PgStore,
    status: Option<OutboxStatus>,
    limit: usize,
) -> DbResult<Vec<OutboxMessage>> {
    s.read(|c| {
        c.query(
            &format!(
                "SELECT {OUTBOX_COLS} FROM sms_outbox WHERE ($1::TEXT IS NULL OR status = $1)
                 ORDER BY created_at DESC, id DESC LIMIT $2"
            ),
            &[&status.map(OutboxStatus::code), &limit_param(limit)],
        )?
        .iter()
        .map(outbox_from_row)
        .collect()
    })
}

pub(super) fn requeue(s: &PgStore, id: &str, now: DateTime<Utc>) -> DbResult<bool> {
    s.write(|tx| {
        let n = tx.execute(
            "UPDATE sms_outbox SET status = 'pending', attempts = 0, next_attempt_at = $2
             WHERE id = $1 AND status = 'dead'",
            &[&id, &ms(now)],
        )?;
        Ok(n == 1)
    })
}

/// Counts outbox rows for the rate limits. The prefix is compared with `substr`, not
/// `LIKE`, so `%` and `_` in a key are plain characters.
pub(super) fn count_since(
    s: &PgStore,
    event_key_prefix: &str,
    phone: Option<&str>,
    since: DateTime<Utc>,
) -> DbResult<u64> {
    s.read(|c| {
        let n: i64 = c
            .query_one(
                "SELECT COUNT(*) FROM sms_outbox
                 WHERE substr(event_key, 1, char_length($1::TEXT)) = $1::TEXT
                   AND ($2::TEXT IS NULL OR phone = $2::TEXT) AND created_at >= $3",
                &[&event_key_prefix, &phone, &ms(since)],
            )?
            .try_get(0)?;
        Ok(u64::try_from(n).unwrap_or(0))
    })
}

/// Rate-limited enqueue (`NotifyStore::enqueue_sms_within`). Every limited enqueue takes
/// one transaction-level advisory lock first, so the counts it reads cannot be passed by
/// another instance's insert before this one commits (READ COMMITTED alone would let two
/// transactions both see the last free place).
pub(super) fn insert_within(
    s: &PgStore,
    sms: &NewSms,
    limits: &[SmsLimit],
    now: DateTime<Utc>,
) -> DbResult<LimitedEnqueue> {
    s.write(|tx| {
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&LIMITED_ENQUEUE_LOCK])?;
        let exists: bool = tx
            .query_one(
                "SELECT EXISTS(SELECT 1 FROM sms_outbox WHERE event_key = $1)",
                &[&sms.event_key],
            )?
            .try_get(0)?;
        if exists {
            return Ok(LimitedEnqueue::Queued(false));
        }
        for (i, l) in limits.iter().enumerate() {
            let n: i64 = tx
                .query_one(
                    "SELECT COUNT(*) FROM sms_outbox
                     WHERE substr(event_key, 1, char_length($1::TEXT)) = $1::TEXT
                       AND ($2::TEXT IS NULL OR phone = $2::TEXT) AND created_at >= $3",
                    &[&l.event_key_prefix, &l.phone, &ms(l.since)],
                )?
                .try_get(0)?;
            if u64::try_from(n).unwrap_or(0) >= l.max {
                return Ok(LimitedEnqueue::Limited(i));
            }
        }
        Ok(LimitedEnqueue::Queued(insert_sms(tx, sms, now)?))
    })
}

/// The advisory lock key of rate-limited enqueues (any constant no other lock uses).
const LIMITED_ENQUEUE_LOCK: i64 = 0x6d73_5f73_6d73_6c69; // "ms_smsli"
