//! 责任倒查 over HTTP: the list (paged, filtered), one record with the trail from
//! complaint to decision, and its steps. 纪检督察 and 市局领导 only; every other role —
//! the admin included — gets `ACCOUNTABILITY_FORBIDDEN`. Rules in `crate::accountability`.

use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use minsheng_domain::accountability::{AccountabilityRecord, AccountabilityState, Involved};
use minsheng_domain::ids::{AccountabilityId, UnitId};
use serde::{Deserialize, Serialize};

use super::{ApiJson, ApiQuery};
use crate::accountability::{self, AccountabilityDetail, ListRequest, StepInput};
use crate::auth::Authed;
use crate::error::ApiError;
use crate::state::SharedState;

/// This area's part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(list_accountability, get_accountability, accountability_step))]
pub struct AccountabilityApi;

pub fn routes() -> Router<SharedState> {
    Router::new()
        .route("/accountability", get(list_accountability))
        .route("/accountability/{id}", get(get_accountability))
        .route("/accountability/{id}/steps", post(accountability_step))
}

fn parse_id(raw: &str) -> Result<AccountabilityId, ApiError> {
    raw.parse().map_err(|_| ApiError::NotFound("责任倒查记录"))
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ListParams {
    /// `investigating` (待调查), `established` (已认定), `decided` (已处理), `dismissed` (不予追责).
    #[param(value_type = Option<AccountabilityState>)]
    pub state: Option<String>,
    /// Responsible unit (its subtree for a branch).
    #[param(value_type = Option<String>)]
    pub unit: Option<UnitId>,
    /// Part of the case number or title.
    #[param(max_length = 100)]
    pub q: Option<String>,
    /// Rows to skip (default 0).
    pub offset: Option<usize>,
    /// Page size, 1–200 (default 20).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<usize>,
}

/// How many decided records name an officer (in the whole filtered list).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OfficerCount {
    pub officer: Involved,
    pub decided: u64,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AccountabilityList {
    pub items: Vec<AccountabilityRecord>,
    pub total: u64,
    pub officer_counts: Vec<OfficerCount>,
}

/// 责任倒查 records, newest first (纪检督察, 市局领导; audited).
#[utoipa::path(get, path = "/api/v1/accountability", params(ListParams),
    responses((status = 200, body = AccountabilityList), (status = 403, body = crate::error::ErrorBody),
              (status = 400, body = crate::error::ErrorBody)))]
pub async fn list_accountability(
    State(state): State<SharedState>,
    auth: Authed,
    ApiQuery(p): ApiQuery<ListParams>,
) -> Result<Json<AccountabilityList>, ApiError> {
    accountability::require(&auth.actor)?;
    let st = match p.state.as_deref().filter(|v| !v.is_empty()) {
        None => None,
        Some(v) => Some(
            AccountabilityState::from_code(v)
                .ok_or_else(|| ApiError::BadRequest(format!("参数 state 的值“{v}”无效")))?,
        ),
    };
    let req = ListRequest {
        state: st,
        unit: p.unit,
        text: p.q,
        offset: p.offset.unwrap_or(0),
        limit: p.limit.unwrap_or(20),
    };
    state
        .blocking(move |s| {
            let a = accountability::list(s, &auth.actor, &req)?;
            Ok(Json(AccountabilityList {
                items: a.page.items,
                total: a.page.total,
                officer_counts: a
                    .officer_counts
                    .into_iter()
                    .map(|(officer, decided)| OfficerCount { officer, decided })
                    .collect(),
            }))
        })
        .await
}

/// One record with the trail from complaint to decision (audited).
#[utoipa::path(get, path = "/api/v1/accountability/{id}", params(("id" = String, Path)),
    responses((status = 200, body = AccountabilityDetail), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody)))]
pub async fn get_accountability(
    State(state): State<SharedState>,
    auth: Authed,
    Path(id): Path<String>,
) -> Result<Json<AccountabilityDetail>, ApiError> {
    accountability::require(&auth.actor)?;
    let id = parse_id(&id)?;
    state
        .blocking(move |s| Ok(Json(accountability::get(s, &auth.actor, id)?)))
        .await
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StepRequest {
    pub step: StepInput,
    /// The record's version the step is based on (a newer one answers `STALE_VERSION`).
    #[serde(default)]
    pub version: Option<u64>,
}

/// 认定责任 (纪检督察), 处理决定 (a 处分 or 停止执行职务 by 市局领导), 不予追责 (市局领导).
/// In `establish`, officers are named by id; name and unit come from the user directory.
#[utoipa::path(post, path = "/api/v1/accountability/{id}/steps", params(("id" = String, Path)),
    request_body = StepRequest,
    responses((status = 200, body = AccountabilityDetail), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)))]
pub async fn accountability_step(
    State(state): State<SharedState>,
    auth: Authed,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<StepRequest>,
) -> Result<Json<AccountabilityDetail>, ApiError> {
    accountability::require(&auth.actor)?;
    let id = parse_id(&id)?;
    state
        .blocking(move |s| {
            Ok(Json(accountability::act(
                s,
                &auth.actor,
                id,
                req.step,
                req.version,
            )?))
        })
        .await
}
