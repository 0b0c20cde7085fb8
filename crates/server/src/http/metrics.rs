//! `GET /metrics` (outside `/api/v1`: the Prometheus convention, and not part of the
//! REST contract the desktop is built on) and the request counting behind it.
//!
//! Who may scrape: a caller connected from a loopback address whose request names no
//! forwarding proxy (`Forwarded`, `X-Forwarded-For`, `X-Real-IP`), or any caller with
//! `Authorization: Bearer <MINSHENG_METRICS_TOKEN>`. Everyone else gets 403
//! `METRICS_FORBIDDEN`. The figures name no case, person or unit, but volumes and queue
//! depths are still the bureau's business; and a reverse proxy on the same machine
//! makes every caller look local unless it says it forwarded (see the README).
//!
//! Counting: `track` (outside the router) times every request and counts it under the
//! route template `remember_route` (a route layer, where axum knows the `MatchedPath`)
//! put on the answer; a request no route matched counts as `unmatched`.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{header, HeaderMap};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use crate::error::ApiError;
use crate::metrics::{ScrapeReading, CONTENT_TYPE, UNMATCHED_ROUTE};
use crate::state::{AppState, SharedState};

/// How long a scrape waits for the database's queue counts before answering without
/// them (`minsheng_database_up 0`): a scrape must answer even when the database cannot.
const STORE_WAIT: Duration = Duration::from_secs(2);

/// Routed at the root, beside `/api/v1`.
pub fn routes() -> Router<SharedState> {
    Router::new().route("/metrics", get(scrape))
}

/// The exposition text (Prometheus text format 0.0.4).
pub async fn scrape(State(state): State<SharedState>, req: Request) -> Result<Response, ApiError> {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| *addr);
    if !may_scrape(&state, peer, req.headers()) {
        let peer = peer.map_or_else(|| "unknown".to_owned(), |p| p.to_string());
        tracing::info!(%peer, "metrics refused: not local and no metrics token");
        return Err(ApiError::MetricsForbidden);
    }
    let depths = tokio::time::timeout(
        STORE_WAIT,
        state.blocking(|s: &AppState| Ok(s.store.queue_depths()?)),
    )
    .await;
    let depths = match depths {
        Ok(Ok(d)) => Some(d),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "metrics: the database did not answer");
            None
        }
        Err(_) => {
            tracing::warn!(wait = ?STORE_WAIT, "metrics: the database did not answer in time");
            None
        }
    };
    // The pool's own counters: no I/O, no connection taken.
    let pool = state.store.pool_status();
    let text = state.metrics.encode(&ScrapeReading { depths, pool });
    Ok(([(header::CONTENT_TYPE, CONTENT_TYPE)], text).into_response())
}

/// A local caller (not relayed by a proxy), or the metrics token.
fn may_scrape(state: &AppState, peer: Option<SocketAddr>, headers: &HeaderMap) -> bool {
    if let Some(token) = &state.settings.metrics_token {
        let presented = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        if presented.is_some_and(|p| token.matches(p)) {
            return true;
        }
    }
    let relayed = ["forwarded", "x-forwarded-for", "x-real-ip"]
        .iter()
        .any(|h| headers.contains_key(*h));
    peer.is_some_and(|p| p.ip().to_canonical().is_loopback()) && !relayed
}

/// The route template a request was routed to, carried on its answer for `track`.
#[derive(Clone)]
struct RouteTemplate(MatchedPath);

/// Route layer: copies the matched route template onto the answer.
pub async fn remember_route(req: Request, next: Next) -> Response {
    let matched = req.extensions().get::<MatchedPath>().cloned();
    let mut res = next.run(req).await;
    if let Some(m) = matched {
        res.extensions_mut().insert(RouteTemplate(m));
    }
    res
}

/// Counts and times every request by method, route template and status class.
pub async fn track(State(state): State<SharedState>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().clone();
    let res = next.run(req).await;
    let route = res
        .extensions()
        .get::<RouteTemplate>()
        .map_or(UNMATCHED_ROUTE, |RouteTemplate(m)| m.as_str());
    state
        .metrics
        .http_answered(&method, route, res.status(), started.elapsed());
    res
}
