//! PostgreSQL: `NotifyStore` — SMS templates and outbox (`outbox`), follow-up rounds,
//! inbound replies and service events (`followups`), staff notifications and what they
//! are derived from (`staff`). Each submodule says how it stays correct when several
//! server instances write at once.

mod followups;
pub(crate) mod outbox;
mod staff;

use chrono::{DateTime, Utc};
use minsheng_domain::ids::{CaseId, UserId};
use minsheng_store::notify::{
    CaseChange, DeadlineHit, FollowUpRecord, FollowUpStatsRow, FollowUpStatus, InboundRecord,
    InboundSms, LimitedEnqueue, NewFollowUp, NewSms, NotifyPrefs, OutboxMessage, OutboxStatus,
    SendResult, ServiceEvent, SmsLimit, SmsTemplate, StaffNotification,
};
use minsheng_store::StoreResult;

use crate::{db, from_ms, PgStore};

// The admin console (dead letters, template editing) reads and writes these tables too
// (admin.rs uses these once ported; the SQLite backend shares them the same way).
#[allow(unused_imports)]
pub(crate) use outbox::{outbox_from_row, template_from_row, upsert_template, OUTBOX_COLS};

fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

fn opt_ms(v: Option<i64>) -> Option<DateTime<Utc>> {
    v.map(from_ms)
}

/// A `LIMIT` parameter (BIGINT).
fn limit_param(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}

impl minsheng_store::notify::NotifyStore for PgStore {
    fn sms_templates(&self) -> StoreResult<Vec<SmsTemplate>> {
        db(|| outbox::templates(self))
    }

    fn sms_template(&self, code: &str) -> StoreResult<Option<SmsTemplate>> {
        db(|| outbox::template(self, code))
    }

    fn upsert_sms_template(&self, t: &SmsTemplate) -> StoreResult<()> {
        db(|| self.write(|tx| upsert_template(tx, t)))
    }

    fn enqueue_sms(&self, sms: &NewSms, now: DateTime<Utc>) -> StoreResult<bool> {
        db(|| self.write(|tx| outbox::insert_sms(tx, sms, now)))
    }

    fn claim_due_sms(
        &self,
        now: DateTime<Utc>,
        lease_secs: i64,
        limit: usize,
    ) -> StoreResult<Vec<OutboxMessage>> {
        db(|| outbox::claim_due(self, now, lease_secs, limit))
    }

    fn finish_sms(&self, id: &str, result: &SendResult, now: DateTime<Utc>) -> StoreResult<()> {
        db(|| outbox::finish(self, id, result, now))
    }

    fn sms_delivery_report(&self, id: &str, status: &str) -> StoreResult<bool> {
        db(|| outbox::delivery_report(self, id, status))
    }

    fn outbox(
        &self,
        status: Option<OutboxStatus>,
        limit: usize,
    ) -> StoreResult<Vec<OutboxMessage>> {
        db(|| outbox::list(self, status, limit))
    }

    fn requeue_sms(&self, id: &str, now: DateTime<Utc>) -> StoreResult<bool> {
        db(|| outbox::requeue(self, id, now))
    }

    fn count_sms_since(
        &self,
        event_key_prefix: &str,
        phone: Option<&str>,
        since: DateTime<Utc>,
    ) -> StoreResult<u64> {
        db(|| outbox::count_since(self, event_key_prefix, phone, since))
    }

    fn enqueue_sms_within(
        &self,
        sms: &NewSms,
        limits: &[SmsLimit],
        now: DateTime<Utc>,
    ) -> StoreResult<LimitedEnqueue> {
        db(|| outbox::insert_within(self, sms, limits, now))
    }

    fn followup_candidates(&self, limit: usize) -> StoreResult<Vec<(CaseId, String, u32)>> {
        db(|| followups::candidates(self, limit))
    }

    fn open_followup(&self, f: &NewFollowUp, now: DateTime<Utc>) -> StoreResult<bool> {
        db(|| followups::open(self, f, now))
    }

    fn supersede_followups(&self) -> StoreResult<u64> {
        db(|| followups::supersede(self))
    }

    fn expire_followups(&self, now: DateTime<Utc>) -> StoreResult<Vec<FollowUpRecord>> {
        db(|| followups::expire(self, now))
    }

    fn followup_for_reply(
        &self,
        phone: &str,
        sent_at: DateTime<Utc>,
    ) -> StoreResult<Option<FollowUpRecord>> {
        db(|| followups::for_reply(self, phone, sent_at))
    }

    fn answer_followup(
        &self,
        id: &str,
        satisfaction: Option<&str>,
        text: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        db(|| followups::answer(self, id, satisfaction, text, now))
    }

    fn answer_followup_by_phone(
        &self,
        id: &str,
        satisfaction: &str,
        text: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        db(|| followups::answer_by_phone(self, id, satisfaction, text, now))
    }

    fn followup(&self, id: &str) -> StoreResult<Option<FollowUpRecord>> {
        db(|| followups::one(self, id))
    }

    fn followups(
        &self,
        case_id: Option<CaseId>,
        status: Option<FollowUpStatus>,
        limit: usize,
    ) -> StoreResult<Vec<FollowUpRecord>> {
        db(|| followups::list(self, case_id, status, limit))
    }

    fn followup_stats(
        &self,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
    ) -> StoreResult<Vec<FollowUpStatsRow>> {
        db(|| followups::stats(self, from, to))
    }

    fn insert_inbound(&self, m: &InboundSms, now: DateTime<Utc>) -> StoreResult<bool> {
        db(|| followups::insert_inbound(self, m, now))
    }

    fn inbound(&self, message_id: &str) -> StoreResult<Option<InboundRecord>> {
        db(|| followups::inbound(self, message_id))
    }

    fn set_inbound_outcome(
        &self,
        message_id: &str,
        followup_id: Option<&str>,
        outcome: &str,
        detail: Option<&str>,
    ) -> StoreResult<()> {
        db(|| followups::set_outcome(self, message_id, followup_id, outcome, detail))
    }

    fn pending_inbound(&self, arrived_before: DateTime<Utc>) -> StoreResult<Vec<InboundRecord>> {
        db(|| followups::pending_inbound(self, arrived_before))
    }

    fn recent_inbound(&self, limit: usize) -> StoreResult<Vec<InboundRecord>> {
        db(|| followups::recent_inbound(self, limit))
    }

    fn insert_service_events(
        &self,
        events: &[(ServiceEvent, NewFollowUp)],
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<ServiceEvent>> {
        db(|| followups::insert_service_events(self, events, now))
    }

    fn insert_notifications(
        &self,
        items: &[(StaffNotification, Option<NewSms>)],
        reminded: Option<&str>,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<StaffNotification>> {
        db(|| staff::insert(self, items, reminded, now))
    }

    fn notifications(
        &self,
        user: UserId,
        unread_only: bool,
        limit: usize,
    ) -> StoreResult<Vec<StaffNotification>> {
        db(|| staff::list(self, user, unread_only, limit))
    }

    fn unread_count(&self, user: UserId) -> StoreResult<u64> {
        db(|| staff::unread_count(self, user))
    }

    fn mark_notifications_read(
        &self,
        user: UserId,
        ids: Option<&[String]>,
        now: DateTime<Utc>,
    ) -> StoreResult<u64> {
        db(|| staff::mark_read(self, user, ids, now))
    }

    fn notify_prefs(&self, user: UserId) -> StoreResult<NotifyPrefs> {
        db(|| staff::prefs(self, user))
    }

    fn set_notify_prefs(&self, user: UserId, p: &NotifyPrefs) -> StoreResult<()> {
        db(|| staff::set_prefs(self, user, p))
    }

    fn notify_cursor(&self) -> StoreResult<u64> {
        db(|| staff::cursor(self))
    }

    fn set_notify_cursor(&self, seq: u64) -> StoreResult<()> {
        db(|| staff::set_cursor(self, seq))
    }

    fn changes_after(
        &self,
        after: u64,
        since: DateTime<Utc>,
        limit: usize,
    ) -> StoreResult<Vec<CaseChange>> {
        db(|| staff::changes_after(self, after, since, limit))
    }

    fn deadline_hits(
        &self,
        now: DateTime<Utc>,
        since: DateTime<Utc>,
        limit: usize,
    ) -> StoreResult<Vec<DeadlineHit>> {
        db(|| staff::deadline_hits(self, now, since, limit))
    }
}
