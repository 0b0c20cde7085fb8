//! Storage of the 优秀监督员 register and their consultation rounds. The store reads
//! and writes rows; which citizens qualify, who may see a supervisor, which channel a
//! consultation takes and what an answer means are decided above it
//! (`minsheng_domain::supervisors`, the server's `supervisors` service).

use chrono::{DateTime, Utc};
use minsheng_domain::case::{CaseState, Satisfaction};
use minsheng_domain::ids::{CaseId, UnitId, UserId};
use minsheng_domain::supervisors::{ContactChannel, SupervisorKind, SupervisorStatus};
use serde::Serialize;

use crate::notify::NewSms;
use crate::{AuditRecord, StoreResult};

/// One supervisor as stored. `phone` is the full number: every list masks it, and
/// `GET /supervisors/{id}/phone` reveals it with an audit record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SupervisorRecord {
    pub id: String,
    pub name: String,
    /// Masked (`138****5678`) in every answer of the API.
    pub phone: String,
    pub kind: SupervisorKind,
    pub status: SupervisorStatus,
    /// 聘任理由 (for a data proposal: the counts it rests on).
    pub reason: String,
    /// 负责联系的单位.
    #[schema(value_type = String)]
    pub unit_id: UnitId,
    /// 联系方式, most preferred first.
    pub contact_preferences: Vec<ContactChannel>,
    pub address: Option<String>,
    pub note: Option<String>,
    /// 聘任日期: when the platform office confirmed the engagement.
    pub since: Option<DateTime<Utc>>,
    /// 解聘/不予聘任 date.
    pub ended_at: Option<DateTime<Utc>>,
    pub proposed_at: DateTime<Utc>,
    /// Who registered the candidate; None: proposed from the data.
    #[schema(value_type = Option<String>)]
    pub proposed_by: Option<UserId>,
    pub updated_at: DateTime<Utc>,
    /// Starts at 1, + 1 with every change (edits say which version they change).
    pub version: u64,
}

/// Filters of the register.
#[derive(Debug, Clone, Default)]
pub struct SupervisorQuery {
    pub status: Option<SupervisorStatus>,
    /// Only the supervisors these units are responsible for.
    pub unit: Option<UnitId>,
    pub limit: usize,
}

/// A caller's requests in a window, for the proposal rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequesterCount {
    pub phone: String,
    /// Cases counted (states the caller did not exclude).
    pub requests: u64,
    /// Of those, cases in the states the caller called unreasonable.
    pub unreasonable: u64,
}

/// A consultation round (one per period).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SupervisorRound {
    pub id: String,
    /// `yyyy-mm` (Beijing month).
    pub period: String,
    pub opened_at: DateTime<Utc>,
    /// Who opened it by hand; None: the scheduled pass.
    #[schema(value_type = Option<String>)]
    pub opened_by: Option<UserId>,
    /// Consultations in the round (filled by `supervisor_rounds`).
    pub consultations: u64,
    /// Of those, answered.
    pub answered: u64,
}

/// `pending` until an answer is recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum ConsultationStatus {
    Pending,
    Answered,
}

impl ConsultationStatus {
    pub const fn code(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Answered => "answered",
        }
    }

    pub fn from_code(s: &str) -> Option<Self> {
        match s {
            "pending" => Some(Self::Pending),
            "answered" => Some(Self::Answered),
            _ => None,
        }
    }
}

/// One supervisor consulted in one round: an SMS survey, or a phone/visit task of the
/// responsible unit; with the answer once recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Consultation {
    pub id: String,
    pub round_id: String,
    pub period: String,
    pub supervisor_id: String,
    pub supervisor_name: String,
    /// Masked in every answer of the API.
    pub phone: String,
    #[schema(value_type = String)]
    pub unit_id: UnitId,
    pub channel: ContactChannel,
    pub status: ConsultationStatus,
    pub opened_at: DateTime<Utc>,
    pub answered_at: Option<DateTime<Utc>>,
    /// Who recorded it; None: the supervisor's SMS reply.
    #[schema(value_type = Option<String>)]
    pub answered_by: Option<UserId>,
    pub satisfaction: Option<Satisfaction>,
    pub text: Option<String>,
    /// Registered as a 建议 case (`caseId`).
    pub suggestion: bool,
    #[schema(value_type = Option<String>)]
    pub case_id: Option<CaseId>,
}

/// Filters of the consultations.
#[derive(Debug, Clone, Default)]
pub struct ConsultationQuery {
    pub round_id: Option<String>,
    pub supervisor_id: Option<String>,
    pub unit: Option<UnitId>,
    pub status: Option<ConsultationStatus>,
    pub channels: Vec<ContactChannel>,
    /// Answered at or after / before (answered ones only when either is given).
    pub answered_from: Option<DateTime<Utc>>,
    pub answered_to: Option<DateTime<Utc>>,
    pub limit: usize,
}

/// An answer to record on a pending consultation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedAnswer {
    pub satisfaction: Satisfaction,
    pub text: String,
    pub suggestion: bool,
    pub at: DateTime<Utc>,
    pub by: Option<UserId>,
}

pub trait SupervisorStore {
    /// Inserts new supervisors (candidates or engaged) with one audit record, in one
    /// transaction. A taken id is `AlreadyExists`.
    fn insert_supervisors(&self, rows: &[SupervisorRecord], audit: &AuditRecord)
        -> StoreResult<()>;
    fn supervisor(&self, id: &str) -> StoreResult<Option<SupervisorRecord>>;
    /// Matching supervisors, newest proposal first.
    fn supervisors(&self, q: &SupervisorQuery) -> StoreResult<Vec<SupervisorRecord>>;
    /// Every supervisor row with this number, whatever its status.
    fn supervisors_by_phone(&self, phone: &str) -> StoreResult<Vec<SupervisorRecord>>;
    /// Every number in the register, whatever its status.
    fn supervisor_phones(&self) -> StoreResult<Vec<String>>;
    /// Writes `row` (its version must be `expected_version` + 1) with its audit record,
    /// in one transaction; a stored version other than `expected_version` is
    /// `StaleVersion`, an unknown id `NotFound`.
    fn update_supervisor(
        &self,
        row: &SupervisorRecord,
        expected_version: u64,
        audit: &AuditRecord,
    ) -> StoreResult<()>;

    /// Callers (citizen phone) of cases received at or after `since`, counting cases
    /// not in `not_counted` and, of those, the ones in `unreasonable`; only callers with
    /// at least `min_requests` counted, most requests first, at most `limit`.
    fn requester_counts(
        &self,
        since: DateTime<Utc>,
        not_counted: &[CaseState],
        unreasonable: &[CaseState],
        min_requests: u64,
        limit: usize,
    ) -> StoreResult<Vec<RequesterCount>>;

    /// Opens the round with its consultations and queues their SMS, in one transaction;
    /// false (nothing written) when a round of that period exists.
    fn open_supervisor_round(
        &self,
        round: &SupervisorRound,
        consultations: &[Consultation],
        sms: &[NewSms],
    ) -> StoreResult<bool>;
    /// Rounds with their counts, newest period first.
    fn supervisor_rounds(&self, limit: usize) -> StoreResult<Vec<SupervisorRound>>;
    fn consultation(&self, id: &str) -> StoreResult<Option<Consultation>>;
    /// Matching consultations, newest answer (else newest opened) first.
    fn consultations(&self, q: &ConsultationQuery) -> StoreResult<Vec<Consultation>>;
    /// Records the answer on a pending consultation and cancels its SMS still waiting
    /// (event key `sms_key`), with the audit record when given, in one transaction;
    /// false (nothing written) when it was not pending.
    fn answer_consultation(
        &self,
        id: &str,
        answer: &RecordedAnswer,
        sms_key: &str,
        audit: Option<&AuditRecord>,
    ) -> StoreResult<bool>;
    /// Links the 建议 case an answer became.
    fn link_consultation_case(&self, id: &str, case_id: CaseId) -> StoreResult<()>;
    /// The pending SMS consultation a reply from `phone` sent at `sent_at` answers: the
    /// latest one to that number opened at or before `sent_at`.
    fn consultation_for_reply(
        &self,
        phone: &str,
        sent_at: DateTime<Utc>,
    ) -> StoreResult<Option<Consultation>>;
}
