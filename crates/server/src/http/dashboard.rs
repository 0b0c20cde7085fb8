//! HTTP endpoints of the home screens: the command dashboard for a period, the 红黑榜
//! bulletin every role reads on the 工作台, and the 回访 queue counts. The figures are
//! computed in `assessment::home`.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;

use super::ApiQuery;
use crate::assessment::board;
use crate::assessment::home::{self, Bulletin, Dashboard, FollowUpQueue};
use crate::auth::Authed;
use crate::error::ApiError;
use crate::state::SharedState;

pub fn routes() -> Router<SharedState> {
    Router::new()
        .route("/dashboard", get(dashboard))
        .route("/assessment/bulletin", get(bulletin))
        .route("/followups/queue", get(follow_up_queue))
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DashboardParams {
    /// week, month (default) or year.
    #[param(pattern = "^(week|month|year|周|月|年)$")]
    pub period: Option<String>,
    /// Any day inside the period, `YYYY-MM-DD` (default today, Beijing).
    #[param(format = Date)]
    pub date: Option<String>,
}

/// The command dashboard for a period: 民生清单 now, the period's assessment totals and
/// 红黑榜, latest reports, alerts — all in the caller's scope.
#[utoipa::path(get, path = "/api/v1/dashboard", params(DashboardParams),
    responses((status = 200, body = Dashboard), (status = 400, body = crate::error::ErrorBody)))]
pub async fn dashboard(
    State(state): State<SharedState>,
    auth: Authed,
    ApiQuery(p): ApiQuery<DashboardParams>,
) -> Result<Json<Dashboard>, ApiError> {
    state
        .blocking(move |s| {
            let now = s.now();
            let period = board::period_of(p.period.as_deref(), p.date.as_deref(), now)?;
            Ok(Json(home::dashboard(s, &auth.actor, period, now)?))
        })
        .await
}

/// The published 红黑榜 of the last complete week and month (科所队); every role may read it.
#[utoipa::path(get, path = "/api/v1/assessment/bulletin",
    responses((status = 200, body = Bulletin)))]
pub async fn bulletin(
    State(state): State<SharedState>,
    _auth: Authed,
) -> Result<Json<Bulletin>, ApiError> {
    state
        .blocking(move |s| Ok(Json(home::bulletin(s, s.now())?)))
        .await
}

/// Counts of the 回访 queue (follow-up agents and city roles).
#[utoipa::path(get, path = "/api/v1/followups/queue",
    responses((status = 200, body = FollowUpQueue), (status = 403, body = crate::error::ErrorBody)))]
pub async fn follow_up_queue(
    State(state): State<SharedState>,
    auth: Authed,
) -> Result<Json<FollowUpQueue>, ApiError> {
    state
        .blocking(move |s| Ok(Json(home::follow_up_queue(s, &auth.actor, s.now())?)))
        .await
}
