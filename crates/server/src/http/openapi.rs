//! The OpenAPI document, generated from the handler annotations.
//!
//! The annotations name each route's own answers (its success body and the errors its
//! rules give: 403/404/409/422/429 …). The answers every route of a kind shares are added
//! here once, from what the router and the extractors really do:
//! * every route but the public ones needs a bearer token: 401 (missing, unknown or
//!   expired token) and 403 (`ACCOUNT_DISABLED`);
//! * a JSON body or a query string that does not parse is 400 (`ApiJson`/`ApiQuery`), a
//!   body over the limit 413;
//! * any route may answer 500 when the database fails, and 503 when the server sheds
//!   load (`OVERLOADED`) or the request passed its deadline (`REQUEST_TIMEOUT`).
//!
//! All of them use the one error shape, `ErrorBody`.

use std::sync::OnceLock;

use axum::http::header;
use axum::response::IntoResponse;
use utoipa::openapi::path::{Operation, ParameterIn, PathItem};
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::schema::{Schema, SchemaType, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi as Document, Ref, RefOr};
use utoipa::OpenApi;

use super::{auth, bulk, cases, health, intelligence, org, sync, worklists};

#[derive(OpenApi)]
#[openapi(
    info(title = "民生警务平台 city server API", version = "1"),
    paths(
        health::health,
        health::ready,
        document,
        auth::login,
        auth::refresh,
        auth::logout,
        auth::me,
        auth::change_password,
        org::list_units,
        org::create_unit,
        org::update_unit,
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
        intelligence::model_status,
        intelligence::retrain_model,
        intelligence::rollback_model,
        intelligence::assist,
        sync::push,
        sync::pull,
    ),
    components(schemas(
        crate::error::ErrorBody,
        minsheng_domain::org_edit::UnitEdit,
        crate::units::UnitChanged
    ))
)]
pub struct ApiDoc;

/// Operations anyone may call without a token (`METHOD path`).
const PUBLIC: &[&str] = &[
    "GET /api/v1/health",
    "GET /api/v1/health/ready",
    "GET /api/v1/openapi.json",
    "POST /api/v1/auth/login",
    "POST /api/v1/auth/refresh",
    // The SMS gateway's webhook: authenticated by its HMAC signature, not a token.
    "POST /api/v1/sms/inbound",
];

const BEARER: &str = "bearerAuth";

/// The whole document: every area's part plus the answers routes share.
pub fn api_doc() -> Document {
    let mut doc = ApiDoc::openapi();
    doc.merge(super::notify::NotifyApi::openapi());
    doc.merge(super::followups::FollowUpApi::openapi());
    doc.merge(super::assessment::AssessmentApi::openapi());
    doc.merge(super::knowledge::KnowledgeApi::openapi());
    doc.merge(super::users::UsersApi::openapi());
    doc.merge(super::audit::AuditApi::openapi());
    doc.merge(super::sms_admin::SmsAdminApi::openapi());
    doc.merge(super::config::ConfigApi::openapi());
    doc.merge(super::supervisors::SupervisorsApi::openapi());
    doc.merge(super::attachments::AttachmentsApi::openapi());
    doc.merge(super::accountability::AccountabilityApi::openapi());
    doc.merge(super::releases::ReleasesApi::openapi());
    add_shared_answers(&mut doc);
    doc
}

fn add_shared_answers(doc: &mut Document) {
    let components = doc.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        BEARER,
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .description(Some(
                    "accessToken of POST /auth/login or /auth/refresh (15 minutes)",
                ))
                .build(),
        ),
    );
    for (path, item) in &mut doc.paths.paths {
        for (method, op) in operations(item) {
            let public = PUBLIC.contains(&format!("{method} {path}").as_str());
            if !public {
                op.security = Some(vec![SecurityRequirement::new(BEARER, Vec::<String>::new())]);
                add_error(op, "401", "未登录、令牌无效或已过期");
                add_error(op, "403", "无权执行此操作（含账号已停用）");
            }
            // A query or header value is absent or a string, never JSON null.
            for p in op.parameters.iter_mut().flatten() {
                if let Some(RefOr::T(schema)) = &mut p.schema {
                    not_null(schema);
                }
            }
            let has_query = op
                .parameters
                .iter()
                .flatten()
                .any(|p| matches!(p.parameter_in, ParameterIn::Query));
            if op.request_body.is_some() {
                add_error(op, "400", "请求体格式错误");
                add_error(op, "413", "请求内容过大");
            } else if has_query {
                add_error(op, "400", "查询参数无效");
            }
            add_error(op, "500", "服务器内部错误或数据库暂时不可用");
            add_error(op, "503", "服务器繁忙或处理超时，请稍后重试");
        }
    }
}

/// Drops `null` from a parameter's types (an `Option` field of an `IntoParams` struct).
fn not_null(schema: &mut Schema) {
    let ty = match schema {
        Schema::Object(o) => &mut o.schema_type,
        Schema::Array(a) => &mut a.schema_type,
        _ => return,
    };
    if let SchemaType::Array(types) = ty {
        types.retain(|t| *t != Type::Null);
        if let [only] = types.as_slice() {
            *ty = SchemaType::Type(only.clone());
        }
    }
}

fn operations(item: &mut PathItem) -> Vec<(&'static str, &mut Operation)> {
    [
        ("GET", item.get.as_mut()),
        ("PUT", item.put.as_mut()),
        ("POST", item.post.as_mut()),
        ("DELETE", item.delete.as_mut()),
        ("PATCH", item.patch.as_mut()),
    ]
    .into_iter()
    .filter_map(|(m, op)| op.map(|op| (m, op)))
    .collect()
}

/// Adds an `ErrorBody` answer unless the operation documents that status itself.
fn add_error(op: &mut Operation, status: &str, description: &str) {
    op.responses
        .responses
        .entry(status.to_owned())
        .or_insert_with(|| {
            RefOr::T(
                ResponseBuilder::new()
                    .description(description)
                    .content(
                        "application/json",
                        ContentBuilder::new()
                            .schema(Some(Ref::from_schema_name("ErrorBody")))
                            .build(),
                    )
                    .build(),
            )
        });
}

fn cached() -> &'static str {
    static JSON: OnceLock<String> = OnceLock::new();
    JSON.get_or_init(|| serde_json::to_string(&api_doc()).unwrap_or_default())
}

/// This document (OpenAPI 3.1).
#[utoipa::path(get, path = "/api/v1/openapi.json",
    responses((status = 200, description = "The OpenAPI document", content_type = "application/json", body = Object)))]
pub async fn document() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], cached())
}
