//! PostgreSQL: `ConfigStore` (the city's configuration, see `minsheng_store::config`).
//!
//! Concurrency: the version is one counter row (`config_counter`), bumped last in every
//! changing transaction and held until commit, so versions follow commit order. Edits of
//! the configuration itself (calendar, categories, SLA editions, the seed) are also
//! serialised by a transaction-scoped advisory lock taken first: `put_categories`
//! rewrites the whole list and `add_sla_version` numbers the next edition from the
//! last, neither of which is safe with two editors at once. Lock order everywhere:
//! config edit lock → rows → audit chain → version counter.

use chrono::{DateTime, Utc};
use minsheng_domain::calendar::HolidayYear;
use minsheng_domain::config::{CategoryEntry, ConfigSnapshot};
use minsheng_domain::sla::{SlaRules, SlaVersion};
use minsheng_store::config::ConfigStore;
use minsheng_store::{AuditRecord, StoreError, StoreResult};
use postgres::{Client, GenericClient, Transaction};

use crate::audit::append_audit;
use crate::{db, from_ms, ms, DbError, DbResult, PgStore};

/// Advisory lock key of configuration edits ("msconfig" in ASCII, as a number).
const CONFIG_EDIT_LOCK: i64 = 0x6d73_636f_6e66_6967;

fn json_err(e: serde_json::Error) -> DbError {
    DbError::Store(StoreError::Internal(format!("配置数据损坏：{e}")))
}

/// Bumps the configuration version for a change of `kind` (`calendar`, `users`, `org` …)
/// and returns the new version. Call it last in the changing transaction: the counter
/// row stays locked until commit.
pub(crate) fn bump(tx: &mut Transaction<'_>, kind: &str, at: DateTime<Utc>) -> DbResult<i64> {
    let version: i64 = tx
        .query_one(
            "UPDATE config_counter SET last = last + 1 WHERE id = 1 RETURNING last",
            &[],
        )?
        .get(0);
    tx.execute(
        "INSERT INTO config_changes(seq, kind, at) VALUES ($1, $2, $3)",
        &[&version, &kind, &ms(at)],
    )?;
    Ok(version)
}

fn version(c: &mut impl GenericClient) -> DbResult<i64> {
    Ok(
        c.query_one("SELECT last FROM config_counter WHERE id = 1", &[])?
            .get(0),
    )
}

fn lock_edits(tx: &mut Transaction<'_>) -> DbResult<()> {
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&CONFIG_EDIT_LOCK])?;
    Ok(())
}

fn insert_year(tx: &mut Transaction<'_>, y: &HolidayYear, at: DateTime<Utc>) -> DbResult<()> {
    let body = serde_json::to_string(y).map_err(json_err)?;
    tx.execute(
        "INSERT INTO holiday_years(year, body, updated_at) VALUES ($1, $2, $3)
         ON CONFLICT (year) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at",
        &[&y.year, &body, &ms(at)],
    )?;
    Ok(())
}

/// Adds the next SLA edition (under the edit lock: numbered from the last one).
fn insert_sla(
    tx: &mut Transaction<'_>,
    rules: &SlaRules,
    effective_from: DateTime<Utc>,
) -> DbResult<SlaVersion> {
    let next: i64 = tx
        .query_one(
            "SELECT COALESCE(MAX(version), 0) + 1 FROM sla_versions",
            &[],
        )?
        .get(0);
    let body = serde_json::to_string(rules).map_err(json_err)?;
    tx.execute(
        "INSERT INTO sla_versions(version, effective_from, body) VALUES ($1, $2, $3)",
        &[&next, &ms(effective_from), &body],
    )?;
    Ok(SlaVersion {
        version: next,
        effective_from,
        rules: rules.clone(),
    })
}

/// Replaces the category list (under the edit lock: delete and insert are two steps).
fn write_categories(tx: &mut Transaction<'_>, list: &[CategoryEntry]) -> DbResult<()> {
    tx.execute("DELETE FROM categories", &[])?;
    let ins = tx.prepare(
        "INSERT INTO categories(position, name, retired, renamed_to) VALUES ($1, $2, $3, $4)",
    )?;
    for (i, e) in list.iter().enumerate() {
        let position = i64::try_from(i).unwrap_or(i64::MAX);
        tx.execute(&ins, &[&position, &e.name, &e.retired, &e.renamed_to])?;
    }
    Ok(())
}

/// A fresh database starts from the shipped calendars and SPEC §4's rules (once: an
/// existing configuration is never overwritten). Several instances may start at once:
/// the edit lock makes one seed and the others find the version past 0.
pub(crate) fn seed_defaults(client: &mut Client, now: DateTime<Utc>) -> DbResult<()> {
    let mut tx = client.transaction()?;
    lock_edits(&mut tx)?;
    if version(&mut tx)? == 0 {
        let builtin = ConfigSnapshot::builtin();
        for y in &builtin.holiday_years {
            insert_year(&mut tx, y, now)?;
        }
        for v in &builtin.sla {
            insert_sla(&mut tx, &v.rules, v.effective_from)?;
        }
        write_categories(&mut tx, &builtin.categories)?;
        bump(&mut tx, "builtin", now)?;
    }
    tx.commit()?;
    Ok(())
}

impl ConfigStore for PgStore {
    fn config_snapshot(&self) -> StoreResult<ConfigSnapshot> {
        db(|| {
            // One snapshot: the version and the rows it numbers.
            self.read_snapshot(|tx| {
                let version = version(tx)?;
                let holiday_years = tx
                    .query("SELECT body FROM holiday_years ORDER BY year", &[])?
                    .iter()
                    .map(|r| serde_json::from_str(r.get::<_, &str>(0)).map_err(json_err))
                    .collect::<DbResult<Vec<HolidayYear>>>()?;
                let sla = tx
                    .query(
                        "SELECT version, effective_from, body FROM sla_versions ORDER BY version",
                        &[],
                    )?
                    .iter()
                    .map(|r| {
                        Ok(SlaVersion {
                            version: r.get(0),
                            effective_from: from_ms(r.get(1)),
                            rules: serde_json::from_str(r.get::<_, &str>(2)).map_err(json_err)?,
                        })
                    })
                    .collect::<DbResult<Vec<SlaVersion>>>()?;
                let categories = tx
                    .query(
                        "SELECT name, retired, renamed_to FROM categories ORDER BY position",
                        &[],
                    )?
                    .iter()
                    .map(|r| CategoryEntry {
                        name: r.get(0),
                        retired: r.get(1),
                        renamed_to: r.get(2),
                    })
                    .collect();
                Ok(ConfigSnapshot {
                    version,
                    holiday_years,
                    sla,
                    categories,
                })
            })
        })
    }

    fn config_version(&self) -> StoreResult<i64> {
        db(|| self.read(version))
    }

    fn put_holiday_year(&self, year: &HolidayYear, rec: &AuditRecord) -> StoreResult<i64> {
        db(|| {
            self.write(|tx| {
                lock_edits(tx)?;
                insert_year(tx, year, rec.at)?;
                append_audit(tx, rec)?;
                bump(tx, "calendar", rec.at)
            })
        })
    }

    fn put_categories(&self, list: &[CategoryEntry], rec: &AuditRecord) -> StoreResult<i64> {
        db(|| {
            self.write(|tx| {
                lock_edits(tx)?;
                write_categories(tx, list)?;
                append_audit(tx, rec)?;
                bump(tx, "categories", rec.at)
            })
        })
    }

    fn add_sla_version(
        &self,
        rules: &SlaRules,
        effective_from: DateTime<Utc>,
        rec: &AuditRecord,
    ) -> StoreResult<SlaVersion> {
        db(|| {
            self.write(|tx| {
                lock_edits(tx)?;
                let v = insert_sla(tx, rules, effective_from)?;
                append_audit(tx, rec)?;
                bump(tx, "sla", rec.at)?;
                Ok(v)
            })
        })
    }
}
