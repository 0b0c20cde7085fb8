//! The storage contract's one error type. Backends map their driver's errors to
//! `Backend`; the server maps every variant to its HTTP error (`ApiError`).

use thiserror::Error;

/// The result of every storage call.
pub type StoreResult<T> = Result<T, StoreError>;

#[derive(Debug, Error)]
pub enum StoreError {
    /// The database failed (locked, pool exhausted, I/O, lost connection): worth
    /// retrying, unlike `Internal`, which would fail the same way again.
    #[error("服务器数据库暂时不可用，请稍后重试")]
    Backend(String),
    /// Stored data the backend cannot read back, or a broken invariant.
    #[error("服务器内部错误，请稍后重试")]
    Internal(String),
    #[error("{0}不存在")]
    NotFound(&'static str),
    #[error("{0}已存在")]
    AlreadyExists(String),
    /// A case update based on another version than the stored one.
    #[error("诉求件已被他人修改（当前版本 {current}），请刷新后重试")]
    VersionConflict { current: u64 },
    /// An edit of a versioned record (e.g. a standard reply) based on an older version.
    #[error("内容已被他人修改（当前版本 {current}），请刷新后重试")]
    StaleVersion { current: u64 },
    /// A change-log position outside the retained log (restored database, pruned log).
    #[error("同步位置已失效，需要重新下载数据；未同步的操作已保留在本机")]
    SyncReset,
    /// A request the store refuses with a stable code and a Chinese message (e.g. a
    /// backup file that is not a database of this product).
    #[error("{message}")]
    Invalid { code: &'static str, message: String },
    /// An error raised by a closure the caller ran inside a store transaction (e.g. a
    /// refused workflow step), handed back unchanged after the rollback.
    #[error(transparent)]
    Caller(Box<dyn std::error::Error + Send + Sync>),
}

impl StoreError {
    /// The stable code of the error (the server answers the same code over HTTP).
    pub fn code(&self) -> &'static str {
        match self {
            Self::Backend(_) => "STORAGE_UNAVAILABLE",
            Self::Internal(_) | Self::Caller(_) => "INTERNAL",
            Self::NotFound(_) => "NOT_FOUND",
            Self::AlreadyExists(_) => "ALREADY_EXISTS",
            Self::VersionConflict { .. } => "VERSION_CONFLICT",
            Self::StaleVersion { .. } => "STALE_VERSION",
            Self::SyncReset => "SYNC_RESET",
            Self::Invalid { code, .. } => code,
        }
    }

    pub fn internal(e: impl std::fmt::Display) -> Self {
        Self::Internal(e.to_string())
    }
}

impl From<serde_json::Error> for StoreError {
    fn from(e: serde_json::Error) -> Self {
        Self::Internal(format!("json: {e}"))
    }
}

/// A refused workflow step inside a store transaction, handed back unchanged.
impl From<minsheng_domain::DomainError> for StoreError {
    fn from(e: minsheng_domain::DomainError) -> Self {
        Self::Caller(Box::new(e))
    }
}
