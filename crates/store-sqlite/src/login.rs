//! SQL of login throttling: password checks reserved per account and address, and the
//! addresses each account last logged in from (see `Store::reserve_login_attempt`).

use crate::DbResult;
use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension, Transaction};

use super::ms;
use minsheng_store::{LoginAttemptId, LoginLimits};

/// Schema 8: replaces the per-key `login_failures` counter, which could not tell an
/// account's address from another's and was checked outside the write that counted.
pub(super) const MIGRATION: &str = r"
DROP TABLE login_failures;
-- One row per password check, reserved before the hash is computed. It stays as the
-- failure record unless the password was right (then the account's rows go).
CREATE TABLE login_attempts (
    id INTEGER PRIMARY KEY,
    account TEXT NOT NULL,
    ip TEXT NOT NULL,
    at INTEGER NOT NULL
);
CREATE INDEX login_attempts_account ON login_attempts(account, at);
CREATE INDEX login_attempts_ip ON login_attempts(ip, at);
CREATE INDEX login_attempts_at ON login_attempts(at);
-- The last successful login of an account from an address.
CREATE TABLE login_known (
    account TEXT NOT NULL,
    ip TEXT NOT NULL,
    at INTEGER NOT NULL,
    PRIMARY KEY (account, ip)
) WITHOUT ROWID;
CREATE INDEX login_known_at ON login_known(at);
";

/// Runs inside `BEGIN IMMEDIATE`: no other writer counts between the count and the insert.
pub fn reserve(
    tx: &Transaction<'_>,
    account: &str,
    ip: &str,
    now: DateTime<Utc>,
    limits: &LoginLimits,
) -> DbResult<Option<LoginAttemptId>> {
    let since = ms(now) - limits.window_secs * 1000;
    tx.prepare_cached("DELETE FROM login_attempts WHERE at < ?1")?
        .execute([since])?;
    let count = |sql: &str, key: &str| -> DbResult<u32> {
        Ok(tx
            .prepare_cached(sql)?
            .query_row(params![key, since], |r| r.get(0))?)
    };
    let per_account = count(
        "SELECT COUNT(*) FROM login_attempts WHERE account = ?1 AND at >= ?2",
        account,
    )?;
    if per_account >= limits.per_account {
        return Ok(None);
    }
    let per_address = count(
        "SELECT COUNT(*) FROM login_attempts WHERE ip = ?1 AND at >= ?2",
        ip,
    )?;
    if per_address >= limits.per_address {
        let known = tx
            .prepare_cached(
                "SELECT 1 FROM login_known WHERE account = ?1 AND ip = ?2 AND at >= ?3",
            )?
            .query_row(
                params![account, ip, ms(now) - limits.known_secs * 1000],
                |_| Ok(()),
            )
            .optional()?
            .is_some();
        if !known {
            return Ok(None);
        }
    }
    tx.prepare_cached("INSERT INTO login_attempts(account, ip, at) VALUES (?1, ?2, ?3)")?
        .execute(params![account, ip, ms(now)])?;
    Ok(Some(LoginAttemptId(tx.last_insert_rowid())))
}

pub fn succeeded(
    tx: &Transaction<'_>,
    account: &str,
    ip: &str,
    now: DateTime<Utc>,
    forget_before: DateTime<Utc>,
) -> DbResult<()> {
    tx.prepare_cached("DELETE FROM login_attempts WHERE account = ?1")?
        .execute([account])?;
    tx.prepare_cached(
        "INSERT INTO login_known(account, ip, at) VALUES (?1, ?2, ?3)
         ON CONFLICT(account, ip) DO UPDATE SET at = excluded.at",
    )?
    .execute(params![account, ip, ms(now)])?;
    tx.prepare_cached("DELETE FROM login_known WHERE at < ?1")?
        .execute([ms(forget_before)])?;
    Ok(())
}

pub fn release(tx: &Transaction<'_>, id: LoginAttemptId) -> DbResult<()> {
    tx.prepare_cached("DELETE FROM login_attempts WHERE id = ?1")?
        .execute([id.0])?;
    Ok(())
}
