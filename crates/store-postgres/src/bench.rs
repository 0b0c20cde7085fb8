//! Helpers for the benchmarks on this backend (server-bench, analytics-bench), as the
//! SQLite backend's `bench` module: row counts and sizes, and the scope rows of cases
//! whose facts were written without storing the cases (`--facts-only`).

use minsheng_domain::case::Case;
use minsheng_domain::org::OrgTree;
use minsheng_domain::scope::scope_units;
use minsheng_store::StoreResult;

use crate::{db, PgStore};

impl PgStore {
    /// Rows of `table` (the caller's constant; identifiers are not parameters).
    pub fn count_rows(&self, table: &str) -> StoreResult<i64> {
        db(|| {
            self.read(|c| {
                Ok(c.query_one(&format!("SELECT COUNT(*) FROM {table}"), &[])?
                    .try_get(0)?)
            })
        })
    }

    /// Bytes on disk of every table and index in this store's schema.
    pub fn size_bytes(&self) -> StoreResult<i64> {
        db(|| {
            self.read(|c| {
                Ok(c.query_one(
                    "SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0)::BIGINT
                     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                     WHERE n.nspname = current_schema() AND c.relkind = 'r'",
                    &[],
                )?
                .try_get(0)?)
            })
        })
    }

    /// The `case_scope` rows of `cases` (who may list them), without the cases.
    pub fn insert_scope_rows(&self, org: &OrgTree, cases: &[Case]) -> StoreResult<()> {
        db(|| {
            self.write(|tx| {
                let stmt = tx.prepare(
                    "INSERT INTO case_scope(unit_id, case_id, received_at, state)
                     VALUES ($1, $2, $3, $4)",
                )?;
                for c in cases {
                    for u in scope_units(c, org) {
                        tx.execute(
                            &stmt,
                            &[
                                &u.to_string(),
                                &c.id.to_string(),
                                &c.received_at.timestamp_millis(),
                                &c.state.code(),
                            ],
                        )?;
                    }
                }
                Ok(())
            })
        })
    }
}
