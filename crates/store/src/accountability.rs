//! 责任倒查 storage: accountability records of substantiated 涉警投诉 and their
//! append-only trails. A record is opened inside `Store::update_case` (its
//! `CaseUpdate::WriteAndOpen`), in the transaction of the action that found the
//! complaint substantiated, at most once per case; the stores keep no rule of who may
//! read or change one.

use chrono::{DateTime, Utc};
use minsheng_domain::accountability::{
    AccountabilityEntry, AccountabilityRecord, AccountabilityState,
};
use minsheng_domain::ids::{AccountabilityId, CaseId, UnitId};

use crate::StoreResult;

/// A record to open with the first entry of its trail (`open`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountabilityOpening {
    pub record: AccountabilityRecord,
    pub entry: AccountabilityEntry,
}

/// Filters of the record list; newest opened first.
#[derive(Debug, Clone, Default)]
pub struct AccountabilityQuery {
    pub state: Option<AccountabilityState>,
    /// Records of these responsible units (empty: any).
    pub units: Vec<UnitId>,
    /// Substring of the case number or title.
    pub text: Option<String>,
    pub offset: usize,
    pub limit: usize,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccountabilityPage {
    pub items: Vec<AccountabilityRecord>,
    pub total: u64,
}

/// The step `update_accountability` runs on the locked record and its last entry: the
/// record to write and the entry to append.
pub type AccountabilityStepFn<'a> = dyn FnMut(
        &AccountabilityRecord,
        &AccountabilityEntry,
    ) -> StoreResult<(AccountabilityRecord, AccountabilityEntry)>
    + 'a;

pub trait AccountabilityStore {
    fn accountability_records(&self, q: &AccountabilityQuery) -> StoreResult<AccountabilityPage>;
    fn accountability_record(
        &self,
        id: AccountabilityId,
    ) -> StoreResult<Option<AccountabilityRecord>>;
    /// The record a case opened, if any.
    fn accountability_of_case(&self, case: CaseId) -> StoreResult<Option<AccountabilityRecord>>;
    /// The record's trail, oldest first.
    fn accountability_trail(&self, id: AccountabilityId) -> StoreResult<Vec<AccountabilityEntry>>;
    /// Runs `f` on the locked record and the last entry of its trail in one write
    /// transaction; writes what it returns (the version bumped by the store) and appends
    /// the entry. `expected_version`, when given, must match (else `StaleVersion`).
    fn update_accountability(
        &self,
        id: AccountabilityId,
        expected_version: Option<u64>,
        f: &mut AccountabilityStepFn<'_>,
    ) -> StoreResult<AccountabilityRecord>;
    /// Records in `state` whose decision falls in `[from, to)` (the assessment's input).
    fn accountability_decided(
        &self,
        state: AccountabilityState,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<AccountabilityRecord>>;
}

/// The text a list's `text` filter matches: number and title.
pub fn search_text(r: &AccountabilityRecord) -> String {
    format!(
        "{} {}",
        r.case_number.as_deref().unwrap_or_default(),
        r.case_title
    )
}

/// The instant a record counts from in the assessment (its decision).
pub fn decided_at(r: &AccountabilityRecord) -> Option<DateTime<Utc>> {
    r.decision.as_ref().map(|d| d.at)
}
