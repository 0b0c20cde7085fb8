//! The one error type of the client crate. Messages are Chinese (shown to users);
//! `code()` is the stable machine code the UI and tests match on.

use minsheng_domain::ids::CaseId;
use minsheng_domain::DomainError;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum ClientError {
    /// The cache file exists but this key does not decrypt it. Nothing is deleted.
    #[error("本地缓存无法解密：密钥不正确（数据未被删除，请联系管理员）")]
    WrongKey,
    /// The cache file exists but the keyring has no key for it (e.g. another OS account).
    #[error("系统钥匙串中找不到本地缓存的密钥（数据未被删除，请联系管理员）")]
    KeyMissing,
    #[error("无法访问系统钥匙串：{0}")]
    Keyring(String),
    #[error(
        "本地缓存由更新版本的客户端创建（结构版本 {found}，本程序支持 {supported}），请升级客户端"
    )]
    SchemaTooNew { found: i64, supported: i64 },
    #[error("本地缓存读写失败：{0}")]
    Database(#[from] rusqlite::Error),
    #[error("本地缓存数据损坏：{0}")]
    Corrupt(String),
    #[error(transparent)]
    Domain(#[from] DomainError),
    #[error("本地缓存中没有该诉求件：{0}")]
    NotCached(CaseId),
    #[error("尚未登录：本地没有用户信息")]
    NoProfile,
    #[error("无法连接到市局服务器（离线）：{0}")]
    Offline(String),
    #[error("登录已过期，请重新登录")]
    AuthExpired,
    /// The server refused the request with its `{code, message}` body.
    #[error("{message}")]
    Server {
        status: u16,
        code: String,
        message: String,
    },
    /// The server cannot continue from this cache's position (it was restored from a
    /// backup, or the cursor is unusable): the engine re-snapshots, keeping the outbox.
    #[error("{message}")]
    SyncReset { message: String },
    #[error("服务器响应格式不正确：{0}")]
    Protocol(String),
    #[error("同步冲突列表中没有该操作（可能已处理）：{0}")]
    NoSuchConflict(minsheng_domain::ids::CommandId),
    #[error("离线新建的诉求件被拒绝后只能放弃，或重新登记")]
    ResolutionNotPossible,
    /// No usable session: the refresh token is gone or expired, or the cached session
    /// is older than the offline validity window. The outbox is kept.
    #[error("密码不正确，还可尝试 {left} 次")]
    WrongPassword { left: u32 },
    #[error("请重新登录（离线操作已保留，登录后继续同步）")]
    LoginRequired,
    #[error("还有 {count} 项离线操作未同步到市局，退出登录会丢失它们")]
    PendingCommands { count: u64 },
    /// The server no longer accepts this client version (HTTP 426); the queue is kept.
    #[error("{message}")]
    ClientTooOld { message: String },
    #[error("本地文件读写失败：{0}")]
    Io(String),
    #[error("{0}")]
    InvalidSetting(String),
}

impl ClientError {
    pub fn code(&self) -> &str {
        match self {
            Self::WrongKey => "CACHE_KEY_WRONG",
            Self::KeyMissing => "CACHE_KEY_MISSING",
            Self::Keyring(_) => "KEYRING_UNAVAILABLE",
            Self::SchemaTooNew { .. } => "CACHE_SCHEMA_TOO_NEW",
            Self::Database(_) => "CACHE_DB",
            Self::Corrupt(_) => "CACHE_CORRUPT",
            Self::Domain(d) => d.code(),
            Self::NotCached(_) => "CASE_NOT_CACHED",
            Self::NoProfile => "NO_PROFILE",
            Self::Offline(_) => "OFFLINE",
            Self::AuthExpired => "AUTH_EXPIRED",
            Self::Server { code, .. } => code,
            Self::SyncReset { .. } => "SYNC_RESET",
            Self::Protocol(_) => "PROTOCOL",
            Self::NoSuchConflict(_) => "NO_SUCH_CONFLICT",
            Self::ResolutionNotPossible => "RESOLUTION_NOT_POSSIBLE",
            Self::LoginRequired => "LOGIN_REQUIRED",
            Self::WrongPassword { .. } => "BAD_CREDENTIALS",
            Self::PendingCommands { .. } => "PENDING_COMMANDS",
            Self::ClientTooOld { .. } => "CLIENT_TOO_OLD",
            Self::Io(_) => "LOCAL_IO",
            Self::InvalidSetting(_) => "INVALID_SETTING",
        }
    }
}

impl From<keyring::Error> for ClientError {
    fn from(e: keyring::Error) -> Self {
        Self::Keyring(e.to_string())
    }
}

impl From<serde_json::Error> for ClientError {
    fn from(e: serde_json::Error) -> Self {
        Self::Corrupt(e.to_string())
    }
}

pub type Result<T, E = ClientError> = std::result::Result<T, E>;
