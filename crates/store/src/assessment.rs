//! Storage of the assessment area (see `crate::assessment`): per-case facts derived
//! from the timelines, the handling stints they contain, the per-day rollups kept in
//! step with them, alerts, reports, weights.
//!
//! Aggregates can be read two ways (`Via`): from the rollups (what dashboards use: a
//! period sums day rows, never per-case rows) or from the per-case facts (the reference
//! the rollups are tested against, and the fallback for what rollups cannot answer).

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
    /// The units whose staff may see the case (`scope::scope_units`), for scoped rollups.
    pub scope_units: Vec<UnitId>,
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

impl Stint {
    /// What this stint contributes to its unit's counts, as of `now`:
    /// * sign-in is *decided* once the unit signed in or the sign-in deadline passed
    ///   (before the stint ended by 退办/改派); it is *late* if signed after the deadline
    ///   or not signed by then. Reply (已办结) likewise against the reply deadline.
    /// * overdue = late on sign-in or on reply; rehandled = first answer 不满意;
    ///   satisfied = latest answer 满意/基本满意; both over answered stints.
    pub fn counts_at(&self, now: DateTime<Utc>) -> Counts {
        let cutoff = self.ended_at.map_or(now, |e| e.min(now));
        let (s_dec, s_late) = decided(self.signed_in_at, self.sign_in_deadline, cutoff);
        let (r_dec, r_late) = decided(self.completed_at, self.reply_deadline, cutoff);
        Counts {
            received: 1,
            sign_in_decided: u64::from(s_dec),
            sign_in_late: u64::from(s_late),
            reply_decided: u64::from(r_dec),
            reply_late: u64::from(r_late),
            returned: u64::from(self.returned),
            answered: u64::from(self.first_satisfied.is_some()),
            rehandled: u64::from(self.first_satisfied == Some(false)),
            satisfied: u64::from(self.final_satisfied == Some(true)),
            overdue: u64::from(s_late || r_late),
            duplicates: 0,
            accountability: 0,
        }
    }

    /// The counts once every deadline has passed (what the rollups hold).
    pub fn final_counts(&self) -> Counts {
        self.counts_at(DateTime::<Utc>::MAX_UTC)
    }

    /// From when on `counts_at(now) == final_counts()`: the first instant after the last
    /// deadline still open (None when the counts never change with time). Open means
    /// not done, and not ended before the deadline (then it can never be missed).
    pub fn settles_at(&self) -> Option<DateTime<Utc>> {
        let open = |done: Option<DateTime<Utc>>, deadline: DateTime<Utc>| {
            let ended_first = self.ended_at.is_some_and(|e| e <= deadline);
            (done.is_none() && !ended_first).then(|| deadline + chrono::Duration::milliseconds(1))
        };
        open(self.signed_in_at, self.sign_in_deadline)
            .max(open(self.completed_at, self.reply_deadline))
    }
}

fn decided(
    done: Option<DateTime<Utc>>,
    deadline: DateTime<Utc>,
    cutoff: DateTime<Utc>,
) -> (bool, bool) {
    match done {
        Some(t) => (true, t > deadline),
        None => (cutoff > deadline, cutoff > deadline),
    }
}

/// Everything the facts worker writes for one case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseFacts {
    pub case: FactCase,
    pub stints: Vec<Stint>,
}

/// Raw counts behind every assessment rate (the domain's scoring rules define them).
pub use minsheng_domain::assessment::Counts;

/// Where an aggregate is read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// Per-day rollups (falls back to the facts for what they cannot answer: ranges not
    /// on Beijing day boundaries, filtered analytics).
    Rollups,
    /// The per-case facts tables.
    Facts,
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

    /// Counts of stints dispatched in `[from, to)`, as of `now`, by unit or officer id;
    /// by unit also the duplicates linked in `[from, to)` to the unit's cases (by the
    /// master's handling unit). Keys whose counts are all zero are left out.
    fn period_counts(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        now: DateTime<Utc>,
        group: StintGroup,
        via: Via,
    ) -> StoreResult<Vec<(String, Counts)>>;
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

    /// Buckets with at least one case.
    fn analytics(&self, q: &AnalyticsQuery, via: Via) -> StoreResult<Vec<BucketCounts>>;
    /// Case ids of an analytics drill-down, newest first.
    fn analytics_cases(&self, q: &AnalyticsQuery, limit: usize) -> StoreResult<Vec<CaseId>>;
    /// Weekly volume by (category, district) and (category, handling unit), and weekly
    /// first-answer dissatisfaction by (category, handling unit), for weeks in `[from_week, to_week]`.
    /// Cells with no case are left out.
    fn week_cells(&self, from_week: i64, to_week: i64, via: Via) -> StoreResult<WeekCells>;

    /// Inserts or refreshes alerts (same kind, area, category and week = same alert);
    /// returns them as stored (an alert seen before keeps its id and first raise time).
    fn upsert_alerts(&self, alerts: &[AlertRecord]) -> StoreResult<Vec<AlertRecord>>;
    /// Alerts not yet pushed to their units' staff, oldest first.
    fn alerts_to_push(&self, limit: usize) -> StoreResult<Vec<AlertRecord>>;
    fn mark_alert_pushed(&self, id: &str, at: DateTime<Utc>) -> StoreResult<()>;
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
