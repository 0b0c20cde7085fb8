//! PostgreSQL: `BulkImportStore` (not ported yet where a method says so).
#![allow(unused_imports, unused_variables, clippy::wildcard_imports)]

use chrono::{DateTime, Utc};
use minsheng_domain::case::Case;
use minsheng_domain::ids::UserId;
use minsheng_domain::org::OrgTree;
use minsheng_domain::timeline::TimelineEntry;
use minsheng_store::bulk::*;
use minsheng_store::StoreResult;
use minsheng_store::*;

use crate::PgStore;

impl minsheng_store::bulk::BulkImportStore for PgStore {
    fn begin_bulk_import(
        &self,
        user: UserId,
        key: &str,
        request_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<ImportStart> {
        todo!("PostgreSQL: begin_bulk_import not ported yet")
    }

    fn insert_import_cases(
        &self,
        org: &OrgTree,
        user: UserId,
        key: &str,
        rows: Vec<(usize, Case, Vec<TimelineEntry>)>,
    ) -> StoreResult<Vec<(usize, Case)>> {
        todo!("PostgreSQL: insert_import_cases not ported yet")
    }

    fn finish_bulk_import(
        &self,
        user: UserId,
        key: &str,
        answer: &serde_json::Value,
    ) -> StoreResult<serde_json::Value> {
        todo!("PostgreSQL: finish_bulk_import not ported yet")
    }
}
