//! SQL of login throttling: password checks reserved per account and address, and the
//! addresses each account last logged in from (see `Store::reserve_login_attempt`).

use chrono::{DateTime, Utc};
use postgres::Transaction;

use crate::{ms, DbResult};
use minsheng_store::{LoginAttemptId, LoginLimits};

/// FNV-1a, 64 bits: a stable hash (the same on every instance and every build, unlike
/// std's `DefaultHasher`), so all instances take the same advisory lock for a name.
fn fnv1a(parts: &[&str]) -> i64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for b in p.bytes().chain(std::iter::once(0)) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h as i64
}

/// Advisory lock keys of an account and an address (within `schema`: cities sharing a
/// database do not throttle each other's logins).
fn lock_keys(schema: &str, account: &str, ip: &str) -> [i64; 2] {
    let mut keys = [
        fnv1a(&["minsheng-login-account", schema, account]),
        fnv1a(&["minsheng-login-address", schema, ip]),
    ];
    keys.sort_unstable();
    keys
}

/// Counts and reserves in one transaction. Instances run this concurrently: without a
/// lock, parallel requests would all count N-1 attempts and all pass. The account and
/// the address are locked (transaction-scoped advisory locks, held until commit, taken
/// in key order so two reservations never wait on each other crosswise) before
/// counting, so reservations of one account or one address are counted one at a time.
pub(crate) fn reserve(
    tx: &mut Transaction<'_>,
    schema: &str,
    account: &str,
    ip: &str,
    now: DateTime<Utc>,
    limits: &LoginLimits,
) -> DbResult<Option<LoginAttemptId>> {
    for key in lock_keys(schema, account, ip) {
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&key])?;
    }
    let since = ms(now) - limits.window_secs * 1000;
    // Housekeeping: attempts out of every window. Rows another reservation is deleting
    // right now are skipped, not waited for (no queue, no deadlock between them).
    tx.execute(
        "DELETE FROM login_attempts WHERE id IN (
             SELECT id FROM login_attempts WHERE at < $1 FOR UPDATE SKIP LOCKED)",
        &[&since],
    )?;
    let per_account: i64 = tx
        .query_one(
            "SELECT COUNT(*) FROM login_attempts WHERE account = $1 AND at >= $2",
            &[&account, &since],
        )?
        .get(0);
    if per_account >= i64::from(limits.per_account) {
        return Ok(None);
    }
    let per_address: i64 = tx
        .query_one(
            "SELECT COUNT(*) FROM login_attempts WHERE ip = $1 AND at >= $2",
            &[&ip, &since],
        )?
        .get(0);
    if per_address >= i64::from(limits.per_address) {
        let known = tx
            .query_opt(
                "SELECT 1 FROM login_known WHERE account = $1 AND ip = $2 AND at >= $3",
                &[&account, &ip, &(ms(now) - limits.known_secs * 1000)],
            )?
            .is_some();
        if !known {
            return Ok(None);
        }
    }
    let id: i64 = tx
        .query_one(
            "INSERT INTO login_attempts(account, ip, at) VALUES ($1, $2, $3) RETURNING id",
            &[&account, &ip, &ms(now)],
        )?
        .get(0);
    Ok(Some(LoginAttemptId(id)))
}

pub(crate) fn succeeded(
    tx: &mut Transaction<'_>,
    account: &str,
    ip: &str,
    now: DateTime<Utc>,
    forget_before: DateTime<Utc>,
) -> DbResult<()> {
    tx.execute("DELETE FROM login_attempts WHERE account = $1", &[&account])?;
    tx.execute(
        "INSERT INTO login_known(account, ip, at) VALUES ($1, $2, $3)
         ON CONFLICT (account, ip) DO UPDATE SET at = excluded.at",
        &[&account, &ip, &ms(now)],
    )?;
    // Housekeeping, skipping rows a concurrent login is writing (see `reserve`).
    tx.execute(
        "DELETE FROM login_known WHERE (account, ip) IN (
             SELECT account, ip FROM login_known WHERE at < $1 FOR UPDATE SKIP LOCKED)",
        &[&ms(forget_before)],
    )?;
    Ok(())
}

pub(crate) fn release(tx: &mut Transaction<'_>, id: LoginAttemptId) -> DbResult<()> {
    tx.execute("DELETE FROM login_attempts WHERE id = $1", &[&id.0])?;
    Ok(())
}
