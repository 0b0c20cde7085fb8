//! SQLite side of org-tree changes: a unit written with its audit record and, when the
//! change moves which cases units see, the affected cases re-scoped, in one transaction.

use crate::DbResult;
use minsheng_domain::ids::UnitId;
use minsheng_domain::org::{OrgTree, Unit};
use minsheng_domain::scope::scope_units;
use rusqlite::{params, Transaction};

use super::{audit, parse_id};
use crate::DbError;
use minsheng_store::AuditRecord;
use minsheng_store::StoreError;

/// Inserts or updates a unit row; a taken code is `ALREADY_EXISTS`.
pub(super) fn upsert_unit(tx: &Transaction<'_>, u: &Unit) -> DbResult<()> {
    tx.prepare_cached(
        "INSERT INTO units(id, code, parent, level, data) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT(id) DO UPDATE SET code = excluded.code, parent = excluded.parent,
           level = excluded.level, data = excluded.data",
    )?
    .execute(params![
        u.id.to_string(),
        u.code,
        u.parent.map(|p| p.to_string()),
        u8::from(u.level),
        serde_json::to_string(u)?
    ])
    .map_err(|e| match e {
        rusqlite::Error::SqliteFailure(f, _)
            if f.code == rusqlite::ErrorCode::ConstraintViolation =>
        {
            DbError::Store(StoreError::AlreadyExists(format!("单位代码“{}”", u.code)))
        }
        e => e.into(),
    })?;
    Ok(())
}

/// The unit changed, its audit record, and the cases in the scope of `rescope` (before
/// the change) brought to the scope `org` (after it) gives them.
pub(super) fn update_unit(
    tx: &Transaction<'_>,
    org: &OrgTree,
    unit: &Unit,
    rescope_units: &[UnitId],
    rec: &AuditRecord,
) -> DbResult<usize> {
    upsert_unit(tx, unit)?;
    audit::append(tx, rec)?;
    // The org tree travels with the configuration: its version tells clients to read it.
    super::config::bump(tx, "org", rec.at)?;
    let units: Vec<String> = rescope_units.iter().map(ToString::to_string).collect();
    rescope(tx, org, &units)
}

/// After the org tree changed (a unit moved, or a police line changed): every case
/// in the scope of `units` gets the scope the new tree gives it. A case whose units
/// change is logged (same version) with tombstones for the units that lost it, so each
/// client's next pull brings the additions and the removals. Returns how many changed.
pub fn rescope(tx: &Transaction<'_>, org: &OrgTree, units: &[String]) -> DbResult<usize> {
    let mut ids = std::collections::BTreeSet::new();
    {
        let mut stmt = tx.prepare_cached("SELECT case_id FROM case_scope WHERE unit_id = ?1")?;
        for u in units {
            for id in stmt.query_map([u], |r| r.get::<_, String>(0))? {
                ids.insert(id?);
            }
        }
    }
    let mut changed = 0;
    for id in ids {
        let Some(c) = super::cases::get_case(tx, parse_id(&id)?)? else {
            continue;
        };
        let mut now: Vec<String> = scope_units(&c, org)
            .iter()
            .map(ToString::to_string)
            .collect();
        now.sort();
        let mut before: Vec<String> = tx
            .prepare_cached("SELECT unit_id FROM case_scope WHERE case_id = ?1")?
            .query_map([&id], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        before.sort();
        if before != now {
            let removed = super::cases::write_scope(tx, &c, &now, false)?;
            super::sync::record_change(tx, c.id, c.version, &removed)?;
            changed += 1;
        }
    }
    Ok(changed)
}
