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
use crate::import::{import_rows, parse_feed, BulkResult};
use crate::state::SharedState;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct BulkParams {
    /// Channel name (e.g. `12345市长热线`) or code (`MayorHotline`).
    pub channel: String,
}

#[utoipa::path(post, path = "/api/v1/intake/bulk", params(BulkParams),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = BulkResult), (status = 400, body = crate::error::ErrorBody)))]
pub async fn import(
    State(state): State<SharedState>,
    auth: Authed,
    ApiQuery(p): ApiQuery<BulkParams>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<BulkResult>, ApiError> {
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
    state
        .blocking(move |s| {
            let rows = parse_feed(&body, json, channel)?;
            if rows.len() > s.settings.bulk_max_rows {
                return Err(ApiError::BadRequest(format!(
                    "一次最多导入 {} 条",
                    s.settings.bulk_max_rows
                )));
            }
            Ok(Json(import_rows(s, &auth.actor, channel, rows)?))
        })
        .await
}
