//! PostgreSQL: `AdminStore` (the user directory, audited account changes, the audit log
//! search, SMS templates and dead letters, model-accuracy buckets; see
//! `minsheng_store::admin`).
//!
//! Text is ordered `COLLATE "C"` (code point order, as SQLite's BINARY, so a keyset
//! cursor means the same on both backends whatever the database's locale) and matched
//! as in `knowledge`: ASCII case-insensitive, `!` as the LIKE escape.

use chrono::{DateTime, Utc};
use minsheng_domain::ids::UserId;
use minsheng_domain::role::Role;
use minsheng_store::admin::{
    AdminStore, AuditPage, AuditQuery, AuditRow, DeadLetterFate, TemplateSave, UserChange,
    UserPage, UserQuery,
};
use minsheng_store::notify::{OutboxMessage, OutboxStatus, SmsTemplate};
use minsheng_store::{AuditRecord, FeedbackCounts, StoreError, StoreResult, UserRecord};
use postgres::types::ToSql;
use postgres::{Row, Transaction};

use crate::audit::append_audit;
use crate::knowledge::like_pattern;
use crate::{db, from_ms, ms, parse_id, DbError, DbResult, PgStore};

/// The columns of an account, in `user_from_row`'s order.
pub(crate) const USER_COLS: &str = "id, username, display_name, role, unit_id, phone, \
     password_hash, active, created_at, password_changed_at, must_change_password";

/// The columns of an outbox message (`attempts` read as BIGINT whatever its width).
const OUTBOX_COLS: &str = "id, event_key, phone, template, provider_template_id, params, body, \
     status, CAST(attempts AS BIGINT) AS attempts, next_attempt_at, last_error, provider_id, \
     delivery_status, created_at, sent_at, discard_reason";

/// Advisory lock namespace of SMS template codes (a code is hashed into the key).
const TEMPLATE_LOCK: u64 = 0x6d73_7465_6d70_6c00;

pub(crate) fn user_from_row(r: &Row) -> DbResult<UserRecord> {
    let role: String = r.try_get("role")?;
    Ok(UserRecord {
        id: parse_id(r.try_get::<_, &str>("id")?)?,
        username: r.try_get("username")?,
        display_name: r.try_get("display_name")?,
        role: Role::from_code(&role).unwrap_or(Role::Officer),
        unit_id: parse_id(r.try_get::<_, &str>("unit_id")?)?,
        phone: r.try_get("phone")?,
        password_hash: r.try_get("password_hash")?,
        active: r.try_get("active")?,
        created_at: from_ms(r.try_get("created_at")?),
        password_changed_at: from_ms(r.try_get("password_changed_at")?),
        must_change_password: r.try_get("must_change_password")?,
    })
}

/// Inserts an account (a taken username is `AlreadyExists`).
pub(crate) fn insert_user(tx: &mut Transaction<'_>, u: &UserRecord) -> DbResult<()> {
    tx.execute(
        &format!(
            "INSERT INTO users({USER_COLS})
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
        ),
        &[
            &u.id.to_string(),
            &u.username,
            &u.display_name,
            &u.role.code(),
            &u.unit_id.to_string(),
            &u.phone,
            &u.password_hash,
            &u.active,
            &ms(u.created_at),
            &ms(u.password_changed_at),
            &u.must_change_password,
        ],
    )
    .map_err(|e| {
        let e = DbError::from(e);
        if e.is_unique_violation() {
            StoreError::AlreadyExists(format!("用户名“{}”", u.username)).into()
        } else {
            e
        }
    })?;
    Ok(())
}

/// Rewrites an account's changeable columns.
pub(crate) fn update_user(tx: &mut Transaction<'_>, u: &UserRecord) -> DbResult<()> {
    let n = tx.execute(
        "UPDATE users SET display_name = $2, role = $3, unit_id = $4, phone = $5,
           password_hash = $6, active = $7, password_changed_at = $8,
           must_change_password = $9 WHERE id = $1",
        &[
            &u.id.to_string(),
            &u.display_name,
            &u.role.code(),
            &u.unit_id.to_string(),
            &u.phone,
            &u.password_hash,
            &u.active,
            &ms(u.password_changed_at),
            &u.must_change_password,
        ],
    )?;
    if n == 0 {
        return Err(StoreError::NotFound("用户").into());
    }
    Ok(())
}

type Param = Box<dyn ToSql + Sync>;

/// SQL conditions with their bound values, numbered in order.
#[derive(Default)]
struct Filter {
    clauses: Vec<String>,
    values: Vec<Param>,
}

impl Filter {
    fn push(&mut self, sql: impl FnOnce(&str) -> String, v: impl ToSql + Sync + 'static) {
        let p = self.bind(v);
        self.clauses.push(sql(&p));
    }

    /// Binds a value without a condition; returns its placeholder.
    fn bind(&mut self, v: impl ToSql + Sync + 'static) -> String {
        self.values.push(Box::new(v));
        format!("${}", self.values.len())
    }

    fn sql(&self) -> String {
        if self.clauses.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", self.clauses.join(" AND "))
        }
    }

    fn params(&self) -> Vec<&(dyn ToSql + Sync)> {
        self.values.iter().map(|v| &**v as _).collect()
    }
}

fn limit_of(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX - 1)
}

fn count_of(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

fn user_filter(q: &UserQuery) -> Filter {
    let mut f = Filter::default();
    if let Some(u) = q.unit {
        f.push(|p| format!("unit_id = {p}"), u.to_string());
    }
    if let Some(r) = q.role {
        f.push(|p| format!("role = {p}"), r.code().to_owned());
    }
    if let Some(a) = q.active {
        f.push(|p| format!("active = {p}"), a);
    }
    if let Some(t) = q.text.as_deref() {
        f.push(
            |p| {
                format!(
                    "(LOWER(username) LIKE LOWER({p}) ESCAPE '!' \
                      OR LOWER(display_name) LIKE LOWER({p}) ESCAPE '!')"
                )
            },
            like_pattern(t),
        );
    }
    f
}

fn audit_filter(q: &AuditQuery) -> Filter {
    let mut f = Filter::default();
    if let Some(u) = q.user {
        f.push(|p| format!("a.user_id = {p}"), u.to_string());
    }
    if let Some(a) = q.action.as_deref() {
        f.push(|p| format!("a.action = {p}"), a.to_owned());
    }
    if let Some(t) = q.target.as_deref() {
        f.push(
            |p| format!("LOWER(a.target) LIKE LOWER({p}) ESCAPE '!'"),
            like_pattern(t),
        );
    }
    if let Some(from) = q.from {
        f.push(|p| format!("a.at >= {p}"), ms(from));
    }
    if let Some(to) = q.to {
        f.push(|p| format!("a.at < {p}"), ms(to));
    }
    f
}

/// Within `limit + 1` rows read: the page and whether more follow.
fn page<T>(mut items: Vec<T>, limit: usize) -> (Vec<T>, bool) {
    let more = items.len() > limit;
    items.truncate(limit);
    (items, more)
}

fn outbox_from_row(r: &Row) -> DbResult<OutboxMessage> {
    let params: String = r.try_get("params")?;
    let status: String = r.try_get("status")?;
    Ok(OutboxMessage {
        id: r.try_get("id")?,
        event_key: r.try_get("event_key")?,
        phone: r.try_get("phone")?,
        template: r.try_get("template")?,
        provider_template_id: r.try_get("provider_template_id")?,
        params: serde_json::from_str(&params).unwrap_or_default(),
        body: r.try_get("body")?,
        status: OutboxStatus::from_code(&status).unwrap_or(OutboxStatus::Pending),
        attempts: u32::try_from(r.try_get::<_, i64>("attempts")?).unwrap_or(u32::MAX),
        next_attempt_at: from_ms(r.try_get("next_attempt_at")?),
        last_error: r.try_get("last_error")?,
        provider_id: r.try_get("provider_id")?,
        delivery_status: r.try_get("delivery_status")?,
        created_at: from_ms(r.try_get("created_at")?),
        sent_at: r.try_get::<_, Option<i64>>("sent_at")?.map(from_ms),
        discard_reason: r.try_get("discard_reason")?,
    })
}

fn template_from_row(r: &Row) -> DbResult<SmsTemplate> {
    Ok(SmsTemplate {
        code: r.try_get("code")?,
        name: r.try_get("name")?,
        body: r.try_get("body")?,
        provider_template_id: r.try_get("provider_template_id")?,
        updated_at: from_ms(r.try_get("updated_at")?),
    })
}

/// A 64-bit FNV-1a of `s` in namespace `ns`, as an advisory lock key.
fn lock_key(ns: u64, s: &str) -> i64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ ns;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h as i64
}

impl AdminStore for PgStore {
    fn search_users(&self, q: &UserQuery) -> StoreResult<UserPage> {
        db(|| {
            // Count and page from one snapshot, so `total` agrees with the items.
            self.read_snapshot(|tx| {
                let mut f = user_filter(q);
                let total: i64 = tx
                    .query_one(
                        &format!("SELECT COUNT(*) FROM users {}", f.sql()),
                        &f.params(),
                    )?
                    .try_get(0)?;
                if let Some(after) = q.after.as_deref() {
                    f.push(
                        |p| format!("username COLLATE \"C\" > {p}"),
                        after.to_owned(),
                    );
                }
                let limit = f.bind(limit_of(q.limit) + 1);
                let rows = tx.query(
                    &format!(
                        "SELECT {USER_COLS} FROM users {} ORDER BY username COLLATE \"C\" LIMIT {limit}",
                        f.sql()
                    ),
                    &f.params(),
                )?;
                let items = rows.iter().map(user_from_row).collect::<DbResult<_>>()?;
                let (items, more) = page(items, q.limit);
                let next = if more {
                    items.last().map(|u: &UserRecord| u.username.clone())
                } else {
                    None
                };
                Ok(UserPage {
                    items,
                    total: count_of(total),
                    next,
                })
            })
        })
    }

    fn insert_user_audited(&self, user: &UserRecord, rec: &AuditRecord) -> StoreResult<()> {
        db(|| {
            self.write(|tx| {
                insert_user(tx, user)?;
                append_audit(tx, rec)?;
                // The user directory travels with the configuration's version.
                crate::config::bump(tx, "users", rec.at).map(|_| ())
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
                // Lock the account and every active admin, in id order (one order for
                // every caller: no deadlock), before counting. Two admins deactivating
                // each other at once: the second waits for the first's commit, then
                // re-reads the rows it locks, no longer finds the first as an active
                // admin, and its closure sees 0 others.
                let rows = tx.query(
                    &format!(
                        "SELECT {USER_COLS} FROM users
                          WHERE id = $1 OR (role = $2 AND active)
                          ORDER BY id FOR UPDATE"
                    ),
                    &[&id.to_string(), &Role::Admin.code()],
                )?;
                let mut current = None;
                let mut other_admins = 0u64;
                for r in &rows {
                    let u = user_from_row(r)?;
                    if u.id == id {
                        current = Some(u);
                    } else if u.role == Role::Admin && u.active {
                        other_admins += 1;
                    }
                }
                let Some(current) = current else {
                    return Ok(None);
                };
                let change = f(&current, other_admins)?;
                update_user(tx, &change.user)?;
                if change.end_sessions {
                    tx.execute(
                        "DELETE FROM sessions WHERE user_id = $1",
                        &[&id.to_string()],
                    )?;
                }
                append_audit(tx, &change.audit)?;
                crate::config::bump(tx, "users", change.audit.at)?;
                Ok(Some(change.user))
            })
        })
    }

    fn search_audit(&self, q: &AuditQuery) -> StoreResult<AuditPage> {
        db(|| {
            let mut f = audit_filter(q);
            if let Some(before) = q.before {
                f.push(|p| format!("a.id < {p}"), before);
            }
            let limit = f.bind(limit_of(q.limit) + 1);
            let sql = format!(
                "SELECT a.id, a.at, a.user_id, a.action, a.target, a.detail,
                        u.username, u.display_name
                   FROM audit_log a LEFT JOIN users u ON u.id = a.user_id
                 {} ORDER BY a.id DESC LIMIT {limit}",
                f.sql()
            );
            let rows = self.read(|c| Ok(c.query(&sql, &f.params())?))?;
            let items = rows
                .iter()
                .map(|r| {
                    Ok(AuditRow {
                        id: r.try_get(0)?,
                        record: AuditRecord {
                            at: from_ms(r.try_get(1)?),
                            user_id: parse_id(r.try_get::<_, &str>(2)?)?,
                            action: r.try_get(3)?,
                            target: r.try_get(4)?,
                            detail: r.try_get(5)?,
                        },
                        username: r.try_get(6)?,
                        display_name: r.try_get(7)?,
                    })
                })
                .collect::<DbResult<Vec<_>>>()?;
            let (items, more) = page(items, q.limit);
            let next = if more {
                items.last().map(|a| a.id)
            } else {
                None
            };
            Ok(AuditPage { items, next })
        })
    }

    fn count_audit(&self, q: &AuditQuery) -> StoreResult<u64> {
        db(|| {
            let f = audit_filter(q);
            let n: i64 = self.read(|c| {
                Ok(c.query_one(
                    &format!("SELECT COUNT(*) FROM audit_log a {}", f.sql()),
                    &f.params(),
                )?
                .try_get(0)?)
            })?;
            Ok(count_of(n))
        })
    }

    fn save_sms_template(
        &self,
        code: &str,
        f: &mut dyn FnMut(Option<&SmsTemplate>) -> StoreResult<TemplateSave>,
    ) -> StoreResult<SmsTemplate> {
        db(|| {
            self.write(|tx| {
                // One saver per code at a time (a row lock cannot cover a template not
                // stored yet): the closure always sees what the previous save stored.
                tx.execute(
                    "SELECT pg_advisory_xact_lock($1)",
                    &[&lock_key(TEMPLATE_LOCK, code)],
                )?;
                let old = tx
                    .query_opt(
                        "SELECT code, name, body, provider_template_id, updated_at
                           FROM sms_templates WHERE code = $1",
                        &[&code],
                    )?
                    .as_ref()
                    .map(template_from_row)
                    .transpose()?;
                let save = f(old.as_ref())?;
                let t = &save.template;
                tx.execute(
                    "INSERT INTO sms_templates(code, name, body, provider_template_id, updated_at)
                     VALUES ($1, $2, $3, $4, $5)
                     ON CONFLICT (code) DO UPDATE SET name = excluded.name, body = excluded.body,
                       provider_template_id = excluded.provider_template_id,
                       updated_at = excluded.updated_at",
                    &[
                        &t.code,
                        &t.name,
                        &t.body,
                        &t.provider_template_id,
                        &ms(t.updated_at),
                    ],
                )?;
                append_audit(tx, &save.audit)?;
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
                // `status = 'dead'` is re-checked on the locked row: of two admins
                // settling one letter at once, the second finds it settled (None).
                let row = match fate {
                    DeadLetterFate::Retry => tx.query_opt(
                        &format!(
                            "UPDATE sms_outbox SET status = 'pending', attempts = 0,
                               next_attempt_at = $2, discard_reason = NULL
                             WHERE id = $1 AND status = 'dead' RETURNING {OUTBOX_COLS}"
                        ),
                        &[&id, &ms(now)],
                    )?,
                    DeadLetterFate::Discard { reason } => tx.query_opt(
                        &format!(
                            "UPDATE sms_outbox SET status = 'discarded', discard_reason = $2
                             WHERE id = $1 AND status = 'dead' RETURNING {OUTBOX_COLS}"
                        ),
                        &[&id, reason],
                    )?,
                };
                let Some(row) = row else {
                    return Ok(None);
                };
                let msg = outbox_from_row(&row)?;
                append_audit(tx, rec)?;
                Ok(Some(msg))
            })
        })
    }

    fn dispatch_feedback_buckets(
        &self,
        origin: DateTime<Utc>,
        width_ms: i64,
    ) -> StoreResult<Vec<(i64, FeedbackCounts)>> {
        db(|| {
            let rows = self.read(|c| {
                Ok(c.query(
                    "SELECT bucket, COUNT(*),
                            SUM(CASE WHEN matched_category THEN 1 ELSE 0 END),
                            SUM(CASE WHEN matched_unit THEN 1 ELSE 0 END),
                            SUM(CASE WHEN suggested_request_type = chosen_request_type
                                     THEN 1 ELSE 0 END)
                       FROM (SELECT (at - $1) / $2 AS bucket, matched_category, matched_unit,
                                    suggested_request_type, chosen_request_type
                               FROM dispatch_feedback WHERE at >= $1) f
                      GROUP BY bucket ORDER BY bucket",
                    &[&ms(origin), &width_ms.max(1)],
                )?)
            })?;
            let count = |v: Option<i64>| count_of(v.unwrap_or(0));
            rows.iter()
                .map(|r| {
                    Ok((
                        r.try_get(0)?,
                        FeedbackCounts {
                            dispatches: count(r.try_get(1)?),
                            category_matched: count(r.try_get(2)?),
                            unit_matched: count(r.try_get(3)?),
                            request_type_matched: count(r.try_get(4)?),
                        },
                    ))
                })
                .collect()
        })
    }
}
