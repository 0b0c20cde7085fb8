//! Storage of keyed bulk imports (`POST /intake/bulk` with an `Idempotency-Key`): the
//! key with the hash of its request and, once answered, the answer; and the case each
//! stored row became, written in the transaction that stores the case. So a retry
//! after a lost answer gets the first answer, and one after a failure half-way stores
//! only the rows not stored yet.

use chrono::{DateTime, Utc};
use minsheng_domain::case::Case;
use minsheng_domain::ids::UserId;
use minsheng_domain::org::OrgTree;
use minsheng_domain::timeline::TimelineEntry;

use super::StoreResult;

/// What `begin_bulk_import` found under a key.
#[derive(Debug, Clone)]
pub enum ImportStart {
    /// Not answered yet (new, or an earlier attempt failed or is still running): the
    /// rows already stored under the key, by 0-based row index, with their cases.
    Open(Vec<(usize, Case)>),
    /// Answered before: the answer as it was sent.
    Done(serde_json::Value),
    /// The key names another request (another body or channel).
    Mismatch,
}

/// Implemented by every backend; part of `Store`.
pub trait BulkImportStore {
    /// Records `key` of `user` for the request hashed `request_hash` unless known, in one
    /// transaction, and says what was found.
    fn begin_bulk_import(
        &self,
        user: UserId,
        key: &str,
        request_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<ImportStart>;
    /// `Store::insert_cases` for rows of a keyed import: each case is recorded under
    /// (user, key, row) in the same transaction. A row recorded already (an attempt
    /// running at the same time) is not stored again; its case is returned instead.
    /// Returns (row, case) in the order given.
    fn insert_import_cases(
        &self,
        org: &OrgTree,
        user: UserId,
        key: &str,
        rows: Vec<(usize, Case, Vec<TimelineEntry>)>,
    ) -> StoreResult<Vec<(usize, Case)>>;
    /// Stores the answer of a keyed import unless one is stored already; returns the
    /// stored answer (the first one).
    fn finish_bulk_import(
        &self,
        user: UserId,
        key: &str,
        answer: &serde_json::Value,
    ) -> StoreResult<serde_json::Value>;
}
