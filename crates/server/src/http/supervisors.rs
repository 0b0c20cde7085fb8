//! HTTP endpoints of the 优秀监督员 area (`crate::supervisors`): the register, proposals
//! from the data, decisions, the audited phone reveal, consultation rounds and tasks,
//! answers, and the feedback summary with its xlsx export. Every list masks numbers.

use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::{get, patch, post};
use axum::{Json, Router};
use minsheng_domain::capability::Capability;
use minsheng_domain::ids::UnitId;
use minsheng_domain::supervisors::{SupervisorAnswer, SupervisorStatus};
use minsheng_store::supervisors::{
    Consultation, ConsultationQuery, ConsultationStatus, SupervisorRecord, SupervisorRound,
};
use serde::Deserialize;

use super::assessment::xlsx_named;
use super::{ApiJson, ApiQuery};
use crate::auth::Authed;
use crate::error::ApiError;
use crate::state::SharedState;
use crate::supervisors::feedback::{self, FeedbackSummary};
use crate::supervisors::rounds::{self, RoundOpened};
use crate::supervisors::{
    self as service, NewSupervisor, SupervisorDecision, SupervisorEdit, SupervisorPhone,
};

/// This part of the OpenAPI document (merged by `openapi::document`).
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    list_supervisors,
    create_supervisor,
    propose_supervisors,
    edit_supervisor,
    decide_supervisor,
    reveal_supervisor_phone,
    list_rounds,
    open_round,
    list_consultations,
    answer_consultation,
    feedback_summary,
    feedback_export,
))]
pub struct SupervisorsApi;

pub fn routes() -> Router<SharedState> {
    Router::new()
        .route(
            "/supervisors",
            get(list_supervisors).post(create_supervisor),
        )
        .route("/supervisors/proposals", post(propose_supervisors))
        .route("/supervisors/rounds", get(list_rounds).post(open_round))
        .route("/supervisors/consultations", get(list_consultations))
        .route(
            "/supervisors/consultations/{id}/answer",
            post(answer_consultation),
        )
        .route("/supervisors/feedback", get(feedback_summary))
        .route("/supervisors/feedback.xlsx", get(feedback_export))
        .route("/supervisors/{id}", patch(edit_supervisor))
        .route("/supervisors/{id}/decision", post(decide_supervisor))
        .route("/supervisors/{id}/phone", get(reveal_supervisor_phone))
}

type E = crate::error::ErrorBody;

fn limit(l: Option<usize>) -> usize {
    l.unwrap_or(200).clamp(1, 1000)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SupervisorParams {
    /// 候选 | 已聘任 | 已解聘 | 拒绝
    #[serde(default)]
    #[param(value_type = Option<SupervisorStatus>)]
    pub status: Option<SupervisorStatus>,
    /// Only the supervisors this unit is responsible for (a unit's staff always get
    /// their own unit's).
    #[serde(default)]
    #[param(value_type = Option<String>, format = Uuid)]
    pub unit: Option<UnitId>,
    /// At most this many (1–1000, default 200).
    #[serde(default)]
    pub limit: Option<usize>,
}

/// The register (numbers masked). Platform office and leader: all; the responsible
/// unit's head and officers: their unit's.
#[utoipa::path(get, path = "/api/v1/supervisors", params(SupervisorParams),
    responses((status = 200, body = Vec<SupervisorRecord>), (status = 400, body = E), (status = 401, body = E), (status = 403, body = E)))]
pub async fn list_supervisors(
    State(state): State<SharedState>,
    auth: Authed,
    ApiQuery(p): ApiQuery<SupervisorParams>,
) -> Result<Json<Vec<SupervisorRecord>>, ApiError> {
    state
        .blocking(move |s| {
            Ok(Json(service::list(
                s,
                &auth.actor,
                p.status,
                p.unit,
                limit(p.limit),
            )?))
        })
        .await
}

/// Registers a candidate by hand (人大代表, 政协委员 …); 409 `SUPERVISOR_EXISTS` when the
/// number is already a candidate or engaged. Platform office (`manageSupervisors`).
#[utoipa::path(post, path = "/api/v1/supervisors", request_body = NewSupervisor,
    responses((status = 201, body = SupervisorRecord), (status = 400, body = E), (status = 401, body = E), (status = 403, body = E), (status = 409, body = E), (status = 422, body = E)))]
pub async fn create_supervisor(
    State(state): State<SharedState>,
    auth: Authed,
    ApiJson(req): ApiJson<NewSupervisor>,
) -> Result<(axum::http::StatusCode, Json<SupervisorRecord>), ApiError> {
    state
        .blocking(move |s| {
            Ok((
                axum::http::StatusCode::CREATED,
                Json(service::create(s, &auth.actor, &req)?),
            ))
        })
        .await
}

/// 按数据推荐: adds as candidates the callers with at least 5 requests in the last 12
/// months of which at least 80 % were accepted, not yet in the register; answers the
/// candidates added. Platform office.
#[utoipa::path(post, path = "/api/v1/supervisors/proposals",
    responses((status = 200, body = Vec<SupervisorRecord>), (status = 401, body = E), (status = 403, body = E)))]
pub async fn propose_supervisors(
    State(state): State<SharedState>,
    auth: Authed,
) -> Result<Json<Vec<SupervisorRecord>>, ApiError> {
    state
        .blocking(move |s| Ok(Json(service::propose(s, &auth.actor)?)))
        .await
}

/// Edits details (not the status); 409 `STALE_VERSION` on an older version.
#[utoipa::path(patch, path = "/api/v1/supervisors/{id}", request_body = SupervisorEdit,
    params(("id" = uuid::Uuid, Path, description = "监督员 id")),
    responses((status = 200, body = SupervisorRecord), (status = 400, body = E), (status = 401, body = E), (status = 403, body = E), (status = 404, body = E), (status = 409, body = E), (status = 422, body = E)))]
pub async fn edit_supervisor(
    State(state): State<SharedState>,
    auth: Authed,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<SupervisorEdit>,
) -> Result<Json<SupervisorRecord>, ApiError> {
    state
        .blocking(move |s| Ok(Json(service::edit(s, &auth.actor, &id, &req)?)))
        .await
}

/// 确认聘任 / 不予聘任 (a candidate) or 解聘 (engaged); 409 `SUPERVISOR_STATE` from any
/// other status.
#[utoipa::path(post, path = "/api/v1/supervisors/{id}/decision", request_body = SupervisorDecision,
    params(("id" = uuid::Uuid, Path, description = "监督员 id")),
    responses((status = 200, body = SupervisorRecord), (status = 400, body = E), (status = 401, body = E), (status = 403, body = E), (status = 404, body = E), (status = 409, body = E), (status = 422, body = E)))]
pub async fn decide_supervisor(
    State(state): State<SharedState>,
    auth: Authed,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<SupervisorDecision>,
) -> Result<Json<SupervisorRecord>, ApiError> {
    state
        .blocking(move |s| Ok(Json(service::decide(s, &auth.actor, &id, &req)?)))
        .await
}

/// The full number of one supervisor, to call or visit; audited
/// (`unmaskSupervisorPhone`). Platform office and the responsible unit.
#[utoipa::path(get, path = "/api/v1/supervisors/{id}/phone",
    params(("id" = uuid::Uuid, Path, description = "监督员 id")),
    responses((status = 200, body = SupervisorPhone), (status = 401, body = E), (status = 403, body = E), (status = 404, body = E)))]
pub async fn reveal_supervisor_phone(
    State(state): State<SharedState>,
    auth: Authed,
    Path(id): Path<String>,
) -> Result<Json<SupervisorPhone>, ApiError> {
    state
        .blocking(move |s| Ok(Json(service::reveal_phone(s, &auth.actor, &id)?)))
        .await
}

/// Consultation rounds, newest first, with how many were consulted and answered.
#[utoipa::path(get, path = "/api/v1/supervisors/rounds",
    responses((status = 200, body = Vec<SupervisorRound>), (status = 401, body = E), (status = 403, body = E)))]
pub async fn list_rounds(
    State(state): State<SharedState>,
    auth: Authed,
) -> Result<Json<Vec<SupervisorRound>>, ApiError> {
    if !(auth.actor.role.can(Capability::ManageSupervisors)
        || auth.actor.role.can(Capability::SupervisorFeedback))
    {
        return Err(ApiError::Forbidden);
    }
    state
        .blocking(move |s| Ok(Json(s.store.supervisor_rounds(60)?)))
        .await
}

/// Opens this month's round now (the scheduled pass does it on its own): an SMS survey
/// per SMS-preferring supervisor, a phone/visit task for the others' units. Opening
/// twice in a month opens nothing (`opened: false`). Platform office.
#[utoipa::path(post, path = "/api/v1/supervisors/rounds",
    responses((status = 200, body = RoundOpened), (status = 401, body = E), (status = 403, body = E)))]
pub async fn open_round(
    State(state): State<SharedState>,
    auth: Authed,
) -> Result<Json<RoundOpened>, ApiError> {
    service::require(&auth.actor, Capability::ManageSupervisors)?;
    state
        .blocking(move |s| {
            let _across = s.store.worker_lock("notify", true)?;
            Ok(Json(rounds::open_current(s, Some(&auth.actor))?))
        })
        .await
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConsultationParams {
    #[serde(default)]
    #[param(format = Uuid)]
    pub round_id: Option<String>,
    #[serde(default)]
    #[param(format = Uuid)]
    pub supervisor_id: Option<String>,
    /// `pending` (the work list) or `answered`.
    #[serde(default)]
    #[param(value_type = Option<ConsultationStatus>)]
    pub status: Option<ConsultationStatus>,
    #[serde(default)]
    pub limit: Option<usize>,
}

/// Consultations (numbers masked). The responsible unit's staff get their unit's phone
/// and visit tasks only; the platform office and the leader every one.
#[utoipa::path(get, path = "/api/v1/supervisors/consultations", params(ConsultationParams),
    responses((status = 200, body = Vec<Consultation>), (status = 400, body = E), (status = 401, body = E), (status = 403, body = E)))]
pub async fn list_consultations(
    State(state): State<SharedState>,
    auth: Authed,
    ApiQuery(p): ApiQuery<ConsultationParams>,
) -> Result<Json<Vec<Consultation>>, ApiError> {
    state
        .blocking(move |s| {
            let q = ConsultationQuery {
                round_id: p.round_id,
                supervisor_id: p.supervisor_id,
                status: p.status,
                limit: limit(p.limit),
                ..ConsultationQuery::default()
            };
            Ok(Json(rounds::list(s, &auth.actor, q)?))
        })
        .await
}

/// Records a supervisor's answer once (409 `CONSULTATION_ANSWERED` after that): the
/// responsible unit for its phone/visit tasks, the platform office for any. With
/// `suggestion` the text is registered as a case (type 建议, channel 监督员; `caseId`).
#[utoipa::path(post, path = "/api/v1/supervisors/consultations/{id}/answer", request_body = SupervisorAnswer,
    params(("id" = uuid::Uuid, Path, description = "征询任务 id")),
    responses((status = 200, body = Consultation), (status = 400, body = E), (status = 401, body = E), (status = 403, body = E), (status = 404, body = E), (status = 409, body = E), (status = 422, body = E)))]
pub async fn answer_consultation(
    State(state): State<SharedState>,
    auth: Authed,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<SupervisorAnswer>,
) -> Result<Json<Consultation>, ApiError> {
    state
        .blocking(move |s| Ok(Json(rounds::answer(s, &auth.actor, &id, &req)?)))
        .await
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FeedbackParams {
    /// `yyyy-mm` (Beijing month); default the current one.
    #[serde(default)]
    #[param(example = "2026-12")]
    pub period: Option<String>,
}

/// 监督员之声: what the supervisors said in the month (counts by satisfaction, the latest
/// suggestions with their unit). Leader and platform office (`supervisorFeedback`).
#[utoipa::path(get, path = "/api/v1/supervisors/feedback", params(FeedbackParams),
    responses((status = 200, body = FeedbackSummary), (status = 400, body = E), (status = 401, body = E), (status = 403, body = E), (status = 422, body = E)))]
pub async fn feedback_summary(
    State(state): State<SharedState>,
    auth: Authed,
    ApiQuery(p): ApiQuery<FeedbackParams>,
) -> Result<Json<FeedbackSummary>, ApiError> {
    state
        .blocking(move |s| {
            Ok(Json(feedback::summary(
                s,
                &auth.actor,
                p.period.as_deref(),
            )?))
        })
        .await
}

/// The month's figures (the same as the card) and every answer, as Excel.
#[utoipa::path(get, path = "/api/v1/supervisors/feedback.xlsx", params(FeedbackParams),
    responses((status = 200, description = "Excel workbook", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>),
              (status = 400, body = E), (status = 401, body = E), (status = 403, body = E), (status = 422, body = E)))]
pub async fn feedback_export(
    State(state): State<SharedState>,
    auth: Authed,
    ApiQuery(p): ApiQuery<FeedbackParams>,
) -> Result<Response, ApiError> {
    state
        .blocking(move |s| {
            let (period, bytes) = feedback::export(s, &auth.actor, p.period.as_deref())?;
            Ok(xlsx_named(
                "supervisors.xlsx",
                &format!("监督员之声{period}.xlsx"),
                bytes,
            ))
        })
        .await
}
