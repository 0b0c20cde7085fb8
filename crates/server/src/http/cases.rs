//! Cases over HTTP: intake, list, detail, workflow actions, timeline. The rules live in
//! the case service (`crate::cases`); this module maps requests to it.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use minsheng_domain::case::{CaseState, Channel, RequestType};
use minsheng_domain::citizen::CitizenView;
use minsheng_domain::ids::CaseId;
use minsheng_domain::role::Actor;
use minsheng_domain::scope::list_scope;
use minsheng_domain::timeline::{ChainReport, TimelineEntry};
use minsheng_domain::workflow::{Action, NewCase};
use serde::{Deserialize, Serialize};

use super::{ApiJson, ApiQuery};
use crate::auth::Authed;
use crate::cases::{self, CaseView};
use crate::error::ApiError;
use crate::state::{AppState, SharedState};
use minsheng_store::{CaseQuery, CaseSummary};

fn parse_case_id(raw: &str) -> Result<CaseId, ApiError> {
    raw.parse().map_err(|_| ApiError::NotFound("诉求件"))
}

/// 受理: registers a request from any channel (clerks; officers for 入户走访).
#[utoipa::path(post, path = "/api/v1/cases", request_body = NewCase,
    responses((status = 201, body = CaseView), (status = 403, body = crate::error::ErrorBody),
              (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn intake(
    State(state): State<SharedState>,
    auth: Authed,
    ApiJson(new): ApiJson<NewCase>,
) -> Result<(StatusCode, Json<CaseView>), ApiError> {
    state
        .blocking(move |s| {
            let view = cases::register(s, &auth.actor, &new)?;
            Ok((StatusCode::CREATED, Json(view)))
        })
        .await
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ListParams {
    /// States, comma-separated codes (`inProgress,pendingReview`; Chinese names work too).
    #[param(value_type = Option<Vec<CaseState>>, style = Form, explode = false)]
    pub state: Option<String>,
    /// Handling unit id (empty: any).
    #[param(
        pattern = r"^([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})?$"
    )]
    pub unit: Option<String>,
    pub category: Option<String>,
    /// Channel name (`12345市长热线`) or code (`MayorHotline`); empty: any.
    pub channel: Option<String>,
    /// Request type name (`投诉`) or code (`Complaint`); empty: any.
    pub request_type: Option<String>,
    pub overdue: Option<bool>,
    /// Substring of title or content.
    pub q: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// `nextCursor` of the previous page.
    #[param(
        pattern = r"^(-?[0-9]+_[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})?$"
    )]
    pub cursor: Option<String>,
    /// Page size, 1–500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<usize>,
    /// Also return the total count (slower on big scopes).
    pub with_total: Option<bool>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CasePageView {
    pub items: Vec<CaseSummary>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
    pub total: Option<u64>,
}

fn bad(field: &str, v: &str) -> ApiError {
    ApiError::BadRequest(format!("参数 {field} 的值“{v}”无效"))
}

pub fn encode_cursor(c: &(i64, String)) -> String {
    format!("{}_{}", c.0, c.1)
}

fn decode_cursor(s: &str) -> Result<(i64, String), ApiError> {
    let (a, b) = s.split_once('_').ok_or_else(|| bad("cursor", s))?;
    let at = a.parse().map_err(|_| bad("cursor", s))?;
    let id: CaseId = b.parse().map_err(|_| bad("cursor", s))?;
    Ok((at, id.to_string()))
}

pub fn build_query(p: &ListParams, actor: &Actor, s: &AppState) -> Result<CaseQuery, ApiError> {
    let mut q = CaseQuery {
        scope: Some(list_scope(actor)),
        limit: p.limit.unwrap_or(50),
        now: s.now(),
        overdue: p.overdue,
        text: p.q.clone(),
        received_from: p.from,
        received_to: p.to,
        category: p.category.clone().filter(|c| !c.is_empty()),
        ..CaseQuery::default()
    };
    if let Some(states) = &p.state {
        for st in states.split(',').map(str::trim).filter(|x| !x.is_empty()) {
            q.states
                .push(CaseState::from_code(st).ok_or_else(|| bad("state", st))?);
        }
    }
    if let Some(u) = p.unit.as_deref().filter(|x| !x.is_empty()) {
        q.unit = Some(u.parse().map_err(|_| bad("unit", u))?);
    }
    if let Some(c) = p.channel.as_deref().filter(|x| !x.is_empty()) {
        q.channel = Some(c.parse::<Channel>().map_err(|_| bad("channel", c))?);
    }
    if let Some(t) = p.request_type.as_deref().filter(|x| !x.is_empty()) {
        q.request_type = Some(
            t.parse::<RequestType>()
                .map_err(|_| bad("requestType", t))?,
        );
    }
    if let Some(c) = p.cursor.as_deref().filter(|x| !x.is_empty()) {
        q.after = Some(decode_cursor(c)?);
    }
    if q.limit == 0 || q.limit > 500 {
        return Err(ApiError::BadRequest("limit 必须在 1–500 之间".into()));
    }
    Ok(q)
}

/// Lists cases in the caller's scope, newest first, with keyset paging.
#[utoipa::path(get, path = "/api/v1/cases", operation_id = "list_cases", params(ListParams),
    responses((status = 200, body = CasePageView), (status = 400, body = crate::error::ErrorBody)))]
pub async fn list(
    State(state): State<SharedState>,
    auth: Authed,
    ApiQuery(p): ApiQuery<ListParams>,
) -> Result<Json<CasePageView>, ApiError> {
    state
        .blocking(move |s| run_list(s, &build_query(&p, &auth.actor, s)?, p.with_total))
        .await
}

/// One page of a case query, with the total when asked for.
pub fn run_list(
    s: &AppState,
    q: &CaseQuery,
    with_total: Option<bool>,
) -> Result<Json<CasePageView>, ApiError> {
    let page = s.store.list_cases(q)?;
    let total = if with_total == Some(true) {
        Some(s.store.count_cases(q)?)
    } else {
        None
    };
    Ok(Json(CasePageView {
        items: page.items,
        next_cursor: page.next.as_ref().map(encode_cursor),
        total,
    }))
}

#[utoipa::path(get, path = "/api/v1/cases/{id}", params(("id" = uuid::Uuid, Path, description = "诉求件 id（不存在或不在本人范围内均为 404）")),
    responses((status = 200, body = CaseView), (status = 404, body = crate::error::ErrorBody)))]
pub async fn get_one(
    State(state): State<SharedState>,
    auth: Authed,
    Path(id): Path<String>,
) -> Result<Json<CaseView>, ApiError> {
    state
        .blocking(move |s| {
            let c = cases::visible_case(s, &auth.actor, parse_case_id(&id)?)?;
            Ok(Json(CaseView::new(&c, &auth.actor, &s.org(), s.now())?))
        })
        .await
}

/// The citizen's full phone and ID number, for roles that need them; every call is audited.
#[utoipa::path(get, path = "/api/v1/cases/{id}/citizen", params(("id" = uuid::Uuid, Path, description = "诉求件 id（不存在或不在本人范围内均为 404）")),
    responses((status = 200, body = CitizenView), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
pub async fn unmasked_citizen(
    State(state): State<SharedState>,
    auth: Authed,
    Path(id): Path<String>,
) -> Result<Json<CitizenView>, ApiError> {
    state
        .blocking(move |s| {
            let id = parse_case_id(&id)?;
            Ok(Json(cases::citizen_identity(s, &auth.actor, id)?))
        })
        .await
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ActionRequest {
    /// The action, tagged by `type` (e.g. `{"type":"signIn"}`, `{"type":"return","reason":"..."}`).
    pub action: Action,
    /// The case version the user saw; a different current version is a conflict.
    #[serde(default)]
    pub expected_version: Option<u64>,
    /// When the action was taken on the device (offline work).
    #[serde(default)]
    pub device_at: Option<DateTime<Utc>>,
}

/// Takes a workflow action (签收, 答复, 审核, 退办, 延期, 催办, 回访 ...).
#[utoipa::path(post, path = "/api/v1/cases/{id}/actions", params(("id" = uuid::Uuid, Path, description = "诉求件 id（不存在或不在本人范围内均为 404）")), request_body = ActionRequest,
    responses((status = 200, body = CaseView), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)))]
pub async fn act(
    State(state): State<SharedState>,
    auth: Authed,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<ActionRequest>,
) -> Result<Json<CaseView>, ApiError> {
    let state2 = Arc::clone(&state);
    state2
        .blocking(move |s| {
            let id = parse_case_id(&id)?;
            let c = cases::apply_action(
                s,
                &auth.actor,
                id,
                req.action,
                req.expected_version,
                req.device_at,
            )?;
            Ok(Json(CaseView::new(&c, &auth.actor, &s.org(), s.now())?))
        })
        .await
}

#[utoipa::path(get, path = "/api/v1/cases/{id}/timeline", params(("id" = uuid::Uuid, Path, description = "诉求件 id（不存在或不在本人范围内均为 404）")),
    responses((status = 200, body = Vec<TimelineEntry>), (status = 404, body = crate::error::ErrorBody)))]
pub async fn timeline(
    State(state): State<SharedState>,
    auth: Authed,
    Path(id): Path<String>,
) -> Result<Json<Vec<TimelineEntry>>, ApiError> {
    state
        .blocking(move |s| {
            let id = parse_case_id(&id)?;
            Ok(Json(cases::timeline(s, &auth.actor, id)?))
        })
        .await
}

/// Verifies the case's hash chain (tamper evidence).
#[utoipa::path(get, path = "/api/v1/cases/{id}/timeline/verify", params(("id" = uuid::Uuid, Path, description = "诉求件 id（不存在或不在本人范围内均为 404）")),
    responses((status = 200, body = ChainReport), (status = 404, body = crate::error::ErrorBody)))]
pub async fn verify_timeline(
    State(state): State<SharedState>,
    auth: Authed,
    Path(id): Path<String>,
) -> Result<Json<ChainReport>, ApiError> {
    state
        .blocking(move |s| {
            let id = parse_case_id(&id)?;
            Ok(Json(cases::verified_timeline(s, &auth.actor, id)?))
        })
        .await
}
