//! HTTP endpoints of the follow-up rounds (回访) in the notify area:
//! `GET /followups`, `GET /followups/stats`,
//! `GET /followups/{id}/phone` (one round's full number, audited; in `super::notify_pii`),
//! `POST /followups/{id}/answer` (a window-service round answered on the phone).
//!
//! Lists show citizens' numbers masked for every role (`super::notify_pii`).

use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use minsheng_domain::capability::Capability;
use minsheng_domain::case::Satisfaction;
use minsheng_domain::ids::CaseId;
use serde::Deserialize;

use super::notify::require_can;
use super::notify_pii::{followup_view, reveal_followup_phone};
use super::{ApiJson, ApiQuery};
use crate::auth::Authed;
use crate::error::ApiError;
use crate::notify::inbound::satisfaction_code;
use crate::notify::service::service_label;
use crate::state::SharedState;
use minsheng_store::notify::{FollowUpRecord, FollowUpStatsRow, FollowUpStatus};
use minsheng_store::AuditRecord;

/// This part of the OpenAPI document (merged by `openapi::document`).
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    list_followups,
    followup_stats,
    super::notify_pii::reveal_followup_phone,
    answer_by_phone,
))]
pub struct FollowUpApi;

pub fn routes() -> Router<SharedState> {
    Router::new()
        .route("/followups", get(list_followups))
        .route("/followups/stats", get(followup_stats))
        .route("/followups/{id}/phone", get(reveal_followup_phone))
        .route("/followups/{id}/answer", post(answer_by_phone))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FollowUpParams {
    /// Only the rounds of this case.
    #[serde(default)]
    #[param(format = Uuid)]
    pub case_id: Option<String>,
    /// Only rounds in this state.
    #[serde(default)]
    #[param(value_type = Option<FollowUpStatus>)]
    pub status: Option<String>,
    /// At most this many (clamped to 1–1000, default 100).
    #[serde(default)]
    pub limit: Option<usize>,
}

/// Follow-up rounds (回访 records), e.g. `?status=phoneTask` for the 回访员's phone list.
/// Numbers are masked for every role; `GET /followups/{id}/phone` reveals one (audited).
#[utoipa::path(get, path = "/api/v1/followups", params(FollowUpParams), responses((status = 200, body = Vec<FollowUpRecord>), (status = 400, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
pub async fn list_followups(
    State(state): State<SharedState>,
    auth: Authed,
    ApiQuery(p): ApiQuery<FollowUpParams>,
) -> Result<Json<Vec<FollowUpRecord>>, ApiError> {
    require_can(&auth, Capability::ReadFollowUps)?;
    let case_id = p
        .case_id
        .as_deref()
        .map(|c| {
            c.parse::<CaseId>()
                .map_err(|_| ApiError::BadRequest("caseId 无效".into()))
        })
        .transpose()?;
    let status = p
        .status
        .as_deref()
        .map(|st| {
            FollowUpStatus::from_code(st)
                .ok_or_else(|| ApiError::BadRequest(format!("未知的状态“{st}”")))
        })
        .transpose()?;
    state
        .blocking(move |s| {
            let rows = s
                .store
                .followups(case_id, status, p.limit.unwrap_or(100).clamp(1, 1000))?;
            Ok(Json(rows.into_iter().map(followup_view).collect()))
        })
        .await
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StatsParams {
    /// Rounds opened at or after this instant (RFC 3339).
    #[serde(default)]
    pub from: Option<DateTime<Utc>>,
    /// Rounds opened before this instant.
    #[serde(default)]
    pub to: Option<DateTime<Utc>>,
}

/// Satisfaction by window service and by case follow-up level.
#[utoipa::path(get, path = "/api/v1/followups/stats", params(StatsParams), responses((status = 200, body = Vec<FollowUpStatsRow>), (status = 400, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
pub async fn followup_stats(
    State(state): State<SharedState>,
    auth: Authed,
    ApiQuery(p): ApiQuery<StatsParams>,
) -> Result<Json<Vec<FollowUpStatsRow>>, ApiError> {
    require_can(&auth, Capability::ReadFollowUps)?;
    state
        .blocking(move |s| Ok(Json(s.store.followup_stats(p.from, p.to)?)))
        .await
}

/// Longest note kept with a phone answer.
const NOTE_MAX_CHARS: usize = 500;

/// The citizen's answer to a follow-up question, given on the phone.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PhoneAnswer {
    /// `satisfied` | `basicallySatisfied` | `unsatisfied`
    #[schema(example = "satisfied")]
    pub satisfaction: Satisfaction,
    /// What the citizen said (at most 500 characters).
    #[serde(default)]
    #[schema(max_length = 500)]
    pub note: Option<String>,
}

/// Records the answer a citizen gave on the phone to a window-service round (110, 户政,
/// 出入境, 车驾管), exactly once: a round already answered (by SMS or by phone) is 409
/// `FOLLOWUP_ANSWERED`; a case's round is 409 `FOLLOWUP_IS_CASE` (its answer is the
/// case's `followUpAnswer` action, which moves the case). The SMS still queued for the
/// round is cancelled; the call is audited (`followUpPhoneAnswer`). 回访员 and 受理员.
#[utoipa::path(post, path = "/api/v1/followups/{id}/answer",
    params(("id" = uuid::Uuid, Path, description = "回访记录 id（GET /followups 的 id）")),
    request_body = PhoneAnswer,
    responses((status = 200, body = FollowUpRecord), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)))]
pub async fn answer_by_phone(
    State(state): State<SharedState>,
    auth: Authed,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<PhoneAnswer>,
) -> Result<Json<FollowUpRecord>, ApiError> {
    require_can(&auth, Capability::AnswerFollowUps)?;
    let note = req
        .note
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_owned);
    if note
        .as_ref()
        .is_some_and(|n| n.chars().count() > NOTE_MAX_CHARS)
    {
        return Err(ApiError::BadRequest(format!(
            "回访记录不能超过{NOTE_MAX_CHARS}字"
        )));
    }
    state
        .blocking(move |s| {
            const NOT_FOUND: ApiError = ApiError::NotFound("回访任务");
            if uuid::Uuid::parse_str(&id).is_err() {
                return Err(NOT_FOUND);
            }
            let f = s.store.followup(&id)?.ok_or(NOT_FOUND)?;
            if f.case_id.is_some() {
                return Err(ApiError::FollowUpOfCase);
            }
            let text = note
                .as_deref()
                .map_or_else(|| "电话回访".to_owned(), |n| format!("电话回访：{n}"));
            let code = satisfaction_code(req.satisfaction);
            if !s
                .store
                .answer_followup_by_phone(&f.id, code, &text, s.now())?
            {
                return Err(ApiError::FollowUpAnswered);
            }
            s.store.audit(&AuditRecord {
                at: s.now(),
                user_id: auth.actor.user_id,
                action: "followUpPhoneAnswer".into(),
                target: f.service_event_id.clone().unwrap_or_else(|| f.id.clone()),
                detail: format!(
                    "{} 回访记录 {}：{}",
                    service_label(f.service.as_deref().unwrap_or_default()),
                    f.id,
                    req.satisfaction.label_zh()
                ),
            })?;
            let f = s.store.followup(&f.id)?.ok_or(NOT_FOUND)?;
            Ok(Json(followup_view(f)))
        })
        .await
}

#[cfg(test)]
mod tests {
    use utoipa::OpenApi;

    #[test]
    fn openapi_part_lists_every_route() {
        let doc = super::FollowUpApi::openapi();
        for p in [
            "/api/v1/followups",
            "/api/v1/followups/stats",
            "/api/v1/followups/{id}/phone",
            "/api/v1/followups/{id}/answer",
        ] {
            assert!(doc.paths.paths.contains_key(p), "{p}");
        }
    }
}
