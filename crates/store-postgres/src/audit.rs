//! The audit log (who unmasked, changed, signed in …), protected from change (等保):
//! each record carries the hash of the one before it (`domain::audit`); the database
//! refuses to update a record, and to delete one younger than 180 days (core.sql).

use minsheng_domain::audit::{audit_hash, AuditLink};
use postgres::{GenericClient, Transaction};

use crate::{from_ms, ms, parse_id, DbResult};
use minsheng_store::AuditRecord;

/// Appends a record to the chain inside the caller's write transaction.
///
/// Several instances append concurrently: two appenders reading the same head would
/// fork the chain. The head row is locked (`FOR UPDATE`) until commit, so the next
/// appender waits and then reads this record's hash; ids (BIGSERIAL) are drawn under
/// the lock too, so id order is chain order. Take it after the change-log counter in a
/// transaction that also writes cases (see `sync`), never before.
pub(crate) fn append_audit(tx: &mut Transaction<'_>, rec: &AuditRecord) -> DbResult<()> {
    let prev: String = tx
        .query_one("SELECT hash FROM audit_head WHERE id = 1 FOR UPDATE", &[])?
        .get(0);
    let at = ms(rec.at);
    let user = rec.user_id.to_string();
    let hash = audit_hash(&prev, at, &user, &rec.action, &rec.target, &rec.detail);
    tx.execute(
        "INSERT INTO audit_log(at, user_id, action, target, detail, prev_hash, hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        &[
            &at,
            &user,
            &rec.action,
            &rec.target,
            &rec.detail,
            &prev,
            &hash,
        ],
    )?;
    tx.execute("UPDATE audit_head SET hash = $1 WHERE id = 1", &[&hash])?;
    Ok(())
}

pub(crate) fn newest(c: &mut impl GenericClient, limit: usize) -> DbResult<Vec<AuditRecord>> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    c.query(
        "SELECT at, user_id, action, target, detail FROM audit_log ORDER BY id DESC LIMIT $1",
        &[&limit],
    )?
    .iter()
    .map(|r| {
        Ok(AuditRecord {
            at: from_ms(r.get(0)),
            user_id: parse_id(r.get::<_, &str>(1))?,
            action: r.get(2),
            target: r.get(3),
            detail: r.get(4),
        })
    })
    .collect()
}

/// The whole chain, oldest first, for verification.
pub(crate) fn chain(c: &mut impl GenericClient) -> DbResult<Vec<AuditLink>> {
    Ok(c.query(
        "SELECT id, at, user_id, action, target, detail, prev_hash, hash
               FROM audit_log ORDER BY id",
        &[],
    )?
    .iter()
    .map(|r| AuditLink {
        id: r.get(0),
        at_ms: r.get(1),
        user_id: r.get(2),
        action: r.get(3),
        target: r.get(4),
        detail: r.get(5),
        prev_hash: r.get(6),
        hash: r.get(7),
    })
    .collect())
}
