//! SQLite side of the configuration (see `storage::config`).

use crate::{db, DbResult};
use chrono::{DateTime, Utc};
use minsheng_domain::calendar::HolidayYear;
use minsheng_domain::config::{CategoryEntry, ConfigSnapshot};
use minsheng_domain::sla::{SlaRules, SlaVersion};
use rusqlite::{params, Connection, Transaction};

use super::{audit, from_ms, ms, SqliteStore};
use crate::DbError;
use minsheng_store::config::ConfigStore;
use minsheng_store::StoreError;
use minsheng_store::{AuditRecord, StoreResult};

pub(super) const MIGRATION: &str = r"
CREATE TABLE config_changes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    at INTEGER NOT NULL
);
CREATE TABLE holiday_years (
    year INTEGER PRIMARY KEY,
    body TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE TABLE sla_versions (
    version INTEGER PRIMARY KEY,
    effective_from INTEGER NOT NULL,
    body TEXT NOT NULL
);
CREATE TABLE categories (
    position INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    retired INTEGER NOT NULL DEFAULT 0,
    renamed_to TEXT
);
";

fn json_err(e: serde_json::Error) -> DbError {
    DbError::Store(StoreError::Internal(format!("配置数据损坏：{e}")))
}

pub(super) fn bump(tx: &Transaction<'_>, kind: &str, at: DateTime<Utc>) -> DbResult<i64> {
    tx.execute(
        "INSERT INTO config_changes(kind, at) VALUES (?1, ?2)",
        params![kind, ms(at)],
    )?;
    Ok(tx.last_insert_rowid())
}

fn version(conn: &Connection) -> DbResult<i64> {
    Ok(conn.query_row(
        "SELECT COALESCE(MAX(seq), 0) FROM config_changes",
        [],
        |r| r.get(0),
    )?)
}

fn insert_year(tx: &Transaction<'_>, y: &HolidayYear, at: DateTime<Utc>) -> DbResult<()> {
    tx.execute(
        "INSERT INTO holiday_years(year, body, updated_at) VALUES (?1, ?2, ?3)
         ON CONFLICT(year) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at",
        params![y.year, serde_json::to_string(y).map_err(json_err)?, ms(at)],
    )?;
    Ok(())
}

fn insert_sla(
    tx: &Transaction<'_>,
    rules: &SlaRules,
    effective_from: DateTime<Utc>,
) -> DbResult<SlaVersion> {
    let next: i64 = tx.query_row(
        "SELECT COALESCE(MAX(version), 0) + 1 FROM sla_versions",
        [],
        |r| r.get(0),
    )?;
    tx.execute(
        "INSERT INTO sla_versions(version, effective_from, body) VALUES (?1, ?2, ?3)",
        params![
            next,
            ms(effective_from),
            serde_json::to_string(rules).map_err(json_err)?
        ],
    )?;
    Ok(SlaVersion {
        version: next,
        effective_from,
        rules: rules.clone(),
    })
}

fn write_categories(tx: &Transaction<'_>, list: &[CategoryEntry]) -> DbResult<()> {
    tx.execute("DELETE FROM categories", [])?;
    let mut ins = tx.prepare(
        "INSERT INTO categories(position, name, retired, renamed_to) VALUES (?1, ?2, ?3, ?4)",
    )?;
    for (i, e) in list.iter().enumerate() {
        ins.execute(params![i, e.name, e.retired, e.renamed_to])?;
    }
    Ok(())
}

/// A fresh database starts from the shipped calendars and SPEC §4's rules (once: an
/// existing configuration is never overwritten).
pub(super) fn seed_defaults(conn: &mut Connection, now: DateTime<Utc>) -> DbResult<()> {
    let tx = conn.transaction()?;
    if version(&tx)? == 0 {
        let builtin = ConfigSnapshot::builtin();
        for y in &builtin.holiday_years {
            insert_year(&tx, y, now)?;
        }
        for v in &builtin.sla {
            insert_sla(&tx, &v.rules, v.effective_from)?;
        }
        write_categories(&tx, &builtin.categories)?;
        bump(&tx, "builtin", now)?;
    }
    tx.commit()?;
    Ok(())
}

impl ConfigStore for SqliteStore {
    fn config_snapshot(&self) -> StoreResult<ConfigSnapshot> {
        db(|| {
            let mut conn = self.conn()?;
            // One snapshot: the version and the rows it numbers.
            let tx = conn.transaction()?;
            let version = version(&tx)?;
            let holiday_years = tx
                .prepare("SELECT body FROM holiday_years ORDER BY year")?
                .query_map([], |r| r.get::<_, String>(0))?
                .map(|b| serde_json::from_str(&b?).map_err(json_err))
                .collect::<DbResult<Vec<HolidayYear>>>()?;
            let sla = tx
                .prepare("SELECT version, effective_from, body FROM sla_versions ORDER BY version")?
                .query_map([], |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, i64>(1)?,
                        r.get::<_, String>(2)?,
                    ))
                })?
                .map(|row| {
                    let (version, from, body) = row?;
                    Ok(SlaVersion {
                        version,
                        effective_from: from_ms(from),
                        rules: serde_json::from_str(&body).map_err(json_err)?,
                    })
                })
                .collect::<DbResult<Vec<SlaVersion>>>()?;
            let categories = tx
                .prepare("SELECT name, retired, renamed_to FROM categories ORDER BY position")?
                .query_map([], |r| {
                    Ok(CategoryEntry {
                        name: r.get(0)?,
                        retired: r.get(1)?,
                        renamed_to: r.get(2)?,
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(ConfigSnapshot {
                version,
                holiday_years,
                sla,
                categories,
            })
        })
    }

    fn config_version(&self) -> StoreResult<i64> {
        db(|| version(&*self.conn()?))
    }

    fn put_holiday_year(&self, year: &HolidayYear, rec: &AuditRecord) -> StoreResult<i64> {
        db(|| {
            self.write(|tx| {
                insert_year(tx, year, rec.at)?;
                audit::append(tx, rec)?;
                bump(tx, "calendar", rec.at)
            })
        })
    }

    fn put_categories(&self, list: &[CategoryEntry], rec: &AuditRecord) -> StoreResult<i64> {
        db(|| {
            self.write(|tx| {
                write_categories(tx, list)?;
                audit::append(tx, rec)?;
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
                let v = insert_sla(tx, rules, effective_from)?;
                audit::append(tx, rec)?;
                bump(tx, "sla", rec.at)?;
                Ok(v)
            })
        })
    }
}
