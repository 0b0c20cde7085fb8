//! Configuration (SPEC §10): `GET /config` for every signed-in role;
//! `PUT /config/calendar/{year}`, `PUT /config/sla` and `POST /config/categories` for
//! admins. The service is
//! `crate::config`; clients also receive the configuration with their pull.

use axum::extract::{Path, State};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use minsheng_domain::calendar::{Holiday, HolidayYear};
use minsheng_domain::capability::Capability;
use minsheng_domain::config::{CategoryChange, CategoryEntry};
use minsheng_domain::sla::{SlaRules, SlaVersion};

use super::notify::require_can;
use super::ApiJson;
use crate::auth::Authed;
use crate::config::schema::{
    DaysByType, DaysByUrgency, HoursByUrgency, SlaRulesDoc, SlaVersionDoc,
};
use crate::config::{self, CalendarWarning, ConfigView};
use crate::error::ApiError;
use crate::state::SharedState;

/// This part of the OpenAPI document (merged by `openapi::document`).
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(get_config, put_holiday_year, put_sla, change_category),
    components(schemas(
        ConfigView,
        CalendarWarning,
        HolidayYear,
        Holiday,
        SlaRulesDoc,
        SlaVersionDoc,
        HoursByUrgency,
        DaysByUrgency,
        DaysByType,
        CategoryEntry,
        CategoryChangeBody
    ))
)]
pub struct ConfigApi;

pub fn routes() -> Router<SharedState> {
    Router::new()
        .route("/config", get(get_config))
        .route("/config/calendar/{year}", put(put_holiday_year))
        .route("/config/sla", put(put_sla))
        .route("/config/categories", post(change_category))
}

// ------------------------------------------------------------------------------ routes

/// The holiday calendar (every loaded year), every edition of the SLA rules, and the
/// warning while a needed year's calendar is missing.
#[utoipa::path(get, path = "/api/v1/config", operation_id = "get_config",
    responses((status = 200, body = ConfigView)))]
pub async fn get_config(
    State(state): State<SharedState>,
    _auth: Authed,
) -> Result<Json<ConfigView>, ApiError> {
    Ok(Json(state.blocking(config::view).await?))
}

/// Adds or replaces one year's holidays and 调休 make-up working days (admins only).
/// Dates outside the year, a date in two holidays, a make-up day that is a holiday or
/// a weekday: 422 `INVALID_CALENDAR` naming the date.
#[utoipa::path(put, path = "/api/v1/config/calendar/{year}", operation_id = "put_holiday_year",
    params(("year" = i32, Path, description = "the calendar year, e.g. 2027", minimum = 2000, maximum = 2100)),
    request_body = HolidayYear,
    responses((status = 200, body = ConfigView), (status = 400, body = crate::error::ErrorBody),
              (status = 403, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn put_holiday_year(
    State(state): State<SharedState>,
    auth: Authed,
    Path(year): Path<String>,
    ApiJson(body): ApiJson<HolidayYear>,
) -> Result<Json<ConfigView>, ApiError> {
    require_can(&auth, Capability::Administer)?;
    let year: i32 = year
        .parse()
        .map_err(|_| ApiError::BadRequest(format!("年份格式错误：{year}")))?;
    let view = state
        .blocking(move |s| config::put_holiday_year(s, &auth.actor, year, body))
        .await?;
    Ok(Json(view))
}

/// A new edition of the SLA rules (admins only), in force from now: cases dispatched
/// from now on get its deadlines; cases already dispatched keep theirs.
#[utoipa::path(put, path = "/api/v1/config/sla", operation_id = "put_sla_rules",
    request_body = SlaRulesDoc,
    responses((status = 200, body = SlaVersionDoc), (status = 400, body = crate::error::ErrorBody),
              (status = 403, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn put_sla(
    State(state): State<SharedState>,
    auth: Authed,
    ApiJson(rules): ApiJson<SlaRules>,
) -> Result<Json<SlaVersion>, ApiError> {
    require_can(&auth, Capability::Administer)?;
    let v = state
        .blocking(move |s| config::put_sla(s, &auth.actor, rules))
        .await?;
    Ok(Json(v))
}

/// A change of the category list: add one, retire (or bring back) one, or rename one
/// (the old name is retired and points to the new; old cases keep theirs).
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(tag = "op", rename_all = "camelCase", deny_unknown_fields)]
pub enum CategoryChangeBody {
    Add {
        #[schema(min_length = 1, max_length = 20)]
        name: String,
    },
    Retire {
        name: String,
        /// false brings a retired category back.
        retired: bool,
    },
    Rename {
        from: String,
        #[schema(min_length = 1, max_length = 20)]
        to: String,
    },
}

/// Changes the city's category list (admins only); every form, the server's checks and
/// the suggestions use the new list (clients from their next pull).
#[utoipa::path(post, path = "/api/v1/config/categories", operation_id = "change_category",
    request_body = CategoryChangeBody,
    responses((status = 200, body = ConfigView), (status = 400, body = crate::error::ErrorBody),
              (status = 403, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn change_category(
    State(state): State<SharedState>,
    auth: Authed,
    ApiJson(body): ApiJson<CategoryChangeBody>,
) -> Result<Json<ConfigView>, ApiError> {
    require_can(&auth, Capability::Administer)?;
    let change = match body {
        CategoryChangeBody::Add { name } => CategoryChange::Add(name),
        CategoryChangeBody::Retire { name, retired } => CategoryChange::Retire { name, retired },
        CategoryChangeBody::Rename { from, to } => CategoryChange::Rename { from, to },
    };
    let view = state
        .blocking(move |s| config::change_category(s, &auth.actor, change))
        .await?;
    Ok(Json(view))
}
