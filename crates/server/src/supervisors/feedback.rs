//! 监督员之声: what the supervisors said in a period (answers recorded in that Beijing
//! month). One computation (`summary`) for the leader's dashboard card and the xlsx
//! export, so the two never disagree.

use chrono::{DateTime, Utc};
use minsheng_domain::capability::Capability;
use minsheng_domain::case::Satisfaction;
use minsheng_domain::ids::{CaseId, UnitId};
use minsheng_domain::role::Actor;
use minsheng_domain::supervisors::{period_bounds, period_of};
use minsheng_store::supervisors::{Consultation, ConsultationQuery};
use rust_xlsxwriter::{Format, Workbook, XlsxError};
use serde::Serialize;

use super::require;
use super::rounds::consultation_view;
use crate::assessment::xlsx::{header_row, xe};
use crate::error::ApiError;
use crate::state::AppState;

/// Suggestions listed on the card.
pub const LATEST_SUGGESTIONS: usize = 10;
/// Most answers one period's figures read.
const PERIOD_LIMIT: usize = 100_000;

/// One suggestion as the card lists it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SuggestionLine {
    pub consultation_id: String,
    pub supervisor_name: String,
    #[schema(value_type = String)]
    pub unit_id: UnitId,
    pub unit_name: String,
    pub text: String,
    pub answered_at: DateTime<Utc>,
    #[schema(value_type = Option<String>)]
    pub case_id: Option<CaseId>,
}

/// What the supervisors said in one period.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FeedbackSummary {
    /// `yyyy-mm`.
    pub period: String,
    /// Consultations of the period's round (0 before it opens).
    pub consulted: u64,
    /// Answers recorded in the period.
    pub answered: u64,
    pub satisfied: u64,
    pub basically_satisfied: u64,
    pub unsatisfied: u64,
    /// Answers registered as 建议 cases.
    pub suggestions: u64,
    /// (满意 + 基本满意) / answered, in percent with one decimal; None without answers.
    pub satisfaction_rate: Option<f64>,
    /// Newest first, at most 10.
    pub latest_suggestions: Vec<SuggestionLine>,
}

/// The answers of a period (and the period) for a reader of the feedback.
fn answers_of(
    s: &AppState,
    actor: &Actor,
    period: Option<&str>,
) -> Result<(String, Vec<Consultation>), ApiError> {
    require(actor, Capability::SupervisorFeedback)?;
    let period = period.map_or_else(|| period_of(s.now()), str::to_owned);
    let (from, to) = period_bounds(&period).ok_or_else(|| ApiError::Invalid {
        code: "SUPERVISOR_PERIOD",
        message: format!("期间“{period}”无效，应为“2026-12”这样的年月"),
    })?;
    let rows = s.store.consultations(&ConsultationQuery {
        answered_from: Some(from),
        answered_to: Some(to),
        limit: PERIOD_LIMIT,
        ..ConsultationQuery::default()
    })?;
    Ok((period, rows.into_iter().map(consultation_view).collect()))
}

fn summarize(
    s: &AppState,
    period: String,
    rows: &[Consultation],
) -> Result<FeedbackSummary, ApiError> {
    let count =
        |sat: Satisfaction| rows.iter().filter(|c| c.satisfaction == Some(sat)).count() as u64;
    let answered = rows.len() as u64;
    let satisfied = count(Satisfaction::Satisfied);
    let basically = count(Satisfaction::BasicallySatisfied);
    let consulted = match s
        .store
        .supervisor_rounds(240)?
        .into_iter()
        .find(|r| r.period == period)
    {
        Some(r) => r.consultations,
        None => 0,
    };
    let org = s.org();
    let unit_name = |u: UnitId| org.get(u).map(|u| u.name.clone()).unwrap_or_default();
    Ok(FeedbackSummary {
        consulted,
        answered,
        satisfied,
        basically_satisfied: basically,
        unsatisfied: count(Satisfaction::Unsatisfied),
        suggestions: rows.iter().filter(|c| c.suggestion).count() as u64,
        satisfaction_rate: (answered > 0)
            .then(|| ((satisfied + basically) as f64 * 1000.0 / answered as f64).round() / 10.0),
        latest_suggestions: rows
            .iter()
            .filter(|c| c.suggestion)
            .take(LATEST_SUGGESTIONS)
            .map(|c| SuggestionLine {
                consultation_id: c.id.clone(),
                supervisor_name: c.supervisor_name.clone(),
                unit_id: c.unit_id,
                unit_name: unit_name(c.unit_id),
                text: c.text.clone().unwrap_or_default(),
                answered_at: c.answered_at.unwrap_or_default(),
                case_id: c.case_id,
            })
            .collect(),
        period,
    })
}

/// The card's figures for `period` (default: the current month).
pub fn summary(
    s: &AppState,
    actor: &Actor,
    period: Option<&str>,
) -> Result<FeedbackSummary, ApiError> {
    let (period, rows) = answers_of(s, actor, period)?;
    summarize(s, period, &rows)
}

pub const CONTENT_TYPE: &str = crate::assessment::xlsx::CONTENT_TYPE;

/// The period's figures (the same `summary`) and every answer, as .xlsx.
pub fn export(
    s: &AppState,
    actor: &Actor,
    period: Option<&str>,
) -> Result<(String, Vec<u8>), ApiError> {
    let (period, rows) = answers_of(s, actor, period)?;
    let sum = summarize(s, period.clone(), &rows)?;
    let org = s.org();
    let bytes = (|| -> Result<Vec<u8>, XlsxError> {
        let mut wb = Workbook::new();
        let bold = Format::new().set_bold();
        let ws = wb.add_worksheet();
        ws.set_name("监督员之声")?;
        let figures: [(&str, String); 8] = [
            ("期间", sum.period.clone()),
            ("征询人数", sum.consulted.to_string()),
            ("已反馈", sum.answered.to_string()),
            ("满意", sum.satisfied.to_string()),
            ("基本满意", sum.basically_satisfied.to_string()),
            ("不满意", sum.unsatisfied.to_string()),
            ("建议件数", sum.suggestions.to_string()),
            (
                "满意率(%)",
                sum.satisfaction_rate
                    .map(|r| r.to_string())
                    .unwrap_or_default(),
            ),
        ];
        for (i, (k, v)) in figures.iter().enumerate() {
            let r = u32::try_from(i).unwrap_or(u32::MAX);
            ws.write_string_with_format(r, 0, *k, &bold)?;
            ws.write_string(r, 1, v)?;
        }
        let ws = wb.add_worksheet();
        ws.set_name("反馈明细")?;
        let headers = [
            "反馈时间",
            "监督员",
            "负责单位",
            "征询方式",
            "满意度",
            "意见内容",
            "是否建议",
            "建议件",
        ];
        header_row(ws, &headers, &bold, 14.0, (5, 48.0))?;
        let bj = minsheng_domain::calendar::beijing();
        for (i, c) in rows.iter().enumerate() {
            let r = u32::try_from(i + 1).unwrap_or(u32::MAX);
            let at = c
                .answered_at
                .map(|t| t.with_timezone(&bj).format("%Y-%m-%d %H:%M").to_string())
                .unwrap_or_default();
            ws.write_string(r, 0, &at)?;
            ws.write_string(r, 1, &c.supervisor_name)?;
            ws.write_string(r, 2, org.get(c.unit_id).map_or("", |u| u.name.as_str()))?;
            ws.write_string(r, 3, c.channel.label_zh())?;
            ws.write_string(r, 4, c.satisfaction.map_or("", Satisfaction::label_zh))?;
            ws.write_string(r, 5, c.text.as_deref().unwrap_or(""))?;
            ws.write_string(r, 6, if c.suggestion { "是" } else { "否" })?;
            ws.write_string(r, 7, c.case_id.map(|x| x.to_string()).unwrap_or_default())?;
        }
        wb.save_to_buffer()
    })()
    .map_err(xe)?;
    Ok((period, bytes))
}
