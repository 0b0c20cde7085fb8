//! The REST API under `/api/v1`.

mod accountability;
mod assessment;
mod attachments;
mod audit;
mod auth;
mod bulk;
pub(crate) mod cases;
mod config;
mod dashboard;
mod followups;
mod health;
mod intelligence;
mod knowledge;
mod limits;
mod metrics;
mod notify;
pub(crate) mod notify_pii;
mod openapi;
pub(crate) mod org;
mod releases;
mod request_id;
mod sms_admin;
mod supervisors;
mod sync;
mod users;
mod worklists;

pub use users::{create_user_record, NewUser};

use axum::extract::rejection::JsonRejection;
use axum::extract::{DefaultBodyLimit, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::middleware::{from_fn, from_fn_with_state, map_request};
use axum::routing::{get, patch, post};
use axum::Router;
use serde::de::DeserializeOwned;
use tower::ServiceBuilder;
use tower_http::request_id::{PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use crate::error::ApiError;
use crate::state::SharedState;

/// JSON body whose rejections use the API's error shape (code + Chinese message).
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(Self(v)),
            Err(rej) => Err(json_rejection(&rej)),
        }
    }
}

/// Query string whose rejections (unknown parameters, bad numbers or dates) use the API's error shape.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(Self(v)),
            Err(rej) => Err(ApiError::BadRequest(format!(
                "查询参数无效（{}）",
                rej.body_text()
            ))),
        }
    }
}

fn json_rejection(rej: &JsonRejection) -> ApiError {
    if rej.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return ApiError::PayloadTooLarge;
    }
    match rej {
        JsonRejection::MissingJsonContentType(_) => {
            ApiError::BadRequest("请使用 Content-Type: application/json".into())
        }
        JsonRejection::JsonSyntaxError(e) => {
            ApiError::BadRequest(format!("JSON 语法错误（{}）", e.body_text()))
        }
        JsonRejection::JsonDataError(e) => {
            ApiError::BadRequest(format!("字段不符合要求（{}）", e.body_text()))
        }
        other => ApiError::BadRequest(other.body_text()),
    }
}

pub fn router(state: SharedState) -> Router {
    let body_limit = state.settings.body_limit;
    let bulk_limit = state.settings.bulk_body_limit;
    let push_limit = state.settings.push_body_limit;
    let (short, long) = (
        state.settings.request_timeout,
        state.settings.long_request_timeout,
    );
    let in_flight = limits::InFlight::new(state.settings.max_in_flight);
    let api = Router::new()
        .route("/health", get(health::health))
        .route("/health/ready", get(health::ready))
        .route("/openapi.json", get(openapi::document))
        .route("/auth/login", post(auth::login))
        .route("/auth/refresh", post(auth::refresh))
        .route("/auth/logout", post(auth::logout))
        .route("/auth/me", get(auth::me))
        .route("/auth/password", post(auth::change_password))
        .route("/units", get(org::list_units).post(org::create_unit))
        .route("/units/{id}", patch(org::update_unit))
        .route("/cases", get(cases::list).post(cases::intake))
        .route("/cases/{id}", get(cases::get_one))
        .route("/cases/{id}/actions", post(cases::act))
        .route("/cases/{id}/timeline", get(cases::timeline))
        .route("/cases/{id}/timeline/verify", get(cases::verify_timeline))
        .route("/cases/{id}/citizen", get(cases::unmasked_citizen))
        .route("/cases/{id}/suggestions", get(intelligence::suggestions))
        .route("/intelligence/accuracy", get(intelligence::accuracy))
        .route("/intelligence/model", get(intelligence::model_status))
        .route(
            "/intelligence/model/retrain",
            post(intelligence::retrain_model),
        )
        .route(
            "/intelligence/model/rollback",
            post(intelligence::rollback_model),
        )
        .route("/intake/assist", post(intelligence::assist))
        .route("/worklists", get(worklists::counts))
        .route("/worklists/{list}", get(worklists::list))
        .merge(notify::routes())
        .merge(followups::routes())
        .merge(assessment::routes())
        .merge(knowledge::routes())
        .merge(users::routes())
        .merge(audit::routes())
        .merge(sms_admin::routes())
        .merge(config::routes())
        .merge(supervisors::routes())
        .merge(attachments::routes(
            state.settings.attachment_limits.chunk_bytes,
        ))
        .merge(accountability::routes())
        .merge(releases::routes())
        .layer(from_fn_with_state(short, limits::deadline))
        // Routes with the long deadline (see `limits`).
        .merge(
            Router::new()
                .route(
                    "/intake/bulk",
                    post(bulk::import).layer(DefaultBodyLimit::max(bulk_limit)),
                )
                .route(
                    "/sync/push",
                    post(sync::push).layer(DefaultBodyLimit::max(push_limit)),
                )
                .route("/sync/pull", get(sync::pull))
                .merge(releases::long_routes())
                .layer(from_fn_with_state(long, limits::deadline)),
        )
        .fallback(|| async { ApiError::NotFound("接口") })
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .layer(DefaultBodyLimit::max(body_limit));
    // Outermost first: a usable request id (the caller's or a new one), echoed in the
    // answer and carried by the request's span; then counting and timing for
    // `/metrics`, then load shedding.
    let observed = ServiceBuilder::new()
        .layer(map_request(request_id::drop_unusable_id))
        .layer(SetRequestIdLayer::x_request_id(request_id::MintRequestId))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_id::span_for)
                .on_request(())
                .on_response(request_id::log_answer)
                .on_failure(()),
        )
        .layer(from_fn_with_state(state.clone(), metrics::track))
        .layer(from_fn_with_state(in_flight, limits::shed));
    Router::new()
        .nest("/api/v1", api)
        .merge(metrics::routes())
        .route_layer(from_fn(metrics::remember_route))
        .fallback(|| async { ApiError::NotFound("页面") })
        .layer(observed)
        .with_state(state)
}
