//! Whether the clerk kept the suggestion at dispatch: recorded per dispatch, summed
//! for the accuracy endpoint (production accuracy of the model, for a dashboard).

use chrono::{DateTime, Duration, NaiveDate, Utc};
use minsheng_domain::case::{Case, CaseState};
use minsheng_domain::workflow::{Action, DispatchOrder};
use serde::Serialize;

use crate::assessment::period::{bj_date, day_start, Period, PeriodKind};
use crate::error::ApiError;
use crate::state::AppState;
use minsheng_store::{DispatchFeedback, FeedbackCounts};

/// Taken before a workflow action: for a (re)dispatch, the suggestion for the case's
/// text; applied after the action succeeds by [`after_action`].
#[derive(Debug, Default)]
pub struct DispatchCheck {
    pending: Option<DispatchFeedback>,
}

impl DispatchCheck {
    pub fn before(s: &AppState, current: &Case, action: &Action) -> Self {
        let (order, kind): (&DispatchOrder, &str) = match action {
            Action::Dispatch(o) => (o, "dispatch"),
            Action::Redispatch { order, .. } => (order, "redispatch"),
            _ => return Self::default(),
        };
        // No model, nothing to compare the choice with.
        let Some(suggestion) = s.intel.suggest(current) else {
            return Self::default();
        };
        let label = |list: &[minsheng_nlp::Scored]| list.first().map(|x| x.label.clone());
        Self {
            pending: Some(DispatchFeedback {
                case_id: current.id,
                at: s.now(),
                action: kind.to_owned(),
                suggested_category: label(&suggestion.category),
                chosen_category: order.category.as_str().to_owned(),
                suggested_unit: suggestion
                    .handling_units
                    .first()
                    .and_then(|u| u.unit_id.parse().ok()),
                chosen_unit: order.handling_unit,
                suggested_request_type: label(&suggestion.request_type),
                chosen_request_type: order.request_type.label_zh().to_owned(),
                model_version: s.intel.model_version(),
            }),
        }
    }
}

/// After an action was stored: record dispatch feedback; merged cases leave the
/// duplicate index. The action is already committed, so failures here are logged.
pub fn after_action(s: &AppState, updated: &Case, check: DispatchCheck) {
    if updated.state == CaseState::Merged {
        s.intel.unindex(updated.id);
    }
    if let Some(fb) = check.pending {
        if let Err(e) = s.store.record_dispatch_feedback(&fb) {
            tracing::warn!(case = %fb.case_id, error = ?e, "dispatch feedback not recorded");
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MatchRates {
    /// Dispatches recorded with a suggestion.
    pub dispatches: u64,
    pub category_matched: u64,
    pub unit_matched: u64,
    pub request_type_matched: u64,
    /// Share of dispatches that kept the suggested value; null without dispatches.
    pub category_rate: Option<f64>,
    pub unit_rate: Option<f64>,
    pub request_type_rate: Option<f64>,
}

impl From<FeedbackCounts> for MatchRates {
    fn from(c: FeedbackCounts) -> Self {
        let rate = |n: u64| (c.dispatches > 0).then(|| n as f64 / c.dispatches as f64);
        Self {
            dispatches: c.dispatches,
            category_matched: c.category_matched,
            unit_matched: c.unit_matched,
            request_type_matched: c.request_type_matched,
            category_rate: rate(c.category_matched),
            unit_rate: rate(c.unit_matched),
            request_type_rate: rate(c.request_type_matched),
        }
    }
}

/// One Beijing week (Monday to Sunday) of dispatches.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WeekRates {
    /// The Monday the week starts (Beijing date).
    pub week_start: NaiveDate,
    pub rates: MatchRates,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AccuracyReport {
    pub model_loaded: bool,
    pub model_version: Option<u64>,
    pub overall: MatchRates,
    pub last30_days: MatchRates,
    /// The last `WEEKS` weeks, oldest first, the current (partial) week last; a week
    /// without dispatches has zero counts and null rates.
    pub weekly: Vec<WeekRates>,
}

/// Weeks in `AccuracyReport::weekly`.
pub const WEEKS: i64 = 12;

/// The last `WEEKS` Beijing weeks ending with the one containing `now`.
fn weekly(s: &AppState, now: DateTime<Utc>) -> Result<Vec<WeekRates>, ApiError> {
    let this_week = Period::containing(PeriodKind::Week, bj_date(now)).start;
    let first = this_week - Duration::weeks(WEEKS - 1);
    let buckets = s
        .store
        .dispatch_feedback_buckets(day_start(first), Duration::weeks(1).num_milliseconds())?;
    Ok((0..WEEKS)
        .map(|i| WeekRates {
            week_start: first + Duration::weeks(i),
            rates: buckets
                .iter()
                .find(|(b, _)| *b == i)
                .map(|(_, c)| *c)
                .unwrap_or_default()
                .into(),
        })
        .collect())
}

pub fn accuracy(s: &AppState) -> Result<AccuracyReport, ApiError> {
    let now = s.now();
    let since = now - Duration::days(30);
    Ok(AccuracyReport {
        model_loaded: s.intel.has_model(),
        model_version: s.intel.model_version(),
        overall: s.store.dispatch_feedback_counts(None)?.into(),
        last30_days: s.store.dispatch_feedback_counts(Some(since))?.into(),
        weekly: weekly(s, now)?,
    })
}
