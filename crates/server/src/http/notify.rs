//! HTTP endpoints of the notify area:
//!
//! * staff: `GET /notifications`, `POST /notifications/read`,
//!   `GET|PUT /notifications/preferences` — each user sees only their own;
//! * SMS: `POST /sms/inbound` (gateway webhook, HMAC-signed, idempotent),
//!   `GET /sms/templates`, `GET /sms/outbox` (admin), `GET /sms/inbound` (admin,
//!   回访员), `POST /sms/reminders` (温馨提示); the admin's template edits and dead
//!   letters are in `super::sms_admin`;
//! * window-service feeds: `POST /service-events/import?source=…` (their follow-up
//!   rounds are served by `super::followups`).
//!
//! Lists show citizens' numbers masked for every role (`super::notify_pii`).

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use minsheng_domain::ids::UserId;
use minsheng_domain::role::Role;
use serde::{Deserialize, Serialize};

use super::notify_pii::{inbound_view, notification_view, outbox_view};
use super::{ApiJson, ApiQuery};
use crate::auth::Authed;
use crate::error::ApiError;
use crate::notify::gateway::{verify, SIGNATURE_HEADER, TIMESTAMP_HEADER};
use crate::notify::inbound::{handle_reply, normalize_phone, ReplyOutcome};
use crate::notify::service::{self, ImportReport};
use crate::notify::{self as area};
use crate::state::{AppState, SharedState};
use minsheng_store::notify::{
    InboundRecord, InboundSms, NotifyPrefs, OutboxMessage, OutboxStatus, SmsTemplate,
    StaffNotification,
};
use minsheng_store::AuditRecord;

/// This area's part of the OpenAPI document (merged by `openapi::document`).
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    list_notifications,
    mark_read,
    get_prefs,
    put_prefs,
    webhook,
    list_inbound,
    list_templates,
    list_outbox,
    send_reminder,
    import_service_events,
))]
pub struct NotifyApi;

/// Service feeds come in bulk like case feeds.
const FEED_BODY_LIMIT: usize = 16 * 1024 * 1024;

pub fn routes() -> Router<SharedState> {
    Router::new()
        .route("/notifications", get(list_notifications))
        .route("/notifications/read", post(mark_read))
        .route("/notifications/preferences", get(get_prefs).put(put_prefs))
        .route("/sms/inbound", post(webhook).get(list_inbound))
        .route("/sms/templates", get(list_templates))
        .route("/sms/outbox", get(list_outbox))
        .route("/sms/reminders", post(send_reminder))
        .route(
            "/service-events/import",
            post(import_service_events).layer(DefaultBodyLimit::max(FEED_BODY_LIMIT)),
        )
}

pub(super) fn require(auth: &Authed, roles: &[Role]) -> Result<(), ApiError> {
    if roles.contains(&auth.actor.role) {
        Ok(())
    } else {
        Err(ApiError::Forbidden)
    }
}

/// Refuses a caller whose role lacks `c` (the one table in `domain::capability`).
pub(super) fn require_can(
    auth: &Authed,
    c: minsheng_domain::capability::Capability,
) -> Result<(), ApiError> {
    if auth.actor.role.can(c) {
        Ok(())
    } else {
        Err(ApiError::Forbidden)
    }
}

// ---------------------------------------------------------------- staff notifications

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ListParams {
    #[serde(default)]
    pub unread_only: bool,
    /// At most this many (clamped to 1–500, default 50).
    #[serde(default)]
    pub limit: Option<usize>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NotificationList {
    pub items: Vec<StaffNotification>,
    pub unread: u64,
}

/// The caller's own notifications, newest first (the desktop app polls this).
#[utoipa::path(get, path = "/api/v1/notifications", params(ListParams), responses((status = 200, body = NotificationList), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
pub async fn list_notifications(
    State(state): State<SharedState>,
    auth: Authed,
    ApiQuery(p): ApiQuery<ListParams>,
) -> Result<Json<NotificationList>, ApiError> {
    let user = auth.actor.user_id;
    state
        .blocking(move |s| {
            let limit = p.limit.unwrap_or(50).clamp(1, 500);
            Ok(Json(NotificationList {
                items: s
                    .store
                    .notifications(user, p.unread_only, limit)?
                    .into_iter()
                    .map(notification_view)
                    .collect(),
                unread: s.store.unread_count(user)?,
            }))
        })
        .await
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MarkRead {
    /// The notifications to mark (at most 1000); all of the caller's when `all` is
    /// true. One of the two is required.
    #[serde(default)]
    #[schema(max_items = 1000)]
    pub ids: Vec<String>,
    #[serde(default)]
    pub all: bool,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MarkReadResult {
    pub updated: u64,
    pub unread: u64,
}

/// Marks the caller's notifications read; other users' ids are ignored.
#[utoipa::path(post, path = "/api/v1/notifications/read", request_body = MarkRead, responses((status = 200, body = MarkReadResult), (status = 400, body = crate::error::ErrorBody)))]
pub async fn mark_read(
    State(state): State<SharedState>,
    auth: Authed,
    ApiJson(req): ApiJson<MarkRead>,
) -> Result<Json<MarkReadResult>, ApiError> {
    if !req.all && req.ids.is_empty() {
        return Err(ApiError::BadRequest("请指定 ids 或 all".into()));
    }
    if req.ids.len() > 1000 {
        return Err(ApiError::BadRequest("一次最多标记1000条".into()));
    }
    let user = auth.actor.user_id;
    state
        .blocking(move |s| {
            let ids = (!req.all).then_some(req.ids.as_slice());
            let updated = s.store.mark_notifications_read(user, ids, s.now())?;
            Ok(Json(MarkReadResult {
                updated,
                unread: s.store.unread_count(user)?,
            }))
        })
        .await
}

#[utoipa::path(get, path = "/api/v1/notifications/preferences", responses((status = 200, body = NotifyPrefs)))]
pub async fn get_prefs(
    State(state): State<SharedState>,
    auth: Authed,
) -> Result<Json<NotifyPrefs>, ApiError> {
    let user = auth.actor.user_id;
    state
        .blocking(move |s| Ok(Json(s.store.notify_prefs(user)?)))
        .await
}

use minsheng_store::notify::SMS_KINDS as KINDS;

#[utoipa::path(put, path = "/api/v1/notifications/preferences", request_body = NotifyPrefs, responses((status = 200, body = NotifyPrefs), (status = 400, body = crate::error::ErrorBody)))]
pub async fn put_prefs(
    State(state): State<SharedState>,
    auth: Authed,
    ApiJson(p): ApiJson<NotifyPrefs>,
) -> Result<Json<NotifyPrefs>, ApiError> {
    if let Some(k) = p.sms_kinds.iter().find(|k| !KINDS.contains(&k.as_str())) {
        return Err(ApiError::BadRequest(format!("未知的提醒类型“{k}”")));
    }
    let user = auth.actor.user_id;
    state
        .blocking(move |s| {
            s.store.set_notify_prefs(user, &p)?;
            Ok(Json(p))
        })
        .await
}

// ---------------------------------------------------------------- SMS webhook

/// A signed call older or newer than this (gateway wall clock vs ours) is refused, so a
/// captured request cannot be replayed later; message ids make repeats harmless anyway.
const MAX_SKEW_SECS: i64 = 300;

/// A citizen's reply or a delivery report, as the gateway posts it.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(
    tag = "type",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub(super) enum WebhookEvent {
    Reply {
        message_id: String,
        from: String,
        text: String,
        #[serde(default)]
        sent_at: Option<DateTime<Utc>>,
    },
    Status {
        message_id: String,
        status: String,
    },
}

/// What became of a reply, or whether a delivery report matched a message.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", untagged)]
pub(super) enum WebhookAnswer {
    Reply(ReplyOutcome),
    Status { message_id: String, known: bool },
}

/// Logs a refused webhook call (log and audit trail) and returns the 401 to answer.
fn reject(s: &AppState, reason: &str) -> ApiError {
    log_rejection(s, reason);
    ApiError::Unauthenticated
}

fn log_rejection(s: &AppState, reason: &str) {
    tracing::warn!(reason, "sms webhook call rejected");
    let _ = s.store.audit(&AuditRecord {
        at: s.now(),
        user_id: UserId::SYSTEM,
        action: "smsWebhookRejected".into(),
        target: "sms/inbound".into(),
        detail: reason.to_owned(),
    });
}

fn header<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

fn check_signature(s: &AppState, headers: &HeaderMap, body: &[u8]) -> Result<(), ApiError> {
    let n = area::notifier(s);
    let Some(secret) = n.config.webhook_secret.as_deref() else {
        return Err(reject(s, "未配置短信回调密钥"));
    };
    let (Some(ts), Some(sig)) = (
        header(headers, TIMESTAMP_HEADER),
        header(headers, SIGNATURE_HEADER),
    ) else {
        return Err(reject(s, "缺少签名"));
    };
    // Transport freshness is judged on the wall clock: the gateway knows nothing of the
    // business clock (which tests move).
    let fresh = ts
        .parse::<i64>()
        .is_ok_and(|t| (Utc::now().timestamp() - t).abs() <= MAX_SKEW_SECS);
    if !fresh {
        return Err(reject(s, "签名时间戳无效或已过期"));
    }
    if !verify(secret, ts, body, sig) {
        return Err(reject(s, "签名错误"));
    }
    Ok(())
}

/// Gateway webhook: citizen replies and delivery reports.
#[utoipa::path(post, path = "/api/v1/sms/inbound",
    params(("X-Sms-Timestamp" = String, Header, description = "Unix seconds of the call (at most 5 minutes off)"),
           ("X-Sms-Signature" = String, Header, description = "hex HMAC-SHA256 of timestamp.body with the shared secret")),
    request_body = WebhookEvent,
    responses((status = 200, body = WebhookAnswer), (status = 400, body = crate::error::ErrorBody), (status = 401, body = crate::error::ErrorBody),
              (status = 413, body = crate::error::ErrorBody)))]
pub async fn webhook(
    State(state): State<SharedState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let body = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::PayloadTooLarge
        } else {
            ApiError::BadRequest(e.body_text())
        }
    })?;
    state
        .blocking(move |s| {
            check_signature(s, &headers, &body)?;
            let event: WebhookEvent = serde_json::from_slice(&body).map_err(|e| {
                log_rejection(s, &format!("格式错误：{e}"));
                ApiError::BadRequest(format!("回调内容格式错误（{e}）"))
            })?;
            let answer = match event {
                WebhookEvent::Reply {
                    message_id,
                    from,
                    text,
                    sent_at,
                } => {
                    let bad = |m: &str| Err(ApiError::BadRequest(m.into()));
                    if message_id.trim().is_empty() || message_id.len() > 200 {
                        return bad("messageId 无效");
                    }
                    if text.chars().count() > 2000 {
                        return bad("短信内容过长");
                    }
                    let m = InboundSms {
                        message_id,
                        phone: normalize_phone(&from),
                        text,
                        sent_at: sent_at.unwrap_or_else(|| s.now()),
                    };
                    let mut outcome = handle_reply(s, &m)?;
                    outcome.record = inbound_view(outcome.record);
                    WebhookAnswer::Reply(outcome)
                }
                WebhookEvent::Status { message_id, status } => {
                    let known = s.store.sms_delivery_report(
                        &message_id,
                        &status.chars().take(40).collect::<String>(),
                    )?;
                    WebhookAnswer::Status { message_id, known }
                }
            };
            Ok(Json(serde_json::to_value(answer)?))
        })
        .await
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LimitParams {
    /// At most this many (clamped to 1–1000, default 100).
    #[serde(default)]
    pub limit: Option<usize>,
}

/// Recent inbound replies and what became of them (admin, 回访员); numbers masked (the
/// 回访员 reveals a matched round's number with `GET /followups/{id}/phone`).
#[utoipa::path(get, path = "/api/v1/sms/inbound", params(LimitParams), responses((status = 200, body = Vec<InboundRecord>), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
pub async fn list_inbound(
    State(state): State<SharedState>,
    auth: Authed,
    ApiQuery(p): ApiQuery<LimitParams>,
) -> Result<Json<Vec<InboundRecord>>, ApiError> {
    require(&auth, &[Role::Admin, Role::FollowUp])?;
    state
        .blocking(move |s| {
            let rows = s
                .store
                .recent_inbound(p.limit.unwrap_or(100).clamp(1, 1000))?;
            Ok(Json(rows.into_iter().map(inbound_view).collect()))
        })
        .await
}

// ---------------------------------------------------------------- templates

#[utoipa::path(get, path = "/api/v1/sms/templates", responses((status = 200, body = Vec<SmsTemplate>), (status = 403, body = crate::error::ErrorBody)))]
pub async fn list_templates(
    State(state): State<SharedState>,
    auth: Authed,
) -> Result<Json<Vec<SmsTemplate>>, ApiError> {
    require(
        &auth,
        &[Role::Admin, Role::Clerk, Role::FollowUp, Role::Leader],
    )?;
    state.blocking(|s| Ok(Json(s.store.sms_templates()?))).await
}

// ---------------------------------------------------------------- outbox

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OutboxParams {
    /// Only messages in this state (empty: all).
    #[serde(default)]
    #[param(value_type = Option<OutboxStatus>)]
    pub status: Option<String>,
    /// At most this many (clamped to 1–1000, default 100).
    #[serde(default)]
    pub limit: Option<usize>,
}

/// The SMS outbox with delivery status and dead letters (admin); numbers masked.
#[utoipa::path(get, path = "/api/v1/sms/outbox", params(OutboxParams), responses((status = 200, body = Vec<OutboxMessage>), (status = 400, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
pub async fn list_outbox(
    State(state): State<SharedState>,
    auth: Authed,
    ApiQuery(p): ApiQuery<OutboxParams>,
) -> Result<Json<Vec<OutboxMessage>>, ApiError> {
    require(&auth, &[Role::Admin])?;
    let status = match p.status.as_deref() {
        None | Some("") => None,
        Some(st) => Some(
            OutboxStatus::from_code(st)
                .ok_or_else(|| ApiError::BadRequest(format!("未知的状态“{st}”")))?,
        ),
    };
    state
        .blocking(move |s| {
            let rows = s
                .store
                .outbox(status, p.limit.unwrap_or(100).clamp(1, 1000))?;
            Ok(Json(rows.into_iter().map(outbox_view).collect()))
        })
        .await
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReminderReq {
    /// A `reminder.*` template code, e.g. `reminder.documentReady`.
    #[schema(pattern = r"^reminder\.", example = "reminder.documentReady")]
    pub template: String,
    /// The case whose citizen is reminded (its registered mobile is used); exactly one
    /// of `caseId` and `followupId`.
    #[serde(default)]
    #[schema(format = Uuid)]
    pub case_id: Option<String>,
    /// The follow-up round of a window-service event (its registered mobile is used).
    #[serde(default)]
    pub followup_id: Option<String>,
    /// Refused when present (422): the number always comes from the case or the event.
    #[serde(default)]
    #[schema(schema_with = absent)]
    pub phone: Option<String>,
    /// Exactly the template's placeholders, each at most 100 characters.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub params: serde_json::Value,
    /// The business event (e.g. the document's number): one SMS per key and sender.
    #[schema(min_length = 1, max_length = 100, pattern = r"\S")]
    pub key: String,
}

/// A field that must be absent or null.
fn absent() -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::Null)
        .build()
}

/// Whether a reminder was queued now (false: one was already sent for this key).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ReminderQueued {
    pub queued: bool,
}

/// Queues a 温馨提示 to the citizen of a visible case (clerk, officer, unit head,
/// 回访员) or of a window-service event (clerk, 回访员); never to a typed number.
/// Rate-limited (429) and audited; rules in `notify::service::reminder`.
#[utoipa::path(post, path = "/api/v1/sms/reminders", request_body = ReminderReq,
    responses((status = 201, description = "Queued", body = ReminderQueued),
              (status = 200, description = "Already sent for this key", body = ReminderQueued),
              (status = 400, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody), (status = 429, body = crate::error::ErrorBody)))]
pub async fn send_reminder(
    State(state): State<SharedState>,
    auth: Authed,
    ApiJson(req): ApiJson<ReminderReq>,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    let mut roles = service::REMINDER_CASE_ROLES.to_vec();
    roles.extend_from_slice(service::REMINDER_SERVICE_ROLES);
    require(&auth, &roles)?;
    let to = service::ReminderTo::from_request(req.case_id, req.followup_id, req.phone)?;
    state
        .blocking(move |s| {
            let outcome =
                service::reminder(s, &auth.actor, &to, &req.template, req.params, &req.key)?;
            Ok(match outcome {
                service::ReminderOutcome::Queued(true) => (
                    StatusCode::CREATED,
                    Json(serde_json::json!(ReminderQueued { queued: true })),
                ),
                service::ReminderOutcome::Queued(false) => (
                    StatusCode::OK,
                    Json(serde_json::json!(ReminderQueued { queued: false })),
                ),
                service::ReminderOutcome::Limited { code, message } => (
                    StatusCode::TOO_MANY_REQUESTS,
                    Json(serde_json::json!({"code": code, "message": message})),
                ),
            })
        })
        .await
}

// ---------------------------------------------------------------- window-service feeds

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ImportParams {
    /// Name of the feed (e.g. `hz-window`); with the row's externalId it identifies the event.
    pub source: String,
}

/// Imports window-service events (CSV with header, or a JSON array) and queues their
/// follow-up SMS. Re-importing the same rows sends nothing again.
#[utoipa::path(post, path = "/api/v1/service-events/import", params(ImportParams),
    request_body(content((String = "text/csv"), (Vec<Object> = "application/json")),
                 description = "CSV with a header row, or a JSON array of events"),
    responses((status = 200, body = ImportReport), (status = 400, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
              (status = 413, body = crate::error::ErrorBody)))]
pub async fn import_service_events(
    State(state): State<SharedState>,
    auth: Authed,
    ApiQuery(p): ApiQuery<ImportParams>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<ImportReport>, ApiError> {
    require(&auth, &[Role::Admin, Role::Clerk])?;
    let body = body.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let source = p.source.trim().to_owned();
    if source.is_empty() || source.len() > 60 || source.contains(':') {
        return Err(ApiError::BadRequest(
            "source 不能为空、不超过60字符且不含冒号".into(),
        ));
    }
    let json = header(&headers, "content-type").is_some_and(|c| c.contains("json"));
    state
        .blocking(move |s| {
            let rows = service::parse_feed(&body, json)?;
            if rows.len() > s.settings.bulk_max_rows {
                return Err(ApiError::BatchTooLarge(s.settings.bulk_max_rows));
            }
            let n = area::notifier(s);
            Ok(Json(service::import(s, &n.config, &source, &rows)?))
        })
        .await
}

#[cfg(test)]
mod tests {
    use utoipa::OpenApi;

    #[test]
    fn openapi_part_lists_every_route() {
        let doc = super::NotifyApi::openapi();
        for p in [
            "/api/v1/notifications",
            "/api/v1/notifications/read",
            "/api/v1/sms/inbound",
            "/api/v1/sms/templates",
            "/api/v1/service-events/import",
        ] {
            assert!(doc.paths.paths.contains_key(p), "{p}");
        }
    }
}
