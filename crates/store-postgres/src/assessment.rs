//! PostgreSQL: `AssessmentStore` (not ported yet where a method says so).
#![allow(unused_imports, unused_variables, clippy::wildcard_imports)]

use chrono::{DateTime, Utc};
use minsheng_domain::case::Case;
use minsheng_domain::ids::{CaseId, UnitId, UserId};
use minsheng_domain::scope::ListScope;
use minsheng_domain::timeline::TimelineEntry;
use minsheng_store::assessment::*;
use minsheng_store::StoreResult;
use minsheng_store::*;
use serde::{Deserialize, Serialize};

use crate::PgStore;

impl minsheng_store::assessment::AssessmentStore for PgStore {
    fn facts_position(&self) -> StoreResult<u64> {
        todo!("PostgreSQL: facts_position not ported yet")
    }

    fn changed_cases(&self, after: u64, limit: usize) -> StoreResult<(Vec<CaseId>, u64)> {
        todo!("PostgreSQL: changed_cases not ported yet")
    }

    fn cases_with_timelines(&self, ids: &[CaseId]) -> StoreResult<Vec<(Case, Vec<TimelineEntry>)>> {
        todo!("PostgreSQL: cases_with_timelines not ported yet")
    }

    fn write_facts(&self, facts: &[CaseFacts], position: u64) -> StoreResult<()> {
        todo!("PostgreSQL: write_facts not ported yet")
    }

    fn for_each_case_timeline(
        &self,
        f: &mut dyn FnMut(Case, Vec<TimelineEntry>) -> StoreResult<()>,
    ) -> StoreResult<u64> {
        todo!("PostgreSQL: for_each_case_timeline not ported yet")
    }

    fn period_counts(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        now: DateTime<Utc>,
        group: StintGroup,
        via: Via,
    ) -> StoreResult<Vec<(String, Counts)>> {
        todo!("PostgreSQL: period_counts not ported yet")
    }

    fn stints(
        &self,
        units: &[UnitId],
        officer: Option<UserId>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<Stint>> {
        todo!("PostgreSQL: stints not ported yet")
    }

    fn duplicate_cases(
        &self,
        units: &[UnitId],
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<CaseId>> {
        todo!("PostgreSQL: duplicate_cases not ported yet")
    }

    fn analytics(&self, q: &AnalyticsQuery, via: Via) -> StoreResult<Vec<BucketCounts>> {
        todo!("PostgreSQL: analytics not ported yet")
    }

    fn analytics_cases(&self, q: &AnalyticsQuery, limit: usize) -> StoreResult<Vec<CaseId>> {
        todo!("PostgreSQL: analytics_cases not ported yet")
    }

    fn week_cells(&self, from_week: i64, to_week: i64, via: Via) -> StoreResult<WeekCells> {
        todo!("PostgreSQL: week_cells not ported yet")
    }

    fn upsert_alerts(&self, alerts: &[AlertRecord]) -> StoreResult<Vec<AlertRecord>> {
        todo!("PostgreSQL: upsert_alerts not ported yet")
    }

    fn alerts_to_push(&self, limit: usize) -> StoreResult<Vec<AlertRecord>> {
        todo!("PostgreSQL: alerts_to_push not ported yet")
    }

    fn mark_alert_pushed(&self, id: &str, at: DateTime<Utc>) -> StoreResult<()> {
        todo!("PostgreSQL: mark_alert_pushed not ported yet")
    }

    fn alerts(&self, units: Option<&[UnitId]>, limit: usize) -> StoreResult<Vec<AlertRecord>> {
        todo!("PostgreSQL: alerts not ported yet")
    }

    fn insert_report(&self, r: &ReportRecord, replace: bool) -> StoreResult<bool> {
        todo!("PostgreSQL: insert_report not ported yet")
    }

    fn reports(&self, kind: Option<&str>, limit: usize) -> StoreResult<Vec<ReportRecord>> {
        todo!("PostgreSQL: reports not ported yet")
    }

    fn report(&self, id: &str) -> StoreResult<Option<ReportRecord>> {
        todo!("PostgreSQL: report not ported yet")
    }

    fn assessment_setting(&self, key: &str) -> StoreResult<Option<String>> {
        todo!("PostgreSQL: assessment_setting not ported yet")
    }

    fn set_assessment_setting(&self, key: &str, value: &str) -> StoreResult<()> {
        todo!("PostgreSQL: set_assessment_setting not ported yet")
    }
}
