//! Suggestions for the dispatch screen and the model's accuracy in production.

use axum::extract::{Path, State};
use axum::Json;
use minsheng_domain::role::{Actor, Role};

use super::ApiJson;
use crate::auth::Authed;
use crate::cases::visible_case;
use crate::error::ApiError;
use crate::intelligence::learning::{self, ModelStatus, RetrainReport};
use crate::intelligence::{self, AccuracyReport, AssistRequest, IntakeAssist, SuggestionsView};
use crate::state::SharedState;

/// Suggestions are a dispatch tool: intake clerks, admins and city leaders.
fn may_use(actor: &Actor) -> Result<(), ApiError> {
    if matches!(actor.role, Role::Clerk | Role::Admin | Role::Leader) {
        Ok(())
    } else {
        Err(ApiError::Forbidden)
    }
}

/// Suggested category, request type, handling and supervising units (with the words
/// behind them) and possible duplicates of the case.
#[utoipa::path(get, path = "/api/v1/cases/{id}/suggestions",
    params(("id" = uuid::Uuid, Path, description = "诉求件 id")),
    responses((status = 200, body = SuggestionsView), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody)))]
pub async fn suggestions(
    State(state): State<SharedState>,
    auth: Authed,
    Path(id): Path<String>,
) -> Result<Json<SuggestionsView>, ApiError> {
    may_use(&auth.actor)?;
    state
        .blocking(move |s| {
            let id = id.parse().map_err(|_| ApiError::NotFound("诉求件"))?;
            let c = visible_case(s, &auth.actor, id)?;
            Ok(Json(intelligence::suggestions_for(s, &auth.actor, &c)?))
        })
        .await
}

/// How often clerks kept the suggested category, unit and request type at dispatch
/// (overall and over the last 30 days).
#[utoipa::path(get, path = "/api/v1/intelligence/accuracy",
    responses((status = 200, body = AccuracyReport), (status = 403, body = crate::error::ErrorBody)))]
pub async fn accuracy(
    State(state): State<SharedState>,
    auth: Authed,
) -> Result<Json<AccuracyReport>, ApiError> {
    may_use(&auth.actor)?;
    state
        .blocking(move |s| Ok(Json(intelligence::accuracy(s)?)))
        .await
}

/// Live assistance for the intake form (nothing is stored): suggested category, request
/// type, handling units with their reasons and supervising unit; possible duplicates by
/// text and by caller; the caller's earlier cases. Scoped to what the caller may see.
#[utoipa::path(post, path = "/api/v1/intake/assist", request_body = AssistRequest,
    responses((status = 200, body = IntakeAssist), (status = 400, body = crate::error::ErrorBody),
              (status = 403, body = crate::error::ErrorBody)))]
pub async fn assist(
    State(state): State<SharedState>,
    auth: Authed,
    ApiJson(req): ApiJson<AssistRequest>,
) -> Result<Json<IntakeAssist>, ApiError> {
    state
        .blocking(move |s| Ok(Json(intelligence::assist(s, &auth.actor, &req)?)))
        .await
}

/// The suggestion model: current version with its k-fold scores, versions kept for
/// rollback, the last retrain (admin).
#[utoipa::path(get, path = "/api/v1/intelligence/model",
    responses((status = 200, body = ModelStatus), (status = 403, body = crate::error::ErrorBody)))]
pub async fn model_status(
    State(state): State<SharedState>,
    auth: Authed,
) -> Result<Json<ModelStatus>, ApiError> {
    state
        .blocking(move |s| Ok(Json(learning::status(s, &auth.actor)?)))
        .await
}

/// Retrains now from the base data set plus the clerks' history and, unless it scores
/// worse than the current model, installs it on every instance (admin; audited).
#[utoipa::path(post, path = "/api/v1/intelligence/model/retrain",
    responses((status = 200, body = RetrainReport), (status = 403, body = crate::error::ErrorBody),
              (status = 409, body = crate::error::ErrorBody)))]
pub async fn retrain_model(
    State(state): State<SharedState>,
    auth: Authed,
) -> Result<Json<RetrainReport>, ApiError> {
    crate::auth::require_administer(&auth.actor)?;
    state
        .blocking(move |s| Ok(Json(learning::retrain(s, Some(&auth.actor))?)))
        .await
}

#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RollbackRequest {
    /// An archived version (`ModelStatus.archived`).
    pub version: u64,
}

/// Makes an archived model version current again on every instance (admin; audited).
#[utoipa::path(post, path = "/api/v1/intelligence/model/rollback", request_body = RollbackRequest,
    responses((status = 200, body = ModelStatus), (status = 400, body = crate::error::ErrorBody),
              (status = 403, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)))]
pub async fn rollback_model(
    State(state): State<SharedState>,
    auth: Authed,
    ApiJson(req): ApiJson<RollbackRequest>,
) -> Result<Json<ModelStatus>, ApiError> {
    state
        .blocking(move |s| Ok(Json(learning::rollback(s, &auth.actor, req.version)?)))
        .await
}
