//! PostgreSQL: `Store`, the core contract (organisation, users, sessions, the login
//! throttle, cases, learning, sync, audit). The SQL lives in the modules of each part.

use chrono::{DateTime, Utc};
use minsheng_domain::case::{Case, CaseState};
use minsheng_domain::ids::{CaseId, CommandId, UnitId, UserId};
use minsheng_domain::org::{OrgTree, Unit};
use minsheng_domain::scope::ListScope;
use minsheng_domain::timeline::TimelineEntry;
use minsheng_store::{
    AuditRecord, CasePage, CaseQuery, CaseUpdate, ChangePage, CommandBatch, DispatchFeedback,
    FeedbackCounts, HistoryCase, IndexedCase, LoginAttemptId, LoginLimits, ProcessedCommand,
    RetiredRefresh, Rotation, SessionRecord, StoreResult, SyncEpoch, UserRecord, WorkListCounts,
};

use crate::{audit, cases, db, learning, login, ms, org, sessions, sync, users, PgStore};

impl minsheng_store::Store for PgStore {
    fn schema_version(&self) -> i64 {
        crate::migrations::latest_version()
    }

    /// Small: a push transaction holds the change-log counter, which every case write
    /// of every instance waits for, until it commits; 16 commands keep that wait short
    /// for a clerk's intake behind a county's reconnecting stations (and well under the
    /// 64 subtransactions PostgreSQL keeps per backend in shared memory).
    fn commands_per_transaction(&self) -> usize {
        16
    }

    fn worker_lock(
        &self,
        name: &str,
        wait: bool,
    ) -> StoreResult<Option<minsheng_store::WorkerLock>> {
        db(|| crate::worker_lock::take(self, name, wait))
    }

    fn units(&self) -> StoreResult<Vec<Unit>> {
        db(|| self.read(org::units))
    }

    fn insert_units(&self, units: &[Unit]) -> StoreResult<()> {
        db(|| {
            self.write(|tx| {
                units.iter().try_for_each(|u| org::upsert_unit(tx, u))?;
                // A new unit is a change of the configuration clients hold (the org tree
                // travels with it); the config counter is taken last (lock order: sync).
                crate::config::bump(tx, "org", chrono::Utc::now())?;
                Ok(())
            })
        })
    }

    fn update_unit(
        &self,
        org: &OrgTree,
        unit: &Unit,
        rescope: &[UnitId],
        audit: &AuditRecord,
    ) -> StoreResult<usize> {
        db(|| self.write_cases(|tx| org::update_unit(tx, org, unit, rescope, audit)))
    }

    fn insert_user(&self, user: &UserRecord) -> StoreResult<()> {
        db(|| self.write(|tx| users::insert_user(tx, user)))
    }

    fn user(&self, id: UserId) -> StoreResult<Option<UserRecord>> {
        db(|| self.read(|c| users::user_by_id(c, id)))
    }

    fn user_by_username(&self, username: &str) -> StoreResult<Option<UserRecord>> {
        db(|| self.read(|c| users::user_by_username(c, username)))
    }

    fn list_users(&self, unit: Option<UnitId>) -> StoreResult<Vec<UserRecord>> {
        db(|| self.read(|c| users::list_users(c, unit)))
    }

    fn update_user(&self, user: &UserRecord) -> StoreResult<()> {
        db(|| self.write(|tx| users::update_user(tx, user)))
    }

    fn insert_session(&self, s: &SessionRecord) -> StoreResult<()> {
        db(|| {
            self.write(|tx| {
                sessions::insert(tx, s)?;
                sessions::forget_expired(tx, ms(s.created_at))
            })
        })
    }

    fn session_by_access(&self, access_hash: &str) -> StoreResult<Option<SessionRecord>> {
        db(|| self.read(|c| sessions::by_access(c, access_hash)))
    }

    fn session_by_refresh(&self, refresh_hash: &str) -> StoreResult<Option<SessionRecord>> {
        db(|| self.read(|c| sessions::by_refresh(c, refresh_hash)))
    }

    fn retired_refresh(&self, refresh_hash: &str) -> StoreResult<Option<RetiredRefresh>> {
        db(|| self.read(|c| sessions::retired(c, refresh_hash)))
    }

    fn rotate_session(&self, refresh_hash: &str, next: &SessionRecord) -> StoreResult<Rotation> {
        db(|| self.write(|tx| sessions::rotate(tx, refresh_hash, next)))
    }

    fn delete_session_family(&self, family: &str) -> StoreResult<usize> {
        db(|| self.write(|tx| sessions::delete_family(tx, family)))
    }

    fn delete_session(&self, id: &str) -> StoreResult<()> {
        db(|| self.write(|tx| sessions::delete(tx, id)))
    }

    fn delete_user_sessions(&self, user: UserId) -> StoreResult<()> {
        db(|| self.write(|tx| sessions::delete_user(tx, user)))
    }

    fn reserve_login_attempt(
        &self,
        account: &str,
        ip: &str,
        now: DateTime<Utc>,
        limits: &LoginLimits,
    ) -> StoreResult<Option<LoginAttemptId>> {
        let schema = self.schema().unwrap_or_default();
        db(|| self.write(|tx| login::reserve(tx, schema, account, ip, now, limits)))
    }

    fn login_succeeded(
        &self,
        account: &str,
        ip: &str,
        now: DateTime<Utc>,
        forget_before: DateTime<Utc>,
    ) -> StoreResult<()> {
        db(|| self.write(|tx| login::succeeded(tx, account, ip, now, forget_before)))
    }

    fn release_login_attempt(&self, id: LoginAttemptId) -> StoreResult<()> {
        db(|| self.write(|tx| login::release(tx, id)))
    }

    fn insert_cases(
        &self,
        org: &OrgTree,
        cases: Vec<(Case, Vec<TimelineEntry>)>,
    ) -> StoreResult<Vec<Case>> {
        db(|| self.write_cases(|tx| cases::insert_cases(tx, org, cases)))
    }

    fn case(&self, id: CaseId) -> StoreResult<Option<Case>> {
        db(|| self.read(|c| cases::get_case(c, id)))
    }

    fn update_case(
        &self,
        org: &OrgTree,
        id: CaseId,
        expected_version: Option<u64>,
        f: &mut dyn FnMut(&Case, &TimelineEntry) -> StoreResult<CaseUpdate>,
    ) -> StoreResult<Case> {
        db(|| self.write_cases(|tx| cases::update_case(tx, org, id, expected_version, f)))
    }

    fn list_cases(&self, q: &CaseQuery) -> StoreResult<CasePage> {
        db(|| self.read(|c| cases::list_cases(c, q)))
    }

    fn count_cases(&self, q: &CaseQuery) -> StoreResult<u64> {
        db(|| self.read(|c| cases::count_cases(c, q)))
    }

    fn timeline(&self, id: CaseId) -> StoreResult<Vec<TimelineEntry>> {
        db(|| self.read(|c| cases::timeline(c, id)))
    }

    fn timelines_json(
        &self,
        ids: &[CaseId],
        known_at: Option<u64>,
    ) -> StoreResult<Vec<Box<serde_json::value::RawValue>>> {
        db(|| self.read(|c| cases::timelines_json(c, ids, known_at)))
    }

    fn worklist_counts(
        &self,
        scope: &ListScope,
        now: DateTime<Utc>,
    ) -> StoreResult<WorkListCounts> {
        db(|| self.read(|c| cases::worklist_counts(c, scope, now)))
    }

    fn for_each_indexable_case(
        &self,
        recent_since: DateTime<Utc>,
        f: &mut dyn FnMut(IndexedCase),
    ) -> StoreResult<u64> {
        db(|| self.read_snapshot(|tx| learning::for_each_indexable_case(tx, recent_since, f)))
    }

    fn for_each_history_case(
        &self,
        f: &mut dyn FnMut(HistoryCase) -> StoreResult<()>,
    ) -> StoreResult<u64> {
        db(|| self.read_snapshot(|tx| learning::for_each_history_case(tx, f)))
    }

    fn duplicates_of_masters_in(
        &self,
        duplicate_state: CaseState,
        master_states: &[CaseState],
        limit: usize,
    ) -> StoreResult<Vec<(CaseId, CaseId)>> {
        db(|| {
            self.read(|c| {
                learning::duplicates_of_masters_in(c, duplicate_state, master_states, limit)
            })
        })
    }

    fn case_ids_by_phone(&self, phone: &str, limit: usize) -> StoreResult<Vec<CaseId>> {
        db(|| self.read(|c| learning::case_ids_by_phone(c, phone, limit)))
    }

    fn record_dispatch_feedback(&self, fb: &DispatchFeedback) -> StoreResult<()> {
        db(|| self.write(|tx| learning::record_dispatch_feedback(tx, fb)))
    }

    fn dispatch_feedback_counts(
        &self,
        since: Option<DateTime<Utc>>,
    ) -> StoreResult<FeedbackCounts> {
        db(|| self.read(|c| learning::dispatch_feedback_counts(c, since)))
    }

    fn processed_command(&self, id: CommandId) -> StoreResult<Option<ProcessedCommand>> {
        db(|| self.read(|c| sync::processed_command(c, id)))
    }

    fn run_batch(
        &self,
        org: &OrgTree,
        f: &mut dyn FnMut(&mut dyn CommandBatch) -> StoreResult<()>,
    ) -> StoreResult<()> {
        db(|| self.write_cases(|tx| Ok(f(&mut sync::TxBatch { tx, org })?)))
    }

    fn ack_seq(&self, install_id: &str) -> StoreResult<Option<u64>> {
        db(|| self.read(|c| sync::ack_seq(c, install_id)))
    }

    fn sync_epoch(&self) -> StoreResult<SyncEpoch> {
        db(|| self.read(sync::epoch))
    }

    fn change_log_head(&self) -> StoreResult<u64> {
        db(|| {
            self.read(|c| {
                let n: i64 = c
                    .query_one("SELECT COALESCE(MAX(seq), 0) FROM changes", &[])?
                    .try_get(0)?;
                Ok(u64::try_from(n).unwrap_or(0))
            })
        })
    }

    fn changes_since(
        &self,
        scope: &ListScope,
        after: u64,
        limit: usize,
    ) -> StoreResult<ChangePage> {
        // One snapshot for the whole page (REPEATABLE READ).
        db(|| self.read_snapshot(|tx| sync::changes_since(tx, scope, after, limit)))
    }

    fn audit(&self, rec: &AuditRecord) -> StoreResult<()> {
        db(|| self.write(|tx| audit::append_audit(tx, rec)))
    }

    fn audit_log(&self, limit: usize) -> StoreResult<Vec<AuditRecord>> {
        db(|| self.read(|c| audit::newest(c, limit)))
    }

    fn audit_chain(&self) -> StoreResult<Vec<minsheng_domain::audit::AuditLink>> {
        db(|| self.read(audit::chain))
    }
}
