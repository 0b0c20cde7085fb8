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

/// Pushes queued offline commands; each is applied exactly once, in order. The answer
/// names the database's `epoch` and the install's `ackSeq`.
#[utoipa::path(post, path = "/api/v1/sync/push", request_body = PushRequest,
    params(("X-Minsheng-Client" = String, Header, description = "`minsheng-desktop/x.y.z`, at least 0.1.0; an older or other client gets 426",
             pattern = r"^minsheng-desktop/(0\.[1-9][0-9]*|[1-9][0-9]*\.[0-9]+)\.[0-9]+([-+].*)?$", example = "minsheng-desktop/0.1.0"),
            ("X-Minsheng-Schema" = u32, Header, description = "The client's cache schema (1–6); another gets 426",
             minimum = 1, maximum = 6)),
    responses((status = 200, body = PushResponse),
              (status = 409, body = crate::error::ErrorBody,
               description = "SYNC_RESET: `epoch` is not the database's (restored from a backup); nothing was applied"),
              (status = 413, body = crate::error::ErrorBody),
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
#[utoipa::path(get, path = "/api/v1/sync/pull",
    params(PullParams, ("X-Minsheng-Client" = String, Header, description = "`minsheng-desktop/x.y.z`, at least 0.1.0; an older or other client gets 426",
             pattern = r"^minsheng-desktop/(0\.[1-9][0-9]*|[1-9][0-9]*\.[0-9]+)\.[0-9]+([-+].*)?$", example = "minsheng-desktop/0.1.0"),
            ("X-Minsheng-Schema" = u32, Header, description = "The client's cache schema (1–6); another gets 426",
             minimum = 1, maximum = 6),
           ("X-Minsheng-Install" = Option<String>, Header, description = "The desktop installation, for `ackSeq` (or query `installId`)")),
    responses((status = 200, body = PullResponse),
              (status = 409, body = crate::error::ErrorBody,
               description = "SYNC_RESET: the cursor is of another epoch (restored database), beyond the log or unreadable; re-snapshot"),
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
