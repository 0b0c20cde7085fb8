//! Staff notifications, their preferences, and what they are derived from: the sync
//! change log (read from the notify cursor) and the deadline reminder pass.
//!
//! Several instances may derive the same notification from the same change or deadline:
//! each has a unique event key, inserted with `ON CONFLICT DO NOTHING`, so the second
//! instance inserts nothing (and queues no SMS copy), and the cursor only moves forward
//! (`GREATEST` in one `UPDATE`, re-applied to the committed row when two race).

use chrono::{DateTime, Utc};
use postgres::Row;

use minsheng_domain::ids::{CaseId, UserId};
use minsheng_store::notify::{CaseChange, DeadlineHit, NewSms, NotifyPrefs, StaffNotification};

use super::outbox::insert_sms;
use super::{limit_param, opt_ms};
use crate::{from_ms, ms, parse_id, DbResult, PgStore};

const NOTE_COLS: &str = "id, event_key, user_id, kind, case_id, title, body, created_at, read_at";

fn note_from_row(r: &Row) -> DbResult<StaffNotification> {
    let case_id: Option<String> = r.try_get("case_id")?;
    Ok(StaffNotification {
        id: r.try_get("id")?,
        event_key: r.try_get("event_key")?,
        user_id: parse_id(r.try_get("user_id")?)?,
        kind: r.try_get("kind")?,
        case_id: case_id.map(|s| parse_id(&s)).transpose()?,
        title: r.try_get("title")?,
        body: r.try_get("body")?,
        created_at: from_ms(r.try_get("created_at")?),
        read_at: opt_ms(r.try_get("read_at")?),
    })
}

pub(super) fn insert(
    s: &PgStore,
    items: &[(StaffNotification, Option<NewSms>)],
    reminded: Option<&str>,
    now: DateTime<Utc>,
) -> DbResult<Vec<StaffNotification>> {
    s.write(|tx| {
        let stmt = tx.prepare(&format!(
            "INSERT INTO staff_notifications({NOTE_COLS})
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL)
             ON CONFLICT (event_key) DO NOTHING"
        ))?;
        let mut out = Vec::new();
        for (n, sms) in items {
            let inserted = tx.execute(
                &stmt,
                &[
                    &n.id,
                    &n.event_key,
                    &n.user_id.to_string(),
                    &n.kind,
                    &n.case_id.map(|c| c.to_string()),
                    &n.title,
                    &n.body,
                    &ms(n.created_at),
                ],
            )?;
            if inserted == 1 {
                if let Some(sms) = sms {
                    insert_sms(tx, sms, now)?;
                }
                out.push(n.clone());
            }
        }
        if let Some(key) = reminded {
            tx.execute(
                "INSERT INTO notify_reminders(key, at) VALUES ($1, $2)
                 ON CONFLICT (key) DO NOTHING",
                &[&key, &ms(now)],
            )?;
        }
        Ok(out)
    })
}

pub(super) fn list(
    s: &PgStore,
    user: UserId,
    unread_only: bool,
    limit: usize,
) -> DbResult<Vec<StaffNotification>> {
    s.read(|c| {
        c.query(
            &format!(
                "SELECT {NOTE_COLS} FROM staff_notifications
                 WHERE user_id = $1 AND (NOT $2 OR read_at IS NULL)
                 ORDER BY created_at DESC, id DESC LIMIT $3"
            ),
            &[&user.to_string(), &unread_only, &limit_param(limit)],
        )?
        .iter()
        .map(note_from_row)
        .collect()
    })
}

pub(super) fn unread_count(s: &PgStore, user: UserId) -> DbResult<u64> {
    s.read(|c| {
        let n: i64 = c
            .query_one(
                "SELECT COUNT(*) FROM staff_notifications WHERE user_id = $1 AND read_at IS NULL",
                &[&user.to_string()],
            )?
            .try_get(0)?;
        Ok(u64::try_from(n).unwrap_or(0))
    })
}

/// Only unread rows change, so a notification marked by two requests at once counts
/// once (the second waits for the first's row lock and then finds it read).
pub(super) fn mark_read(
    s: &PgStore,
    user: UserId,
    ids: Option<&[String]>,
    now: DateTime<Utc>,
) -> DbResult<u64> {
    s.write(|tx| {
        let user = user.to_string();
        let n = match ids {
            None => tx.execute(
                "UPDATE staff_notifications SET read_at = $2
                 WHERE user_id = $1 AND read_at IS NULL",
                &[&user, &ms(now)],
            )?,
            Some(ids) => tx.execute(
                "UPDATE staff_notifications SET read_at = $3
                 WHERE user_id = $1 AND id = ANY($2) AND read_at IS NULL",
                &[&user, &ids, &ms(now)],
            )?,
        };
        Ok(n)
    })
}

pub(super) fn prefs(s: &PgStore, user: UserId) -> DbResult<NotifyPrefs> {
    s.read(|c| {
        let data: Option<String> = c
            .query_opt(
                "SELECT data FROM notify_prefs WHERE user_id = $1",
                &[&user.to_string()],
            )?
            .map(|r| r.try_get(0))
            .transpose()?;
        Ok(match data {
            Some(d) => serde_json::from_str(&d)?,
            None => NotifyPrefs::default(),
        })
    })
}

pub(super) fn set_prefs(s: &PgStore, user: UserId, p: &NotifyPrefs) -> DbResult<()> {
    s.write(|tx| {
        tx.execute(
            "INSERT INTO notify_prefs(user_id, data) VALUES ($1, $2)
             ON CONFLICT (user_id) DO UPDATE SET data = EXCLUDED.data",
            &[&user.to_string(), &serde_json::to_string(p)?],
        )?;
        Ok(())
    })
}

pub(super) fn cursor(s: &PgStore) -> DbResult<u64> {
    s.read(|c| {
        let n: i64 = c
            .query_one("SELECT seq FROM notify_cursor WHERE id = 1", &[])?
            .try_get(0)?;
        Ok(u64::try_from(n).unwrap_or(0))
    })
}

pub(super) fn set_cursor(s: &PgStore, seq: u64) -> DbResult<()> {
    s.write(|tx| {
        tx.execute(
            "UPDATE notify_cursor SET seq = GREATEST(seq, $1) WHERE id = 1",
            &[&i64::try_from(seq).unwrap_or(i64::MAX)],
        )?;
        Ok(())
    })
}

/// Change-log positions are handed out in commit order (see the crate docs), so reading
/// past the cursor never skips a change committed later with a smaller position.
pub(super) fn changes_after(
    s: &PgStore,
    after: u64,
    since: DateTime<Utc>,
    limit: usize,
) -> DbResult<Vec<CaseChange>> {
    s.read(|c| {
        let rows = c.query(
            "SELECT ch.seq, ch.case_id, ch.version, CASE WHEN t.at >= $3 THEN t.data END
             FROM changes ch
             LEFT JOIN timeline t ON t.case_id = ch.case_id AND t.seq = ch.version
             WHERE ch.seq > $1 ORDER BY ch.seq LIMIT $2",
            &[
                &i64::try_from(after).unwrap_or(i64::MAX),
                &limit_param(limit),
                &ms(since),
            ],
        )?;
        rows.iter()
            .map(|r| {
                let data: Option<String> = r.try_get(3)?;
                Ok(CaseChange {
                    seq: u64::try_from(r.try_get::<_, i64>(0)?).unwrap_or(0),
                    case_id: parse_id::<CaseId>(r.try_get(1)?)?,
                    version: u64::try_from(r.try_get::<_, i64>(2)?).unwrap_or(0),
                    entry: data.map(|d| serde_json::from_str(&d)).transpose()?,
                })
            })
            .collect()
    })
}

/// The follow-up task deadline of the case document (an RFC 3339 instant) in epoch
/// milliseconds.
const FOLLOW_UP_TASK_MS: &str = "CAST(ROUND(EXTRACT(EPOCH FROM
      CAST(CAST(c.data AS JSON) -> 'deadlines' ->> 'followUpTask' AS TIMESTAMPTZ)) * 1000) AS BIGINT)";

pub(super) fn deadline_hits(
    s: &PgStore,
    now: DateTime<Utc>,
    since: DateTime<Utc>,
    limit: usize,
) -> DbResult<Vec<DeadlineHit>> {
    s.read(|c| {
        let rows = c.query(
            &format!(
                "SELECT kind, id, deadline FROM (
                   SELECT CAST('signInReminder' AS TEXT) AS kind, c.id,
                          c.sign_in_deadline AS deadline FROM cases c
                    WHERE c.state = 'pendingSignIn' AND c.sign_in_warn <= $1
                      AND c.sign_in_deadline > $1
                   UNION ALL
                   SELECT 'overdueSignIn', c.id, c.sign_in_deadline FROM cases c
                    WHERE c.state = 'pendingSignIn' AND c.sign_in_deadline <= $1
                   UNION ALL
                   SELECT 'overdueReply', c.id, c.reply_deadline FROM cases c
                    WHERE c.state IN ('inProgress','pendingReview') AND c.reply_deadline <= $1
                   UNION ALL
                   SELECT 'overdueFollowUp', f.id, f.due FROM (
                     SELECT c.id, {FOLLOW_UP_TASK_MS} AS due FROM cases c
                      WHERE c.state IN ('followUpL2','followUpL3')
                        AND (CAST(c.data AS JSON) -> 'followUp' ->> 'awaitingAnswer') = 'false'
                   ) f WHERE f.due <= $1
                 ) h
                 WHERE h.deadline >= $3 AND NOT EXISTS (
                   SELECT 1 FROM notify_reminders r
                    WHERE r.key = h.kind || ':' || h.id || ':' || CAST(h.deadline AS TEXT))
                 ORDER BY h.deadline, h.id, h.kind
                 LIMIT $2"
            ),
            &[&ms(now), &limit_param(limit), &ms(since)],
        )?;
        rows.iter()
            .map(|r| {
                Ok(DeadlineHit {
                    kind: r.try_get(0)?,
                    case_id: parse_id(r.try_get(1)?)?,
                    deadline: from_ms(r.try_get(2)?),
                })
            })
            .collect()
    })
}
