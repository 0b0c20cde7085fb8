//! The OpenAPI document, generated from the handler annotations.

use axum::Json;
use utoipa::OpenApi;

use super::{auth, bulk, cases, health, intelligence, org, sync, worklists};

#[derive(OpenApi)]
#[openapi(
    info(title = "民生警务平台 city server API", version = "1"),
    paths(
        health::health,
        auth::login,
        auth::refresh,
        auth::logout,
        auth::me,
        auth::change_password,
        org::list_units,
        org::create_unit,
        org::list_users,
        org::create_user,
        org::update_user,
        org::audit_log,
        cases::intake,
        cases::list,
        cases::get_one,
        cases::unmasked_citizen,
        cases::act,
        cases::timeline,
        cases::verify_timeline,
        worklists::counts,
        worklists::list,
        bulk::import,
        intelligence::suggestions,
        intelligence::accuracy,
        intelligence::assist,
        sync::push,
        sync::pull,
    ),
    components(schemas(crate::error::ErrorBody))
)]
pub struct ApiDoc;

pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    let mut doc = ApiDoc::openapi();
    doc.merge(super::notify::NotifyApi::openapi());
    doc.merge(super::followups::FollowUpApi::openapi());
    doc.merge(super::assessment::AssessmentApi::openapi());
    doc.merge(super::knowledge::KnowledgeApi::openapi());
    Json(doc)
}
