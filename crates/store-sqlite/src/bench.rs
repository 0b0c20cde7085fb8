//! Helpers for the SQLite benchmarks (server-bench, analytics-bench), which measure
//! this backend's file directly: row counts, and the scope rows of cases whose facts
//! were written without storing the cases (`--facts-only`, for sizes whose timelines
//! would not fit on disk).

use std::path::Path;

use minsheng_domain::case::Case;
use minsheng_domain::org::OrgTree;
use minsheng_domain::scope::scope_units;
use minsheng_store::StoreResult;
use rusqlite::params;

use crate::{db, SqliteStore};

/// Rows of `table` in the database file at `path`, optionally where `column` = `value`.
/// `table` and `column` are the caller's constants (identifiers are not parameters).
pub fn count_rows(path: &Path, table: &str, filter: Option<(&str, &str)>) -> StoreResult<i64> {
    db(|| {
        let conn = rusqlite::Connection::open(path)?;
        Ok(match filter {
            None => conn.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))?,
            Some((column, value)) => conn.query_row(
                &format!("SELECT COUNT(*) FROM {table} WHERE {column} = ?1"),
                [value],
                |r| r.get(0),
            )?,
        })
    })
}

impl SqliteStore {
    /// The `case_scope` rows of `cases` (who may list them), without the cases.
    pub fn insert_scope_rows(&self, org: &OrgTree, cases: &[Case]) -> StoreResult<()> {
        db(|| {
            self.write(|tx| {
                let mut stmt = tx.prepare_cached(
                    "INSERT INTO case_scope(unit_id, case_id, received_at, state) VALUES (?1, ?2, ?3, ?4)",
                )?;
                for c in cases {
                    for u in scope_units(c, org) {
                        stmt.execute(params![
                            u.to_string(),
                            c.id.to_string(),
                            c.received_at.timestamp_millis(),
                            c.state.code()
                        ])?;
                    }
                }
                Ok(())
            })
        })
    }
}
