//! Case attachments over HTTP (the rules live in `crate::attachments`):
//! `GET /cases/{id}/attachments` (list), `POST …` (declare, idempotent per id),
//! `GET …/{aid}/upload` (bytes received, to resume), `PUT …/{aid}/chunks/{offset}`
//! (one chunk, raw bytes, idempotent), `POST …/{aid}/complete`, `GET …/{aid}` (the
//! file) and `GET …/{aid}/thumbnail` (JPEG).

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use minsheng_domain::ids::CaseId;

use super::ApiJson;
use crate::attachments::{self, AttachmentView, NewAttachment, UploadState};
use crate::auth::Authed;
use crate::error::ApiError;
use crate::state::SharedState;

/// This part of the OpenAPI document (merged by `openapi::document`).
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(list, declare, upload_state, put_chunk, complete, file, thumbnail),
    components(schemas(AttachmentView, NewAttachment, UploadState))
)]
pub struct AttachmentsApi;

pub fn routes(chunk_bytes: u64) -> Router<SharedState> {
    // A chunk plus slack; a bigger body is refused before it is read.
    let chunk_limit = usize::try_from(chunk_bytes)
        .unwrap_or(usize::MAX)
        .saturating_add(1024);
    Router::new()
        .route("/cases/{id}/attachments", get(list).post(declare))
        .route("/cases/{id}/attachments/{aid}", get(file))
        .route("/cases/{id}/attachments/{aid}/upload", get(upload_state))
        .route(
            "/cases/{id}/attachments/{aid}/chunks/{offset}",
            put(put_chunk).layer(DefaultBodyLimit::max(chunk_limit)),
        )
        .route("/cases/{id}/attachments/{aid}/complete", post(complete))
        .route("/cases/{id}/attachments/{aid}/thumbnail", get(thumbnail))
}

fn case_id(raw: &str) -> Result<CaseId, ApiError> {
    raw.parse().map_err(|_| ApiError::NotFound("诉求件"))
}

/// An attachment id is a UUID; anything else is unknown (never a path).
fn attachment_id(raw: &str) -> Result<String, ApiError> {
    raw.parse::<uuid::Uuid>()
        .map(|u| u.to_string())
        .map_err(|_| ApiError::NotFound("附件"))
}

/// The complete attachments of a case (metadata).
#[utoipa::path(get, path = "/api/v1/cases/{id}/attachments",
    params(("id" = String, Path, description = "case id")),
    responses((status = 200, body = Vec<AttachmentView>), (status = 404, body = crate::error::ErrorBody)))]
pub async fn list(
    State(state): State<SharedState>,
    auth: Authed,
    Path(id): Path<String>,
) -> Result<Json<Vec<AttachmentView>>, ApiError> {
    let case = case_id(&id)?;
    state
        .blocking(move |s| Ok(Json(attachments::list(s, &auth.actor, case)?)))
        .await
}

/// Declares an upload (201; the same id again: 200 with how far it is).
#[utoipa::path(post, path = "/api/v1/cases/{id}/attachments", request_body = NewAttachment,
    params(("id" = String, Path, description = "case id")),
    responses((status = 201, body = UploadState), (status = 200, body = UploadState),
              (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)))]
pub async fn declare(
    State(state): State<SharedState>,
    auth: Authed,
    Path(id): Path<String>,
    ApiJson(new): ApiJson<NewAttachment>,
) -> Result<(StatusCode, Json<UploadState>), ApiError> {
    let case = case_id(&id)?;
    state
        .blocking(move |s| {
            let (up, created) = attachments::declare(s, &auth.actor, case, &new)?;
            let status = if created {
                StatusCode::CREATED
            } else {
                StatusCode::OK
            };
            Ok((status, Json(up)))
        })
        .await
}

/// How many bytes of an own upload the server has.
#[utoipa::path(get, path = "/api/v1/cases/{id}/attachments/{aid}/upload",
    params(("id" = String, Path, description = "case id"), ("aid" = String, Path, description = "attachment id")),
    responses((status = 200, body = UploadState), (status = 404, body = crate::error::ErrorBody)))]
pub async fn upload_state(
    State(state): State<SharedState>,
    auth: Authed,
    Path((id, aid)): Path<(String, String)>,
) -> Result<Json<UploadState>, ApiError> {
    let (case, aid) = (case_id(&id)?, attachment_id(&aid)?);
    state
        .blocking(move |s| Ok(Json(attachments::upload_state(s, &auth.actor, case, &aid)?)))
        .await
}

/// One chunk of an upload at byte `offset` (raw body). A chunk already received is
/// answered without storing it again.
#[utoipa::path(put, path = "/api/v1/cases/{id}/attachments/{aid}/chunks/{offset}",
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    params(("id" = String, Path, description = "case id"), ("aid" = String, Path, description = "attachment id"),
           ("offset" = u64, Path, description = "byte offset of the chunk")),
    responses((status = 200, body = UploadState), (status = 404, body = crate::error::ErrorBody),
              (status = 413, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn put_chunk(
    State(state): State<SharedState>,
    auth: Authed,
    Path((id, aid, offset)): Path<(String, String, String)>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<UploadState>, ApiError> {
    let (case, aid) = (case_id(&id)?, attachment_id(&aid)?);
    let offset: u64 = offset
        .parse()
        .map_err(|_| ApiError::BadRequest(format!("分片位置“{offset}”无效")))?;
    let data = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::PayloadTooLarge
        } else {
            ApiError::BadRequest(e.body_text())
        }
    })?;
    state
        .blocking(move |s| {
            Ok(Json(attachments::put_chunk(
                s,
                &auth.actor,
                case,
                &aid,
                offset,
                &data,
            )?))
        })
        .await
}

/// Verifies the received file (size, SHA-256, type) and adds it to the case once.
#[utoipa::path(post, path = "/api/v1/cases/{id}/attachments/{aid}/complete",
    params(("id" = String, Path, description = "case id"), ("aid" = String, Path, description = "attachment id")),
    responses((status = 200, body = AttachmentView), (status = 404, body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)))]
pub async fn complete(
    State(state): State<SharedState>,
    auth: Authed,
    Path((id, aid)): Path<(String, String)>,
) -> Result<Json<AttachmentView>, ApiError> {
    let (case, aid) = (case_id(&id)?, attachment_id(&aid)?);
    state
        .blocking(move |s| Ok(Json(attachments::complete(s, &auth.actor, case, &aid)?)))
        .await
}

/// RFC 5987 `filename*` so a Chinese name survives.
pub(super) fn disposition(name: &str) -> String {
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
    format!("attachment; filename=\"attachment\"; filename*=UTF-8''{encoded}")
}

/// The file.
#[utoipa::path(get, path = "/api/v1/cases/{id}/attachments/{aid}",
    params(("id" = String, Path, description = "case id"), ("aid" = String, Path, description = "attachment id")),
    responses((status = 200, description = "the file", content_type = "application/octet-stream", body = Vec<u8>),
              (status = 404, body = crate::error::ErrorBody)))]
pub async fn file(
    State(state): State<SharedState>,
    auth: Authed,
    Path((id, aid)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let (case, aid) = (case_id(&id)?, attachment_id(&aid)?);
    state
        .blocking(move |s| {
            let (a, bytes) = attachments::content(s, &auth.actor, case, &aid)?;
            Ok((
                StatusCode::OK,
                [
                    (header::CONTENT_TYPE, a.content_type.clone()),
                    (header::CONTENT_DISPOSITION, disposition(&a.name)),
                    (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
                    (
                        header::CACHE_CONTROL,
                        "private, max-age=31536000, immutable".to_owned(),
                    ),
                ],
                bytes,
            )
                .into_response())
        })
        .await
}

/// The JPEG thumbnail of a photo or scan (404 for a PDF).
#[utoipa::path(get, path = "/api/v1/cases/{id}/attachments/{aid}/thumbnail",
    params(("id" = String, Path, description = "case id"), ("aid" = String, Path, description = "attachment id")),
    responses((status = 200, description = "JPEG", content_type = "image/jpeg", body = Vec<u8>),
              (status = 404, body = crate::error::ErrorBody)))]
pub async fn thumbnail(
    State(state): State<SharedState>,
    auth: Authed,
    Path((id, aid)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let (case, aid) = (case_id(&id)?, attachment_id(&aid)?);
    state
        .blocking(move |s| {
            let bytes = attachments::thumbnail(s, &auth.actor, case, &aid)?;
            Ok((
                StatusCode::OK,
                [
                    (header::CONTENT_TYPE, "image/jpeg"),
                    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
                    (
                        header::CACHE_CONTROL,
                        "private, max-age=31536000, immutable",
                    ),
                ],
                bytes,
            )
                .into_response())
        })
        .await
}
