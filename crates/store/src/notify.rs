//! Storage of the notify area (see `crate::notify`): SMS outbox and inbound replies,
//! follow-up (回访) rounds, service events, templates and staff notifications.
//!
//! Every "never twice" guarantee is a UNIQUE event key checked by the database inside
//! the inserting transaction, so restarts and concurrent workers cannot duplicate.

use chrono::{DateTime, Utc};
use minsheng_domain::ids::{CaseId, UserId};
use minsheng_domain::timeline::TimelineEntry;
use serde::{Deserialize, Serialize};

use super::StoreResult;

/// A rate limit on queued messages (`enqueue_sms_within`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmsLimit {
    /// Counts outbox rows whose event key starts with this (a plain prefix)...
    pub event_key_prefix: String,
    /// ...addressed to this number, when given...
    pub phone: Option<String>,
    /// ...created at or after this instant...
    pub since: DateTime<Utc>,
    /// ...and refuses when there are this many already.
    pub max: u64,
}

/// What `enqueue_sms_within` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitedEnqueue {
    /// Queued (`true`), or already queued under its event key (`false`).
    Queued(bool),
    /// Refused by the limit at this index; nothing written.
    Limited(usize),
}

/// One SMS to queue. `event_key` identifies the business event; a second enqueue with
/// the same key is ignored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSms {
    pub event_key: String,
    pub phone: String,
    pub template: String,
    pub provider_template_id: Option<String>,
    pub params: serde_json::Value,
    pub body: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum OutboxStatus {
    /// Waiting for its next attempt (`next_attempt_at`).
    Pending,
    /// Claimed by a worker until `lease_until`.
    Sending,
    /// Accepted by the gateway.
    Sent,
    /// Dead letter: gave up after too many failures or a permanent refusal.
    Dead,
    /// Not sent because its question was answered meanwhile (e.g. by phone).
    Cancelled,
    /// A dead letter an admin gave up on, with a reason (`discardReason`); never sent.
    Discarded,
}

impl OutboxStatus {
    pub const fn code(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Sending => "sending",
            Self::Sent => "sent",
            Self::Dead => "dead",
            Self::Cancelled => "cancelled",
            Self::Discarded => "discarded",
        }
    }

    pub fn from_code(s: &str) -> Option<Self> {
        [
            Self::Pending,
            Self::Sending,
            Self::Sent,
            Self::Dead,
            Self::Cancelled,
            Self::Discarded,
        ]
        .into_iter()
        .find(|x| x.code() == s)
    }
}

/// A row of the SMS outbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OutboxMessage {
    pub id: String,
    pub event_key: String,
    pub phone: String,
    pub template: String,
    pub provider_template_id: Option<String>,
    #[schema(value_type = Object)]
    pub params: serde_json::Value,
    pub body: String,
    pub status: OutboxStatus,
    pub attempts: u32,
    pub next_attempt_at: DateTime<Utc>,
    pub last_error: Option<String>,
    pub provider_id: Option<String>,
    /// Delivery report from the gateway (`delivered`, `failed`, ...), if any.
    pub delivery_status: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    /// Why an admin discarded this dead letter (status `discarded`).
    pub discard_reason: Option<String>,
}

/// How one send attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendResult {
    Sent {
        provider_id: String,
    },
    /// Try again at `retry_at`, or dead-letter when `dead` (attempts used up / permanent).
    Failed {
        error: String,
        retry_at: DateTime<Utc>,
        dead: bool,
    },
}

/// What a follow-up round belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FollowUpSubject {
    /// A case at a follow-up level (`l1`, `l2`, `l3`, `difficult`) and round (supervision
    /// notices issued, for 疑难督办; otherwise 0).
    Case {
        case_id: CaseId,
        level: String,
        round: u32,
    },
    /// A window-service event (110, 户政, 出入境, 车驾管).
    Service { event_id: String, service: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum FollowUpStatus {
    /// SMS out, waiting for the citizen.
    Awaiting,
    /// No reply in time (or no mobile number): a 回访员 should phone; replies still count.
    PhoneTask,
    Answered,
    /// The case moved on without an SMS answer (e.g. answered by phone).
    Superseded,
}

impl FollowUpStatus {
    pub const fn code(self) -> &'static str {
        match self {
            Self::Awaiting => "awaiting",
            Self::PhoneTask => "phoneTask",
            Self::Answered => "answered",
            Self::Superseded => "superseded",
        }
    }

    pub fn from_code(s: &str) -> Option<Self> {
        [
            Self::Awaiting,
            Self::PhoneTask,
            Self::Answered,
            Self::Superseded,
        ]
        .into_iter()
        .find(|x| x.code() == s)
    }

    pub const fn is_open(self) -> bool {
        matches!(self, Self::Awaiting | Self::PhoneTask)
    }
}

/// One follow-up round (回访): the question sent and its answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FollowUpRecord {
    pub id: String,
    pub event_key: String,
    #[schema(value_type = Option<String>)]
    pub case_id: Option<CaseId>,
    pub level: Option<String>,
    pub round: u32,
    pub service_event_id: Option<String>,
    pub service: Option<String>,
    pub phone: Option<String>,
    pub status: FollowUpStatus,
    pub created_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    pub answered_at: Option<DateTime<Utc>>,
    /// `satisfied` | `basicallySatisfied` | `unsatisfied`
    #[schema(value_type = Option<minsheng_domain::case::Satisfaction>)]
    pub satisfaction: Option<String>,
    pub answer_text: Option<String>,
}

/// A follow-up round to open, with the SMS that asks the question (none without a mobile).
#[derive(Debug, Clone)]
pub struct NewFollowUp {
    pub event_key: String,
    pub subject: FollowUpSubject,
    pub phone: Option<String>,
    pub due_at: DateTime<Utc>,
    pub sms: Option<NewSms>,
}

/// A reply as the webhook delivered it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundSms {
    pub message_id: String,
    pub phone: String,
    pub text: String,
    /// When the citizen sent it (gateway time), used to find the round it answers.
    pub sent_at: DateTime<Utc>,
}

/// What became of an inbound reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct InboundRecord {
    pub message_id: String,
    pub phone: String,
    pub text: String,
    pub sent_at: DateTime<Utc>,
    pub arrived_at: DateTime<Utc>,
    pub followup_id: Option<String>,
    /// `pending` | `applied` | `recorded` | `stale` | `unmatched` | `needsReview` | `rejected`
    pub outcome: String,
    pub detail: Option<String>,
}

/// An admin-editable SMS template. `{name}` placeholders are filled from the params.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SmsTemplate {
    pub code: String,
    pub name: String,
    pub body: String,
    /// The template id registered at the SMS provider, when it needs one.
    pub provider_template_id: Option<String>,
    pub updated_at: DateTime<Utc>,
}

/// A window-service event imported from a feed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServiceEvent {
    /// `source:external id`, unique.
    pub id: String,
    /// `110` | `household` | `exitEntry` | `vehicle`
    pub service: String,
    pub phone: String,
    pub citizen_name: Option<String>,
    pub unit_name: Option<String>,
    pub summary: Option<String>,
    pub occurred_at: DateTime<Utc>,
}

/// A desktop notification for one staff member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StaffNotification {
    pub id: String,
    #[serde(skip)]
    pub event_key: String,
    #[schema(value_type = String)]
    pub user_id: UserId,
    /// `dispatch` | `assign` | `approval` | `urge` | `sendBack` | `signInReminder` |
    /// `overdue` | `followUpTask` | `phoneFollowUp` | `freeTextReply` | `alert`
    pub kind: String,
    #[schema(value_type = Option<String>)]
    pub case_id: Option<CaseId>,
    pub title: String,
    pub body: String,
    pub created_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
}

/// The staff notification kinds a user may also get by SMS.
pub const SMS_KINDS: &[&str] = &[
    "dispatch",
    "assign",
    "approval",
    "urge",
    "sendBack",
    "signInReminder",
    "overdue",
    "followUpTask",
    "phoneFollowUp",
    "freeTextReply",
];

fn sms_kinds_schema() -> utoipa::openapi::schema::Array {
    utoipa::openapi::schema::Array::new(
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .enum_values(Some(SMS_KINDS.iter().copied())),
    )
}

/// Whether a user also wants staff notifications by SMS, and for which kinds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NotifyPrefs {
    pub sms: bool,
    /// Kinds sent by SMS; empty means every kind.
    #[serde(default)]
    #[schema(schema_with = sms_kinds_schema)]
    pub sms_kinds: Vec<String>,
}

/// A case change from the sync change log, with what the timeline says happened.
#[derive(Debug, Clone)]
pub struct CaseChange {
    pub seq: u64,
    pub case_id: CaseId,
    pub version: u64,
    /// The timeline entry written with this version; None when older than the horizon
    /// asked for (not worth reading).
    pub entry: Option<TimelineEntry>,
}

/// A deadline the reminder pass found: the case, which deadline, and its instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadlineHit {
    pub case_id: CaseId,
    /// `signInReminder` | `overdueSignIn` | `overdueReply`
    pub kind: String,
    pub deadline: DateTime<Utc>,
}

/// Satisfaction counts of answered follow-ups, by service or case level.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FollowUpStatsRow {
    /// The service (`110`, `household`, ...) or the case level (`l1`, `l2`, ...).
    pub group: String,
    pub sent: u64,
    pub answered: u64,
    pub satisfied: u64,
    pub basically_satisfied: u64,
    pub unsatisfied: u64,
    pub phone_tasks: u64,
}

/// Implemented by every backend; part of `Store`.
pub trait NotifyStore {
    // Templates
    fn sms_templates(&self) -> StoreResult<Vec<SmsTemplate>>;
    fn sms_template(&self, code: &str) -> StoreResult<Option<SmsTemplate>>;
    fn upsert_sms_template(&self, t: &SmsTemplate) -> StoreResult<()>;

    // Outbox
    /// Queues `sms` unless its event key was queued before; true when inserted.
    fn enqueue_sms(&self, sms: &NewSms, now: DateTime<Utc>) -> StoreResult<bool>;
    /// Claims up to `limit` due messages (pending and due, or sending with an expired
    /// lease) for `lease_secs`, counting the attempt.
    fn claim_due_sms(
        &self,
        now: DateTime<Utc>,
        lease_secs: i64,
        limit: usize,
    ) -> StoreResult<Vec<OutboxMessage>>;
    fn finish_sms(&self, id: &str, result: &SendResult, now: DateTime<Utc>) -> StoreResult<()>;
    /// Records a delivery report; false when the message is unknown.
    fn sms_delivery_report(&self, id: &str, status: &str) -> StoreResult<bool>;
    fn outbox(&self, status: Option<OutboxStatus>, limit: usize)
        -> StoreResult<Vec<OutboxMessage>>;
    /// Puts a dead letter back in the queue; false when it is not dead.
    fn requeue_sms(&self, id: &str, now: DateTime<Utc>) -> StoreResult<bool>;
    /// Outbox rows created at or after `since` whose event key starts with
    /// `event_key_prefix` and, when given, addressed to `phone` (rate limits).
    fn count_sms_since(
        &self,
        event_key_prefix: &str,
        phone: Option<&str>,
        since: DateTime<Utc>,
    ) -> StoreResult<u64>;
    /// Queues `sms` unless a message with its event key exists (`Queued(false)`, not
    /// counted) or one of `limits` is reached (`Limited(index)`). The check and the
    /// insert are one transaction serialized against every other limited enqueue, so
    /// two server instances cannot both take the last free place.
    fn enqueue_sms_within(
        &self,
        sms: &NewSms,
        limits: &[SmsLimit],
        now: DateTime<Utc>,
    ) -> StoreResult<LimitedEnqueue>;

    // Follow-up rounds
    /// Cases waiting for the citizen's answer that have no round for their current
    /// level yet: (case, level code, round).
    fn followup_candidates(&self, limit: usize) -> StoreResult<Vec<(CaseId, String, u32)>>;
    /// Opens the round and queues its SMS in one transaction; false when the round
    /// already existed (nothing queued).
    fn open_followup(&self, f: &NewFollowUp, now: DateTime<Utc>) -> StoreResult<bool>;
    /// Closes open rounds of cases no longer waiting for that round (answered by phone,
    /// closed, ...) and cancels their SMS not yet sent. Returns how many rounds.
    fn supersede_followups(&self) -> StoreResult<u64>;
    /// Awaiting rounds past their due time become phone tasks; returns them.
    fn expire_followups(&self, now: DateTime<Utc>) -> StoreResult<Vec<FollowUpRecord>>;
    /// The round a reply from `phone` sent at `sent_at` answers: the most recent round
    /// to that number opened at or before `sent_at`, open or not.
    fn followup_for_reply(
        &self,
        phone: &str,
        sent_at: DateTime<Utc>,
    ) -> StoreResult<Option<FollowUpRecord>>;
    /// Marks an open round answered; false when it was no longer open.
    fn answer_followup(
        &self,
        id: &str,
        satisfaction: Option<&str>,
        text: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<bool>;
    /// Records a phone answer on an open round (awaiting or phone task) and cancels its
    /// SMS not yet sent, in one transaction; false when the round was not open (already
    /// answered, superseded, or unknown), so two answers cannot both land.
    fn answer_followup_by_phone(
        &self,
        id: &str,
        satisfaction: &str,
        text: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<bool>;
    /// One round by its id, whatever its status.
    fn followup(&self, id: &str) -> StoreResult<Option<FollowUpRecord>>;
    fn followups(
        &self,
        case_id: Option<CaseId>,
        status: Option<FollowUpStatus>,
        limit: usize,
    ) -> StoreResult<Vec<FollowUpRecord>>;
    /// Counts over rounds opened in `[from, to)` (unbounded sides when None).
    fn followup_stats(
        &self,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
    ) -> StoreResult<Vec<FollowUpStatsRow>>;

    // Inbound replies
    /// Stores a reply as `pending`; false when this message id was seen before.
    fn insert_inbound(&self, m: &InboundSms, now: DateTime<Utc>) -> StoreResult<bool>;
    fn inbound(&self, message_id: &str) -> StoreResult<Option<InboundRecord>>;
    fn set_inbound_outcome(
        &self,
        message_id: &str,
        followup_id: Option<&str>,
        outcome: &str,
        detail: Option<&str>,
    ) -> StoreResult<()>;
    /// Replies left `pending` (a crash between storing and processing), oldest first.
    fn pending_inbound(&self, arrived_before: DateTime<Utc>) -> StoreResult<Vec<InboundRecord>>;
    fn recent_inbound(&self, limit: usize) -> StoreResult<Vec<InboundRecord>>;

    // Service events
    /// Inserts the events not seen before and opens each inserted one's follow-up round
    /// (with its SMS), all in one transaction: an event is never stored without its
    /// round, and a re-run (the same events again) opens nothing. Returns the events
    /// inserted.
    fn insert_service_events(
        &self,
        events: &[(ServiceEvent, NewFollowUp)],
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<ServiceEvent>>;

    // Staff notifications
    /// Inserts the notifications whose event key is new and, in the same transaction,
    /// the SMS copy given with each one inserted and the deadline reminder mark
    /// `reminded` (a `DeadlineHit` key: `kind:case:deadline millis`), so a reminder is
    /// marked exactly when its notices and SMS are stored. Returns the ones inserted.
    fn insert_notifications(
        &self,
        items: &[(StaffNotification, Option<NewSms>)],
        reminded: Option<&str>,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<StaffNotification>>;
    fn notifications(
        &self,
        user: UserId,
        unread_only: bool,
        limit: usize,
    ) -> StoreResult<Vec<StaffNotification>>;
    fn unread_count(&self, user: UserId) -> StoreResult<u64>;
    /// Marks the user's notifications read (all of them when `ids` is None).
    fn mark_notifications_read(
        &self,
        user: UserId,
        ids: Option<&[String]>,
        now: DateTime<Utc>,
    ) -> StoreResult<u64>;
    fn notify_prefs(&self, user: UserId) -> StoreResult<NotifyPrefs>;
    fn set_notify_prefs(&self, user: UserId, p: &NotifyPrefs) -> StoreResult<()>;

    // Change-log reader (staff notifications follow the sync change log)
    fn notify_cursor(&self) -> StoreResult<u64>;
    fn set_notify_cursor(&self, seq: u64) -> StoreResult<()>;
    /// Changes after position `after`, oldest first; entries recorded before `since`
    /// are left out (`entry: None`).
    fn changes_after(
        &self,
        after: u64,
        since: DateTime<Utc>,
        limit: usize,
    ) -> StoreResult<Vec<CaseChange>>;
    /// Deadlines reached (sign-in warning, sign-in or reply overdue) since `since` of
    /// open cases not reminded yet. Nothing is marked here: a hit is marked reminded by
    /// the `insert_notifications` that stores its notices.
    fn deadline_hits(
        &self,
        now: DateTime<Utc>,
        since: DateTime<Utc>,
        limit: usize,
    ) -> StoreResult<Vec<DeadlineHit>>;
}
