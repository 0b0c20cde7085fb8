//! PostgreSQL: `Store` (not ported yet where a method says so).
#![allow(unused_imports, unused_variables, clippy::wildcard_imports)]

use chrono::{DateTime, Utc};
use minsheng_domain::case::{Case, CaseState, Channel, RequestType};
use minsheng_domain::ids::{CaseId, CommandId, UnitId, UserId};
use minsheng_domain::lists::WorkList;
use minsheng_domain::org::{OrgTree, Unit};
use minsheng_domain::role::Role;
use minsheng_domain::scope::ListScope;
use minsheng_domain::timeline::TimelineEntry;
use minsheng_store::*;
use serde::{Deserialize, Serialize};

use crate::PgStore;

impl minsheng_store::Store for PgStore {
    fn schema_version(&self) -> i64 {
        crate::migrations::latest_version()
    }

    fn units(&self) -> StoreResult<Vec<Unit>> {
        todo!("PostgreSQL: units not ported yet")
    }

    fn insert_units(&self, units: &[Unit]) -> StoreResult<()> {
        todo!("PostgreSQL: insert_units not ported yet")
    }

    fn update_unit(
        &self,
        org: &OrgTree,
        unit: &Unit,
        rescope: &[UnitId],
        audit: &AuditRecord,
    ) -> StoreResult<usize> {
        todo!("PostgreSQL: update_unit not ported yet")
    }

    fn insert_user(&self, user: &UserRecord) -> StoreResult<()> {
        todo!("PostgreSQL: insert_user not ported yet")
    }

    fn user(&self, id: UserId) -> StoreResult<Option<UserRecord>> {
        todo!("PostgreSQL: user not ported yet")
    }

    fn user_by_username(&self, username: &str) -> StoreResult<Option<UserRecord>> {
        todo!("PostgreSQL: user_by_username not ported yet")
    }

    fn list_users(&self, unit: Option<UnitId>) -> StoreResult<Vec<UserRecord>> {
        todo!("PostgreSQL: list_users not ported yet")
    }

    fn update_user(&self, user: &UserRecord) -> StoreResult<()> {
        todo!("PostgreSQL: update_user not ported yet")
    }

    fn insert_session(&self, s: &SessionRecord) -> StoreResult<()> {
        todo!("PostgreSQL: insert_session not ported yet")
    }

    fn session_by_access(&self, access_hash: &str) -> StoreResult<Option<SessionRecord>> {
        todo!("PostgreSQL: session_by_access not ported yet")
    }

    fn session_by_refresh(&self, refresh_hash: &str) -> StoreResult<Option<SessionRecord>> {
        todo!("PostgreSQL: session_by_refresh not ported yet")
    }

    fn retired_refresh(&self, refresh_hash: &str) -> StoreResult<Option<RetiredRefresh>> {
        todo!("PostgreSQL: retired_refresh not ported yet")
    }

    fn rotate_session(&self, refresh_hash: &str, next: &SessionRecord) -> StoreResult<Rotation> {
        todo!("PostgreSQL: rotate_session not ported yet")
    }

    fn delete_session_family(&self, family: &str) -> StoreResult<usize> {
        todo!("PostgreSQL: delete_session_family not ported yet")
    }

    fn delete_session(&self, id: &str) -> StoreResult<()> {
        todo!("PostgreSQL: delete_session not ported yet")
    }

    fn delete_user_sessions(&self, user: UserId) -> StoreResult<()> {
        todo!("PostgreSQL: delete_user_sessions not ported yet")
    }

    fn reserve_login_attempt(
        &self,
        account: &str,
        ip: &str,
        now: DateTime<Utc>,
        limits: &LoginLimits,
    ) -> StoreResult<Option<LoginAttemptId>> {
        todo!("PostgreSQL: reserve_login_attempt not ported yet")
    }

    fn login_succeeded(
        &self,
        account: &str,
        ip: &str,
        now: DateTime<Utc>,
        forget_before: DateTime<Utc>,
    ) -> StoreResult<()> {
        todo!("PostgreSQL: login_succeeded not ported yet")
    }

    fn release_login_attempt(&self, id: LoginAttemptId) -> StoreResult<()> {
        todo!("PostgreSQL: release_login_attempt not ported yet")
    }

    fn insert_cases(
        &self,
        org: &OrgTree,
        cases: Vec<(Case, Vec<TimelineEntry>)>,
    ) -> StoreResult<Vec<Case>> {
        todo!("PostgreSQL: insert_cases not ported yet")
    }

    fn case(&self, id: CaseId) -> StoreResult<Option<Case>> {
        todo!("PostgreSQL: case not ported yet")
    }

    fn update_case(
        &self,
        org: &OrgTree,
        id: CaseId,
        expected_version: Option<u64>,
        f: &mut dyn FnMut(&Case, &TimelineEntry) -> StoreResult<CaseUpdate>,
    ) -> StoreResult<Case> {
        todo!("PostgreSQL: update_case not ported yet")
    }

    fn list_cases(&self, q: &CaseQuery) -> StoreResult<CasePage> {
        todo!("PostgreSQL: list_cases not ported yet")
    }

    fn count_cases(&self, q: &CaseQuery) -> StoreResult<u64> {
        todo!("PostgreSQL: count_cases not ported yet")
    }

    fn timeline(&self, id: CaseId) -> StoreResult<Vec<TimelineEntry>> {
        todo!("PostgreSQL: timeline not ported yet")
    }

    fn timelines_json(
        &self,
        ids: &[CaseId],
        known_at: Option<u64>,
    ) -> StoreResult<Vec<Box<serde_json::value::RawValue>>> {
        todo!("PostgreSQL: timelines_json not ported yet")
    }

    fn worklist_counts(
        &self,
        scope: &ListScope,
        now: DateTime<Utc>,
    ) -> StoreResult<WorkListCounts> {
        todo!("PostgreSQL: worklist_counts not ported yet")
    }

    fn for_each_indexable_case(
        &self,
        recent_since: DateTime<Utc>,
        f: &mut dyn FnMut(IndexedCase),
    ) -> StoreResult<u64> {
        todo!("PostgreSQL: for_each_indexable_case not ported yet")
    }

    fn for_each_history_case(
        &self,
        f: &mut dyn FnMut(HistoryCase) -> StoreResult<()>,
    ) -> StoreResult<u64> {
        todo!("PostgreSQL: for_each_history_case not ported yet")
    }

    fn duplicates_of_masters_in(
        &self,
        duplicate_state: CaseState,
        master_states: &[CaseState],
        limit: usize,
    ) -> StoreResult<Vec<(CaseId, CaseId)>> {
        todo!("PostgreSQL: duplicates_of_masters_in not ported yet")
    }

    fn case_ids_by_phone(&self, phone: &str, limit: usize) -> StoreResult<Vec<CaseId>> {
        todo!("PostgreSQL: case_ids_by_phone not ported yet")
    }

    fn record_dispatch_feedback(&self, fb: &DispatchFeedback) -> StoreResult<()> {
        todo!("PostgreSQL: record_dispatch_feedback not ported yet")
    }

    fn dispatch_feedback_counts(
        &self,
        since: Option<DateTime<Utc>>,
    ) -> StoreResult<FeedbackCounts> {
        todo!("PostgreSQL: dispatch_feedback_counts not ported yet")
    }

    fn processed_command(&self, id: CommandId) -> StoreResult<Option<ProcessedCommand>> {
        todo!("PostgreSQL: processed_command not ported yet")
    }

    fn run_batch(
        &self,
        org: &OrgTree,
        f: &mut dyn FnMut(&mut dyn CommandBatch) -> StoreResult<()>,
    ) -> StoreResult<()> {
        todo!("PostgreSQL: run_batch not ported yet")
    }

    fn ack_seq(&self, install_id: &str) -> StoreResult<Option<u64>> {
        todo!("PostgreSQL: ack_seq not ported yet")
    }

    fn sync_epoch(&self) -> StoreResult<SyncEpoch> {
        todo!("PostgreSQL: sync_epoch not ported yet")
    }

    fn changes_since(
        &self,
        scope: &ListScope,
        after: u64,
        limit: usize,
    ) -> StoreResult<ChangePage> {
        todo!("PostgreSQL: changes_since not ported yet")
    }

    fn audit(&self, rec: &AuditRecord) -> StoreResult<()> {
        todo!("PostgreSQL: audit not ported yet")
    }

    fn audit_log(&self, limit: usize) -> StoreResult<Vec<AuditRecord>> {
        todo!("PostgreSQL: audit_log not ported yet")
    }

    fn audit_chain(&self) -> StoreResult<Vec<minsheng_domain::audit::AuditLink>> {
        todo!("PostgreSQL: audit_chain not ported yet")
    }
}
