//! What the admin console reads and writes beyond the other areas: the user directory
//! (filtered, in pages), account changes checked and audited in one transaction, the
//! audit log searched in keyset pages, SMS templates saved with their audit row, and the
//! SMS dead letters an admin retries or discards.
//!
//! Every write here appends its audit row inside the same transaction: a change is never
//! stored without its record, nor recorded without being stored.

use chrono::{DateTime, Utc};
use minsheng_domain::ids::{UnitId, UserId};
use minsheng_domain::role::Role;

use super::notify::{OutboxMessage, SmsTemplate};
use super::{AuditRecord, FeedbackCounts, StoreResult, UserRecord};

/// Filters of the user directory, ordered by username.
#[derive(Debug, Clone, Default)]
pub struct UserQuery {
    pub unit: Option<UnitId>,
    pub role: Option<Role>,
    /// A substring of the username or the display name.
    pub text: Option<String>,
    pub active: Option<bool>,
    /// Keyset cursor: the last username of the previous page.
    pub after: Option<String>,
    pub limit: usize,
}

#[derive(Debug, Clone, Default)]
pub struct UserPage {
    pub items: Vec<UserRecord>,
    /// Accounts matching the filters (all pages).
    pub total: u64,
    /// The username to continue after; `None` on the last page.
    pub next: Option<String>,
}

/// What `change_user`'s closure decides: the account as it should be stored, whether
/// its sessions end, and the audit row of the change.
#[derive(Debug, Clone)]
pub struct UserChange {
    pub user: UserRecord,
    pub end_sessions: bool,
    pub audit: AuditRecord,
}

/// Filters of the audit log, newest first.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    pub user: Option<UserId>,
    /// Exact action code (`updateUser`, `unmaskCitizen` …).
    pub action: Option<String>,
    /// A substring of the target.
    pub target: Option<String>,
    /// At or after.
    pub from: Option<DateTime<Utc>>,
    /// Before.
    pub to: Option<DateTime<Utc>>,
    /// Keyset cursor: the id of the last row of the previous page.
    pub before: Option<i64>,
    pub limit: usize,
}

/// An audit record with its position and, when the actor is a stored account, who it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRow {
    pub id: i64,
    pub record: AuditRecord,
    pub username: Option<String>,
    pub display_name: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct AuditPage {
    pub items: Vec<AuditRow>,
    /// The id to continue before; `None` on the last page.
    pub next: Option<i64>,
}

/// What `save_sms_template`'s closure decides: the template to store and its audit row.
#[derive(Debug, Clone)]
pub struct TemplateSave {
    pub template: SmsTemplate,
    pub audit: AuditRecord,
}

/// What becomes of a dead letter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeadLetterFate {
    /// Back to the queue, attempts reset.
    Retry,
    /// Given up for good, with the admin's reason.
    Discard { reason: String },
}

pub trait AdminStore {
    fn search_users(&self, q: &UserQuery) -> StoreResult<UserPage>;
    /// Inserts the account and its audit row in one transaction; a taken username is
    /// `StoreError::AlreadyExists` and writes nothing.
    fn insert_user_audited(&self, user: &UserRecord, audit: &AuditRecord) -> StoreResult<()>;
    /// In one write transaction: reads the account `id` and counts the *other* active
    /// admins, lets `f` decide the change, then writes the account, ends its sessions
    /// when asked and appends the audit row. Nothing is written when `f` fails; `None`
    /// when there is no such account. (PostgreSQL: lock the admin rows `FOR UPDATE`.)
    fn change_user(
        &self,
        id: UserId,
        f: &mut dyn FnMut(&UserRecord, u64) -> StoreResult<UserChange>,
    ) -> StoreResult<Option<UserRecord>>;
    fn search_audit(&self, q: &AuditQuery) -> StoreResult<AuditPage>;
    /// How many records match `q`'s filters (its cursor and limit are ignored).
    fn count_audit(&self, q: &AuditQuery) -> StoreResult<u64>;
    /// In one write transaction: lets `f` turn the stored template `code` (if any) into
    /// the one to store and its audit row, and writes both.
    fn save_sms_template(
        &self,
        code: &str,
        f: &mut dyn FnMut(Option<&SmsTemplate>) -> StoreResult<TemplateSave>,
    ) -> StoreResult<SmsTemplate>;
    /// Settles the dead letter `id` with `fate` and appends `audit`, in one transaction;
    /// `None` (nothing written) when `id` is not a dead letter.
    fn settle_dead_letter(
        &self,
        id: &str,
        fate: &DeadLetterFate,
        audit: &AuditRecord,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<OutboxMessage>>;
    /// Dispatch feedback (model accuracy) counted in consecutive buckets of `width_ms`
    /// from `origin` on: `(bucket index, counts)` for the buckets that have rows.
    fn dispatch_feedback_buckets(
        &self,
        origin: DateTime<Utc>,
        width_ms: i64,
    ) -> StoreResult<Vec<(i64, FeedbackCounts)>>;
}
