//! PostgreSQL: `NotifyStore` (not ported yet where a method says so).
#![allow(unused_imports, unused_variables, clippy::wildcard_imports)]

use chrono::{DateTime, Utc};
use minsheng_domain::ids::{CaseId, UserId};
use minsheng_domain::timeline::TimelineEntry;
use minsheng_store::notify::*;
use minsheng_store::StoreResult;
use minsheng_store::*;
use serde::{Deserialize, Serialize};

use crate::PgStore;

impl minsheng_store::notify::NotifyStore for PgStore {
    fn sms_templates(&self) -> StoreResult<Vec<SmsTemplate>> {
        todo!("PostgreSQL: sms_templates not ported yet")
    }

    fn sms_template(&self, code: &str) -> StoreResult<Option<SmsTemplate>> {
        todo!("PostgreSQL: sms_template not ported yet")
    }

    fn upsert_sms_template(&self, t: &SmsTemplate) -> StoreResult<()> {
        todo!("PostgreSQL: upsert_sms_template not ported yet")
    }

    fn enqueue_sms(&self, sms: &NewSms, now: DateTime<Utc>) -> StoreResult<bool> {
        todo!("PostgreSQL: enqueue_sms not ported yet")
    }

    fn claim_due_sms(
        &self,
        now: DateTime<Utc>,
        lease_secs: i64,
        limit: usize,
    ) -> StoreResult<Vec<OutboxMessage>> {
        todo!("PostgreSQL: claim_due_sms not ported yet")
    }

    fn finish_sms(&self, id: &str, result: &SendResult, now: DateTime<Utc>) -> StoreResult<()> {
        todo!("PostgreSQL: finish_sms not ported yet")
    }

    fn sms_delivery_report(&self, id: &str, status: &str) -> StoreResult<bool> {
        todo!("PostgreSQL: sms_delivery_report not ported yet")
    }

    fn outbox(
        &self,
        status: Option<OutboxStatus>,
        limit: usize,
    ) -> StoreResult<Vec<OutboxMessage>> {
        todo!("PostgreSQL: outbox not ported yet")
    }

    fn requeue_sms(&self, id: &str, now: DateTime<Utc>) -> StoreResult<bool> {
        todo!("PostgreSQL: requeue_sms not ported yet")
    }

    fn count_sms_since(
        &self,
        event_key_prefix: &str,
        phone: Option<&str>,
        since: DateTime<Utc>,
    ) -> StoreResult<u64> {
        todo!("PostgreSQL: count_sms_since not ported yet")
    }

    fn followup_candidates(&self, limit: usize) -> StoreResult<Vec<(CaseId, String, u32)>> {
        todo!("PostgreSQL: followup_candidates not ported yet")
    }

    fn open_followup(&self, f: &NewFollowUp, now: DateTime<Utc>) -> StoreResult<bool> {
        todo!("PostgreSQL: open_followup not ported yet")
    }

    fn supersede_followups(&self) -> StoreResult<u64> {
        todo!("PostgreSQL: supersede_followups not ported yet")
    }

    fn expire_followups(&self, now: DateTime<Utc>) -> StoreResult<Vec<FollowUpRecord>> {
        todo!("PostgreSQL: expire_followups not ported yet")
    }

    fn followup_for_reply(
        &self,
        phone: &str,
        sent_at: DateTime<Utc>,
    ) -> StoreResult<Option<FollowUpRecord>> {
        todo!("PostgreSQL: followup_for_reply not ported yet")
    }

    fn answer_followup(
        &self,
        id: &str,
        satisfaction: Option<&str>,
        text: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        todo!("PostgreSQL: answer_followup not ported yet")
    }

    fn answer_followup_by_phone(
        &self,
        id: &str,
        satisfaction: &str,
        text: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        todo!("PostgreSQL: answer_followup_by_phone not ported yet")
    }

    fn followup(&self, id: &str) -> StoreResult<Option<FollowUpRecord>> {
        todo!("PostgreSQL: followup not ported yet")
    }

    fn followups(
        &self,
        case_id: Option<CaseId>,
        status: Option<FollowUpStatus>,
        limit: usize,
    ) -> StoreResult<Vec<FollowUpRecord>> {
        todo!("PostgreSQL: followups not ported yet")
    }

    fn followup_stats(
        &self,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
    ) -> StoreResult<Vec<FollowUpStatsRow>> {
        todo!("PostgreSQL: followup_stats not ported yet")
    }

    fn insert_inbound(&self, m: &InboundSms, now: DateTime<Utc>) -> StoreResult<bool> {
        todo!("PostgreSQL: insert_inbound not ported yet")
    }

    fn inbound(&self, message_id: &str) -> StoreResult<Option<InboundRecord>> {
        todo!("PostgreSQL: inbound not ported yet")
    }

    fn set_inbound_outcome(
        &self,
        message_id: &str,
        followup_id: Option<&str>,
        outcome: &str,
        detail: Option<&str>,
    ) -> StoreResult<()> {
        todo!("PostgreSQL: set_inbound_outcome not ported yet")
    }

    fn pending_inbound(&self, arrived_before: DateTime<Utc>) -> StoreResult<Vec<InboundRecord>> {
        todo!("PostgreSQL: pending_inbound not ported yet")
    }

    fn recent_inbound(&self, limit: usize) -> StoreResult<Vec<InboundRecord>> {
        todo!("PostgreSQL: recent_inbound not ported yet")
    }

    fn insert_service_events(
        &self,
        events: &[(ServiceEvent, NewFollowUp)],
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<ServiceEvent>> {
        todo!("PostgreSQL: insert_service_events not ported yet")
    }

    fn insert_notifications(
        &self,
        items: &[(StaffNotification, Option<NewSms>)],
        reminded: Option<&str>,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<StaffNotification>> {
        todo!("PostgreSQL: insert_notifications not ported yet")
    }

    fn notifications(
        &self,
        user: UserId,
        unread_only: bool,
        limit: usize,
    ) -> StoreResult<Vec<StaffNotification>> {
        todo!("PostgreSQL: notifications not ported yet")
    }

    fn unread_count(&self, user: UserId) -> StoreResult<u64> {
        todo!("PostgreSQL: unread_count not ported yet")
    }

    fn mark_notifications_read(
        &self,
        user: UserId,
        ids: Option<&[String]>,
        now: DateTime<Utc>,
    ) -> StoreResult<u64> {
        todo!("PostgreSQL: mark_notifications_read not ported yet")
    }

    fn notify_prefs(&self, user: UserId) -> StoreResult<NotifyPrefs> {
        todo!("PostgreSQL: notify_prefs not ported yet")
    }

    fn set_notify_prefs(&self, user: UserId, p: &NotifyPrefs) -> StoreResult<()> {
        todo!("PostgreSQL: set_notify_prefs not ported yet")
    }

    fn notify_cursor(&self) -> StoreResult<u64> {
        todo!("PostgreSQL: notify_cursor not ported yet")
    }

    fn set_notify_cursor(&self, seq: u64) -> StoreResult<()> {
        todo!("PostgreSQL: set_notify_cursor not ported yet")
    }

    fn changes_after(
        &self,
        after: u64,
        since: DateTime<Utc>,
        limit: usize,
    ) -> StoreResult<Vec<CaseChange>> {
        todo!("PostgreSQL: changes_after not ported yet")
    }

    fn deadline_hits(
        &self,
        now: DateTime<Utc>,
        since: DateTime<Utc>,
        limit: usize,
    ) -> StoreResult<Vec<DeadlineHit>> {
        todo!("PostgreSQL: deadline_hits not ported yet")
    }
}
