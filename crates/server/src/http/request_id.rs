//! Every request gets a request id, shared by the desktop's log and the server's: the
//! caller's `X-Request-Id` when it is a sane token (1–64 characters of `[A-Za-z0-9_-]`),
//! else a new UUID v7. It is the `request_id` field of the request's tracing span (so
//! every line logged while serving it carries it, also from the blocking store threads:
//! `AppState::blocking`) and is echoed in the answer's `X-Request-Id`.
//!
//! tower-http's request-id layers set (`SetRequestIdLayer`, only when the header is
//! absent) and echo (`PropagateRequestIdLayer`) it; `drop_unusable_id` runs first and
//! removes a header that is not a sane token, so a client cannot put arbitrary text
//! into the logs or the answer.

use std::time::Duration;

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderName, HeaderValue};
use axum::response::Response;
use tower_http::request_id::{MakeRequestId, RequestId};
use tracing::Span;

pub const HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// The longest request id taken from a caller.
pub const MAX_LEN: usize = 64;

/// A sane id: 1–`MAX_LEN` ASCII letters, digits, `-` or `_`.
pub fn is_sane(value: &HeaderValue) -> bool {
    let b = value.as_bytes();
    !b.is_empty()
        && b.len() <= MAX_LEN
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || *c == b'-' || *c == b'_')
}

/// Removes the caller's `X-Request-Id` unless it is exactly one sane token (the next
/// layer then mints one).
pub async fn drop_unusable_id(mut req: Request) -> Request {
    let usable = {
        let mut values = req.headers().get_all(&HEADER).iter();
        matches!((values.next(), values.next()), (Some(v), None) if is_sane(v))
    };
    if !usable {
        req.headers_mut().remove(&HEADER);
    }
    req
}

/// Mints UUID v7 request ids (time-ordered, so ids sort like the log).
#[derive(Clone, Copy, Default)]
pub struct MintRequestId;

impl MakeRequestId for MintRequestId {
    fn make_request_id<B>(&mut self, _request: &axum::http::Request<B>) -> Option<RequestId> {
        let id = uuid::Uuid::now_v7().to_string();
        HeaderValue::from_str(&id).ok().map(RequestId::new)
    }
}

/// The request id of these headers (after the layers above ran: always there).
pub fn of(headers: &HeaderMap) -> &str {
    headers
        .get(&HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

/// The request's span: method, path (never the query: it may hold a phone number) and
/// request id. At INFO, so the default filter keeps it.
pub fn span_for(req: &Request) -> Span {
    tracing::info_span!(
        "request",
        method = %req.method(),
        path = %req.uri().path(),
        request_id = %of(req.headers()),
    )
}

/// One line per answer: DEBUG for successes (quiet by default), INFO for 4xx (a
/// desktop's refused sync shows up with its request id), WARN for 5xx (the error
/// itself is logged where it happened).
pub fn log_answer(res: &Response, latency: Duration, _span: &Span) {
    let status = res.status().as_u16();
    let latency_ms = latency.as_millis() as u64;
    match status {
        500.. => tracing::warn!(status, latency_ms, "answered"),
        400..=499 => tracing::info!(status, latency_ms, "answered"),
        _ => tracing::debug!(status, latency_ms, "answered"),
    }
}
