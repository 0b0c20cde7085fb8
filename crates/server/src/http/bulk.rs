//! `POST /intake/bulk?channel=…` — a channel feed as CSV (`text/csv`) or a JSON array.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use minsheng_domain::capability::Capability;
use minsheng_domain::case::Channel;
use serde::Deserialize;

use super::ApiQuery;
use crate::auth::Authed;
use crate::error::ApiError;
use crate::import::{import_feed, BulkResult};
use crate::state::SharedState;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct BulkParams {
    /// Channel name (e.g. `12345市长热线`) or code (`MayorHotline`).
    pub channel: String,
}

#[utoipa::path(post, path = "/api/v1/intake/bulk", params(BulkParams),
    request_body(content((String = "text/csv"), (Vec<Object> = "application/json")),
                 description = "CSV with a header row (标题/title and 内容/content columns at least), or a JSON array of NewCase objects"),
    responses((status = 200, body = BulkResult), (status = 400, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
              (status = 413, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn import(
    State(state): State<SharedState>,
    auth: Authed,
    ApiQuery(p): ApiQuery<BulkParams>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    // Over the bulk limit (or a broken upload) answers in the API's error shape.
    let body = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::PayloadTooLarge
        } else {
            ApiError::BadRequest(e.body_text())
        }
    })?;
    if !auth.actor.role.can(Capability::BulkImport) {
        return Err(ApiError::Forbidden);
    }
    let channel: Channel = p.channel.parse().map_err(ApiError::Domain)?;
    let json = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("json"));
    // `Idempotency-Key` (optional, at most 200 characters): the caller's name for this
    // import; a retry under it answers the first import's answer (`import::import_feed`).
    let key = headers
        .get("idempotency-key")
        .map(|v| {
            v.to_str().map(str::to_owned).map_err(|_| {
                ApiError::BadRequest("Idempotency-Key 只能包含可见的 ASCII 字符".into())
            })
        })
        .transpose()?;
    state
        .blocking(move |s| {
            Ok(Json(import_feed(
                s,
                &auth.actor,
                channel,
                &body,
                json,
                key.as_deref(),
            )?))
        })
        .await
}
