//! HTTP endpoints of the assessment area: scores (红黑榜) and their cases, weights,
//! analytics with drill-down, early-warning alerts, reports, Excel export (the home
//! screens' figures are in `dashboard`).

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use minsheng_domain::capability::Capability;
use minsheng_domain::ids::{UnitId, UserId};
use minsheng_domain::role::{Actor, Role};
use serde::{Deserialize, Serialize};

use super::{ApiJson, ApiQuery};
use crate::assessment::alerts;
use crate::assessment::analytics::{self, AnalyticsParams, AnalyticsView};
use crate::assessment::board::{self, BoardRequest, Level, ScoreBoard, Source};
use crate::assessment::explain::{self, Explanation, Metric};
use crate::assessment::period::PeriodKind;
use crate::assessment::reports::{self, brief, ReportBrief};
use crate::assessment::score::{self, Weights};
use crate::assessment::xlsx;
use crate::auth::Authed;
use crate::error::ApiError;
use crate::state::{AppState, SharedState};
use minsheng_store::assessment::{AlertRecord, ReportRecord};
use minsheng_store::AuditRecord;

/// This area's part of the OpenAPI document (merged by `openapi::document`).
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    scores,
    scores_xlsx,
    explain_cases,
    get_weights,
    put_weights,
    analytics_view,
    analytics_cases,
    alerts,
    list_reports,
    create_report,
    get_report,
    report_xlsx,
    super::dashboard::dashboard,
    super::dashboard::bulletin,
    super::dashboard::follow_up_queue
))]
pub struct AssessmentApi;

pub fn routes() -> Router<SharedState> {
    Router::new()
        .route("/assessment/scores", get(scores))
        .route("/assessment/scores.xlsx", get(scores_xlsx))
        .route("/assessment/explain", get(explain_cases))
        .route("/assessment/weights", get(get_weights).put(put_weights))
        .route("/analytics", get(analytics_view))
        .route("/analytics/cases", get(analytics_cases))
        .route("/alerts", get(alerts))
        .route("/reports", get(list_reports).post(create_report))
        .route("/reports/{id}", get(get_report))
        .route("/reports/{id}/export.xlsx", get(report_xlsx))
        .merge(super::dashboard::routes())
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ScoreParams {
    /// week, month (default) or year.
    #[param(pattern = "^(week|month|year|周|月|年)$")]
    pub period: Option<String>,
    /// Any day inside the period, `YYYY-MM-DD` (default today, Beijing).
    #[param(format = Date)]
    pub date: Option<String>,
    /// station (default), branch or officer.
    #[param(pattern = "^(station|unit|branch|officer)$")]
    pub level: Option<String>,
    /// facts (default) or timeline (replays every timeline; city roles only).
    #[param(pattern = "^(facts|timeline)?$")]
    pub source: Option<String>,
}

fn board_request(p: &ScoreParams, actor: &Actor, s: &AppState) -> Result<BoardRequest, ApiError> {
    board::check_reader(actor)?;
    let source = match p.source.as_deref() {
        None | Some("" | "facts") => Source::Facts,
        Some("timeline") => {
            if !actor.role.sees_everything() {
                return Err(ApiError::Forbidden);
            }
            Source::Timeline
        }
        Some(v) => return Err(ApiError::BadRequest(format!("参数 source 的值“{v}”无效"))),
    };
    Ok(BoardRequest {
        period: board::period_of(p.period.as_deref(), p.date.as_deref(), s.now())?,
        level: Level::parse(p.level.as_deref().unwrap_or("station"))?,
        source,
    })
}

/// Scores and ranking for a period; rows limited to the caller's scope.
#[utoipa::path(get, path = "/api/v1/assessment/scores", params(ScoreParams),
    responses((status = 200, body = ScoreBoard), (status = 400, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
pub async fn scores(
    State(state): State<SharedState>,
    auth: Authed,
    ApiQuery(p): ApiQuery<ScoreParams>,
) -> Result<Json<ScoreBoard>, ApiError> {
    state
        .blocking(move |s| {
            let req = board_request(&p, &auth.actor, s)?;
            Ok(Json(board::board(s, Some(&auth.actor), &req, s.now())?))
        })
        .await
}

pub(super) fn xlsx_response(name: &str, bytes: Vec<u8>) -> Response {
    xlsx_named("assessment.xlsx", name, bytes)
}

/// An .xlsx download named `ascii` for old clients and `name` (Chinese) for the others.
pub(super) fn xlsx_named(ascii: &str, name: &str, bytes: Vec<u8>) -> Response {
    // RFC 5987 filename* so the Chinese name survives.
    let encoded: String = name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, xlsx::CONTENT_TYPE.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}"),
            ),
        ],
        bytes,
    )
        .into_response()
}

/// The score board as an Excel file.
#[utoipa::path(get, path = "/api/v1/assessment/scores.xlsx", params(ScoreParams),
    responses((status = 200, description = "Excel workbook", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>),
              (status = 400, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
pub async fn scores_xlsx(
    State(state): State<SharedState>,
    auth: Authed,
    ApiQuery(p): ApiQuery<ScoreParams>,
) -> Result<Response, ApiError> {
    state
        .blocking(move |s| {
            let req = board_request(&p, &auth.actor, s)?;
            let b = board::board(s, Some(&auth.actor), &req, s.now())?;
            let title = format!("考核{}", b.period.start);
            let bytes = xlsx::board_xlsx("考核排名", &b.rows)?;
            Ok(xlsx_response(&format!("{title}.xlsx"), bytes))
        })
        .await
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExplainParams {
    /// week, month (default) or year.
    #[param(pattern = "^(week|month|year|周|月|年)$")]
    pub period: Option<String>,
    /// Any day inside the period, `YYYY-MM-DD` (default today, Beijing).
    #[param(format = Date)]
    pub date: Option<String>,
    /// The score row's unit; `unit` or `officer` is required.
    #[param(format = Uuid)]
    pub unit: Option<String>,
    /// The score row's officer.
    #[param(format = Uuid)]
    pub officer: Option<String>,
    /// received (default), signInOnTime, signInLate, replyOnTime, replyLate, returned,
    /// answered, rehandled, satisfied, unsatisfied, overdue, duplicates.
    pub metric: Option<String>,
}

/// The cases (stints) behind a score row, classified as the score counts them.
#[utoipa::path(get, path = "/api/v1/assessment/explain", params(ExplainParams),
    responses((status = 200, body = Explanation), (status = 400, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody)))]
pub async fn explain_cases(
    State(state): State<SharedState>,
    auth: Authed,
    ApiQuery(p): ApiQuery<ExplainParams>,
) -> Result<Json<Explanation>, ApiError> {
    state
        .blocking(move |s| {
            board::check_reader(&auth.actor)?;
            let period = board::period_of(p.period.as_deref(), p.date.as_deref(), s.now())?;
            let unit = p
                .unit
                .as_deref()
                .filter(|u| !u.is_empty())
                .map(|u| u.parse::<UnitId>().map_err(|_| ApiError::NotFound("单位")))
                .transpose()?;
            let officer = p
                .officer
                .as_deref()
                .filter(|u| !u.is_empty())
                .map(|u| u.parse::<UserId>().map_err(|_| ApiError::NotFound("民警")))
                .transpose()?;
            let metric = Metric::parse(p.metric.as_deref().unwrap_or("received"))?;
            Ok(Json(explain::explain(
                s,
                &auth.actor,
                period,
                unit,
                officer,
                metric,
                s.now(),
            )?))
        })
        .await
}

#[utoipa::path(get, path = "/api/v1/assessment/weights", responses((status = 200, body = Weights), (status = 403, body = crate::error::ErrorBody)))]
pub async fn get_weights(
    State(state): State<SharedState>,
    auth: Authed,
) -> Result<Json<Weights>, ApiError> {
    state
        .blocking(move |s| {
            board::check_reader(&auth.actor)?;
            Ok(Json(board::weights(s)?))
        })
        .await
}

/// Sets the weights and deductions (admin only; audited).
#[utoipa::path(put, path = "/api/v1/assessment/weights", request_body = Weights,
    responses((status = 200, body = Weights), (status = 400, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
pub async fn put_weights(
    State(state): State<SharedState>,
    auth: Authed,
    ApiJson(w): ApiJson<Weights>,
) -> Result<Json<Weights>, ApiError> {
    state
        .blocking(move |s| {
            if auth.actor.role != Role::Admin {
                return Err(ApiError::Forbidden);
            }
            score::validate(&w)?;
            let before = board::weights(s)?;
            let v = serde_json::to_string(&w)?;
            s.store.set_assessment_setting("weights", &v)?;
            s.store.audit(&AuditRecord {
                at: s.now(),
                user_id: auth.actor.user_id,
                action: "setAssessmentWeights".into(),
                target: "assessment".into(),
                detail: serde_json::json!({ "before": before, "after": w }).to_string(),
            })?;
            Ok(Json(w))
        })
        .await
}

/// Aggregates by one dimension over the caller's scope, with drill-down filters.
#[utoipa::path(get, path = "/api/v1/analytics", params(AnalyticsParams),
    responses((status = 200, body = AnalyticsView), (status = 400, body = crate::error::ErrorBody)))]
pub async fn analytics_view(
    State(state): State<SharedState>,
    auth: Authed,
    ApiQuery(p): ApiQuery<AnalyticsParams>,
) -> Result<Json<AnalyticsView>, ApiError> {
    state
        .blocking(move |s| {
            let q = analytics::query(&p, &auth.actor, s.now())?;
            Ok(Json(analytics::run(s, &q)?))
        })
        .await
}

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DrillCase {
    pub id: String,
    pub number: Option<String>,
    pub title: String,
    pub state: String,
    pub state_name: String,
    pub category: Option<String>,
    pub district: Option<String>,
    pub handling_unit: Option<String>,
    pub received_at: DateTime<Utc>,
}

/// The cases of an analytics bucket (exact drill-down), newest first.
#[utoipa::path(get, path = "/api/v1/analytics/cases", params(AnalyticsParams),
    responses((status = 200, body = Vec<DrillCase>), (status = 400, body = crate::error::ErrorBody)))]
pub async fn analytics_cases(
    State(state): State<SharedState>,
    auth: Authed,
    ApiQuery(p): ApiQuery<AnalyticsParams>,
) -> Result<Json<Vec<DrillCase>>, ApiError> {
    state
        .blocking(move |s| {
            let q = analytics::query(&p, &auth.actor, s.now())?;
            let limit = p.limit.unwrap_or(50).clamp(1, 500);
            let mut out = Vec::new();
            for id in s.store.analytics_cases(&q, limit)? {
                if let Some(c) = s.store.case(id)? {
                    out.push(DrillCase {
                        id: c.id.to_string(),
                        number: c.number,
                        title: c.title,
                        state: c.state.code(),
                        state_name: c.state.label_zh().into(),
                        category: c.category.map(|x| x.as_str().to_owned()),
                        district: c.district,
                        handling_unit: c.handling_unit.map(|u| u.to_string()),
                        received_at: c.received_at,
                    });
                }
            }
            Ok(Json(out))
        })
        .await
}

/// Early-warning alerts pushed to the caller's unit (all for city-wide roles).
#[utoipa::path(get, path = "/api/v1/alerts", responses((status = 200, body = Vec<AlertRecord>)))]
pub async fn alerts(
    State(state): State<SharedState>,
    auth: Authed,
) -> Result<Json<Vec<AlertRecord>>, ApiError> {
    state
        .blocking(move |s| Ok(Json(alerts::visible_alerts(s, &auth.actor, 100)?)))
        .await
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReportListParams {
    /// week or month.
    #[param(pattern = "^(week|month|year|周|月|年)$")]
    pub kind: Option<String>,
    /// At most this many (clamped to 1–200, default 20).
    pub limit: Option<usize>,
}

#[utoipa::path(get, path = "/api/v1/reports", params(ReportListParams),
    responses((status = 200, body = Vec<ReportBrief>), (status = 400, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
pub async fn list_reports(
    State(state): State<SharedState>,
    auth: Authed,
    ApiQuery(p): ApiQuery<ReportListParams>,
) -> Result<Json<Vec<ReportBrief>>, ApiError> {
    state
        .blocking(move |s| {
            board::check_reader(&auth.actor)?;
            let kind = p.kind.as_deref().map(PeriodKind::parse).transpose()?;
            let limit = p.limit.unwrap_or(20).clamp(1, 200);
            Ok(Json(
                s.store
                    .reports(kind.map(PeriodKind::code), limit)?
                    .iter()
                    .map(brief)
                    .collect(),
            ))
        })
        .await
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewReport {
    /// week or month.
    #[schema(pattern = "^(week|month|周|月)$")]
    pub kind: String,
    /// Any day in the period, `YYYY-MM-DD` (default today).
    #[schema(format = Date)]
    pub date: Option<String>,
}

/// Generates (or regenerates) a report now (city roles).
#[utoipa::path(post, path = "/api/v1/reports", request_body = NewReport,
    responses((status = 201, body = ReportRecord), (status = 400, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
pub async fn create_report(
    State(state): State<SharedState>,
    auth: Authed,
    ApiJson(r): ApiJson<NewReport>,
) -> Result<(StatusCode, Json<ReportRecord>), ApiError> {
    state
        .blocking(move |s| {
            if !auth.actor.role.can(Capability::Reports) {
                return Err(ApiError::Forbidden);
            }
            let kind = PeriodKind::parse(&r.kind)?;
            if kind == PeriodKind::Year {
                return Err(ApiError::BadRequest("报告只有周报和月报".into()));
            }
            let period = board::period_of(Some(kind.code()), r.date.as_deref(), s.now())?;
            let rec = crate::assessment::report_now(s, period, &auth.actor.name, s.now())?;
            Ok((StatusCode::CREATED, Json(rec)))
        })
        .await
}

fn load_report(s: &AppState, actor: &Actor, id: &str) -> Result<ReportRecord, ApiError> {
    board::check_reader(actor)?;
    let rec = s.store.report(id)?.ok_or(ApiError::NotFound("报告"))?;
    reports::visible(&rec, actor, &s.org())
}

#[utoipa::path(get, path = "/api/v1/reports/{id}", params(("id" = String, Path, description = "报告 id")),
    responses((status = 200, body = ReportRecord), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
pub async fn get_report(
    State(state): State<SharedState>,
    auth: Authed,
    Path(id): Path<String>,
) -> Result<Json<ReportRecord>, ApiError> {
    state
        .blocking(move |s| Ok(Json(load_report(s, &auth.actor, &id)?)))
        .await
}

#[utoipa::path(get, path = "/api/v1/reports/{id}/export.xlsx", params(("id" = String, Path, description = "报告 id")),
    responses((status = 200, description = "Excel workbook", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>),
              (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
pub async fn report_xlsx(
    State(state): State<SharedState>,
    auth: Authed,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    state
        .blocking(move |s| {
            let rec = load_report(s, &auth.actor, &id)?;
            let body: reports::ReportBody = serde_json::from_value(rec.body.clone())?;
            let bytes = xlsx::report_xlsx(&body)?;
            Ok(xlsx_response(&format!("{}.xlsx", rec.title), bytes))
        })
        .await
}

#[cfg(test)]
mod tests {
    use utoipa::OpenApi;

    #[test]
    fn openapi_part_lists_the_area_paths() {
        let doc = super::AssessmentApi::openapi();
        for p in [
            "/api/v1/assessment/scores",
            "/api/v1/analytics",
            "/api/v1/alerts",
            "/api/v1/dashboard",
        ] {
            assert!(doc.paths.paths.contains_key(p), "{p}");
        }
    }
}
