//! Load shedding and request deadlines, both answering in the API's error shape.
//!
//! * In flight: at most `Settings::max_in_flight` requests are being served at once; one
//!   more is refused at once with 503 `OVERLOADED` instead of waiting in a queue that
//!   only grows while the database (8 pooled connections, one writer) is the bottleneck.
//!   A desktop backs off and retries; a person sees "服务器繁忙，请稍后重试".
//! * Deadline: a request not answered within its route's time gets 503
//!   `REQUEST_TIMEOUT`. The clock runs from routing, so it covers reading the body too (a
//!   client that trickles its upload is cut like a slow handler). Store work already
//!   handed to a blocking thread finishes its transaction; the deadline frees the
//!   connection and the in-flight slot, it never leaves half a write.
//!
//! Ordinary routes get `Settings::request_timeout` (30 s): one transaction each, well
//! under a second normally. Sync push/pull and bulk intake get
//! `Settings::long_request_timeout` (5 min): a push is up to 500 commands in
//! transactions of 100 and a pull page up to 500 cases with their timelines, both behind
//! the single SQLite writer when a county's stations reconnect together after an outage;
//! a bulk import is up to 20 000 rows, classified and checked for duplicates. Cutting
//! them at 30 s would turn a slow moment into a storm of repeated pushes. The desktop
//! waits a minute per request, so a push it still waits for is never cut under it.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tokio::sync::Semaphore;

use crate::error::ApiError;

/// The in-flight budget shared by every route of one router.
#[derive(Clone)]
pub struct InFlight(Arc<Semaphore>);

impl InFlight {
    pub fn new(max: usize) -> Self {
        Self(Arc::new(Semaphore::new(max.max(1))))
    }
}

/// Serves the request while a slot is free; otherwise 503 `OVERLOADED` at once.
pub async fn shed(State(limit): State<InFlight>, req: Request, next: Next) -> Response {
    let Ok(_slot) = limit.0.try_acquire_owned() else {
        tracing::warn!(path = %req.uri().path(), "overloaded: request shed");
        return ApiError::Overloaded.into_response();
    };
    next.run(req).await
}

/// Answers 503 `REQUEST_TIMEOUT` when the request is not served within the duration.
pub async fn deadline(State(limit): State<Duration>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(resp) => resp,
        Err(_) => {
            tracing::warn!(%path, ?limit, "request timed out");
            ApiError::RequestTimeout.into_response()
        }
    }
}
