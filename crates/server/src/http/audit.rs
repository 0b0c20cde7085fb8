//! The audit log (admin): the newest records, a filtered search in keyset pages, the
//! Excel export, the action names, and the hash-chain check (rules in `crate::audit_log`).

use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use minsheng_domain::capability::Capability;
use serde::{Deserialize, Serialize};

use super::notify::require_can;
use super::ApiQuery;
use crate::audit_log::{self, AuditFilter};
use crate::auth::Authed;
use crate::error::ApiError;
use crate::state::SharedState;
use minsheng_store::admin::AuditRow;

/// This area's part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(audit_log, search_audit, export_audit, audit_actions, verify_audit))]
pub struct AuditApi;

pub fn routes() -> Router<SharedState> {
    Router::new()
        .route("/audit", get(audit_log))
        .route("/audit/search", get(search_audit))
        .route("/audit/export.xlsx", get(export_audit))
        .route("/audit/actions", get(audit_actions))
        .route("/audit/verify", get(verify_audit))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuditView {
    pub at: DateTime<Utc>,
    pub user_id: String,
    pub action: String,
    pub target: String,
    pub detail: String,
}

/// The newest 500 records (admin).
#[utoipa::path(get, path = "/api/v1/audit", responses((status = 200, body = Vec<AuditView>), (status = 403, body = crate::error::ErrorBody)))]
pub async fn audit_log(
    State(state): State<SharedState>,
    auth: Authed,
) -> Result<Json<Vec<AuditView>>, ApiError> {
    require_can(&auth, Capability::Administer)?;
    state
        .blocking(|s| {
            Ok(Json(
                s.store
                    .audit_log(500)?
                    .into_iter()
                    .map(|a| AuditView {
                        at: a.at,
                        user_id: a.user_id.to_string(),
                        action: a.action,
                        target: a.target,
                        detail: a.detail,
                    })
                    .collect(),
            ))
        })
        .await
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AuditParams {
    /// Who acted: a username or a user id.
    #[param(max_length = 64)]
    pub user: Option<String>,
    /// Exact action code (see `GET /audit/actions`).
    #[param(max_length = 64)]
    pub action: Option<String>,
    /// Part of the target (a username, case number, template code …).
    #[param(max_length = 100)]
    pub target: Option<String>,
    /// At or after this instant.
    pub from: Option<DateTime<Utc>>,
    /// Before this instant.
    pub to: Option<DateTime<Utc>>,
    /// `nextCursor` of the previous page.
    #[param(max_length = 20)]
    pub cursor: Option<String>,
    /// Page size, clamped to 1–200 (default 50).
    pub limit: Option<usize>,
}

impl AuditParams {
    fn filter(&self) -> Result<AuditFilter, ApiError> {
        AuditFilter::new(
            self.user.as_deref(),
            self.action.as_deref(),
            self.target.as_deref(),
            self.from,
            self.to,
        )
    }
}

/// One record as the console shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuditEntry {
    /// Position in the chain (newer records have larger ids).
    pub id: i64,
    pub at: DateTime<Utc>,
    pub user_id: String,
    /// The acting account (null for the system or an account since removed).
    pub username: Option<String>,
    pub user_name: Option<String>,
    pub action: String,
    /// The action's Chinese name, when the server knows it.
    pub action_name: Option<String>,
    pub target: String,
    /// What changed: for admin changes a JSON object of `{field: {before, after}}`.
    pub detail: String,
}

impl From<AuditRow> for AuditEntry {
    fn from(r: AuditRow) -> Self {
        let system = r.record.user_id == minsheng_domain::ids::UserId::SYSTEM;
        Self {
            id: r.id,
            at: r.record.at,
            user_id: r.record.user_id.to_string(),
            username: r.username,
            user_name: r.display_name.or_else(|| system.then(|| "系统".to_owned())),
            action_name: audit_log::action_name(&r.record.action).map(str::to_owned),
            action: r.record.action,
            target: r.record.target,
            detail: r.record.detail,
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuditEntryPage {
    pub items: Vec<AuditEntry>,
    /// Pass as `cursor` for the next (older) page; null on the last page.
    pub next_cursor: Option<String>,
}

/// The audit log filtered by user, action, target and time, newest first, in keyset
/// pages (admin).
#[utoipa::path(get, path = "/api/v1/audit/search", params(AuditParams),
    responses((status = 200, body = AuditEntryPage), (status = 400, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
pub async fn search_audit(
    State(state): State<SharedState>,
    auth: Authed,
    ApiQuery(p): ApiQuery<AuditParams>,
) -> Result<Json<AuditEntryPage>, ApiError> {
    require_can(&auth, Capability::Administer)?;
    let filter = p.filter()?;
    let before = match p.cursor.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        Some(c) => Some(
            c.parse::<i64>()
                .map_err(|_| ApiError::BadRequest(format!("cursor 无效：{c}")))?,
        ),
        None => None,
    };
    let limit = p.limit.unwrap_or(50).clamp(1, 200);
    state
        .blocking(move |s| {
            let page = audit_log::page(s, &filter, before, limit)?;
            Ok(Json(AuditEntryPage {
                items: page.items.into_iter().map(AuditEntry::from).collect(),
                next_cursor: page.next.map(|n| n.to_string()),
            }))
        })
        .await
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExportParams {
    /// Who acted: a username or a user id.
    #[param(max_length = 64)]
    pub user: Option<String>,
    /// Exact action code.
    #[param(max_length = 64)]
    pub action: Option<String>,
    /// Part of the target.
    #[param(max_length = 100)]
    pub target: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

/// Every record the filters match as an Excel workbook (admin; at most 50 000, else
/// 422 `AUDIT_EXPORT_TOO_LARGE`). Audited as `exportAuditLog`.
#[utoipa::path(get, path = "/api/v1/audit/export.xlsx", params(ExportParams),
    responses((status = 200, description = "Excel workbook", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>),
              (status = 400, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)))]
pub async fn export_audit(
    State(state): State<SharedState>,
    auth: Authed,
    ApiQuery(p): ApiQuery<ExportParams>,
) -> Result<Response, ApiError> {
    require_can(&auth, Capability::Administer)?;
    let filter = AuditFilter::new(
        p.user.as_deref(),
        p.action.as_deref(),
        p.target.as_deref(),
        p.from,
        p.to,
    )?;
    state
        .blocking(move |s| {
            let bytes = audit_log::export(s, auth.actor.user_id, &filter)?;
            let day = s.now().with_timezone(&minsheng_domain::calendar::beijing());
            Ok(super::assessment::xlsx_response(
                &format!("审计日志{}.xlsx", day.format("%Y%m%d")),
                bytes,
            ))
        })
        .await
}

/// An action code and its Chinese name.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuditAction {
    pub code: String,
    pub name: String,
}

/// The actions the server records, with their Chinese names (for the action filter).
#[utoipa::path(get, path = "/api/v1/audit/actions",
    responses((status = 200, body = Vec<AuditAction>), (status = 403, body = crate::error::ErrorBody)))]
pub async fn audit_actions(auth: Authed) -> Result<Json<Vec<AuditAction>>, ApiError> {
    require_can(&auth, Capability::Administer)?;
    Ok(Json(
        audit_log::ACTIONS
            .iter()
            .map(|(code, name)| AuditAction {
                code: (*code).to_owned(),
                name: (*name).to_owned(),
            })
            .collect(),
    ))
}

/// Verifies the audit log's hash chain (等保: audit records protected from change): the
/// first record that was changed, removed or reordered, if any.
#[utoipa::path(get, path = "/api/v1/audit/verify",
    responses((status = 200, body = minsheng_domain::timeline::ChainReport), (status = 401, body = crate::error::ErrorBody),
              (status = 403, body = crate::error::ErrorBody)))]
pub async fn verify_audit(
    State(state): State<SharedState>,
    auth: Authed,
) -> Result<Json<minsheng_domain::timeline::ChainReport>, ApiError> {
    require_can(&auth, Capability::Administer)?;
    state
        .blocking(|s| {
            Ok(Json(minsheng_domain::audit::verify_audit_chain(
                &s.store.audit_chain()?,
            )))
        })
        .await
}
