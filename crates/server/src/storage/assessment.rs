//! Storage of the assessment area (see `crate::assessment`): per-case facts derived
//! from the timelines, the handling stints they contain, alerts, reports, weights.

use chrono::{DateTime, Utc};
use minsheng_domain::case::Case;
use minsheng_domain::ids::{CaseId, UnitId, UserId};
use minsheng_domain::scope::ListScope;
use minsheng_domain::timeline::TimelineEntry;
use serde::{Deserialize, Serialize};

use super::StoreResult;

/// One case as analytics sees it (one row of the facts table).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FactCase {
    pub case_id: CaseId,
    pub received_at: DateTime<Utc>,
    pub category: Option<String>,
    pub channel: String,
    pub request_type: String,
    pub district: Option<String>,
    pub handling_unit: Option<UnitId>,
    /// Level-2 ancestor of the handling unit.
    pub branch: Option<UnitId>,
    pub police_line: Option<String>,
    pub state: String,
    pub closed: bool,
    /// First follow-up answer (the citizen's verdict on the first published reply).
    pub answered_at: Option<DateTime<Utc>>,
    pub first_satisfied: Option<bool>,
    pub duplicate_of: Option<CaseId>,
    pub merged_at: Option<DateTime<Utc>>,
}

/// One handling stint: a dispatch to a unit, until the case is returned, re-dispatched
/// elsewhere, or handled to the end. Assessment counts stints, not cases, so a case
/// returned by one station and finished by another counts for both.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Stint {
    #[schema(value_type = String)]
    pub case_id: CaseId,
    /// 1 for the first dispatch of the case, 2 for the next ...
    pub n: u32,
    #[schema(value_type = String)]
    pub unit_id: UnitId,
    #[schema(value_type = Option<String>)]
    pub officer_id: Option<UserId>,
    pub dispatched_at: DateTime<Utc>,
    pub sign_in_deadline: DateTime<Utc>,
    pub signed_in_at: Option<DateTime<Utc>>,
    pub reply_deadline: DateTime<Utc>,
    /// The reply was published (已办结).
    pub completed_at: Option<DateTime<Utc>>,
    /// The stint ended without a reply (退办 or 改派).
    pub ended_at: Option<DateTime<Utc>>,
    pub returned: bool,
    pub first_satisfied: Option<bool>,
    pub final_satisfied: Option<bool>,
}

/// Everything the facts worker writes for one case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseFacts {
    pub case: FactCase,
    pub stints: Vec<Stint>,
}

/// Raw counts behind every assessment rate; summed per unit or officer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Counts {
    /// Stints dispatched to the unit in the period (受理/接收).
    pub received: u64,
    /// Stints whose sign-in is decided (signed in, or the deadline passed) / of them late.
    pub sign_in_decided: u64,
    pub sign_in_late: u64,
    pub reply_decided: u64,
    pub reply_late: u64,
    /// 退办.
    pub returned: u64,
    /// Stints whose reply got a follow-up answer.
    pub answered: u64,
    /// First answer unsatisfied: the case had to be re-handled (回访不满意后重办).
    pub rehandled: u64,
    /// Latest answer satisfied or basically satisfied.
    pub satisfied: u64,
    /// Stints late on sign-in or reply.
    pub overdue: u64,
    /// Later requests linked as duplicates of cases the unit handles.
    pub duplicates: u64,
}

impl Counts {
    pub fn add(&mut self, o: &Self) {
        self.received += o.received;
        self.sign_in_decided += o.sign_in_decided;
        self.sign_in_late += o.sign_in_late;
        self.reply_decided += o.reply_decided;
        self.reply_late += o.reply_late;
        self.returned += o.returned;
        self.answered += o.answered;
        self.rehandled += o.rehandled;
        self.satisfied += o.satisfied;
        self.overdue += o.overdue;
        self.duplicates += o.duplicates;
    }

    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// How stint counts are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StintGroup {
    Unit,
    Officer,
}

/// Dimensions of the analytics aggregates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum Dimension {
    Category,
    PoliceLine,
    District,
    /// Handling unit (科所队).
    Unit,
    /// Level-2 unit above the handling unit (分局/县局/支队).
    Branch,
    Channel,
    RequestType,
    Day,
    Week,
    Month,
    /// Hour of day, Beijing time.
    Hour,
    State,
}

/// Filters of an analytics query; all optional, combined with AND.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AnalyticsFilter {
    pub category: Option<String>,
    pub channel: Option<String>,
    pub request_type: Option<String>,
    pub district: Option<String>,
    pub police_line: Option<String>,
    /// Handling unit id (科所队) or a level-2 unit id (its stations).
    #[schema(value_type = Option<String>)]
    pub unit: Option<UnitId>,
    /// Hour of day 0–23, Beijing time.
    pub hour: Option<u32>,
    /// State code.
    pub state: Option<String>,
}

#[derive(Debug, Clone)]
pub struct AnalyticsQuery {
    pub scope: ListScope,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub by: Dimension,
    pub filter: AnalyticsFilter,
}

/// One group of an analytics answer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BucketCounts {
    pub key: Option<String>,
    pub count: u64,
    pub closed: u64,
    pub answered: u64,
    pub unsatisfied: u64,
    pub duplicates: u64,
}

/// Weekly counts for early warning: one (week, category, area) cell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeekCell {
    /// Monday of the week, days since 1970-01-01 (Beijing dates).
    pub week: i64,
    pub category: String,
    /// District name or handling unit id.
    pub area: String,
    pub count: u64,
    pub unsatisfied: u64,
}

/// A stored early-warning alert.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AlertRecord {
    pub id: String,
    /// `volume` or `dissatisfaction`.
    pub kind: String,
    /// `district` or `unit`.
    pub area_kind: String,
    pub area: String,
    pub area_name: String,
    pub category: String,
    /// Monday of the week, `YYYY-MM-DD`.
    pub week: String,
    pub observed: u64,
    /// Baseline mean count (volume) or rate (dissatisfaction) of the previous weeks.
    pub baseline: f64,
    /// Poisson tail probability (volume) or z-score (dissatisfaction).
    pub statistic: f64,
    pub message: String,
    pub raised_at: DateTime<Utc>,
    /// The units it is pushed to: the unit and its supervisors.
    #[schema(value_type = Vec<String>)]
    pub units: Vec<UnitId>,
}

/// A generated weekly or monthly report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReportRecord {
    pub id: String,
    /// `week` or `month`.
    pub kind: String,
    pub period_start: String,
    pub title: String,
    pub generated_at: DateTime<Utc>,
    /// Generated by the schedule (`schedule`) or on demand (user name).
    pub generated_by: String,
    /// The report document (`assessment::reports::ReportBody`).
    #[schema(value_type = Object)]
    pub body: serde_json::Value,
}

/// Implemented by every backend; part of `Store`.
pub trait AssessmentStore {
    /// Change-log position the facts are up to date with.
    fn facts_position(&self) -> StoreResult<u64>;
    /// Distinct cases changed after `after` (at most `limit` log rows) and the
    /// position reached.
    fn changed_cases(&self, after: u64, limit: usize) -> StoreResult<(Vec<CaseId>, u64)>;
    fn cases_with_timelines(&self, ids: &[CaseId]) -> StoreResult<Vec<(Case, Vec<TimelineEntry>)>>;
    /// Replaces the facts of these cases and stores the position, in one transaction.
    fn write_facts(&self, facts: &[CaseFacts], position: u64) -> StoreResult<()>;
    /// Feeds every case with its timeline to `f` (the recomputation path).
    fn for_each_case_timeline(
        &self,
        f: &mut dyn FnMut(Case, Vec<TimelineEntry>) -> StoreResult<()>,
    ) -> StoreResult<u64>;

    /// Counts of stints dispatched in `[from, to)`, as of `now`, by unit or officer id.
    fn stint_counts(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        now: DateTime<Utc>,
        group: StintGroup,
    ) -> StoreResult<Vec<(String, Counts)>>;
    /// Duplicates linked in `[from, to)`, by the master's handling unit id.
    fn duplicate_counts(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<(String, u64)>>;
    /// Stints of these units (or of one officer) dispatched in `[from, to)`.
    fn stints(
        &self,
        units: &[UnitId],
        officer: Option<UserId>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<Stint>>;
    /// Cases linked in `[from, to)` as duplicates of cases handled by these units.
    fn duplicate_cases(
        &self,
        units: &[UnitId],
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<CaseId>>;

    fn analytics(&self, q: &AnalyticsQuery) -> StoreResult<Vec<BucketCounts>>;
    /// Case ids of an analytics drill-down, newest first.
    fn analytics_cases(&self, q: &AnalyticsQuery, limit: usize) -> StoreResult<Vec<CaseId>>;
    /// Weekly volume by (category, district) and (category, handling unit), and weekly
    /// first-answer dissatisfaction by (category, handling unit), for weeks in `[from_week, to_week]`.
    fn week_cells(&self, from_week: i64, to_week: i64) -> StoreResult<WeekCells>;

    /// Inserts or refreshes alerts (same kind, area, category and week = same alert).
    fn upsert_alerts(&self, alerts: &[AlertRecord]) -> StoreResult<()>;
    /// Newest alerts visible to any of `units` (all when None).
    fn alerts(&self, units: Option<&[UnitId]>, limit: usize) -> StoreResult<Vec<AlertRecord>>;

    /// Stores a report unless one of the same kind and period exists (then false).
    fn insert_report(&self, r: &ReportRecord, replace: bool) -> StoreResult<bool>;
    /// Newest reports first.
    fn reports(&self, kind: Option<&str>, limit: usize) -> StoreResult<Vec<ReportRecord>>;
    fn report(&self, id: &str) -> StoreResult<Option<ReportRecord>>;

    fn assessment_setting(&self, key: &str) -> StoreResult<Option<String>>;
    fn set_assessment_setting(&self, key: &str, value: &str) -> StoreResult<()>;
}

/// The three kinds of weekly cells early warning looks at.
#[derive(Debug, Clone, Default)]
pub struct WeekCells {
    pub by_district: Vec<WeekCell>,
    pub by_unit: Vec<WeekCell>,
    pub dissatisfaction_by_unit: Vec<WeekCell>,
}
