//! Desktop sync endpoints (`/sync/push`, `/sync/pull`); the logic lives in `crate::sync`.

use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::body::{Body, Bytes, HttpBody};
use axum::extract::{FromRequest, Request, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
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
    request: Request,
) -> Result<Json<PushResponse>, ApiError> {
    let (request, body_bytes) = counted_body(request);
    let ApiJson(req) = ApiJson::<PushRequest>::from_request(request, &state).await?;
    let answer = state
        .blocking(move |s| push::push(s, &auth.actor, req))
        .await?;
    state.metrics.sync_pushed(
        body_bytes.load(Ordering::Relaxed),
        answer.results.iter().map(|r| r.status),
    );
    Ok(Json(answer))
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
) -> Result<Response, ApiError> {
    let install = headers
        .get(INSTALL_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let (changes, body) = state
        .blocking(move |s| {
            let page: PullResponse = pull::pull(s, &auth.actor, &p, install.as_deref())?;
            // Serialized here, on the blocking thread, so the page's size is known.
            Ok((
                page.changes.len() + page.removed.len(),
                serde_json::to_vec(&page)?,
            ))
        })
        .await?;
    state.metrics.sync_pulled(changes, body.len());
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}

/// The request with its body wrapped to count the bytes read from it (the JSON
/// extractor reads it whole, within the route's body limit).
fn counted_body(request: Request) -> (Request, Arc<AtomicU64>) {
    let read = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&read);
    let request = request.map(|body| {
        Body::new(CountingBody {
            inner: body,
            read: counter,
        })
    });
    (request, read)
}

/// A body that adds the size of each data frame to `read` as it passes.
struct CountingBody {
    inner: Body,
    read: Arc<AtomicU64>,
}

impl HttpBody for CountingBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, axum::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        if let Poll::Ready(Some(Ok(frame))) = &polled {
            if let Some(data) = frame.data_ref() {
                self.read.fetch_add(data.len() as u64, Ordering::Relaxed);
            }
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}
