//! The admin's SMS desk: editing templates (placeholders checked by the server, with a
//! preview on a sample case) and settling dead letters (retry, discard with a reason).
//! Rules in `crate::notify::templates` and `crate::notify::dead_letters`; every change
//! is audited with before and after.

use axum::extract::{Path, State};
use axum::routing::{post, put};
use axum::{Json, Router};
use minsheng_domain::capability::Capability;
use serde::{Deserialize, Serialize};

use super::notify::require_can;
use super::notify_pii::outbox_view;
use super::ApiJson;
use crate::auth::Authed;
use crate::error::ApiError;
use crate::notify::dead_letters;
use crate::notify::templates::{self, TemplateChange, TemplatePreview};
use crate::state::SharedState;
use minsheng_store::notify::{OutboxMessage, SmsTemplate};

/// This area's part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(put_template, preview_template, retry_outbox, discard_outbox))]
pub struct SmsAdminApi;

pub fn routes() -> Router<SharedState> {
    Router::new()
        .route("/sms/templates/{code}", put(put_template))
        .route("/sms/templates/{code}/preview", post(preview_template))
        .route("/sms/outbox/{id}/retry", post(retry_outbox))
        .route("/sms/outbox/{id}/discard", post(discard_outbox))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TemplateEdit {
    /// Display name (blank: unchanged, or the code for a new template).
    pub name: Option<String>,
    /// The text with its `{placeholders}`; 1–500 characters after trimming, only the
    /// placeholders of the template's family (else 422 naming the unknown one).
    #[schema(min_length = 1, max_length = 500, pattern = r"\S")]
    pub body: String,
    #[serde(default)]
    pub provider_template_id: Option<String>,
}

/// Admin only: edits (or adds) a template; takes effect for messages queued afterwards.
/// Audited as `editSmsTemplate` with the template before and after.
#[utoipa::path(put, path = "/api/v1/sms/templates/{code}",
    params(("code" = String, Path, description = "Template code, e.g. `followup.l1`", pattern = r"^[A-Za-z0-9._-]{1,60}$")),
    request_body = TemplateEdit,
    responses((status = 200, body = SmsTemplate), (status = 400, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)))]
pub async fn put_template(
    State(state): State<SharedState>,
    auth: Authed,
    Path(code): Path<String>,
    ApiJson(req): ApiJson<TemplateEdit>,
) -> Result<Json<SmsTemplate>, ApiError> {
    require_can(&auth, Capability::Administer)?;
    let change = TemplateChange {
        name: req.name,
        body: req.body,
        provider_template_id: req.provider_template_id,
    };
    state
        .blocking(move |s| Ok(Json(templates::save(s, &auth.actor, &code, &change)?)))
        .await
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TemplateDraft {
    /// The draft text (same rules as a save).
    #[schema(max_length = 2000)]
    pub body: String,
}

/// Renders a draft text of template `code` on a sample case (nothing is stored): the
/// text, its length and SMS segments, and the placeholders the template may use; 422
/// naming an unknown placeholder (`SMS_TEMPLATE_PLACEHOLDER_UNKNOWN`).
#[utoipa::path(post, path = "/api/v1/sms/templates/{code}/preview",
    params(("code" = String, Path, description = "Template code, e.g. `followup.l1`", pattern = r"^[A-Za-z0-9._-]{1,60}$")),
    request_body = TemplateDraft,
    responses((status = 200, body = TemplatePreview), (status = 403, body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)))]
pub async fn preview_template(
    auth: Authed,
    Path(code): Path<String>,
    ApiJson(req): ApiJson<TemplateDraft>,
) -> Result<Json<TemplatePreview>, ApiError> {
    require_can(&auth, Capability::Administer)?;
    Ok(Json(templates::preview(&code, &req.body)?))
}

/// A dead letter put back in the queue.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RetryResult {
    pub id: String,
    /// Always `pending`.
    #[schema(example = "pending")]
    pub status: String,
}

/// Puts a dead letter back in the queue (admin); audited as `retrySms`.
#[utoipa::path(post, path = "/api/v1/sms/outbox/{id}/retry",
    params(("id" = String, Path, description = "Outbox message id (a dead letter)")),
    responses((status = 200, body = RetryResult), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
pub async fn retry_outbox(
    State(state): State<SharedState>,
    auth: Authed,
    Path(id): Path<String>,
) -> Result<Json<RetryResult>, ApiError> {
    require_can(&auth, Capability::Administer)?;
    state
        .blocking(move |s| {
            let m = dead_letters::retry(s, &auth.actor, &id)?;
            Ok(Json(RetryResult {
                id: m.id,
                status: m.status.code().to_owned(),
            }))
        })
        .await
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DiscardRequest {
    /// Why the message is given up (1–200 characters, else 422).
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    pub reason: String,
}

/// Gives a dead letter up for good with a reason (admin); it is never sent. Audited as
/// `discardSms`. 404 unless the message is a dead letter.
#[utoipa::path(post, path = "/api/v1/sms/outbox/{id}/discard",
    params(("id" = String, Path, description = "Outbox message id (a dead letter)")),
    request_body = DiscardRequest,
    responses((status = 200, body = OutboxMessage), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn discard_outbox(
    State(state): State<SharedState>,
    auth: Authed,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<DiscardRequest>,
) -> Result<Json<OutboxMessage>, ApiError> {
    require_can(&auth, Capability::Administer)?;
    state
        .blocking(move |s| {
            let m = dead_letters::discard(s, &auth.actor, &id, &req.reason)?;
            Ok(Json(outbox_view(m)))
        })
        .await
}
