//! The storage boundary. Handlers see only this trait, so the embedded SQLite backend
//! and a PostgreSQL backend (several stateless server instances) are interchangeable.
//!
//! Methods are blocking and coarse-grained (one method = one transaction); handlers
//! call them from `spawn_blocking`. Read-modify-write of a case goes through
//! `update_case`, whose closure runs inside the backend's write transaction with the
//! case row locked (SQLite: `BEGIN IMMEDIATE`; PostgreSQL: `SELECT … FOR UPDATE`).

pub mod accountability;
pub mod admin;
pub mod assessment;
pub mod attachments;
pub mod bulk;
pub mod config;
#[cfg(feature = "conformance")]
pub mod conformance;
mod error;
pub mod knowledge;
mod learning;
pub mod notify;
pub mod ops;
pub mod releases;
pub mod rollup;
pub mod supervisors;
pub mod sync;

pub use error::{StoreError, StoreResult};
pub use learning::{DispatchFeedback, FeedbackCounts, HistoryCase, IndexedCase};
pub use sync::{ChangePage, CommandBatch, CommandKey, CommandTx, ProcessedCommand, SyncEpoch};

use chrono::{DateTime, Utc};
use minsheng_domain::case::{Case, CaseState, Channel, RequestType};
use minsheng_domain::ids::{CaseId, CommandId, UnitId, UserId};
use minsheng_domain::lists::WorkList;
use minsheng_domain::org::{OrgTree, Unit};
use minsheng_domain::role::Role;
use minsheng_domain::scope::ListScope;
use minsheng_domain::timeline::TimelineEntry;
use serde::{Deserialize, Serialize};

/// An instant as every backend stores it: milliseconds since the epoch (the rollup
/// arithmetic and the Beijing-day bucketing work on these).
pub fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

/// The instant of a stored millisecond count.
pub fn from_ms(v: i64) -> DateTime<Utc> {
    use chrono::TimeZone;
    Utc.timestamp_millis_opt(v).single().unwrap_or_default()
}

/// An SQL list literal of the states `pred` selects, e.g. `('pendingSignIn','inProgress')`:
/// the same text on every backend (the codes are fixed identifiers, no quoting needed).
pub fn states_sql(pred: fn(CaseState) -> bool) -> String {
    let quoted: Vec<String> = state_codes(pred)
        .into_iter()
        .map(|c| format!("'{c}'"))
        .collect();
    format!("({})", quoted.join(","))
}

/// The codes of the case states a domain predicate selects (e.g.
/// `CaseState::is_handling`, `CaseState::is_follow_up_phase`): backends filter by these
/// sets instead of keeping their own lists.
pub fn state_codes(pred: fn(CaseState) -> bool) -> Vec<String> {
    CaseState::ALL
        .iter()
        .copied()
        .filter(|s| pred(*s))
        .map(CaseState::code)
        .collect()
}

/// A staff account as stored (the hash never leaves the server).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRecord {
    pub id: UserId,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub unit_id: UnitId,
    pub phone: Option<String>,
    pub password_hash: String,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    /// When the password was last set (by the user, or by an admin).
    pub password_changed_at: DateTime<Utc>,
    /// Set with a password an admin chose (new account, reset): the user must replace it.
    pub must_change_password: bool,
}

/// A login session: an access token (short-lived) and a refresh token (rotated on use).
/// Only SHA-256 hashes of the tokens are stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    pub id: String,
    pub user_id: UserId,
    pub access_hash: String,
    pub access_expires: DateTime<Utc>,
    pub refresh_hash: String,
    pub refresh_expires: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    /// The login this session descends from: set at login, carried on every rotation.
    pub family: String,
    /// The family's absolute end (login time + `Settings::session_absolute_secs`).
    pub family_expires: DateTime<Utc>,
}

/// A refresh token that was exchanged (rotated away). Kept until its family's absolute
/// end, so that presenting it again is recognised as reuse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetiredRefresh {
    pub family: String,
    pub user_id: UserId,
    pub retired_at: DateTime<Utc>,
    pub family_expires: DateTime<Utc>,
}

/// What `rotate_session` found under a refresh token hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rotation {
    /// A live session held it; it was replaced (this is the old one).
    Rotated(SessionRecord),
    /// It was exchanged before; nothing was changed.
    Retired(RetiredRefresh),
    /// Never issued, logged out, or forgotten.
    Unknown,
}

/// The throttle limits a password check is reserved against (from `Settings`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginLimits {
    pub window_secs: i64,
    /// Attempts per account within the window, from any address.
    pub per_account: u32,
    /// Attempts per address within the window; binds only accounts not known there.
    pub per_address: u32,
    /// How long a successful login makes the address known for that account.
    pub known_secs: i64,
}

/// A reserved password check (a row id of the backend).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginAttemptId(pub i64);

/// Filters of the case list. Text is matched as a substring of title or content.
#[derive(Debug, Clone, Default)]
pub struct CaseQuery {
    pub scope: Option<ListScope>,
    // Note: `unit` matches cases within that unit's reach (its own and its subtree's).
    pub states: Vec<CaseState>,
    pub unit: Option<UnitId>,
    pub category: Option<String>,
    pub channel: Option<Channel>,
    pub request_type: Option<RequestType>,
    pub overdue: Option<bool>,
    pub list: Option<WorkList>,
    pub text: Option<String>,
    pub received_from: Option<DateTime<Utc>>,
    pub received_to: Option<DateTime<Utc>>,
    /// Keyset cursor: (received_at ms, id) of the last row already returned.
    pub after: Option<(i64, String)>,
    pub limit: usize,
    pub now: DateTime<Utc>,
}

/// One row of the case list (columns only; the full case is fetched by id).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CaseSummary {
    #[schema(value_type = String)]
    pub id: CaseId,
    pub number: Option<String>,
    pub title: String,
    #[schema(value_type = String)]
    pub channel: Channel,
    #[schema(value_type = String)]
    pub request_type: RequestType,
    pub category: Option<String>,
    #[schema(value_type = String)]
    pub state: CaseState,
    pub urgency: String,
    pub sensitive: bool,
    #[schema(value_type = Option<String>)]
    pub handling_unit: Option<UnitId>,
    #[schema(value_type = Option<String>)]
    pub supervising_unit: Option<UnitId>,
    pub received_at: DateTime<Utc>,
    pub sign_in_deadline: Option<DateTime<Utc>>,
    pub reply_deadline: Option<DateTime<Utc>>,
    pub overdue: bool,
    pub version: u64,
}

#[derive(Debug, Clone, Default)]
pub struct CasePage {
    pub items: Vec<CaseSummary>,
    pub next: Option<(i64, String)>,
}

/// What `update_case`'s closure decides.
pub enum CaseUpdate {
    /// Write the new case (version is bumped by the store) and append the entry.
    Write(Box<Case>, Box<TimelineEntry>),
    /// Write nothing: the case and its timeline stay as they are.
    Unchanged,
    /// `Write`, and open the accountability record (责任倒查) the action calls for in
    /// the same transaction — unless the case already has one (then only `Write`).
    WriteAndOpen(
        Box<Case>,
        Box<TimelineEntry>,
        Box<accountability::AccountabilityOpening>,
    ),
}

/// Counts of the 民生清单 for a scope.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WorkListCounts {
    pub unsigned: u64,
    pub in_progress: u64,
    pub due_soon: u64,
    pub overdue: u64,
}

/// A row of the audit log (PIPL: every unmasking, admin change, login).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    pub at: DateTime<Utc>,
    pub user_id: UserId,
    pub action: String,
    pub target: String,
    pub detail: String,
}

impl AuditRecord {
    /// An admin's change of `target`, with its detail (`{"before": …, "after": …}`) as JSON.
    pub fn change(
        at: DateTime<Utc>,
        user_id: UserId,
        action: &str,
        target: &str,
        detail: &serde_json::Value,
    ) -> Self {
        Self {
            at,
            user_id,
            action: action.into(),
            target: target.into(),
            detail: detail.to_string(),
        }
    }
}

/// Follow-up/notification, assessment/analytics and knowledge-base storage live in their
/// own traits (`storage::notify`, `storage::assessment`, `storage::knowledge`) so each area stays readable on its own;
/// what operators watch (schema version, queue depths, pool) is `storage::ops`.
pub trait Store:
    notify::NotifyStore
    + config::ConfigStore
    + assessment::AssessmentStore
    + knowledge::KnowledgeStore
    + bulk::BulkImportStore
    + admin::AdminStore
    + ops::OpsStore
    + supervisors::SupervisorStore
    + attachments::AttachmentStore
    + accountability::AccountabilityStore
    + releases::ReleaseStore
    + Send
    + Sync
    + 'static
{
    /// The schema version the database is at (its backend migrated it when opening).
    fn schema_version(&self) -> i64;
    /// Takes the lock `name`, held by one holder at a time across every server instance
    /// on this database until the returned guard drops (or the instance dies): a
    /// background worker's pass runs once across instances. `wait` blocks until it is
    /// free; without it `None` says another holder has it.
    fn worker_lock(&self, name: &str, wait: bool) -> StoreResult<Option<WorkerLock>>;
    /// How many pushed commands `run_batch` should get per transaction (each in its
    /// own savepoint): one commit per chunk, bounded by how long a chunk holds locks
    /// and by the backend's cost of many savepoints.
    fn commands_per_transaction(&self) -> usize {
        100
    }

    // Organisation
    fn units(&self) -> StoreResult<Vec<Unit>>;
    fn insert_units(&self, units: &[Unit]) -> StoreResult<()>;
    /// Writes a changed unit with its audit record; the cases in the scope of `rescope`
    /// get the scope `org` (the tree after the change) gives them, logged for the pull.
    /// One transaction. Returns how many cases changed scope.
    fn update_unit(
        &self,
        org: &OrgTree,
        unit: &Unit,
        rescope: &[UnitId],
        audit: &AuditRecord,
    ) -> StoreResult<usize>;

    // Users
    fn insert_user(&self, user: &UserRecord) -> StoreResult<()>;
    fn user(&self, id: UserId) -> StoreResult<Option<UserRecord>>;
    fn user_by_username(&self, username: &str) -> StoreResult<Option<UserRecord>>;
    fn list_users(&self, unit: Option<UnitId>) -> StoreResult<Vec<UserRecord>>;
    fn update_user(&self, user: &UserRecord) -> StoreResult<()>;

    // Sessions and throttling
    fn insert_session(&self, s: &SessionRecord) -> StoreResult<()>;
    fn session_by_access(&self, access_hash: &str) -> StoreResult<Option<SessionRecord>>;
    fn session_by_refresh(&self, refresh_hash: &str) -> StoreResult<Option<SessionRecord>>;
    /// A refresh token hash that was rotated away and is still remembered.
    fn retired_refresh(&self, refresh_hash: &str) -> StoreResult<Option<RetiredRefresh>>;
    /// In one write transaction: when a live session holds `refresh_hash`, deletes it,
    /// remembers the hash as retired (until the old session's `family_expires`) and
    /// inserts `next`; when the hash is retired, changes nothing. Retired hashes whose
    /// `family_expires` is before `next.created_at` are forgotten.
    fn rotate_session(&self, refresh_hash: &str, next: &SessionRecord) -> StoreResult<Rotation>;
    /// Deletes every live session of a family (retired hashes stay); returns how many.
    fn delete_session_family(&self, family: &str) -> StoreResult<usize>;
    fn delete_session(&self, id: &str) -> StoreResult<()>;
    fn delete_user_sessions(&self, user: UserId) -> StoreResult<()>;
    /// Reserves one password check for `account` from address `ip`, atomically: in one
    /// write transaction it counts the attempts within `limits.window_secs` (failed or
    /// still being checked) and, when `limits` allow, records this attempt as a failure
    /// and returns its id; `None` means refused (nothing recorded, no hash to compute).
    /// Refused when the account has `per_account` attempts, or when the address has
    /// `per_address` attempts and the account has no success from that address within
    /// `limits.known_secs`. The store only counts and compares with the limits given.
    /// SQLite serialises writers (`BEGIN IMMEDIATE`); PostgreSQL must lock the account
    /// and the address (e.g. `pg_advisory_xact_lock` on both, in a fixed order) before
    /// counting, so parallel requests on several instances cannot all pass the count.
    fn reserve_login_attempt(
        &self,
        account: &str,
        ip: &str,
        now: DateTime<Utc>,
        limits: &LoginLimits,
    ) -> StoreResult<Option<LoginAttemptId>>;
    /// The password of a reserved attempt was right: deletes the account's recorded
    /// attempts (including this one) and remembers `ip` as a known address of `account`.
    /// Known addresses older than `forget_before` are dropped.
    fn login_succeeded(
        &self,
        account: &str,
        ip: &str,
        now: DateTime<Utc>,
        forget_before: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// Deletes one reserved attempt only (right password, but no login followed).
    fn release_login_attempt(&self, id: LoginAttemptId) -> StoreResult<()>;

    // Cases
    /// Inserts new cases with their timeline so far (at least the intake entry),
    /// assigning case numbers (`MSyyyymmddNNNN`, per Beijing day of the first entry).
    /// All-or-nothing. Returns the stored cases.
    /// `org` decides which units' lists the case appears in (`scope::scope_units`).
    fn insert_cases(
        &self,
        org: &OrgTree,
        cases: Vec<(Case, Vec<TimelineEntry>)>,
    ) -> StoreResult<Vec<Case>>;
    fn case(&self, id: CaseId) -> StoreResult<Option<Case>>;
    /// Runs `f` on the current case and its last timeline entry inside one write
    /// transaction. `expected_version`, when given, must match or the update is refused
    /// with a version conflict.
    fn update_case(
        &self,
        org: &OrgTree,
        id: CaseId,
        expected_version: Option<u64>,
        f: &mut dyn FnMut(&Case, &TimelineEntry) -> StoreResult<CaseUpdate>,
    ) -> StoreResult<Case>;
    fn list_cases(&self, q: &CaseQuery) -> StoreResult<CasePage>;
    fn count_cases(&self, q: &CaseQuery) -> StoreResult<u64>;
    fn timeline(&self, id: CaseId) -> StoreResult<Vec<TimelineEntry>>;
    /// The timelines of several cases (one connection), case by case, oldest first,
    /// each entry as its stored JSON. With `known_at` (a change-log position), only the
    /// entries each case gained after that position.
    fn timelines_json(
        &self,
        ids: &[CaseId],
        known_at: Option<u64>,
    ) -> StoreResult<Vec<Box<serde_json::value::RawValue>>>;
    fn worklist_counts(&self, scope: &ListScope, now: DateTime<Utc>)
        -> StoreResult<WorkListCounts>;

    // Intelligence (suggestions, duplicates, learning from corrections)
    /// Feeds `f` every case the duplicate index should hold: open cases of any age and
    /// closed ones received since `recent_since`; merged cases never. Returns the count.
    fn for_each_indexable_case(
        &self,
        recent_since: DateTime<Utc>,
        f: &mut dyn FnMut(IndexedCase),
    ) -> StoreResult<u64>;
    /// Feeds `f` every dispatched case (not merged or rejected) and every transferred-out
    /// case, oldest first. Returns the count.
    fn for_each_history_case(
        &self,
        f: &mut dyn FnMut(HistoryCase) -> StoreResult<()>,
    ) -> StoreResult<u64>;
    /// Merged duplicates whose master is in one of `master_states` and whose own state is
    /// `duplicate_state`, as (duplicate, master), at most `limit` (首问负责: the caller
    /// decides which states mean "the master is replied").
    fn duplicates_of_masters_in(
        &self,
        duplicate_state: CaseState,
        master_states: &[CaseState],
        limit: usize,
    ) -> StoreResult<Vec<(CaseId, CaseId)>>;
    /// Ids of the cases whose citizen phone is exactly `phone`, newest received first,
    /// at most `limit` (the caller history at intake; the caller filters by scope).
    fn case_ids_by_phone(&self, phone: &str, limit: usize) -> StoreResult<Vec<CaseId>>;
    fn record_dispatch_feedback(&self, fb: &DispatchFeedback) -> StoreResult<()>;
    /// Feedback counts over rows recorded at or after `since` (all rows when None).
    fn dispatch_feedback_counts(&self, since: Option<DateTime<Utc>>)
        -> StoreResult<FeedbackCounts>;

    // Sync (see `sync` for why change positions are in commit order)
    /// The stored outcome of a pushed command, if it was processed before.
    fn processed_command(&self, id: CommandId) -> StoreResult<Option<ProcessedCommand>>;
    /// Runs `f` in one write transaction; `f` processes pushed commands through the
    /// `CommandBatch`, each in its own savepoint with its recorded outcome. One commit
    /// per batch instead of per command; an error from `f` rolls the batch back.
    fn run_batch(
        &self,
        org: &OrgTree,
        f: &mut dyn FnMut(&mut dyn CommandBatch) -> StoreResult<()>,
    ) -> StoreResult<()>;
    /// Highest command sequence processed for an install (None before its first).
    fn ack_seq(&self, install_id: &str) -> StoreResult<Option<u64>>;
    /// The identity of this database's change log (new after every restore).
    fn sync_epoch(&self) -> StoreResult<SyncEpoch>;
    /// The last committed change-log position (0 for an empty log): a reader that
    /// continues after it sees every later change (positions follow commit order).
    fn change_log_head(&self) -> StoreResult<u64>;
    /// Changes after position `after` visible in `scope`, at most `limit` cases, read
    /// from one snapshot. A position outside the retained log is `StoreError::SyncReset`.
    fn changes_since(&self, scope: &ListScope, after: u64, limit: usize)
        -> StoreResult<ChangePage>;

    // Audit
    fn audit(&self, rec: &AuditRecord) -> StoreResult<()>;
    fn audit_log(&self, limit: usize) -> StoreResult<Vec<AuditRecord>>;
    /// The whole audit log with its hash links, oldest first (verification).
    fn audit_chain(&self) -> StoreResult<Vec<minsheng_domain::audit::AuditLink>>;
}

/// A held `Store::worker_lock`; released when dropped.
pub struct WorkerLock {
    _held: Box<dyn Send>,
}

impl WorkerLock {
    /// Wraps what the backend holds; its `Drop` releases the lock.
    pub fn new(held: impl Send + 'static) -> Self {
        Self {
            _held: Box::new(held),
        }
    }
}

impl std::fmt::Debug for WorkerLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WorkerLock")
    }
}
