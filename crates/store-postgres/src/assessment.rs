//! PostgreSQL side of `minsheng_store::assessment`: per-case facts, their stints, the
//! per-day rollups kept in step with them in the facts transaction, alerts, reports,
//! settings. The SQLite backend is the reference; the schema is the same in PostgreSQL
//! types (instants stay BIGINT milliseconds, so every time arithmetic is unchanged) and
//! the rollup arithmetic is `minsheng_store::rollup`, shared with it.
//!
//! What is not SQLite here: several instances share the database.
//! * `write_facts` (`facts`) is one transaction at a time across instances (it locks the
//!   facts position row first); see there why, and how a lagging writer never puts
//!   older facts over newer ones.
//! * Reads of several statements that must agree (a period's day rows and their
//!   open-stint correction, the three kinds of week cells) run in one snapshot.
//! * Alerts are upserted on their natural key (`ON CONFLICT … DO NOTHING`, then the row
//!   is locked and refreshed), so two instances raising the same alert store it once.

mod analytics;
mod counts;
mod facts;
mod records;

use chrono::{DateTime, Utc};
use minsheng_domain::case::Case;
use minsheng_domain::ids::{CaseId, UnitId, UserId};
use minsheng_domain::timeline::TimelineEntry;
use minsheng_store::assessment::{
    AlertRecord, AnalyticsQuery, BucketCounts, CaseFacts, Counts, ReportRecord, Stint, StintGroup,
    Via, WeekCells,
};
use minsheng_store::StoreResult;
use postgres::Row;

use crate::{db, from_ms, parse_id, DbResult, PgStore};

fn opt_ms(t: Option<DateTime<Utc>>) -> Option<i64> {
    t.map(crate::ms)
}

fn opt_time(v: Option<i64>) -> Option<DateTime<Utc>> {
    v.map(from_ms)
}

/// A count or limit as a BIGINT parameter.
fn big(n: impl TryInto<i64>) -> i64 {
    n.try_into().unwrap_or(i64::MAX)
}

/// Column `i` of an aggregate row as a count (a SUM over no rows is NULL).
fn count(r: &Row, i: usize) -> DbResult<u64> {
    Ok(u64::try_from(r.try_get::<_, Option<i64>>(i)?.unwrap_or(0)).unwrap_or(0))
}

/// The columns of `assess_stints` a `Stint` is read from.
const STINT_COLUMNS: &str = "case_id, n, unit_id, officer_id, dispatched_at, sign_in_deadline,
    signed_in_at, reply_deadline, completed_at, ended_at, returned, first_satisfied, final_satisfied";

fn stint_from_row(r: &Row) -> DbResult<Stint> {
    let officer: Option<String> = r.try_get("officer_id")?;
    let n: i64 = r.try_get("n")?;
    Ok(Stint {
        case_id: parse_id(r.try_get::<_, &str>("case_id")?)?,
        n: u32::try_from(n).unwrap_or_default(),
        unit_id: parse_id(r.try_get::<_, &str>("unit_id")?)?,
        officer_id: officer.as_deref().map(parse_id).transpose()?,
        dispatched_at: from_ms(r.try_get("dispatched_at")?),
        sign_in_deadline: from_ms(r.try_get("sign_in_deadline")?),
        signed_in_at: opt_time(r.try_get("signed_in_at")?),
        reply_deadline: from_ms(r.try_get("reply_deadline")?),
        completed_at: opt_time(r.try_get("completed_at")?),
        ended_at: opt_time(r.try_get("ended_at")?),
        returned: r.try_get("returned")?,
        first_satisfied: r.try_get("first_satisfied")?,
        final_satisfied: r.try_get("final_satisfied")?,
    })
}

impl minsheng_store::assessment::AssessmentStore for PgStore {
    fn facts_position(&self) -> StoreResult<u64> {
        db(|| facts::position(self))
    }

    fn changed_cases(&self, after: u64, limit: usize) -> StoreResult<(Vec<CaseId>, u64)> {
        db(|| facts::changed_cases(self, after, limit))
    }

    fn cases_with_timelines(&self, ids: &[CaseId]) -> StoreResult<Vec<(Case, Vec<TimelineEntry>)>> {
        db(|| facts::cases_with_timelines(self, ids))
    }

    fn write_facts(&self, facts: &[CaseFacts], position: u64) -> StoreResult<()> {
        db(|| facts::write(self, facts, position))
    }

    fn for_each_case_timeline(
        &self,
        f: &mut dyn FnMut(Case, Vec<TimelineEntry>) -> StoreResult<()>,
    ) -> StoreResult<u64> {
        db(|| facts::for_each_case_timeline(self, f))
    }

    fn period_counts(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        now: DateTime<Utc>,
        group: StintGroup,
        via: Via,
    ) -> StoreResult<Vec<(String, Counts)>> {
        db(|| counts::period_counts(self, from, to, now, group, via))
    }

    fn stints(
        &self,
        units: &[UnitId],
        officer: Option<UserId>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<Stint>> {
        db(|| counts::stints(self, units, officer, from, to))
    }

    fn duplicate_cases(
        &self,
        units: &[UnitId],
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<CaseId>> {
        db(|| counts::duplicate_cases(self, units, from, to))
    }

    fn analytics(&self, q: &AnalyticsQuery, via: Via) -> StoreResult<Vec<BucketCounts>> {
        db(|| analytics::analytics(self, q, via))
    }

    fn analytics_cases(&self, q: &AnalyticsQuery, limit: usize) -> StoreResult<Vec<CaseId>> {
        db(|| analytics::analytics_cases(self, q, limit))
    }

    fn week_cells(&self, from_week: i64, to_week: i64, via: Via) -> StoreResult<WeekCells> {
        db(|| analytics::week_cells(self, from_week, to_week, via))
    }

    fn upsert_alerts(&self, alerts: &[AlertRecord]) -> StoreResult<Vec<AlertRecord>> {
        db(|| records::upsert_alerts(self, alerts))
    }

    fn alerts_to_push(&self, limit: usize) -> StoreResult<Vec<AlertRecord>> {
        db(|| records::alerts_to_push(self, limit))
    }

    fn mark_alert_pushed(&self, id: &str, at: DateTime<Utc>) -> StoreResult<()> {
        db(|| records::mark_alert_pushed(self, id, at))
    }

    fn alerts(&self, units: Option<&[UnitId]>, limit: usize) -> StoreResult<Vec<AlertRecord>> {
        db(|| records::alerts(self, units, limit))
    }

    fn insert_report(&self, r: &ReportRecord, replace: bool) -> StoreResult<bool> {
        db(|| records::insert_report(self, r, replace))
    }

    fn reports(&self, kind: Option<&str>, limit: usize) -> StoreResult<Vec<ReportRecord>> {
        db(|| records::reports(self, kind, limit))
    }

    fn report(&self, id: &str) -> StoreResult<Option<ReportRecord>> {
        db(|| records::report(self, id))
    }

    fn assessment_setting(&self, key: &str) -> StoreResult<Option<String>> {
        db(|| records::setting(self, key))
    }

    fn set_assessment_setting(&self, key: &str, value: &str) -> StoreResult<()> {
        db(|| records::set_setting(self, key, value))
    }
}
