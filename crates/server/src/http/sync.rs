//! Desktop sync endpoints (`/sync/push`, `/sync/pull`); the logic lives in `crate::sync`.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::Json;

use super::{ApiJson, ApiQuery};
use crate::auth::Authed;
use crate::error::ApiError;
use crate::state::SharedState;
use crate::sync::pull::{self, PullParams, PullResponse};
use crate::sync::push::{self, PushRequest, PushResponse};
use crate::sync::version::SyncClient;

pub const INSTALL_HEADER: &str = "x-minsheng-install";

/// Pushes queued offline commands; each is applied exactly once, in order.
#[utoipa::path(post, path = "/api/v1/sync/push", request_body = PushRequest,
    responses((status = 200, body = PushResponse), (status = 413, body = crate::error::ErrorBody),
              (status = 426, body = crate::error::ErrorBody)))]
pub async fn push(
    State(state): State<SharedState>,
    _client: SyncClient,
    auth: Authed,
    ApiJson(req): ApiJson<PushRequest>,
) -> Result<Json<PushResponse>, ApiError> {
    state
        .blocking(move |s| Ok(Json(push::push(s, &auth.actor, req)?)))
        .await
}

/// Pulls the caller's changes since a cursor, one page at a time.
#[utoipa::path(get, path = "/api/v1/sync/pull", params(PullParams),
    responses((status = 200, body = PullResponse), (status = 409, body = crate::error::ErrorBody),
              (status = 426, body = crate::error::ErrorBody)))]
pub async fn pull(
    State(state): State<SharedState>,
    _client: SyncClient,
    auth: Authed,
    headers: HeaderMap,
    ApiQuery(p): ApiQuery<PullParams>,
) -> Result<Json<PullResponse>, ApiError> {
    let install = headers
        .get(INSTALL_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    state
        .blocking(move |s| Ok(Json(pull::pull(s, &auth.actor, &p, install.as_deref())?)))
        .await
}
