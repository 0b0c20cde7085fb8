//! SQLite side of `storage::admin`: the user directory, audited account changes, the
//! audit log search and the settled SMS dead letters.

use crate::{db, DbResult};
use chrono::{DateTime, Utc};
use minsheng_domain::ids::UserId;
use minsheng_domain::role::Role;
use rusqlite::types::Value;
use rusqlite::{params, params_from_iter, OptionalExtension, Transaction};

use super::knowledge::like_pattern;
use super::notify::{outbox_from_row, template_from_row, upsert_template, OUTBOX_COLS};
use super::{audit, from_ms, ms, parse_id, user_by_id, user_from_row, SqliteStore, USER_COLS};
use crate::DbError;
use minsheng_store::admin::{
    AdminStore, AuditPage, AuditQuery, AuditRow, DeadLetterFate, TemplateSave, UserChange,
    UserPage, UserQuery,
};
use minsheng_store::notify::{OutboxMessage, SmsTemplate};
use minsheng_store::StoreError;
use minsheng_store::{AuditRecord, FeedbackCounts, StoreResult, UserRecord};

/// Migration 16: the reason a dead letter was discarded, and indexes for the audit
/// log's filters (its keyset pages run on the primary key).
pub(super) const MIGRATION: &str = "
ALTER TABLE sms_outbox ADD COLUMN discard_reason TEXT;
CREATE INDEX audit_log_user ON audit_log(user_id, id);
CREATE INDEX audit_log_action ON audit_log(action, id);
CREATE INDEX audit_log_at ON audit_log(at);
";

/// Inserts an account (a taken username is `AlreadyExists`).
pub(super) fn insert_user(tx: &Transaction<'_>, u: &UserRecord) -> DbResult<()> {
    tx.execute(
        &format!(
            "INSERT INTO users({USER_COLS})
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
        ),
        params![
            u.id.to_string(),
            u.username,
            u.display_name,
            u.role.code(),
            u.unit_id.to_string(),
            u.phone,
            u.password_hash,
            u.active,
            ms(u.created_at),
            ms(u.password_changed_at),
            u.must_change_password
        ],
    )
    .map_err(|e| match e {
        rusqlite::Error::SqliteFailure(f, _)
            if f.code == rusqlite::ErrorCode::ConstraintViolation =>
        {
            DbError::Store(StoreError::AlreadyExists(format!("用户名“{}”", u.username)))
        }
        e => e.into(),
    })?;
    Ok(())
}

/// Rewrites an account's changeable columns.
pub(super) fn update_user(tx: &Transaction<'_>, u: &UserRecord) -> DbResult<()> {
    let n = tx.execute(
        "UPDATE users SET display_name = ?2, role = ?3, unit_id = ?4, phone = ?5,
           password_hash = ?6, active = ?7, password_changed_at = ?8,
           must_change_password = ?9 WHERE id = ?1",
        params![
            u.id.to_string(),
            u.display_name,
            u.role.code(),
            u.unit_id.to_string(),
            u.phone,
            u.password_hash,
            u.active,
            ms(u.password_changed_at),
            u.must_change_password
        ],
    )?;
    if n == 0 {
        return Err(StoreError::NotFound("用户").into());
    }
    Ok(())
}

/// SQL conditions with their bound values, numbered in order.
#[derive(Default)]
struct Filter {
    clauses: Vec<String>,
    values: Vec<Value>,
}

impl Filter {
    fn push(&mut self, sql: impl FnOnce(&str) -> String, v: Value) {
        self.values.push(v);
        let p = format!("?{}", self.values.len());
        self.clauses.push(sql(&p));
    }

    fn sql(&self) -> String {
        if self.clauses.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", self.clauses.join(" AND "))
        }
    }
}

fn limit_of(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX - 1)
}

fn user_filter(q: &UserQuery) -> Filter {
    let mut f = Filter::default();
    if let Some(u) = q.unit {
        f.push(|p| format!("unit_id = {p}"), Value::Text(u.to_string()));
    }
    if let Some(r) = q.role {
        f.push(|p| format!("role = {p}"), Value::Text(r.code().to_owned()));
    }
    if let Some(a) = q.active {
        f.push(|p| format!("active = {p}"), Value::Integer(i64::from(a)));
    }
    if let Some(t) = q.text.as_deref() {
        f.push(
            |p| format!("(username LIKE {p} ESCAPE '\\' OR display_name LIKE {p} ESCAPE '\\')"),
            Value::Text(like_pattern(t)),
        );
    }
    f
}

fn audit_filter(q: &AuditQuery) -> Filter {
    let mut f = Filter::default();
    if let Some(u) = q.user {
        f.push(|p| format!("a.user_id = {p}"), Value::Text(u.to_string()));
    }
    if let Some(a) = q.action.as_deref() {
        f.push(|p| format!("a.action = {p}"), Value::Text(a.to_owned()));
    }
    if let Some(t) = q.target.as_deref() {
        f.push(
            |p| format!("a.target LIKE {p} ESCAPE '\\'"),
            Value::Text(like_pattern(t)),
        );
    }
    if let Some(from) = q.from {
        f.push(|p| format!("a.at >= {p}"), Value::Integer(ms(from)));
    }
    if let Some(to) = q.to {
        f.push(|p| format!("a.at < {p}"), Value::Integer(ms(to)));
    }
    f
}

fn other_active_admins(tx: &Transaction<'_>, id: UserId) -> DbResult<u64> {
    let n: i64 = tx.query_row(
        "SELECT COUNT(*) FROM users WHERE role = ?1 AND active = 1 AND id <> ?2",
        params![Role::Admin.code(), id.to_string()],
        |r| r.get(0),
    )?;
    Ok(u64::try_from(n).unwrap_or(0))
}

impl AdminStore for SqliteStore {
    fn search_users(&self, q: &UserQuery) -> StoreResult<UserPage> {
        db(|| {
            let conn = self.conn()?;
            let f = user_filter(q);
            let total: i64 = conn.query_row(
                &format!("SELECT COUNT(*) FROM users {}", f.sql()),
                params_from_iter(f.values.iter()),
                |r| r.get(0),
            )?;
            let mut f = f;
            if let Some(after) = q.after.as_deref() {
                f.push(|p| format!("username > {p}"), Value::Text(after.to_owned()));
            }
            f.values.push(Value::Integer(limit_of(q.limit) + 1));
            let sql = format!(
                "SELECT {USER_COLS} FROM users {} ORDER BY username LIMIT ?{}",
                f.sql(),
                f.values.len()
            );
            let mut stmt = conn.prepare(&sql)?;
            let rows = stmt.query_map(params_from_iter(f.values.iter()), user_from_row)?;
            let mut items: Vec<UserRecord> = rows.collect::<Result<_, _>>()?;
            let next = if items.len() > q.limit {
                items.truncate(q.limit);
                items.last().map(|u| u.username.clone())
            } else {
                None
            };
            Ok(UserPage {
                items,
                total: u64::try_from(total).unwrap_or(0),
                next,
            })
        })
    }

    fn insert_user_audited(&self, user: &UserRecord, rec: &AuditRecord) -> StoreResult<()> {
        db(|| {
            self.write(|tx| {
                insert_user(tx, user)?;
                audit::append(tx, rec)?;
                // The user directory travels with the configuration's version (clients re-read it).
                super::config::bump(tx, "users", rec.at).map(|_| ())
            })
        })
    }

    fn change_user(
        &self,
        id: UserId,
        f: &mut dyn FnMut(&UserRecord, u64) -> StoreResult<UserChange>,
    ) -> StoreResult<Option<UserRecord>> {
        db(|| {
            self.write(|tx| {
                let Some(current) = user_by_id(tx, id)? else {
                    return Ok(None);
                };
                let change = f(&current, other_active_admins(tx, id)?)?;
                update_user(tx, &change.user)?;
                if change.end_sessions {
                    tx.execute("DELETE FROM sessions WHERE user_id = ?1", [id.to_string()])?;
                }
                audit::append(tx, &change.audit)?;
                super::config::bump(tx, "users", change.audit.at)?;
                Ok(Some(change.user))
            })
        })
    }

    fn search_audit(&self, q: &AuditQuery) -> StoreResult<AuditPage> {
        db(|| {
            let conn = self.conn()?;
            let mut f = audit_filter(q);
            if let Some(before) = q.before {
                f.push(|p| format!("a.id < {p}"), Value::Integer(before));
            }
            f.values.push(Value::Integer(limit_of(q.limit) + 1));
            let sql = format!(
            "SELECT a.id, a.at, a.user_id, a.action, a.target, a.detail, u.username, u.display_name
               FROM audit_log a LEFT JOIN users u ON u.id = a.user_id
             {} ORDER BY a.id DESC LIMIT ?{}",
            f.sql(),
            f.values.len()
        );
            let mut stmt = conn.prepare(&sql)?;
            let rows = stmt.query_map(params_from_iter(f.values.iter()), |r| {
                Ok(AuditRow {
                    id: r.get(0)?,
                    record: AuditRecord {
                        at: from_ms(r.get(1)?),
                        user_id: parse_id(&r.get::<_, String>(2)?)?,
                        action: r.get(3)?,
                        target: r.get(4)?,
                        detail: r.get(5)?,
                    },
                    username: r.get(6)?,
                    display_name: r.get(7)?,
                })
            })?;
            let mut items: Vec<AuditRow> = rows.collect::<Result<_, _>>()?;
            let next = if items.len() > q.limit {
                items.truncate(q.limit);
                items.last().map(|a| a.id)
            } else {
                None
            };
            Ok(AuditPage { items, next })
        })
    }

    fn count_audit(&self, q: &AuditQuery) -> StoreResult<u64> {
        db(|| {
            let conn = self.conn()?;
            let f = audit_filter(q);
            let n: i64 = conn.query_row(
                &format!("SELECT COUNT(*) FROM audit_log a {}", f.sql()),
                params_from_iter(f.values.iter()),
                |r| r.get(0),
            )?;
            Ok(u64::try_from(n).unwrap_or(0))
        })
    }

    fn save_sms_template(
        &self,
        code: &str,
        f: &mut dyn FnMut(Option<&SmsTemplate>) -> StoreResult<TemplateSave>,
    ) -> StoreResult<SmsTemplate> {
        db(|| {
            self.write(|tx| {
                let old = tx
                    .query_row(
                        "SELECT code, name, body, provider_template_id, updated_at
                       FROM sms_templates WHERE code = ?1",
                        [code],
                        template_from_row,
                    )
                    .optional()?;
                let save = f(old.as_ref())?;
                upsert_template(tx, &save.template)?;
                audit::append(tx, &save.audit)?;
                Ok(save.template)
            })
        })
    }

    fn settle_dead_letter(
        &self,
        id: &str,
        fate: &DeadLetterFate,
        rec: &AuditRecord,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<OutboxMessage>> {
        db(|| {
            self.write(|tx| {
                let row = match fate {
                    DeadLetterFate::Retry => tx
                        .query_row(
                            &format!(
                                "UPDATE sms_outbox SET status = 'pending', attempts = 0,
                               next_attempt_at = ?2, discard_reason = NULL
                             WHERE id = ?1 AND status = 'dead' RETURNING {OUTBOX_COLS}"
                            ),
                            params![id, ms(now)],
                            outbox_from_row,
                        )
                        .optional()?,
                    DeadLetterFate::Discard { reason } => tx
                        .query_row(
                            &format!(
                                "UPDATE sms_outbox SET status = 'discarded', discard_reason = ?2
                             WHERE id = ?1 AND status = 'dead' RETURNING {OUTBOX_COLS}"
                            ),
                            params![id, reason],
                            outbox_from_row,
                        )
                        .optional()?,
                };
                if row.is_some() {
                    audit::append(tx, rec)?;
                }
                Ok(row)
            })
        })
    }

    fn dispatch_feedback_buckets(
        &self,
        origin: DateTime<Utc>,
        width_ms: i64,
    ) -> StoreResult<Vec<(i64, FeedbackCounts)>> {
        db(|| {
            let conn = self.conn()?;
            let mut stmt = conn.prepare(
            "SELECT (at - ?1) / ?2 AS bucket, COUNT(*), SUM(matched_category), SUM(matched_unit),
                    SUM(suggested_request_type = chosen_request_type)
               FROM dispatch_feedback WHERE at >= ?1
              GROUP BY bucket ORDER BY bucket",
        )?;
            let count = |v: Option<i64>| u64::try_from(v.unwrap_or(0)).unwrap_or(0);
            let rows = stmt.query_map(params![ms(origin), width_ms.max(1)], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    FeedbackCounts {
                        dispatches: count(r.get(1)?),
                        category_matched: count(r.get(2)?),
                        unit_matched: count(r.get(3)?),
                        request_type_matched: count(r.get(4)?),
                    },
                ))
            })?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }
}
