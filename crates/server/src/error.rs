//! The server's one error type and its single HTTP shape: `{"code": "...", "message": "..."}`
//! with a stable machine code and a Chinese message.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use minsheng_domain::DomainError;
use minsheng_store::StoreError;
use serde::Serialize;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum ApiError {
    #[error(transparent)]
    Domain(#[from] DomainError),
    #[error("请先登录")]
    Unauthenticated,
    #[error("登录已过期，请重新登录")]
    TokenExpired,
    /// A refresh token that was already exchanged came back: it was copied. Every
    /// session of that login is ended.
    #[error("登录凭证被重复使用，为保护账号安全本次登录已失效，请重新登录")]
    RefreshReused,
    /// The login is older than its absolute lifetime (seconds): refresh no longer works.
    #[error("本次登录已超过最长有效时间（{}），请重新登录", wait_text(*.0))]
    SessionExpired(i64),
    #[error("用户名或密码错误")]
    BadCredentials,
    /// The throttle window in seconds (shown as minutes/hours).
    #[error("登录失败次数过多，请{}后再试", wait_text(*.0))]
    Throttled(i64),
    #[error("账号已停用")]
    AccountDisabled,
    #[error("无权执行此操作")]
    Forbidden,
    #[error("{0}不存在")]
    NotFound(&'static str),
    #[error("诉求件已被他人修改（当前版本 {current}），请刷新后重试")]
    VersionConflict { current: u64 },
    #[error("{0}已存在")]
    AlreadyExists(String),
    #[error("请求格式错误：{0}")]
    BadRequest(String),
    #[error("请求内容过大")]
    PayloadTooLarge,
    #[error("该接口不支持此请求方法")]
    MethodNotAllowed,
    /// Too many requests in progress: shed at once rather than queued.
    #[error("服务器繁忙，请稍后重试")]
    Overloaded,
    /// The request took longer than its route allows.
    #[error("服务器处理超时，请稍后重试")]
    RequestTimeout,
    #[error("服务器内部错误，请稍后重试")]
    Internal(String),
    /// The database failed (locked, pool exhausted, I/O): worth retrying, unlike
    /// `Internal`, which would fail the same way again.
    #[error("服务器数据库暂时不可用，请稍后重试")]
    Storage(String),
    /// Sync: the client's cursor is outside the server's change log (restored server,
    /// pruned log, malformed cursor); the client re-downloads and keeps its outbox.
    #[error("同步位置已失效，需要重新下载数据；未同步的操作已保留在本机")]
    SyncReset,
    /// Sync: the client's version or cache schema is one this server cannot serve.
    #[error("客户端版本过旧，请升级；未同步的操作已保留在本机")]
    ClientTooOld,
    #[error("一次最多同步 {0} 条操作，请分批提交")]
    BatchTooLarge(usize),
    /// A follow-up round that already has its answer (by SMS or by phone).
    #[error("该回访已记录结果，不能重复记录")]
    FollowUpAnswered,
    /// A case's follow-up round: its answer is the case's 回访 action (workflow).
    #[error("诉求件的回访结果请在诉求件中以“回访”操作记录")]
    FollowUpOfCase,
    /// An edit based on an older version of a versioned record (e.g. a standard reply).
    #[error("内容已被他人修改（当前版本 {current}），请刷新后重试")]
    StaleVersion { current: u64 },
    /// `/metrics` asked by a caller that is neither on this machine nor holds the
    /// metrics token (`MINSHENG_METRICS_TOKEN`).
    #[error("监控指标只向本机或持有监控令牌的调用方提供")]
    MetricsForbidden,
    /// Readiness: the instance should get no traffic; the text names each failing check.
    #[error("服务未就绪：{0}")]
    NotReady(String),
    /// A field that breaks a rule of its form: a stable code and a Chinese message.
    #[error("{message}")]
    Invalid { code: &'static str, message: String },
    /// A request that conflicts with the record's current state (409), with a stable
    /// code and a Chinese message (e.g. `SUPERVISOR_EXISTS`).
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    /// 责任倒查 records are for 纪检督察 and 市局领导 only (the admin included out).
    #[error("责任倒查记录仅限纪检督察和市局领导查阅")]
    AccountabilityForbidden,
}

/// A wait in seconds as people say it: "15分钟", "1小时", "1小时30分钟" (minutes rounded up).
fn wait_text(secs: i64) -> String {
    let minutes = ((secs.max(1) + 59) / 60).max(1);
    match (minutes / 60, minutes % 60) {
        (0, m) => format!("{m}分钟"),
        (h, 0) => format!("{h}小时"),
        (h, m) => format!("{h}小时{m}分钟"),
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// Stable machine code, e.g. `ILLEGAL_TRANSITION`.
    pub code: String,
    /// Chinese message for users.
    pub message: String,
}

impl ApiError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Domain(d) => d.code(),
            Self::Unauthenticated => "UNAUTHENTICATED",
            Self::TokenExpired => "TOKEN_EXPIRED",
            Self::RefreshReused => "REFRESH_REUSED",
            Self::SessionExpired(_) => "SESSION_EXPIRED",
            Self::BadCredentials => "BAD_CREDENTIALS",
            Self::Throttled(_) => "LOGIN_THROTTLED",
            Self::AccountDisabled => "ACCOUNT_DISABLED",
            Self::Forbidden => "FORBIDDEN",
            Self::NotFound(_) => "NOT_FOUND",
            Self::VersionConflict { .. } => "VERSION_CONFLICT",
            Self::AlreadyExists(_) => "ALREADY_EXISTS",
            Self::BadRequest(_) => "BAD_REQUEST",
            Self::PayloadTooLarge => "PAYLOAD_TOO_LARGE",
            Self::MethodNotAllowed => "METHOD_NOT_ALLOWED",
            Self::Overloaded => "OVERLOADED",
            Self::RequestTimeout => "REQUEST_TIMEOUT",
            Self::Internal(_) => "INTERNAL",
            Self::Storage(_) => "STORAGE_UNAVAILABLE",
            Self::SyncReset => "SYNC_RESET",
            Self::ClientTooOld => "CLIENT_TOO_OLD",
            Self::BatchTooLarge(_) => "BATCH_TOO_LARGE",
            Self::FollowUpAnswered => "FOLLOWUP_ANSWERED",
            Self::FollowUpOfCase => "FOLLOWUP_IS_CASE",
            Self::StaleVersion { .. } => "STALE_VERSION",
            Self::MetricsForbidden => "METRICS_FORBIDDEN",
            Self::NotReady(_) => "NOT_READY",
            Self::Invalid { code, .. } | Self::Conflict { code, .. } => code,
            Self::AccountabilityForbidden => "ACCOUNTABILITY_FORBIDDEN",
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::Domain(d) => match d {
                DomainError::IllegalTransition { .. }
                | DomainError::AlreadySigned
                | DomainError::NoPendingExtension
                | DomainError::ExtensionPending
                | DomainError::NotAwaitingAnswer
                | DomainError::CoOpinionsMissing(_)
                | DomainError::SignOffOrder
                | DomainError::LastAdmin
                | DomainError::AccountabilityStep { .. } => StatusCode::CONFLICT,
                DomainError::RoleNotAllowed { .. }
                | DomainError::OutOfScope
                | DomainError::AccountabilityRole { .. } => StatusCode::FORBIDDEN,
                DomainError::Attachment(p) if p.is_refusal() => StatusCode::FORBIDDEN,
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            },
            Self::Unauthenticated
            | Self::TokenExpired
            | Self::BadCredentials
            | Self::RefreshReused
            | Self::SessionExpired(_) => StatusCode::UNAUTHORIZED,
            Self::Throttled(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::AccountDisabled
            | Self::Forbidden
            | Self::MetricsForbidden
            | Self::AccountabilityForbidden => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::VersionConflict { .. }
            | Self::AlreadyExists(_)
            | Self::SyncReset
            | Self::FollowUpAnswered
            | Self::FollowUpOfCase
            | Self::StaleVersion { .. }
            | Self::Conflict { .. } => StatusCode::CONFLICT,
            Self::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::PayloadTooLarge | Self::BatchTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::Internal(_) | Self::Storage(_) => StatusCode::INTERNAL_SERVER_ERROR,
            Self::ClientTooOld => StatusCode::UPGRADE_REQUIRED,
            Self::Overloaded | Self::RequestTimeout | Self::NotReady(_) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
        }
    }

    pub fn internal(e: impl std::fmt::Display) -> Self {
        Self::Internal(e.to_string())
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Backend(d) => Self::Storage(d),
            StoreError::Internal(d) => Self::Internal(d),
            StoreError::NotFound(what) => Self::NotFound(what),
            StoreError::AlreadyExists(what) => Self::AlreadyExists(what),
            StoreError::VersionConflict { current } => Self::VersionConflict { current },
            StoreError::StaleVersion { current } => Self::StaleVersion { current },
            StoreError::SyncReset => Self::SyncReset,
            StoreError::Invalid { code, message } => Self::Invalid { code, message },
            StoreError::Caller(e) => match e.downcast::<ApiError>() {
                Ok(e) => *e,
                Err(e) => match e.downcast::<DomainError>() {
                    Ok(e) => Self::Domain(*e),
                    Err(e) => Self::Internal(e.to_string()),
                },
            },
        }
    }
}

/// An error raised inside a store transaction (a closure the service runs there)
/// travels through the store unchanged and comes back as itself.
impl From<ApiError> for StoreError {
    fn from(e: ApiError) -> Self {
        Self::Caller(Box::new(e))
    }
}

impl From<serde_json::Error> for ApiError {
    fn from(e: serde_json::Error) -> Self {
        Self::Internal(format!("json: {e}"))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let Self::Internal(detail) | Self::Storage(detail) = &self {
            // The detail goes to the log, never to the client.
            tracing::error!(%detail, "internal error");
        }
        let body = ErrorBody {
            code: self.code().to_owned(),
            message: self.to_string(),
        };
        (self.status(), Json(body)).into_response()
    }
}
