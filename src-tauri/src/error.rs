use serde::ser::SerializeStruct;

/// Every failure a command can report. The UI receives it as `{ code, message }`.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("市局服务器地址无效：{0}")]
    InvalidServerUrl(String),
    #[error("网络客户端初始化失败：{0}")]
    HttpClient(String),
    #[error("尚未登录")]
    NotSignedIn,
    /// The app locked itself after inactivity (等保); the password unlocks it.
    #[error("长时间未操作，已锁定：请输入密码解锁")]
    Locked,
    #[error("参数无效：{0}")]
    InvalidArgument(String),
    #[error("无法确定本机数据目录：{0}")]
    DataDir(String),
    /// Built without `MINSHENG_UPDATER_PUBKEY`: no package could be verified.
    #[error("此版本未配置更新签名公钥，不能在线更新")]
    UpdateNotConfigured,
    /// Installing restarts the app; queued offline actions need the user's consent.
    #[error("还有 {0} 条操作未同步。更新会重启程序，未同步的操作会保留在本机，重启后继续同步。")]
    UpdateQueueNotEmpty(u64),
    /// The package does not match its signature, or was signed for another version.
    #[error("更新包签名校验失败，已拒绝安装")]
    UpdateSignatureInvalid,
    /// The download ended before the announced size (link cut, server fault): nothing
    /// was installed; the next check offers it again.
    #[error("更新包下载不完整，已放弃安装，请稍后重试")]
    UpdateDownloadIncomplete,
    /// The verified package is not an installer this desktop can use.
    #[error("更新包格式无效，已拒绝安装")]
    UpdatePackageInvalid,
    /// No offer to install (not checked yet in this run, or already installed).
    #[error("没有可安装的更新，请先检查更新")]
    UpdateNotChecked,
    #[error("安装更新失败：{0}")]
    UpdateFailed(String),
    /// A failure of the client core, with its stable code (`OFFLINE`, `PENDING_COMMANDS` ...).
    #[error("{message}")]
    Client { code: String, message: String },
}

impl Error {
    /// Stable machine-readable code; the message is for people and may change.
    pub fn code(&self) -> &str {
        match self {
            Self::InvalidServerUrl(_) => "invalidServerUrl",
            Self::HttpClient(_) => "httpClient",
            Self::NotSignedIn => "NOT_SIGNED_IN",
            Self::Locked => "LOCKED",
            Self::InvalidArgument(_) => "INVALID_ARGUMENT",
            Self::DataDir(_) => "DATA_DIR",
            Self::UpdateNotConfigured => "UPDATE_NOT_CONFIGURED",
            Self::UpdateQueueNotEmpty(_) => "UPDATE_QUEUE_NOT_EMPTY",
            Self::UpdateSignatureInvalid => "UPDATE_SIGNATURE_INVALID",
            Self::UpdatePackageInvalid => "UPDATE_PACKAGE_INVALID",
            Self::UpdateDownloadIncomplete => "UPDATE_DOWNLOAD_INCOMPLETE",
            Self::UpdateNotChecked => "UPDATE_NOT_CHECKED",
            Self::UpdateFailed(_) => "UPDATE_FAILED",
            Self::Client { code, .. } => code,
        }
    }
}

impl From<minsheng_client::ClientError> for Error {
    fn from(e: minsheng_client::ClientError) -> Self {
        Self::Client {
            code: e.code().to_owned(),
            message: e.to_string(),
        }
    }
}

impl serde::Serialize for Error {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("Error", 2)?;
        s.serialize_field("code", self.code())?;
        s.serialize_field("message", &self.to_string())?;
        s.end()
    }
}

#[cfg(test)]
mod tests {
    use super::Error;

    #[test]
    fn serialises_as_code_and_message() {
        let value = serde_json::to_value(Error::InvalidServerUrl("ftp://x".into())).unwrap();
        assert_eq!(
            value,
            serde_json::json!({ "code": "invalidServerUrl", "message": "市局服务器地址无效：ftp://x" })
        );
    }

    #[test]
    fn client_errors_keep_their_code() {
        let value =
            serde_json::to_value(Error::from(minsheng_client::ClientError::AuthExpired)).unwrap();
        assert_eq!(
            value,
            serde_json::json!({ "code": "AUTH_EXPIRED", "message": "登录已过期，请重新登录" })
        );
    }
}
