//! PostgreSQL: `AdminStore` (not ported yet where a method says so).
#![allow(unused_imports, unused_variables, clippy::wildcard_imports)]

use chrono::{DateTime, Utc};
use minsheng_domain::ids::{UnitId, UserId};
use minsheng_domain::role::Role;
use minsheng_store::admin::*;
use minsheng_store::notify::{OutboxMessage, SmsTemplate};
use minsheng_store::*;
use minsheng_store::{AuditRecord, FeedbackCounts, StoreResult, UserRecord};

use crate::PgStore;

impl minsheng_store::admin::AdminStore for PgStore {
    fn search_users(&self, q: &UserQuery) -> StoreResult<UserPage> {
        todo!("PostgreSQL: search_users not ported yet")
    }

    fn insert_user_audited(&self, user: &UserRecord, audit: &AuditRecord) -> StoreResult<()> {
        todo!("PostgreSQL: insert_user_audited not ported yet")
    }

    fn change_user(
        &self,
        id: UserId,
        f: &mut dyn FnMut(&UserRecord, u64) -> StoreResult<UserChange>,
    ) -> StoreResult<Option<UserRecord>> {
        todo!("PostgreSQL: change_user not ported yet")
    }

    fn search_audit(&self, q: &AuditQuery) -> StoreResult<AuditPage> {
        todo!("PostgreSQL: search_audit not ported yet")
    }

    fn count_audit(&self, q: &AuditQuery) -> StoreResult<u64> {
        todo!("PostgreSQL: count_audit not ported yet")
    }

    fn save_sms_template(
        &self,
        code: &str,
        f: &mut dyn FnMut(Option<&SmsTemplate>) -> StoreResult<TemplateSave>,
    ) -> StoreResult<SmsTemplate> {
        todo!("PostgreSQL: save_sms_template not ported yet")
    }

    fn settle_dead_letter(
        &self,
        id: &str,
        fate: &DeadLetterFate,
        audit: &AuditRecord,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<OutboxMessage>> {
        todo!("PostgreSQL: settle_dead_letter not ported yet")
    }

    fn dispatch_feedback_buckets(
        &self,
        origin: DateTime<Utc>,
        width_ms: i64,
    ) -> StoreResult<Vec<(i64, FeedbackCounts)>> {
        todo!("PostgreSQL: dispatch_feedback_buckets not ported yet")
    }
}
