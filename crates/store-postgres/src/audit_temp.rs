//! TEMP: what this area needs from the core port until it lands (then delete this file
//! and point the `use crate::audit_temp::…` lines of admin.rs, config.rs and bulk.rs at
//! core's functions of the same shape):
//!
//! - `append_audit(tx, rec)`: appends one record to the hash chain inside the caller's
//!   transaction. This minimal version takes the chain head under a transaction-scoped
//!   advisory lock (held until commit, so ids, chain order and commit order agree).
//! - `insert_cases(tx, org, cases)` and `get_case(tx, id)`: `Store::insert_cases` and a
//!   case read inside the caller's transaction (the keyed bulk import stores its cases
//!   and their row records in one transaction). Not written here: `todo!()`.

use minsheng_domain::audit::audit_hash;
use minsheng_domain::case::Case;
use minsheng_domain::ids::CaseId;
use minsheng_domain::org::OrgTree;
use minsheng_domain::timeline::{TimelineEntry, GENESIS};
use minsheng_store::AuditRecord;
use postgres::Transaction;

use crate::{ms, DbResult};

/// Advisory lock key of the audit chain's head (TEMP: core chooses the real one).
const AUDIT_CHAIN_LOCK: i64 = 0x6d73_6175_6469_7400;

/// Appends `rec` to the audit chain (inside the caller's write transaction).
pub(crate) fn append_audit(tx: &mut Transaction<'_>, rec: &AuditRecord) -> DbResult<()> {
    // Writers run concurrently: two appenders reading the same head would fork the
    // chain. The lock serialises them until commit.
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&AUDIT_CHAIN_LOCK])?;
    let prev: String = tx
        .query_opt(
            "SELECT hash FROM audit_log WHERE hash IS NOT NULL ORDER BY id DESC LIMIT 1",
            &[],
        )?
        .map_or_else(|| GENESIS.to_owned(), |r| r.get(0));
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
    Ok(())
}

/// Core's `insert_cases` inside the caller's transaction (TEMP: not ported here).
pub(crate) fn insert_cases(
    _tx: &mut Transaction<'_>,
    _org: &OrgTree,
    _cases: Vec<(Case, Vec<TimelineEntry>)>,
) -> DbResult<Vec<Case>> {
    todo!("PostgreSQL: insert_cases (core) not ported yet")
}

/// Core's case read inside the caller's transaction (TEMP: not ported here).
pub(crate) fn get_case(_tx: &mut Transaction<'_>, _id: CaseId) -> DbResult<Option<Case>> {
    todo!("PostgreSQL: get_case (core) not ported yet")
}
