//! Knowledge base (知识库 / 规范答复口径): standard replies per category, read by every
//! signed-in role from the reply composer, maintained by admins and clerks.
//! `GET /knowledge`, `POST /knowledge`, `PUT /knowledge/{id}` (with `expectedVersion`;
//! the replaced text is kept as a version), `POST /knowledge/{id}/review`,
//! `DELETE /knowledge/{id}` (retire; the row and its versions stay).
//! Every change is written to the audit log with what changed.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use minsheng_domain::capability::Capability;
use serde::Deserialize;

use super::{ApiJson, ApiQuery};
use crate::auth::Authed;
use crate::error::ApiError;
use crate::state::{AppState, SharedState};
use minsheng_store::knowledge::{KnowledgeQuery, StandardReply, StandardReplyEdit};
use minsheng_store::AuditRecord;

/// This part of the OpenAPI document (merged by `openapi::document`).
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(list, create, update, review, retire),
    components(schemas(StandardReply, NewStandardReply, StandardReplyUpdate))
)]
pub struct KnowledgeApi;

pub fn routes() -> Router<SharedState> {
    Router::new()
        .route("/knowledge", get(list).post(create))
        .route("/knowledge/{id}", put(update).delete(retire))
        .route("/knowledge/{id}/review", post(review))
}

pub const TITLE_MAX: usize = 100;
pub const BODY_MAX: usize = 5000;
const CATEGORY_MAX: usize = 50;
const LIST_LIMIT: usize = 500;

fn require_editor(auth: &Authed) -> Result<(), ApiError> {
    if auth.actor.role.can(Capability::EditKnowledge) {
        Ok(())
    } else {
        Err(ApiError::Forbidden)
    }
}

fn invalid(code: &'static str, message: impl Into<String>) -> ApiError {
    ApiError::Invalid {
        code,
        message: message.into(),
    }
}

/// Trimmed category, title and body, or the first rule they break.
fn validated(
    category: &str,
    title: &str,
    body: &str,
) -> Result<(String, String, String), ApiError> {
    let (category, title, body) = (category.trim(), title.trim(), body.trim());
    if category.is_empty() {
        return Err(invalid(
            "KNOWLEDGE_CATEGORY_REQUIRED",
            "请填写答复口径的分类",
        ));
    }
    if category.chars().count() > CATEGORY_MAX {
        return Err(invalid(
            "KNOWLEDGE_CATEGORY_TOO_LONG",
            format!("分类不能超过{CATEGORY_MAX}个字"),
        ));
    }
    if title.is_empty() {
        return Err(invalid("KNOWLEDGE_TITLE_REQUIRED", "请填写答复口径的标题"));
    }
    if title.chars().count() > TITLE_MAX {
        return Err(invalid(
            "KNOWLEDGE_TITLE_TOO_LONG",
            format!("标题不能超过{TITLE_MAX}个字"),
        ));
    }
    if body.is_empty() {
        return Err(invalid("KNOWLEDGE_BODY_REQUIRED", "请填写答复口径的正文"));
    }
    if body.chars().count() > BODY_MAX {
        return Err(invalid(
            "KNOWLEDGE_BODY_TOO_LONG",
            format!("正文不能超过{BODY_MAX}个字"),
        ));
    }
    Ok((category.to_owned(), title.to_owned(), body.to_owned()))
}

fn audit(
    s: &AppState,
    auth: &Authed,
    action: &str,
    target: &str,
    detail: String,
) -> Result<(), ApiError> {
    Ok(s.store.audit(&AuditRecord {
        at: s.now(),
        user_id: auth.actor.user_id,
        action: action.into(),
        target: target.into(),
        detail,
    })?)
}

fn new_id(at: DateTime<Utc>) -> String {
    let secs = u64::try_from(at.timestamp()).unwrap_or(0);
    let ts = uuid::Timestamp::from_unix(uuid::NoContext, secs, at.timestamp_subsec_nanos());
    uuid::Uuid::new_v7(ts).to_string()
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KnowledgeParams {
    /// Exact category (e.g. 噪音扰民).
    #[serde(default)]
    pub category: Option<String>,
    /// Text found anywhere in the title or body.
    #[serde(default)]
    pub q: Option<String>,
    /// Also list retired replies (admin and clerk only).
    #[serde(default)]
    pub include_retired: Option<bool>,
}

/// Standard replies, by category then title; retired ones only with `includeRetired=true`.
#[utoipa::path(get, path = "/api/v1/knowledge", operation_id = "list_standard_replies", params(KnowledgeParams), responses((status = 200, body = Vec<StandardReply>), (status = 400, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
pub async fn list(
    State(state): State<SharedState>,
    auth: Authed,
    ApiQuery(p): ApiQuery<KnowledgeParams>,
) -> Result<Json<Vec<StandardReply>>, ApiError> {
    let include_retired = p.include_retired.unwrap_or(false);
    if include_retired {
        require_editor(&auth)?;
    }
    let non_empty = |v: Option<String>| v.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty());
    let q = KnowledgeQuery {
        category: non_empty(p.category),
        text: non_empty(p.q),
        include_retired,
        limit: LIST_LIMIT,
    };
    state
        .blocking(move |s| Ok(Json(s.store.list_standard_replies(&q)?)))
        .await
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewStandardReply {
    /// 1–50 characters after trimming.
    #[schema(min_length = 1, max_length = 50, pattern = r"\S")]
    pub category: String,
    /// 1–100 characters after trimming.
    #[schema(min_length = 1, max_length = 100, pattern = r"\S")]
    pub title: String,
    /// 1–5000 characters after trimming.
    #[schema(min_length = 1, max_length = 5000, pattern = r"\S")]
    pub body: String,
}

/// A new standard reply (version 1, reviewed now).
#[utoipa::path(post, path = "/api/v1/knowledge", request_body = NewStandardReply, responses((status = 201, body = StandardReply), (status = 403, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn create(
    State(state): State<SharedState>,
    auth: Authed,
    ApiJson(req): ApiJson<NewStandardReply>,
) -> Result<(StatusCode, Json<StandardReply>), ApiError> {
    require_editor(&auth)?;
    let (category, title, body) = validated(&req.category, &req.title, &req.body)?;
    state
        .blocking(move |s| {
            let now = s.now();
            let reply = StandardReply {
                id: new_id(now),
                category,
                title,
                body,
                version: 1,
                reviewed_at: Some(now),
                updated_by: Some(auth.actor.user_id.to_string()),
                updated_at: now,
                retired: false,
            };
            s.store.insert_standard_reply(&reply)?;
            audit(
                s,
                &auth,
                "createStandardReply",
                &reply.id,
                format!(
                    "新增答复口径：分类“{}”，标题“{}”，正文{}字，版本 1",
                    reply.category,
                    reply.title,
                    reply.body.chars().count()
                ),
            )?;
            Ok((StatusCode::CREATED, Json(reply)))
        })
        .await
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StandardReplyUpdate {
    /// The version the editor started from; another version answers 409 `STALE_VERSION`.
    pub expected_version: u64,
    /// Unchanged when absent; else 1–50 characters after trimming.
    #[serde(default)]
    #[schema(min_length = 1, max_length = 50, pattern = r"\S")]
    pub category: Option<String>,
    /// 1–100 characters after trimming.
    #[schema(min_length = 1, max_length = 100, pattern = r"\S")]
    pub title: String,
    /// 1–5000 characters after trimming.
    #[schema(min_length = 1, max_length = 5000, pattern = r"\S")]
    pub body: String,
}

/// Edits a standard reply: the version grows by one and the replaced text is kept.
#[utoipa::path(put, path = "/api/v1/knowledge/{id}", params(("id" = uuid::Uuid, Path, description = "答复口径 id")), request_body = StandardReplyUpdate, responses((status = 200, body = StandardReply), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn update(
    State(state): State<SharedState>,
    auth: Authed,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<StandardReplyUpdate>,
) -> Result<Json<StandardReply>, ApiError> {
    require_editor(&auth)?;
    state
        .blocking(move |s| {
            let cur = s
                .store
                .standard_reply(&id)?
                .ok_or(ApiError::NotFound("答复口径"))?;
            let category = req.category.as_deref().unwrap_or(&cur.category);
            let (category, title, body) = validated(category, &req.title, &req.body)?;
            let edit = StandardReplyEdit {
                category,
                title,
                body,
                updated_by: Some(auth.actor.user_id.to_string()),
                updated_at: s.now(),
            };
            let next = s
                .store
                .update_standard_reply(&id, req.expected_version, &edit)?;
            let mut changes = vec![format!("版本 {} → {}", req.expected_version, next.version)];
            if cur.category != next.category {
                changes.push(format!("分类“{}”→“{}”", cur.category, next.category));
            }
            if cur.title != next.title {
                changes.push(format!("标题“{}”→“{}”", cur.title, next.title));
            }
            if cur.body != next.body {
                changes.push(format!(
                    "正文已修改（{}字 → {}字）",
                    cur.body.chars().count(),
                    next.body.chars().count()
                ));
            }
            audit(s, &auth, "updateStandardReply", &id, changes.join("；"))?;
            Ok(Json(next))
        })
        .await
}

/// Marks a standard reply as reviewed now (its text and version stay).
#[utoipa::path(post, path = "/api/v1/knowledge/{id}/review", params(("id" = uuid::Uuid, Path, description = "答复口径 id")), responses((status = 200, body = StandardReply), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
pub async fn review(
    State(state): State<SharedState>,
    auth: Authed,
    Path(id): Path<String>,
) -> Result<Json<StandardReply>, ApiError> {
    require_editor(&auth)?;
    state
        .blocking(move |s| {
            let before = s
                .store
                .standard_reply(&id)?
                .ok_or(ApiError::NotFound("答复口径"))?;
            let now = s.now();
            let next = s
                .store
                .mark_standard_reply_reviewed(&id, now)?
                .ok_or(ApiError::NotFound("答复口径"))?;
            let was = before
                .reviewed_at
                .map_or_else(|| "从未复核".to_owned(), |t| t.to_rfc3339());
            audit(
                s,
                &auth,
                "reviewStandardReply",
                &id,
                format!("复核版本 {}；上次复核：{was}", next.version),
            )?;
            Ok(Json(next))
        })
        .await
}

/// Retires a standard reply: hidden from the composer, kept with its versions.
#[utoipa::path(delete, path = "/api/v1/knowledge/{id}", params(("id" = uuid::Uuid, Path, description = "答复口径 id")), responses((status = 200, body = StandardReply), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
pub async fn retire(
    State(state): State<SharedState>,
    auth: Authed,
    Path(id): Path<String>,
) -> Result<Json<StandardReply>, ApiError> {
    require_editor(&auth)?;
    state
        .blocking(move |s| {
            let next = s
                .store
                .retire_standard_reply(&id, Some(&auth.actor.user_id.to_string()), s.now())?
                .ok_or(ApiError::NotFound("答复口径"))?;
            audit(
                s,
                &auth,
                "retireStandardReply",
                &id,
                format!("停用答复口径“{}”（版本 {}）", next.title, next.version),
            )?;
            Ok(Json(next))
        })
        .await
}
