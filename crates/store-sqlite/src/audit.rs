//! The audit log (who unmasked, changed, signed in …), protected from change (等保):
//! each record carries the hash of the one before it (`domain::audit`), the database
//! refuses to update a sealed record, and refuses to delete one younger than 180 days.
//! Records written before this existed are sealed into the chain once, at start.

use crate::DbResult;
use minsheng_domain::audit::{audit_hash, AuditLink};
use minsheng_domain::timeline::GENESIS;
use rusqlite::{params, Connection, OptionalExtension, Transaction};

use super::{from_ms, ms, parse_id};
use minsheng_store::AuditRecord;

/// The retention (180 days) is the trigger's; nothing in the server deletes audit rows.
pub const MIGRATION: &str = "
ALTER TABLE audit_log ADD COLUMN prev_hash TEXT;
ALTER TABLE audit_log ADD COLUMN hash TEXT;
CREATE TRIGGER audit_log_sealed BEFORE UPDATE ON audit_log
WHEN old.hash IS NOT NULL BEGIN
    SELECT RAISE(ABORT, 'AUDIT_IMMUTABLE: 审计记录不可修改');
END;
CREATE TRIGGER audit_log_retention BEFORE DELETE ON audit_log
WHEN old.at > (CAST(strftime('%s', 'now') AS INTEGER) - 180 * 86400) * 1000 BEGIN
    SELECT RAISE(ABORT, 'AUDIT_RETENTION: 审计记录须保存至少 180 天');
END;
";

fn last_hash(conn: &Connection) -> DbResult<String> {
    Ok(conn
        .query_row(
            "SELECT hash FROM audit_log WHERE hash IS NOT NULL ORDER BY id DESC LIMIT 1",
            [],
            |r| r.get::<_, String>(0),
        )
        .optional()?
        .unwrap_or_else(|| GENESIS.to_owned()))
}

/// Appends a record to the chain (inside the caller's write transaction, so the
/// single writer orders the chain).
pub(super) fn append(tx: &Transaction<'_>, rec: &AuditRecord) -> DbResult<()> {
    let prev = last_hash(tx)?;
    let at = ms(rec.at);
    let user = rec.user_id.to_string();
    let hash = audit_hash(&prev, at, &user, &rec.action, &rec.target, &rec.detail);
    tx.execute(
        "INSERT INTO audit_log(at, user_id, action, target, detail, prev_hash, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![at, user, rec.action, rec.target, rec.detail, prev, hash],
    )?;
    Ok(())
}

/// Seals records written before the chain existed, oldest first (once, at start).
pub(super) fn seal(conn: &mut Connection) -> DbResult<()> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let open: Vec<(i64, i64, String, String, String, String)> = {
        let mut stmt = tx.prepare(
            "SELECT id, at, user_id, action, target, detail FROM audit_log
              WHERE hash IS NULL ORDER BY id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            ))
        })?;
        rows.collect::<Result<_, _>>()?
    };
    let mut prev = last_hash(&tx)?;
    for (id, at, user, action, target, detail) in open {
        let hash = audit_hash(&prev, at, &user, &action, &target, &detail);
        tx.execute(
            "UPDATE audit_log SET prev_hash = ?2, hash = ?3 WHERE id = ?1",
            params![id, prev, hash],
        )?;
        prev = hash;
    }
    tx.commit()?;
    Ok(())
}

pub(super) fn newest(conn: &Connection, limit: usize) -> DbResult<Vec<AuditRecord>> {
    let mut stmt = conn.prepare(
        "SELECT at, user_id, action, target, detail FROM audit_log ORDER BY id DESC LIMIT ?1",
    )?;
    let rows = stmt.query_map([limit as i64], |r| {
        Ok(AuditRecord {
            at: from_ms(r.get(0)?),
            user_id: parse_id(&r.get::<_, String>(1)?)?,
            action: r.get(2)?,
            target: r.get(3)?,
            detail: r.get(4)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The whole chain, oldest first, for verification.
pub(super) fn chain(conn: &Connection) -> DbResult<Vec<AuditLink>> {
    let mut stmt = conn.prepare(
        "SELECT id, at, user_id, action, target, detail, COALESCE(prev_hash, ''), COALESCE(hash, '')
           FROM audit_log ORDER BY id",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(AuditLink {
            id: r.get(0)?,
            at_ms: r.get(1)?,
            user_id: r.get(2)?,
            action: r.get(3)?,
            target: r.get(4)?,
            detail: r.get(5)?,
            prev_hash: r.get(6)?,
            hash: r.get(7)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}
