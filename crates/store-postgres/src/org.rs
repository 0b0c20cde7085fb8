//! Org-tree changes: a unit written with its audit record and, when the change moves
//! which cases units see, the affected cases re-scoped, in one transaction.

use std::collections::BTreeSet;

use minsheng_domain::ids::UnitId;
use minsheng_domain::org::{OrgTree, Unit};
use minsheng_domain::scope::scope_units;
use postgres::{GenericClient, Transaction};

use crate::{cases, parse_id, sync, DbError, DbResult};
use minsheng_store::{AuditRecord, StoreError};

pub(crate) fn units(c: &mut impl GenericClient) -> DbResult<Vec<Unit>> {
    c.query("SELECT data FROM units ORDER BY level, code", &[])?
        .iter()
        .map(|r| Ok(serde_json::from_str(r.get::<_, &str>(0))?))
        .collect()
}

/// Inserts or updates a unit row; a taken code is `ALREADY_EXISTS`.
pub(crate) fn upsert_unit(tx: &mut Transaction<'_>, u: &Unit) -> DbResult<()> {
    tx.execute(
        "INSERT INTO units(id, code, parent, level, data) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (id) DO UPDATE SET code = excluded.code, parent = excluded.parent,
           level = excluded.level, data = excluded.data",
        &[
            &u.id.to_string(),
            &u.code,
            &u.parent.map(|p| p.to_string()),
            &i64::from(u8::from(u.level)),
            &serde_json::to_string(u)?,
        ],
    )
    .map_err(|e| {
        let e = DbError::from(e);
        if e.is_unique_violation() {
            StoreError::AlreadyExists(format!("单位代码“{}”", u.code)).into()
        } else {
            e
        }
    })?;
    Ok(())
}

/// The unit changed, its audit record, and the cases in the scope of `rescope` (before
/// the change) brought to the scope `org` (after it) gives them.
pub(crate) fn update_unit(
    tx: &mut Transaction<'_>,
    org: &OrgTree,
    unit: &Unit,
    rescope_units: &[UnitId],
    rec: &AuditRecord,
) -> DbResult<usize> {
    upsert_unit(tx, unit)?;
    // The cases before the audit chain's head: see the lock order in `sync`.
    let units: Vec<String> = rescope_units.iter().map(ToString::to_string).collect();
    let changed = rescope(tx, org, &units)?;
    crate::audit::append_audit(tx, rec)?;
    // The org tree travels with the configuration: its counter is taken last (lock order
    // in `sync`).
    crate::config::bump(tx, "org", rec.at)?;
    Ok(changed)
}

/// After the org tree changed (a unit moved, or a police line changed): every case
/// in the scope of `units` gets the scope the new tree gives it. A case whose units
/// change is logged (same version) with tombstones for the units that lost it, so each
/// client's next pull brings the additions and the removals. Returns how many changed.
pub(crate) fn rescope(
    tx: &mut Transaction<'_>,
    org: &OrgTree,
    units: &[String],
) -> DbResult<usize> {
    if units.is_empty() {
        return Ok(0);
    }
    // In id order (a BTreeSet of the ids' text, as `claim` orders a push's cases).
    let mut ids = BTreeSet::new();
    for u in units {
        for r in tx.query("SELECT case_id FROM case_scope WHERE unit_id = $1", &[u])? {
            ids.insert(r.get::<_, String>(0));
        }
    }
    let mut changed = 0;
    for id in ids {
        let Some(c) = cases::lock_case(tx, parse_id(&id)?)? else {
            continue;
        };
        let mut now: Vec<String> = scope_units(&c, org)
            .iter()
            .map(ToString::to_string)
            .collect();
        now.sort();
        let mut before: Vec<String> = tx
            .query("SELECT unit_id FROM case_scope WHERE case_id = $1", &[&id])?
            .iter()
            .map(|r| r.get(0))
            .collect();
        before.sort();
        if before != now {
            let removed = cases::write_scope(tx, &c, &now, false)?;
            sync::record_change(tx, c.id, c.version, &removed)?;
            changed += 1;
        }
    }
    Ok(changed)
}
